"""Append-only JSONL files that survive a crash, and a manifest written atomically beside them."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def replaced_whole(path: Path, folder: bool = False) -> Iterator[Path]:
    """A temporary path beside `path` to write (a file, or a folder); when the block ends it takes the place of
    `path` whole, with the mode an ordinary `open` would give, so readers see the old or the new, never half.
    If the block fails, it is removed and `path` is left as it was."""
    if folder:
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    else:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        os.close(handle)
        tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, umask_mode(directory=folder))
        if folder and path.is_dir():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
        raise


def _durable(tmp: Path, text: str) -> None:
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def write_json_atomic(path: Path, value: Any) -> None:
    """Write a JSON value whole (`replaced_whole`)."""
    with replaced_whole(path) as tmp:
        _durable(tmp, json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True))


def write_jsonl_atomic(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write rows as JSON lines, whole (`replaced_whole`)."""
    with replaced_whole(path) as tmp:
        _durable(tmp, "".join(json.dumps(r, ensure_ascii=False) + chr(10) for r in rows))


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
    # A quota may change: a larger one extends the run, and a strategy's trial grows into its full run.
    changed = [k for k in manifest if k != "quota" and old.get(k) != manifest[k]]
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

    def close(self, counts: dict[str, Any], **found: Any) -> None:
        """The manifest with the run's counts and what the run found out (what a model server did, validation
        on the pool); none of it is compared on resume."""
        write_json_atomic(
            self.manifest_path, {**self.manifest, "counts": counts, **{k: v for k, v in found.items() if v}}
        )

    def note(self, **found: Any) -> None:
        """Add what was found after the run closed (validation on the pool) to its manifest."""
        write_json_atomic(self.manifest_path, {**(read_json(self.manifest_path) or {}), **found})
