"""Which sampled answers become rows: parse, confidence floor, source check, label judge, then dedup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.exceptions import OutputParserException

from chains import Task, parser_for
from chains.chain import Answer
from chains.checks.dedup import NearDuplicateIndex, dedup_key
from chains.checks.fidelity import Rejection, SourceCheck
from chains.checks.judge import LabelJudge, Verdict


@dataclass(frozen=True)
class Candidate:
    """A parsed value, the first check it failed (None: passed so far), and the judge's verdict on it."""

    value: Any
    rejection: Rejection | None
    verdict: Verdict | None


Screened = tuple[list[Candidate], list[Rejection]]
"""One answer screened: its parsed values, and why it gave none (parse error, low confidence)."""


@dataclass
class AnswerFilter:
    """Checks answers in two steps: `screen` (batched, no state) and `admit` (dedup, in row order)."""

    task: Task
    min_logprob: float | None = None
    """Reject answers whose mean token log-probability is below this (None: keep all)."""
    source_check: SourceCheck | None = None
    """Checks answers against the input they restate (tasks with a source); None: copies and form only."""
    judge: LabelJudge | None = None
    """Labels each value again; a row it does not place in its own label is rejected."""
    min_confidence: float | None = None
    """With a judge: the probability it must give the row's label (None: its top label must be the row's)."""
    near_duplicates: NearDuplicateIndex | None = None

    def __post_init__(self) -> None:
        self.parser = parser_for(self.task)
        if self.task.source is not None and self.source_check is None:
            self.source_check = SourceCheck()
        self._seen: set[str] = set()

    def remember(self, outputs: list[str]) -> None:
        """Rows saved before: later answers that repeat them are duplicates."""
        self._seen.update(dedup_key(o) for o in outputs)
        if self.near_duplicates is not None and outputs:
            self.near_duplicates.check_and_add(outputs)

    def parse(self, answer: Answer) -> tuple[list[Any], list[Rejection]]:
        """The values that passed the parser and the confidence floor, or the rejection."""
        raw, logprob = answer
        try:
            parsed = self.parser.parse(raw)
        except OutputParserException as exc:
            return [], [Rejection(getattr(exc, "kind", "parse"), str(exc).split("\n")[0])]
        if self.min_logprob is not None and logprob is not None and logprob < self.min_logprob:
            reason = f"the model was unsure of it (mean token log-probability {logprob:.2f} < {self.min_logprob})"
            return [], [Rejection("confidence", reason)]
        return (parsed if isinstance(parsed, list) else [parsed]), []

    def screen(self, batch: list[tuple[dict[str, str], list[Answer]]]) -> list[list[Screened]]:
        """Every answer of every (input values, answers) pair, parsed and checked, with one batched
        source check and one batched judge call for the whole batch."""
        parsed = [[self.parse(answer) for answer in answers] for _, answers in batch]
        flat = [(values, v) for (values, _), per in zip(batch, parsed) for vs, _ in per for v in vs]
        checks = iter(self._source_checks(flat))
        verdicts = iter(self.judge.judge([v for _, v in flat]) if self.judge else [None] * len(flat))
        screened = []
        for (values, _), per in zip(batch, parsed):
            answers = []
            for vs, rejections in per:
                candidates = []
                for value in vs:
                    check, verdict = next(checks), next(verdicts)
                    candidates.append(Candidate(value, check or self._disagreement(values, verdict), verdict))
                answers.append((candidates, rejections))
            screened.append(answers)
        return screened

    def admit(self, value: Any) -> Rejection | None:
        """Why `value` repeats an earlier row (exactly after normalising, or nearly), or None: it is remembered."""
        if self.task.output == "label":  # labels repeat by nature
            return None
        key = dedup_key(value)
        if key in self._seen:
            return Rejection("duplicate", "duplicate of an earlier row")
        if self.near_duplicates is not None:
            cosine = self.near_duplicates.check_and_add([value])[0]
            if cosine is not None:
                return Rejection("near_duplicate", f"near-duplicate of an earlier row (cosine {cosine:.2f})")
        self._seen.add(key)
        return None

    def _source_checks(self, flat: list[tuple[dict[str, str], Any]]) -> list[Rejection | None]:
        if self.source_check is None:
            return [None] * len(flat)
        return self.source_check.check([(value, values[self.task.source]) for values, value in flat])

    def _disagreement(self, values: dict[str, str], verdict: Verdict | None) -> Rejection | None:
        """Why the judge does not place the row in its own label, or None."""
        if verdict is None or "label" not in values:
            return None
        own = values["label"]
        if self.min_confidence is None:
            if (verdict.label or "").casefold() == own.casefold():
                return None
            return Rejection("judge", f"judge labelled it {verdict.label} ({verdict.confidence:.2f}), not {own}")
        probability = verdict.probability(own)
        if probability >= self.min_confidence:
            return None
        return Rejection(
            "judge", f"judge gave {own} {probability:.2f} < {self.min_confidence} (its label: {verdict.label})"
        )
