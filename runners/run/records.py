"""The row schema: a work item, a sampled answer set, a saved row and a reject, as the files hold them.

`out.jsonl` holds one `Row` per line and `out.rejected.jsonl` one `Reject`, their fields in this order.
A reject's `kind` is one of `REJECT_KINDS`; its `reason` is the same thing in words, for people.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from chains.chain import Answer

REJECT_KINDS = {
    "parse": "the parser refused the answer (not one word, sentence or label)",
    "broken_text": "the answer holds a broken character (a token cut mid-character, a control character)",
    "language": "the answer is not in the run's language",
    "task_talk": "the answer speaks of the prompt's classes instead of being an example of one",
    "confidence": "the model's mean token log-probability was below the floor",
    "copy": "the answer is its source",
    "near_copy": "the answer is its source with a word or two changed",
    "changed_fact": "the answer changed a number, the negation or a name of its source",
    "meaning": "the answer drifted from its source's meaning",
    "form": "a question became a statement, or the reverse",
    "glued": "the answer runs two of its source's words together ('thismorning')",
    "judge": "the label judge placed it in another class",
    "duplicate": "it repeats an earlier row",
    "near_duplicate": "its embedding is too close to an earlier row's",
    "pool_validation": "validation on the labelled pool found the run's rows would hurt a classifier",
    "balance": "left out so that every class adds as many rows as the class with the fewest",
    "label_check": "the model's own classify prompt, shown pool examples, put it in another class",
}

HELD_KINDS = ("pool_validation", "balance", "label_check")
"""Reject kinds of rows that were made and passed their checks, then held back by the gate."""


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


@dataclass(frozen=True)
class WorkItem:
    """One model request: `samples` answers for one input, serving one quota at one attempt."""

    quota: str
    input_id: str
    samples: int
    attempt: Attempt
    variant: int = 0
    """Which wording and shot order its prompt takes (`Prompter`); 0 unless the model cannot sample."""

    def variant_setting(self) -> dict[str, int]:
        """The variant as a row records it, beside its decoding settings."""
        return {"variant": self.variant} if self.variant else {}


@dataclass(frozen=True)
class Sampled:
    """A work item's answers, and the ids of the examples its prompt showed."""

    item: WorkItem
    answers: list[Answer]
    examples: list[str]


def _rounded(logprob: float | None) -> float | None:
    return None if logprob is None else round(logprob, 4)


@dataclass(frozen=True)
class Row:
    """One accepted row: the parsed `output`, its `label`, and everything needed to reproduce it."""

    id: str
    task: str
    language: str
    input_id: str
    inputs: dict[str, str]
    output: Any
    label: str | None
    raw: str
    attempts: int
    examples: list[str]
    model: str
    generation: dict[str, Any]
    template: str
    seed: int
    judge: dict[str, Any] | None
    logprob: float | None
    weight: float | None = None
    """How much to trust the row as training data, in [0, 1], from validation on the labelled pool (the
    probability classifiers trained on the pool give its label); None where the run had no pool to check on."""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "logprob": _rounded(self.logprob)}


@dataclass(frozen=True)
class Reject:
    """One refused answer: the raw text, the machine-readable `kind` and the human `reason`."""

    input_id: str
    label: str | None
    raw: str
    reason: str
    kind: str
    attempt: int
    logprob: float | None
    source: str | None = None
    """The input text the answer was made from (a paraphrase's source, a labelled input's text); None where the
    input has no text, and in files written before rejects recorded it."""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "logprob": _rounded(self.logprob)}


def reject_kind(reject: dict[str, Any]) -> str:
    """The kind of a saved reject; `unknown` for files written before kinds were recorded."""
    return str(reject.get("kind") or "unknown")
