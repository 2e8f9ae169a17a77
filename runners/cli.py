"""Command line: `synthaug generate | report | evaluate | compare-selectors | bench | sample-data | export`.

`generate` is here; the report and export commands are in `runners.reports.commands`, the experiments
in `runners.experiments.commands`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chains import SynthaugError, Task
from chains.checks.classifiers import minilm_reads
from chains.knobs import KnobError
from runners.experiments import commands as experiments
from runners.parser import build_parser
from runners.reports import commands as reports
from runners.run.inputs import InputError, Inputs
from runners.run.records import HELD_KINDS
from runners.run.store import check_writable, start_over
from runners.setup import model_spec, refuse_long_inputs, run_spec, task_and_inputs


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
    if args.verify_label == "embedding" and not minilm_reads(task.language):
        print(
            f"notice: the embedding judge reads texts through MiniLM, which was trained on English; for {task.language} "
            "rows --verify-label classify (the model's own few-shot classify prompt) reads them better",
            file=sys.stderr,
        )


def cmd_generate(args: argparse.Namespace) -> int:
    from chains.models import load_model
    from runners.run.generate import build_generator
    from runners.run.store import RunStore

    check_writable(args.output)
    model = model_spec(args)
    task, inputs = task_and_inputs(args)
    spec = run_spec(args, task, model, inputs)
    _check_flags(args, task, inputs)
    refuse_long_inputs(model, task, inputs, args.max_new_tokens, args.shots)
    store = RunStore(args.output)
    store.check(spec.manifest(), args.force_new)
    backend = None
    if args.ray is not None:  # before the model loads, so a wrong address fails fast
        from runners.run.distributed import RayBackend

        backend = RayBackend(model, args.workers, args.ray or None, args.seed, not args.quiet)
    llm = load_model(model)
    if args.force_new:  # only now: a failed load above leaves the old output where it was
        start_over(args.output)
    progress = not args.quiet
    if spec.strategy is not None:
        from runners.run.strategy import LabelledRun

        build = lambda s, i: build_generator(s, llm, i, backend, progress)  # noqa: E731
        run = LabelledRun(
            spec,
            llm,
            inputs,
            _embedder(),
            build,
            keep_held=args.keep_held,
            progress=progress,
            label_check=args.label_check,
        )
        try:
            outcome = run.run(args.output, start_over=args.force_new)
        finally:
            backend and backend.close()
        _print_outcome(outcome, args.output, store.rejects)
        saved = len(outcome.verdict.kept) + (len(outcome.verdict.held_rows) if args.keep_held else 0)
    else:
        generator = build_generator(spec, llm, inputs, backend, progress)
        try:
            summary = generator.run(inputs, args.output)
        finally:
            generator.backend.close()
        saved = summary.accepted + summary.resumed
        print(
            f"requested {summary.requested} rows, saved {saved} ({summary.resumed} kept from before), "
            f"rejected {summary.rejected} answers, {summary.rows_per_second:.2f} rows/s"
        )
        print(f"rows: {args.output}\nrejects: {store.rejects}")
        _print_unmet(summary.unmet)
        _validate_labelled(task, inputs, args.output, store)
    if args.format != "jsonl":
        from runners.reports.export import default_destination, export_rows
        from runners.run.store import read_jsonl

        destination = export_rows(
            read_jsonl(args.output), args.format, default_destination(args.output, args.format), task.classes
        )
        print(f"{args.format} export: {destination}")
    if saved == 0:
        print(
            f"error: no rows were saved; the rejects ({store.rejects}) say why: try another --model, more "
            "--max-attempts, or --keep-held for rows the gate held back",
            file=sys.stderr,
        )
        return 1
    return 0


def _embedder() -> Any:
    from chains.checks.classifiers import Embedder
    from chains.checks.embeddings import load_embeddings

    return Embedder(load_embeddings().embed_documents)


def _print_unmet(unmet: list) -> None:
    for quota in unmet:
        print(f"unmet quota {quota.shortfall()}", file=sys.stderr)
    if unmet:
        print("rerun the same command to try again (it resumes), or raise --max-attempts", file=sys.stderr)


def _print_outcome(outcome: Any, output: Any, rejects: Any) -> None:
    """What a labelled run did, by class (requested, made, saved, held back, rejected) with the strategy and the
    estimate on the pool; and why none were saved, if none were."""
    from collections import Counter

    from runners.run.store import read_jsonl

    verdict = outcome.verdict
    refused = [r for r in read_jsonl(rejects) if r.get("kind") not in HELD_KINDS]
    counts = {
        # what the gate judged, and what was left out before it to keep the classes even; rows the gate itself
        # left out for balance are among those it judged
        "made": Counter(r["label"] for r in outcome.candidates) + Counter(r["label"] for r in outcome.left_out),
        "saved": Counter(r["label"] for r in verdict.kept),
        "held back": Counter(r["label"] for r in verdict.held),
        "rejected": Counter(r["label"] for r in refused),
    }
    classes = sorted(set().union(*counts.values()))
    print(f"strategy {outcome.strategy}: requested {outcome.requested} rows per class")
    print("| class | requested | " + " | ".join(counts) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in counts) + " |")
    for label in classes:
        print(f"| {label} | {outcome.requested} | " + " | ".join(str(c[label]) for c in counts.values()) + " |")
    total = " | ".join(str(sum(c.values())) for c in counts.values())
    print(f"| all | {outcome.requested * len(classes)} | {total} |")
    estimate = verdict.validation or {}
    gains = ", ".join(
        f"{name} {v['gain']:+.1f} [{v['low']:+.1f}, {v['high']:+.1f}]"
        for name, v in estimate.items()
        if name not in ("details", "held_out")
    )
    checked = f"estimated gain on the pool, in accuracy points: {gains}; " if gains else ""
    print(f"saved {len(verdict.kept)} rows; held back {len(verdict.held)}; {checked}".rstrip("; "))
    check = outcome.label_check
    if check and check["used"] and check.get("while_generating"):
        print(f"label judge: the model's classify prompt labels {check['skill']}, so it judged each row as it was made")
    elif check and check["used"]:
        print(
            f"label check: the model's classify prompt labels {check['skill']}; it puts {check['agreement']:.0%} "
            f"of the {check['rows']} rows in their own class (chance and its margin: {check['bar']:.0%})"
        )
    print(f"{outcome.summary.seconds:.1f} s generating, {outcome.validating:.1f} s validating on the pool")
    print(f"rows: {output}\nrejects: {rejects}")
    _print_unmet(outcome.summary.unmet)
    for notice in outcome.notices:
        print(notice, file=sys.stderr)
    if verdict.line:
        print(verdict.line, file=sys.stderr)


def _validate_labelled(task: Task, inputs: Inputs, output: Any, store: Any) -> None:
    """For a run whose rows carry labels beside a labelled pool large enough: print and record the estimate."""
    from runners.run.gate import estimate, labelled_pool, too_small
    from runners.run.store import read_jsonl

    pool, rows = labelled_pool(task, inputs), read_jsonl(output)
    if not rows or not all(r.get("label") for r in rows) or too_small(pool) is not None:
        return
    validation = estimate(pool, rows, _embedder(), language=task.language)
    print(validation.table(gated=False))  # every row was saved: no filter was chosen
    store.note(validation={"estimate": validation.to_dict()})


def cmd_validate(args: argparse.Namespace) -> int:
    import json

    from runners.run.gate import estimate, too_small
    from runners.run.inputs import read_labelled
    from runners.run.store import read_run

    pool = [
        {"id": f"ex-{i}", **r}
        for i, r in enumerate(read_labelled(args.examples, args.text_column, args.label_column, "--examples"), 1)
    ]
    if (why := too_small(pool)) is not None:
        raise InputError(f"{why}; add labelled rows to {args.examples}")
    rows = [r for r in read_run(args.rows) if r.get("label") and (r.get("output") or r.get("text"))]
    if not rows:
        raise InputError(f"{args.rows} has no rows with a label and an output (or text) field; give the rows to judge")
    validation = estimate(pool, rows, _embedder(), args.seed, rows[0].get("language") or "en")
    print(json.dumps(validation.to_dict()) if args.json else validation.table(gated=False))
    return 0


def cmd_fetch_model(args: argparse.Namespace) -> int:
    from chains.local.loading import resolve_device, resolve_dtype, stored_dtype
    from chains.local.sources import model_folder

    folder = model_folder(args.model, stored_dtype(resolve_dtype(args.dtype, resolve_device(args.device))))
    print(f"{args.model}: ready in {folder}")
    return 0


COMMANDS = {
    "generate": cmd_generate,
    "compare-selectors": experiments.cmd_compare,
    "bench": experiments.cmd_bench,
    "report": reports.cmd_report,
    "evaluate": experiments.cmd_evaluate,
    "gate-check": experiments.cmd_gate_check,
    "export": reports.cmd_export,
    "sample-data": experiments.cmd_sample_data,
    "fetch-model": cmd_fetch_model,
    "validate": cmd_validate,
}


def _return_freed_memory() -> None:
    """Let glibc give large freed blocks (caches, logits) back at once rather than keep them for reuse.

    By default glibc raises its mmap threshold after the first large free, so later tensors come from the
    heap and a run's peak memory only grows; a fixed 1 MB threshold keeps big tensors in their own maps.
    """
    import ctypes
    import sys

    if sys.platform == "linux":
        try:
            ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
        except (OSError, AttributeError):  # not glibc: nothing to tune
            pass


def main(argv: list[str] | None = None) -> int:
    _return_freed_memory()
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KnobError as exc:
        flag = f"--{exc.knob.replace('_', '-')}"
        print(f"error: {flag} {exc.value} is out of range; use a value {exc.allowed}", file=sys.stderr)
        return 2
    except SynthaugError as exc:
        flag = f" (flag: --{exc.option.replace('_', '-')})" if exc.option else ""
        print(f"error: {exc}{flag}", file=sys.stderr)
        return 2
