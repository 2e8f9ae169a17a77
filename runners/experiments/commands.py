"""`evaluate`, `compare-selectors`, `bench` and `sample-data`: experiments around generate runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from chains.selectors import SELECTORS
from runners.run.inputs import InputError
from runners.run.store import check_writable
from runners.setup import model_spec, names, run_spec, task_and_inputs


def cmd_compare(args: argparse.Namespace) -> int:
    from chains.models import load_model
    from runners.experiments.compare import compare_selectors

    chosen = names(args.selectors)
    unknown = [s for s in chosen if s not in SELECTORS]
    if unknown:
        raise InputError(f"unknown selector {unknown[0]!r}; use some of {', '.join(SELECTORS)}")
    task, inputs = task_and_inputs(args)
    if args.limit:
        inputs.rows = dict(list(inputs.rows.items())[: args.limit])
    gold = None
    if args.input is not None and task.output == "label":
        from runners.run.inputs import read_records

        records = read_records(args.input)
        gold = {(r.get("id") or "").strip() or str(i): r.get(args.label_column, "") for i, r in enumerate(records, 1)}
    model = model_spec(args)
    spec = run_spec(args, task, model)
    print(compare_selectors(spec, load_model(model), inputs, chosen, gold))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from runners.experiments.bench import run_bench

    run_bench(
        model_spec(args),
        inputs=args.inputs,
        offset=args.offset,
        ray_workers=args.ray,
        scale=args.scale,
        also_dtype=args.also_dtype,
        only=args.only,
        whole=args.only is None,
    )
    return 0


def _labelled_data(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from runners.experiments.datasets import DATASETS, Dataset

    if args.data in DATASETS:
        dataset = DATASETS[args.data]()
        descriptions = {**dataset.descriptions, **dict(args.describe or [])}
        return replace(dataset, context=args.context or dataset.context, descriptions=descriptions)
    from runners.run.inputs import read_labelled

    rows = read_labelled(Path(args.data), args.text_column, args.label_column)
    if len({r["label"] for r in rows}) < 2:
        raise InputError(
            f"{args.data} needs rows with text and label of at least two classes "
            f"(columns {args.text_column!r}, {args.label_column!r}); see --text-column and --label-column"
        )
    return Dataset(rows, args.context or "", dict(args.describe or []), language=args.language)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from chains.checks.classifiers import Embedder
    from chains.checks.embeddings import load_embeddings
    from chains.models import load_model
    from runners.experiments.evaluate import Setup, evaluate
    from runners.experiments.scoring import fidelity_table, honesty_table, table

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
    model = model_spec(args)
    llm = load_model(model)
    setup = Setup(
        task=args.task,
        context=dataset.context,
        descriptions=dataset.descriptions,
        language=dataset.language,
        n=args.n,
        batch_size=args.batch_size,
        verify_label=None if args.verify_label == "none" else args.verify_label,
        min_confidence=args.min_confidence,
        label_check=args.label_check,
        strategy=args.strategy,
        shots=args.shots,
        temperature=args.temperature,
        progress=not args.quiet,
    )
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    try:
        scores, stats, estimates, judge, quality = evaluate(
            dataset.rows,
            llm,
            model.name,
            Embedder(load_embeddings().embed_documents),
            args.workdir,
            ks,
            seeds,
            args.test_size or dataset.test_size,
            setup,
            args.judge_size or dataset.judge_size,
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
    parts = [table(scores), honesty_table(estimates, scores), fidelity_table(stats, judge), judge_table]
    result = "\n\n".join(parts)
    command = "synthaug evaluate " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["evaluate"] else "synthaug evaluate"
    (args.workdir / "evaluate.md").write_text(f"`{command}`\n\n{result}\n", encoding="utf-8")
    print(result)
    return 0


def cmd_gate_check(args: argparse.Namespace) -> int:
    from chains.checks.classifiers import Embedder
    from chains.checks.embeddings import load_embeddings
    from chains.models import load_model
    from runners.experiments.datasets import DATASETS
    from runners.experiments.evaluate import Setup, labelled_run
    from runners.experiments.known import check_gate, table

    names = [n.strip() for n in args.data.split(",") if n.strip()]
    unknown = [n for n in names if n not in DATASETS]
    if unknown or not names:
        raise InputError(f"--data {(unknown or [args.data])[0]!r} is not a bundled data set; use {', '.join(DATASETS)}")
    args.workdir.mkdir(parents=True, exist_ok=True)
    check_writable(args.workdir / "gate-check.md")
    model = model_spec(args)
    llm = load_model(model)
    embedder = Embedder(load_embeddings().embed_documents)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    runs = []
    for name in names:
        dataset = DATASETS[name]()
        setup = Setup(context=dataset.context, descriptions=dataset.descriptions, language=dataset.language)

        def gate_for(real: list[dict[str, str]], seed: int, setup: Setup = setup, name: str = name) -> Any:
            return labelled_run(real, f"{name}-seed{seed}", llm, model.name, setup, seed, embedder)

        try:
            runs += check_gate(
                name,
                dataset.rows,
                gate_for,
                embedder,
                seeds,
                args.k,
                args.rows,
                dataset.test_size,
                dataset.language,
                done=args.workdir / f"{model.name}.jsonl",
                log=(lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr)),
            )
        except ValueError as exc:
            raise InputError(str(exc)) from None
    result = table(runs)
    (args.workdir / "gate-check.md").write_text(f"`synthaug {' '.join(sys.argv[1:])}`\n\n{result}\n", encoding="utf-8")
    print(result)
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
