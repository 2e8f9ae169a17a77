"""`report` and `export`: reading a finished (or running) generate run back."""

from __future__ import annotations

import argparse
from pathlib import Path

from runners.run.inputs import InputError
from runners.run.records import HELD_KINDS
from runners.run.store import check_writable
from runners.setup import names


def nothing_saved(path: Path) -> str:
    """What a run that saved no rows did: its answers rejected and its rows held back, by kind and class."""
    from collections import Counter

    from runners.reports.page import load_run

    _, rejects, manifest = load_run(path)
    held = [r for r in rejects if r.get("kind") in HELD_KINDS]
    refused = Counter(r.get("kind") for r in rejects if r not in held)
    lines = [
        f"{path} saved no rows; {len(held)} were made and held back by the gate, {len(rejects) - len(held)} answers rejected"
    ]
    for label, count in sorted(Counter(str(r.get("label")) for r in held).items()):
        lines.append(f"  held back, {label}: {count}")
    lines += [f"  rejected as {kind}: {count}" for kind, count in refused.most_common()]
    if held:
        lines.append(f"  why: {held[0].get('reason')}")
        lines.append(
            "rerun the same generate command with --keep-held to save the held-back rows with the gate's verdict"
        )
    if not manifest:
        lines.append("no manifest beside it: run `generate` first (or wait for it to save some)")
    return "\n".join(lines)


def cmd_report(args: argparse.Namespace) -> int:
    from runners.reports.page import summary_table, write_report
    from runners.run.store import read_run

    if args.html is not None:
        check_writable(args.html)
    if args.run.exists() and not read_run(args.run):
        print(nothing_saved(args.run))
        return 0
    report, html = write_report(args.run, args.examples, args.html, args.near_dup, args.text_column, args.label_column)
    print(report.title)
    print(f"label fidelity judge: {report.judge_source}\n")
    print(summary_table(report))
    if report.validation:
        print(f"\n{report.validation}")
    if report.reasons:
        top = ", ".join(f"{reason} ({k})" for reason, k in report.reasons.most_common(3))
        print(f"\nmost common rejection kinds: {top}")
    print(f"\nHTML report: {html}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from runners.reports.export import default_destination, export_rows
    from runners.run.store import read_run

    rows = read_run(args.run)
    destination = args.dest or default_destination(args.run, args.to)
    check_writable(destination, folder_ok=args.to == "hf")
    if not rows:
        raise InputError(nothing_saved(args.run).replace("\n", "; ") + "; nothing to export")
    classes = names(args.classes) if args.classes else None
    export_rows(rows, args.to, destination, classes)
    print(f"wrote {len(rows)} rows to {destination}")
    return 0
