"""What the slot decoder works on: jobs (a prompt to answer n times) and the samples of them in its slots."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Job:
    """One prompt to answer `n` times (greedy: once, repeated); `key` comes back with its answers."""

    key: Any
    prompt: list[int]
    n: int = 1
    temperature: float | None = None
    """Sampling temperature; None decodes greedily."""
    banned: dict[tuple[int, ...], list[int]] | None = None
    """No-copy table: the tokens banned after each run of `no_copy - 1` answer tokens."""
    no_copy: int = 0
    answers: list[tuple[list[int], float] | None] = field(default_factory=list)


@dataclass
class Decoding:
    """A sample of a job in a slot: where its columns start, its tokens so far and their log-probability."""

    job: Job
    sample: int
    start: int
    tokens: list[int] = field(default_factory=list)
    logprob: float = 0.0


def by_prompts(entering: list[tuple[Job, int]], size: int) -> Iterator[list[tuple[Job, int]]]:
    """`entering` in runs that hold at most `size` distinct jobs (a job's samples arrive together)."""
    chunk: list[tuple[Job, int]] = []
    jobs: set[int] = set()
    for job, sample in entering:
        if id(job) not in jobs and len(jobs) == size:
            yield chunk
            chunk, jobs = [], set()
        chunk.append((job, sample))
        jobs.add(id(job))
    if chunk:
        yield chunk
