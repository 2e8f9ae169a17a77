"""The command line's parser: one sub-parser per command, built from the shared option groups."""

from __future__ import annotations

import argparse
from pathlib import Path

from chains.checks.judge import JUDGES
from chains.models import DTYPES
from chains.selectors import SELECTORS
from runners.arguments import (
    Parser,
    add_checks,
    add_columns,
    add_describe,
    add_model,
    add_ray,
    add_task_args,
    not_negative,
    number,
    positive,
    probability,
    similarity,
)
from runners.reports.export import FORMATS
from runners.run.strategy import STRATEGIES


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="synthaug", description="Make labelled training text with a local model.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for add in (
        _generate,
        _compare_selectors,
        _bench,
        _report,
        _evaluate,
        _gate_check,
        _export,
        _fetch_model,
        _validate,
        _sample_data,
    ):
        add(commands)
    return parser


GENERATE_EXAMPLES = """\
examples:
  synthaug generate paraphrase --input reviews.csv --text-column review --n 3 --output out/para.jsonl
  synthaug generate labeled --n 50 --output out/labeled.jsonl
  synthaug generate labeled --examples tickets.csv --context "Support tickets" --per-label 50 -o out/tickets.jsonl
  synthaug generate word -l ko --model ./my-korean-model --n 20 --output out/menu.jsonl
"""


def _tasks() -> str:
    """Each bundled task with its template's one-line description."""
    import yaml

    from chains.task import TEMPLATES_DIR, available_tasks

    lines = []
    for name in available_tasks("en"):
        about = yaml.safe_load((TEMPLATES_DIR / "en" / f"{name}.yaml").read_text(encoding="utf-8")).get("description")
        lines.append(f"  {name:<11} {about or ''}".rstrip())
    return "\n".join(lines)


def _generate(commands: argparse._SubParsersAction) -> None:
    gen = commands.add_parser(
        "generate",
        help="generate checked rows for a task into a JSONL file",
        description="Generate checked rows for a task into a JSONL file; rejects and a manifest go beside it, "
        "and rerunning\nthe same command resumes.\n\ntasks:\n" + _tasks(),
        epilog=GENERATE_EXAMPLES,
    )
    groups = add_task_args(gen)
    groups.io.add_argument("--output", "-o", type=Path, required=True, help="output JSONL; rejects go beside it")
    groups.io.add_argument(
        "--format",
        choices=FORMATS,
        default="jsonl",
        help="also export the rows when the run ends: csv, parquet, or hf (a datasets folder); jsonl is the run "
        "file itself (default: jsonl)",
    )
    groups.io.add_argument("--force-new", action="store_true", help="start over; the old output is kept as *.bak")
    groups.examples.add_argument(
        "--selector",
        choices=SELECTORS,
        help="how each prompt's examples are chosen (default: class for prompts that ask for a class, else fixed)",
    )
    groups.quota.add_argument("--per-label", type=positive, help="accepted rows wanted per label, across its inputs")
    groups.labelled.add_argument(
        "--strategy",
        choices=STRATEGIES,
        help="labeled: how rows are written: generate (default: new examples of a class), rewrite (each labelled "
        "example restated, keeping its label), mix (half each), or auto (a trial of each, validated on your "
        "labelled examples, and the best goes on); rows that would hurt a classifier on your examples are held back",
    )
    groups.labelled.add_argument(
        "--keep-held",
        action="store_true",
        help="labeled on a pool: save the rows the gate held back too, each with the gate's verdict in `gate`",
    )
    groups.labelled.add_argument(
        "--label-check",
        action="store_true",
        help="labeled on a pool: also hold back each row that the model's own classify prompt puts in another "
        "class (where that prompt labels your examples clearly better than chance)",
    )
    add_checks(groups.checks)
    add_ray(groups.scaling)


def _compare_selectors(commands: argparse._SubParsersAction) -> None:
    compare = commands.add_parser("compare-selectors", help="run the same inputs through several example selectors")
    groups = add_task_args(compare)
    groups.examples.add_argument(
        "--selectors", default=",".join(SELECTORS), help="comma-separated selectors (default: all)"
    )
    groups.io.add_argument("--limit", type=positive, help="use only the first N inputs")


BENCH_ROWS = ("a", "a2", "b", "c", "d", "c0")


def bench_rows(text: str) -> set[str]:
    rows = {row.strip() for row in text.split(",")}
    if unknown := sorted(rows - set(BENCH_ROWS)):
        raise argparse.ArgumentTypeError(f"unknown row {unknown[0]!r}; use some of {','.join(BENCH_ROWS)}")
    return rows


