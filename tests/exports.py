"""Reading an export back, for the tests that check a round trip through every format."""

import csv
import json
from pathlib import Path
from typing import Any

from runners.reports.export import INTEGERS, NESTED


def read_rows(path: Path, fmt: str) -> list[dict[str, Any]]:
    """Rows read back from an export, with the types they were written with (labels as names)."""
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if fmt == "csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return [{k: _uncell(k, v) for k, v in r.items()} for r in csv.DictReader(handle)]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    from datasets import ClassLabel, load_from_disk

    dataset = load_from_disk(str(path))
    label = dataset.features.get("label")
    rows = dataset.to_list()
    if isinstance(label, ClassLabel):
        for row in rows:
            row["label"] = label.int2str(row["label"])
    return rows


def _uncell(column: str, value: str) -> Any:
    if value == "":
        return None
    if column in INTEGERS:
        return int(value)
    if column in ("logprob", "weight"):
        return float(value)
    if column in NESTED:
        return json.loads(value)
    return value
