"""Each selector's choice: deterministic given a seed, within its budget, balanced, nearest by meaning."""

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from chains import load_task
from chains.selectors import BalancedLabelSelector, NGramOverlapSelector, make_selector
from runners.run.pool import adapt_task, read_pool

POOL = [
    {"id": f"e{i}", "text": text, "label": label}
    for i, (text, label) in enumerate(
        [
            ("The pool was warm and clean.", "positive"),
            ("The room smelled of smoke.", "negative"),
            ("Breakfast was delicious.", "positive"),
            ("Check-in took an hour.", "negative"),
            ("The staff were lovely.", "positive"),
            ("The wifi never worked.", "negative"),
            ("A quiet room with a sea view.", "positive"),
            ("The shower was broken and cold.", "negative"),
        ]
    )
]
TASK = adapt_task(load_task("classify"), POOL)


def ids(examples):
    return [e["id"] for e in examples]


def test_fixed_is_the_first_k_in_order():
    assert ids(make_selector("fixed", TASK, POOL, 3).select_examples({"text": "x"})) == ["e0", "e1", "e2"]


def test_random_is_seeded_and_varies_across_prompts():
    a = make_selector("random", TASK, POOL, 3, seed=7)
    b = make_selector("random", TASK, POOL, 3, seed=7)
    first = [ids(a.select_examples({"text": "x"})) for _ in range(5)]
    assert first == [ids(b.select_examples({"text": "x"})) for _ in range(5)]
    assert len({tuple(c) for c in first}) > 1
    assert all(len(set(c)) == 3 for c in first)


def test_length_respects_the_token_budget():
    def count(text):
        return len(text.split())

    selector = make_selector("length", TASK, POOL, 8, count_tokens=count, max_tokens=20)
    chosen = selector.select_examples({"text": "one two three"})
    used = sum(count(f"Text: {e['text']}\n{e['label']}") for e in chosen)
    assert chosen and used + 3 <= 20
    assert ids(chosen) == ids(POOL[: len(chosen)])


def test_label_selector_balances_the_classes():
    selector = BalancedLabelSelector(POOL, 4, seed=1)
    for _ in range(5):
        labels = [e["label"] for e in selector.select_examples({"text": "x"})]
        assert sorted(labels) == ["negative", "negative", "positive", "positive"]


def test_ngram_picks_the_most_overlapping_examples():
    selector = NGramOverlapSelector(POOL, 2, ["text"])
    assert ids(selector.select_examples({"text": "the shower was cold"})) == ["e7", "e0"]


class KeywordEmbeddings(Embeddings):
    """Texts embed onto axes by the topic words they contain: a constructed case with a known nearest example."""

    TOPICS = ["pool", "smoke", "breakfast", "check", "staff", "wifi", "sea", "shower"]

    def _one(self, text):
        vector = np.array([float(t in text.casefold()) for t in self.TOPICS]) + 0.01
        return list(vector / np.linalg.norm(vector))

    def embed_documents(self, texts):
        return [self._one(t) for t in texts]

    def embed_query(self, text):
        return self._one(text)


def test_semantic_picks_the_nearest_examples():
    selector = make_selector("semantic", TASK, POOL, 2, embeddings=KeywordEmbeddings())
    chosen = ids(selector.select_examples({"text": "Is there wifi by the pool?"}))
    assert sorted(chosen) == ["e0", "e5"]


def test_mmr_returns_k_distinct_examples():
    selector = make_selector("mmr", TASK, POOL, 3, embeddings=KeywordEmbeddings())
    chosen = ids(selector.select_examples({"text": "the shower"}))
    assert len(set(chosen)) == 3 and chosen[0] == "e7"


def test_unknown_selector_is_named():
    with pytest.raises(ValueError, match="unknown selector 'best'"):
        make_selector("best", TASK, POOL, 2)


