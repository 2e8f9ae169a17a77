"""Where prompts are sampled: `LocalBackend` on the model in this process; `RayBackend` (distributed.py) on workers.

A backend takes work items off the run's queue, renders their prompts and returns their answers in
batches as they finish; the loop parses, checks and saves them. Both hand the model's `serve` the live queue
(the local pipeline's slot decoder, a served model's requests in flight); a model without `serve` is called
through `chains.chain.sample_each`, a batch at a time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Protocol

from langchain_core.language_models import BaseLanguageModel

from chains import Task
from chains.answering import Request
from chains.chain import call_kwargs, resolve_settings, sample_each
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
    """Samples on the model in this process.

    A model that offers continuous batching (`serve`, as `LocalPipeline` does) pulls work from the live
    queue whenever a decode slot frees, so retries queued meanwhile join the running batch. Any other
    model (or `continuous=False`) takes batches of `batch_size` off the queue, one `sample_each` each.
    """

    def __init__(
        self, task: Task, llm: BaseLanguageModel, batch_size: int | None = None, continuous: bool = True
    ) -> None:
        # None: the model's own slots (a local model sizes them when loaded), else 32
        self.task, self.llm = task, llm
        self.batch_size = batch_size or getattr(llm, "batch_size", None) or 32
        self.continuous = continuous and hasattr(llm, "serve")
        self._sent = 0

    def batches(self, queue: deque[WorkItem], prompter: Prompter, inputs: Inputs) -> Iterator[list[Sampled]]:
        if self.continuous:
            yield from self._served(queue, prompter, inputs)
            return
        while queue:
            # Ordered by sample count, the order in which sample_each makes its calls (and a selector is asked).
            work = sorted((queue.popleft() for _ in range(min(self.batch_size, len(queue)))), key=lambda w: w.samples)
            prompts, shown = zip(*(prompter(inputs.rows[w.input_id], w.attempt.extra_shots, w.variant) for w in work))
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

    def _served(self, queue: deque[WorkItem], prompter: Prompter, inputs: Inputs) -> Iterator[list[Sampled]]:
        shown: dict[int, tuple[WorkItem, list[str]]] = {}

        def pull() -> Request | None:
            if not queue:
                return None
            item, key = queue.popleft(), self._sent
            self._sent += 1
            request, ids = render(prompter, inputs, item, key)
            shown[key] = (item, ids)
            return request

        kwargs = call_kwargs(self.task, self.llm, resolve_settings(self.task, getattr(self.llm, "generation", {})))
        for finished in self.llm.serve(pull, group=max(1, self.batch_size // 4), **kwargs):
            yield [Sampled(shown[key][0], answers, shown.pop(key)[1]) for key, answers in finished]

    def close(self) -> None:
        pass


def render(prompter: Prompter, inputs: Inputs, item: WorkItem, key: int) -> tuple[Request, list[str]]:
    """A work item as a model request under `key` (prompt, samples, source, its attempt's settings), and
    the ids of the examples its prompt shows."""
    values = inputs.rows[item.input_id]
    prompt, shown = prompter(values, item.attempt.extra_shots, item.variant)
    return (key, prompt, item.samples, source_of(prompter.task, values), item.attempt.settings()), shown
