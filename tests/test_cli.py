"""The command line's exit codes and one-line errors for input it cannot use (no model is loaded)."""

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
    assert err == "error: unknown task 'poem' for language 'en'; use one of classify, headline, labeled, paraphrase, utterance, word or a path to a .yaml template"


def test_unknown_language(capsys, tmp_path):
    code, err = error_of(capsys, ["generate", "word", "-l", "fr", "-o", str(tmp_path / "o.jsonl")])
    assert (code, err) == (2, "error: unknown language 'fr'; use one of en, ko")


def test_missing_input_file(capsys, tmp_path):
    code, err = error_of(capsys, ["generate", "paraphrase", "-i", str(tmp_path / "none.csv"), "-o", str(tmp_path / "o.jsonl")])
    assert (code, err) == (2, f"error: input file {tmp_path / 'none.csv'} does not exist; check the path given to --input")


def test_missing_column_lists_the_columns(capsys, tmp_path, csv_file):
    code, err = error_of(capsys, ["generate", "paraphrase", "-i", str(csv_file), "--text-column", "review", "-o", str(tmp_path / "o.jsonl")])
    assert (code, err) == (2, f"error: input file {csv_file} has no column 'review' (--text-column); columns found: text, label")


def test_label_outside_the_classes(capsys, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("text,label\nOk.,neutral\n", encoding="utf-8")
    code, err = error_of(capsys, ["generate", "labeled", "-i", str(path), "-o", str(tmp_path / "o.jsonl")])
    assert code == 2
    assert err == f"error: {path} row 1 has label 'neutral', which is not one of the task's classes (positive, negative); fix the row or pass --classes"


def test_output_folder_missing(capsys, tmp_path, csv_file):
    out = tmp_path / "nope" / "o.jsonl"
    code, err = error_of(capsys, ["generate", "paraphrase", "-i", str(csv_file), "-o", str(out)])
    assert (code, err) == (2, f"error: output folder {out.parent} does not exist; create it (mkdir -p {out.parent}) or pick another --output")


def test_jinja2_template_is_refused(capsys, tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nlanguage: en\nsystem: s\ninstruction: i\noutput: word\ntemplate_format: jinja2\n", encoding="utf-8")
    code, err = error_of(capsys, ["generate", str(path), "-o", str(tmp_path / "o.jsonl")])
    assert code == 2
    assert "jinja2 templates can run code; write the template in f-string or mustache format" in err


def test_foreign_output_is_not_overwritten(capsys, tmp_path, csv_file):
    out = tmp_path / "o.jsonl"
    out.write_text("precious\n", encoding="utf-8")
    code, err = error_of(capsys, ["generate", "paraphrase", "-i", str(csv_file), "-o", str(out)])
    assert (code, err) == (2, f"error: {out} exists and has no run manifest beside it; pick another --output or pass --force-new")
    assert out.read_text(encoding="utf-8") == "precious\n"


@pytest.mark.parametrize("value", ["0", "-3"])
def test_n_must_be_positive(capsys, tmp_path, value):
    with pytest.raises(SystemExit) as info:
        main(["generate", "word", "--n", value, "-o", str(tmp_path / "o.jsonl")])
    assert info.value.code == 2
    assert f"argument --n: must be a positive whole number, got {value}" in capsys.readouterr().err