def test_a_labelled_pool_makes_its_labels_the_classes(tmp_path):
    path = tmp_path / "pool.csv"
    path.write_text("review,stars\nGreat film.,5\nDull.,1\nFun.,5\n", encoding="utf-8")
    task = load_task("labeled")
    pool = read_pool(path, task, text_column="review", label_column="stars")
    adapted = adapt_task(task, pool, context="Film reviews.")
    assert adapted.classes == ["1", "5"] and adapted.context == "Film reviews."
    assert [e["id"] for e in adapted.examples] == ["ex-1", "ex-2", "ex-3"]
    assert adapt_task(task, pool, classes=["5", "1"]).classes == ["5", "1"]


def test_class_selector_shows_only_the_requested_class_drawn_afresh():
    selector = make_selector("class", TASK, POOL, 3, seed=2)
    draws = [selector.select_examples({"label": "negative"}) for _ in range(6)]
    # Four examples, two per half: a prompt shows its half's two rather than mixing the halves.
    assert all(len(d) == 2 and {e["label"] for e in d} == {"negative"} for d in draws)
    assert len({tuple(ids(d)) for d in draws}) > 1


def test_class_selector_contrast_comes_first_and_more_shots_can_be_asked_for():
    from chains.selectors import ClassAwareSelector, choose_examples

    selector = ClassAwareSelector(POOL, 2, seed=0, contrast=1)
    chosen = selector.select_examples({"label": "positive"})
    assert [e["label"] for e in chosen] == ["negative", "positive", "positive"]
    more = choose_examples(selector, {"label": "positive"}, extra=2)
    assert [e["label"] for e in more] == ["negative"] + ["positive"] * 4


def test_class_selector_without_a_requested_class_balances_the_classes():
    selector = make_selector("class", TASK, POOL, 4, seed=3)
    assert sorted(e["label"] for e in selector.select_examples({"text": "x"})) == ["negative"] * 2 + ["positive"] * 2
    unknown = selector.select_examples({"label": "neutral"})
    assert sorted(e["label"] for e in unknown) == ["negative"] * 2 + ["positive"] * 2


def test_labeled_tasks_default_to_the_class_selector_and_others_to_fixed():
    from runners.run.pool import default_selector

    assert default_selector(adapt_task(load_task("labeled"), POOL)) == "class"
    assert default_selector(load_task("labeled")) == "class"
    assert default_selector(load_task("paraphrase")) == "fixed"
    assert default_selector(TASK) == "fixed"  # classify asks for no class


TEN = [{"id": f"{label}-{i}", "text": f"{label} text {i}", "label": label} for label in ("a", "b") for i in range(10)]


def test_class_selector_shows_every_example_in_distinct_sets_each_from_one_half():
    from chains.selectors import ClassAwareSelector, halves

    selector = ClassAwareSelector(TEN, 4, seed=5)
    draws = [ids(selector.select_examples({"label": "a"})) for _ in range(9)]  # 30 rows at 4 per prompt, less 1
    assert {i for d in draws for i in d} == {f"a-{i}" for i in range(10)}
    assert len({frozenset(d) for d in draws}) >= 8
    split = halves(TEN, seed=5)
    assert all(len({split[i] for i in d}) == 1 for d in draws)  # each prompt's shots from one half
    assert [split[d[0]] for d in draws[:4]] == [0, 1, 0, 1]  # the halves alternate
    assert sorted(split[f"a-{i}"] for i in range(10)) == [0] * 5 + [1] * 5


def test_a_deck_repeats_no_example_before_all_were_dealt():
    import random

    from chains.selectors import Deck

    deck = Deck(TEN[:5], random.Random(0))
    first, second = deck.deal(3), deck.deal(3)
    assert len({e["id"] for e in first + second[:2]}) == 5  # the two hands cover all five before a repeat
    assert len({e["id"] for e in second}) == 3  # no example twice in one hand


def test_random_and_balanced_selectors_show_every_example_first():
    from chains.selectors import BalancedLabelSelector, RandomSelector

    random_pick = RandomSelector(TEN, 4, seed=1)
    assert len({e["id"] for _ in range(5) for e in random_pick.select_examples({})}) == 20
    balanced = BalancedLabelSelector(TEN, 4, seed=1)
    hands = [balanced.select_examples({}) for _ in range(5)]
    assert all(sorted(e["label"] for e in h) == ["a", "a", "b", "b"] for h in hands)
    assert len({e["id"] for h in hands for e in h}) == 20
