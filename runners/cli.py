"""Command line: `synthaug generate | report | evaluate | compare-selectors | bench | sample-data | export`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from chains import SynthaugError, Task
from chains.judge import JUDGES
from chains.selectors import SELECTORS
from runners.export import FORMATS
from chains.task import load_task
from runners.inputs import InputError, Inputs, default_inputs, load_inputs
from runners.store import check_resume, check_writable, sidecar, start_over

# Characters kept of one input text: far beyond a sentence, well inside a small model's context.
MAX_INPUT_CHARS = 4000


def _positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {value}")
    return number


def _not_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return number


def _similarity(value: str) -> float:
    number = float(value)
    if not 0 < number <= 1:
        raise argparse.ArgumentTypeError(f"must be a cosine similarity in (0, 1], got {value}")
    return number


def _add_task_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", help="task name (utterance, headline, paraphrase, labeled, classify, word) or a .yaml path")
    p.add_argument("--language", "-l", default="en", help="template language (default: en)")
    p.add_argument("--input", "-i", type=Path, help="CSV or JSONL input; omit for tasks that need no input")
    p.add_argument("--text-column", default="text", help="column holding the text, in inputs and examples (default: text)")
    p.add_argument("--label-column", default="label", help="column holding the label, in inputs and examples (default: label)")
    p.add_argument("--examples", type=Path, help="CSV/JSONL few-shot pool; for labelled tasks its labels become the classes")
    p.add_argument("--classes", help="comma-separated class names, replacing the template's")
    p.add_argument("--context", help="what the data is about, replacing the template's Context line")
    p.add_argument("--shots", type=_not_negative, default=4, help="few-shot examples per prompt; 0 is zero-shot (default: 4)")
    p.add_argument("--n", type=_positive, default=1, help="accepted rows wanted per input (default: 1)")
    p.add_argument("--max-attempts", type=_positive, default=5, help="model calls per input before giving up")
    p.add_argument("--model", help="Hugging Face model id or local folder (default: embedded SmolLM2-135M-Instruct)")
    p.add_argument(
        "--dtype", choices=["auto", "float32", "bfloat16"], default="auto",
        help="model weight type; auto: bfloat16 where the hardware has it, else float32",
    )
    p.add_argument("--batch-size", type=_positive, default=32, help="prompts per model call (default: 32)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--temperature", type=float, help="sampling temperature (default: the task's)")
    p.add_argument("--top-p", type=float, help="nucleus sampling mass (default: the task's)")
    p.add_argument("--max-new-tokens", type=_positive, help="token budget per answer (default: by output kind)")
    p.add_argument("--greedy", action="store_true", help="decode greedily instead of sampling")
    p.add_argument("--trust-remote-code", action="store_true", help="allow a model's own Python code to run")
    p.add_argument("--allow-pickle", action="store_true", help="allow pickle weight files (only for trusted models)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="synthaug", description="Make labelled training text with a local model.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    gen = commands.add_parser("generate", help="generate checked rows for a task into a JSONL file")
    _add_task_args(gen)
    gen.add_argument("--output", "-o", type=Path, required=True, help="output JSONL; rejects go beside it")
    gen.add_argument("--selector", choices=SELECTORS, default="fixed", help="how each prompt's examples are chosen")
    gen.add_argument("--per-label", type=_positive, help="accepted rows wanted per label, across its inputs")
    gen.add_argument(
        "--near-dup", type=_similarity, metavar="COSINE", help="also reject rows this similar to an earlier one (e.g. 0.95)"
    )
    gen.add_argument(
        "--verify-label", nargs="?", const="embedding", choices=JUDGES, metavar="JUDGE",
        help="label each row again and reject disagreements: embedding (default; logistic regression on MiniLM "
        "embeddings of your labelled texts) or classify (the few-shot classify chain)",
    )
    gen.add_argument(
        "--ray", nargs="?", const="", metavar="ADDRESS",
        help="run the model on Ray actors; with no address a local Ray with this machine's cores starts",
    )
    gen.add_argument("--workers", type=_positive, help="Ray actors, each with its own copy of the model (default: one per core)")
    gen.add_argument(
        "--format", choices=FORMATS, default="jsonl",
        help="also export the rows when the run ends: csv, parquet, or hf (a datasets folder); jsonl is the run file itself",
    )
    gen.add_argument("--force-new", action="store_true", help="start over; the old output is kept as *.bak")
    compare = commands.add_parser("compare-selectors", help="run the same inputs through several example selectors")
    _add_task_args(compare)
    compare.add_argument("--selectors", default=",".join(SELECTORS), help="comma-separated selectors (default: all)")
    compare.add_argument("--limit", type=_positive, help="use only the first N inputs")
    bench = commands.add_parser("bench", help="compare throughput of four generation approaches on the same inputs")
    bench.add_argument("--inputs", type=_positive, default=64, help="paraphrase inputs (default: 64)")
    bench.add_argument("--batch-size", type=_positive, default=32, help="prompts per model call (default: 32)")
    bench.add_argument("--dtype", choices=["auto", "float32", "bfloat16"], default="auto", help="model weight type")
    bench.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    bench.add_argument(
        "--ray", type=_positive, nargs="?", const=2, metavar="WORKERS", help="add a row for generate on local Ray (default: 2 workers)"
    )
    report = commands.add_parser("report", help="quality metrics of a finished run, printed and as an HTML page")
    report.add_argument("run", type=Path, help="the JSONL file a generate run wrote")
    report.add_argument("--examples", type=Path, help="real labelled texts (CSV/JSONL) to train the label-fidelity judge on")
    report.add_argument("--text-column", default="text", help="text column of --examples (default: text)")
    report.add_argument("--label-column", default="label", help="label column of --examples (default: label)")
    report.add_argument("--html", type=Path, help="where to write the page (default: RUN.report.html beside the run)")
    report.add_argument(
        "--near-dup", type=_similarity, default=0.95, metavar="COSINE", help="cosine that counts as a near-duplicate"
    )
    ev = commands.add_parser("evaluate", help="train classifiers on k real examples per class, with and without added rows")
    ev.add_argument("--data", default="rotten-tomatoes", help="rotten-tomatoes (default) or a labelled CSV/JSONL file")
    ev.add_argument("--text-column", default="text", help="text column of --data (default: text)")
    ev.add_argument("--label-column", default="label", help="label column of --data (default: label)")
    ev.add_argument("--k", default="10,50", help="real examples per class, comma-separated (default: 10,50)")
    ev.add_argument("--seeds", type=_positive, default=5, help="draws of the training examples (default: 5)")
    ev.add_argument("--test-size", type=_positive, default=1000, help="held-out real test rows (default: 1000)")
    ev.add_argument("--n", type=_positive, default=4, help="paraphrases per real example (default: 4)")
    ev.add_argument(
        "--verify-label", choices=[*JUDGES, "none"], default="embedding", help="label judge for the rows (default: embedding)"
    )
    ev.add_argument("--workdir", type=Path, default=Path("eval"), help="folder for the resumable run files (default: eval)")
    ev.add_argument("--model", help="Hugging Face model id or local folder (default: embedded SmolLM2-135M-Instruct)")
    ev.add_argument("--dtype", choices=["auto", "float32", "bfloat16"], default="auto", help="model weight type")
    ev.add_argument("--batch-size", type=_positive, default=32, help="prompts per model call (default: 32)")
    ev.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    export = commands.add_parser("export", help="convert a run's rows to CSV, Parquet or a Hugging Face datasets folder")
    export.add_argument("run", type=Path, help="the JSONL file a generate run wrote")
    export.add_argument("--to", choices=FORMATS, required=True, help="format to write")
    export.add_argument("--dest", type=Path, help="where to write (default: beside the run, e.g. out.parquet or out.hf/)")
    export.add_argument("--classes", help="comma-separated label names for the hf ClassLabel, in order (default: the run's)")
    data = commands.add_parser("sample-data", help="write real labelled text shipped in a wheel to a CSV file")
    data.add_argument("name", choices=["rotten-tomatoes"], help="data set")
    data.add_argument("--output", "-o", type=Path, required=True, help="CSV file to write (text,label)")
    data.add_argument("--offset", type=_not_negative, default=0, help="skip this many rows first")
    data.add_argument("--limit", type=_positive, help="write at most this many rows")
    return parser


def _task_and_inputs(args: argparse.Namespace) -> tuple[Task, Inputs]:
    """The task adapted to the user's examples, classes and context, and the inputs it will run on."""
    from runners.pool import adapt_task, read_pool

    task = load_task(args.task, args.language)
    pool = read_pool(args.examples, task, args.text_column, args.label_column) if args.examples else None
    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    task = adapt_task(task, pool, classes, args.context)
    if args.input is None:
        return task, default_inputs(task)
    inputs = load_inputs(args.input, task, args.text_column, args.label_column, MAX_INPUT_CHARS)
    if inputs.skipped_empty:
        print(f"skipped {inputs.skipped_empty} input rows with empty text", file=sys.stderr)
    if inputs.truncated:
        print(
            f"warning: cut {len(inputs.truncated)} long input texts to {MAX_INPUT_CHARS} characters "
            f"to fit the model's context (inputs {', '.join(inputs.truncated[:5])})",
            file=sys.stderr,
        )
    return task, inputs


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


