"""A Generator's parts built from its RunSpec: the example selector, the label judge and the answer filter."""

from __future__ import annotations

from langchain_core.language_models import BaseLanguageModel

from runners.run.backends import Backend
from runners.run.filtering import AnswerFilter
from runners.run.generate import Generator
from runners.run.inputs import Inputs
from runners.run.pool import judge_for, selector_for
from runners.run.spec import RunSpec


def answer_filter(spec: RunSpec, inputs: Inputs, llm: BaseLanguageModel) -> AnswerFilter:
    """The checks the spec asks for; MiniLM is loaded only for the checks that need it."""
    task = spec.task
    judge = judge_for(spec.verify_label, task, inputs, task.language, llm) if spec.verify_label else None
    near_duplicates = source_check = None
    if spec.near_dup is not None:
        from chains.checks.dedup import NearDuplicateIndex
        from chains.checks.embeddings import load_embeddings

        near_duplicates = NearDuplicateIndex(load_embeddings().embed_documents, threshold=spec.near_dup)
    if task.source is not None:
        from chains.checks.embeddings import load_embeddings
        from chains.checks.fidelity import SourceCheck

        embed = load_embeddings().embed_documents if spec.min_similarity > -1 else None
        source_check = SourceCheck(embed, spec.near_copy, spec.min_similarity, spec.facts)
    return AnswerFilter(task, spec.floor, source_check, judge, spec.min_confidence, near_duplicates)


def build_generator(
    spec: RunSpec,
    llm: BaseLanguageModel,
    inputs: Inputs,
    backend: Backend | None = None,
    progress: bool = True,
    count_prompt_tokens: bool = False,
) -> Generator:
    """A Generator with every part the spec names: what `generate`, `evaluate`, `bench` and `compare-selectors` run."""
    selector = selector_for(spec.selector, spec.task, spec.shots, spec.seed, llm) if spec.selector else None
    return Generator(spec, llm, answer_filter(spec, inputs, llm), selector, backend, progress, count_prompt_tokens)
