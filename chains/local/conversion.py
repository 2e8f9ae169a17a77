"""GGUF files turned into safetensors folders once, into the cache, whole or not at all."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chains.errors import ModelUnavailableError

log = logging.getLogger("synthaug")


def cache_dir() -> Path:
    """Where converted models live: $SYNTHAUG_CACHE, else $XDG_CACHE_HOME/synthaug, else ~/.cache/synthaug."""
    if os.environ.get("SYNTHAUG_CACHE"):
        return Path(os.environ["SYNTHAUG_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "synthaug"


def converted_gguf(gguf: Path, dtype: str, name: str | None = None) -> Path:
    """A safetensors copy of a GGUF model in `dtype` (weights de-quantised, tokenizer read from the file),
    converted once into the cache. Weights stored in the dtype they run in are mapped as they are."""
    if name is None:  # the same file, unchanged, finds its copy again
        stat = gguf.stat()
        key = hashlib.sha256(f"{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
        name = f"{gguf.stem}-{key}"
    target = cache_dir() / "models" / (name if dtype == "float32" else f"{name}-{dtype}")
    if (target / "config.json").is_file():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.warning("converting %s to safetensors in %s, once (it takes a while for a large model)", gguf.name, target)
    try:
        with _gguf_read_once():
            model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=getattr(torch, dtype))
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except (ValueError, KeyError, OSError, RuntimeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelUnavailableError(
            f"cannot convert {gguf} ({reason}); transformers reads GGUF files of common architectures "
            "(Llama, Mistral, Qwen2/3, Phi-3, Gemma 2/3, ...); pass the original safetensors model instead",
            option="model",
        ) from None
    # The weights are de-quantised already; transformers refuses to save while the GGUF quantizer is attached.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    save_atomically(model, tokenizer, target)
    return target


@contextmanager
def _gguf_read_once() -> Iterator[None]:
    """While one file is converted: its metadata parsed once, and its blocks de-quantised by torch.

    For most architectures transformers reads a GGUF file with gguf's `GGUFReader` three times (the config, the
    weights, the tokenizer's config; 13 s each for the 1.5B model on a 2-core CPU) and de-quantises it with
    gguf's numpy code (25 s). One reader serves all three here, and transformers' own torch kernels, where they
    cover the type, give the same values bit for bit in 10 s (docs/measurements.md)."""
    import gguf

    own = gguf.GGUFReader, gguf.dequantize
    reader = functools.lru_cache(maxsize=1)(gguf.GGUFReader)
    gguf.GGUFReader = lambda path, *args, **kwargs: reader(os.path.realpath(path), *args, **kwargs)
    gguf.dequantize = functools.partial(_dequantize, own[1])
    try:
        yield
    finally:
        gguf.GGUFReader, gguf.dequantize = own


def _dequantize(fallback: Any, data: Any, qtype: Any) -> Any:
    """gguf's `dequantize(data, qtype)` on transformers' torch kernels, where this transformers has one for
    the type; else gguf's own."""
    try:
        from transformers.integrations.gguf.dequant import GGML_BLOCK, dequantize
    except ImportError:
        return fallback(data, qtype)
    if int(qtype) not in GGML_BLOCK:
        return fallback(data, qtype)
    import numpy as np
    import torch

    values = dequantize(torch.from_numpy(np.array(data)).reshape(-1), int(qtype), torch.float32)
    return values.reshape(*data.shape[:-1], -1).numpy()


def save_atomically(model: Any, tokenizer: Any, target: Path) -> None:
    """Save a model and tokenizer to `target` whole or not at all: a killed or concurrent save leaves no half model."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)  # TemporaryDirectory is private; the cache is shared like any folder
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / "config.json").is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)
