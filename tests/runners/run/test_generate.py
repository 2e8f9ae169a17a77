"""The generation loop with a scripted fake model: quotas, regeneration, rejects, dedup and resume."""

import json

from langchain_core.language_models import FakeListLLM

from chains import GenerationSettings, load_task
from chains.checks.dedup import dedup_key
from chains.checks.judge import Verdict
from runners.run.inputs import Inputs
from runners.run.store import read_jsonl
from tests.fakes import RecordingLLM, ScriptedBackend, ScriptedJudge, make_generator, toy_embed


def run(task_name, responses, rows, out, n=1, max_attempts=3, language="en", **options):
    llm = RecordingLLM(responses=responses, seen=[])
    gen = make_generator(load_task(task_name, language), llm, n=n, max_attempts=max_attempts, **options)
    return gen.run(Inputs(rows=rows), out), llm


def lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_rejected_answers_are_regenerated_until_the_quota_is_met(tmp_path):
    out = tmp_path / "out.jsonl"
    summary, llm = run("word", ["I think ramen is best", "Ramen", "Sushi"], {"a": {"text": "Lunch?"}}, out, n=2)
    assert summary.accepted == 2 and summary.rejected == 1 and summary.unmet == []
    rows = lines(out)
    assert [r["output"] for r in rows] == ["Ramen", "Sushi"]
    assert [r["id"] for r in rows] == ["a-0", "a-1"]
    assert [r["attempts"] for r in rows] == [1, 2]
    assert rows[0]["examples"] == ["en-word-1", "en-word-2", "en-word-3"]
    assert set(rows[0]) == {
        "id",
        "task",
        "language",
        "input_id",
        "inputs",
        "output",
        "label",
        "raw",
        "attempts",
        "examples",
        "model",
        "generation",
        "template",
        "seed",
        "judge",
        "logprob",
        "weight",
    }
    assert rows[0]["judge"] is None and rows[0]["logprob"] is None  # a fake model gives no log-probabilities
    rejects = lines(tmp_path / "out.rejected.jsonl")
    assert rejects == [
        {
            "input_id": "a",
            "label": None,
            "raw": "I think ramen is best",
            "reason": "expected one word, got 5 words",
            "kind": "parse",
            "attempt": 1,
            "logprob": None,
            "source": "Lunch?",
        }
    ]


def test_duplicates_and_copies_are_rejected(tmp_path):
    out = tmp_path / "out.jsonl"
    rows = {"1": {"text": "The bed was soft."}}
    summary, _ = run(
        "paraphrase",
        ["The bed was soft!", "The mattress was soft.", "the MATTRESS was soft", "A soft bed."],
        rows,
        out,
        n=2,
    )
    assert [r["output"] for r in lines(out)] == ["The mattress was soft.", "A soft bed."]
    rejects = lines(tmp_path / "out.rejected.jsonl")
    assert [r["reason"] for r in rejects] == ["copy of the input", "duplicate of an earlier row"]
    assert [r["source"] for r in rejects] == ["The bed was soft."] * 2  # what each answer restated


def test_attempts_run_out_and_the_shortfall_is_reported(tmp_path):
    summary, llm = run("word", ["two words"], {"a": {"text": "x"}}, tmp_path / "o.jsonl", n=1, max_attempts=3)
    assert summary.accepted == 0 and llm.calls == 1 + 2 + 2  # a retry asks for twice the need
    assert [q.shortfall() for q in summary.unmet] == [
        "a: 1 of 1 rows short after 3 attempts; most rejected as: parse (5x, e.g. expected one word, got 2 words)"
    ]


def test_label_rows_carry_the_label_and_labels_may_repeat(tmp_path):
    out = tmp_path / "out.jsonl"
    rows = {"1": {"text": "Great stay."}, "2": {"text": "Lovely pool."}}
    run("classify", ["Positive", "positive"], rows, out)
    assert [(r["output"], r["label"]) for r in lines(out)] == [("positive", "positive"), ("positive", "positive")]


def test_a_rerun_resumes_without_generating_again(tmp_path):
    out = tmp_path / "out.jsonl"
    rows = {"a": {"text": "x"}, "b": {"text": "y"}}
    run("word", ["Ramen", "Sushi"], rows, out)
    summary, llm = run("word", ["Pizza"], rows, out)
    assert llm.calls == 0 and summary.resumed == 2 and len(lines(out)) == 2


