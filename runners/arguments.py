"""Argument types that fail in one line naming the fix, and the option groups several commands share."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chains.checks.fidelity import MIN_SIMILARITY, NEAR_COPY
from chains.checks.judge import JUDGES
from chains.local.nocopy import DEFAULT_NO_COPY, MIN_NO_COPY
from chains.local.sources import SMALL_MODEL
from chains.models import DTYPES


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs (the example commands) as written, and every flag's default in its help."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help = action.help or ""
        unset = action.default is None or action.default is False or action.default == argparse.SUPPRESS
        if unset or "(default" in help or not action.option_strings:
            return help
        return f"{help} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """Usage errors in one line, naming the fix, with exit status 2; help with every default."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # type: ignore[override]
        # A value's type says what it "must be": "--n must be ..." reads better than "argument --n: must be ...".
        message = re.sub(r"^argument ([^:/ ]+)(?:/\S+)?: must ", r"\1 must ", message)
        self.exit(2, f"error: {message}; see `{self.prog} --help`\n")


def _checked(convert: Callable[[str], Any], value: str, ok: Callable[[Any], bool], need: str) -> Any:
    """`value` converted, or an error that says what it must be and what it was."""
    try:
        number = convert(value)
    except ValueError:
        number = None
    if number is None or number != number or not ok(number):  # NaN is never a usable number here
        raise argparse.ArgumentTypeError(f"must be {need}, not {value!r}")
    return number


def positive(value: str) -> int:
    return _checked(int, value, lambda n: n > 0, "a whole number of 1 or more")


def not_negative(value: str) -> int:
    return _checked(int, value, lambda n: n >= 0, "a whole number of 0 or more")


def whole(value: str) -> int:
    return _checked(int, value, lambda n: True, "a whole number")


def number(value: str) -> float:
    return _checked(float, value, lambda n: True, "a number")


def similarity(value: str) -> float:
    return _checked(float, value, lambda n: 0 < n <= 1, "a cosine similarity above 0 and at most 1")


def probability(value: str) -> float:
    return _checked(float, value, lambda n: 0 <= n <= 1, "a probability from 0 to 1")


def cosine(value: str) -> float:
    return _checked(float, value, lambda n: -1 <= n <= 1, "a cosine from -1 to 1")


def logprob(value: str) -> float:
    return _checked(float, value, lambda n: n <= 0, "a log-probability of 0 or below")


def ngram(value: str) -> int:
    return _checked(int, value, lambda n: n >= MIN_NO_COPY, f"a whole number of {MIN_NO_COPY} or more")


def description(value: str) -> tuple[str, str]:
    name, sep, text = value.partition("=")
    if not sep or not name.strip() or not text.strip():
        raise argparse.ArgumentTypeError(f"must be CLASS=DESCRIPTION, like 'fresh=a positive review'; got {value!r}")
    return name.strip(), text.strip()


Container = argparse.ArgumentParser | argparse._ArgumentGroup
"""Where flags are added: a parser, or one of its groups (what `--help` lists them under)."""


@dataclass
class Groups:
    """The groups `--help` lists a task command's flags in, in the order it shows them."""

    io: argparse._ArgumentGroup
    quota: argparse._ArgumentGroup
    examples: argparse._ArgumentGroup
    labelled: argparse._ArgumentGroup
    model: argparse._ArgumentGroup
    server: argparse._ArgumentGroup
    decoding: argparse._ArgumentGroup
    checks: argparse._ArgumentGroup
    scaling: argparse._ArgumentGroup

    @classmethod
    def of(cls, p: argparse.ArgumentParser) -> Groups:
        group = p.add_argument_group
        return cls(
            io=group("input and output"),
            quota=group("quota", "How many rows to keep, and how many tries each may take."),
            examples=group("few-shot examples and prompt"),
            labelled=group("labelled runs", "The classes, and how rows of a class are written (labeled, classify)."),
            model=group("model"),
            server=group("model server", "A model behind a server instead of a local one."),
            decoding=group("decoding"),
            checks=group("checks", "Which answers are refused (they go to the rejects file with a kind and a reason)."),
            scaling=group("scaling", "Throughput: decode slots, and Ray workers."),
        )


