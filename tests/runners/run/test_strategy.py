"""`labeled` strategies on a scripted model: auto tries generate and rewrite, validates both on the pool, goes
on with the better, and saves only rows that pass the gate; rows that would hurt are held back."""

import json
import re
import zlib

import numpy as np
from langchain_core.language_models import FakeListLLM

from chains.checks.classifiers import Embedder
from chains.task import load_task
from runners.run.generate import build_generator
from runners.run.inputs import default_inputs
from runners.run.pool import adapt_task, judge_for
from runners.run.records import HELD_KINDS
from runners.run.spec import RunSpec
from runners.run.store import read_jsonl
from runners.run.strategy import LabelledRun
from tests.chains.checks.test_validation import WORDS


def word_embed(texts):
    """A stand-in for MiniLM in logic tests: a bag of the text's words hashed into 32 dimensions."""
    vectors = np.zeros((len(texts), 32))
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            vectors[row, zlib.crc32(word.encode()) % 32] += 1
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


OTHER = {"good": "bad", "bad": "good"}


def class_of(text):
    """The class whose words `text` holds most of (the first on a tie)."""
    return max(WORDS, key=lambda c: sum(w in text.split() for w in WORDS[c]))


class Writer(FakeListLLM):
    """Writes a sentence of a class's words: `generate` prompts get the class `asked` maps the request to;
    `rewrite` prompts get their source's class, or the other one with `flip_rewrites`. Asked to classify a text,
    it answers the class of its words, or always `labels_as` where that is set."""

    asked: dict = {"good": "good", "bad": "bad"}
    flip_rewrites: bool = False
    labels_as: str | None = None
    stray_every: int = 0
    """Every this many `generate` answers is written with the other class's words (0: none)."""
    calls: int = 0
    classified: int = 0

    def _call(self, prompt, stop=None, run_manager=None, **kwargs):
        words = WORDS
        if "Label each text" in prompt:
            self.classified += 1
            return self.labels_as or class_of(re.findall(r"Text: (.+)", prompt)[-1])
        self.calls += 1
        if request := re.findall(r"new example for the class: (\w+)", prompt):
            label = self.asked[request[-1]]
            label = OTHER[label] if self.stray_every and self.calls % self.stray_every == 0 else label
        else:
            source = re.findall(r"Sentence: (.+)", prompt)[-1]
            label = next(c for c, ws in words.items() if any(w in source.split() for w in ws))
            label = OTHER[label] if self.flip_rewrites else label
        picked = [words[label][(self.calls * 3 + i) % len(words[label])] for i in range(3)]
        tail = ["for us", "to me", "overall", "all week", "each day", "in the end", "at night"][self.calls % 7]
        return f"Honestly our trip felt {picked[0]}, {picked[1]} and {picked[2]} {tail}."


def pool():
    return [
        {"id": f"{label}-{i}", "text": f"The stay was {ws[i]} and {ws[i + 1]}.", "label": label}
        for label, ws in WORDS.items()
        for i in range(6)
    ]


def labelled_run(llm, strategy="auto", per_label=8, label_check=False, verify_label=None):
    task = adapt_task(load_task("labeled"), pool(), None, "Hotel stays", None)
    # Prompts show two examples of their class (so a row's sources are those two), no MiniLM meaning check.
    spec = RunSpec(
        task=task,
        model="fake",
        per_label=per_label,
        max_attempts=3,
        seed=1,
        strategy=strategy,
        selector="class",
        shots=2,
        min_similarity=-1,
        verify_label=verify_label,
    )
    inputs = default_inputs(task)
    build = lambda s, i: build_generator(s, llm, i, progress=False)  # noqa: E731
    return LabelledRun(spec, llm, inputs, Embedder(word_embed), build, label_check=label_check)


