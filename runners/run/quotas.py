"""What a run wants and what it got: quotas per input or per label, how each retry differs, the run's ledger."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chains.checks.fidelity import Rejection
from chains.local.nocopy import DEFAULT_NO_COPY, MIN_NO_COPY
from runners.run.inputs import Inputs
from runners.run.records import Attempt, Row, WorkItem

# After copies a retry samples this much hotter, up to the cap: the same settings would copy again.
TEMPERATURE_STEP = 0.15
TEMPERATURE_CAP = 1.2
# ... and this much cooler, down to the floor, after answers that drifted from their source's meaning.
TEMPERATURE_FLOOR = 0.3
# More examples of the requested class after answers the judge placed in another class.
SHOT_STEP = 2
COPY_KINDS = ("copy", "near_copy", "duplicate", "near_duplicate")
# Samples asked of one prompt: an input's samples are spread over prompts of this many, each with its own shots,
# so a class's rows are made from every example rather than imitating one shot set, and reach the file sooner.
SAMPLES_PER_PROMPT = 4


def next_attempt(last: Attempt, kinds: Counter, temperature: float | None, sampling: bool, has_source: bool) -> Attempt:
    """The next attempt after one whose rejections were `kinds`; the prompt's examples are drawn afresh anyway.

    Mostly copies or duplicates: sample hotter (within a cap) and block copies harder. Mostly drifted
    meaning or form: sample cooler (within a floor). Off-label verdicts: more in-class shots.
    """
    copies = sum(kinds[k] for k in COPY_KINDS)
    drift = kinds["meaning"] + kinds["form"] + kinds["changed_fact"]
    current = last.temperature if last.temperature is not None else temperature
    new_temperature = last.temperature
    if sampling and current is not None and (copies or drift):
        step = TEMPERATURE_STEP if copies >= drift else -TEMPERATURE_STEP
        moved = min(TEMPERATURE_CAP, max(TEMPERATURE_FLOOR, current + step))
        # A run set hotter than the cap (or cooler than the floor) is not pulled back.
        if (step > 0 and moved > current) or (step < 0 and moved < current):
            new_temperature = round(moved, 2)
    no_copy = last.no_copy
    if has_source and copies:
        no_copy = max(MIN_NO_COPY, (last.no_copy or DEFAULT_NO_COPY) - 1)
    shots = last.extra_shots + (SHOT_STEP if kinds["judge"] else 0)
    return Attempt(last.number + 1, new_temperature, no_copy, shots)


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
    kinds: Counter = field(default_factory=Counter)
    """Rejection kinds of the whole run, for the summary."""
    sample_reasons: dict[str, str] = field(default_factory=dict)
    """The first reason given for each kind, to show what it looked like."""
    last_kinds: Counter = field(default_factory=Counter)
    """Rejection kinds of the current attempt, which decide how the next one differs."""
    step: Attempt = field(default_factory=Attempt)
    vary: bool = False
    """The model cannot sample: each sample is its own prompt, a variant no earlier prompt of this quota took."""
    variants: int = 0
    """Prompt variants handed out so far (with `vary`)."""

    @property
    def need(self) -> int:
        return max(0, self.target - self.have)

    def plan(self, valid_rate: float = 1.0) -> list[WorkItem]:
        """Work for one more attempt: the need spread over the group, rotating inputs, and each input's samples
        over prompts of at most `SAMPLES_PER_PROMPT`.

        The first attempt asks for enough samples to cover the expected rejects; a retry asks for twice
        the need, because an input that failed once tends to fail again, and a second small batch costs
        more than a few extra samples in this one.
        """
        count = min(self.need, len(self.input_ids))
        chosen = [self.input_ids[(self.cursor + i) % len(self.input_ids)] for i in range(count)]
        self.cursor += count
        self.attempts += 1
        per_input = math.ceil(self.need / count)
        samples = max(per_input, round(per_input / max(valid_rate, 0.2))) if self.attempts == 1 else 2 * per_input
        if self.vary:  # one answer per prompt: the same prompt would give the same answer again
            work = []
            for input_id in chosen:
                work += [WorkItem(self.key, input_id, 1, self.step, self.variants + i + 1) for i in range(samples)]
                self.variants += samples
        else:
            prompts = math.ceil(samples / SAMPLES_PER_PROMPT)
            sizes = [samples // prompts + (i < samples % prompts) for i in range(prompts)]
            work = [WorkItem(self.key, input_id, size, self.step) for input_id in chosen for size in sizes]
        self.pending = len(work)
        return work

    def note(self, rejections: list[Rejection]) -> None:
        """Count an answer's rejections."""
        self.kinds.update(r.kind for r in rejections)
        self.last_kinds.update(r.kind for r in rejections)
        for r in rejections:
            self.sample_reasons.setdefault(r.kind, r.reason)

    def retry(self, temperature: float | None, sampling: bool, has_source: bool, valid_rate: float) -> list[WorkItem]:
        """Work for the next attempt, with settings changed by what the last one was rejected for."""
        self.step = next_attempt(self.step, self.last_kinds, temperature, sampling, has_source)
        self.last_kinds.clear()
        return self.plan(valid_rate)

    def shortfall(self) -> str:
        """Why this quota is not met, for the summary."""
        top = self.kinds.most_common(2)
        why = ", ".join(f"{kind} ({k}x, e.g. {self.sample_reasons[kind]})" for kind, k in top) or "no answers"
        return f"{self.key}: {self.need} of {self.target} rows short after {self.attempts} attempts; most rejected as: {why}"


