"""`LocalPipeline.serve`: continuous batching of requests pulled from a live queue, on `chains.local.slots`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from chains.local.decoding import eos_ids, shared_prefix
from chains.local.nocopy import DEFAULT_NO_COPY, source_ngrams
from chains.local.pipeline import GENERATION_KEYS, MIN_CACHED_PREFIX, Request
from chains.local.slots import Job, SlotDecoder
from chains.local.stopping import answer_ended, scored_answers

if TYPE_CHECKING:
    from chains.local.pipeline import LocalPipeline


def serve(
    llm: LocalPipeline,
    pull: Callable[[], Request | None],
    stop: list[str] | None = None,
    boundary: str | None = None,
    max_words: int = 1,
    group: int = 8,
    slots: int | None = None,
    **kwargs: Any,
) -> Iterator[list[tuple[Any, list[tuple[str, float]]]]]:
    """Continuous batching: answers for requests pulled one at a time, as they finish.

    `pull()` returns (key, prompt, n, source or None, settings) or None when the queue is empty for
    now; it is called again whenever a slot frees, so work queued while results are out (retries)
    joins the running batch. `settings` may set `temperature` and `no_copy` per request; the rest
    (`do_sample`, `top_p`, `max_new_tokens`) apply to all. Yields lists of (key, answers), `group`
    requests at a time, each answer (text, mean token log-probability) as in `generate`.
    """
    tokenizer = llm.pipeline.tokenizer
    settings = {**llm.generation, **{k: kwargs[k] for k in GENERATION_KEYS if kwargs.get(k) is not None}}
    sampling = bool(settings.get("do_sample"))

    def job(request: Request) -> Job:
        key, prompt, n, source, own = request
        ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        temperature = own.get("temperature", settings.get("temperature", 1.0)) if sampling else None
        no_copy = int(own.get("no_copy") or kwargs.get("no_copy") or DEFAULT_NO_COPY)
        banned = source_ngrams(tokenizer, source, no_copy) if source else None
        return Job(key, ids, n, temperature, banned, no_copy)

    first = []  # the first requests fix the shared prefix whose keys and values are computed once
    while len(first) < (slots or llm.batch_size) and (request := pull()) is not None:
        first.append(job(request))
    prefix = shared_prefix([j.prompt for j in first]) if len(first) > 1 else []
    decoder = SlotDecoder(
        llm.pipeline.model,
        slots or llm.batch_size,
        settings.get("max_new_tokens", 64),
        answer_ended(tokenizer, boundary, stop or (), max_words),
        eos_ids(llm.pipeline.model, tokenizer),
        tokenizer.pad_token_id,
        settings.get("top_p", 1.0) if sampling else 1.0,
        prefix if len(prefix) >= MIN_CACHED_PREFIX else [],
    )

    def next_job() -> Job | None:
        if first:
            return first.pop(0)
        request = pull()
        return None if request is None else job(request)

    for jobs in decoder.run(next_job, group):
        finished = []
        for done in jobs:
            tokens, sums = zip(*done.answers)
            scored = scored_answers(tokenizer, list(tokens), list(sums), boundary, stop or (), max_words)
            finished.append((done.key, scored * (done.n // len(scored))))
        yield finished
