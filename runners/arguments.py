"""The command line's arguments: one parser per command, with checks that fail in one line naming the fix."""

from __future__ import annotations

import argparse
from pathlib import Path

from chains.fidelity import MIN_SIMILARITY, NEAR_COPY
from chains.judge import JUDGES
from chains.nocopy import DEFAULT_NO_COPY, MIN_NO_COPY
from chains.selectors import SELECTORS
from runners.reports.export import FORMATS


class Parser(argparse.ArgumentParser):
    """Usage errors in one line, naming the fix, with exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"error: {message}; see `{self.prog} --help`\n")


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


def _probability(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be a probability in [0, 1], got {value}")
    return number


def _cosine(value: str) -> float:
    number = float(value)
    if not -1 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must be a cosine in [-1, 1], got {value}")
    return number


def _logprob(value: str) -> float:
    number = float(value)
    if number > 0:
        raise argparse.ArgumentTypeError(f"must be a log-probability, 0 or below, got {value}")
    return number


def _ngram(value: str) -> int:
    number = int(value)
    if number < MIN_NO_COPY:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least {MIN_NO_COPY}, got {value}")
    return number


def _description(value: str) -> tuple[str, str]:
    name, sep, text = value.partition("=")
    if not sep or not name.strip() or not text.strip():
        raise argparse.ArgumentTypeError(f"must be CLASS=DESCRIPTION, like 'fresh=a positive review'; got {value!r}")
    return name.strip(), text.strip()


def _add_describe(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--describe", type=_description, action="append", metavar="CLASS=TEXT", help=help)


def _add_task_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", help="task name (utterance, headline, paraphrase, labeled, classify, word) or a .yaml path")
    p.add_argument("--language", "-l", default="en", help="template language (default: en)")
    p.add_argument("--input", "-i", type=Path, help="CSV or JSONL input; omit for tasks that need no input")
    p.add_argument(
        "--text-column", default="text", help="column holding the text, in inputs and examples (default: text)"
    )
    p.add_argument(
        "--label-column", default="label", help="column holding the label, in inputs and examples (default: label)"
    )
    p.add_argument(
        "--skip-unlabelled",
        action="store_true",
        help="leave out input rows with an empty label cell instead of refusing the file",
    )
    p.add_argument(
        "--examples", type=Path, help="CSV/JSONL few-shot pool; for labelled tasks its labels become the classes"
    )
    p.add_argument("--classes", help="comma-separated class names, replacing the template's")
    _add_describe(p, "a one-line description of a class, shown in the prompt; repeat for each class")
    p.add_argument("--context", help="what the data is about, replacing the template's Context line")
    p.add_argument(
        "--shots", type=_not_negative, default=4, help="few-shot examples per prompt; 0 is zero-shot (default: 4)"
    )
    p.add_argument("--n", type=_positive, default=1, help="accepted rows wanted per input (default: 1)")
    p.add_argument("--max-attempts", type=_positive, default=5, help="model calls per input before giving up")
    p.add_argument("--model", help="Hugging Face model id or local folder (default: embedded SmolLM2-135M-Instruct)")
    p.add_argument(
        "--dtype",
        choices=["auto", "float32", "bfloat16"],
        default="auto",
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
    parser = Parser(prog="synthaug", description="Make labelled training text with a local model.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    gen = commands.add_parser("generate", help="generate checked rows for a task into a JSONL file")
    _add_task_args(gen)
    gen.add_argument("--output", "-o", type=Path, required=True, help="output JSONL; rejects go beside it")
    gen.add_argument(
        "--selector",
        choices=SELECTORS,
        help="how each prompt's examples are chosen (default: class for prompts that ask for a class, else fixed)",
    )
    gen.add_argument("--per-label", type=_positive, help="accepted rows wanted per label, across its inputs")
    gen.add_argument(
        "--near-dup",
        type=_similarity,
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
        type=_probability,
        metavar="P",
        help="with --verify-label: keep a row only if the judge gives its label at least P "
        "(default: the judge's top label must be the row's)",
    )
    gen.add_argument(
        "--min-logprob",
        type=_logprob,
        metavar="LOGPROB",
        help="reject answers whose mean token log-probability under the model is below this; sampled "
        "nonsense scores low (default: the task's floor, measured with the embedded model; -inf keeps all)",
    )
    gen.add_argument(
        "--no-copy",
        type=_ngram,
        metavar="N",
        help=f"tasks with a source text: no answer continues a run of N-1 source tokens (default: {DEFAULT_NO_COPY})",
    )
    gen.add_argument(
        "--near-copy",
        type=_similarity,
        default=NEAR_COPY,
        metavar="RATIO",
        help=f"tasks with a source text: reject answers whose word similarity to it reaches this (default: {NEAR_COPY})",
    )
    gen.add_argument(
        "--min-similarity",
        type=_cosine,
        default=MIN_SIMILARITY,
        metavar="COSINE",
        help="tasks with a source text: reject answers whose embedding cosine to it is below this "
        f"(default: {MIN_SIMILARITY}; -1 turns the meaning check off)",
    )
    gen.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="run the model on Ray actors; with no address a local Ray with this machine's cores starts",
    )
    gen.add_argument(
        "--workers", type=_positive, help="Ray actors, each with its own copy of the model (default: one per core)"
    )
    gen.add_argument(
        "--format",
        choices=FORMATS,
        default="jsonl",
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
        "--scale", type=_positive, metavar="INPUTS", help="add a row for generate on this many inputs (e.g. 1024)"
    )
    bench.add_argument(
        "--ray",
        type=_positive,
        nargs="?",
        const=2,
        metavar="WORKERS",
        help="add a row for generate on local Ray (default: 2 workers)",
    )
    report = commands.add_parser("report", help="quality metrics of a finished run, printed and as an HTML page")
    report.add_argument("run", type=Path, help="the JSONL file a generate run wrote")
    report.add_argument(
        "--examples", type=Path, help="real labelled texts (CSV/JSONL) to train the label-fidelity judge on"
    )
    report.add_argument("--text-column", default="text", help="text column of --examples (default: text)")
    report.add_argument("--label-column", default="label", help="label column of --examples (default: label)")
    report.add_argument("--html", type=Path, help="where to write the page (default: RUN.report.html beside the run)")
    report.add_argument(
        "--near-dup", type=_similarity, default=0.95, metavar="COSINE", help="cosine that counts as a near-duplicate"
    )
    ev = commands.add_parser(
        "evaluate", help="train classifiers on k real examples per class, with and without added rows"
    )
    ev.add_argument(
        "--task", choices=["labeled", "paraphrase"], default="labeled", help="how rows are made (default: labeled)"
    )
    ev.add_argument(
        "--data", default="rotten-tomatoes", help="rotten-tomatoes (default), tweets, or a labelled CSV/JSONL file"
    )
    ev.add_argument("--text-column", default="text", help="text column of --data (default: text)")
    ev.add_argument("--label-column", default="label", help="label column of --data (default: label)")
    ev.add_argument("--context", help="what a --data file is about, for the prompt (bundled data sets have their own)")
    _add_describe(ev, "a one-line description of a class of a --data file; repeat for each class")
    ev.add_argument("--k", default="10", help="real examples per class, comma-separated (default: 10)")
    ev.add_argument("--seeds", type=_positive, default=5, help="draws of the training examples (default: 5)")
    ev.add_argument("--first-seed", type=_not_negative, default=0, help="seed of the first draw (default: 0)")
    ev.add_argument("--test-size", type=_positive, default=1000, help="held-out real test rows (default: 1000)")
    ev.add_argument(
        "--judge-size",
        type=_positive,
        default=2000,
        help="other real rows that train the independent fidelity judge (default: 2000)",
    )
    ev.add_argument(
        "--n", type=_positive, default=4, help="rows per real example: paraphrases of each, or n*k per class (default: 4)"
    )
    ev.add_argument(
        "--verify-label",
        choices=[*JUDGES, "none"],
        default="none",
        help="label judge for the rows, as generate --verify-label (default: none, as generate)",
    )
    ev.add_argument("--min-confidence", type=_probability, metavar="P", help="as generate --min-confidence")
    ev.add_argument(
        "--workdir", type=Path, default=Path("eval"), help="folder for the resumable run files (default: eval)"
    )
    ev.add_argument("--model", help="Hugging Face model id or local folder (default: embedded SmolLM2-135M-Instruct)")
    ev.add_argument("--dtype", choices=["auto", "float32", "bfloat16"], default="auto", help="model weight type")
    ev.add_argument("--batch-size", type=_positive, default=32, help="prompts per model call (default: 32)")
    ev.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    export = commands.add_parser(
        "export", help="convert a run's rows to CSV, Parquet or a Hugging Face datasets folder"
    )
    export.add_argument("run", type=Path, help="the JSONL file a generate run wrote")
    export.add_argument("--to", choices=FORMATS, required=True, help="format to write")
    export.add_argument(
        "--dest", type=Path, help="where to write (default: beside the run, e.g. out.parquet or out.hf/)"
    )
    export.add_argument(
        "--classes", help="comma-separated label names for the hf ClassLabel, in order (default: the run's)"
    )
    data = commands.add_parser("sample-data", help="write real labelled text shipped in a wheel to a CSV file")
    data.add_argument("name", choices=["rotten-tomatoes"], help="data set")
    data.add_argument("--output", "-o", type=Path, required=True, help="CSV file to write (text,label)")
    data.add_argument("--offset", type=_not_negative, default=0, help="skip this many rows first")
    data.add_argument("--limit", type=_positive, help="write at most this many rows")
    return parser
