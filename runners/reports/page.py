"""The report as people read it: a Markdown table, and a self-contained HTML page written beside the run."""

from __future__ import annotations

from html import escape
from pathlib import Path

from runners.reports import charts
from runners.reports.report import OVERALL, GroupStats, Report, build_report, fidelity, real_rows
from runners.run.store import read_json, read_jsonl, read_run, replaced_whole, sidecar


def _cells(report: Report, group: GroupStats) -> list[str]:
    cells = [group.name, str(group.count), f"{group.valid_rate:.0%}" if group.count + group.rejected else "-"]
    for key, _, fmt in report.columns:
        value = group.values.get(key, float("nan"))
        cells.append("-" if value != value else fmt.format(value))
    return cells


def summary_table(report: Report) -> str:
    """The metrics as a Markdown table, one row per label and one for all rows."""
    headers = ["label", "rows", "valid rate", *(h for _, h, _ in report.columns)]
    lines = ["| " + " | ".join(headers) + " |", "| --- |" + " ---: |" * (len(headers) - 1)]
    lines += ["| " + " | ".join(_cells(report, g)) + " |" for g in report.groups]
    return "\n".join(lines)


def validation_table(validation: dict | None) -> str:
    """What validation on the labelled pool estimated, as a Markdown table ("" for a run without it)."""
    estimate = (validation or {}).get("estimate")
    if not estimate:
        return ""
    details = estimate.get("details", {})
    classes = sorted({c for per in details.get("per_class", {}).values() for c in per})
    lines = [
        f"Validation on the labelled pool ({details.get('pool', '?')} rows): estimated accuracy gain, in points, "
        f"of adding the {details.get('rows', '?')} rows{' without the off-label ones' if details.get('filtered') else ''}"
        + (f"; strategy {validation['chosen']}" if validation.get("chosen") else ""),
        "",
        "| classifier | gain | interval | " + " | ".join(classes) + " |",
        "| --- | ---: | ---: | " + " | ".join("---:" for _ in classes) + " |",
    ]
    for name, value in estimate.items():
        if name == "details":
            continue
        per = details.get("per_class", {}).get(f"{name}+lr", {})
        cells = " | ".join(f"{per[c]['gain']:+.1f}" if c in per else "-" for c in classes)
        lines.append(f"| {name}+lr | {value['gain']:+.1f} | [{value['low']:+.1f}, {value['high']:+.1f}] | {cells} |")
    for trial, result in (validation.get("trials") or {}).items():
        gains = ", ".join(f"{n} {v['gain']:+.1f}" for n, v in result.items() if isinstance(v, dict) and "gain" in v)
        lines.append(f"\ntrial of {trial}: {gains or result.get('skipped', '')}")
    return "\n".join([*lines, *(f"\nnote: {n}" for n in details.get("notes", []))])


def html_page(report: Report) -> str:
    """A self-contained page: the table, then label counts, lengths, similarities and rejection reasons."""
    headers = ["label", "rows", "valid rate", *(h for _, h, _ in report.columns)]
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in _cells(report, g)) + "</tr>" for g in report.groups
    )
    label_counts = {g.name: g.count for g in report.groups if g.name != OVERALL} or {OVERALL: report.groups[-1].count}
    figures = [
        charts.bar_chart("Rows per label", label_counts),
        charts.histogram("Words per row", report.lengths, bins=min(20, max(1, len(set(report.lengths))))),
        charts.histogram(report.similarity_title, report.similarities),
        charts.bar_chart("Rejection reasons", dict(report.reasons)),
    ]
    if report.logprobs:
        figures.append(charts.histogram("Model confidence: mean token log-probability per row", report.logprobs))
    if report.map_points is not None and len(report.map_points):
        figures.insert(
            0,
            charts.scatter(
                "Real and synthetic rows, sentence embeddings in 2-D (PCA)",
                report.map_points,
                report.map_labels,
                report.map_real,
            ),
        )
    style = (
        "body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
        "figure{display:inline-block;margin:1em 2em 1em 0;vertical-align:top}figcaption{font-weight:bold}"
        "table.rows td,table.rows th{text-align:left;max-width:60em}table.rows{margin:0.5em 0}h3{margin-top:1.5em}"
    )
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(report.title)}</title>"
        f"<style>{style}</style></head><body><h1>{escape(report.title)}</h1>"
        f"<p>Label fidelity judge: {escape(report.judge_source)}</p>"
        f"<table><tr>{head}</tr>{body}</table>{_validation(report)}{''.join(figures)}{_examples(report)}</body></html>"
    )


