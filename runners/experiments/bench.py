"""`bench`: accepted rows/s, valid rate and peak memory of four ways to paraphrase the same inputs, in one process."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chains import build_prompt, load_llm, load_task
from chains.chain import resolve_settings, sample, texts
from chains.checks.dedup import dedup_key
from chains.prompts import renderer_for
from runners.experiments.datasets import rotten_tomatoes
from runners.run.filtering import AnswerFilter
from runners.run.generate import Generator
from runners.run.inputs import Inputs
from runners.run.spec import RunSpec


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next((int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:")), 0.0)


class PeakMemory:
    """The largest resident set size of this process while the block runs, sampled every 10 ms."""

    def __enter__(self) -> PeakMemory:
        self.peak = _rss_mb()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


@dataclass
class Result:
    name: str
    outputs: int
    accepted: int
    seconds: float
    peak_mb: float

    @property
    def accepted_per_s(self) -> float:
        return self.accepted / self.seconds

    @property
    def valid_rate(self) -> float:  # of outputs, accepted
        return self.accepted / self.outputs if self.outputs else 0.0


def _count_accepted(checks: AnswerFilter, rows: list[dict[str, str]], raws: list[str]) -> int:
    """Outputs that pass the parser and the run's source check, and repeat no earlier output."""
    seen: set[str] = set()
    accepted = 0
    for values, raw in zip(rows, raws):
        for value in checks.parse((raw, None))[0]:
            if checks.source_check and checks.source_check.check([(value, values["text"])])[0]:
                continue
            if dedup_key(value) not in seen:
                seen.add(dedup_key(value))
                accepted += 1
    return accepted


def _measure(name: str, run: Callable[[], tuple[int, int]]) -> Result:
    """Time `run`, which returns (outputs, accepted), and record the peak memory while it runs."""
    with PeakMemory() as memory:
        start = time.perf_counter()
        outputs, accepted = run()
        seconds = time.perf_counter() - start
    return Result(name, outputs, accepted, seconds, memory.peak)


def whole_command(argv: list[str]) -> tuple[int, float, float]:
    """Accepted rows, seconds and peak RSS in MB of one `synthaug` command in its own process
    (`/usr/bin/time -f %M`: that process alone; Ray's worker processes are not counted)."""
    import re
    import subprocess
    import sys

    start = time.perf_counter()
    command = ["/usr/bin/time", "-f", "peak-kb %M", sys.executable, "-m", "runners", *argv]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    accepted = int(re.search(r"accepted (\d+) rows", result.stdout).group(1))
    return accepted, seconds, int(re.search(r"peak-kb (\d+)", result.stderr).group(1)) / 1024


