"""Shared fakes for logic tests: scripted LLMs, judges and backends, a toy embedder and a generator on a fake model."""

import zlib

import numpy as np
from langchain_core.language_models import FakeListLLM

from chains.checks.judge import Verdict
from runners.run.filtering import AnswerFilter
from runners.run.generate import Generator
from runners.run.records import Sampled
from runners.run.spec import RunSpec


class RecordingLLM(FakeListLLM):
    """A scripted LLM that keeps the prompts (and stop strings) it was given."""

    seen: list = []

    def _call(self, prompt, stop=None, run_manager=None, **kwargs):
        self.seen.append((prompt, stop))
        return super()._call(prompt, stop, run_manager, **kwargs)

    @property
    def calls(self):
        return len(self.seen)


class ScriptedJudge:
    """Gives each call's texts the verdicts `script(call number)` returns."""

    name = "scripted"

    def __init__(self, script):
        self.script, self.calls = script, 0

    def judge(self, texts):
        self.calls += 1
        return [self.script(self.calls) for _ in texts]


def toy_embed(texts):
    """Texts sharing their first word embed to the same direction."""
    return [np.random.default_rng(zlib.crc32(t.split()[0].encode())).standard_normal(16) for t in texts]


class ScriptedBackend:
    """Answers each wave from a script, in two batches and in reverse order, like workers finishing out of turn."""

    def __init__(self, waves):
        self.waves, self.requests, self.sent = list(waves), [], 0

    def batches(self, queue, prompter, inputs):
        work = list(queue)
        queue.clear()
        keys = range(self.sent, self.sent + len(work))
        self.sent += len(work)
        self.requests.append([(key, item.samples) for key, item in zip(keys, work)])
        script = self.waves.pop(0)
        scored = [[a if isinstance(a, tuple) else (a, None) for a in answers] for answers in script]
        results = [Sampled(item, scored[i], []) for i, item in enumerate(work)]
        yield results[len(results) // 2 :][::-1]
        yield results[: len(results) // 2]

    def close(self):
        pass


def make_generator(
    task,
    llm,
    model="fake",
    *,
    judge=None,
    selector=None,
    source_check=None,
    near_duplicates=None,
    backend=None,
    **spec_fields,
):
    """A Generator on a fake model: spec fields as keywords, parts as objects."""
    spec_fields.setdefault("verify_label", judge.name if judge else None)
    spec = RunSpec.for_model(task, llm, model, **spec_fields)
    checks = AnswerFilter(task, spec.min_logprob, source_check, judge, spec.min_confidence, near_duplicates)
    return Generator(spec, llm, checks, selector, backend, progress=False)


__all__ = ["RecordingLLM", "ScriptedBackend", "ScriptedJudge", "Verdict", "make_generator", "toy_embed"]
