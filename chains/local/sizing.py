"""How many decode slots a local model gets when none is named: as many as its keys and values fit in a share
of the device's free memory, up to the most rows a step of that kind of device turns into speed."""

from __future__ import annotations

import os
from typing import Any

# The most rows a decode step runs at once, per kind of device. On a 2-core CPU a step is bound by reading
# the weights until a few dozen rows: `bench` on the 1.5B model gave 0.60 rows/s at 32 slots, 0.76 at 64 and
# no more at 128. A GPU reads its weights far faster, so a step keeps gaining into the hundreds of rows.
MAX_SLOTS = {"cpu": 64, "mps": 128, "cuda": 256}
MIN_SLOTS = 4
# Tokens one slot holds in the memory sum (a few-shot prompt and its answer), and the share of free memory
# the slots may take: the rest is the weights' working room, prefill and the other rows' checks.
SLOT_TOKENS = 1024
MEMORY_SHARE = 0.25


def kv_bytes_per_token(model: Any) -> int:
    """Bytes of keys and values one token takes over every layer, from the model's config."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    element = model.get_input_embeddings().weight.element_size()  # int8 weights still keep float keys
    return 2 * config.num_hidden_layers * heads * dim * element


def free_memory(device: Any) -> int | None:
    """Bytes free on `device` (a torch.device): the GPU's own, or the machine's for a CPU; None if unknown."""
    import torch

    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            return next(int(line.split()[1]) * 1024 for line in info if line.startswith("MemAvailable:"))
    except (OSError, StopIteration):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def decode_slots(model: Any) -> int:
    """Slots for `model` on its device: the device's most, fewer where their keys and values would not fit."""
    device = model.get_input_embeddings().weight.device
    most = MAX_SLOTS.get(device.type, MAX_SLOTS["cpu"])
    free = free_memory(device)
    if free is None:
        return most
    fits = int(MEMORY_SHARE * free / (kv_bytes_per_token(model) * SLOT_TOKENS))
    return max(MIN_SLOTS, min(most, fits))
