"""`bench`: accepted rows/s, valid rate and peak memory of several ways to paraphrase the same inputs, in one process."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chains import build_prompt, load_task
from chains.chain import resolve_settings, sample, texts
from chains.checks.dedup import dedup_key
from chains.local.loading import is_quantized
from chains.models import ModelSpec, load_model
from chains.prompts import renderer_for
from runners.experiments.datasets import rotten_tomatoes
from runners.experiments.limits import time_split
from runners.experiments.measure import Result, format_table, measure, ratios, whole_command
from runners.run.filtering import AnswerFilter
from runners.run.generate import build_generator
from runners.run.inputs import Inputs
from runners.run.spec import RunSpec


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


def run_bench(
    model: ModelSpec,
    inputs: int = 64,
    offset: int = 0,
    ray_workers: int | None = None,
    scale: int | None = None,
    print_fn: Callable[[str], None] = print,
    also_dtype: str | None = None,
    only: set[str] | None = None,
    whole: bool = True,
) -> list[Result]:
    """Run every approach on the same paraphrase inputs (Rotten Tomatoes rows from `offset`) and print the table.

    A local model is measured against the article's one-prompt loop, batched `model.generate`, a plain
    LangChain chain and synthaug's own decoding without the loop around it; `ray_workers` adds rows for
    `generate --ray` with 1 and that many workers, `scale` one for `generate` on that many inputs, `also_dtype`
    one for `generate` with the model loaded in that dtype too (int8 against bfloat16, say); `only` keeps the
    rows named (a, a2, b, c, d, c0), and `whole=False` leaves out the whole-command notes. A served
    model (`model.server`) is measured at 1 and at 8 requests in flight.
    """
    task = load_task("paraphrase")
    data = rotten_tomatoes()[offset:]
    rows = [{"text": r["text"]} for r in data[:inputs]]
    by_id = Inputs(rows={str(i): r for i, r in enumerate(rows)})
    title = f"paraphrase, {inputs} inputs (Rotten Tomatoes snippets from row {offset}), model {model.name}"

    def generate_run(llm: Any, inputs: Inputs, backend: Any = None) -> Callable[[], tuple[int, int]]:
        """A run of `generate` on `inputs` (through `backend` if given) into a temporary file, to be measured."""

        def run() -> tuple[int, int]:
            spec = RunSpec.for_model(task, llm, model.name, n=1, batch_size=model.batch_size, seed=model.seed or 0)
            generator = build_generator(spec, llm, inputs, backend, progress=False)  # as `generate` builds it
            with tempfile.TemporaryDirectory() as tmp:
                summary = generator.run(inputs, Path(tmp) / "bench.jsonl")
            return summary.accepted + summary.rejected, summary.accepted

        return run

    if model.server is not None:
        results = []
        for concurrency in sorted({1, 8, model.concurrency}):
            llm = load_model(model.model_copy(update={"concurrency": concurrency}))
            results.append(
                measure(
                    f"(s{concurrency}) synthaug generate, {concurrency} requests in flight", generate_run(llm, by_id)
                )
            )
        print_fn("\n".join([format_table(results, f"{title} at {model.server}"), "", ratios(results, "(s8)")]))
        return results
    results, notes, llm = _local_rows(model, task, rows, by_id, generate_run, only)
    for workers in sorted({1, ray_workers}) if ray_workers else []:
        from runners.run.distributed import RayBackend

        backend = RayBackend(model, workers, None, model.seed or 0, False)
        backend.start()
        try:
            results.append(
                measure(f"(e) synthaug generate --ray, {workers} workers", generate_run(llm, by_id, backend))
            )
        finally:
            backend.close()
    if also_dtype:
        other = load_model(model.model_copy(update={"dtype": also_dtype}))
        name = f"(c-{also_dtype}) synthaug generate, dtype {also_dtype}"
        results.append(measure(name, generate_run(other, by_id), other))
        notes += _split(results[-1], other.pipeline.model)
        del other
    if scale:
        big = Inputs(rows={str(i): {"text": r["text"]} for i, r in enumerate(data[:scale])})
        results.append(measure(f"(f) synthaug generate, {len(big.rows)} inputs", generate_run(llm, big), llm))
    notes = [
        line for r in results if r.clock and r.name.startswith(("(c)", "(f)")) for line in _split(r, llm.pipeline.model)
    ] + notes
    notes += _whole_commands(model, rows, ray_workers) if whole else []
    dtype = (
        "int8 linear weights"
        if is_quantized(llm.pipeline.model)
        else str(llm.pipeline.model.dtype).removeprefix("torch.")
    )
    title += f", {llm.pipeline.model.device}, dtype {dtype}, batch {llm.batch_size}"
    print_fn("\n".join([format_table(results, title), "", ratios(results, "(c)"), "", *notes]))
    return results


def _local_rows(
    model: ModelSpec, task: Any, rows: list[dict], by_id: Inputs, generate_run: Callable, only: set[str] | None
) -> tuple:
    """The rows of a local model: the baselines, synthaug's decoding alone, and `generate` with and without
    continuous batching, all on the same loaded model."""
    import time

    import torch
    from langchain_core.output_parsers import StrOutputParser
    from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
    from transformers import pipeline

    from chains.local.decoding import input_device
    from runners.run.backends import LocalBackend

    start = time.perf_counter()
    llm = load_model(model)
    notes = [f"model load {time.perf_counter() - start:.1f} s"]
    hf, tokenizer = llm.pipeline.model, llm.pipeline.tokenizer
    device = input_device(hf)
    settings = resolve_settings(task, llm.generation)
    prompts = (build_prompt(task) | renderer_for(llm)).batch(rows)
    checks = AnswerFilter(task)

    def counted(raws: list[str]) -> tuple[int, int]:
        return len(raws), _count_accepted(checks, rows, raws)

    def model_generate(size: int) -> Callable[[], tuple[int, int]]:
        """`model.generate` on `size` prompts at a time (left-padded), as a transformers user would write it."""

        def run() -> tuple[int, int]:
            answers = []
            for start in range(0, len(prompts), size):
                batch = tokenizer(
                    prompts[start : start + size], return_tensors="pt", padding=True, add_special_tokens=False
                )
                batch = batch.to(device)
                with torch.inference_mode():
                    output = hf.generate(**batch, pad_token_id=tokenizer.pad_token_id, **settings)
                answers += tokenizer.batch_decode(output[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
            return counted(answers)

        return run

    newcomer_pipe = pipeline("text-generation", model=hf, tokenizer=tokenizer, return_full_text=False, **settings)
    chat = ChatHuggingFace(llm=HuggingFacePipeline(pipeline=newcomer_pipe), tokenizer=tokenizer, model_id=model.name)
    newcomer = build_prompt(task) | chat | StrOutputParser()
    torch.manual_seed(model.seed or 0)
    approaches = {
        "a": ("(a) article loop: model.generate per prompt", model_generate(1)),
        "a2": (f"(a2) batched model.generate, {llm.batch_size} prompts at a time", model_generate(llm.batch_size)),
        "b": ("(b) prompt | ChatHuggingFace | StrOutputParser, .batch", lambda: counted(newcomer.batch(rows))),
        "c": ("(c) synthaug generate (continuous batching)", generate_run(llm, by_id)),
        "d": (
            "(d) ceiling: same batched decoding, one pass, no parsing",
            lambda: counted([group[0] for group in texts(sample(task, llm, prompts))]),
        ),
        "c0": (
            "(c0) synthaug generate, continuous batching off",
            generate_run(llm, by_id, LocalBackend(task, llm, llm.batch_size, continuous=False)),
        ),
    }
    results = [measure(name, run, llm) for key, (name, run) in approaches.items() if only is None or key in only]
    return results, notes, llm


def _whole_commands(model: ModelSpec, rows: list[dict], ray_workers: int | None) -> list[str]:
    """`generate` (and `generate --ray`) as a user runs it: its own process, model load included."""
    flags = ["--device", model.device, "--dtype", model.dtype]
    flags += ["--batch-size", str(model.batch_size)] if model.batch_size else []
    flags += ["--model", model.model] if model.model else []
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "inputs.csv"
        source.write_text("text\n" + "".join(f'"{r["text"].replace(chr(34), chr(39))}"\n' for r in rows))
        runs = [("generate", [])] + (
            [(f"generate --ray --workers {ray_workers}", ["--ray", "--workers", str(ray_workers)])]
            if ray_workers
            else []
        )
        for number, (label, extra) in enumerate(runs):
            command = f"generate paraphrase -i {source} -o {tmp}/{number}.jsonl -q --seed {model.seed or 0}".split()
            accepted, seconds, peak = whole_command(command + flags + extra)
            notes.append(
                f"whole `{label}` command, its own process, model load included: {accepted} rows in {seconds:.1f} s = "
                f"{accepted / seconds:.2f} rows/s; peak RSS {peak:.0f} MB"
            )
    return notes


def _split(result: Result, model: Any) -> list[str]:
    """Where a row's decoding time went, against the model's own linear layers run alone."""
    return [
        f"where {result.name.split()[0]}'s decoding time went, against the model's linear layers run alone now "
        "(GFLOP/s: theirs, 2 per weight per token):",
        "",
        *time_split(model, result.clock),
        "",
    ]
