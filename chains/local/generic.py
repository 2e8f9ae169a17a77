"""The generic decode path: transformers' own `model.generate`, for models the slot decoder does not drive,
and for streaming. Every setting goes along: sampling, the no-copy block, the answer-end stop and `n`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from chains.answering import Answering, Request
from chains.local.decoding import TOP_K, eos_ids, input_device, on_device
from chains.local.nocopy import no_copy_processor
from chains.local.stopping import answer_end_criteria, scored_answers


def generate_kwargs(tokenizer: Any, width: int, how: Answering, sources: list[str] | None) -> dict[str, Any]:
    """`model.generate` keyword arguments for prompts `width` tokens wide, with one source per row (or None)."""
    from transformers import LogitsProcessorList

    processors = LogitsProcessorList()
    if sources is not None and how.no_copy:
        processors.append(no_copy_processor(tokenizer, sources, how.no_copy))
    sampling = {"do_sample": False}
    if how.temperature is not None:
        sampling = {"do_sample": True, "temperature": how.temperature, "top_p": how.top_p, "top_k": TOP_K}
    return {
        "max_new_tokens": how.max_new_tokens,
        "logits_processor": processors,
        "stopping_criteria": answer_end_criteria(tokenizer, width, how.boundary, how.stop, how.max_words, how.labels),
        "pad_token_id": tokenizer.pad_token_id,
        **sampling,
    }


def encode(tokenizer: Any, prompts: list[str], device: Any) -> dict[str, Any]:
    """Prompts as left-padded `input_ids` and `attention_mask` on `device`."""
    import torch

    batch = tokenizer(prompts, add_special_tokens=False, padding=True)
    return {name: on_device(batch[name], device, torch.long) for name in ("input_ids", "attention_mask")}


def generate_batch(
    model: Any, tokenizer: Any, prompts: list[str], n: int, how: Answering, sources: list[str] | None = None
) -> list[list[tuple[str, float]]]:
    """`n` (answer, mean token log-probability) pairs per prompt from one `model.generate` call; the
    log-probability is the model's own, before temperature or any processor, as on the slot decoder."""
    import torch

    samples = n if how.temperature is not None else 1  # greedy gives one answer; it is repeated, not recomputed
    batch = encode(tokenizer, prompts, input_device(model))
    width = batch["input_ids"].shape[1]
    rows = None if sources is None else [s for s in sources for _ in range(samples)]
    with torch.inference_mode():
        out = model.generate(
            **batch,
            num_return_sequences=samples,
            return_dict_in_generate=True,
            output_logits=True,
            **generate_kwargs(tokenizer, width, how, rows),
        )
    new = out.sequences[:, width:]
    logprobs = torch.stack(out.logits, dim=1).float().log_softmax(-1).gather(-1, new[..., None])[..., 0]
    ends = on_device(sorted(eos_ids(model, tokenizer) | {tokenizer.pad_token_id}), new.device, torch.long)
    answer = torch.isin(new, ends).cumsum(-1) == 0  # a finished row is padded after its end
    lengths, sums = torch.stack([answer.sum(-1).float(), (logprobs * answer).sum(-1)]).tolist()
    tokens = [row[: int(length)] for row, length in zip(new.tolist(), lengths)]
    scored = scored_answers(tokenizer, tokens, sums, how.boundary, list(how.stop), how.max_words, how.labels)
    return [scored[i * samples : (i + 1) * samples] * (n // samples) for i in range(len(prompts))]


def serve_generic(
    model: Any, tokenizer: Any, pull: Callable[[], Request | None], how: Answering, batch_size: int
) -> Iterator[list[tuple[Any, list[tuple[str, float]]]]]:
    """`serve` without slots: up to `batch_size` requests at a time, one `model.generate` per group of
    requests that share their sample count and settings; more are pulled once a batch is answered."""
    while True:
        requests = []
        while len(requests) < batch_size and (request := pull()) is not None:
            requests.append(request)
        if not requests:
            return
        groups: dict[tuple, list[Request]] = {}
        for request in requests:
            groups.setdefault((request[2], tuple(sorted(request[4].items()))), []).append(request)
        for (n, own), group in groups.items():
            sources = None if any(r[3] is None for r in group) else [r[3] for r in group]
            answers = generate_batch(model, tokenizer, [r[1] for r in group], n, how.for_request(dict(own)), sources)
            yield [(r[0], a) for r, a in zip(group, answers)]
