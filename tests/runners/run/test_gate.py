"""The gate: a row's sources on the pool, and which rows are saved, held back or weighted by validation."""

from dataclasses import replace

from chains.checks.heldout import HalfScore, HeldOut
from chains.checks.validation import Estimate, Gain, Validation
from chains.task import load_task
from runners.run.gate import Evidence, balance, decide, labelled_pool, provenance, too_small
from runners.run.inputs import Inputs

POOL = [{"id": "ex-1", "text": "Great view.", "label": "good"}, {"id": "ex-2", "text": "Dirty room.", "label": "bad"}]


def validation(gain, low, high, other=(0.1, 0.9), threshold_gain=None):
    estimate = {c: Estimate(Gain(gain, low, high), {}) for c in ("tfidf+lr", "minilm+lr")}
    estimates = {None: estimate}
    if threshold_gain is not None:
        estimates[0.5] = {c: Estimate(Gain(threshold_gain, low, high), {}) for c in estimate}
    return Evidence(Validation(estimates, list(other), [0.9, 0.1], 8, 0, 4, 3))


def halves(alone, scored=60, chance=1 / 6):
    """Scores on the unseen halves: a classifier on the rows alone at `alone` accuracy."""
    score = HalfScore(alone, 0.4, Gain(5.0, -3.0, 13.0))
    return HeldOut({"tfidf+lr": score, "minilm+lr": score}, scored, 120, chance)


ROWS = [
    {"output": "Lovely view.", "label": "good", "input_id": "good", "examples": ["ex-1"], "inputs": {"label": "good"}},
    {"output": "Nice room.", "label": "bad", "input_id": "ex-2", "examples": [], "inputs": {"text": "Dirty room."}},
]


def test_a_rows_sources_are_the_examples_it_was_shown_and_the_input_it_restates():
    assert provenance(ROWS[0], POOL) == {"ex-1"}
    assert provenance(ROWS[1], POOL) == {"ex-2"}
    assert provenance({"output": "x", "label": "good"}, POOL) is None  # made elsewhere: unknown


def test_rows_that_would_hurt_beyond_the_interval_are_all_held_back_with_one_line():
    verdict = decide(ROWS, validation(-6.0, -9.0, -2.0))
    assert verdict.kept == [] and [r["kind"] for r in verdict.held] == ["pool_validation"] * 2
    assert (
        "would lower accuracy, every classifier below zero and at least one beyond its interval "
        "(tfidf -6.0 [-9.0, -2.0], minilm -6.0 [-9.0, -2.0] points)" in verdict.line
    )
    assert verdict.line.endswith("--keep-held saves them). Try a stronger model (--model qwen2.5-coder-1.5b)")
    assert "7-8B" in decide(ROWS, validation(-6.0, -9.0, -2.0), model="qwen2.5-coder-1.5b").line  # never the same


def test_one_classifier_beyond_its_interval_holds_rows_back_only_where_every_estimate_is_below_zero():
    def mixed(other_gain):  # tweets, fresh seed 30: rows that cost 7-9 points on the test set
        evidence = validation(-5.3, -10.7, -0.7)
        evidence.validation.estimates[None]["tfidf+lr"] = Estimate(Gain(other_gain, -9.3, +2.0), {})
        return evidence

    assert decide(ROWS, mixed(-3.3)).kept == []
    assert len(decide(ROWS, mixed(+0.5)).kept) == 2  # the classifiers disagree: harm is not clear


def test_rows_are_kept_with_their_weights_unless_harm_is_clear():
    for gain, low, high in [(+3.0, -1.0, +7.0), (+1.0, -5.0, +7.0), (-3.0, -9.0, +3.0)]:  # no bar above zero
        verdict = decide(ROWS, validation(gain, low, high))
        assert [r["weight"] for r in verdict.kept] == [0.9, 0.1] and verdict.held == [] and verdict.line is None