def run_bench(
    inputs: int = 64,
    batch_size: int = 32,
    dtype: str = "auto",
    seed: int = 0,
    ray_workers: int | None = None,
    scale: int | None = None,
    offset: int = 0,
    print_fn: Callable[[str], None] = print,
) -> list[Result]:
    """Run every approach on the same paraphrase inputs (Rotten Tomatoes rows from `offset`) and print the table.

    `ray_workers` adds rows for `generate --ray` with 1 and with that many workers; `scale` adds one for
    `generate` on that many inputs.
    """
    import torch
    from langchain_core.output_parsers import StrOutputParser
    from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
    from transformers import pipeline

    from runners.run.backends import LocalBackend

    task = load_task("paraphrase")
    data = rotten_tomatoes()[offset:]
    rows = [{"text": r["text"]} for r in data[:inputs]]
    load_start = time.perf_counter()
    llm = load_llm(dtype=dtype, batch_size=batch_size, seed=seed)
    load_seconds = time.perf_counter() - load_start
    model, tokenizer = llm.pipeline.model, llm.pipeline.tokenizer
    settings = resolve_settings(task, llm.generation)
    prompts = (build_prompt(task) | renderer_for(llm)).batch(rows)
    spec = RunSpec.for_model(task, llm, "embedded", n=1, batch_size=batch_size, seed=seed)
    checks = AnswerFilter(task)
    inputs_by_id = Inputs(rows={str(i): r for i, r in enumerate(rows)})

    def counted(raws: list[str]) -> tuple[int, int]:
        return len(raws), _count_accepted(checks, rows, raws)

    def article_loop() -> tuple[int, int]:
        texts = []
        for prompt in prompts:
            encoded = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
            with torch.inference_mode():
                output = model.generate(**encoded, pad_token_id=tokenizer.pad_token_id, **settings)
            texts.append(tokenizer.decode(output[0, encoded["input_ids"].shape[1] :], skip_special_tokens=True))
        return counted(texts)

    newcomer_pipe = pipeline("text-generation", model=model, tokenizer=tokenizer, return_full_text=False, **settings)
    chat = ChatHuggingFace(llm=HuggingFacePipeline(pipeline=newcomer_pipe), tokenizer=tokenizer, model_id="embedded")
    newcomer = build_prompt(task) | chat | StrOutputParser()

    def generate_run(inputs: Inputs, backend: Any = None) -> Callable[[], tuple[int, int]]:
        """A run of `generate` on `inputs` (through `backend` if given) into a temporary file, to be measured."""

        def run() -> tuple[int, int]:
            run_generator = Generator(spec, llm, backend=backend, progress=False)
            with tempfile.TemporaryDirectory() as tmp:
                summary = run_generator.run(inputs, Path(tmp) / "bench.jsonl")
            return summary.accepted + summary.rejected, summary.accepted

        return run

    torch.manual_seed(seed)
    results = [
        _measure("(a) article loop: model.generate per prompt", article_loop),
        _measure("(b) prompt | ChatHuggingFace | StrOutputParser, .batch", lambda: counted(newcomer.batch(rows))),
        _measure("(c) synthaug generate (continuous batching)", generate_run(inputs_by_id)),
        _measure(
            "(d) ceiling: same batched decoding, one pass, no parsing",
            lambda: counted([group[0] for group in texts(sample(task, llm, prompts))]),
        ),
        _measure(
            "(c0) synthaug generate, continuous batching off",
            generate_run(inputs_by_id, LocalBackend(task, llm, batch_size, continuous=False)),
        ),
    ]
    notes = []
    for workers in sorted({1, ray_workers}) if ray_workers else []:
        from runners.run.distributed import RayBackend

        start = time.perf_counter()
        backend = RayBackend(task, {"dtype": dtype, "batch_size": batch_size}, workers, None, batch_size, seed, False)
        backend.start()
        notes.append(
            f"Ray with {workers} worker(s): start-up and model loads {time.perf_counter() - start:.1f} s (not in the row); "
            "peak RSS of the driver only"
        )
        try:
            results.append(
                _measure(f"(e) synthaug generate --ray, {workers} workers", generate_run(inputs_by_id, backend))
            )
        finally:
            backend.close()
    if scale:
        big = Inputs(rows={str(i): {"text": r["text"]} for i, r in enumerate(data[:scale])})
        results.append(_measure(f"(f) synthaug generate, {len(big.rows)} inputs", generate_run(big)))
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "inputs.csv"
        source.write_text("text\n" + "".join(f'"{r["text"].replace(chr(34), chr(39))}"\n' for r in rows))
        for label, extra in [
            ("generate", []),
            (f"generate --ray --workers {ray_workers}", ["--ray", "--workers", str(ray_workers)]),
        ][: 2 if ray_workers else 1]:
            command = f"generate paraphrase -i {source} -o {tmp}/{len(notes)}.jsonl -q --seed {seed}".split()
            accepted, seconds, peak = whole_command(command + extra)
            notes.append(
                f"whole `{label}` command, its own process, model load included: {accepted} rows in {seconds:.1f} s = "
                f"{accepted / seconds:.2f} rows/s; peak RSS {peak:.0f} MB"
            )
    table = format_table(results, inputs, batch_size, str(model.dtype).removeprefix("torch."), load_seconds, offset)
    print_fn("\n".join([table, "", *notes]))
    return results


def format_table(
    results: list[Result], inputs: int, batch_size: int, dtype: str, load_seconds: float, offset: int = 0
) -> str:
    lines = [
        f"paraphrase, {inputs} inputs (Rotten Tomatoes snippets from row {offset}), embedded SmolLM2-135M-Instruct, dtype {dtype}, "
        f"batch {batch_size}, model load {load_seconds:.2f} s",
        "",
        "| approach | outputs | accepted | valid rate | seconds | accepted rows/s | peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.outputs} | {r.accepted} | {r.valid_rate:.0%} | {r.seconds:.1f} | {r.accepted_per_s:.2f} | {r.peak_mb:.0f} |"
        )
    a, b, c, d = results[:4]
    lines += [
        "",
        f"(c)/(a) = {c.accepted_per_s / a.accepted_per_s:.1f}x   (c)/(b) = {c.accepted_per_s / b.accepted_per_s:.1f}x   "
        f"(c)/(d) = {c.accepted_per_s / d.accepted_per_s:.2f}"
        + "".join(f"   {r.name[:3]}/(c) = {r.accepted_per_s / c.accepted_per_s:.2f}" for r in results[4:]),
    ]
    return "\n".join(lines)
