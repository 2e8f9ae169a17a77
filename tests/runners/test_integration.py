"""End to end on the real embedded SmolLM2-135M-Instruct: every English task, the chain API and the CLI."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.exceptions import OutputParserException

from chains import ModelUnavailableError, build_chain, build_prompt, load_llm, load_task, parser_for, render_messages
from chains.prompts import chatml
from runners.run.generate import Generator
from runners.run.inputs import Inputs, default_inputs
from runners.run.spec import RunSpec
from tests.kinds import check

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
INPUTS = {
    "paraphrase": {"1": {"text": "The room was clean and quiet."}, "2": {"text": "We waited an hour to check in."}},
    "classify": {"1": {"text": "The staff were rude and the room was dirty."}, "2": {"text": "We loved the view."}},
}


@pytest.mark.parametrize("name", ["utterance", "headline", "paraphrase", "labeled", "classify", "word"])
def test_each_english_task_fills_its_quota_with_valid_rows(embedded_llm, name, tmp_path):
    task = load_task(name)
    inputs = Inputs(rows=INPUTS[name]) if name in INPUTS else default_inputs(task)
    n = 1 if name == "classify" else 3
    out = tmp_path / "out.jsonl"
    spec = RunSpec.for_model(task, embedded_llm, "embedded", n=n, max_attempts=12)
    generator = Generator(spec, embedded_llm, progress=False)
    summary = generator.run(inputs, out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert summary.unmet == []
    assert len(rows) == n * len(inputs.rows)
    parser = parser_for(task)
    for row in rows:
        assert check("sentence" if task.output == "sentences" else task.output, row["output"], task.classes), row
        parsed = parser.parse(row["raw"])
        assert row["output"] in (parsed if isinstance(parsed, list) else [parsed])
    if name == "labeled":
        assert sorted({r["label"] for r in rows}) == ["negative", "positive"]


def test_a_question_is_restated_as_a_question_from_question_shots(embedded_llm, tmp_path):
    """Shown statements restated, the embedded model answered questions instead (5 of 24 rows saved on eight
    questions); shown questions restated, it restates them."""
    task = load_task("paraphrase")
    questions = {
        "1": {"text": "Can you tell me where the nearest pharmacy is?"},
        "2": {"text": "Is the garage open on Sundays?"},
    }
    out = tmp_path / "out.jsonl"
    spec = RunSpec.for_model(task, embedded_llm, "embedded", n=2, max_attempts=5)
    summary = Generator(spec, embedded_llm, progress=False).run(Inputs(rows=questions), out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert summary.accepted >= 2 and all(row["output"].rstrip().endswith("?") for row in rows)
    shown = {i for row in rows for i in row["examples"]}
    assert shown and shown <= {"en-paraphrase-4", "en-paraphrase-5"}


def test_the_models_chat_template_matches_the_rendering_the_unit_tests_pin(embedded_llm):
    messages = build_prompt(load_task("labeled")).invoke({"label": "positive"}).to_messages()
    tokenizer = embedded_llm.pipeline.tokenizer
    rendered = render_messages(messages, tokenizer)
    assert (
        rendered
        == render_messages(messages)
        == chatml(
            [
                {"role": r, "content": m.content}
                for r, m in zip(["system"] + ["user", "assistant"] * 4 + ["user"], messages)
            ]
        )
    )


def test_chain_invoke_batch_and_stream_on_the_real_model(embedded_llm):
    chain = build_chain(load_task("classify"), embedded_llm)
    assert chain.invoke({"text": "The staff were rude and the room was dirty."}) in ("positive", "negative")
    results = chain.batch([{"text": "We loved it."}, {"text": "Terrible stay."}], return_exceptions=True)
    assert len(results) == 2
    assert all(r in ("positive", "negative") or isinstance(r, OutputParserException) for r in results)
    streamed = list(chain.stream({"text": "Great breakfast."}))
    assert len(streamed) == 1 and streamed[0] in ("positive", "negative")


def test_a_paraphrase_chain_returns_only_answers_the_command_line_would_keep(embedded_llm):
    from chains.checks.embeddings import load_embeddings
    from chains.checks.fidelity import SourceCheck

    task = load_task("paraphrase")
    sources = [
        "Can you recommend a good restaurant near the station?",
        "Is the museum open on Mondays?",
        "Check-in took forty minutes.",
        "Our flight was delayed by three hours.",
        "The hotel charged us 20 euros for parking.",
    ]
    results = build_chain(task, embedded_llm).batch([{"text": s} for s in sources], return_exceptions=True)
    answers = [(r, s) for r, s in zip(results, sources) if not isinstance(r, Exception)]
    assert all(isinstance(r, OutputParserException) for r in results if isinstance(r, Exception))
    assert answers  # not vacuous: some inputs got an answer
    cli = SourceCheck(load_embeddings().embed_documents)  # what `generate` checks with its defaults
    assert cli.check(answers) == [None] * len(answers), answers
    assert all(parser_for(task).parse(answer) == answer for answer, _ in answers)


def test_n_samples_per_prompt_come_back_from_one_call(embedded_llm):
    prompt = render_messages(build_prompt(load_task("word")).invoke({"text": "Name a fruit."}).to_messages())
    result = embedded_llm.generate(
        [prompt, prompt], n=3, boundary="word", max_new_tokens=8, do_sample=True, temperature=0.7
    )
    texts = [[g.text for g in gens] for gens in result.generations]
    assert [len(t) for t in texts] == [3, 3]
    # each ends after its first word; a lead token before it ("Answer:", "1.") is allowed, as in decoding
    words = [[w for w in t.split() if not w.endswith(":") and not w.rstrip(".)").isdigit()] for g in texts for t in g]
    assert all("\n" not in t for group in texts for t in group) and all(len(w) <= 1 for w in words), texts


def test_one_call_decodes_at_a_time_on_a_shared_model(embedded_llm):
    """LangChain's `batch` calls a model from a thread pool; concurrent decoding on one model corrupted later
    answers, so a second call waits until the first is done."""
    import threading

    prompt = render_messages(build_prompt(load_task("word")).invoke({"text": "Name a fruit."}).to_messages())
    release, order = threading.Event(), []

    def first_pull(queue=[(0, prompt, 1, None, {})]):  # noqa: B006 - one request, then nothing
        release.wait(10)
        return queue.pop() if queue else None

    def first():
        list(embedded_llm.serve(first_pull, max_new_tokens=4))
        order.append("first")

    thread = threading.Thread(target=first)
    thread.start()
    second = threading.Thread(
        target=lambda: (embedded_llm.generate([prompt], max_new_tokens=4), order.append("second"))
    )
    second.start()
    second.join(2)
    assert order == [] and second.is_alive()  # the second call waits while the first holds the model
    release.set()
    thread.join(30)
    second.join(30)
    assert order == ["first", "second"]


def test_batched_decoding_with_a_cached_prefix_matches_plain_generate():
    """Greedy answers from the batched, prefix-cached, row-dropping path equal model.generate one prompt at a time."""
    import torch

    embedded_llm = load_llm(dtype="float32", batch_size=3)  # float32: padding must not change a greedy answer
    task = load_task("paraphrase")
    texts = [
        "The pool was cold.",
        "Our flight was delayed by three hours because of fog.",
        "Nice staff.",
        "The museum opens at nine.",
    ]
    prompts = [render_messages(build_prompt(task).invoke({"text": t}).to_messages()) for t in texts]
    model, tokenizer = embedded_llm.pipeline.model, embedded_llm.pipeline.tokenizer
    expected = []
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**ids, max_new_tokens=24, do_sample=False, pad_token_id=tokenizer.pad_token_id)
        expected.append(tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True))
    got = [
        [g.text for g in gens]
        for gens in embedded_llm.generate(prompts, max_new_tokens=24, do_sample=False).generations
    ]
    assert [g[0] for g in got] == expected


def test_a_hub_model_that_cannot_be_had_says_how_to_fix_it(monkeypatch):
    with pytest.raises(ModelUnavailableError, match="is not available offline.*pass the path of a local model folder"):
        load_llm("no-such-org/no-such-model")  # this machine reaches no hub
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError, match=r"not available offline.*\(HF_HUB_OFFLINE is set\); download it"):
        load_llm("no-such-org/no-such-model")


def test_cli_generate_writes_only_valid_rows(tmp_path):
    out = tmp_path / "labeled.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "runners", "generate", "labeled", "--n", "2", "--output", str(out), "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert f"rows: {out}" in result.stdout
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4
    parser = parser_for(load_task("labeled"))
    assert all(parser.parse(r["raw"]) == r["output"] for r in rows)
    manifest = json.loads((tmp_path / "labeled.manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["accepted"] == 4 and manifest["task"] == "labeled"


def test_cli_labelled_run_with_an_auto_label_judge_on_the_real_model(tmp_path):
    """`--verify-label auto` on the bundled sample: the classify prompt is scored on the pool first, and the rows
    are judged as they are made exactly where it was competent."""
    out = tmp_path / "labeled.jsonl"
    command = ["generate", "labeled", "--examples", "templates/samples/hotel_reviews.csv", "--per-label", "2"]
    result = subprocess.run(
        [sys.executable, "-m", "runners", *command, "--verify-label", "auto", "--output", str(out), "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr  # 1: the gate saved nothing, which it says
    check = json.loads((tmp_path / "labeled.manifest.json").read_text(encoding="utf-8"))["validation"]["label_check"]
    assert check["while_generating"] and check["scored"] == 8  # 12 in the pool, 2 per class shown
    part = json.loads((tmp_path / "labeled.parts" / "generate.manifest.json").read_text(encoding="utf-8"))
    assert part["verify_label"] == ("classify" if check["used"] else None)
    made = [json.loads(line) for line in (tmp_path / "labeled.parts" / "generate.jsonl").read_text().splitlines()]
    assert made and all(bool(r.get("judge")) == check["used"] for r in made)
    assert all(r["judge"]["label"] == r["label"] for r in made if r.get("judge"))
    assert check["used"] or "not clearly better than chance, so it did not judge the rows" in result.stderr


def test_cli_reports_an_unavailable_model(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "runners",
            "generate",
            "word",
            "--model",
            str(tmp_path / "missing"),
            "-o",
            str(tmp_path / "o.jsonl"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: model file or folder {tmp_path / 'missing'} does not exist; check the path (flag: --model)"
    )
    assert not (tmp_path / "o.jsonl").exists()


def test_a_run_killed_at_several_points_resumes_to_exactly_the_quota(tmp_path):
    import signal
    import time

    from chains.checks.dedup import dedup_key

    out = tmp_path / "killed.jsonl"
    command = [
        sys.executable,
        "-m",
        "runners",
        "generate",
        "labeled",
        "--input",
        str(ROOT / "templates/samples/hotel_reviews.csv"),
        "--n",
        "2",
        "--batch-size",
        "4",
        "--max-attempts",
        "10",
        "--output",
        str(out),
        "--quiet",
        # What is tested is the resume; the gate's verdict on the small model's rows varies with the dtype
        # (float32 or bfloat16) and with where the kills fall, so held rows are saved too.
        "--keep-held",
    ]

    def lines_in_output():
        # A labelled run saves rows into its strategy's part files as they come; out.jsonl is written at the end.
        parts = [p for p in (tmp_path / "killed.parts").glob("*.jsonl") if ".rejected" not in p.name]
        return sum(p.read_bytes().count(b"\n") for p in parts)

    started = time.monotonic()
    points = [
        lambda: time.monotonic() > started + 2,  # during start-up, before any row
        lambda: lines_in_output() >= 4,  # after the first batch
        lambda: lines_in_output() >= 12,  # mid-run
    ]
    for ready in points:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while process.poll() is None and not ready():
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        assert process.wait() == -signal.SIGKILL  # killed mid-run, not finished
    final = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert final.returncode == 0, final.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 24
    assert len({r["id"] for r in rows}) == 24
    assert len({dedup_key(r["output"]) for r in rows}) == 24
    parser = parser_for(load_task("labeled"))
    assert all(parser.parse(r["raw"]) == r["output"] for r in rows)
    counts = json.loads((tmp_path / "killed.manifest.json").read_text())["counts"]
    assert counts["accepted"] == sum("gate" not in r for r in rows)


def test_compare_selectors_prints_one_row_per_selector_and_zero_shot(tmp_path, capsys):
    from runners.cli import main
    from runners.experiments.datasets import rotten_tomatoes

    for name, rows in (("inputs.csv", rotten_tomatoes()[:12]), ("pool.csv", rotten_tomatoes()[500:600])):
        with (tmp_path / name).open("w", encoding="utf-8") as handle:
            handle.write(
                "text,label\n" + "".join(f'"{r["text"].replace(chr(34), chr(39))}",{r["label"]}\n' for r in rows)
            )
    code = main(
        [
            "compare-selectors",
            "classify",
            "--input",
            str(tmp_path / "inputs.csv"),
            "--examples",
            str(tmp_path / "pool.csv"),
            "--selectors",
            "fixed,semantic",
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    table = [
        line for line in out.splitlines() if line.startswith("| ") and not line.startswith(("| selector", "| ---"))
    ]
    assert [line.split(" | ")[0] for line in table] == ["| zero-shot (--shots 0)", "| fixed", "| semantic"]
    assert "classify, 12 inputs x 1, 4 shots, pool of 100 examples" in out
    accuracy = [line.rstrip(" |").rsplit(" | ", 1)[1] for line in table[1:]]
    assert all(a.endswith("%") for a in accuracy)


def test_the_classify_judge_votes_with_the_real_model(embedded_llm):
    from chains.checks.judge import ChainJudge, judge_task

    examples = [
        {"text": "A warm, funny and moving film.", "label": "fresh"},
        {"text": "Dull, slow and far too long.", "label": "rotten"},
        {"text": "The best comedy of the year.", "label": "fresh"},
        {"text": "A mess of a plot with nothing to say.", "label": "rotten"},
    ]
    task = judge_task(load_task("classify"), load_task("paraphrase"), examples)
    verdicts = ChainJudge(task, embedded_llm, votes=5).judge(["A delightful film.", "A boring waste of time."])
    assert len(verdicts) == 2
    for verdict in verdicts:  # the small model may give no readable vote at all: then no label and no confidence
        assert (verdict.label, verdict.confidence) == (None, 0.0) or (
            verdict.label in ("fresh", "rotten") and verdict.confidence in (0.2, 0.4, 0.6, 0.8, 1.0)
        )


def test_a_label_answer_ends_at_its_class_without_a_decode_step_more(embedded_llm):
    """The same greedy answers as when the decode loop waits for the end token, in fewer steps."""
    from chains.chain import sample
    from chains.checks.judge import judge_task
    from chains.prompts import build_prompt, renderer_for

    examples = [
        {"text": "A warm, funny and moving film.", "label": "positive"},
        {"text": "Dull, slow and far too long.", "label": "negative"},
    ]
    task = judge_task(load_task("classify"), load_task("paraphrase"), examples)
    render, prompt = renderer_for(embedded_llm), build_prompt(task)
    prompts = [render.invoke(prompt.invoke({"text": t})) for t in ("A delightful film.", "A boring waste of time.")]
    steps = {}
    for name, settings in (("waits", {"labels": []}), ("ends", {})):
        embedded_llm.clock.reset()
        answers = sample(task, embedded_llm, prompts, do_sample=False, **settings)
        steps[name] = (embedded_llm.clock.decode_tokens, [a[0][0] for a in answers])
    assert all(answer in ("positive", "negative") for answer in steps["ends"][1]), steps
    assert steps["ends"][1] == steps["waits"][1]
    assert steps["ends"][0] < steps["waits"][0], steps
