"""Decoding on the model: a batch loop whose finished rows leave at once, and a fast sampler.

The sampler applies temperature and top-p within the top-k tokens and draws by the Gumbel-max trick:
transformers samples with a full-vocabulary sort (top-p) and `torch.multinomial`; on a CPU these cost a
fifth of a small model's decoding time. Here the draw happens among the `top_k` most likely tokens and
the chosen token is left as the only finite logit, so greedy decoding picks it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

TOP_K = 64


def fast_sampler(temperature: float = 1.0, top_p: float = 1.0, top_k: int = TOP_K) -> Any:
    """A transformers LogitsProcessor that samples one token per row; use it with `do_sample=False`."""
    import torch
    from transformers import LogitsProcessor

    class FastSampler(LogitsProcessor):
        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
            choice = _draw(scores.float(), torch.full((scores.shape[0], 1), float(temperature)), top_p, top_k)
            return torch.full_like(scores, float("-inf")).scatter_(-1, choice[:, None], 0.0)

    return FastSampler()


def _draw(scores: Any, temperatures: Any, top_p: float, top_k: int) -> Any:
    """One token per row, drawn within the top-k nucleus at each row's temperature (a [rows, 1] tensor)."""
    import torch

    top, index = (scores / temperatures).topk(min(top_k, scores.shape[-1]), dim=-1)
    probs = top.softmax(dim=-1)
    outside = probs.cumsum(dim=-1) - probs >= top_p  # tokens past the nucleus; the first always stays
    top = top.masked_fill(outside, float("-inf"))
    gumbel = -torch.log(-torch.log(torch.rand_like(top).clamp(1e-10, 1.0)))
    return index.gather(-1, (top + gumbel).argmax(dim=-1, keepdim=True))[:, 0]


def choose_tokens(scores: Any, temperatures: list[float | None], top_p: float = 1.0, top_k: int = TOP_K) -> Any:
    """One token per row: greedy rows (temperature None) take the best; sampled rows draw as `fast_sampler`
    does, each at its own temperature."""
    import torch

    greedy = scores.argmax(dim=-1)
    if all(t is None for t in temperatures):
        return greedy
    sampled = _draw(scores, torch.tensor([t or 1.0 for t in temperatures])[:, None], top_p, top_k)
    return torch.where(torch.tensor([t is None for t in temperatures]), greedy, sampled)


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


def decode(
    model: Any,
    input_ids: Any,
    attention_mask: Any,
    cache: Any,
    max_new_tokens: int,
    finished: Callable[[list[int]], bool],
    eos: set[int],
    processors: Sequence[Any] = (),
) -> tuple[list[list[int]], list[float]]:
    """New tokens for each row, until `finished(tokens)`, an end-of-sequence token or the budget, and the
    sum of their log-probabilities under the model (before temperature or any processor): how sure it was.

    Unlike `model.generate`, a finished row leaves the batch (and its cache) at once, so the work
    follows the tokens actually generated rather than the longest answer of the batch. `processors`
    (transformers LogitsProcessors, the sampler last) see each row's answer tokens so far; a processor
    with per-row state is sliced as rows leave (`chains.local.nocopy.keep_rows`).
    """
    import torch
    from transformers import DynamicCache

    from chains.local.nocopy import keep_rows

    cache = cache if cache is not None else DynamicCache()
    cache_arg = {cache_param(model): cache}
    cached = cache.get_seq_length()
    positions = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    rows = list(range(input_ids.shape[0]))
    generated: list[list[int]] = [[] for _ in rows]
    logprobs = [0.0] * len(rows)
    with torch.inference_mode():
        output = model(
            input_ids=input_ids[:, cached:],
            attention_mask=attention_mask,
            position_ids=positions[:, cached:],
            use_cache=True,
            logits_to_keep=1,
            **cache_arg,
        )
        next_position = positions[:, -1] + 1
        history = input_ids.new_empty((len(rows), 0))
        for step in range(max_new_tokens):
            logits = output.logits[:, -1, :]
            scores = logits
            for processor in processors:
                scores = processor(history, scores)
            tokens = scores.argmax(dim=-1)
            chosen = logits.float().log_softmax(dim=-1).gather(-1, tokens[:, None])[:, 0].tolist()
            history = torch.cat([history, tokens[:, None]], dim=-1)
            keep = []
            for j, token in enumerate(tokens.tolist()):
                if token in eos:
                    continue
                generated[rows[j]].append(token)
                logprobs[rows[j]] += chosen[j]
                if not finished(generated[rows[j]]):
                    keep.append(j)
            if not keep or step == max_new_tokens - 1:
                break
            if len(keep) < len(rows):
                index = torch.tensor(keep)
                cache.batch_select_indices(index)
                attention_mask, next_position, tokens = attention_mask[index], next_position[index], tokens[index]
                history = history[index]
                for processor in processors:
                    keep_rows(processor, keep)
                rows = [rows[j] for j in keep]
            attention_mask = torch.cat([attention_mask, attention_mask.new_ones((len(rows), 1))], dim=-1)
            output = model(
                input_ids=tokens[:, None],
                attention_mask=attention_mask,
                position_ids=next_position[:, None],
                use_cache=True,
                **cache_arg,
            )
            next_position = next_position + 1
    return generated, logprobs