def add_describe(p: Container, help: str) -> None:
    p.add_argument("--describe", type=description, action="append", metavar="CLASS=TEXT", help=help)


def add_columns(p: Container, of: str = "inputs and examples") -> None:
    p.add_argument("--text-column", default="text", help=f"column holding the text, in {of} (default: text)")
    p.add_argument("--label-column", default="label", help=f"column holding the label, in {of} (default: label)")


def add_model(p: argparse.ArgumentParser, seed: bool = True, groups: Groups | None = None) -> None:
    """The model and where it runs: a local model on a device, or a model behind a server. With `groups`,
    --batch-size is listed under scaling and --seed under decoding."""
    from chains.local.builtin import BUILTIN

    model = groups.model if groups else p.add_argument_group("model")
    model.add_argument(
        "--model",
        help="a built-in model ("
        + ", ".join([*BUILTIN, SMALL_MODEL])
        + "), a local folder, a .gguf file, or a Hugging Face id "
        "(default: $SYNTHAUG_MODEL, else the built-in qwen2.5-coder-1.5b)",
    )
    model.add_argument(
        "--device", default="auto", help="auto (a GPU where there is one), cpu, cuda, cuda:N or mps (default: auto)"
    )
    model.add_argument(
        "--device-map",
        choices=["auto"],
        help="auto: spread a model too large for one GPU over every GPU (and the CPU), with accelerate",
    )
    model.add_argument(
        "--dtype",
        choices=DTYPES,
        default="auto",
        help="model weight type; auto: bfloat16 where the GPU or CPU computes it, else float16 on a GPU, float32 on a "
        "CPU (its linear layers on oneDNN); int8: int8 linear weights on a CPU (dynamic "
        "quantization), faster than float32 but it changes the model's answers: with the built-in 1.5B model, "
        "fewer rows of the right class",
    )
    model.add_argument("--trust-remote-code", action="store_true", help="allow a model's own Python code to run")
    model.add_argument(
        "--allow-pickle", action="store_true", help="allow pickle weight files (only for trusted models)"
    )
    (groups.scaling if groups else model).add_argument(
        "--batch-size",
        type=positive,
        default=None,
        help="decode slots of a local model (default: as many as fit a quarter of free memory, up to 64 on a "
        "CPU and 256 on a GPU)",
    )
    if seed:
        (groups.decoding if groups else model).add_argument(
            "--seed", type=whole, default=0, help="random seed (default: 0)"
        )
    served = groups.server if groups else p.add_argument_group("model server")
    served.add_argument(
        "--server",
        metavar="URL",
        help="use the model behind this OpenAI-compatible server (vLLM, llama.cpp, Ollama, TGI), e.g. http://localhost:8000/v1",
    )
    served.add_argument(
        "--server-model", metavar="NAME", help="the model's name on the server (default: the one it lists)"
    )
    served.add_argument("--api-key-env", metavar="VAR", help="environment variable holding the server's API key")
    served.add_argument(
        "--concurrency", type=positive, default=8, metavar="K", help="server requests in flight (default: 8)"
    )


def add_decoding(group: Container) -> None:
    group.add_argument("--temperature", type=number, help="sampling temperature (default: the task's)")
    group.add_argument("--top-p", type=number, help="nucleus sampling mass (default: the task's)")
    group.add_argument("--max-new-tokens", type=positive, help="token budget per answer (default: by output kind)")
    group.add_argument("--greedy", action="store_true", help="decode greedily instead of sampling")


def task_help() -> str:
    """The task argument's help: every bundled task by name."""
    from chains.task import available_tasks

    return f"one of {', '.join(available_tasks('en'))} (listed above), or the path of a .yaml template"