def test_a_torn_last_line_is_dropped_and_regenerated(tmp_path):
    out = tmp_path / "out.jsonl"
    rows = {"a": {"text": "x"}, "b": {"text": "y"}}
    run("word", ["Ramen", "Sushi"], rows, out)
    data = out.read_bytes()
    out.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 1] + b'{"id": "b-0", "outp')
    assert len(read_jsonl(out)) == 1
    run("word", ["Pizza"], rows, out)
    assert [r["output"] for r in lines(out)] == ["Ramen", "Pizza"]


def test_dedup_key_ignores_case_spacing_punctuation_and_width():
    assert dedup_key("Ｒａｍｅｎ!!  NOW") == dedup_key("ramen now") == "ramen now"
    assert dedup_key("김치찌개.") == dedup_key("김치찌개")


def test_per_label_quota_spreads_over_the_labels_inputs(tmp_path):
    out = tmp_path / "out.jsonl"
    rows = {
        "1": {"text": "Nice.", "label": "positive"},
        "2": {"text": "Good.", "label": "positive"},
        "3": {"text": "Bad.", "label": "negative"},
    }
    topics = "apples boats clouds doors eagles ferns gates hills inks jars kites lamps moths nets oaks pens quilts reeds sails tents".split()
    responses = [f"A sentence about {topic}." for topic in topics]  # no numbers: a paraphrase keeps its source's
    summary, _ = run("paraphrase", responses, rows, out, per_label=3)
    saved = lines(out)
    assert summary.unmet == []
    assert sorted(r["label"] for r in saved) == ["negative"] * 3 + ["positive"] * 3
    assert {r["input_id"] for r in saved if r["label"] == "positive"} == {"1", "2"}
    assert len({r["id"] for r in saved}) == 6


def test_near_duplicates_are_rejected_with_their_cosine(tmp_path):
    from chains.checks.dedup import NearDuplicateIndex

    index = NearDuplicateIndex(toy_embed, threshold=0.95)
    summary, _ = run(
        "headline",
        ["Storm hits coast", "Storm batters coast", "Markets rally"],
        {"d": {}},
        tmp_path / "h.jsonl",
        n=2,
        near_duplicates=index,
    )
    assert [r["output"] for r in lines(tmp_path / "h.jsonl")] == ["Storm hits coast", "Markets rally"]
    assert [r["reason"] for r in lines(tmp_path / "h.rejected.jsonl")] == [
        "near-duplicate of an earlier row (cosine 1.00)"
    ]


def test_each_row_records_the_examples_its_prompt_showed(tmp_path):
    from chains.selectors import RandomSelector

    task = load_task("paraphrase")
    pool = [{"id": f"p{i}", "text": f"Source {i}.", "output": f"Target {i}."} for i in range(6)]
    llm = FakeListLLM(responses=[f"Answer number {i}." for i in range(8)])
    gen = make_generator(task, llm, selector=RandomSelector(pool, 2, seed=3))
    gen.run(Inputs(rows={str(i): {"text": f"Input {i}."} for i in range(4)}), tmp_path / "o.jsonl")
    shown = [r["examples"] for r in lines(tmp_path / "o.jsonl")]
    assert all(len(s) == 2 and set(s) <= {p["id"] for p in pool} for s in shown)
    assert len({tuple(s) for s in shown}) > 1


def test_a_backend_runs_the_prompts_and_the_loop_keeps_quotas_and_retries(tmp_path):
    out = tmp_path / "out.jsonl"
    backend = ScriptedBackend([[["I think ramen is best"], ["Sushi"], ["Pho"]], [["Ramen", "Udon"]]])
    gen = make_generator(load_task("word"), FakeListLLM(responses=["unused"]), backend=backend)
    rows = {"a": {"text": "Lunch?"}, "b": {"text": "Dinner?"}, "c": {"text": "Snack?"}}
    summary = gen.run(Inputs(rows=rows), out)
    assert (summary.accepted, summary.rejected, summary.unmet) == (3, 1, [])
    # The retry asks for twice the need, under a key of its own.
    assert backend.requests == [[(0, 1), (1, 1), (2, 1)], [(3, 2)]]
    assert sorted((r["input_id"], r["output"], r["attempts"]) for r in lines(out)) == [
        ("a", "Ramen", 2),
        ("b", "Sushi", 1),
        ("c", "Pho", 1),
    ]


