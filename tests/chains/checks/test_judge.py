"""Label judges and the `--verify-label` filter, with fakes for the model and the embeddings."""

import json

import pytest
from langchain_core.language_models import FakeListLLM

from chains import load_task
from chains.checks.judge import ChainJudge, Competence, EmbeddingJudge, Verdict, competence, judge_task
from runners.experiments.scoring import DATA, Score, draw, split, table
from runners.run.inputs import Inputs
from tests.fakes import make_generator

LABELLED = [
    {"text": "great fun", "label": "fresh"},
    {"text": "great acting", "label": "fresh"},
    {"text": "dull plot", "label": "rotten"},
    {"text": "dull and slow", "label": "rotten"},
]


def word_embed(texts):
    return [[t.count("great") + 0.1, t.count("dull") + 0.1] for t in texts]


def test_embedding_judge_learns_the_labels_and_reports_its_probability():
    verdicts = EmbeddingJudge(word_embed, LABELLED).judge(["great great", "dull dull"])
    assert [v.label for v in verdicts] == ["fresh", "rotten"]
    assert all(0.5 < v.confidence <= 1 for v in verdicts)


def test_embedding_judge_needs_two_classes():
    with pytest.raises(ValueError, match="two classes"):
        EmbeddingJudge(word_embed, LABELLED[:2])


def test_chain_judge_takes_the_majority_of_its_votes():
    task = judge_task(load_task("classify"), load_task("paraphrase"), LABELLED)
    llm = FakeListLLM(responses=["fresh", "Label: fresh", "rotten", "no idea at all", "rotten", "rotten"])
    verdicts = ChainJudge(task, llm, votes=3).judge(["a", "b"])
    assert verdicts == [
        Verdict("fresh", 2 / 3, {"fresh": 2 / 3, "rotten": 1 / 3}),
        Verdict("rotten", 2 / 3, {"fresh": 0.0, "rotten": 2 / 3}),
    ]


def test_judge_task_alternates_classes_and_keeps_the_context():
    task = judge_task(load_task("classify"), load_task("labeled"), LABELLED, per_class=2)
    assert [e["label"] for e in task.examples] == ["fresh", "rotten", "fresh", "rotten"]
    assert task.classes == ["positive", "negative"]  # the generating task's classes win
    assert task.context == load_task("labeled").context
    # A task with no context of its own does not inherit the classify template's (hotel reviews).
    assert judge_task(load_task("classify"), load_task("paraphrase"), LABELLED).context == ""


class ByWordJudge:
    """Labels a text `fresh` if it says great, else `rotten`."""

    name = "by-word"

    def judge(self, texts):
        return [Verdict("fresh" if "great" in t else "rotten", 0.9) for t in texts]


def test_rows_the_judge_disagrees_with_are_rejected_and_regenerated(tmp_path):
    out = tmp_path / "out.jsonl"
    llm = FakeListLLM(responses=["A dull film.", "A great film."])
    generator = make_generator(load_task("paraphrase"), llm, judge=ByWordJudge())
    summary = generator.run(Inputs(rows={"a": {"text": "Great fun.", "label": "fresh"}}), out)
    assert (summary.accepted, summary.rejected) == (1, 1)
    row = json.loads(out.read_text())
    assert row["output"] == "A great film." and row["judge"] == {"name": "by-word", "label": "fresh", "confidence": 0.9}
    reject = json.loads((tmp_path / "out.rejected.jsonl").read_text())
    assert reject["reason"] == "judge labelled it rotten (0.90), not fresh" and reject["label"] == "fresh"
    assert generator.spec.manifest()["verify_label"] == "by-word"


def test_split_is_balanced_and_disjoint_and_draw_is_seeded():
    rows = [{"text": f"t{i}", "label": "ab"[i % 3 == 0]} for i in range(60)]
    pool, test = split(rows, 10)
    assert sorted(r["label"] for r in test) == ["a"] * 5 + ["b"] * 5
    assert not {r["text"] for r in pool} & {r["text"] for r in test} and len(pool) + len(test) == 60
    first = draw(pool, 3, seed=1)
    assert first == draw(pool, 3, seed=1) and first != draw(pool, 3, seed=2)
    assert sorted(r["label"] for r in first) == ["a"] * 3 + ["b"] * 3
    with pytest.raises(ValueError, match="fewer than 40"):
        draw(pool, 40, seed=0)