def test_auto_validates_both_strategies_and_goes_on_with_the_better(tmp_path):
    out = tmp_path / "out.jsonl"
    writer = Writer(responses=["-"], asked=OTHER)  # generate writes the other class's words: off-label rows
    outcome = labelled_run(writer, "auto").run(out)
    assert outcome.strategy in ("rewrite", "mix")  # mix: with generate's off-label rows filtered out
    trials = json.loads((tmp_path / "out.manifest.json").read_text())["validation"]["trials"]
    assert set(trials) == {"generate", "rewrite", "mix"}
    assert trials["generate"]["details"]["without_filter"]["tfidf"]["gain"] < 0  # off-label rows hurt...
    assert trials["rewrite"]["tfidf"]["gain"] > trials["generate"]["details"]["without_filter"]["tfidf"]["gain"]
    rows = read_jsonl(out)
    assert len(rows) >= 8 and all(0 <= r["weight"] <= 1 for r in rows)
    # ... and none is saved: every saved row says what its label says
    assert all(any(w in r["output"] for w in WORDS[r["label"]]) for r in rows)
    assert sorted(p.name for p in (tmp_path / "out.parts").glob("*.jsonl")) == [
        "generate.jsonl",
        "generate.rejected.jsonl",
        "rewrite.jsonl",
        "rewrite.rejected.jsonl",
    ]
    before, calls = out.read_bytes(), writer.calls
    labelled_run(writer, "auto").run(out)  # the same run again: resumed from the parts, nothing asked of the model
    assert out.read_bytes() == before and writer.calls == calls


def test_rows_that_would_hurt_are_all_held_back(tmp_path):
    out = tmp_path / "out.jsonl"
    outcome = labelled_run(Writer(responses=["-"], asked=OTHER, flip_rewrites=True)).run(out)
    line = outcome.verdict.line
    # Held back whole, with one line that says why: the model's own classify prompt puts none of them in their own class; the pool's classifiers agree.
    assert read_jsonl(out) == [] and line.startswith("the model's own classify prompt, which labels 100% of 8")
    assert line.endswith("Try a stronger model (--model qwen2.5-coder-1.5b)")
    held = [r for r in read_jsonl(tmp_path / "out.rejected.jsonl") if r["kind"] in HELD_KINDS]
    assert len(held) == len(outcome.candidates) > 0


def test_generate_is_the_default_and_rows_that_help_are_saved(tmp_path):
    writer = Writer(responses=["-"])
    outcome = labelled_run(writer, strategy=None).run(tmp_path / "out.jsonl")
    assert outcome.strategy == "generate" and outcome.trials == {}
    # The model's own labels are asked for by default, for the set; rows are dropped one by one only on request.
    assert outcome.label_check["used"] and outcome.label_check["agreement"] == 1.0 and writer.classified > 8
    assert not [r for r in read_jsonl(tmp_path / "out.rejected.jsonl") if r["kind"] == "label_check"]
    assert not (tmp_path / "out.parts" / "rewrite.jsonl").exists()
    parts = read_jsonl(tmp_path / "out.parts" / "generate.jsonl")
    assert len(parts) == 16 and {r["label"] for r in parts} == {"good", "bad"}
    saved = read_jsonl(tmp_path / "out.jsonl")
    assert len(saved) == 16 and outcome.verdict.line is None
    held_out = outcome.verdict.validation["held_out"]
    assert held_out["details"]["signal"] and held_out["details"]["rows"] == 16  # each row's shots from one half


def test_each_stage_is_named_on_its_bar_and_validation_is_announced(tmp_path, capsys):
    """The progress bars say which stage they count (trials first), and each validation says what it checks."""
    run = labelled_run(Writer(responses=["-"]))
    run.progress = True
    run.build = lambda s, i: build_generator(s, run.llm, i, progress=True)
    outcome = run.run(tmp_path / "out.jsonl")
    err = capsys.readouterr().err
    bars = re.findall(r"(?:^|\r)([a-z: ]+): +\d+%", err, re.MULTILINE)
    final = ["generate", "rewrite"] if outcome.strategy == "mix" else [outcome.strategy]
    assert list(dict.fromkeys(bars)) == ["trial: generate", "trial: rewrite", *final]
    announced = re.findall(r"validating: (\d+) rows on the pool of 12 examples", err)
    assert len(announced) == 4  # the three trials' row sets, then the final one