def test_a_retry_after_copies_records_a_stronger_copy_block(tmp_path):
    out = tmp_path / "out.jsonl"
    rows = {"1": {"text": "The bed was soft and warm."}}
    run("paraphrase", ["The bed was soft and warm.", "A warm, soft bed.", "A warm, soft bed."], rows, out)
    (row,) = lines(out)
    assert (row["output"], row["attempts"], row["generation"]["no_copy"]) == ("A warm, soft bed.", 2, 5)
    (reject,) = lines(tmp_path / "out.rejected.jsonl")
    assert (reject["kind"], reject["attempt"]) == ("copy", 1)


def test_an_off_label_verdict_brings_more_in_class_shots(tmp_path):
    from chains.selectors import ClassAwareSelector
    from runners.run.pool import adapt_task

    pool = [
        {"id": f"{label}{i}", "text": f"{label} text {i}", "label": label} for label in ("up", "down") for i in range(6)
    ]
    task = adapt_task(load_task("labeled"), pool)

    judge = ScriptedJudge(lambda call: Verdict("down" if call == 1 else "up", 0.9))  # off-label once
    llm = FakeListLLM(responses=["A new example.", "Another new example."])
    gen = make_generator(task, llm, selector=ClassAwareSelector(pool, 2, seed=0), judge=judge)
    gen.run(Inputs(rows={"up": {"label": "up"}}), out := tmp_path / "o.jsonl")
    (row,) = lines(out)
    assert row["attempts"] == 2 and len(row["examples"]) == 4 and all(e.startswith("up") for e in row["examples"])
    (reject,) = lines(tmp_path / "o.rejected.jsonl")
    assert reject["kind"] == "judge" and reject["reason"] == "judge labelled it down (0.90), not up"


def test_min_confidence_keeps_only_rows_the_judge_is_sure_of(tmp_path):
    def verdict(call):
        p = 0.55 if call == 1 else 0.9
        return Verdict("up", p, {"up": p, "down": 1 - p})

    llm = FakeListLLM(responses=["Unsure one.", "Sure one."])
    gen = make_generator(load_task("labeled"), llm, judge=ScriptedJudge(verdict), min_confidence=0.7)
    summary = gen.run(Inputs(rows={"positive": {"label": "up"}}), tmp_path / "o.jsonl")
    assert summary.accepted == 1
    (reject,) = lines(tmp_path / "o.rejected.jsonl")
    assert reject["reason"] == "judge gave up 0.55 < 0.7 (its label: up)"


def test_every_file_of_a_run_gets_the_mode_an_ordinary_open_would(tmp_path):
    import os
    import stat

    old = os.umask(0o027)
    try:
        run("word", ["Ramen", "two words"], {"a": {"text": "x"}}, tmp_path / "out.jsonl")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"out.jsonl": 0o640, "out.rejected.jsonl": 0o640, "out.manifest.json": 0o640}


def test_answers_the_model_was_unsure_of_are_rejected_and_rows_keep_their_logprob(tmp_path):
    out = tmp_path / "out.jsonl"
    backend = ScriptedBackend([[[("Ramen", -4.2)]], [[("Udon", -1.25), ("Pho", -0.5)]]])
    gen = make_generator(load_task("word"), FakeListLLM(responses=["unused"]), backend=backend, min_logprob=-3.0)
    gen.run(Inputs(rows={"a": {"text": "Lunch?"}}), out)
    assert [(r["output"], r["logprob"]) for r in lines(out)] == [("Udon", -1.25)]
    (reject,) = lines(tmp_path / "out.rejected.jsonl")
    assert reject["kind"] == "confidence" and reject["logprob"] == -4.2
    assert reject["reason"] == "the model was unsure of it (mean token log-probability -4.20 < -3.0)"


def test_a_greedy_run_gives_each_sample_a_prompt_of_its_own(tmp_path):
    greedy = load_task("paraphrase").model_copy(update={"generation": GenerationSettings(do_sample=False)})
    llm = RecordingLLM(responses=["The pool had shut its doors.", "Swimmers found the pool shut."], seen=[])
    gen = make_generator(greedy, llm, n=2, max_attempts=1)
    summary = gen.run(Inputs(rows={"a": {"text": "The pool was closed."}}), tmp_path / "out.jsonl")
    assert summary.accepted == 2
    prompts = [prompt for prompt, _ in llm.seen]
    assert len(prompts) == 2 and prompts[0] != prompts[1]  # asked again, the same prompt would answer the same
    assert [r["generation"]["variant"] for r in lines(tmp_path / "out.jsonl")] == [1, 2]
