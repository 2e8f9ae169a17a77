"""Command line: `synthaug generate | report | evaluate | compare-selectors | bench | sample-data | export`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from chains import SynthaugError, Task
from chains.knobs import KnobError
from chains.selectors import SELECTORS
from chains.task import load_task
from runners.arguments import build_parser
from runners.run.inputs import InputError, Inputs, default_inputs, load_inputs
from runners.run.store import check_writable, start_over

def _names(text: str) -> list[str]:
    """The names in a comma-separated flag value, blanks dropped."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _task_and_inputs(args: argparse.Namespace) -> tuple[Task, Inputs]:
    """The task adapted to the user's examples, classes and context, and the inputs it will run on."""
    from runners.run.pool import adapt_task, read_pool

    task = load_task(args.task, args.language)
    pool = read_pool(args.examples, task, args.text_column, args.label_column) if args.examples else None
    classes = _names(args.classes) if args.classes else None
    task = adapt_task(task, pool, classes, args.context, dict(args.describe or []))
    if args.input is None:
        return task, default_inputs(task)
    inputs = load_inputs(args.input, task, args.text_column, args.label_column, args.skip_unlabelled)
    if inputs.skipped_empty:
        print(f"skipped {inputs.skipped_empty} input rows with empty text", file=sys.stderr)
    if inputs.skipped_unlabelled:
        print(f"skipped {inputs.skipped_unlabelled} input rows with no label (--skip-unlabelled)", file=sys.stderr)
    return task, inputs


def _check_context(args: argparse.Namespace, task: Task, inputs: Inputs) -> None:
    """Refuse inputs longer than the model's context, with the tokenizer alone, before the weights load."""
    from chains.model import load_tokenizer
    from runners.run.context import check_context

    tokenizer, context = load_tokenizer(args.model, args.dtype, args.trust_remote_code)
    check_context(task, inputs, tokenizer, context, args.max_new_tokens or task.max_new_tokens(), args.shots)


def _generation(args: argparse.Namespace) -> dict[str, Any]:
    settings = {
        "temperature": args.temperature,
        "top_p": args.top_p,
        "max_new_tokens": args.max_new_tokens,
        "do_sample": False if args.greedy else None,
    }
    return {k: v for k, v in settings.items() if v is not None}


