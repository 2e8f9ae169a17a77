"""`build_chain`: prompt | model | parser for one task, and `sample`, the batched model call the runner makes."""

from __future__ import annotations

from typing import Any

from langchain_core.example_selectors import BaseExampleSelector
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseLanguageModel, BaseLLM
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from chains.checks.fidelity import SourceCheck
from chains.checks.parsers import parser_for
from chains.local.stopping import LINE_KINDS
from chains.prompts import build_prompt, renderer_for
from chains.task import Task

# Calls a chain makes for one input whose answers fail the parser or the source checks.
CHAIN_ATTEMPTS = 4

Answer = tuple[str, float | None]
"""A raw answer and the model's mean token log-probability for it (None where the model gives none)."""


def takes_task_settings(llm: BaseLanguageModel) -> bool:
    """Whether a call to `llm` may carry `n`, an answer boundary, sources and decoding settings.

    A model declares it with a class attribute `task_settings = True` and offers `serve` and `generate_scored`
    (`chains.answering.Serving`), as the local pipeline and a served model do; any other LangChain model gets
    stop strings only, and one call per sample.
    """
    return bool(getattr(llm, "task_settings", False))


def resolve_settings(task: Task, overrides: dict[str, Any]) -> dict[str, Any]:
    """Decoding settings of a run: `overrides` (the user's, or the model's own), then the task's defaults."""
    defaults = task.generation.model_dump(exclude_none=True)
    defaults["max_new_tokens"] = task.max_new_tokens()
    return {**overrides, **{k: v for k, v in defaults.items() if k not in overrides}}


def call_kwargs(task: Task, llm: BaseLanguageModel, settings: dict[str, Any]) -> dict[str, Any]:
    """What a call to `llm` passes for this task: the answer boundary and `settings`, or stop strings."""
    if takes_task_settings(llm):
        labels = {"labels": list(task.classes)} if task.output == "label" else {}
        return {"boundary": task.output, "max_words": task.max_words or 1, **labels, **settings}
    return {"stop": ["\n"]} if task.output in LINE_KINDS else {}


def bind_task(task: Task, llm: BaseLanguageModel) -> Runnable:
    """`llm` with the task's answer boundary (or stop strings) and decoding defaults bound."""
    return llm.bind(**call_kwargs(task, llm, resolve_settings(task, getattr(llm, "generation", {}))))


def build_chain(
    task: Task,
    llm: BaseLanguageModel,
    example_selector: BaseExampleSelector | None = None,
    checks: SourceCheck | bool = True,
    attempts: int = CHAIN_ATTEMPTS,
) -> Runnable[dict[str, Any], Any]:
    """A Runnable from the task's input variables to a checked answer: prompt | llm | parser.

    For a task with a source text (paraphrase, rewrite):
    - on a model that takes task settings, decoding is bound to each input's source, so it cannot copy it
      (`chains.local.nocopy`), in `invoke`, `batch` and `stream` alike;
    - the answer must pass the source checks `generate` makes by default (`checks`: True for copy, near-copy,
      form, facts and meaning, the last with MiniLM, loaded at the first check; a `SourceCheck` of your own;
      False for none). An answer that fails the parser or a check is asked for again, up to `attempts` calls
      in all; then the chain raises `OutputParserException`, which `batch(..., return_exceptions=True)`
      returns in that input's place.
    """
    prompt = build_prompt(task, example_selector=example_selector)
    model = bind_task(task, llm)
    if task.source is None or not takes_task_settings(llm):
        answer = prompt | renderer_for(llm) | model | parser_for(task)
    else:
        render = prompt | renderer_for(llm)
        no_copy = RunnableLambda(lambda values: render | model.bind(source=values[task.source]), name="no_copy_model")
        answer = no_copy | parser_for(task)
    if task.source is None or checks is False:
        return answer
    check = SourceCheck(_embed) if checks is True else checks

    def checked(values: dict[str, Any]) -> Any:
        rejection = check.check([(values["answer"], values[task.source])])[0]
        if rejection is not None:
            raise OutputParserException(f"{rejection.reason}: {values['answer']!r}")
        return values["answer"]

    checked_answer = RunnablePassthrough.assign(answer=answer) | RunnableLambda(checked, name="source_checks")
    return checked_answer.with_retry(
        retry_if_exception_type=(OutputParserException,), stop_after_attempt=attempts, wait_exponential_jitter=False
    )


def _embed(texts: list[str]) -> list[list[float]]:
    from chains.checks.embeddings import load_embeddings

    return load_embeddings().embed_documents(texts)


def sample(
    task: Task,
    llm: BaseLanguageModel,
    prompts: list[Any],
    n: int = 1,
    sources: list[str] | None = None,
    **settings: Any,
) -> list[list[Answer]]:
    """`n` (raw answer, mean token log-probability) pairs for each rendered prompt, in order.

    One `generate_scored(prompts, n=n)` call on a model that takes task settings (the local pipeline, a
    served model), with `settings` (temperature, do_sample, no_copy, ...) over the model's and the task's,
    and `sources` (one per prompt, so decoding cannot copy them). Any other LLM is asked each prompt `n`
    times in one `generate` call; a chat model through `batch`.
    """
    kwargs = call_kwargs(task, llm, resolve_settings(task, {**getattr(llm, "generation", {}), **settings}))
    if takes_task_settings(llm):
        return llm.generate_scored(list(prompts), n=n, sources=sources, **kwargs)
    repeated = [p for p in prompts for _ in range(n)]
    if isinstance(llm, BaseLLM):
        texts = [gens[0].text for gens in llm.generate([str(p) for p in repeated], **kwargs).generations]
    else:
        texts = [m.content if hasattr(m, "content") else m for m in llm.bind(**kwargs).batch(repeated)]
    return [[(t, None) for t in texts[i * n : (i + 1) * n]] for i in range(len(prompts))]


def sample_each(
    task: Task,
    llm: BaseLanguageModel,
    prompts: list[Any],
    counts: list[int],
    sources: list[str] | None = None,
    settings: list[dict[str, Any]] | None = None,
) -> list[list[Answer]]:
    """`counts[i]` answers for prompt i with `settings[i]`, in order (as `sample`).

    One `sample` call per distinct (count, settings), in a fixed order, so a seed gives the same answers.
    """
    settings = settings or [{} for _ in prompts]
    keys = [(count, tuple(sorted(s.items()))) for count, s in zip(counts, settings)]
    answers: list[list[Answer]] = [[] for _ in prompts]
    for key in sorted(set(keys)):
        group = [i for i, k in enumerate(keys) if k == key]
        group_sources = None if sources is None else [sources[i] for i in group]
        for i, answer in zip(
            group, sample(task, llm, [prompts[i] for i in group], key[0], group_sources, **dict(key[1]))
        ):
            answers[i] = answer
    return answers


def texts(answers: list[list[Answer]]) -> list[list[str]]:
    """The raw texts of `sample`'s answers."""
    return [[text for text, _ in group] for group in answers]
