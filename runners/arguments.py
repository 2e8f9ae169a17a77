"""Argument types that fail in one line naming the fix, and the option groups several commands share."""

from __future__ import annotations

import argparse
from pathlib import Path

from chains.checks.fidelity import MIN_SIMILARITY, NEAR_COPY
from chains.checks.judge import JUDGES
from chains.local.nocopy import DEFAULT_NO_COPY, MIN_NO_COPY


class Parser(argparse.ArgumentParser):
    """Usage errors in one line, naming the fix, with exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"error: {message}; see `{self.prog} --help`\n")


def positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {value}")
    return number


def not_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return number


def similarity(value: str) -> float:
    number = float(value)
    if not 0 < number <= 1:
        raise argparse.ArgumentTypeError(f"must be a cosine similarity in (0, 1], got {value}")
    return number


def probability(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be a probability in [0, 1], got {value}")
    return number


def cosine(value: str) -> float:
    number = float(value)
    if not -1 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be a cosine in [-1, 1], got {value}")
    return number


def logprob(value: str) -> float:
    number = float(value)
    if number > 0:
        raise argparse.ArgumentTypeError(f"must be a log-probability, 0 or below, got {value}")
    return number


def ngram(value: str) -> int:
    number = int(value)
    if number < MIN_NO_COPY:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least {MIN_NO_COPY}, got {value}")
    return number


def description(value: str) -> tuple[str, str]:
    name, sep, text = value.partition("=")
    if not sep or not name.strip() or not text.strip():
        raise argparse.ArgumentTypeError(f"must be CLASS=DESCRIPTION, like 'fresh=a positive review'; got {value!r}")
    return name.strip(), text.strip()


def add_describe(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--describe", type=description, action="append", metavar="CLASS=TEXT", help=help)


def add_columns(p: argparse.ArgumentParser, of: str = "inputs and examples") -> None:
    p.add_argument("--text-column", default="text", help=f"column holding the text, in {of} (default: text)")
    p.add_argument("--label-column", default="label", help=f"column holding the label, in {of} (default: label)")


def add_model(p: argparse.ArgumentParser, seed: bool = True) -> None:
    """The model and where it runs: a local model on a device, or a model behind a server."""
    from chains.local.builtin import BUILTIN

    group = p.add_argument_group("model")
    group.add_argument(
        "--model",
        help="a built-in model (" + ", ".join(BUILTIN) + "), a local folder, a .gguf file, or a Hugging Face id "
        "(default: the embedded SmolLM2-135M-Instruct)",
    )
    group.add_argument(
        "--device", default="auto", help="auto (a GPU where there is one), cpu, cuda, cuda:N or mps (default: auto)"
    )
    group.add_argument(
        "--device-map",
        choices=["auto"],
        help="auto: spread a model too large for one GPU over every GPU (and the CPU), with accelerate",
    )
    group.add_argument(
        "--dtype",
        choices=["auto", "float32", "bfloat16", "float16"],
        default="auto",
        help="model weight type; auto: bfloat16 where the GPU or CPU computes it, else float16 on a GPU, float32 on a CPU",
    )
    group.add_argument("--batch-size", type=positive, default=32, help="decode slots of a local model (default: 32)")
    if seed:
        group.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    served = p.add_argument_group("model server")
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


def add_decoding(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("decoding")
    group.add_argument("--temperature", type=float, help="sampling temperature (default: the task's)")
    group.add_argument("--top-p", type=float, help="nucleus sampling mass (default: the task's)")
    group.add_argument("--max-new-tokens", type=positive, help="token budget per answer (default: by output kind)")
    group.add_argument("--greedy", action="store_true", help="decode greedily instead of sampling")
    group.add_argument("--trust-remote-code", action="store_true", help="allow a model's own Python code to run")
    group.add_argument(
        "--allow-pickle", action="store_true", help="allow pickle weight files (only for trusted models)"
    )


def add_task_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", help="task name (utterance, headline, paraphrase, labeled, classify, word) or a .yaml path")
    p.add_argument("--language", "-l", default="en", help="template language (default: en)")
    p.add_argument("--input", "-i", type=Path, help="CSV or JSONL input; omit for tasks that need no input")
    add_columns(p)
    p.add_argument(
        "--skip-unlabelled",
        action="store_true",
        help="leave out input rows with an empty label cell instead of refusing the file",
    )
    p.add_argument(
        "--examples", type=Path, help="CSV/JSONL few-shot pool; for labelled tasks its labels become the classes"
    )
    p.add_argument("--classes", help="comma-separated class names, replacing the template's")
    add_describe(p, "a one-line description of a class, shown in the prompt; repeat for each class")
    p.add_argument("--context", help="what the data is about, replacing the template's Context line")
    p.add_argument(
        "--shots", type=not_negative, default=4, help="few-shot examples per prompt; 0 is zero-shot (default: 4)"
    )
    p.add_argument(
        "--n",
        type=positive,
        help="accepted rows wanted per input (default: 1; a labelled run on a pool of your examples without "
        "--per-label: 4 per example of its largest class)",
    )
    p.add_argument("--max-attempts", type=positive, default=5, help="model calls per input before giving up")
    add_model(p)
    add_decoding(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def add_checks(gen: argparse.ArgumentParser) -> None:
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
        "embeddings of your labelled texts) or classify (the few-shot classify chain)",
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


def add_ray(gen: argparse.ArgumentParser) -> None:
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
