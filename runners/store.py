"""Append-only JSONL files that survive a crash, and a manifest written atomically beside them."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from chains import SynthaugError


class OutputError(SynthaugError):
    """The output path cannot be written or resumed."""


def sidecar(output: Path, kind: str) -> Path:
    """`out.jsonl` → `out.<kind>.jsonl` (or `.json` for the manifest)."""
    suffix = ".json" if kind == "manifest" else ".jsonl"
    return output.with_name(f"{output.stem}.{kind}{suffix}")


def check_writable(output: Path) -> None:
    """Fail early, before any model is loaded, when the output folder cannot take the files."""
    folder = output.parent
    if not folder.is_dir():
        raise OutputError(f"output folder {folder} does not exist; create it (mkdir -p {folder}) or pick another --output")
    try:  # a real write, because permission bits say nothing to root or on read-only mounts
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise OutputError(
            f"output folder {folder} is not writable ({exc.strerror}); pick another --output or fix its permissions"
        ) from None
    if output.exists() and not output.is_file():
        raise OutputError(f"output {output} is not a file; pick another --output")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every complete row; a torn last line (a crash mid-write) is dropped from the file too."""
    if not path.exists():
        return []
    data = path.read_bytes()
    rows, good = [], 0
    for line in data.splitlines(keepends=True):
        try:
            if not line.endswith(b"\n"):
                raise ValueError("unterminated")
            rows.append(json.loads(line))
        except ValueError:
            if good + len(line) < len(data):
                raise OutputError(
                    f"{path} has a damaged line in the middle (byte {good}); move the file away to start again"
                ) from None
            with path.open("r+b") as handle:  # only the last line can be torn by a crash: cut it off
                handle.truncate(good)
            break
        good += len(line)
    return rows


def append_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """Append rows and make them durable before returning."""
    if not rows:
        return
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    with path.open("ab") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def write_json_atomic(path: Path, value: Any) -> None:
    """Write via a temporary file and rename, so readers see the old or the new file, never half."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False, encoding="utf-8") as tmp:
        json.dump(value, tmp, ensure_ascii=False, indent=2, sort_keys=True)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)


def read_json(path: Path) -> Any:
    """A JSON file's value, or None when it does not exist."""
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
