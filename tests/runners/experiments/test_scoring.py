"""Scoring for `evaluate`: the training sets each run is scored with."""

from chains.checks.classifiers import Embedder
from runners.experiments.scoring import UNGATED, WEIGHTED, score_run
from tests.fakes import toy_embed

REAL = [{"text": f"{w} day number {i}", "label": w} for w in ("sunny", "rainy") for i in range(4)]
TEST = [{"text": f"{w} afternoon {i}", "label": w} for w in ("sunny", "rainy") for i in range(3)]
MADE = [{"output": f"{w} again {i}", "label": w, "weight": 0.5} for w in ("sunny", "rainy") for i in range(2)]


def scores(synthetic, weighted):
    run = score_run(10, 0, REAL, synthetic, TEST, Embedder(toy_embed), 1, MADE, weighted)
    return {(s.classifier, s.data): s for s in run}


def test_a_seed_whose_rows_were_all_held_back_scores_as_real_alone_in_the_weighted_line():
    held = scores([], weighted=True)
    for classifier in ("tfidf+lr", "minilm+lr"):
        assert held[classifier, WEIGHTED].accuracy == held[classifier, "real"].accuracy
        assert held[classifier, WEIGHTED].train_rows == len(REAL)
        assert held[classifier, UNGATED].train_rows == len(REAL) + len(MADE)


def test_only_rows_with_weights_or_a_task_that_gives_them_have_a_weighted_line():
    unweighted = [{**r, "weight": None} for r in MADE]
    assert not any(data == WEIGHTED for _, data in scores(unweighted, weighted=False))
    assert scores(MADE, weighted=False)["tfidf+lr", WEIGHTED].train_rows == len(REAL) + len(MADE)
