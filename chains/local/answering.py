"""What one call to the local model asks for: the requests `serve` pulls and the settings that decode them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chains.local.nocopy import DEFAULT_NO_COPY

# Knobs a call may set; everything else in kwargs is ignored as LangChain's own plumbing.
GENERATION_KEYS = ("max_new_tokens", "temperature", "top_p", "do_sample")

Request = tuple[Any, str, int, "str | None", dict[str, Any]]
"""A request to `serve`: key, prompt, samples, source text or None, and its own settings (temperature, no_copy)."""


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
        )

    def for_request(self, own: dict[str, Any]) -> Answering:
        """These settings with a request's own temperature and no-copy size."""
        temperature = own.get("temperature", self.temperature) if self.temperature is not None else None
        return replace(self, temperature=temperature, no_copy=int(own.get("no_copy") or self.no_copy))
