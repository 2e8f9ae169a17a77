"""Each quality metric on constructed data whose answer is known, and the report built from them."""

import math
import random

import numpy as np
import pytest

from runners.experiments.eda import eda
from runners.reports import metrics
from runners.reports.page import html_page, summary_table
from runners.reports.report import OVERALL, build_report
from runners.run.records import reject_kind


def unit(*rows):
    array = np.asarray(rows, dtype=np.float32)
    return array / np.linalg.norm(array, axis=1, keepdims=True)


def test_distinct_n_counts_unique_ngrams_after_normalising():
    assert metrics.distinct_n(["a b a b"], 1) == 0.5
    assert metrics.distinct_n(["A b, a B"], 2) == pytest.approx(2 / 3)
    assert metrics.distinct_n(["one"], 2) == 0.0


def test_duplicate_rate_ignores_case_spacing_and_punctuation():
    assert metrics.duplicate_rate(["Hello, world!", "hello   world", "Goodbye"]) == pytest.approx(1 / 3)
    assert metrics.duplicate_rate([]) == 0.0


def test_near_duplicate_rate_flags_rows_close_to_an_earlier_one():
    vectors = unit([1, 0, 0], [1, 0.1, 0], [0, 1, 0], [0, 0, 1])  # the second is cos 0.995 to the first
    assert metrics.near_duplicate_rate(vectors, 0.95) == 0.25
    assert metrics.near_duplicate_rate(vectors, 0.999) == 0.0
    assert metrics.near_duplicate_rate(vectors, 0.95, chunk=1) == 0.25  # the same across chunk edges


def test_mean_pairwise_similarity_without_the_diagonal():
    # Pairs: (1,2) = 1, (1,3) = 0, (2,3) = 0.
    assert metrics.mean_pairwise_similarity(unit([1, 0], [1, 0], [0, 1])) == pytest.approx(1 / 3)
    assert math.isnan(metrics.mean_pairwise_similarity(unit([1, 0])))


def test_nearest_similarity_is_the_best_other_row():
    np.testing.assert_allclose(metrics.nearest_similarity(unit([1, 0], [1, 0], [0, 1])), [1, 1, 0], atol=1e-6)


def test_length_stats():
    stats = metrics.length_stats(["a", "a b", "a b c", "a b c d"])
    assert (stats["mean"], stats["median"], stats["min"], stats["max"]) == (2.5, 2.5, 1, 4)


def test_token_overlap_and_copies():
    assert metrics.token_overlap("the cat sat", "The cat ran.") == 0.5
    assert metrics.is_copy("The cat sat.", "the  cat SAT")
    assert not metrics.is_copy("The cat sat.", "The cat sat down.")


def test_agreement_skips_rows_without_a_label():
    assert metrics.agreement(["fresh", "rotten", None], ["FRESH", "fresh", "rotten"]) == 0.5


def test_reject_kind_reads_the_kind_never_the_prose():
    assert reject_kind({"kind": "judge", "reason": "judge labelled it fresh (0.51), not rotten"}) == "judge"
    assert reject_kind({"reason": "duplicate of an earlier row"}) == "unknown"


def fake_embed(texts):
    """Texts about cats point one way, about dogs another: known similarities."""
    return [[1.0, 0.0] if "cat" in t else [0.0, 1.0] for t in texts]


def row(output, label, source):
    return {"task": "paraphrase", "output": output, "label": label, "inputs": {"text": source, "label": label}}


ROWS = [
    row("A cat sat down.", "pos", "The cat sat."),
    row("The cat sat.", "pos", "The cat sat."),  # an exact copy of its source
    row("A dog barked.", "neg", "The dog barked."),
    row("a dog barked", "neg", "A hound barked."),  # a duplicate of the row before
]


def test_report_per_label_and_overall():
    rejects = [
        {"label": "pos", "reason": "copy of the input", "kind": "copy"},
        {"label": "neg", "reason": "copy of the input", "kind": "copy"},
    ]
    report = build_report(ROWS, rejects, fake_embed, judged=["pos", "neg", "neg", "neg"], judge_source="test")
    by_name = {g.name: g for g in report.groups}
    assert list(by_name) == ["neg", "pos", OVERALL]
    assert (by_name[OVERALL].count, by_name[OVERALL].rejected) == (4, 2)
    assert by_name["pos"].valid_rate == pytest.approx(2 / 3)
    assert by_name["pos"].values["fidelity"] == 0.5 and by_name["neg"].values["fidelity"] == 1.0
    assert by_name[OVERALL].values["duplicates"] == 0.25
    assert by_name[OVERALL].values["near_duplicates"] == 0.5  # both second rows sit on the first
    assert by_name[OVERALL].values["pairwise"] == pytest.approx(2 / 6)
    assert by_name[OVERALL].values["copies"] == 1 and by_name[OVERALL].values["source_cosine"] == pytest.approx(1.0)
    assert report.reasons == {"copy": 2}


def test_summary_table_and_html_page():
    report = build_report(ROWS, [], fake_embed, title="run <1>")
    table = summary_table(report).splitlines()
    assert table[0].startswith("| label | rows | valid rate | distinct-1 |") and "label fidelity" not in table[0]
    assert table[-1].startswith("| all | 4 | 100% |")
    page = html_page(report)
    assert page.count("<figure>") == 4 and page.count("<svg") == 3  # no rejects: that chart says so
    assert "<script" not in page and "run &lt;1&gt;" in page


def test_the_page_shows_rows_and_rejects_per_label_escaped_and_a_map_of_real_and_synthetic_rows():
    rows = [{**r, "output": r["output"] + " <b>&"} for r in ROWS]
    rejects = [
        {"label": "pos", "raw": "<script>alert(1)</script>", "reason": "expected <one> sentence", "kind": "parse"}
    ]
    real = [{"text": "A cat.", "label": "pos"}, {"text": "A dog.", "label": "neg"}, {"text": "Cats.", "label": "pos"}]
    report = build_report(rows, rejects, fake_embed, title="t", real=real)
    assert report.map_points.shape == (7, 2) and report.map_real == [False] * 4 + [True] * 3
    assert report.map_labels == ["pos", "pos", "neg", "neg", "pos", "neg", "pos"]
    page = html_page(report)
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<tr class='accepted'>") == 4 and page.count("<tr class='rejected'>") == 1
    assert "A cat sat down. &lt;b&gt;&amp;" in page and "expected &lt;one&gt; sentence" in page
    assert page.count('class="map"') == 1 and page.count("<rect x=") >= 3


def test_eda_operations_keep_to_the_sentence_words():
    text = "the quick brown fox jumps over the lazy dog today"
    original = sorted(text.split())
    for seed in range(50):
        out = eda(text, random.Random(seed)).split()
        assert set(out) <= set(original)  # no word from outside the sentence
        assert sorted(out) == original or len(out) != len(original)  # a swap keeps the words
    assert eda("one", random.Random(0)) == "one"