def test_the_label_check_holds_back_rows_the_model_itself_labels_otherwise(tmp_path):
    out = tmp_path / "out.jsonl"
    writer = Writer(responses=["-"], stray_every=8)  # an eighth of the rows carry the other class's words
    outcome = labelled_run(writer, strategy="generate", label_check=True).run(out)
    check = json.loads((tmp_path / "out.manifest.json").read_text())["validation"]["label_check"]
    assert check["used"] and check["accuracy"] == 1.0 and check["scored"] == 8  # 12 in the pool, 2 per class shown
    assert check["bar"] < check["agreement"] < 1 and writer.classified > 8
    assert check["relabelled"] == outcome.label_check["relabelled"] > 0
    held = [r for r in read_jsonl(tmp_path / "out.rejected.jsonl") if r["kind"] == "label_check"]
    assert len(held) == check["relabelled"] and all(class_of(r["raw"]) != r["label"] for r in held)
    saved = read_jsonl(out)
    assert saved and all(class_of(r["output"]) == r["label"] for r in saved)


def test_a_label_check_no_better_than_chance_is_not_used(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    outcome = labelled_run(
        Writer(responses=["-"], stray_every=8, labels_as="good"), strategy="generate", label_check=True
    ).run(out)
    assert not outcome.label_check["used"] and outcome.label_check["accuracy"] == 0.5
    assert outcome.notices[0].startswith("notice: the model's classify prompt labels 50% of 8 pool examples")
    assert read_jsonl(out) and not [
        r for r in read_jsonl(tmp_path / "out.rejected.jsonl") if r["kind"] == "label_check"
    ]


def test_an_auto_label_judge_that_is_competent_judges_each_row_as_it_is_made(tmp_path):
    out = tmp_path / "out.jsonl"
    writer = Writer(responses=["-"], stray_every=8)
    outcome = labelled_run(writer, strategy="generate", verify_label="auto").run(out)
    check = outcome.label_check
    assert check["used"] and check["while_generating"] and check["accuracy"] == 1.0 and check["scored"] == 8
    refused = [r for r in read_jsonl(tmp_path / "out.rejected.jsonl") if r["kind"] == "judge"]
    assert refused and all(class_of(r["raw"]) != r["label"] for r in refused)  # stray rows, made again
    saved = read_jsonl(out)
    assert len(saved) == 16 and all(class_of(r["output"]) == r["label"] and r["judge"] for r in saved)
    assert json.loads((tmp_path / "out.parts" / "generate.manifest.json").read_text())["verify_label"] == "classify"


def test_an_auto_label_judge_at_chance_judges_nothing(tmp_path):
    out = tmp_path / "out.jsonl"
    writer = Writer(responses=["-"], stray_every=8, labels_as="good")
    outcome = labelled_run(writer, strategy="generate", verify_label="auto").run(out)
    assert not outcome.label_check["used"] and outcome.label_check["accuracy"] == 0.5
    assert outcome.notices[0].startswith("notice: the model's classify prompt labels 50% of 8 pool examples")
    assert writer.classified == 8 * 5  # five votes on each pool example it was not shown, none on a row
    saved = read_jsonl(out)
    assert len(saved) == 16 and not any(r.get("judge") for r in saved)


def test_rows_the_model_puts_in_their_own_class_no_more_than_chance_are_all_held_back(tmp_path):
    # generate writes every row with the other class's words: labels swapped, which hurts a classifier
    out = tmp_path / "out.jsonl"
    outcome = labelled_run(Writer(responses=["-"], asked=OTHER), strategy="generate", label_check=True).run(out)
    assert read_jsonl(out) == [] and outcome.label_check["agreement"] <= outcome.label_check["bar"]
    assert outcome.verdict.line.startswith("the model's own classify prompt, which labels 100% of 8 pool examples")
    held = [r for r in read_jsonl(tmp_path / "out.rejected.jsonl") if r["kind"] == "label_check"]
    assert len(held) == len(outcome.candidates) > 0


def test_generate_with_an_auto_label_judge_at_chance_has_no_judge_and_says_so(capsys):
    task = adapt_task(load_task("labeled"), pool(), None, "Hotel stays", None)
    writer = Writer(responses=["-"], labels_as="good")
    assert judge_for("auto", task, default_inputs(task), "en", writer, seed=1) is None
    assert "classify prompt labels 50% of 8 pool examples" in capsys.readouterr().err
    assert judge_for("auto", task, default_inputs(task), "en", Writer(responses=["-"]), seed=1) is not None
