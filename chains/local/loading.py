"""The one place local models are loaded: from the folder `chains.local.sources` finds, onto the chosen device."""

from __future__ import annotations

import logging
import re
from typing import Any

from chains.answering import GENERATION_KEYS
from chains.errors import ModelUnavailableError, SynthaugError
from chains.knobs import check_knobs
from chains.local.pipeline import LocalPipeline
from chains.local.sources import model_folder, resolve_model
from chains.models import Dtype

log = logging.getLogger("synthaug")
_DEVICE = re.compile(r"(auto|cpu|mps|cuda)(:\d+)?")


class DeviceError(SynthaugError):
    """The device asked for is not on this machine."""


def resolve_device(device: str = "auto") -> str:
    """`auto`: the first GPU where there is one (CUDA, else Apple's MPS), else the CPU; others are checked."""
    import torch

    match = _DEVICE.fullmatch(device)
    if match is None or (match.group(2) and match.group(1) != "cuda"):
        raise DeviceError(f"device {device!r} is not one of auto, cpu, cuda, cuda:N or mps", "device")
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if torch.backends.mps.is_available() else "cpu"
    if device.startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(match.group(2)[1:]) if match.group(2) else 0
        if index >= count:
            have = (
                f"{count} CUDA GPU{'s' if count != 1 else ''}"
                if count
                else "no CUDA GPU (or this torch is a CPU build)"
            )
            raise DeviceError(
                f"device {device} is not here: this machine has {have}; pick another device, or cpu", "device"
            )
    if device == "mps" and not torch.backends.mps.is_available():
        raise DeviceError("device mps is not here (it needs Apple silicon and a torch built for it); use cpu", "device")
    return device


def resolve_dtype(dtype: Dtype = "auto", device: str = "cpu") -> str:
    """`auto`: on a CUDA GPU bfloat16 where it computes it, else float16; float16 on MPS; on a CPU bfloat16
    where it computes it natively (AVX512-BF16 or AMX), else float32, which emulated bfloat16 is slower than.
    Never int8: faster on a CPU without bfloat16 units, but it changes the model's answers (`quantized`)."""
    if dtype != "auto":
        return dtype
    import torch

    if device.startswith("cuda"):
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if device == "mps":
        return "float16"
    return "bfloat16" if cpu_flags() & {"avx512_bf16", "amx_bf16"} else "float32"


def cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux lists them; none where it does not."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            return set(next((line for line in cpuinfo if line.startswith("flags")), "").split())
    except OSError:
        return set()


def stored_dtype(dtype: str) -> str:
    """The dtype of the copy a run loads: int8 loads the bfloat16 copy (it needs no converted copy of its own)."""
    return "bfloat16" if dtype == "int8" else dtype


def is_quantized(model: Any) -> bool:
    return any("quantized" in type(m).__module__ for m in model.modules())


def quantized(model: Any) -> Any:
    """`model` with int8 weights in every linear layer, activations quantized per batch (torch's dynamic
    quantization), and its other weights in float32: half the bytes of bfloat16 to read per token, and int8
    kernels (AVX2, VNNI, AMX) on CPUs. Layer by layer in place, from the weights as loaded, so the model is
    never held whole in float32 on the way. One scale per batch of activations loses precision where a few
    are very large: Qwen2.5-1.5B's most likely next token changes on most tokens (docs/measurements.md)."""
    import warnings

    import torch

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch announces the move of this API to torchao; it still works here
        for module in list(model.modules()):
            for name, child in list(module.named_children()):
                if type(child) is torch.nn.Linear:
                    setattr(module, name, _int8_linear(child))
    return model.float()


