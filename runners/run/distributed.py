"""`generate --ray`: prompts run on Ray actors that each load the model once and serve every wave of the run.

The driver keeps everything that needs one view of the run (quotas, parsing, judging, dedup and the
durable writer), so rows, resume and validity are the same as on the local path; only sampling moves.
"""

from __future__ import annotations

import logging
import os
import socket
import zlib
from collections import deque
from collections.abc import Iterator
from typing import Any

from chains import SynthaugError, Task
from chains.chain import call_kwargs, resolve_settings
from chains.local.answering import Request
from chains.prompts import Prompter
from runners.run.backends import render
from runners.run.inputs import Inputs
from runners.run.records import Sampled, WorkItem

INSTALL_HINT = "pip install 'synthaug[ray]'"


class SampleWorker:
    """A Ray actor: loads the model once, then answers batches of rendered prompts for as long as the run lasts."""

    def __init__(self, task: dict[str, Any], load: dict[str, Any], seed: int, threads: int) -> None:
        import torch

        from chains import load_llm

        torch.set_num_threads(threads)
        self.task = Task.model_validate(task)
        self.llm = load_llm(**load)
        self.seed = seed
        self.kwargs = call_kwargs(self.task, self.llm, resolve_settings(self.task, self.llm.generation))

    def ready(self) -> bool:
        return True

    def sample(self, requests: list[Request]) -> list[tuple[int, list[tuple[str, float]]]]:
        """(key, answers) for each request, continuously batched on this worker's model."""
        import torch

        # Seeded by what the batch holds, not by which worker runs it, so a batch samples the same anywhere.
        torch.manual_seed(zlib.crc32(f"{self.seed}:{requests[0][0]}".encode()))
        queue = list(requests)
        answers = []
        for finished in self.llm.serve(lambda: queue.pop(0) if queue else None, group=len(queue), **self.kwargs):
            answers += finished
        return answers


def _check_reachable(address: str | None) -> None:
    """Fail in seconds on an address nothing listens at; Ray itself waits minutes before it gives up."""
    if not address or address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except (OSError, ValueError) as exc:
        reason = exc.strerror or str(exc) if isinstance(exc, OSError) else "no port in the address"
        raise _unreachable(address, reason) from None


def _unreachable(address: str, reason: str) -> SynthaugError:
    return SynthaugError(
        f"cannot reach a Ray cluster at {address} ({reason}); check the address "
        "(auto, host:6379 or ray://host:10001), or omit it to start a local Ray"
    )


class RayBackend:
    """Sends a generator's prompts to `workers` Ray actors through Ray's `ActorPool`; batches come back as they finish."""

    def __init__(
        self,
        task: Task,
        load: dict[str, Any],
        workers: int | None = None,
        address: str | None = None,
        batch_size: int = 32,
        seed: int = 0,
        progress: bool = True,
    ) -> None:
        try:
            import ray
        except ImportError:
            raise SynthaugError(f"--ray needs Ray installed; run `{INSTALL_HINT}`") from None
        self._started = not ray.is_initialized()
        if self._started:
            _check_reachable(address)
            try:
                ray.init(
                    address=address,
                    num_cpus=None if address else os.cpu_count(),
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.INFO if progress else logging.ERROR,
                )
            except (ConnectionError, ValueError, RuntimeError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if address is None:
                    raise SynthaugError(
                        f"could not start a local Ray ({reason}); run `ray stop` and try again"
                    ) from None
                raise _unreachable(address, reason) from None
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = workers or cpus
        self.threads = max(1, cpus // self.workers)
        # More workers than CPUs share them (Ray takes fractions), each with one thread.
        self.cpus_per_worker = min(self.threads, cpus / self.workers)
        self.task, self.load, self.batch_size, self.seed = task, {**load, "seed": None}, batch_size, seed
        self._sent = 0  # requests sent so far
        # Half a batch per chunk: both actors stay busy while the driver checks answers and queues retries.
        self.chunk = batch_size
        self._worker = ray.remote(num_cpus=self.cpus_per_worker)(SampleWorker)
        self._actors: list[Any] | None = None

    def batches(self, queue: deque[WorkItem], prompter: Prompter, inputs: Inputs) -> Iterator[list[Sampled]]:
        """Chunks of the live queue, one to each free actor, so retries queued meanwhile go out at once;
        results come back as each chunk finishes.

        Keys count on across the run, so a retry is never the same request (and the same seed) as before.
        """
        from ray.util import ActorPool

        pool = ActorPool(self.start())
        sent: dict[int, tuple[WorkItem, list[str]]] = {}
        while queue or pool.has_next():
            while queue and pool.has_free():
                work = [queue.popleft() for _ in range(min(self.chunk, len(queue)))]
                chunk = []
                for item in work:
                    request, shown = render(self.task, prompter, inputs, item, self._sent)
                    sent[self._sent] = (item, shown)
                    self._sent += 1
                    chunk.append(request)
                pool.submit(lambda actor, requests: actor.sample.remote(requests), chunk)
            answered = pool.get_next_unordered()
            yield [Sampled(sent[key][0], [tuple(a) for a in answers], sent.pop(key)[1]) for key, answers in answered]

    def start(self) -> list[Any]:
        """The actors, started on first use (each loads the model once) and kept for the rest of the run."""
        import ray

        if self._actors is None:
            task = self.task.model_dump()
            self._actors = [self._worker.remote(task, self.load, self.seed, self.threads) for _ in range(self.workers)]
            ray.get([actor.ready.remote() for actor in self._actors])
        return self._actors

    def close(self) -> None:
        """Stop the actors, and the local Ray this backend started; a cluster it joined keeps running."""
        import ray

        for actor in self._actors or []:
            ray.kill(actor)

        if self._started:
            ray.shutdown()