def cmd_generate(args: argparse.Namespace) -> int:
    from chains.chain import task_settings
    from chains.model import EMBEDDED_MODEL
    from runners.generate import Generator
    from runners.quotas import quota_spec, run_manifest
    from runners.pool import judge_for, selector_for

    check_writable(args.output)
    task, inputs = _task_and_inputs(args)
    if args.per_label is not None and "label" not in task.input_variables:
        raise InputError(f"--per-label needs a task whose inputs carry a label (like labeled); use --n for {task.name}")
    if args.verify_label and (task.output == "label" or not any("label" in v for v in inputs.rows.values())):
        raise InputError(
            f"--verify-label needs rows that carry a label; {task.name} rows here have none "
            "(use the labeled task, or an --input file with a label column)"
        )
    generation = _generation(args)
    model_name = args.model or EMBEDDED_MODEL
    inputs_name = str(args.input) if args.input else None
    settings = {**generation, **task_settings(task, generation)}
    selector_spec = {"name": args.selector, "shots": args.shots}
    quota = quota_spec(args.n, args.per_label)
    manifest = run_manifest(task, model_name, settings, args.seed, quota, inputs_name, selector_spec, args.verify_label)
    check_resume(args.output, manifest, args.force_new)

    llm = _load_model(args)
    near_duplicates = None
    if args.near_dup is not None:
        from chains.dedup import NearDuplicateIndex
        from chains.embeddings import load_embeddings

        near_duplicates = NearDuplicateIndex(load_embeddings().embed_documents, threshold=args.near_dup)
    judge = judge_for(args.verify_label, task, inputs, args.language, llm) if args.verify_label else None
    backend = None
    if args.ray is not None:
        from runners.distributed import RayBackend

        backend = RayBackend(
            task, _load_kwargs(args), args.workers, args.ray or None, args.batch_size, args.seed, not args.quiet
        )
    if args.force_new:  # only now: a failed load above leaves the old output where it was
        start_over(args.output)
    generator = Generator(
        task=task,
        llm=llm,
        model_name=model_name,
        n=args.n,
        per_label=args.per_label,
        max_attempts=args.max_attempts,
        seed=args.seed,
        chunk_size=args.batch_size,
        near_duplicates=near_duplicates,
        selector=selector_for(args.selector, task, args.shots, args.seed, llm),
        selector_spec=selector_spec,
        judge=judge,
        backend=backend,
        progress=not args.quiet,
    )
    try:
        summary = generator.run(inputs, args.output, inputs_name)
    finally:
        if backend is not None:
            backend.close()
    print(
        f"accepted {summary.accepted} rows ({summary.resumed} kept from before), rejected {summary.rejected}, "
        f"{summary.rows_per_second:.2f} rows/s"
    )
    print(f"rows: {args.output}\nrejects: {sidecar(args.output, 'rejected')}")
    for quota in summary.unmet:
        print(f"unmet quota {quota.shortfall()}", file=sys.stderr)
    if summary.unmet:
        print("rerun the same command to try again (it resumes), or raise --max-attempts", file=sys.stderr)
    if args.format != "jsonl":
        from runners.export import default_destination, export_rows
        from runners.store import read_jsonl

        destination = export_rows(read_jsonl(args.output), args.format, default_destination(args.output, args.format), task.classes)
        print(f"{args.format} export: {destination}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from chains.model import EMBEDDED_MODEL
    from runners.compare import compare_selectors

    names = [s.strip() for s in args.selectors.split(",") if s.strip()]
    unknown = [s for s in names if s not in SELECTORS]
    if unknown:
        raise InputError(f"unknown selector {unknown[0]!r}; use some of {', '.join(SELECTORS)}")
    task, inputs = _task_and_inputs(args)
    if args.limit:
        inputs.rows = dict(list(inputs.rows.items())[: args.limit])
    gold = None
    if args.input is not None and task.output == "label":
        from runners.inputs import read_records

        records = read_records(args.input)
        gold = {(r.get("id") or "").strip() or str(i): r.get(args.label_column, "") for i, r in enumerate(records, 1)}
    llm = _load_model(args)
    print(compare_selectors(task, llm, args.model or EMBEDDED_MODEL, inputs, names, args, gold))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from runners.bench import run_bench

    run_bench(inputs=args.inputs, batch_size=args.batch_size, dtype=args.dtype, seed=args.seed, ray_workers=args.ray)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from runners.report import summary_table, write_report

    if args.html is not None:
        check_writable(args.html)
    report, html = write_report(args.run, args.examples, args.html, args.near_dup, args.text_column, args.label_column)
    print(report.title)
    print(f"label fidelity judge: {report.judge_source}\n")
    print(summary_table(report))
    if report.reasons:
        top = ", ".join(f"{reason} ({k})" for reason, k in report.reasons.most_common(3))
        print(f"\nmost common rejection reasons: {top}")
    print(f"\nHTML report: {html}")
    return 0


def _labelled_data(args: argparse.Namespace) -> list[dict[str, str]]:
    if args.data == "rotten-tomatoes":
        from runners.datasets import rotten_tomatoes

        return rotten_tomatoes()
    from runners.inputs import read_records

    records = read_records(Path(args.data))
    rows = [{"text": (r.get(args.text_column) or "").strip(), "label": (r.get(args.label_column) or "").strip()} for r in records]
    rows = [r for r in rows if r["text"] and r["label"]]
    if len({r["label"] for r in rows}) < 2:
        raise InputError(
            f"{args.data} needs rows with text and label of at least two classes "
            f"(columns {args.text_column!r}, {args.label_column!r}); see --text-column and --label-column"
        )
    return rows


def cmd_evaluate(args: argparse.Namespace) -> int:
    from chains import load_llm
    from chains.embeddings import load_embeddings
    from chains.model import EMBEDDED_MODEL
    from runners.evaluate import evaluate, table

    try:
        ks = sorted({int(k) for k in args.k.split(",")})
    except ValueError:
        raise InputError(f"--k must be whole numbers separated by commas, like 10,50; got {args.k!r}") from None
    if not ks or min(ks) < 2:
        raise InputError(f"--k needs values of 2 or more examples per class; got {args.k!r}")
    rows = _labelled_data(args)
    args.workdir.mkdir(parents=True, exist_ok=True)
    check_writable(args.workdir / "evaluate.md")
    llm = load_llm(args.model, dtype=args.dtype, batch_size=args.batch_size)
    options = {
        "n": args.n, "batch_size": args.batch_size, "progress": not args.quiet,
        "verify_label": None if args.verify_label == "none" else args.verify_label,
    }
    try:
        scores = evaluate(
            rows, llm, args.model or EMBEDDED_MODEL, load_embeddings().embed_documents, args.workdir, ks, args.seeds,
            args.test_size, options,
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    result = table(scores)
    command = "synthaug evaluate " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["evaluate"] else "synthaug evaluate"
    (args.workdir / "evaluate.md").write_text(f"`{command}`\n\n{result}\n", encoding="utf-8")
    print(result)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from runners.export import default_destination, export_rows
    from runners.store import read_jsonl

    if not args.run.is_file():
        raise InputError(f"run file {args.run} does not exist; give the JSONL file that `generate --output` wrote")
    destination = args.dest or default_destination(args.run, args.to)
    check_writable(destination, folder_ok=args.to == "hf")
    rows = read_jsonl(args.run, repair=False)
    if not rows:
        raise InputError(f"{args.run} has no rows to export; run `generate` first")
    classes = [c.strip() for c in args.classes.split(",") if c.strip()] if args.classes else None
    export_rows(rows, args.to, destination, classes)
    print(f"wrote {len(rows)} rows to {destination}")
    return 0


def cmd_sample_data(args: argparse.Namespace) -> int:
    import csv

    from runners.datasets import rotten_tomatoes

    check_writable(args.output)
    rows = rotten_tomatoes()[args.offset :]
    rows = rows[: args.limit] if args.limit else rows
    with args.output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.output}")
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, naming the fix, with exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"error: {message}; see `{self.prog} --help`\n")


COMMANDS = {
    "generate": cmd_generate, "compare-selectors": cmd_compare, "bench": cmd_bench, "report": cmd_report, "evaluate": cmd_evaluate, "export": cmd_export,
    "sample-data": cmd_sample_data,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SynthaugError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
