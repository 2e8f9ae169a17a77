"""Rows scored on the half of the pool they were not made from: class signal, and the gain of adding them."""

from chains.checks.classifiers import Embedder
from chains.checks.heldout import held_out
from chains.selectors import halves
from tests.chains.checks.test_validation import WORDS, sparse_pool, topic_embed


def rows_from_halves(real, split, text):
    """Two rows per pool example, each made from that example alone (so from its half), with `text(label, i)`."""
    return [
        {"text": text(r["label"], i), "label": r["label"], "sources": frozenset({r["id"]})}
        for r in real
        for i in range(2)
    ]


def test_rows_with_their_class_words_carry_signal_and_rows_without_do_not():
    real = sparse_pool()
    split = halves(real, seed=3)
    embedder = Embedder(topic_embed)
    good = held_out(real, rows_from_halves(real, split, lambda label, i: f"so {WORDS[label][i]}"), split, embedder)
    assert good.signal and good.alone > 0.8 and good.rows == 32 and good.scored == 16
    blank = held_out(real, rows_from_halves(real, split, lambda label, i: f"row {i} zq"), split, embedder)
    # The texts name nothing of their class that the unseen half shares: a guess, whatever the label says.
    assert not blank.signal and blank.alone <= blank.chance + blank.margin()
    assert good.to_dict()["details"]["signal"] is True


def test_rows_that_mix_the_halves_or_lack_sources_are_not_scored_and_a_half_without_a_class_gives_none():
    real = sparse_pool()
    split = halves(real, seed=3)
    embedder = Embedder(topic_embed)
    mixed = [{"text": "so great", "label": "good", "sources": frozenset(r["id"] for r in real[:8])}]
    assert held_out(real, mixed, split, embedder) is None
    one_class = [r for r in rows_from_halves(real, split, lambda label, i: "so fine") if r["label"] == "good"]
    assert held_out(real, one_class, split, embedder) is None
