"""Helpers of the slot decoder: token choice, the cache layer it writes through, and where tensors live.

The sampler applies temperature and top-p within the top-k tokens and draws by the Gumbel-max trick:
transformers samples with a full-vocabulary sort (top-p) and `torch.multinomial`; on a CPU these cost a
fifth of a small model's decoding time. Here the draw happens among the `top_k` most likely tokens.
"""

from __future__ import annotations

from functools import cache
from typing import Any

TOP_K = 64


def choose_tokens(scores: Any, temperatures: Any, sampling: bool, top_p: float = 1.0, top_k: int = TOP_K) -> Any:
    """One token per row: rows at temperature 0 take the best; the others draw within the top-k nucleus at
    their own temperature (`temperatures`, a [rows] tensor). `sampling` says whether any row samples."""
    import torch

    greedy = scores.argmax(dim=-1)
    if not sampling:
        return greedy
    sampled = _draw(scores, torch.where(temperatures > 0, temperatures, 1.0)[:, None], top_p, top_k)
    return torch.where(temperatures > 0, sampled, greedy)


def _draw(scores: Any, temperatures: Any, top_p: float, top_k: int) -> Any:
    """One token per row, drawn within the top-k nucleus at each row's temperature (a [rows, 1] tensor)."""
    import torch

    top, index = (scores / temperatures).topk(min(top_k, scores.shape[-1]), dim=-1)
    probs = top.softmax(dim=-1)
    outside = probs.cumsum(dim=-1) - probs >= top_p  # tokens past the nucleus; the first always stays
    top = top.masked_fill(outside, float("-inf"))
    gumbel = -torch.log(-torch.log(torch.rand_like(top).clamp(1e-10, 1.0)))
    return index.gather(-1, (top + gumbel).argmax(dim=-1, keepdim=True))[:, 0]


def on_device(values: Any, device: Any, dtype: Any = None) -> Any:
    """A tensor of host `values` on `device`, copied without waiting for the device's queued work."""
    import torch

    return torch.tensor(values, dtype=dtype, device="cpu").to(device, non_blocking=True)


def input_device(model: Any) -> Any:
    """Where a model takes its inputs: its embeddings' device (the first GPU under a device map)."""
    import torch

    device = model.get_input_embeddings().weight.device
    if device.type == "meta":  # offloaded by accelerate: its hooks bring the weights to the first GPU
        return torch.device("cuda", 0) if torch.cuda.is_available() else torch.device("cpu")
    return device


@cache
def slot_layer() -> type:
    """`SlotLayer` (for `chains.local.slots`), defined on first use so that importing chains does not import transformers."""
    from transformers.cache_utils import CacheLayerMixin

    class SlotLayer(CacheLayerMixin):
        """One layer's view of the slot tensors for a decode step: writes the step's column, reads up to it."""

        def __init__(self, keys: Any, values: Any, column: int) -> None:
            super().__init__()
            self.keys, self.values, self.column, self.is_initialized = keys, values, column, True

        def lazy_initialization(self, key_states: Any, value_states: Any) -> None:
            pass

        def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            self.keys[:, :, self.column] = key_states[:, :, -1]
            self.values[:, :, self.column] = value_states[:, :, -1]
            return self.keys[:, :, : self.column + 1], self.values[:, :, : self.column + 1]

        def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
            return self.column + 1, 0

        def get_seq_length(self) -> int:
            return self.column

        def get_max_length(self) -> int:
            return self.keys.shape[2]

    return SlotLayer


def shared_prefix(sequences: list[list[int]]) -> list[int]:
    """The longest common prefix of token sequences, leaving every sequence at least one token of its own."""
    first = sequences[0]
    length = min(len(s) for s in sequences) - 1
    for sequence in sequences[1:]:
        same = 0
        while same < length and sequence[same] == first[same]:
            same += 1
        length = same
    return first[: max(length, 0)]


def eos_ids(model: Any, tokenizer: Any) -> set[int]:
    """Every token id that ends a sequence for this model."""
    ids = model.generation_config.eos_token_id
    ids = set(ids if isinstance(ids, list) else [ids] if ids is not None else [])
    return ids | ({tokenizer.eos_token_id} if tokenizer.eos_token_id is not None else set())


def cache_param(model: Any) -> str:
    """The name under which `model.forward` takes its key/value cache: `cache` in current transformers."""
    import inspect

    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def cache_of(output: Any) -> Any:
    """The key/value cache a forward pass returned, under its current name or the old one."""
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values
