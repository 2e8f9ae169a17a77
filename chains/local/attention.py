"""Which models the slot decoder drives exactly, and the attention masks it hands them.

The slot decoder keeps each row's keys and values at columns that are not its token positions (a shared
prefix, then padding, then the row's own tokens), so it builds every mask itself, from which columns a
row may see and the position each column holds. A sliding-window layer sees the last `window` positions,
counted in tokens, not columns. Masks are boolean for SDPA (its fast form) and additive for eager attention.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FULL, SLIDING = "full_attention", "sliding_attention"

# Architectures whose every layer the slot decoder feeds exactly, each checked token for token against
# `model.generate` in tests/local/test_architectures.py. How each takes its masks:
#   full: every layer attends to the whole past;
#   window: one mask for every layer, sliding when the config sets `sliding_window` (Mistral, Phi-3);
#   layers: a mask per layer type (`config.layer_types`), handed over as a mapping.
SLOT_ARCHITECTURES = {
    "llama": "full",
    "gemma": "full",
    "gpt2": "full",
    "gpt_neox": "full",
    "mistral": "window",
    "phi3": "window",
    "qwen2": "layers",
    "qwen3": "layers",
    "gemma2": "layers",
    "gemma3_text": "layers",
}
ATTENTION = ("sdpa", "eager")


@dataclass(frozen=True)
class Layout:
    """The distinct layer types of a model, its window, and whether masks are added (eager) or boolean (SDPA)."""

    types: tuple[str, ...]
    window: int | None
    additive: bool
    dtype: Any = None
    """The model's float type, for additive masks."""

    def masks(self, visible: Any, key_positions: Any, query_positions: Any) -> Any:
        """4-D masks for the model from `visible` [rows, queries, keys] (bool), the position each key column
        holds [rows, keys] and each query's position [rows, queries]: one tensor, or one per layer type."""
        import torch

        made = {}
        for kind in self.types:
            allowed = visible
            if kind == SLIDING:
                allowed = visible & (key_positions[:, None, :] > query_positions[:, :, None] - self.window)
            allowed = allowed[:, None]
            if self.additive:
                allowed = torch.zeros_like(allowed, dtype=self.dtype).masked_fill_(
                    ~allowed, torch.finfo(self.dtype).min
                )
            made[kind] = allowed
        return made[self.types[0]] if len(made) == 1 else made


def unsupported(model: Any) -> str | None:
    """Why the slot decoder cannot drive `model` exactly, or None when it can."""
    if not type(model).__module__.startswith("transformers."):
        return (
            f"{type(model).__name__} runs code of its own (remote code), which the slot decoder has not been checked on"
        )
    config = model.config
    model_type = getattr(config, "model_type", None)
    kind = SLOT_ARCHITECTURES.get(model_type)
    if kind is None:
        return f"the slot decoder has not been checked on {model_type or type(model).__name__} models"
    attention = getattr(config, "_attn_implementation", None) or "eager"
    if attention not in ATTENTION:
        return f"the slot decoder builds its own masks, which {attention} attention does not take"
    types = set(layer_types(config, kind))
    if not types <= {FULL, SLIDING}:
        return f"the slot decoder knows full and sliding-window attention, not {', '.join(sorted(types - {FULL, SLIDING}))}"
    return None


def layer_types(config: Any, kind: str) -> list[str]:
    """The attention type of every layer, as the architecture reads its config."""
    window = getattr(config, "sliding_window", None)
    if kind == "layers" and getattr(config, "layer_types", None):
        return list(config.layer_types)
    if kind == "window" and window:
        return [SLIDING]
    return [FULL]


def layout(model: Any) -> Layout:
    """The mask layout of a model the slot decoder drives (`unsupported(model)` is None)."""
    config = model.config
    types = tuple(dict.fromkeys(layer_types(config, SLOT_ARCHITECTURES[config.model_type])))
    window = getattr(config, "sliding_window", None) if SLIDING in types else None
    additive = getattr(config, "_attn_implementation", None) == "eager"
    return Layout(types, window, additive, model.dtype)
