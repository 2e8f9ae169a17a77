"""Where `bench`'s decoding time goes: prefill and decode rates against this machine's limit for the same
work, measured by running the model's own linear layers (its dtype, its int8 weights) on rows of the same count."""

from __future__ import annotations

import re
import time
from typing import Any

from chains.local.clock import DecodeClock

# Rows at which the linear layers run at their best on the machines measured (a 2-core CPU: 1.58 TFLOP/s at
# 256 rows against 1.41 at 128 for the 1.5B model's shapes): the compute limit a pass is compared with.
COMPUTE_ROWS = 256


def _linears(model: Any) -> tuple[list[Any], int, int]:
    """The linear layers of the model's first block, and the multiply-adds per token of every block and
    of the output head. A module counts as linear if it has `in_features` and `out_features` (nn.Linear,
    and the dynamically quantized int8 Linear alike)."""
    head = model.get_output_embeddings()
    blocks: dict[str, list[Any]] = {}
    for name, module in model.named_modules():
        if module is head or not hasattr(module, "in_features") or not hasattr(module, "out_features"):
            continue
        match = re.search(r"\.(\d+)\.", name)
        blocks.setdefault(match.group(1) if match else "", []).append(module)
    first = next((modules for index, modules in blocks.items() if index), [])
    layers = sum(m.in_features * m.out_features for modules in blocks.values() for m in modules)
    return first, layers, head.in_features * head.out_features if head is not None else 0


def linear_rate(model: Any, rows: int, repeats: int = 5) -> float:
    """FLOP/s of the model's first block's linear layers on `rows` input rows: the limit a pass of that
    many tokens can reach on this machine, counting only the work that dominates it."""
    import torch

    modules, _, _ = _linears(model)
    dtype = model.get_input_embeddings().weight.dtype
    device = model.get_input_embeddings().weight.device
    inputs = [torch.randn(rows, m.in_features, dtype=dtype, device=device) for m in modules]
    flops = 2 * rows * sum(m.in_features * m.out_features for m in modules)
    with torch.inference_mode():
        for module, x in zip(modules, inputs):  # warm-up
            module(x)
        best = float("inf")
        for _ in range(repeats):
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            for module, x in zip(modules, inputs):
                module(x)
            if device.type == "cuda":
                torch.cuda.synchronize()
            best = min(best, time.perf_counter() - start)
    return flops / best


def time_split(model: Any, clock: DecodeClock) -> list[str]:
    """A table of prefill and decode: seconds, tokens, tokens/s and the linear layers' achieved GFLOP/s,
    against the same layers run alone on as many rows as a pass had (what that pass shape allows) and on
    `COMPUTE_ROWS` rows (this machine's compute limit for them)."""
    _, layers, head = _linears(model)
    phases = [
        # prefill keeps the head's logits for each prompt's last token only, so only the blocks count
        ("prefill", clock.prefill_s, clock.prefill_tokens, clock.prefill_passes, 2 * layers),
        ("decode", clock.decode_s, clock.decode_tokens, clock.decode_steps, 2 * (layers + head)),
    ]
    peak = linear_rate(model, COMPUTE_ROWS)
    lines = [
        "| phase | seconds | tokens | tokens per pass | tokens/s | GFLOP/s | same rows alone | of it "
        f"| compute limit ({COMPUTE_ROWS} rows) | of it |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, seconds, tokens, passes, per_token in phases:
        if not passes or not seconds:
            continue
        rows = max(1, round(tokens / passes))
        achieved, alone = per_token * tokens / seconds, linear_rate(model, rows)
        lines.append(
            f"| {name} | {seconds:.1f} | {tokens} | {rows} | {tokens / seconds:.0f} | {achieved / 1e9:.1f} | "
            f"{alone / 1e9:.1f} | {achieved / alone:.0%} | {peak / 1e9:.1f} | {achieved / peak:.0%} |"
        )
    return lines