def test_rows_without_class_signal_on_the_unseen_halves_and_no_gain_are_held_back():
    near_chance, signal = halves(0.20), halves(0.45)  # 1/6 + a standard error is 21%
    held = decide(ROWS, Evidence(validation(-1.0, -8.0, +6.0).validation, near_chance))
    assert held.kept == [] and "labels the pool examples they were not made from 20% right" in held.line
    assert "no better than chance (17%), and validation on the pool estimates -1.0 points" in held.line
    # Either sign alone is weak on a small pool: near chance with a positive estimate, or signal with a
    # negative one (within its interval), the rows are saved.
    assert len(decide(ROWS, Evidence(validation(+2.0, -4.0, +8.0).validation, near_chance)).kept) == 2
    saved = decide(ROWS, Evidence(validation(-1.0, -8.0, +6.0).validation, signal))
    assert len(saved.kept) == 2 and saved.validation["held_out"]["details"]["signal"] is True
    # Where the model's own classify prompt found class signal in the rows, it stands in for the rows-alone test.
    evidence = Evidence(validation(-1.0, -8.0, +6.0).validation, near_chance)
    assert len(decide(ROWS, evidence, model_signal=True).kept) == 2
    # ... but not for clear harm.
    assert decide(ROWS, Evidence(validation(-9.0, -12.0, -6.0).validation), model_signal=True).kept == []


def test_the_off_label_filter_applies_only_where_it_measured_better_and_keeps_the_classes_even():
    rows = ROWS + [{**ROWS[0], "output": "Sunny room."}, {**ROWS[1], "output": "Cold tea."}]
    evidence = validation(-1.0, -5.0, +3.0, other=(0.1, 0.9, 0.2, 0.3), threshold_gain=+2.0)
    better = decide(rows, Evidence(replace(evidence.validation, weights=[0.9, 0.1, 0.8, 0.7])))
    # "Nice room." is off-label; "Sunny room." goes too, so that each class adds one row.
    assert [r["output"] for r in better.kept] == ["Lovely view.", "Cold tea."]
    assert better.held[0]["reason"].startswith("the classifiers trained on the pool put it in another class (0.90)")
    assert better.held[1]["kind"] == "balance" and better.held_rows[1]["output"] == "Sunny room."
    worse = decide(ROWS, validation(+3.0, -5.0, +7.0, threshold_gain=-2.0))
    assert len(worse.kept) == 2


def test_the_pool_is_the_tasks_labelled_examples_and_inputs_and_needs_four_per_class():
    task = load_task("labeled")
    inputs = Inputs(rows={"7": {"text": "The pool was cold.", "label": "negative"}, "8": {"label": "positive"}})
    pool = labelled_pool(task, inputs)
    assert len(pool) == len(task.examples) + 1 and pool[-1]["id"] == "7"
    assert "(class 'negative' has 3; 4 per class are needed)" in too_small(pool)
    assert too_small([{**e, "id": f"{e['id']}-{i}"} for i in range(2) for e in pool]) is None


def test_every_class_adds_as_many_rows_as_the_class_with_the_fewest():
    rows = [{"output": f"r{i}", "label": label} for i, label in enumerate(["a", "a", "b", "a", "b", "a"])]
    kept, extra = balance(rows, ["a", "b"])
    assert [r["output"] for r in kept] == ["r0", "r1", "r2", "r4"]
    assert [r["raw"] for r in extra] == ["r3", "r5"] and extra[0]["kind"] == "balance"
    assert balance(rows, ["a", "b", "c"])[0] == []  # a class with no rows: no row of the others either


def test_rows_in_another_language_than_english_are_judged_by_tfidf_alone():
    """all-MiniLM-L6-v2 reads English only; on Korean its classifier is near chance, so it has no vote there."""
    from chains.checks.classifiers import Embedder
    from runners.run.gate import estimate_or_why
    from tests.chains.checks.test_validation import sparse_pool, topic_embed

    real = sparse_pool()
    rows = [{"output": f"so {r['text'].split()[-1]}", "label": r["label"], "examples": [r["id"]]} for r in real]
    korean, _ = estimate_or_why(real, rows, Embedder(topic_embed), language="ko")
    english, _ = estimate_or_why(real, rows, Embedder(topic_embed), language="en")
    assert {"tfidf", "minilm"} & set(korean.to_dict()) == {"tfidf"}
    assert set(korean.to_dict()["held_out"]) == {"tfidf", "details"}
    assert {"tfidf", "minilm"} <= set(english.to_dict())


def test_a_one_class_pool_is_named_as_such_and_says_what_to_add():
    from runners.run.gate import too_small

    why = too_small([{"id": str(i), "text": f"t{i}", "label": "praise"} for i in range(6)])
    assert "one class ('praise')" in why and "add examples of another class" in why
    assert "is empty" in too_small([])