def _load_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Everything `load_llm` needs, so a remote worker can load the same model."""
    return {
        "model": args.model,
        "dtype": args.dtype,
        "batch_size": args.batch_size,
        "trust_remote_code": args.trust_remote_code,
        "allow_pickle": args.allow_pickle,
        "seed": args.seed,
        **_generation(args),
    }


def _load_model(args: argparse.Namespace) -> Any:
    from chains import load_llm

    return load_llm(**_load_kwargs(args))


def _spec(args: argparse.Namespace, task: Task) -> Any:
    """The run spec, from the flags; it checks the knobs (`main` names the flag of one out of range)."""
    from chains.chain import resolve_settings
    from chains.model import EMBEDDED_MODEL
    from runners.run.pool import default_selector
    from runners.run.spec import RunSpec

    min_logprob = args.min_logprob
    if min_logprob is None and args.model is None:  # the task's floor was measured on the embedded model
        min_logprob = task.min_logprob
    return RunSpec(
        task=task,
        model=args.model or EMBEDDED_MODEL,
        generation=resolve_settings(task, _generation(args)),
        seed=args.seed,
        n=args.n,
        per_label=args.per_label,
        max_attempts=args.max_attempts,
        batch_size=args.batch_size,
        inputs_name=str(args.input) if args.input else None,
        selector=args.selector or default_selector(task),
        shots=args.shots,
        verify_label=args.verify_label,
        min_confidence=args.min_confidence,
        min_logprob=min_logprob,
        no_copy=args.no_copy,
        near_copy=args.near_copy,
        min_similarity=args.min_similarity,
        near_dup=args.near_dup,
    )


def _check_flags(args: argparse.Namespace, task: Task, inputs: Inputs) -> None:
    """Flags that do not fit the task or its inputs."""
    if args.per_label is not None and "label" not in task.input_variables:
        raise InputError(f"--per-label needs a task whose inputs carry a label (like labeled); use --n for {task.name}")
    if args.verify_label and (task.output == "label" or not any("label" in v for v in inputs.rows.values())):
        raise InputError(
            f"--verify-label needs rows that carry a label; {task.name} rows here have none "
            "(use the labeled task, or an --input file with a label column)"
        )
    if args.min_confidence is not None and not args.verify_label:
        raise InputError("--min-confidence goes with --verify-label; add --verify-label or drop --min-confidence")


def cmd_generate(args: argparse.Namespace) -> int:
    from runners.run.assemble import build_generator
    from runners.run.store import RunStore

    check_writable(args.output)
    task, inputs = _task_and_inputs(args)
    spec = _spec(args, task)
    _check_flags(args, task, inputs)
    _check_context(args, task, inputs)
    store = RunStore(args.output)
    store.check(spec.manifest(), args.force_new)
    backend = None
    if args.ray is not None:  # before the model loads, so a wrong address fails fast
        from runners.run.distributed import RayBackend

        backend = RayBackend(
            task, _load_kwargs(args), args.workers, args.ray or None, args.batch_size, args.seed, not args.quiet
        )
    llm = _load_model(args)
    generator = build_generator(spec, llm, inputs, backend, progress=not args.quiet)
    if args.force_new:  # only now: a failed load above leaves the old output where it was
        start_over(args.output)
    try:
        summary = generator.run(inputs, args.output)
    finally:
        generator.backend.close()
    print(
        f"accepted {summary.accepted} rows ({summary.resumed} kept from before), rejected {summary.rejected}, "
        f"{summary.rows_per_second:.2f} rows/s"
    )
    print(f"rows: {args.output}\nrejects: {store.rejects}")
    for quota in summary.unmet:
        print(f"unmet quota {quota.shortfall()}", file=sys.stderr)
    if summary.unmet:
        print("rerun the same command to try again (it resumes), or raise --max-attempts", file=sys.stderr)
    if args.format != "jsonl":
        from runners.reports.export import default_destination, export_rows
        from runners.run.store import read_jsonl

        destination = export_rows(
            read_jsonl(args.output), args.format, default_destination(args.output, args.format), task.classes
        )
        print(f"{args.format} export: {destination}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from chains.model import EMBEDDED_MODEL
    from runners.experiments.compare import compare_selectors

    names = _names(args.selectors)
    unknown = [s for s in names if s not in SELECTORS]
    if unknown:
        raise InputError(f"unknown selector {unknown[0]!r}; use some of {', '.join(SELECTORS)}")
    task, inputs = _task_and_inputs(args)
    if args.limit:
        inputs.rows = dict(list(inputs.rows.items())[: args.limit])
    gold = None
    if args.input is not None and task.output == "label":
        from runners.run.inputs import read_records

        records = read_records(args.input)
        gold = {(r.get("id") or "").strip() or str(i): r.get(args.label_column, "") for i, r in enumerate(records, 1)}
    llm = _load_model(args)
    print(compare_selectors(task, llm, args.model or EMBEDDED_MODEL, inputs, names, args, gold))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from runners.experiments.bench import run_bench

    run_bench(
        inputs=args.inputs,
        batch_size=args.batch_size,
        dtype=args.dtype,
        seed=args.seed,
        ray_workers=args.ray,
        scale=args.scale,
    )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from runners.reports.report import summary_table, write_report

    if args.html is not None:
        check_writable(args.html)
    report, html = write_report(args.run, args.examples, args.html, args.near_dup, args.text_column, args.label_column)
    print(report.title)
    print(f"label fidelity judge: {report.judge_source}\n")
    print(summary_table(report))
    if report.reasons:
        top = ", ".join(f"{reason} ({k})" for reason, k in report.reasons.most_common(3))
        print(f"\nmost common rejection kinds: {top}")
    print(f"\nHTML report: {html}")
    return 0


def _labelled_data(args: argparse.Namespace) -> Any:
    from runners.experiments.datasets import DATASETS, Dataset

    if args.data in DATASETS:
        dataset = DATASETS[args.data]()
        return Dataset(dataset.rows, args.context or dataset.context, {**dataset.descriptions, **dict(args.describe or [])})
    from runners.run.inputs import read_labelled

    rows = read_labelled(Path(args.data), args.text_column, args.label_column)
    if len({r["label"] for r in rows}) < 2:
        raise InputError(
            f"{args.data} needs rows with text and label of at least two classes "
            f"(columns {args.text_column!r}, {args.label_column!r}); see --text-column and --label-column"
        )
    return Dataset(rows, args.context or "", dict(args.describe or []))


def cmd_evaluate(args: argparse.Namespace) -> int:
    from chains import load_llm
    from chains.embeddings import load_embeddings
    from chains.model import EMBEDDED_MODEL
    from runners.experiments.evaluate import Setup, evaluate, fidelity_table, table

    try:
        ks = sorted({int(k) for k in args.k.split(",")})
    except ValueError:
        raise InputError(f"--k must be whole numbers separated by commas, like 10,50; got {args.k!r}") from None
    if not ks or min(ks) < 2:
        raise InputError(f"--k needs values of 2 or more examples per class; got {args.k!r}")
    if args.min_confidence is not None and args.verify_label == "none":
        raise InputError("--min-confidence goes with --verify-label; add --verify-label embedding or drop it")
    dataset = _labelled_data(args)
    args.workdir.mkdir(parents=True, exist_ok=True)
    check_writable(args.workdir / "evaluate.md")
    llm = load_llm(args.model, dtype=args.dtype, batch_size=args.batch_size)
    setup = Setup(
        task=args.task,
        context=dataset.context,
        descriptions=dataset.descriptions,
        n=args.n,
        batch_size=args.batch_size,
        verify_label=None if args.verify_label == "none" else args.verify_label,
        min_confidence=args.min_confidence,
        progress=not args.quiet,
    )
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    try:
        scores, stats, judge_accuracy, quality = evaluate(
            dataset.rows,
            llm,
            args.model or EMBEDDED_MODEL,
            load_embeddings().embed_documents,
            args.workdir,
            ks,
            seeds,
            args.test_size,
            setup,
            args.judge_size,
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    judge_table = "\n".join(
        [
            "The --verify-label embedding judge, trained on the k drawn examples of the first seed, on the test set:",
            "",
            "| k | class | confidence floor | precision | recall |",
            "| ---: | --- | --- | ---: | ---: |",
            *quality,
        ]
    )
    result = f"{table(scores)}\n\n{fidelity_table(stats, judge_accuracy)}\n\n{judge_table}"
    command = "synthaug evaluate " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["evaluate"] else "synthaug evaluate"
    (args.workdir / "evaluate.md").write_text(f"`{command}`\n\n{result}\n", encoding="utf-8")
    print(result)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from runners.reports.export import default_destination, export_rows
    from runners.run.store import read_run

    rows = read_run(args.run)
    destination = args.dest or default_destination(args.run, args.to)
    check_writable(destination, folder_ok=args.to == "hf")
    if not rows:
        raise InputError(f"{args.run} has no rows to export; run `generate` first")
    classes = _names(args.classes) if args.classes else None
    export_rows(rows, args.to, destination, classes)
    print(f"wrote {len(rows)} rows to {destination}")
    return 0


def cmd_sample_data(args: argparse.Namespace) -> int:
    import csv

    from runners.experiments.datasets import rotten_tomatoes

    check_writable(args.output)
    rows = rotten_tomatoes()[args.offset :]
    rows = rows[: args.limit] if args.limit else rows
    with args.output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.output}")
    return 0


COMMANDS = {
    "generate": cmd_generate,
    "compare-selectors": cmd_compare,
    "bench": cmd_bench,
    "report": cmd_report,
    "evaluate": cmd_evaluate,
    "export": cmd_export,
    "sample-data": cmd_sample_data,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KnobError as exc:
        flag = f"--{exc.knob.replace('_', '-')}"
        print(f"error: {flag} {exc.value} is out of range; use a value {exc.allowed}", file=sys.stderr)
        return 2
    except SynthaugError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
