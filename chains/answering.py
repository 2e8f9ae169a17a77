"""What one call to a model asks for: the requests `serve` pulls, the settings that decode them, and
`generate_scored`, which any model that serves (local or on a server) gets from its `serve`."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from chains.local.nocopy import DEFAULT_NO_COPY

# Knobs a call may set; everything else in kwargs is ignored as LangChain's own plumbing.
GENERATION_KEYS = ("max_new_tokens", "temperature", "top_p", "do_sample")

Request = tuple[Any, Any, int, "str | None", dict[str, Any]]
"""A request to `serve`: key, prompt (a string, or chat messages for a chat model), samples, source text or
None, and its own settings (temperature, no_copy)."""
Scored = list[tuple[str, "float | None"]]
"""A prompt's answers, each with its mean token log-probability (None where the model gives none)."""
Answers = list[tuple[Any, Scored]]
"""Finished requests: each key with its answers."""


@dataclass(frozen=True)
class Answering:
    """How the answers of one call are decoded and where they end."""

    max_new_tokens: int = 64
    temperature: float | None = None
    """Sampling temperature; None decodes greedily."""
    top_p: float = 1.0
    no_copy: int = DEFAULT_NO_COPY
    """No-copy n-gram size, for prompts that carry a source."""
    boundary: str | None = None
    """The output kind whose end stops an answer (`word`, `sentence`, `label`, ...)."""
    stop: tuple[str, ...] = ()
    max_words: int = 1
    labels: tuple[str, ...] = ()
    """A label answer's classes: it ends as soon as it is one of them."""

    @classmethod
    def of(cls, generation: dict[str, Any], kwargs: dict[str, Any]) -> Answering:
        """The settings of a call: its keyword arguments over the model's `generation` settings."""
        settings = {**generation, **{k: kwargs[k] for k in GENERATION_KEYS if kwargs.get(k) is not None}}
        sampling = bool(settings.get("do_sample"))
        return cls(
            max_new_tokens=settings.get("max_new_tokens", 64),
            temperature=settings.get("temperature", 1.0) if sampling else None,
            top_p=settings.get("top_p", 1.0) if sampling else 1.0,
            no_copy=int(kwargs.get("no_copy") or DEFAULT_NO_COPY),
            boundary=kwargs.get("boundary"),
            stop=tuple(kwargs.get("stop") or ()),
            max_words=kwargs.get("max_words", 1),
            labels=tuple(kwargs.get("labels") or ()),
        )

    def for_request(self, own: dict[str, Any]) -> Answering:
        """These settings with a request's own temperature and no-copy size."""
        temperature = own.get("temperature", self.temperature) if self.temperature is not None else None
        return replace(self, temperature=temperature, no_copy=int(own.get("no_copy") or self.no_copy))


class Serving:
    """For a model with `serve(pull, group=..., **settings)`: `generate_scored`, the same answers for a fixed list."""

    def serve(self, pull: Callable[[], Request | None], group: int = 8, **kwargs: Any) -> Iterator[Answers]:
        raise NotImplementedError

    def generate_scored(self, prompts: list[Any], n: int = 1, **kwargs: Any) -> list[Scored]:
        """`n` (answer, mean token log-probability) pairs for each prompt, in prompt order.

        `boundary` is an output kind (`word`, `sentence`, `label`): an answer ends where an answer of that
        kind ends. `sources` (one text per prompt, or `source=` for all) with `no_copy=k`: a local model
        never continues a run of its source's tokens beyond k - 1 tokens.
        """
        sources = kwargs.pop("sources", None)
        if sources is None and kwargs.get("source") is not None:
            sources = [kwargs["source"]] * len(prompts)
        if sources is not None and len(sources) != len(prompts):
            raise ValueError(f"got {len(sources)} sources for {len(prompts)} prompts")
        order = sorted(range(len(prompts)), key=lambda i: len(str(prompts[i])))  # similar widths prefill together
        queue = deque((i, prompts[i], n, None if sources is None else sources[i], {}) for i in order)
        results: list[Scored] = [[] for _ in prompts]
        for finished in self.serve(lambda: queue.popleft() if queue else None, group=len(prompts), **kwargs):
            for key, answers in finished:
                results[key] = answers
        return results