def test_the_label_check_holds_back_rows_the_model_puts_in_another_class_and_keeps_the_classes_even():
    from chains.checks.judge import Verdict
    from runners.run.gate import label_check

    rows = [{"output": f"row {i}", "label": label} for i, label in enumerate(["good", "good", "good", "bad", "bad"])]
    verdicts = [
        Verdict("good", 1.0),
        Verdict("Good", 0.6),
        Verdict("bad", 0.8),
        Verdict("bad", 1.0),
        Verdict(None, 0.0),
    ]
    kept, held, held_rows = label_check(rows, verdicts, ["bad", "good"])
    assert [r["output"] for r in kept] == ["row 0", "row 3"]  # one of each class: "bad" has one left
    assert [(h["raw"], h["kind"]) for h in held] == [
        ("row 2", "label_check"),
        ("row 4", "label_check"),
        ("row 1", "balance"),
    ]
    assert "labels it bad (0.80)" in held[0]["reason"] and "with no class" in held[1]["reason"]
    assert [r["output"] for r in held_rows] == ["row 2", "row 4", "row 1"] and all(r["gate"] for r in held_rows)


def test_label_agreement_is_the_share_of_rows_in_their_own_class_against_chance_and_its_standard_errors():
    from chains.checks.judge import Verdict
    from runners.run.gate import label_agreement

    rows = [{"label": "good"}] * 8 + [{"label": "bad"}] * 8
    verdicts = [Verdict("good", 1.0)] * 7 + [Verdict("bad", 1.0)] * 9
    agreement, bar = label_agreement(rows, verdicts, ["bad", "good"])
    assert agreement == 15 / 16 and bar == 0.75  # chance 0.5 + 2 standard errors of a guess on 16 rows
    assert label_agreement(rows, [Verdict("good", 1.0)] * 16, ["bad", "good"])[0] == 0.5
    assert label_agreement(rows[:1], verdicts[:1], ["a", "b", "c", "d"])[1] == 0.25 + 2 * (0.25 * 0.75) ** 0.5


def test_where_the_models_own_labels_found_signal_the_off_label_filter_does_not_run():
    rows = ROWS + [{**ROWS[0], "output": "Sunny room."}, {**ROWS[1], "output": "Cold tea."}]
    evidence = validation(-1.0, -5.0, +3.0, other=(0.1, 0.9, 0.2, 0.3), threshold_gain=+2.0)
    evidence = Evidence(replace(evidence.validation, weights=[0.9, 0.1, 0.8, 0.7]))
    assert len(decide(rows, evidence).kept) == 2  # the pool's classifiers alone: "Nice room." is dropped
    trusted = decide(rows, evidence, model_signal=True)
    assert [r["output"] for r in trusted.kept] == [r["output"] for r in rows] and trusted.held == []
    assert [r["weight"] for r in trusted.kept] == [0.9, 0.1, 0.8, 0.7]
    details = trusted.validation["details"]
    assert details["filter"] is None and details["dropped"] == 0
    assert details["notes"][-1].startswith("the off-label filter did not run")


def test_where_the_pools_own_classifiers_are_at_chance_the_off_label_filter_does_not_run():
    rows = ROWS + [{**ROWS[0], "output": "Sunny room."}, {**ROWS[1], "output": "Cold tea."}]
    evidence = validation(+1.0, -5.0, +7.0, other=(0.1, 0.9, 0.2, 0.3), threshold_gain=+2.0)
    weighted = replace(evidence.validation, weights=[0.9, 0.1, 0.8, 0.7])

    def two_halves(real):  # two classes of 10: chance is 50%, one standard error 11 points
        score = HalfScore(0.7, real, Gain(5.0, -3.0, 13.0))
        return HeldOut({"tfidf+lr": score, "minilm+lr": score}, 20, 80, 0.5)

    assert len(decide(rows, Evidence(weighted, two_halves(0.7))).kept) == 2  # one half labels the other: filtered
    at_chance = decide(rows, Evidence(weighted, two_halves(0.55)))
    assert len(at_chance.kept) == 4 and at_chance.validation["details"]["dropped"] == 0
    assert "label the other no better than chance" in at_chance.validation["details"]["notes"][-1]
