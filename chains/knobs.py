"""The run's knobs, one schema checked once for templates, the command line and the library alike."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chains.errors import SynthaugError

_SYMBOLS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))


class KnobError(SynthaugError):
    """A knob is outside its allowed range."""

    def __init__(self, knob: str, value: Any, allowed: str) -> None:
        self.knob, self.value, self.allowed = knob, value, allowed
        super().__init__(f"{knob} {value!r} is out of range; use a value {allowed}")


class GenerationSettings(BaseModel):
    """Decoding settings: a task's defaults, a model's, a run's; unset fields fall back to the next in line."""

    model_config = ConfigDict(extra="forbid")

    max_new_tokens: int | None = Field(default=None, ge=1, le=4096)
    """Token budget of one answer."""
    temperature: float | None = Field(default=None, gt=0, le=5)
    """Sampling temperature; 0 would divide by zero, and past 5 every token is equally likely."""
    top_p: float | None = Field(default=None, gt=0, le=1)
    """Nucleus sampling mass."""
    do_sample: bool | None = None
    """Sample (True) or decode greedily (False)."""


class Knobs(GenerationSettings):
    """Every number a user may turn, decoding settings included; None leaves the task's or the model's default."""

    max_attempts: int | None = Field(default=None, ge=1, le=100)
    """Model calls per quota before it is given up."""
    batch_size: int | None = Field(default=None, ge=1, le=1024)
    """Prompts per model call."""
    n: int | None = Field(default=None, ge=1, le=10_000)
    """Accepted rows wanted per input."""
    per_label: int | None = Field(default=None, ge=1, le=1_000_000)
    """Accepted rows wanted per label."""
    shots: int | None = Field(default=None, ge=0, le=64)
    """Few-shot examples per prompt."""
    no_copy: int | None = Field(default=None, ge=3, le=64)
    """No-copy n-gram size; 2 would ban common word pairs."""


def allowed(knob: str) -> str:
    """The allowed range of a knob, e.g. `> 0 and <= 1`."""
    parts = [
        f"{symbol} {getattr(m, name)}"
        for m in Knobs.model_fields[knob].metadata
        for name, symbol in _SYMBOLS
        if getattr(m, name, None) is not None
    ]
    return " and ".join(parts)


def check_knobs(**values: Any) -> Knobs:
    """The knobs, or a KnobError naming the first one out of range, its value and the range."""
    try:
        return Knobs(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        knob = str(error["loc"][0])
        if knob not in Knobs.model_fields:
            raise TypeError(f"unknown setting {knob!r}") from None
        raise KnobError(knob, values[knob], allowed(knob) or "of the right type") from None
