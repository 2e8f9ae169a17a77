"""Validation on the pool: a gain with an interval per classifier and class, without leakage from held-out rows."""

import json
import zlib

import numpy as np
import pytest

from chains.checks.classifiers import Embedder
from chains.checks.validation import validate

WORDS = {
    "good": "great lovely superb wonderful pleasant fine excellent charming delightful".split(),
    "bad": "awful dreadful terrible poor nasty grim horrid dismal rotten".split(),
}


def topic_embed(texts):
    """A deterministic stand-in for MiniLM in logic tests: a text points at its class's words."""
    vectors = []
    for text in texts:
        words = text.split()
        v = np.array([sum(w in WORDS["good"] for w in words), sum(w in WORDS["bad"] for w in words), 0.1], dtype=float)
        vectors.append(v / np.linalg.norm(v))
    return vectors


def pool():
    rng = np.random.default_rng(0)
    rows = []
    for label, words in WORDS.items():
        for i in range(8):
            picked = " ".join(rng.choice(words, 2))
            rows.append({"id": f"{label}-{i}", "text": f"the stay was {picked}", "label": label})
    return rows


def test_rows_of_the_right_class_do_not_hurt_and_flipped_ones_do():
    real = pool()
    right = [
        {"text": f"it was {w} {w}", "label": label, "sources": frozenset()} for label, ws in WORDS.items() for w in ws
    ]
    wrong = [{**r, "label": "bad" if r["label"] == "good" else "good"} for r in right]
    embedder = Embedder(topic_embed)
    helped = validate(real, right, embedder)
    hurt = validate(real, wrong, embedder)
    assert helped.gain() >= 0 and not helped.harmful
    assert hurt.gain() < -20 and not hurt.harmful  # harmful as they are, but a filter takes the harm away:
    assert hurt.threshold is not None and all(hurt.dropped)  # the pool's classifiers put every flipped row elsewhere
    assert hurt.gain(hurt.threshold) > hurt.gain()  # and without them the rows no longer hurt as much
    assert min(helped.weights) > 0.5 > max(hurt.weights)


def test_a_row_made_from_a_held_out_example_does_not_join_its_fold():
    """Copies of pool rows, each recorded as made from its original: with their sources known they cannot
    leak the held-out answer; with sources unknown they join every fold and flatter the estimate."""
    real = pool()
    # Each pool row's text, labelled with its own label, twice: a perfect leak if it joins the fold holding it out.
    copies = [{"text": r["text"], "label": r["label"]} for r in real for _ in range(2)]
    embedder = Embedder(
        lambda texts: [np.eye(64)[zlib.crc32(t.encode()) % 64] + 0.01 for t in texts]
    )  # texts share nothing
    linked = validate(
        real,
        [{**c, "sources": frozenset({r["id"]})} for c, r in zip(copies, [r for r in real for _ in range(2)])],
        embedder,
    )
    unlinked = validate(real, [{**c, "sources": None} for c in copies], embedder)
    assert unlinked.gain() > linked.gain() + 20
    assert unlinked.notes and "may be optimistic" in unlinked.notes[0] and not linked.notes


def test_the_summary_is_json_with_a_gain_and_interval_per_classifier_and_class():
    validation = validate(pool(), [{"text": "it was superb", "label": "good", "sources": None}], Embedder(topic_embed))
    summary = json.loads(json.dumps(validation.to_dict()))
    assert set(summary) == {"tfidf", "minilm", "details"}
    assert summary["tfidf"]["low"] <= summary["tfidf"]["gain"] <= summary["tfidf"]["high"]
    assert set(summary["details"]["per_class"]["minilm+lr"]) == {"good", "bad"}
    assert "| tfidf+lr | all: 1" in validation.table()


def test_a_pool_with_a_class_of_one_example_cannot_be_validated():
    with pytest.raises(ValueError, match="at least two labelled examples"):
        validate(pool()[:9], [], Embedder(topic_embed))


def test_only_a_gated_table_marks_the_chosen_filter():
    validation = validate(pool(), [{"text": "it was superb", "label": "good", "sources": None}], Embedder(topic_embed))
    assert "(chosen)" in validation.table()
    assert "(chosen)" not in validation.table(gated=False)


def made_rows(real, flip=False, provenance="varied"):
    """Rows of a known effect (the class's own words: they help; flipped labels: they hurt), with sources as a
    run would record them: one shot set per class, varied shots, or none."""
    rng = np.random.default_rng(1)
    rows = []
    for label, ws in WORDS.items():
        own = [r["id"] for r in real if r["label"] == label]
        for i, w in enumerate(ws * 2):
            shown = own[:2] if provenance == "fixed" else list(rng.choice(own, 2, replace=False))
            sources = None if provenance == "none" else frozenset(shown)
            rows.append(
                {"text": f"it felt {w} {ws[i % 3]}", "label": OTHER[label] if flip else label, "sources": sources}
            )
    return rows


OTHER = {"good": "bad", "bad": "good"}


def sparse_pool():
    """Each example with a word of its class no other example has: a classifier trained on the rest of the
    pool cannot know a held-out example's word, and rows that use every word of the class help."""
    return [
        {"id": f"{label}-{i}", "text": f"the stay was {ws[i]}", "label": label}
        for label, ws in WORDS.items()
        for i in range(8)
    ]


@pytest.mark.parametrize("provenance", ["fixed", "varied", "none"])
def test_the_estimates_sign_does_not_depend_on_how_the_shots_were_drawn(provenance):
    """Helpful rows read as helpful and harmful ones as harmful, whether a class's rows share one shot set
    (most folds then lack a class's rows and are left out), vary their shots, or record no sources."""
    real, embedder = sparse_pool(), Embedder(topic_embed)
    helped = validate(real, made_rows(real, provenance=provenance), embedder)
    hurt = validate(real, made_rows(real, flip=True, provenance=provenance), embedder)
    assert helped.gain() > 0 > hurt.gain()
    assert bool(helped.notes) == (provenance != "varied")  # left-out folds, or unknown sources, are reported


def test_a_fold_takes_as_many_rows_of_each_class():
    """Rows of one class that join a fold while the other's cannot would tilt it: such folds are left out."""
    real, embedder = pool(), Embedder(topic_embed)
    rows = made_rows(real)
    lopsided = [{**r, "sources": frozenset({real[0]["id"]})} if r["label"] == "good" else r for r in rows]
    result = validate(real, lopsided, embedder)
    assert any("folds were left out" in n for n in result.notes)
