"""`generate --ray`: prompts run as Ray Data batch inference on actors that each load the model once.

The driver keeps everything that needs one view of the run (quotas, parsing, judging, dedup and the
durable writer), so rows, resume and validity are the same as on the local path; only sampling moves.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
import zlib
from collections import deque
from collections.abc import Iterator
from typing import Any

from chains import SynthaugError, Task
from chains.prompts import Prompter
from runners.run.backends import requests
from runners.run.inputs import Inputs
from runners.run.records import Sampled, WorkItem

INSTALL_HINT = "pip install 'synthaug[ray]'"


class SampleWorker:
    """A Ray Data actor: loads the model once, then samples answers for batches of rendered prompts."""

    def __init__(self, task: dict[str, Any], load: dict[str, Any], seed: int, threads: int) -> None:
        import torch

        from chains import load_llm

        torch.set_num_threads(threads)
        self.task = Task.model_validate(task)
        self.llm = load_llm(**load)
        self.seed = seed

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import torch

        from chains.chain import sample_each

        keys = list(batch["key"])
        # Seeded by what the batch holds, not by which worker runs it, so a batch samples the same anywhere.
        torch.manual_seed(zlib.crc32(f"{self.seed}:{keys[0]}".encode()))
        prompts, counts = [str(p) for p in batch["prompt"]], [int(c) for c in batch["n"]]
        sources = [str(s) for s in batch["source"]] if self.task.source is not None else None
        settings = [json.loads(s) for s in batch["settings"]]
        answers = sample_each(self.task, self.llm, prompts, counts, sources, settings)
        return {"key": keys, "raws": [json.dumps(raws) for raws in answers]}


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
    """Sends a generator's prompts to `workers` Ray actors through `map_batches`; batches stream back as they finish."""

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
            import ray.data
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
                    configure_logging=False,
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
        ray.data.DataContext.get_current().enable_progress_bars = progress
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.INFO if progress else logging.WARNING)

    def batches(self, queue: deque[WorkItem], prompter: Prompter, inputs: Inputs) -> Iterator[list[Sampled]]:
        """The whole queue sent at once; batches come back as the workers finish them.

        Keys count on across waves, so a retry is never the same request (and the same seed) as before.
        """
        import ray

        work = list(queue)
        queue.clear()
        first, self._sent = self._sent, self._sent + len(work)
        items = requests(work, prompter, inputs, self.task, first)
        shown = {item["key"]: item.pop("examples") for item in items}
        for item in items:  # settings travel as JSON text: Ray Data's numpy batches would turn dicts into object arrays
            item["settings"] = json.dumps(item["settings"], sort_keys=True)
        # One block per batch, or Ray Data keeps all the items in one block that only one actor can take;
        # and no more actors than blocks, since each one loads the model.
        blocks = max(1, math.ceil(len(items) / self.batch_size))
        dataset = ray.data.from_items(items, override_num_blocks=blocks)
        answered = dataset.map_batches(
            SampleWorker,
            fn_constructor_kwargs={
                "task": self.task.model_dump(),
                "load": self.load,
                "seed": self.seed,
                "threads": self.threads,
            },
            batch_size=self.batch_size,
            compute=ray.data.ActorPoolStrategy(size=min(self.workers, blocks)),
            num_cpus=self.cpus_per_worker,
            batch_format="numpy",
        )
        for batch in answered.iter_batches(batch_size=None, batch_format="numpy"):
            yield [
                Sampled(work[int(k) - first], [tuple(a) for a in json.loads(r)], shown[int(k)])
                for k, r in zip(batch["key"], batch["raws"])
            ]

    def close(self) -> None:
        """Stop the local Ray this backend started; a cluster it joined keeps running."""
        import ray

        if self._started:
            ray.shutdown()
