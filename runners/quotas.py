"""What a run wants and what it got: quotas per input or per label, the manifest that defines a run, the summary."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chains import Task


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
) -> dict[str, Any]:
    """The settings that define a run: a resumed run must match them all."""
    return {
        "verify_label": verify_label,
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
