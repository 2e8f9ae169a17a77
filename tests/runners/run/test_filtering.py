"""Answer checks: parse and confidence, the label judge and its floor, dedup in row order."""

from chains import load_task
from chains.checks.dedup import NearDuplicateIndex
from chains.checks.judge import Verdict
from runners.run.filtering import AnswerFilter
from tests.fakes import toy_embed


class FixedJudge:
    name = "fixed"

    def __init__(self, verdict):
        self.verdict, self.seen = verdict, []

    def judge(self, texts):
        self.seen.append(list(texts))
        return [self.verdict for _ in texts]


def test_parse_errors_and_unsure_answers_give_no_values_and_a_kind():
    checks = AnswerFilter(load_task("word"), min_logprob=-3.0)
    assert checks.parse(("Ramen", -1.0)) == (["Ramen"], [])
    assert [r.kind for r in checks.parse(("two words", -1.0))[1]] == ["parse"]
    assert [r.kind for r in checks.parse(("Ramen", -3.5))[1]] == ["confidence"]
    assert checks.parse(("Ramen", None)) == (["Ramen"], [])  # a model that gives no log-probability


def test_one_judge_call_per_batch_and_its_floor():
    judge = FixedJudge(Verdict("up", 0.6, {"up": 0.6, "down": 0.4}))
    checks = AnswerFilter(load_task("labeled"), judge=judge, min_confidence=0.7)
    screened = checks.screen([({"label": "up"}, [("One row.", None), ("", None)]), ({"label": "up"}, [])])
    assert len(judge.seen) == 1 and judge.seen[0] == ["One row."]
    (candidates, rejections), (none, parse) = screened[0]
    assert rejections == [] and none == [] and [r.kind for r in parse] == ["parse"]
    assert candidates[0].rejection.kind == "judge" and candidates[0].verdict.label == "up"
    assert screened[1] == []


def test_the_judges_top_label_decides_without_a_floor():
    checks = AnswerFilter(load_task("labeled"), judge=FixedJudge(Verdict("Up", 0.51)))
    [[(candidates, _)]] = checks.screen([({"label": "up"}, [("A row.", None)])])
    assert candidates[0].rejection is None  # labels compare without case


def test_dedup_remembers_resumed_rows_and_labels_repeat_freely():
    checks = AnswerFilter(load_task("word"))
    checks.remember(["Ramen"])
    assert checks.admit("ramen!").kind == "duplicate"
    assert checks.admit("Sushi") is None and checks.admit("SUSHI").kind == "duplicate"
    labels = AnswerFilter(load_task("classify"))
    assert labels.admit("positive") is None and labels.admit("positive") is None


def test_near_duplicates_are_caught_after_exact_ones():
    checks = AnswerFilter(load_task("headline"), near_duplicates=NearDuplicateIndex(toy_embed, threshold=0.95))
    assert checks.admit("Storm hits coast") is None
    assert checks.admit("Storm batters coast").kind == "near_duplicate"
    assert checks.admit("Markets rally") is None


def test_a_task_with_a_source_gets_the_copy_check_by_default():
    checks = AnswerFilter(load_task("paraphrase"))
    values = {"text": "The room was clean."}
    [[(candidates, _)]] = checks.screen([(values, [("The room was clean.", None)])])
    assert candidates[0].rejection.kind == "copy"
