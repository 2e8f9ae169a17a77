"""Every export format reads back as the same rows and labels; exports replace their target whole."""

import re
from pathlib import Path

import pytest

from runners.cli import main
from runners.reports.export import (
    FORMATS,
    ExportError,
    class_names,
    columns,
    default_destination,
    export_rows,
    training_row,
)
from tests.exports import read_rows

ROWS = [
    {
        "id": f"r{i}-0",
        "task": "labeled",
        "input_id": f"r{i}",
        "inputs": {"label": label},
        "output": text,
        "label": label,
        "raw": raw,
        "attempts": i + 1,
        "examples": ["ex-1", "ex-2"],
        "generation": {"temperature": 0.8, "do_sample": True, "max_new_tokens": 64},
        "seed": 0,
        "judge": judge,
    }
    for i, (text, label, raw, judge) in enumerate(
        [
            ('The staff were kind, and the view was "lovely".', "positive", "[1] The staff...", None),
            (
                "방이 너무 좁고 시끄러웠어요.",
                "negative",
                "방이 너무 좁고\n시끄러웠어요.",
                {"name": "embedding", "label": "negative", "confidence": 0.91},
            ),
            ("Breakfast, sadly, was cold.", "negative", "Breakfast, sadly, was cold.", None),
        ]
    )
]


def table(rows):
    """What the training formats (CSV, Parquet, datasets) hold for run rows."""
    return [training_row(r) for r in rows]


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(tmp_path, fmt):
    destination = export_rows(ROWS, fmt, default_destination(tmp_path / "out.jsonl", fmt))
    assert read_rows(destination, fmt) == (ROWS if fmt == "jsonl" else table(ROWS))
    assert not destination.with_name(destination.name + ".tmp").exists()


PARAPHRASES = [
    {
        "id": f"{i}-0",
        "task": "paraphrase",
        "input_id": str(i),
        "inputs": {"text": source, "label": label},
        "output": text,
        "label": label,
        "raw": text,
        "weight": 0.75,
    }
    for i, (text, source, label) in enumerate(
        [("A warm, kind film.", "A kind and warm film.", "fresh"), ("A slow, dull movie.", "It drags.", "rotten")]
    )
]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "hf"])
def test_training_formats_start_with_text_and_label_and_flatten_the_source(tmp_path, fmt):
    destination = export_rows(PARAPHRASES, fmt, default_destination(tmp_path / "out.jsonl", fmt))
    rows = read_rows(destination, fmt)
    assert list(rows[0])[:2] == ["text", "label"] and "output" not in rows[0] and "inputs" not in rows[0]
    assert [(r["text"], r["label"], r["source_text"]) for r in rows] == [
        ("A warm, kind film.", "fresh", "A kind and warm film."),
        ("A slow, dull movie.", "rotten", "It drags."),
    ]


def test_the_csv_header_and_the_jsonl_run_file_keep_their_own_columns(tmp_path):
    export_rows(PARAPHRASES, "csv", tmp_path / "out.csv")
    header = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "text,label,id,weight,source_text,task,input_id,raw"  # no JSON blob of the inputs
    export_rows(PARAPHRASES, "jsonl", tmp_path / "out.jsonl")
    assert read_rows(tmp_path / "out.jsonl", "jsonl") == PARAPHRASES  # the run file's form, with output


def test_a_classify_rows_text_is_its_input_and_its_label_the_answer():
    row = {"id": "1-0", "task": "classify", "inputs": {"text": "Loved it."}, "output": "fresh", "label": "fresh"}
    assert training_row(row) == {"text": "Loved it.", "label": "fresh", "id": "1-0", "task": "classify"}
    assert columns([training_row(row)])[:2] == ["text", "label"]


def test_hf_label_is_a_class_label_in_the_task_order(tmp_path):
    from datasets import ClassLabel, load_from_disk

    destination = export_rows(ROWS, "hf", tmp_path / "out.hf", classes=["positive", "negative"])
    dataset = load_from_disk(str(destination))
    assert dataset.features["label"] == ClassLabel(names=["positive", "negative"])
    assert dataset["label"] == [0, 1, 1]


def test_rows_without_labels_keep_a_plain_column(tmp_path):
    rows = [{**r, "label": None} for r in ROWS]
    assert class_names(rows) is None
    destination = export_rows(rows, "hf", tmp_path / "out.hf")
    assert read_rows(destination, "hf") == table(rows)


def test_labels_outside_the_classes_are_refused(tmp_path):
    with pytest.raises(ExportError, match=r"rows have labels \['negative'\] outside the classes \['positive'\]"):
        export_rows(ROWS, "hf", tmp_path / "out.hf", classes=["positive"])


def test_an_export_replaces_the_old_one(tmp_path):
    destination = tmp_path / "out.csv"
    destination.write_text("old,stuff\n" * 100, encoding="utf-8")
    export_rows(ROWS[:1], "csv", destination)
    assert read_rows(destination, "csv") == table(ROWS[:1])


def test_export_command(tmp_path, capsys):
    run = tmp_path / "out.jsonl"
    export_rows(ROWS, "jsonl", run)
    assert main(["export", str(run), "--to", "parquet"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote 3 rows to {tmp_path / 'out.parquet'}"
    assert read_rows(tmp_path / "out.parquet", "parquet") == table(ROWS)
    assert main(["export", str(tmp_path / "none.jsonl"), "--to", "csv"]) == 2
    assert "error: run file" in capsys.readouterr().err


def test_the_readme_training_snippet_runs_on_an_exported_run(tmp_path, monkeypatch):
    """The README's snippet trains on the user's examples and a CSV export, with `weight` as the sample
    weight; a row saved unvalidated (no weight) counts as 1."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    snippet = next(b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "sample_weight" in b)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    weighted = [{**row, "weight": w} for row, w in zip(ROWS, (0.9, None, 0.4))]
    export_rows(weighted, "csv", tmp_path / "out" / "tickets.csv")
    (tmp_path / "my_labelled.csv").write_text(
        "text,label\nGreat stay.,positive\nLovely staff.,positive\nDirty room.,negative\nRude staff.,negative\n",
        encoding="utf-8",
    )
    scope: dict = {}
    exec(snippet, scope)
    assert list(scope["train"].weight) == [1.0, 1.0, 1.0, 1.0, 0.9, 1.0, 0.4]
    assert set(scope["model"].predict(["The staff were lovely."])) <= {"positive", "negative"}