def test_table_reports_mean_std_and_gains():
    scores = [
        Score(10, seed, "minilm+lr", data, 20, accuracy, accuracy)
        for seed, base in [(0, 0.60), (1, 0.62)]
        for data, accuracy in zip(DATA, [base, base + 0.02, base + 0.05])
    ]
    text = table(scores)
    assert "| 10 | minilm+lr | real | 20 | 61.0 ± 1.4 | 61.0 ± 1.4 |" in text
    assert "| k | classifier | added rows | seed 0 | seed 1 | mean ± std |" in text
    assert "| 10 | minilm+lr | synthaug | +5.0 | +5.0 | +5.0 ± 0.0 |" in text
    assert "| 10 | minilm+lr | EDA | +2.0 | +2.0 | +2.0 ± 0.0 |" in text


def test_judge_quality_gives_precision_and_recall_per_class_and_floor():
    from runners.experiments.scoring import judge_quality

    class Judge:
        def judge(self, texts):
            table = {"a": {"x": 0.9, "y": 0.1}, "b": {"x": 0.6, "y": 0.4}, "c": {"x": 0.2, "y": 0.8}}
            return [Verdict(max(table[t], key=table[t].get), max(table[t].values()), table[t]) for t in texts]

    test = [{"text": "a", "label": "x"}, {"text": "b", "label": "y"}, {"text": "c", "label": "y"}]
    lines = judge_quality(Judge(), test, floors=(0.0, 0.7))
    assert lines == [
        "| x | top label | 50.0% | 100.0% |",  # a and b placed in x, only a is x
        "| x | 0.7 | 100.0% | 100.0% |",  # b (0.6) is left out at the floor
        "| y | top label | 100.0% | 50.0% |",
        "| y | 0.7 | 100.0% | 50.0% |",
    ]


def test_competence_scores_the_judge_on_the_examples_its_prompt_does_not_show():
    pool = LABELLED + [{"text": f"great {i}", "label": "fresh"} for i in range(6)]
    pool += [{"text": f"dull {i}", "label": "rotten"} for i in range(6)]
    task = judge_task(load_task("classify"), load_task("paraphrase"), pool, per_class=2)
    right = competence(ChainJudge(task, FakeListLLM(responses=["fresh"] * 6 + ["rotten"] * 6), votes=1), pool)
    assert (right.accuracy, right.scored, right.chance) == (1.0, 12, 0.5) and right.competent
    # One class for everything is chance on balanced examples: not trusted.
    constant = competence(ChainJudge(task, FakeListLLM(responses=["fresh"]), votes=1), pool)
    assert constant.accuracy == 0.5 and not constant.competent


def test_competence_needs_a_clear_margin_over_chance_on_few_examples():
    assert not Competence(0.7, 10, 0.5).competent  # 2 standard errors of a guess on 10 is 0.32
    assert Competence(0.85, 10, 0.5).competent
    assert Competence(0.5, 40, 0.25).competent and not Competence(0.35, 40, 0.25).competent
    assert not Competence(0.0, 0, 0.5).competent


def test_a_seeded_judge_votes_the_same_whatever_the_model_answered_before(embedded_llm):
    """A rerun judges a set as the first run did, though a resumed run asks the model fewer things before it."""
    task = judge_task(load_task("classify", "en"), load_task("labeled", "en"), [])
    texts = ["The room was filthy.", "Lovely staff and a great view.", "The bed was fine, the food was not."]
    votes = lambda judge: [v.scores for v in judge.judge(texts)]  # noqa: E731
    seeded = ChainJudge(task, embedded_llm, seed=11)
    first = votes(seeded)
    embedded_llm.generate_scored(["Say something."], n=3, do_sample=True, temperature=1.0)  # moves the model's own seed
    assert votes(seeded) == first
    assert votes(ChainJudge(task, embedded_llm, seed=12)) != first  # the votes are drawn, and the seed draws them
