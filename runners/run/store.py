"""Append-only JSONL files that survive a crash, and a manifest written atomically beside them."""

from __future__ import annotations

import json
import os
import shutil
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


def check_writable(output: Path, folder_ok: bool = False) -> None:
    """Fail early, before any model is loaded, when the output folder cannot take the files.

    `folder_ok`: the output is itself a folder that will be replaced whole (a `datasets` export).
    """
    folder = output.parent
    if not folder.is_dir():
        raise OutputError(
            f"output folder {folder} does not exist; create it (mkdir -p {folder}) or pick another --output"
        )
    try:  # a real write, because permission bits say nothing to root or on read-only mounts
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise OutputError(
            f"output folder {folder} is not writable ({exc.strerror}); pick another --output or fix its permissions"
        ) from None
    if output.exists() and not output.is_file() and not (folder_ok and output.is_dir()):
        raise OutputError(f"output {output} is not a file; pick another --output")


def read_jsonl(path: Path, repair: bool = True) -> list[dict[str, Any]]:
    """Every complete row; a torn last line (a crash mid-write) is dropped, and cut from the file if `repair`.

    Readers of a run that may still be going (report, export) pass repair=False and leave the file alone.
    """
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
            if repair:
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


def umask_mode(directory: bool = False) -> int:
    """The mode an ordinary `open` (or `mkdir`) gives a new file under the user's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


def write_json_atomic(path: Path, value: Any) -> None:
    """Write via a temporary file and rename, so readers see the old or the new file, never half.

    The temporary file is private (0600) while it is written, then given the mode `open` would have.
    """
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", delete=False, encoding="utf-8"
    ) as tmp:
        json.dump(value, tmp, ensure_ascii=False, indent=2, sort_keys=True)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.chmod(tmp.name, umask_mode())
    os.replace(tmp.name, path)


def read_json(path: Path) -> Any:
    """A JSON file's value, or None when it does not exist."""
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def read_run(path: Path) -> list[dict[str, Any]]:
    """The rows of a run, read without repairing the file (the run may still be going)."""
    if not path.is_file():
        raise OutputError(f"run file {path} does not exist; give the JSONL file that `generate --output` wrote")
    return read_jsonl(path, repair=False)


def start_over(output: Path) -> None:
    """Move a run's files to *.bak, so a new run starts empty and nothing is lost."""
    for path in (output, sidecar(output, "rejected"), sidecar(output, "manifest")):
        if path.exists():
            shutil.move(path, path.with_name(path.name + ".bak"))


def check_resume(output: Path, manifest: dict, force_new: bool) -> None:
    """Refuse to append to a run made with other settings (unless it will be started over)."""
    if force_new:
        return
    old = read_json(sidecar(output, "manifest"))
    if old is None:
        if output.exists() and output.stat().st_size:
            raise OutputError(
                f"{output} exists and has no run manifest beside it; pick another --output or pass --force-new"
            )
        return
    changed = [k for k in manifest if old.get(k) != manifest[k]]
    if changed:
        details = ", ".join(f"{k}: {old.get(k)!r} -> {manifest[k]!r}" for k in changed[:2])
        details += f" and {len(changed) - 2} more" if len(changed) > 2 else ""
        raise OutputError(
            f"{output} was made with other settings ({details}); rerun with the same settings to resume, "
            "or pass --force-new to start over"
        )


class RunStore:
    """A run's three files: rows and rejects appended durably, and the manifest that lets a later run resume."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.rejects = sidecar(output, "rejected")
        self.manifest_path = sidecar(output, "manifest")

    def check(self, manifest: dict[str, Any], force_new: bool = False) -> None:
        """Refuse to resume a run made with other settings (`check_resume`)."""
        check_resume(self.output, manifest, force_new)

    def open(self, manifest: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows saved before (a torn last line of either file is cut), with the manifest written."""
        saved = read_jsonl(self.output)
        read_jsonl(self.rejects)
        self.rejects.touch()
        self.manifest = manifest
        write_json_atomic(self.manifest_path, {**manifest, "counts": {"accepted": len(saved)}})
        return saved

    def save(self, rows: list[dict[str, Any]], rejects: list[dict[str, Any]]) -> None:
        append_jsonl(self.output, rows)
        append_jsonl(self.rejects, rejects)

    def close(self, counts: dict[str, Any], server: dict[str, Any] | None = None) -> None:
        """The manifest with the run's counts, and what a model server turned out to do (not compared on resume)."""
        write_json_atomic(
            self.manifest_path, {**self.manifest, "counts": counts, **({"server": server} if server else {})}
        )
