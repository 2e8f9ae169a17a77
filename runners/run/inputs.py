"""Read the user's CSV or JSONL input into task inputs, with errors that say how to fix the file."""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from chains import SynthaugError, Task


class InputError(SynthaugError):
    """The input file cannot be used as it is."""


@dataclass
class Inputs:
    """The rows to generate from, keyed by input id, and what was skipped on the way."""

    rows: dict[str, dict[str, str]]
    skipped_empty: int = 0
    skipped_unlabelled: int = 0
    lines: dict[str, int] = field(default_factory=dict)
    """The file row number of each input id, for errors."""


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path} line {line} is not UTF-8 text; re-save the file as UTF-8 (e.g. `iconv -t UTF-8`)"
        ) from None


def read_records(path: Path, flag: str = "--input") -> list[dict[str, str]]:
    """The records of a .csv or .jsonl file, as text fields; errors name the file by the `flag` that gave it."""
    what = f"{flag.lstrip('-')} file"  # "input file", "examples file"
    if not path.is_file():
        raise InputError(f"{what} {path} does not exist; check the path given to {flag}")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise InputError(f"{what} {path} must end in .csv or .jsonl; convert it or rename it")
    text = _decode(path)
    if not text.strip():
        raise InputError(f"{what} {path} is empty; give it a header and at least one row")
    if suffix == ".csv":
        csv.field_size_limit(sys.maxsize)  # a text too long for the model is refused later, in tokens
        return _csv_records(text, path)
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} line {number} is not valid JSON ({exc.msg}); fix or remove that line") from None
        if not isinstance(record, dict):
            raise InputError(f'{path} line {number} must be a JSON object like {{"text": "..."}}')
        records.append({k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in record.items()})
    return records


def _csv_records(text: str, path: Path) -> list[dict[str, str]]:
    """The rows of a CSV text; a row with more cells than the header is refused: an unquoted comma cut its text."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    records = []
    for record in reader:
        if None in record:
            header = len(reader.fieldnames or [])
            raise InputError(
                f"{path} line {reader.line_num} has {header + len(record[None])} cells but the header has {header}; "
                'put a text that holds a comma in double quotes ("like, this")'
            )
        records.append(dict(record))
    return records


def read_labelled(
    path: Path, text_column: str = "text", label_column: str = "label", flag: str = "--input"
) -> list[dict[str, str]]:
    """The rows of a .csv or .jsonl file that have both a text and a label, as {text, label}."""
    rows = [
        {"text": (r.get(text_column) or "").strip(), "label": (r.get(label_column) or "").strip()}
        for r in read_records(path, flag)
    ]
    return [r for r in rows if r["text"] and r["label"]]


def file_labels(path: Path, label_column: str = "label") -> list[str]:
    """The distinct labels in a file's label column, sorted (one spelling per label, case aside); [] without one."""
    labels: dict[str, str] = {}
    for record in read_records(path):
        label = (record.get(label_column) or "").strip()
        if label:
            labels.setdefault(label.casefold(), label)
    return sorted(labels.values())


def load_inputs(
    path: Path,
    task: Task,
    text_column: str = "text",
    label_column: str = "label",
    skip_unlabelled: bool = False,
) -> Inputs:
    """Task inputs from a file: `text` from `text_column`, `label` from `label_column`.

    Where the file has a label column, every row needs a label: a row without one is refused, or
    skipped and counted with `skip_unlabelled`. For a task that writes a text for a label (labeled), a
    row's text is kept beside its label: the row is a real labelled example, as in an --examples file.
    """
    records = read_records(path)
    if not records:
        raise InputError(f"input file {path} has a header but no rows; add rows to generate from")
    columns = {"text": text_column, "label": label_column}
    found = list(records[0])
    for variable in task.input_variables:
        column = columns.get(variable, variable)
        if column not in found:
            flag = {"text": " (--text-column)", "label": " (--label-column)"}.get(variable, "")
            raise InputError(
                f"input file {path} has no column {column!r}{flag}; columns found: {', '.join(found) or 'none'}"
            )
    result = Inputs(rows={})
    classes = {c.casefold(): c for c in task.classes}
    labelled = label_column in found and task.output != "label"
    example_text = "label" in task.input_variables and "text" not in task.input_variables and text_column in found
    for number, record in enumerate(records, 1):
        values = {v: (record.get(columns.get(v, v)) or "") for v in task.input_variables if v != "label"}
        if any(not value.strip() for value in values.values()):
            result.skipped_empty += 1
            continue
        if labelled:  # carried to the rows: a paraphrase keeps its source's label
            label = (record.get(label_column) or "").strip()
            if not label:
                if skip_unlabelled:
                    result.skipped_unlabelled += 1
                    continue
                raise InputError(
                    f"{path} row {number} has an empty {label_column!r} cell; fill in its label, "
                    "or pass --skip-unlabelled to leave such rows out"
                )
            values["label"] = label
        if example_text and (record.get(text_column) or "").strip():
            values["text"] = (record.get(text_column) or "").strip()
        if "label" in values and classes:
            label = values["label"].strip()
            if label.casefold() not in classes:
                raise InputError(
                    f"{path} row {number} has label {label!r}, which is not one of the task's classes "
                    f"({', '.join(task.classes)}); fix the row or add its label to --classes"
                )
            values["label"] = classes[label.casefold()]
        input_id = (record.get("id") or "").strip() or str(number)
        if input_id in result.rows:
            raise InputError(f"{path} row {number} repeats id {input_id!r}; make the id column unique")
        result.rows[input_id] = values
        result.lines[input_id] = number
    if not result.rows and result.skipped_unlabelled:
        raise InputError(f"every row of {path} lacks a label in {label_column!r}; fill in the labels")
    if not result.rows:
        raise InputError(f"every row of {path} has an empty {text_column!r}; fill in the text column")
    return result


def default_inputs(task: Task) -> Inputs:
    """Inputs for a run with no input file: the task's defaults, or one input per class."""
    missing = [v for v in task.input_variables if v not in task.defaults]
    if not missing:
        return Inputs(rows={"default": {v: task.defaults[v] for v in task.input_variables}})
    if missing == ["label"] and task.classes:
        base = {v: task.defaults[v] for v in task.input_variables if v != "label"}
        return Inputs(rows={label: {**base, "label": label} for label in task.classes})
    raise InputError(f"task {task.name!r} needs input values for {', '.join(missing)}; pass --input FILE")