def _bench(commands: argparse._SubParsersAction) -> None:
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
        "--only",
        type=bench_rows,
        metavar="ROWS",
        help="run only these approaches, comma-separated from a,a2,b,c,d,c0 (default: all), and no whole commands",
    )
    bench.add_argument(
        "--also-dtype",
        choices=[d for d in DTYPES if d != "auto"],
        help="add a row for generate with the model loaded in this dtype too (e.g. int8 against bfloat16)",
    )
    bench.add_argument(
        "--ray",
        type=positive,
        nargs="?",
        const=2,
        metavar="WORKERS",
        help="add rows for generate on local Ray with 1 and with WORKERS workers (default: 2)",
    )


def _report(commands: argparse._SubParsersAction) -> None:
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


def _evaluate(commands: argparse._SubParsersAction) -> None:
    ev = commands.add_parser(
        "evaluate", help="train classifiers on k real examples per class, with and without added rows"
    )
    ev.add_argument(
        "--task", choices=["labeled", "paraphrase"], default="labeled", help="how rows are made (default: labeled)"
    )
    ev.add_argument(
        "--data",
        default="rotten-tomatoes",
        help="rotten-tomatoes (default), tweets, chatbot-topics, chatbot-topics-ko, nsmc-ko (Korean movie reviews), "
        "or a labelled CSV/JSONL file",
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
    ev.add_argument("--strategy", choices=STRATEGIES, help="labeled: as generate --strategy (default: generate)")
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
    ev.add_argument("--label-check", action="store_true", help="labeled: as generate --label-check")
    ev.add_argument("--shots", type=positive, default=4, help="labeled: as generate --shots (default: 4)")
    ev.add_argument("--temperature", type=number, help="as generate --temperature (default: the task's)")
    ev.add_argument(
        "--workdir", type=Path, default=Path("eval"), help="folder for the resumable run files (default: eval)"
    )
    add_model(ev, seed=False)
    ev.add_argument("--quiet", "-q", action="store_true", help="no progress bars")


def _gate_check(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser(
        "gate-check",
        help="the gate on row sets whose effect is known: real rows, the same rows mislabelled, and noise",
        description="For each seed, draw k real examples per class as the pool, and put three sets of other real "
        "rows through generate labeled's gate: rows of the right class (help), the same rows with their labels "
        "rotated (hurt), and strings of letters (noise). Prints each set's real test-set gain, what the gate "
        "saved of it, and the share of helpful runs saved and of harmful runs kept safe.",
    )
    check.add_argument(
        "--data",
        default="rotten-tomatoes",
        help="rotten-tomatoes (default), tweets, chatbot-topics, chatbot-topics-ko or nsmc-ko; several separated by "
        "commas",
    )
    check.add_argument("--k", type=positive, default=10, help="real examples per class in the pool (default: 10)")
    check.add_argument("--rows", type=positive, default=40, help="rows per class in each set (default: 40)")
    check.add_argument("--seeds", type=positive, default=5, help="draws of the pool (default: 5)")
    check.add_argument("--first-seed", type=not_negative, default=0, help="seed of the first draw (default: 0)")
    check.add_argument(
        "--workdir",
        type=Path,
        default=Path("gate-check"),
        help="folder for the finished runs (resumed from) and the table (default: gate-check)",
    )
    add_model(check, seed=False)
    check.add_argument("--quiet", "-q", action="store_true", help="no progress lines")


def _export(commands: argparse._SubParsersAction) -> None:
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


def _fetch_model(commands: argparse._SubParsersAction) -> None:
    fetch = commands.add_parser(
        "fetch-model", help="fetch, verify and convert a built-in model (or any --model source) ahead of its first run"
    )
    fetch.add_argument("model", help="a built-in model name, a .gguf file or a Hugging Face id")
    fetch.add_argument("--device", default="auto", help="the device it will run on; decides the dtype (default: auto)")
    fetch.add_argument(
        "--dtype",
        choices=DTYPES,
        default="auto",
        help="as generate --dtype",
    )


def _validate(commands: argparse._SubParsersAction) -> None:
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


def _sample_data(commands: argparse._SubParsersAction) -> None:
    data = commands.add_parser("sample-data", help="write real labelled text shipped in a wheel to a CSV file")
    data.add_argument("name", choices=["rotten-tomatoes"], help="data set")
    data.add_argument("--output", "-o", type=Path, required=True, help="CSV file to write (text,label)")
    data.add_argument("--offset", type=not_negative, default=0, help="skip this many rows first")
    data.add_argument("--limit", type=positive, help="write at most this many rows")
