"""`build_chain`: prompt | model | parser for one task, and the sampling step the runner batches."""

from __future__ import annotations

from typing import Any

from langchain_core.example_selectors import BaseExampleSelector
from langchain_core.language_models import BaseChatModel, BaseLanguageModel
from langchain_core.runnables import Runnable

from chains.llm import LocalPipeline
from chains.parsers import parser_for
from chains.prompts import build_prompt, renderer_for
from chains.task import Task

# An answer of these kinds ends at the end of its line; a list of sentences needs its newlines.
STOP_AT_NEWLINE = ("word", "label", "sentence")


def stop_for(task: Task) -> list[str] | None:
    """Stop strings that end generation at the boundary of the task's output kind."""
    return ["\n"] if task.output in STOP_AT_NEWLINE else None


def task_settings(task: Task, fixed: dict[str, Any]) -> dict[str, Any]:
    """The task's decoding defaults, less the settings in `fixed` (those win)."""
    settings = task.generation.model_dump(exclude_none=True)
    settings["max_new_tokens"] = task.max_new_tokens()
    return {k: v for k, v in settings.items() if k not in fixed}


def call_settings(task: Task, llm: BaseLanguageModel) -> dict[str, Any]:
    """What a call to `llm` adds for this task: the task's defaults where the model set nothing."""
    return task_settings(task, llm.generation) if isinstance(llm, LocalPipeline) else {}


def bind_task(task: Task, llm: BaseLanguageModel) -> Runnable:
    """`llm` with the task's stop strings and decoding defaults bound."""
    stop = stop_for(task)
    if isinstance(llm, BaseChatModel):
        return llm.bind(stop=stop) if stop else llm
    return llm.bind(stop=stop, **call_settings(task, llm))


def build_chain(
    task: Task, llm: BaseLanguageModel, example_selector: BaseExampleSelector | None = None
) -> Runnable[dict[str, Any], Any]:
    """A Runnable from the task's input variables to a checked answer: prompt | llm | parser."""
    prompt = build_prompt(task, example_selector=example_selector)
    return prompt | renderer_for(llm) | bind_task(task, llm) | parser_for(task)


def sample(task: Task, llm: BaseLanguageModel, prompts: list[Any], n: int = 1) -> list[list[str]]:
    """`n` raw answers for each rendered prompt, in order; one batched model call where the model allows."""
    stop = stop_for(task)
    if isinstance(llm, LocalPipeline):
        return llm.generate_texts([str(p) for p in prompts], n=n, stop=stop, **call_settings(task, llm))
    runnable = bind_task(task, llm)
    flat = runnable.batch([p for p in prompts for _ in range(n)])
    texts = [m.content if hasattr(m, "content") else m for m in flat]
    return [texts[i * n : (i + 1) * n] for i in range(len(prompts))]
