"""The gate for labelled rows: validation on the user's pool decides which rows are saved as training data,
and with what weight; rows held back go to the rejects with kind `pool_validation`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chains import Task
from chains.checks.classifiers import Embedder
from chains.checks.validation import Validation, validate
from runners.run.inputs import Inputs

# Fewer labelled examples of a class than this, and an estimate on the pool says little: rows are not validated.
MIN_PER_CLASS = 4
# Rows are saved only where every classifier's estimated gain on the pool reaches this many accuracy points.
# On a pool of a few examples per class the estimate's interval spans tens of points; at 0 the gate let
# through row sets that cost up to 2 points on held-out data (development seeds 0-2), so the bar is above it.
MIN_GAIN = 2.0
NEXT_MODEL = "--model qwen2.5-coder-1.5b"


def labelled_pool(task: Task, inputs: Inputs | None = None) -> list[dict[str, str]]:
    """The user's real labelled texts: the task's examples and the inputs that carry text and label, each once."""
    pool: dict[str, dict[str, str]] = {}
    for i, example in enumerate(task.examples):
        if example.get("text") and example.get("label"):
            pool.setdefault(example["text"], {"id": str(example.get("id", f"ex-{i + 1}")), **example})
    for input_id, values in (inputs.rows if inputs else {}).items():
        if values.get("text") and values.get("label"):
            pool.setdefault(values["text"], {"id": input_id, "text": values["text"], "label": values["label"]})
    return list(pool.values())


def too_small(pool: list[dict[str, str]]) -> str | None:
    """Why the pool is too small to validate on, or None."""
    counts: dict[str, int] = {}
    for example in pool:
        counts[example["label"]] = counts.get(example["label"], 0) + 1
    short = sorted(label for label, count in counts.items() if count < MIN_PER_CLASS)
    if len(counts) < 2 or short:
        which = f"class {short[0]!r} has {counts.get(short[0], 0)}" if short else "it has one class"
        return f"the labelled pool is too small to validate rows on ({which}; {MIN_PER_CLASS} per class are needed)"
    return None


def provenance(row: dict[str, Any], pool: list[dict[str, str]]) -> frozenset[str] | None:
    """The pool rows a row was made from: the examples its prompt showed and the input it restates.
    None for a row that records neither (made elsewhere): its sources are unknown."""
    if "examples" not in row and "inputs" not in row and "source" not in row:
        return None
    ids = {example["id"] for example in pool}
    by_text = {example["text"]: example["id"] for example in pool}
    sources = {str(e) for e in row.get("examples") or [] if str(e) in ids}
    text = (row.get("inputs") or {}).get("text") or row.get("source")
    if text in by_text:
        sources.add(by_text[text])
    if str(row.get("input_id")) in ids:
        sources.add(str(row["input_id"]))
    return frozenset(sources)


def balance(rows: list[dict[str, Any]], classes: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The same number of rows of every class (the fewest any class has), in order, and the rows left over:
    a class short of rows would otherwise tilt a classifier towards the others."""
    counts = {c: 0 for c in classes}
    for row in rows:
        counts[row["label"]] = counts.get(row["label"], 0) + 1
    cap = min(counts.values(), default=0)
    taken: dict[str, int] = {}
    kept, extra = [], []
    for row in rows:
        taken[row["label"]] = taken.get(row["label"], 0) + 1
        (kept if taken[row["label"]] <= cap else extra).append(row)
    return kept, [_held(r, f"left out so that every class adds {cap} rows", "balance") for r in extra]


def estimate(pool: list[dict[str, str]], rows: list[dict[str, Any]], embedder: Embedder, seed: int = 0) -> Validation:
    """Validation of saved rows (`output`, or `text`, with `label`) on the pool."""
    candidates = [
        {"text": str(r.get("output", r.get("text"))), "label": r["label"], "sources": provenance(r, pool)} for r in rows
    ]
    return validate(pool, candidates, embedder, seed=seed)


@dataclass
class Verdict:
    """What the gate keeps (with weights) and holds back (as rejects), and the line that says why, if any."""

    kept: list[dict[str, Any]]
    held: list[dict[str, Any]]
    line: str | None = None
    validation: dict[str, Any] | None = field(default=None)


def decide(rows: list[dict[str, Any]], validation: Validation | None, why_not: str | None = None) -> Verdict:
    """Rows to save: none unless every classifier's estimated gain reaches `MIN_GAIN` (so none where an
    estimate is harmful beyond its interval); without the off-label rows where dropping them measured better;
    each kept row with its weight."""
    if validation is None:
        return Verdict(rows, [], f"notice: {why_not}; rows are saved unvalidated" if why_not else None)
    summary = validation.to_dict()
    gains = {name.split("+")[0]: e.overall.gain for name, e in validation.chosen.items()}
    if min(gains.values()) < MIN_GAIN:
        shown = ", ".join(f"{name} {gain:+.1f}" for name, gain in gains.items())
        harm = "would lower accuracy" if validation.harmful else "do not clearly raise accuracy"
        reason = f"validation on the pool estimates these rows {harm} ({shown} points; {MIN_GAIN:g} needed for each)"
        line = (
            f"{reason}: none were saved as training data (they are in the rejects file). "
            f"Try a stronger model ({NEXT_MODEL}) or a model server (--server)"
        )
        return Verdict([], [_held(r, reason) for r in rows], line, summary)
    kept, held = [], []
    for row, dropped, other, weight in zip(rows, validation.dropped, validation.other, validation.weights):
        if dropped:
            held.append(_held(row, f"the classifiers trained on the pool put it in another class ({other:.2f})"))
        else:
            kept.append({**row, "weight": weight})
    line = None
    if rows and not kept:
        line = (
            "validation on the pool: classifiers trained on your examples put every row in another class than its "
            f"own, so none were saved as training data. Try a stronger model ({NEXT_MODEL}) or a model server (--server)"
        )
    return Verdict(kept, held, line, summary)


def _held(row: dict[str, Any], reason: str, kind: str = "pool_validation") -> dict[str, Any]:
    """A row the gate holds back, as a reject of `kind`."""
    return {
        "input_id": row.get("input_id"),
        "label": row.get("label"),
        "raw": row.get("raw", row.get("output")),
        "reason": reason,
        "kind": kind,
        "attempt": row.get("attempts"),
        "logprob": row.get("logprob"),
    }


def estimate_or_why(
    pool: list[dict[str, str]], rows: list[dict[str, Any]], embedder: Embedder, seed: int = 0
) -> tuple[Validation | None, str | None]:
    """The validation of `rows` on `pool`, or None and why it cannot be had."""
    why = too_small(pool)
    if why is None and not rows:
        why = "there are no rows to validate"
    return (None, why) if why else (estimate(pool, rows, embedder, seed), None)
