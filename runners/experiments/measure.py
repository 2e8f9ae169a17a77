"""How `bench` measures: seconds, peak memory of this process (and of the GPU), and whole commands in their own process."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next((int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:")), 0.0)


class PeakMemory:
    """The largest resident set size of this process while the block runs, sampled every 10 ms, and the
    most GPU memory torch held meanwhile (None without a GPU)."""

    def __enter__(self) -> PeakMemory:
        import torch

        self.gpu = torch.cuda.is_available()
        if self.gpu:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        self.peak = _rss_mb()
        self.peak_gpu: float | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc: object) -> None:
        import torch

        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())
        if self.gpu:
            torch.cuda.synchronize()
            self.peak_gpu = torch.cuda.max_memory_allocated() / 2**20


@dataclass
class Result:
    """One approach on the bench's inputs: outputs made, rows accepted, time and peak memory."""

    name: str
    outputs: int
    accepted: int
    seconds: float
    peak_mb: float
    peak_gpu_mb: float | None = None
    clock: Any = None
    """Where a local model's decoding time went (`chains.local.clock.DecodeClock`), where it was measured."""

    @property
    def accepted_per_s(self) -> float:
        return self.accepted / self.seconds

    @property
    def valid_rate(self) -> float:  # of outputs, accepted
        return self.accepted / self.outputs if self.outputs else 0.0


def measure(name: str, run: Callable[[], tuple[int, int]], llm: Any = None) -> Result:
    """Time `run`, which returns (outputs, accepted), and record the peak memory while it runs; with a local
    `llm`, also its prefill and decode time during the run."""
    clock = getattr(llm, "clock", None)
    if clock is not None:
        clock.reset()
    with PeakMemory() as memory:
        start = time.perf_counter()
        outputs, accepted = run()
        seconds = time.perf_counter() - start
    # A slow bench shows its way, a row at a time.
    print(f"measured {name}: {accepted} accepted in {seconds:.1f} s", file=sys.stderr, flush=True)
    split = replace(clock) if clock is not None and clock.prefill_passes else None
    return Result(name, outputs, accepted, seconds, memory.peak, memory.peak_gpu, split)


def whole_command(argv: list[str]) -> tuple[int, float, float]:
    """Accepted rows, seconds and peak RSS in MB of one `synthaug` command in its own process
    (`/usr/bin/time -f %M`: that process alone; Ray's worker processes are not counted)."""
    start = time.perf_counter()
    command = ["/usr/bin/time", "-f", "peak-kb %M", sys.executable, "-m", "runners", *argv]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    accepted = int(re.search(r"accepted (\d+) rows", result.stdout).group(1))
    return accepted, seconds, int(re.search(r"peak-kb (\d+)", result.stderr).group(1)) / 1024


def format_table(results: list[Result], title: str) -> str:
    """The bench's table, then each row's speed against the first rows it is meant to beat."""
    gpu = any(r.peak_gpu_mb is not None for r in results)
    lines = [
        title,
        "",
        "| approach | outputs | accepted | valid rate | seconds | accepted rows/s | peak RSS MB |"
        + (" peak GPU MB |" if gpu else ""),
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if gpu else ""),
    ]
    for r in results:
        cells = [
            r.name.replace("|", "\\|"),
            r.outputs,
            r.accepted,
            f"{r.valid_rate:.0%}",
            f"{r.seconds:.1f}",
            f"{r.accepted_per_s:.2f}",
        ]
        cells.append(f"{r.peak_mb:.0f}")
        if gpu:
            cells.append(f"{r.peak_gpu_mb:.0f}" if r.peak_gpu_mb is not None else "-")
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


def ratios(results: list[Result], against: str) -> str:
    """Every row's accepted rows/s over the row named `against` (by its tag, e.g. `(c)`)."""
    base = next(r for r in results if r.name.startswith(against))
    return "   ".join(
        f"{base.name.split()[0]}/{r.name.split()[0]} = {base.accepted_per_s / r.accepted_per_s:.2f}x"
        for r in results
        if r is not base and r.accepted_per_s
    )
