"""The command line's exit codes and one-line errors for input it cannot use (no model is loaded)."""

import json
import re
import shlex

import pytest

from chains.task import available_tasks
from runners.cli import main
from runners.parser import build_parser

SAMPLE = "text,label\nGreat view.,positive\n"


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


def error_of(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    return code, err[-1] if err else ""


def test_unknown_task(capsys, tmp_path):
    code, err = error_of(capsys, ["generate", "poem", "-o", str(tmp_path / "o.jsonl")])
    assert code == 2
    assert (
        err
        == "error: unknown task 'poem' for language 'en'; use one of classify, headline, labeled, paraphrase, rewrite, utterance, word or a path to a .yaml template"
    )


def test_unknown_language(capsys, tmp_path):
    code, err = error_of(capsys, ["generate", "word", "-l", "fr", "-o", str(tmp_path / "o.jsonl")])
    assert (code, err) == (2, "error: unknown language 'fr'; use one of en, ko")


def test_missing_input_file(capsys, tmp_path):
    code, err = error_of(
        capsys, ["generate", "paraphrase", "-i", str(tmp_path / "none.csv"), "-o", str(tmp_path / "o.jsonl")]
    )
    assert (code, err) == (
        2,
        f"error: input file {tmp_path / 'none.csv'} does not exist; check the path given to --input",
    )


def test_missing_column_lists_the_columns(capsys, tmp_path, csv_file):
    code, err = error_of(
        capsys,
        ["generate", "paraphrase", "-i", str(csv_file), "--text-column", "review", "-o", str(tmp_path / "o.jsonl")],
    )
    assert (code, err) == (
        2,
        f"error: input file {csv_file} has no column 'review' (--text-column); columns found: text, label",
    )


def test_label_outside_the_classes(capsys, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("text,label\nOk.,neutral\n", encoding="utf-8")
    argv = ["generate", "labeled", "-i", str(path), "--classes", "positive,negative", "-o", str(tmp_path / "o.jsonl")]
    code, err = error_of(capsys, argv)
    assert code == 2
    assert (
        err
        == f"error: {path} row 1 has label 'neutral', which is not one of the task's classes (positive, negative); fix the row or add its label to --classes"
    )


def test_output_folder_missing(capsys, tmp_path, csv_file):
    out = tmp_path / "nope" / "o.jsonl"
    code, err = error_of(capsys, ["generate", "paraphrase", "-i", str(csv_file), "-o", str(out)])
    assert (code, err) == (
        2,
        f"error: output folder {out.parent} does not exist; create it (mkdir -p {out.parent}) or pick another --output",
    )


def test_jinja2_template_is_refused(capsys, tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "name: t\nlanguage: en\nsystem: s\ninstruction: i\noutput: word\ntemplate_format: jinja2\n", encoding="utf-8"
    )
    code, err = error_of(capsys, ["generate", str(path), "-o", str(tmp_path / "o.jsonl")])
    assert code == 2
    assert "jinja2 templates can run code; write the template in f-string or mustache format" in err


def test_foreign_output_is_not_overwritten(capsys, tmp_path, csv_file):
    out = tmp_path / "o.jsonl"
    out.write_text("precious\n", encoding="utf-8")
    code, err = error_of(capsys, ["generate", "paraphrase", "-i", str(csv_file), "-o", str(out)])
    assert (code, err) == (
        2,
        f"error: {out} exists and has no run manifest beside it; pick another --output or pass --force-new",
    )
    assert out.read_text(encoding="utf-8") == "precious\n"


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1.5", ""])
def test_n_must_be_a_whole_number_of_one_or_more(capsys, tmp_path, value):
    with pytest.raises(SystemExit) as info:
        main(["generate", "word", "--n", value, "-o", str(tmp_path / "o.jsonl")])
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        f"error: --n must be a whole number of 1 or more, not {value!r}; see `synthaug generate --help`\n"
    )


def test_verify_label_needs_labelled_rows(capsys, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("text\nGreat view.\n", encoding="utf-8")
    code, err = error_of(
        capsys, ["generate", "paraphrase", "-i", str(path), "--verify-label", "-o", str(tmp_path / "o.jsonl")]
    )
    assert (code, err) == (
        2,
        "error: --verify-label needs rows that carry a label; paraphrase rows here have none "
        "(use the labeled task, or an --input file with a label column)",
    )


def test_report_on_a_missing_run(capsys, tmp_path):
    code, err = error_of(capsys, ["report", str(tmp_path / "none.jsonl")])
    assert (code, err) == (
        2,
        f"error: run file {tmp_path / 'none.jsonl'} does not exist; give the JSONL file that `generate --output` wrote",
    )


@pytest.mark.parametrize("value", ["ten", "1", ""])
def test_evaluate_k_must_be_counts(capsys, value):
    code, err = error_of(capsys, ["evaluate", "--k", value])
    assert code == 2 and err.startswith("error: --k ")


@pytest.mark.integration
def test_report_on_a_run_prints_the_table_and_writes_the_page(capsys, tmp_path):
    out = tmp_path / "run.jsonl"
    rows = [
        {"task": "paraphrase", "output": text, "label": label, "model": "m", "inputs": {"text": source, "label": label}}
        for text, source, label in [
            ("A warm, kind film.", "A kind and warm film.", "fresh"),
            ("It is a dull and slow movie.", "A slow, dull movie.", "rotten"),
            ("Funny from start to end.", "Funny all the way through.", "fresh"),
            ("The plot makes no sense.", "The plot is senseless.", "rotten"),
        ]
    ]
    out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "run.rejected.jsonl").write_text(
        json.dumps({"label": "fresh", "reason": "copy of the input", "kind": "copy"}) + "\n"
    )
    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "logistic regression on MiniLM embeddings of the 4 labelled source texts" in printed
    assert "| all | 4 | 80% |" in printed and "| fresh | 2 | 67% |" in printed
    assert "most common rejection kinds: copy (1)" in printed
    page = (tmp_path / "run.report.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 5 and page.count('class="map"') == 1  # the map of the sources and the rows


@pytest.mark.integration
def test_ray_address_nothing_listens_at_fails_fast(capsys, tmp_path, csv_file):
    out = tmp_path / "o.jsonl"
    code, err = error_of(
        capsys, ["generate", "paraphrase", "-i", str(csv_file), "-o", str(out), "--ray", "127.0.0.1:1"]
    )
    assert (code, err) == (
        2,
        "error: cannot reach a Ray cluster at 127.0.0.1:1 (Connection refused); check the address "
        "(auto, host:6379 or ray://host:10001), or omit it to start a local Ray",
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--device", "gpu"], "error: device 'gpu' is not one of auto, cpu, cuda, cuda:N or mps (flag: --device)"),
        (
            ["--server", "localhost:8000"],
            "error: server 'localhost:8000' is not an http(s) address; give the server's OpenAI-compatible base URL, like http://localhost:8000/v1 (flag: --server)",
        ),
        (
            ["--server", "http://127.0.0.1:9/v1", "--api-key-env", "SYNTHAUG_NO_SUCH_VARIABLE"],
            "error: the environment variable SYNTHAUG_NO_SUCH_VARIABLE is not set; export the API key in it (flag: --api-key-env)",
        ),
        (
            ["--server", "http://127.0.0.1:9/v1", "--ray"],
            "error: a served model already runs remotely; drop ray (it runs local models on Ray actors) (flag: --ray)",
        ),
    ],
)
def test_model_flags_that_cannot_work_end_in_one_line(capsys, tmp_path, flags, expected):
    code, err = error_of(capsys, ["generate", "word", *flags, "-o", str(tmp_path / "o.jsonl")])
    assert (code, err) == (2, expected)
    assert not (tmp_path / "o.jsonl").exists()


def generate_help(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps to the terminal
    with pytest.raises(SystemExit) as info:
        main(["generate", "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def sections(text):
    """Each titled part of argparse help ("title:" at the margin) and its lines."""
    parts, title = {}, None
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            title = line[:-1]
            parts[title] = []
        elif title is not None:
            parts[title].append(line)
    return parts


def entries(lines):
    """Each argument of a help section, by its first name, with its help (wrapped lines joined)."""
    found, name = {}, None
    for line in lines:
        start = re.match(r"  (-[^\s,]+|task)\b", line)
        if start:
            name = start.group(1)
            found[name] = line.strip()
        elif name and line.startswith("    "):
            found[name] += " " + line.strip()
        else:
            name = None
    return found


GROUP_OF = {
    "task": "input and output",
    "--input": "input and output",
    "--text-column": "input and output",
    "--output": "input and output",
    "--format": "input and output",
    "--force-new": "input and output",
    "--n": "quota",
    "--per-label": "quota",
    "--max-attempts": "quota",
    "--examples": "few-shot examples and prompt",
    "--shots": "few-shot examples and prompt",
    "--selector": "few-shot examples and prompt",
    "--classes": "labelled runs",
    "--describe": "labelled runs",
    "--strategy": "labelled runs",
    "--model": "model",
    "--dtype": "model",
    "--trust-remote-code": "model",
    "--allow-pickle": "model",
    "--server": "model server",
    "--temperature": "decoding",
    "--greedy": "decoding",
    "--seed": "decoding",
    "--near-dup": "checks",
    "--verify-label": "checks",
    "--min-logprob": "checks",
    "--no-fact-check": "checks",
    "--batch-size": "scaling",
    "--ray": "scaling",
    "--workers": "scaling",
}


def test_generate_help_groups_every_flag_where_a_user_looks_for_it(capsys, monkeypatch):
    parts = sections(generate_help(capsys, monkeypatch))
    groups = {t: entries(lines) for t, lines in parts.items() if t not in ("usage", "options", "tasks", "examples")}
    assert len(groups) >= 6
    where = {name: title for title, flags in groups.items() for name in flags}
    assert {name: where.get(name) for name in GROUP_OF} == GROUP_OF
    assert list(entries(parts["options"])) == ["-h"]  # every other flag is in a group


def test_generate_help_lists_every_task_and_ends_with_commands_that_parse(capsys, monkeypatch):
    parts = sections(generate_help(capsys, monkeypatch))
    task = entries(parts["input and output"])["task"]
    assert "rewrite" in task and all(re.search(rf"\b{name}\b", task) for name in available_tasks("en"))
    assert [line.split()[0] for line in parts["tasks"] if line.strip()] == available_tasks("en")
    commands = [line.strip() for line in parts["examples"] if line.strip().startswith("synthaug generate ")]
    assert len(commands) >= 3
    for command in commands:
        build_parser().parse_args(shlex.split(command)[1:])  # each example is a command that parses


def test_generate_help_shows_every_default(capsys, monkeypatch):
    parts = sections(generate_help(capsys, monkeypatch))
    shown = {name: text for lines in parts.values() for name, text in entries(lines).items()}
    assert "(default: 5)" in shown["--max-attempts"]
    generate = build_parser()._subparsers._group_actions[0].choices["generate"]
    for action in generate._actions:
        if action.option_strings and action.default not in (None, False, "==SUPPRESS=="):
            assert f"(default: {action.default}" in shown[action.option_strings[0]], action.option_strings[0]


@pytest.mark.parametrize(
    ("typed", "meant"), [("paraphrse", "paraphrase"), ("labelled", "labeled"), ("rewite", "rewrite")]
)
def test_a_misspelt_task_gets_what_it_likely_meant(capsys, tmp_path, typed, meant):
    code = main(["generate", typed, "-o", str(tmp_path / "o.jsonl")])
    assert (code, capsys.readouterr().err) == (
        2,
        f"error: unknown task {typed!r} for language 'en'; did you mean {meant}?\n",
    )


def test_an_examples_file_without_the_text_column_names_the_flag_that_fixes_it(capsys, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text("review,label\nMy parcel never came.,shipping\n", encoding="utf-8")
    code = main(["generate", "labeled", "--examples", str(path), "-o", str(tmp_path / "o.jsonl")])
    assert (code, capsys.readouterr().err) == (
        2,
        f"error: examples file {path} has no column 'text' (--text-column), which task labeled needs; "
        "columns found: review, label\n",
    )


def test_a_missing_examples_file_is_called_the_examples_file(capsys, tmp_path):
    code, err = error_of(capsys, ["generate", "labeled", "--examples", str(tmp_path / "ex.csv"), "-o", "o.jsonl"])
    assert (code, err) == (
        2,
        f"error: examples file {tmp_path / 'ex.csv'} does not exist; check the path given to --examples",
    )


def test_validate_prints_the_estimate_with_no_filter_marked_chosen(capsys, tmp_path, monkeypatch):
    from chains.checks.classifiers import Embedder
    from tests.fakes import toy_embed

    monkeypatch.setattr("runners.cli._embedder", lambda: Embedder(toy_embed))
    pool, rows = tmp_path / "pool.csv", tmp_path / "rows.jsonl"
    texts = {"fresh": ["Lovely film {}.", "Warm story {}."], "rotten": ["Dull film {}.", "Flat story {}."]}
    pool.write_text(
        "text,label\n"
        + "".join(f"{t.format(i)},{label}\n" for label, ts in texts.items() for t in ts for i in range(3)),
        encoding="utf-8",
    )
    rows.write_text(
        "".join(json.dumps({"output": t.format(9), "label": label}) + "\n" for label, ts in texts.items() for t in ts),
        encoding="utf-8",
    )
    assert main(["validate", "--examples", str(pool), "--rows", str(rows)]) == 0
    printed = capsys.readouterr().out
    assert "Estimated accuracy gain on the pool (12 labelled rows" in printed and "(chosen)" not in printed


def test_the_embedding_judge_on_korean_rows_comes_with_a_notice_that_names_the_judge_that_reads_them(capsys):
    import argparse

    from chains.task import load_task
    from runners.cli import _check_flags
    from runners.run.inputs import Inputs

    inputs = Inputs({"a": {"text": "정말 좋아요", "label": "positive"}})
    for language, expected in (("ko", 1), ("en", 0)):
        args = argparse.Namespace(per_label=None, verify_label="embedding", min_confidence=None)
        _check_flags(args, load_task("labeled", language), inputs)
        notices = [line for line in capsys.readouterr().err.splitlines() if "--verify-label classify" in line]
        assert len(notices) == expected
