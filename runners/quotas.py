"""What a run wants and what it got: quotas per input or per label, the manifest that defines a run, the summary."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chains import Task
from chains.nocopy import DEFAULT_NO_COPY, MIN_NO_COPY

# After copies a retry samples this much hotter, up to the cap: the same settings would copy again.
TEMPERATURE_STEP = 0.15
TEMPERATURE_CAP = 1.2
# ... and this much cooler, down to the floor, after answers that drifted from their source's meaning.
TEMPERATURE_FLOOR = 0.3
# More examples of the requested class after answers the judge placed in another class.
SHOT_STEP = 2
COPY_KINDS = ("copy", "near_copy", "duplicate", "near_duplicate")


@dataclass(frozen=True)
class Attempt:
    """What one attempt at a quota changes from the run's settings; each retry changes what failed before."""

    number: int = 1
    temperature: float | None = None
    """Sampling temperature; None keeps the run's."""
    no_copy: int | None = None
    """No-copy n-gram size (smaller blocks more); None keeps the default."""
    extra_shots: int = 0
    """Examples shown beyond the selector's own number."""

    def settings(self) -> dict[str, Any]:
        """The decoding settings this attempt overrides."""
        return {k: v for k, v in (("temperature", self.temperature), ("no_copy", self.no_copy)) if v is not None}

    def retry(self, kinds: Counter, temperature: float | None, sampling: bool, has_source: bool) -> Attempt:
        """The next attempt after one whose rejections were `kinds`; the prompt's examples are drawn afresh anyway.

        Mostly copies or duplicates: sample hotter (within a cap) and block copies harder. Mostly drifted
        meaning or form: sample cooler (within a floor). Off-label verdicts: more in-class shots.
        """
        copies = sum(kinds[k] for k in COPY_KINDS)
        drift = kinds["meaning"] + kinds["form"]
        current = self.temperature if self.temperature is not None else temperature
        new_temperature = self.temperature
        if sampling and current is not None and (copies or drift):
            step = TEMPERATURE_STEP if copies >= drift else -TEMPERATURE_STEP
            moved = min(TEMPERATURE_CAP, max(TEMPERATURE_FLOOR, current + step))
            # A run set hotter than the cap (or cooler than the floor) is not pulled back.
            if (step > 0 and moved > current) or (step < 0 and moved < current):
                new_temperature = round(moved, 2)
        no_copy = self.no_copy
        if has_source and copies:
            no_copy = max(MIN_NO_COPY, (self.no_copy or DEFAULT_NO_COPY) - 1)
        shots = self.extra_shots + (SHOT_STEP if kinds["judge"] else 0)
        return Attempt(self.number + 1, new_temperature, no_copy, shots)


def quota_spec(n: int, per_label: int | None) -> dict[str, int | None]:
    """How many rows a run wants: per input, or per label."""
    return {"n": None if per_label else n, "per_label": per_label}


def run_manifest(
    task: Task,
    model: str,
    settings: dict[str, Any],
    seed: int,
    quota: dict[str, int | None],
    inputs_name: str | None,
    selector: dict[str, Any] | None = None,
    verify_label: str | None = None,
    checks: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The settings that define a run: a resumed run must match them all."""
    return {
        "verify_label": verify_label,
        "checks": checks or {},
        "selector": selector or {"name": "fixed", "shots": len(task.examples)},
        "task": task.name,
        "language": task.language,
        "template": task.hash,
        "model": model,
        "generation": settings,
        "seed": seed,
        "quota": quota,
        "input": inputs_name,
    }


def checks_spec(
    task: Task,
    no_copy: int | None,
    near_copy: float,
    min_similarity: float,
    judged: bool,
    min_confidence: float | None,
    min_logprob: float | None,
) -> dict[str, Any]:
    """The answer checks a run applies, for its manifest: only those that apply to the task."""
    spec: dict[str, Any] = {"min_logprob": min_logprob}
    if task.source is not None:
        spec.update(no_copy=no_copy or DEFAULT_NO_COPY, near_copy=near_copy, min_similarity=min_similarity)
    if judged:
        spec["min_confidence"] = min_confidence
    return spec


@dataclass
class Quota:
    """Rows wanted from a group of inputs: one input (`--n`) or every input of one label (`--per-label`)."""

    key: str
    input_ids: list[str]
    target: int
    have: int = 0
    attempts: int = 0
    pending: int = 0
    cursor: int = 0
    reasons: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    """Rejection kinds of the current attempt, which decide how the next one differs."""
    step: Attempt = field(default_factory=Attempt)

    @property
    def need(self) -> int:
        return max(0, self.target - self.have)

    def plan(self, valid_rate: float = 1.0) -> list[tuple[Quota, str, int]]:
        """Work for one more attempt, as (quota, input id, samples): the need spread over the group, rotating inputs.

        The first attempt asks for enough samples to cover the expected rejects; a retry asks for twice
        the need, because an input that failed once tends to fail again, and a second small batch costs
        more than a few extra samples in this one.
        """
        count = min(self.need, len(self.input_ids))
        chosen = [self.input_ids[(self.cursor + i) % len(self.input_ids)] for i in range(count)]
        self.cursor += count
        self.attempts += 1
        self.pending = count
        per_input = math.ceil(self.need / count)
        samples = max(per_input, round(per_input / max(valid_rate, 0.2))) if self.attempts == 1 else 2 * per_input
        return [(self, input_id, samples) for input_id in chosen]

    def shortfall(self) -> str:
        """Why this quota is not met, for the summary."""
        why = ", ".join(f"{reason} ({k}x)" for reason, k in self.reasons.most_common(2)) or "no answers"
        return f"{self.key}: {self.need} of {self.target} rows short after {self.attempts} attempts; most rejected for: {why}"


@dataclass
class Summary:
    """What a run did, for the closing report."""

    accepted: int = 0
    rejected: int = 0
    resumed: int = 0
    seconds: float = 0.0
    unmet: list[Quota] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)

    @property
    def rows_per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0