def add_task_args(p: argparse.ArgumentParser) -> Groups:
    """The flags of a command that runs a task on inputs (generate, compare-selectors), in their help groups."""
    groups = Groups.of(p)
    io, quota, examples, labelled = groups.io, groups.quota, groups.examples, groups.labelled
    io.add_argument("task", help=task_help())
    io.add_argument("--language", "-l", default="en", help="template language (default: en)")
    io.add_argument("--input", "-i", type=Path, help="CSV or JSONL input; omit for tasks that need no input")
    add_columns(io)
    io.add_argument(
        "--skip-unlabelled",
        action="store_true",
        help="leave out input rows with an empty label cell instead of refusing the file",
    )
    examples.add_argument(
        "--examples", type=Path, help="CSV/JSONL few-shot pool; for labelled tasks its labels become the classes"
    )
    examples.add_argument("--context", help="what the data is about, replacing the template's Context line")
    examples.add_argument(
        "--shots", type=not_negative, default=4, help="few-shot examples per prompt; 0 is zero-shot (default: 4)"
    )
    labelled.add_argument(
        "--classes",
        help="comma-separated class names, replacing the template's (default: the labels of --examples, "
        "else of the --input file, else the template's)",
    )
    add_describe(labelled, "a one-line description of a class, shown in the prompt; repeat for each class")
    quota.add_argument(
        "--n",
        type=positive,
        help="accepted rows wanted per input (default: 1; a labelled run on a pool of your examples without "
        "--per-label: 4 per example of its largest class)",
    )
    quota.add_argument(
        "--max-attempts", type=positive, default=5, help="model calls per input before giving up (default: 5)"
    )
    add_model(p, groups=groups)
    add_decoding(groups.decoding)
    io.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    return groups


def add_checks(gen: Container) -> None:
    """The answer checks of generate: dedup, the label judge, the confidence floor and the source checks."""
    gen.add_argument(
        "--near-dup",
        type=similarity,
        metavar="COSINE",
        help="also reject rows this similar to an earlier one (e.g. 0.95)",
    )
    gen.add_argument(
        "--verify-label",
        nargs="?",
        const="embedding",
        choices=JUDGES,
        metavar="JUDGE",
        help="label each row again and reject disagreements: embedding (default; logistic regression on MiniLM "
        "embeddings of your labelled texts), classify (the few-shot classify chain) or auto (classify where it "
        "labels the labelled texts it is not shown clearly better than chance, else none)",
    )
    gen.add_argument(
        "--min-confidence",
        type=probability,
        metavar="P",
        help="with --verify-label: keep a row only if the judge gives its label at least P "
        "(default: the judge's top label must be the row's)",
    )
    gen.add_argument(
        "--min-logprob",
        type=logprob,
        metavar="LOGPROB",
        help="reject answers whose mean token log-probability under the model is below this; sampled "
        "nonsense scores low (default: the task's floor, measured with the embedded model; -inf keeps all)",
    )
    gen.add_argument(
        "--no-copy",
        type=ngram,
        metavar="N",
        help=f"tasks with a source text: no answer continues a run of N-1 source tokens (default: {DEFAULT_NO_COPY})",
    )
    gen.add_argument(
        "--near-copy",
        type=similarity,
        default=NEAR_COPY,
        metavar="RATIO",
        help=f"tasks with a source text: reject answers whose word similarity to it reaches this (default: {NEAR_COPY})",
    )
    gen.add_argument(
        "--min-similarity",
        type=cosine,
        default=MIN_SIMILARITY,
        metavar="COSINE",
        help="tasks with a source text: reject answers whose embedding cosine to it is below this "
        f"(default: {MIN_SIMILARITY}; -1 turns the meaning check off)",
    )
    gen.add_argument(
        "--no-fact-check",
        action="store_true",
        help="tasks with a source text: keep answers that change its numbers, negation or names (checked by default)",
    )


def add_ray(gen: Container) -> None:
    gen.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="run the model on Ray actors; with no address a local Ray with this machine's cores starts",
    )
    gen.add_argument(
        "--workers", type=positive, help="Ray actors, each with its own copy of the model (default: one per core)"
    )
