"""`serve`: answers for requests pulled from a live queue as they finish, on the slot decoder, or on
transformers' `generate` for a model the slot decoder does not drive exactly (`chains.local.generic`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from chains.answering import Answering, Answers, Request
from chains.local.attention import unsupported
from chains.local.clock import DecodeClock
from chains.local.decoding import eos_ids, shared_prefix
from chains.local.generic import serve_generic
from chains.local.jobs import Job
from chains.local.nocopy import source_ngrams
from chains.local.slots import MIN_CACHED_PREFIX, SlotDecoder
from chains.local.stopping import answer_ended, scored_answers


def serve(
    model: Any,
    tokenizer: Any,
    pull: Callable[[], Request | None],
    how: Answering,
    slots: int,
    group: int = 8,
    prefix_cache: dict[tuple[int, ...], Any] | None = None,
    clock: DecodeClock | None = None,
) -> Iterator[Answers]:
    """Continuous batching: answers for requests pulled one at a time, as they finish.

    `pull()` returns a `Request` or None when the queue is empty for now; it is called again whenever a
    slot frees, so work queued while results are out (retries) joins the running batch. A request's own
    settings may set `temperature` and `no_copy`; `how` sets the rest. Yields `group` requests at a time.
    `prefix_cache` keeps the keys and values of shared prompt starts from one call to the next;
    `clock` adds up prefill and decode time.
    """
    if unsupported(model) is not None:
        yield from serve_generic(model, tokenizer, pull, how, slots)
        return

    def job(request: Request) -> Job:
        key, prompt, n, source, own = request
        ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        this = how.for_request(own)
        banned = source_ngrams(tokenizer, source, this.no_copy) if source else None
        return Job(key, ids, n, this.temperature, banned, this.no_copy)

    first = []  # the first requests fix the shared prefix whose keys and values are computed once
    while len(first) < slots and (request := pull()) is not None:
        first.append(job(request))
    prefix = shared_prefix([j.prompt for j in first]) if len(first) > 1 else []
    prefix = prefix if len(prefix) >= MIN_CACHED_PREFIX else []
    cache = prefix_cache if prefix_cache is not None else {}
    decoder = SlotDecoder(
        model,
        slots,
        how.max_new_tokens,
        answer_ended(tokenizer, how.boundary, how.stop, how.max_words, how.labels),
        eos_ids(model, tokenizer),
        tokenizer.pad_token_id,
        how.top_p,
        prefix,
        prefixes=cache,
        clock=clock,
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
            scored = scored_answers(
                tokenizer, list(tokens), list(sums), how.boundary, how.stop, how.max_words, how.labels
            )
            finished.append((done.key, scored * (done.n // len(scored))))
        yield finished
