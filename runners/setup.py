"""Flags turned into what several commands share: the task and its inputs, the model, name lists."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chains import Task
from chains.task import load_task
from runners.run.inputs import Inputs, default_inputs, load_inputs


def names(text: str) -> list[str]:
    """The names in a comma-separated flag value, blanks dropped."""
    return [name.strip() for name in text.split(",") if name.strip()]


def task_and_inputs(args: argparse.Namespace) -> tuple[Task, Inputs]:
    """The task adapted to the user's examples, classes and context, and the inputs it will run on."""
    from runners.run.pool import adapt_task, read_pool

    task = load_task(args.task, args.language)
    pool = read_pool(args.examples, task, args.text_column, args.label_column) if args.examples else None
    classes = names(args.classes) if args.classes else None
    task = adapt_task(task, pool, classes, args.context, dict(args.describe or []))
    if args.input is None:
        return task, default_inputs(task)
    inputs = load_inputs(args.input, task, args.text_column, args.label_column, args.skip_unlabelled)
    if inputs.skipped_empty:
        print(f"skipped {inputs.skipped_empty} input rows with empty text", file=sys.stderr)
    if inputs.skipped_unlabelled:
        print(f"skipped {inputs.skipped_unlabelled} input rows with no label (--skip-unlabelled)", file=sys.stderr)
    return task, inputs


def check_context(args: argparse.Namespace, task: Task, inputs: Inputs) -> None:
    """Refuse inputs longer than the model's context, with the tokenizer alone, before the weights load."""
    from chains.local.loading import load_tokenizer
    from runners.run.context import check_context

    tokenizer, context = load_tokenizer(args.model, args.dtype, args.trust_remote_code)
    check_context(task, inputs, tokenizer, context, args.max_new_tokens or task.max_new_tokens(), args.shots)


def generation(args: argparse.Namespace) -> dict[str, Any]:
    settings = {
        "temperature": args.temperature,
        "top_p": args.top_p,
        "max_new_tokens": args.max_new_tokens,
        "do_sample": False if args.greedy else None,
    }
    return {k: v for k, v in settings.items() if v is not None}


def load_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Everything `load_llm` needs, so a remote worker can load the same model."""
    return {
        "model": args.model,
        "dtype": args.dtype,
        "batch_size": args.batch_size,
        "trust_remote_code": args.trust_remote_code,
        "allow_pickle": args.allow_pickle,
        "seed": args.seed,
        **generation(args),
    }


def load_model(args: argparse.Namespace) -> Any:
    from chains import load_llm

    return load_llm(**load_kwargs(args))
