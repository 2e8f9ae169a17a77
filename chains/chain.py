"""`build_chain`: prompt | model | parser for one task, and the sampling step the runner batches."""

from __future__ import annotations

from typing import Any

from langchain_core.example_selectors import BaseExampleSelector
from langchain_core.language_models import BaseLanguageModel
from langchain_core.runnables import Runnable

from chains.llm import LocalPipeline
from chains.parsers import parser_for
from chains.prompts import build_prompt, renderer_for
from chains.stopping import LINE_KINDS
from chains.task import Task


def stop_for(task: Task) -> list[str] | None:
    """Stop strings for models that cannot stop at an answer's boundary themselves: one answer, one line."""
    return ["\n"] if task.output in LINE_KINDS else None


def boundary_for(task: Task) -> dict[str, Any]:
    """What a LocalPipeline needs to end each answer where its kind ends, inside generation."""
    return {"boundary": task.output, "max_words": task.max_words or 1}


def task_settings(task: Task, fixed: dict[str, Any]) -> dict[str, Any]:
    """The task's decoding defaults, less the settings in `fixed` (those win)."""
    settings = task.generation.model_dump(exclude_none=True)
    settings["max_new_tokens"] = task.max_new_tokens()
    return {k: v for k, v in settings.items() if k not in fixed}


def call_settings(task: Task, llm: BaseLanguageModel) -> dict[str, Any]:
    """What a call to `llm` adds for this task: the task's defaults where the model set nothing."""
    return task_settings(task, llm.generation) if isinstance(llm, LocalPipeline) else {}


def bind_task(task: Task, llm: BaseLanguageModel) -> Runnable:
    """`llm` with the task's answer boundary (or stop strings) and decoding defaults bound."""
    if isinstance(llm, LocalPipeline):
        return llm.bind(**boundary_for(task), **call_settings(task, llm))
    stop = stop_for(task)
    return llm.bind(stop=stop) if stop else llm


def build_chain(
    task: Task, llm: BaseLanguageModel, example_selector: BaseExampleSelector | None = None
) -> Runnable[dict[str, Any], Any]:
    """A Runnable from the task's input variables to a checked answer: prompt | llm | parser."""
    prompt = build_prompt(task, example_selector=example_selector)
    return prompt | renderer_for(llm) | bind_task(task, llm) | parser_for(task)


def sample(task: Task, llm: BaseLanguageModel, prompts: list[Any], n: int = 1, **settings: Any) -> list[list[str]]:
    """`n` raw answers for each rendered prompt, in order; one batched model call where the model allows.

    `settings` (temperature, do_sample, ...) override the task's for a LocalPipeline; other models keep their own.
    """
    if isinstance(llm, LocalPipeline):
        overrides = {**call_settings(task, llm), **settings}
        return llm.generate_texts([str(p) for p in prompts], n=n, **boundary_for(task), **overrides)
    runnable = bind_task(task, llm)
    flat = runnable.batch([p for p in prompts for _ in range(n)])
    texts = [m.content if hasattr(m, "content") else m for m in flat]
    return [texts[i * n : (i + 1) * n] for i in range(len(prompts))]


def sample_each(task: Task, llm: BaseLanguageModel, prompts: list[Any], counts: list[int]) -> list[list[str]]:
    """`counts[i]` raw answers for prompt i, in order; one `sample` call per distinct count, smallest first."""
    answers: list[list[str]] = [[] for _ in prompts]
    for count in sorted(set(counts)):
        group = [i for i, c in enumerate(counts) if c == count]
        for i, raws in zip(group, sample(task, llm, [prompts[i] for i in group], n=count)):
            answers[i] = raws
    return answers
