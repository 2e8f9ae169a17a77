"""`report` and `export`: reading a finished (or running) generate run back."""

from __future__ import annotations

import argparse

from runners.run.inputs import InputError
from runners.run.store import check_writable
from runners.setup import names


def cmd_report(args: argparse.Namespace) -> int:
    from runners.reports.page import summary_table, write_report

    if args.html is not None:
        check_writable(args.html)
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
        raise InputError(f"{args.run} has no rows to export; run `generate` first")
    classes = names(args.classes) if args.classes else None
    export_rows(rows, args.to, destination, classes)
    print(f"wrote {len(rows)} rows to {destination}")
    return 0