def _int8_linear(linear: Any) -> Any:
    """One linear layer as torch's dynamic int8 `from_float` makes it (per-tensor symmetric weights), without its
    first step: packing a zero weight of the layer's full size, which costs as long as packing the real one."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear
    from torch.ao.quantization.qconfig import default_dynamic_qconfig

    weight = linear.weight.float()
    observer = default_dynamic_qconfig.weight()
    observer(weight)
    scale, zero_point = observer.calculate_qparams()
    layer = DynamicLinear(1, 1, dtype=torch.qint8)
    layer.in_features, layer.out_features = linear.in_features, linear.out_features
    bias = None if linear.bias is None else linear.bias.float()
    layer.set_weight_bias(torch.quantize_per_tensor(weight, float(scale), int(zero_point), torch.qint8), bias)
    return layer


def _from_pretrained(cls: Any, folder: str, **kwargs: Any) -> Any:
    """A model, tokenizer or config from a local folder, or one line that says what is wrong and what to do."""
    try:
        return cls.from_pretrained(folder, local_files_only=True, **kwargs)
    except OSError as exc:
        if "safetensors" in str(exc).lower() and kwargs.get("use_safetensors"):
            raise ModelUnavailableError(
                f"model {folder} has no safetensors weights; convert it, or pass allow_pickle=True "
                "if you trust its pickle files",
                option="allow_pickle",
            ) from None
        reason = str(exc).splitlines()[0][:200]
        raise ModelUnavailableError(
            f"cannot load the model in {folder} ({reason}); check that the folder is whole", "model"
        ) from None
    except ValueError as exc:
        reason = str(exc).splitlines()[0][:200]
        if "trust_remote_code" in str(exc):
            raise ModelUnavailableError(
                f"model {folder} runs code of its own ({reason}); pass trust_remote_code=True if you trust it",
                "trust_remote_code",
            ) from None
        raise ModelUnavailableError(
            f"transformers cannot load the model in {folder} ({reason}); upgrade transformers or pick another model",
            "model",
        ) from None
    except ImportError as exc:
        raise ModelUnavailableError(
            f"loading {folder} needs a package that is missing: {exc}; install it", "model"
        ) from None


def load_tokenizer(
    model: str | None = None, dtype: Dtype = "auto", trust_remote_code: bool = False, device: str = "auto"
) -> tuple[Any, int]:
    """The model's tokenizer and context length in tokens, without loading its weights."""
    from transformers import AutoConfig, AutoTokenizer

    resolved = resolve_dtype(dtype, resolve_device(device))
    folder = str(model_folder(model, stored_dtype(resolved), trust_remote_code))
    tokenizer = _from_pretrained(AutoTokenizer, folder, trust_remote_code=trust_remote_code)
    config = _from_pretrained(AutoConfig, folder, trust_remote_code=trust_remote_code)
    text = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
    context = getattr(text, "max_position_embeddings", None) or tokenizer.model_max_length
    return tokenizer, int(context)


def load_llm(
    model: str | None = None,
    *,
    device: str = "auto",
    device_map: str | None = None,
    dtype: Dtype = "auto",
    batch_size: int | None = None,
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
    seed: int | None = None,
    **generation: Any,
) -> LocalPipeline:
    """A `HuggingFacePipeline` for `model` on `device` (default: $SYNTHAUG_MODEL, else the built-in
    qwen2.5-coder-1.5b; `smollm2-135m` is the small embedded model).

    `model` is a built-in name (`chains.local.builtin.BUILTIN`), a local folder, a `.gguf` file (or a
    folder holding one) or a Hugging Face id. `device_map="auto"` spreads a model too large for one GPU
    over all of them (and the CPU) with accelerate. `generation` takes `max_new_tokens`, `temperature`,
    `top_p` and `do_sample`; what is given here wins over a task's defaults. `batch_size` is the decode
    slots; None sizes them by the model and its device (`chains.local.sizing`).
    """
    unknown = set(generation) - set(GENERATION_KEYS)
    if unknown:
        raise TypeError(f"unknown generation settings {sorted(unknown)}")
    check_knobs(batch_size=batch_size, **{k: v for k, v in generation.items() if k != "do_sample"})
    if device_map not in (None, "auto"):
        raise DeviceError(f"device_map {device_map!r} is not supported; use auto, or name one device", "device_map")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline
    from transformers.utils import logging as hf_logging

    from chains.local.attention import unsupported
    from chains.local.sizing import decode_slots

    hf_logging.disable_progress_bar()  # a progress bar per load drowns the run's own
    place = resolve_device(device)
    resolved = resolve_dtype(dtype, "cuda" if device_map and torch.cuda.is_available() else place)
    if resolved == "int8" and (place != "cpu" or device_map):
        raise DeviceError(
            "dtype int8 (dynamic quantization of the linear layers) runs on a CPU only; on a GPU use bfloat16 or "
            "float16, or pass --device cpu",
            "dtype",
        )
    folder = str(model_folder(model, stored_dtype(resolved), trust_remote_code, allow_pickle))
    options = {"trust_remote_code": trust_remote_code}
    tokenizer = _from_pretrained(AutoTokenizer, folder, **options)
    placement = {"device_map": device_map or place} if device_map or place != "cpu" else {}
    hf_model = _from_pretrained(
        AutoModelForCausalLM,
        folder,
        # int8: the weights as stored, each layer quantized from them (`quantized`)
        dtype="auto" if resolved == "int8" else getattr(torch, resolved),
        use_safetensors=None if allow_pickle else True,
        **placement,
        **options,
    )
    hf_model.eval()
    if resolved == "int8":
        hf_model = quantized(hf_model)
    elif resolved == "float32" and place == "cpu" and not device_map:
        from chains.local.onednn import on_onednn

        hf_model = on_onednn(hf_model)
    if (why := unsupported(hf_model)) is not None:
        log.warning("notice: %s; it is decoded by transformers' generate instead, which is slower", why)
    tokenizer.padding_side = "left"  # decoder-only models continue from the right edge
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    pipe = pipeline("text-generation", model=hf_model, tokenizer=tokenizer, return_full_text=False)
    return LocalPipeline(
        pipeline=pipe,
        model_id=resolve_model(model),
        batch_size=batch_size or decode_slots(hf_model),
        seed=seed,
        generation={k: v for k, v in generation.items() if v is not None},
    )
