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
from dataclasses import dataclass
from typing import Any

from chains import SynthaugError
from chains.answering import Request
from chains.chain import resolve_settings
from chains.models import ModelSpec
from chains.prompts import Prompter
from runners.run.backends import render
from runners.run.inputs import Inputs
from runners.run.records import Sampled, WorkItem

INSTALL_HINT = "pip install 'synthaug[ray]'"


class SampleWorker:
    """A Ray actor: loads the model once, then answers batches of rendered prompts for as long as the run lasts."""

    def __init__(self, model: dict[str, Any], seed: int, threads: int) -> None:
        import torch

        from chains.models import ModelSpec, load_model

        torch.set_num_threads(threads)
        self.llm = load_model(ModelSpec(**model))
        self.seed = seed

    def ready(self) -> bool:
        return True

    def sample(self, requests: list[Request], settings: dict[str, Any]) -> list[tuple[int, list[tuple[str, float]]]]:
        """(key, answers) for each request, continuously batched on this worker's model with the task's `settings`."""
        import torch

        # Seeded by what the batch holds, not by which worker runs it, so a batch samples the same anywhere.
        torch.manual_seed(zlib.crc32(f"{self.seed}:{requests[0][0]}".encode()))
        queue = list(requests)
        answers = []
        for finished in self.llm.serve(lambda: queue.pop(0) if queue else None, group=len(queue), **settings):
            answers += finished
        return answers


@dataclass(frozen=True)
class Actors:
    """How many model actors a run starts and what each one takes."""

    workers: int
    cpus: float
    gpus: int
    threads: int
    device: str


def plan_actors(resources: dict[str, float], workers: int | None, device: str) -> Actors:
    """One actor per GPU where the cluster has GPUs (and the device allows them), else one per CPU core;
    `workers` overrides the count. CPU actors share the cores evenly, each with as many torch threads."""
    cpus = int(resources.get("CPU", 1))
    gpus = int(resources.get("GPU", 0)) if device == "auto" or device.startswith("cuda") else 0
    if device.startswith("cuda") and not gpus:
        raise SynthaugError(f"device {device} asks for GPUs, but the Ray cluster has none; use --device cpu", "device")
    if gpus:
        count = workers or gpus
        if count > gpus:
            raise SynthaugError(
                f"{count} model actors need {count} GPUs, and the Ray cluster has {gpus}; each actor holds a "
                "model on a GPU of its own: lower the number of workers",
                "workers",
            )
        return Actors(count, 1, 1, max(1, cpus // count), "cuda")
    count = workers or cpus
    threads = max(1, cpus // count)
    # More workers than CPUs share them (Ray takes fractions), each with one thread.
    return Actors(count, min(threads, cpus / count), 0, threads, "cpu")


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
        model: ModelSpec,
        workers: int | None = None,
        address: str | None = None,
        seed: int = 0,
        progress: bool = True,
    ) -> None:
        if model.server is not None:
            raise SynthaugError(
                "a served model already runs remotely; drop ray (it runs local models on Ray actors)", "ray"
            )
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
        self.actors = plan_actors(ray.cluster_resources(), workers, model.device)
        self.workers = self.actors.workers
        # Each actor loads the model on its own device; it seeds each batch itself.
        self.model = model.model_copy(update={"device": self.actors.device, "device_map": None, "seed": None})
        self.seed = seed
        self._sent = 0  # requests sent so far
        # A batch per chunk: every actor stays busy while the driver checks answers and queues retries.
        self.chunk = model.batch_size or 32
        options = {"num_cpus": self.actors.cpus, "num_gpus": self.actors.gpus}
        self._worker = ray.remote(**options)(SampleWorker)
        self._actors: list[Any] | None = None

    def batches(self, queue: deque[WorkItem], prompter: Prompter, inputs: Inputs) -> Iterator[list[Sampled]]:
        """Chunks of the live queue, one to each free actor, so retries queued meanwhile go out at once;
        results come back as each chunk finishes.

        Keys count on across the run, so a retry is never the same request (and the same seed) as before.
        """
        from ray.util import ActorPool

        pool = ActorPool(self.start())
        task = prompter.task
        settings = {
            "boundary": task.output,
            "max_words": task.max_words or 1,
            **resolve_settings(task, self.model.generation),
        }
        sent: dict[int, tuple[WorkItem, list[str]]] = {}
        while queue or pool.has_next():
            while queue and pool.has_free():
                work = [queue.popleft() for _ in range(min(self.chunk, len(queue)))]
                chunk = []
                for item in work:
                    request, shown = render(prompter, inputs, item, self._sent)
                    sent[self._sent] = (item, shown)
                    self._sent += 1
                    chunk.append(request)
                pool.submit(lambda actor, requests: actor.sample.remote(requests, settings), chunk)
            answered = pool.get_next_unordered()
            yield [Sampled(sent[key][0], [tuple(a) for a in answers], sent.pop(key)[1]) for key, answers in answered]

    def start(self) -> list[Any]:
        """The actors, started on first use (each loads the model once) and kept for the rest of the run."""
        import ray

        if self._actors is None:
            model, threads = self.model.model_dump(), self.actors.threads
            self._actors = [self._worker.remote(model, self.seed, threads) for _ in range(self.workers)]
            ray.get([actor.ready.remote() for actor in self._actors])
        return self._actors

    def close(self) -> None:
        """Stop the actors, and the local Ray this backend started; a cluster it joined keeps running."""
        import ray

        for actor in self._actors or []:
            ray.kill(actor)

        if self._started:
            ray.shutdown()
