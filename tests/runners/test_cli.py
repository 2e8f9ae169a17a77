"""The command line's exit codes and one-line errors for input it cannot use (no model is loaded)."""

import json

import pytest

from runners.cli import main

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
    code, err = error_of(capsys, ["generate", "labeled", "-i", str(path), "-o", str(tmp_path / "o.jsonl")])
    assert code == 2
    assert (
        err
        == f"error: {path} row 1 has label 'neutral', which is not one of the task's classes (positive, negative); fix the row or pass --classes"
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


@pytest.mark.parametrize("value", ["0", "-3"])
def test_n_must_be_positive(capsys, tmp_path, value):
    with pytest.raises(SystemExit) as info:
        main(["generate", "word", "--n", value, "-o", str(tmp_path / "o.jsonl")])
    assert info.value.code == 2
    assert f"argument --n: must be a positive whole number, got {value}" in capsys.readouterr().err


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
