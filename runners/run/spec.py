"""`RunSpec`: everything that defines a run, built once (from the command line or the library) and frozen.

It is checked when built, and it alone feeds the manifest (what a resumed run must match) and the loop.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseLanguageModel
from pydantic import BaseModel, ConfigDict

from chains import Task
from chains.chain import resolve_settings
from chains.checks.fidelity import MIN_SIMILARITY, NEAR_COPY
from chains.knobs import check_knobs
from chains.local.nocopy import DEFAULT_NO_COPY
from chains.local.sources import SMALL_MODEL
from runners.run.records import Attempt


class RunSpec(BaseModel):
    """One run's task, model, decoding settings, quotas and answer checks."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    task: Task
    model: str
    """The model's name, as recorded in rows and the manifest."""
    generation: dict[str, Any] = {}
    """Decoding settings: the user's, then the task's defaults (`chains.chain.resolve_settings`)."""
    seed: int = 0
    n: int = 1
    per_label: int | None = None
    max_attempts: int = 5
    batch_size: int | None = None
    """Decode slots; None: the model's own (`chains.local.sizing`)."""
    inputs_name: str | None = None
    selector: str | None = None
    """The example selector's name; None shows the task's own examples."""
    shots: int | None = None
    verify_label: str | None = None
    """The label judge's name (`embedding`, `classify`, ...); None judges nothing."""
    min_confidence: float | None = None
    min_logprob: float | None = None
    """Reject answers less likely than this (mean token log-probability); None: see `floor`."""
    no_copy: int | None = None
    near_copy: float = NEAR_COPY
    min_similarity: float = MIN_SIMILARITY
    near_dup: float | None = None
    facts: bool = True
    """Tasks with a source: reject answers that change its numbers, negation or names (`chains.checks.facts`)."""
    strategy: str | None = None
    """How `labeled` writes its rows (`runners.run.strategy`); None for other tasks."""

    def __init__(self, **fields: Any) -> None:
        """Every knob is checked first; a `KnobError` names the first out of range (not a ValidationError)."""
        settings = fields.get("generation") or {}
        knobs = ("n", "per_label", "max_attempts", "batch_size", "shots", "no_copy")
        check_knobs(
            **{k: fields.get(k) for k in knobs},
            **{k: settings.get(k) for k in ("temperature", "top_p", "max_new_tokens")},
        )
        super().__init__(**fields)

    @classmethod
    def for_model(cls, task: Task, llm: BaseLanguageModel, model: str, **fields: Any) -> RunSpec:
        """A spec whose decoding settings are those `llm` was loaded with, then the task's."""
        return cls(task=task, model=model, generation=resolve_settings(task, getattr(llm, "generation", {})), **fields)

    @property
    def floor(self) -> float | None:
        """The confidence floor in force: the user's, else the task's on the embedded model (where it was
        measured), else none."""
        if self.min_logprob is not None:
            return self.min_logprob
        return self.task.min_logprob if self.model == SMALL_MODEL else None

    def first_attempt(self) -> Attempt:
        no_copy = (self.no_copy or DEFAULT_NO_COPY) if self.task.source is not None else None
        return Attempt(no_copy=no_copy)

    def checks(self) -> dict[str, Any]:
        """The answer checks the run applies: only those that apply to the task."""
        spec: dict[str, Any] = {"min_logprob": self.floor}
        if self.task.source is not None:
            spec.update(
                no_copy=self.no_copy or DEFAULT_NO_COPY,
                near_copy=self.near_copy,
                min_similarity=self.min_similarity,
                facts=self.facts,
            )
        if self.verify_label is not None:
            spec["min_confidence"] = self.min_confidence
        return spec

    def manifest(self) -> dict[str, Any]:
        """The settings that define a run: a resumed run must match them all."""
        task = self.task
        selector = {"name": self.selector, "shots": self.shots} if self.selector else None
        return {
            "verify_label": self.verify_label,
            "checks": self.checks(),
            "selector": selector or {"name": "fixed", "shots": len(task.examples)},
            "task": task.name,
            "language": task.language,
            "template": task.hash,
            "model": self.model,
            "generation": self.generation,
            "seed": self.seed,
            "quota": {"n": None if self.per_label else self.n, "per_label": self.per_label},
            "input": self.inputs_name,
            **({"strategy": self.strategy} if self.strategy else {}),
        }
