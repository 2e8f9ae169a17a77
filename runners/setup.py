"""Flags turned into what several commands share: the task and its inputs, the model, name lists."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chains import Task
from chains.models import ModelSpec
from chains.task import load_task
from runners.run.inputs import InputError, Inputs, default_inputs, file_labels, load_inputs
from runners.run.spec import RunSpec


def names(text: str) -> list[str]:
    """The names in a comma-separated flag value, blanks dropped."""
    return [name.strip() for name in text.split(",") if name.strip()]


def task_and_inputs(args: argparse.Namespace) -> tuple[Task, Inputs]:
    """The task adapted to the user's examples, classes and context, and the inputs it will run on."""
    from runners.run.pool import adapt_task, input_pool, read_pool

    task = load_task(args.task, args.language)
    pool = read_pool(args.examples, task, args.text_column, args.label_column) if args.examples else None
    classes = names(args.classes) if args.classes else None
    if pool is None and classes is None and args.input is not None and writes_for_a_class(task):
        # A labelled input is the user's examples, as an --examples file would be: its rows are the few-shot
        # pool and its labels the classes, whatever the template's were.
        pool = input_pool(args.input, task, args.text_column, args.label_column) or None
        classes = None if pool else file_labels(args.input, args.label_column) or None
    task = adapt_task(task, pool, classes, args.context, dict(args.describe or []))
    if args.input is None:
        return task, default_inputs(task)
    inputs = load_inputs(args.input, task, args.text_column, args.label_column, args.skip_unlabelled)
    if inputs.skipped_empty:
        print(f"skipped {inputs.skipped_empty} input rows with empty text", file=sys.stderr)
    if inputs.skipped_unlabelled:
        print(f"skipped {inputs.skipped_unlabelled} input rows with no label (--skip-unlabelled)", file=sys.stderr)
    return task, inputs


def writes_for_a_class(task: Task) -> bool:
    """A task that writes a text for a class it is given (labeled), not one that picks the class (classify)."""
    return "label" in task.input_variables and task.output != "label"


def model_spec(args: argparse.Namespace) -> ModelSpec:
    """The model flags, checked once; nothing below the command line sees the flags themselves."""
    return ModelSpec(
        model=args.model,
        device=args.device,
        device_map=args.device_map,
        dtype=args.dtype,
        batch_size=args.batch_size,
        trust_remote_code=getattr(args, "trust_remote_code", False),
        allow_pickle=getattr(args, "allow_pickle", False),
        server=args.server,
        server_model=args.server_model,
        api_key_env=args.api_key_env,
        concurrency=args.concurrency,
        seed=getattr(args, "seed", None),
        generation=generation(args),
    )


def refuse_long_inputs(model: ModelSpec, task: Task, inputs: Inputs, max_new_tokens: int | None, shots: int) -> None:
    """Refuse inputs longer than a local model's context, with its tokenizer alone, before the weights load."""
    from chains.local.loading import load_tokenizer
    from runners.run.context import check_context

    if model.server is not None:  # the server's tokenizer is not here; it refuses a prompt too long itself
        return
    tokenizer, context = load_tokenizer(model.model, model.dtype, model.trust_remote_code, model.device)
    check_context(task, inputs, tokenizer, context, max_new_tokens or task.max_new_tokens(), shots)


def generation(args: argparse.Namespace) -> dict[str, Any]:
    """The decoding flags the user gave (a command without them gives none)."""
    settings = {
        "temperature": getattr(args, "temperature", None),
        "top_p": getattr(args, "top_p", None),
        "max_new_tokens": getattr(args, "max_new_tokens", None),
        "do_sample": False if getattr(args, "greedy", False) else None,
    }
    return {k: v for k, v in settings.items() if v is not None}


# Rows per pool example of a labelled run without --n or --per-label: the ratio `evaluate` measures the gate at.
POOL_RATIO = 4


def run_spec(args: argparse.Namespace, task: Task, model: ModelSpec, inputs: Inputs | None = None) -> RunSpec:
    """The run spec, from the flags a command has (`generate` has them all); it checks every knob, and the
    command line names the flag of one out of range."""
    from chains.chain import resolve_settings
    from runners.run.pool import default_selector

    fields: dict[str, Any] = {
        "task": task,
        "model": model.name,
        "generation": resolve_settings(task, model.generation),
        "seed": args.seed,
        "n": args.n or 1,
        "max_attempts": args.max_attempts,
        "batch_size": model.batch_size,
        "inputs_name": str(args.input) if args.input else None,
        "shots": args.shots,
    }
    if args.command == "generate":
        strategy = _strategy(args, task)
        fields.update(
            per_label=args.per_label or (_pool_quota(task, inputs) if strategy and args.n is None else None),
            selector=args.selector or default_selector(task),
            verify_label=args.verify_label,
            min_confidence=args.min_confidence,
            min_logprob=args.min_logprob,
            no_copy=args.no_copy,
            near_copy=args.near_copy,
            min_similarity=args.min_similarity,
            near_dup=args.near_dup,
            facts=not args.no_fact_check,
            strategy=strategy,
        )
    return RunSpec(**fields)


def _pool_quota(task: Task, inputs: Inputs | None) -> int | None:
    """Rows per class for a labelled run that can validate on its pool and was given no quota: POOL_RATIO per
    example of the pool's largest class (a pool too small to validate on keeps the one row per class)."""
    from collections import Counter

    from runners.run.gate import labelled_pool, too_small

    pool = labelled_pool(task, inputs)
    if too_small(pool):
        return None
    return POOL_RATIO * max(Counter(example["label"] for example in pool).values())


def _strategy(args: argparse.Namespace, task: Task) -> str | None:
    """The strategy of a task that writes rows for a class (`generate` unless named); None for any other task."""
    if writes_for_a_class(task):
        return args.strategy or "generate"
    if args.strategy:
        raise InputError(f"--strategy applies to tasks that write rows for a class (like labeled), not {task.name}")
    return None
