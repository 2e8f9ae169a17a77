"""Where prompts are sampled: `LocalBackend` on the model in this process; `RayBackend` (distributed.py) on workers.

A backend takes work items off the run's queue, renders their prompts and returns their answers in
batches as they finish; the loop parses, checks and saves them. Both end in `chains.chain.sample_each`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any, Protocol

from langchain_core.language_models import BaseLanguageModel

from chains import Task
from chains.chain import sample_each
from chains.prompts import Prompter
from runners.run.inputs import Inputs
from runners.run.records import Sampled, WorkItem


class Backend(Protocol):
    def batches(self, queue: deque[WorkItem], prompter: Prompter, inputs: Inputs) -> Iterator[list[Sampled]]:
        """Sampled batches of the queued work; items queued meanwhile may join later batches."""
        ...

    def close(self) -> None: ...


def source_of(task: Task, values: dict[str, str]) -> str | None:
    return values[task.source] if task.source is not None else None


class LocalBackend:
    """Batches of `batch_size` from the live queue, so retries queued meanwhile join later batches."""

    def __init__(self, task: Task, llm: BaseLanguageModel, batch_size: int = 32) -> None:
        self.task, self.llm, self.batch_size = task, llm, batch_size

    def batches(self, queue: deque[WorkItem], prompter: Prompter, inputs: Inputs) -> Iterator[list[Sampled]]:
        while queue:
            # Ordered by sample count, the order in which sample_each makes its calls (and a selector is asked).
            work = sorted((queue.popleft() for _ in range(min(self.batch_size, len(queue)))), key=lambda w: w.samples)
            prompts, shown = zip(*(prompter(inputs.rows[w.input_id], w.attempt.extra_shots) for w in work))
            sources = [source_of(self.task, inputs.rows[w.input_id]) for w in work]
            answers = sample_each(
                self.task,
                self.llm,
                list(prompts),
                [w.samples for w in work],
                sources if self.task.source is not None else None,
                [w.attempt.settings() for w in work],
            )
            yield [Sampled(w, a, ids) for w, a, ids in zip(work, answers, shown)]

    def close(self) -> None:
        pass


def requests(work: list[WorkItem], prompter: Prompter, inputs: Inputs, task: Task, first: int) -> list[dict[str, Any]]:
    """Work rendered for a remote backend, keyed from `first` on: prompt, samples, source, settings."""
    rendered = []
    for key, item in enumerate(work, start=first):
        values = inputs.rows[item.input_id]
        prompt, shown = prompter(values, item.attempt.extra_shots)
        rendered.append(
            {
                "key": key,
                "prompt": str(prompt),
                "n": item.samples,
                "source": source_of(task, values) or "",
                "settings": item.attempt.settings(),
                "examples": shown,
            }
        )
    return rendered
