"""The independent judge of `evaluate`'s label fidelity reads the data set's language."""

from chains.checks.classifiers import Embedder
from runners.experiments.evaluate import independent_judge
from tests.fakes import toy_embed

KOREAN = [
    {"text": t, "label": label}
    for label, words in (("positive", ("최고", "재밌", "감동")), ("negative", ("별로", "지루", "노잼")))
    for w in words
    for t in (f"{w}이에요", f"정말 {w}", f"{w} 영화")
]


def test_a_korean_set_is_judged_by_tfidf_which_reads_its_characters():
    judge = independent_judge(KOREAN, "ko", Embedder(toy_embed))
    assert judge.name == "TF-IDF + LR"
    assert judge.agrees(["최고 최고", "지루 지루"], ["positive", "negative"]) == [True, True]
    assert judge.agrees(["최고 최고"], ["negative"]) == [False]
    assert judge.agrees([], []) == []


def test_an_english_set_is_judged_by_minilm():
    rows = [{"text": f"{w} day {i}", "label": w} for w in ("sunny", "rainy") for i in range(4)]
    assert independent_judge(rows, "en", Embedder(toy_embed)).name == "MiniLM + LR"