@dataclass
class Summary:
    """What a run did, for the closing report."""

    accepted: int = 0
    rejected: int = 0
    resumed: int = 0
    requested: int = 0
    """Rows the quotas asked for, resumed ones included."""
    seconds: float = 0.0
    unmet: list[Quota] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)

    @property
    def rows_per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


class Ledger:
    """A run's quotas and row numbering, started from the rows an earlier run saved."""

    def __init__(
        self, inputs: Inputs, n: int, per_label: int | None, first: Attempt, saved: list[dict], vary: bool = False
    ) -> None:
        if per_label is None:
            self.quotas = [Quota(key=i, input_ids=[i], target=n, step=first, vary=vary) for i in inputs.rows]
        else:
            groups: dict[str, list[str]] = {}
            for input_id, values in inputs.rows.items():
                groups.setdefault(values["label"], []).append(input_id)
            self.quotas = [
                Quota(key=label, input_ids=ids, target=per_label, step=first, vary=vary)
                for label, ids in groups.items()
            ]
        self.by_key = {q.key: q for q in self.quotas}
        self.index: Counter = Counter()
        by_input = {i: q for q in self.quotas for i in q.input_ids}
        for row in saved:
            self.index[row["input_id"]] += 1
            if (quota := by_input.get(row["input_id"])) is not None:
                quota.have += 1
                quota.variants = max(quota.variants, (row.get("generation") or {}).get("variant", 0))
        self.summary = Summary(resumed=len(saved))

    def first_work(self) -> list[WorkItem]:
        return [item for q in self.quotas if q.need > 0 for item in q.plan()]

    def row_id(self, input_id: str) -> str:
        """The next row id of an input: `<input id>-<number>`, counting on from resumed rows."""
        number = self.index[input_id]
        self.index[input_id] += 1
        return f"{input_id}-{number}"

    def tally(self, rows: list[Row], rejected: int) -> None:
        """Count a batch's saved rows and rejects."""
        self.summary.accepted += len(rows)
        self.summary.rejected += rejected

    @property
    def valid_rate(self) -> float:
        return self.summary.accepted / max(1, self.summary.accepted + self.summary.rejected)

    def finish(self, seconds: float) -> Summary:
        self.summary.seconds = seconds
        self.summary.requested = sum(q.target for q in self.quotas)
        self.summary.unmet = [q for q in self.quotas if q.need > 0]
        self.summary.kinds = sum((q.kinds for q in self.quotas), Counter())
        return self.summary

    def counts(self) -> dict[str, Any]:
        """The manifest's counts: rows saved so far, and the quotas still unmet."""
        accepted = self.summary.resumed + self.summary.accepted
        return {"accepted": accepted, "unmet_quotas": [q.key for q in self.quotas if q.need > 0]}
