"""`build_chain`: prompt | model | parser for one task, and the sampling step the runner batches."""

from __future__ import annotations

from typing import Any

from langchain_core.example_selectors import BaseExampleSelector
from langchain_core.language_models import BaseLanguageModel
from langchain_core.runnables import Runnable, RunnableLambda

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
    """A Runnable from the task's input variables to a checked answer: prompt | llm | parser.

    For a task with a source text (paraphrase) on a LocalPipeline, the model is bound to each input's
    source, so decoding cannot copy it (`chains.nocopy`), in `invoke`, `batch` and `stream` alike.
    """
    prompt = build_prompt(task, example_selector=example_selector)
    model = bind_task(task, llm)
    if task.source is None or not isinstance(llm, LocalPipeline):
        return prompt | renderer_for(llm) | model | parser_for(task)
    render = prompt | renderer_for(llm)
    no_copy = RunnableLambda(lambda values: render | model.bind(source=values[task.source]), name="no_copy_model")
    return no_copy | parser_for(task)


def sample(
    task: Task,
    llm: BaseLanguageModel,
    prompts: list[Any],
    n: int = 1,
    sources: list[str] | None = None,
    scored: bool = False,
    **settings: Any,
) -> list[list[Any]]:
    """`n` raw answers for each rendered prompt, in order; one batched model call where the model allows.

    `settings` (temperature, do_sample, no_copy, ...) override the task's for a LocalPipeline, and
    `sources` (one per prompt) keep its decoding from copying them; other models keep their own settings.
    With `scored`, each answer is (text, mean token log-probability), the latter None where the model gives none.
    """
    if isinstance(llm, LocalPipeline):
        overrides = {**call_settings(task, llm), **settings}
        if sources is not None:
            overrides["sources"] = sources
        answers = llm.generate_scored([str(p) for p in prompts], n=n, **boundary_for(task), **overrides)
        return answers if scored else [[text for text, _ in samples] for samples in answers]
    runnable = bind_task(task, llm)
    flat = runnable.batch([p for p in prompts for _ in range(n)])
    texts = [m.content if hasattr(m, "content") else m for m in flat]
    grouped = [texts[i * n : (i + 1) * n] for i in range(len(prompts))]
    return [[(t, None) for t in samples] for samples in grouped] if scored else grouped


def sample_each(
    task: Task,
    llm: BaseLanguageModel,
    prompts: list[Any],
    counts: list[int],
    sources: list[str] | None = None,
    settings: list[dict[str, Any]] | None = None,
    scored: bool = False,
) -> list[list[Any]]:
    """`counts[i]` raw answers for prompt i with `settings[i]`, in order (scored as `sample`).

    One `sample` call per distinct (count, settings), in a fixed order, so a seed gives the same answers.
    """
    settings = settings or [{} for _ in prompts]
    keys = [(count, tuple(sorted(s.items()))) for count, s in zip(counts, settings)]
    answers: list[list[Any]] = [[] for _ in prompts]
    for key in sorted(set(keys)):
        group = [i for i, k in enumerate(keys) if k == key]
        group_sources = None if sources is None else [sources[i] for i in group]
        raws = sample(task, llm, [prompts[i] for i in group], key[0], group_sources, scored, **dict(key[1]))
        for i, answer in zip(group, raws):
            answers[i] = answer
    return answers