def _validation(report: Report) -> str:
    if not report.validation:
        return ""
    return f"<section id='validation'><h2>Validation on the labelled pool</h2><pre>{escape(report.validation)}</pre></section>"


def _examples(report: Report) -> str:
    """Per label, accepted rows and rejects with their reasons; every piece of user text escaped."""
    parts = ["<h2>Examples</h2>"]
    for label, (kept, refused) in report.samples.items():
        parts.append(f"<h3>{escape(label)}</h3>")
        if kept:
            sourced = any(r.get("inputs", {}).get("text") for r in kept)
            cells = "".join(
                f"<tr class='accepted'><td>{escape(str(r['output']))}</td>"
                + (f"<td>{escape(str(r['inputs'].get('text', '')))}</td>" if sourced else "")
                + "</tr>"
                for r in kept
            )
            header = "<th>accepted</th>" + ("<th>source</th>" if sourced else "")
            parts.append(f"<table class='rows'><tr>{header}</tr>{cells}</table>")
        if refused:
            sourced = any(_source(r) for r in refused)  # rejects saved before they kept their source have none
            cells = "".join(
                f"<tr class='rejected'><td>{escape(str(r.get('raw', '')))}</td>"
                + (f"<td>{escape(_source(r))}</td>" if sourced else "")
                + f"<td>{escape(str(r.get('reason', '')))}</td></tr>"
                for r in refused
            )
            header = "<th>rejected</th>" + ("<th>source</th>" if sourced else "") + "<th>why</th>"
            parts.append(f"<table class='rows'><tr>{header}</tr>{cells}</table>")
    return "".join(parts)


def _source(reject: dict) -> str:
    """The input text a rejected answer was made from, where the reject records it."""
    return str(reject.get("source") or (reject.get("inputs") or {}).get("text") or "")


def load_run(path: Path) -> tuple[list[dict], list[dict], dict | None]:
    """The rows, rejects and manifest of a run."""
    return read_run(path), read_jsonl(sidecar(path, "rejected"), repair=False), read_json(sidecar(path, "manifest"))


def write_report(
    path: Path,
    examples: Path | None = None,
    html: Path | None = None,
    near_dup: float = 0.95,
    text_column: str = "text",
    label_column: str = "label",
) -> tuple[Report, Path]:
    """Report on the run in `path`: returns the report and where its HTML page was written."""
    from chains.checks.embeddings import load_embeddings
    from runners.run.inputs import InputError

    rows, rejects, manifest = load_run(path)
    if not rows:
        raise InputError(f"{path} has no rows yet; run `generate` first (or wait for it to save some)")
    embed = load_embeddings().embed_documents
    real = real_rows(rows, examples, text_column, label_column)
    judged, source = fidelity(rows, embed, real, examples)
    task = (manifest or {}).get("task") or rows[0].get("task", "")
    title = f"synthaug report: {path.name} ({task}, {len(rows)} rows, model {rows[0].get('model', '?')})"
    report = build_report(rows, rejects, embed, judged, source, near_dup, title, real)
    report.validation = validation_table((manifest or {}).get("validation"))
    html = html or path.with_name(f"{path.stem}.report.html")
    with replaced_whole(html) as tmp:
        tmp.write_text(html_page(report), encoding="utf-8")
    return report, html
