"""Export a run's rows to where training code reads them: JSONL, CSV, Parquet, or a Hugging Face `datasets` folder.

JSONL is the run's rows as they are. CSV, Parquet and `datasets` are tables for training: `text` and `label`
first, and the input a row was made from flattened to `source_text` (and `source_<name>` for a template's
other inputs). Each export is written to a temporary path and renamed into place, so a reader never sees
half a file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chains import SynthaugError
from runners.run.store import replaced_whole

FORMATS = ("jsonl", "csv", "parquet", "hf")
SUFFIXES = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet", "hf": ".hf"}
FIRST = ("text", "label", "id", "weight", "source_text")  # the columns a training script wants first
INTEGERS = ("attempts", "seed")
NESTED = ("examples", "generation", "judge")


class ExportError(SynthaugError):
    """The rows cannot be exported as asked."""


def default_destination(run: Path, fmt: str) -> Path:
    """`out.jsonl` → `out.csv`, `out.parquet`, or the folder `out.hf`; JSONL gets `out.export.jsonl`."""
    return run.with_name(f"{run.stem}.export.jsonl") if fmt == "jsonl" else run.with_suffix(SUFFIXES[fmt])


def columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every field of the rows, the training columns first, then in the order they first appear."""
    seen = dict.fromkeys(c for c in FIRST if any(c in r for r in rows))
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def training_row(row: dict[str, Any]) -> dict[str, Any]:
    """A run's row as a table row: `output` as `text` (a classify row's text is its input: the label is its
    answer), and `inputs` as flat `source_*` columns; an input's label is the row's `label` already."""
    inputs = dict(row.get("inputs") or {})
    classified = row.get("task") == "classify"
    flat = {"text": inputs.get("text") if classified else row.get("output")}
    flat.update({k: v for k, v in row.items() if k not in ("output", "inputs")})
    flat.update({f"source_{k}": v for k, v in inputs.items() if k != "label" and not (classified and k == "text")})
    return flat


def class_names(rows: Sequence[dict[str, Any]], classes: Sequence[str] | None = None) -> list[str] | None:
    """The label names for a `ClassLabel`: the task's classes, else the labels seen; None if a row has no label."""
    labels = [r.get("label") for r in rows]
    if not rows or any(not isinstance(label, str) or not label for label in labels):
        return None
    names = list(classes) if classes else sorted(set(labels))
    missing = sorted(set(labels) - set(names))
    if missing:
        raise ExportError(
            f"rows have labels {missing} outside the classes {names}; export without classes or fix the rows"
        )
    return names


def export_rows(
    rows: Sequence[dict[str, Any]], fmt: str, destination: Path, classes: Sequence[str] | None = None
) -> Path:
    """Write `rows` as `fmt` to `destination` (replacing it whole) and return the path."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    table = rows if fmt == "jsonl" else [training_row(r) for r in rows]
    with replaced_whole(destination, folder=fmt == "hf") as tmp:
        if fmt == "hf":
            tmp.rmdir()  # save_to_disk makes the folder itself
        {"jsonl": _jsonl, "csv": _csv, "parquet": _parquet, "hf": _hf}[fmt](table, tmp, classes)
    return destination


def _jsonl(rows: Sequence[dict[str, Any]], path: Path, classes: Any) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _csv(rows: Sequence[dict[str, Any]], path: Path, classes: Any) -> None:
    """Text as it is; nested fields (examples, generation, judge) as JSON text; None as an empty cell

    (CSV has no null, so an empty cell reads back as None; a saved row never has an empty text).
    """
    fields = columns(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(fields)
        writer.writerows([_cell(r.get(f)) for f in fields] for r in rows)


def _arrow(rows: Sequence[dict[str, Any]]) -> Any:
    try:
        import pyarrow as pa
    except ImportError:
        raise ExportError("Parquet export needs pyarrow; run `pip install 'synthaug[export]'`") from None
    fields = columns(rows)
    return pa.Table.from_pylist([{f: r.get(f) for f in fields} for r in rows])


def _parquet(rows: Sequence[dict[str, Any]], path: Path, classes: Any) -> None:
    import pyarrow.parquet as pq

    pq.write_table(_arrow(rows), path)


def _hf(rows: Sequence[dict[str, Any]], path: Path, classes: Sequence[str] | None) -> None:
    try:
        from datasets import ClassLabel, Dataset, disable_progress_bars
    except ImportError:
        raise ExportError("Hugging Face export needs datasets; run `pip install 'synthaug[export]'`") from None
    disable_progress_bars()
    fields = columns(rows)
    dataset = Dataset.from_list([{f: r.get(f) for f in fields} for r in rows])
    names = class_names(rows, classes)
    if names is not None:
        dataset = dataset.cast_column("label", ClassLabel(names=names))
    dataset.save_to_disk(str(path))
