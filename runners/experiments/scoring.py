"""Scoring for `evaluate`: the train/test split, the draws, the two classifiers and the tables of gains."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chains.checks.classifiers import CLASSIFIERS, Embedder, train_and_score
from runners.experiments.eda import eda

WEIGHTED = "real + synthaug, weighted"
UNGATED = "real + every row the gate judged"
DATA = ("real", "real + EDA", "real + synthaug", WEIGHTED, UNGATED)


@dataclass(frozen=True)
class Score:
    """One classifier trained on one training set, scored on the test set."""

    k: int
    seed: int
    classifier: str
    data: str
    train_rows: int
    accuracy: float
    macro_f1: float


@dataclass(frozen=True)
class Estimated:
    """What the pool validation of one run estimated, before any test row was seen."""

    k: int
    seed: int
    strategy: str | None
    saved: int
    judged: int
    estimate: dict[str, Any] | None


@dataclass(frozen=True)
class RunStats:
    """What one generation run gave: its rows and how many of them the independent judge agrees with."""

    k: int
    seed: int
    rows: int
    fidelity: float | None


def split(rows: list[dict[str, str]], test_size: int, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """A held-out test set balanced over the labels, and the pool that training examples are drawn from."""
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    labels = sorted({r["label"] for r in rows})
    per_label = test_size // len(labels)
    test, pool = [], []
    taken = dict.fromkeys(labels, 0)
    for row in shuffled:
        if taken[row["label"]] < per_label:
            taken[row["label"]] += 1
            test.append(row)
        else:
            pool.append(row)
    return pool, test


def draw(pool: list[dict[str, str]], k: int, seed: int) -> list[dict[str, str]]:
    """k examples of each label, chosen by `seed`."""
    rng = random.Random(seed)
    by_label: dict[str, list[dict]] = {}
    for row in pool:
        by_label.setdefault(row["label"], []).append(row)
    short = [label for label, group in by_label.items() if len(group) < k]
    if short:
        raise ValueError(
            f"label {short[0]!r} has fewer than {k} training examples left beside the test set; lower --k or --test-size, or add data"
        )
    return [row for label in sorted(by_label) for row in rng.sample(by_label[label], k)]


def eda_rows(real: list[dict[str, str]], n: int, seed: int) -> list[dict[str, str]]:
    """`n` EDA rows per real example, with its label: as many as synthaug is asked for, whatever its gate keeps."""
    rng = random.Random(seed)
    return [{"text": eda(r["text"], rng), "label": r["label"]} for r in real for _ in range(n)]


def score_run(
    k: int,
    seed: int,
    real: list[dict],
    synthetic: list[dict],
    test: list[dict],
    embedder: Embedder,
    n: int = 4,
    candidates: list[dict] | None = None,
    weighted: bool = False,
) -> list[Score]:
    """Every classifier on real, real + EDA and real + synthaug rows; with weights (or `weighted`, where the
    task gives them, so that a seed whose rows were all held back counts as real alone), real + the rows
    weighted by them; and where the gate held rows back, real + every row it judged (to check its estimate
    against)."""
    added = [{"text": str(r["output"]), "label": r["label"], "weight": r.get("weight")} for r in synthetic]
    sets: dict[str, tuple[list[dict], bool]] = {
        "real": (real, False),
        "real + EDA": (real + eda_rows(real, n, seed), False),
        "real + synthaug": (real + added, False),
    }
    if weighted or any(r["weight"] is not None for r in added):
        sets[WEIGHTED] = (real + added, True)
    if candidates is not None and len(candidates) != len(synthetic):
        judged = [{"text": str(r["output"]), "label": r["label"]} for r in candidates]
        sets[UNGATED] = (real + judged, False)
    return [
        Score(k, seed, classifier, name, len(rows), *train_and_score(classifier, rows, test, embedder, weighted))
        for classifier in CLASSIFIERS
        for name, (rows, weighted) in sets.items()
    ]


def _mean_std(values: list[float], signed: bool = False) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    mean = f"{100 * statistics.mean(values):+.1f}" if signed else f"{100 * statistics.mean(values):.1f}"
    return f"{mean} ± {100 * spread:.1f}"


def table(scores: list[Score]) -> str:
    """Mean ± standard deviation over seeds, in percent, then every seed's gain over real only."""
    lines = [
        "| k per class | classifier | training data | rows | accuracy % | macro-F1 % |",
        "| ---: | --- | --- | ---: | ---: | ---: |",
    ]
    for k in sorted({s.k for s in scores}):
        for classifier in CLASSIFIERS:
            for data in DATA:
                group = [s for s in scores if (s.k, s.classifier, s.data) == (k, classifier, data)]
                if group:
                    rows = statistics.mean(s.train_rows for s in group)
                    lines.append(
                        f"| {k} | {classifier} | {data} | {rows:.0f} | {_mean_std([s.accuracy for s in group])} "
                        f"| {_mean_std([s.macro_f1 for s in group])} |"
                    )
    seeds = sorted({s.seed for s in scores})
    lines += [
        "",
        f"mean ± std over {len(seeds)} seeds. Accuracy gain over real only, in points, per seed:",
        "",
        "| k | classifier | added rows | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± std |",
        "| ---: | --- | --- | " + " | ".join("---:" for _ in seeds) + " | ---: |",
    ]
    for k in sorted({s.k for s in scores}):
        for classifier in CLASSIFIERS:
            for data in DATA[1:]:
                gains = _gains(scores, k, classifier, data, seeds)
                present = [g for g in gains if g is not None]
                if present:
                    cells = " | ".join("-" if g is None else f"{100 * g:+.1f}" for g in gains)
                    spread = _mean_std(present, signed=True) + (
                        f" ({len(present)} seeds)" if len(present) < len(seeds) else ""
                    )
                    lines.append(f"| {k} | {classifier} | {data.removeprefix('real + ')} | {cells} | {spread} |")
    return "\n".join(lines)


def _gains(scores: list[Score], k: int, classifier: str, data: str, seeds: list[int]) -> list[float | None]:
    """Each seed's gain of `data` over real only; None for a seed that did not train on `data`."""
    by = {(s.seed, s.data): s.accuracy for s in scores if (s.k, s.classifier) == (k, classifier)}
    return [by[(seed, data)] - by[(seed, "real")] if (seed, data) in by else None for seed in seeds]


def fidelity_table(stats: list[RunStats], judge: tuple[str, float]) -> str:
    """Per seed, the share of generated rows that an independent judge (its name and test-set accuracy) puts in
    their own label."""
    name, accuracy = judge
    lines = [
        f"Label fidelity under an independent judge ({name} on other real rows; {accuracy:.1%} "
        "accurate on the test set):",
        "",
        "| k | seed | rows | fidelity |",
        "| ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| {s.k} | {s.seed} | {s.rows} | {s.fidelity:.1%} |" for s in stats if s.fidelity is not None]
    valued = [s.fidelity for s in stats if s.fidelity is not None]
    if valued:
        lines.append(f"| all | | {sum(s.rows for s in stats)} | {statistics.mean(valued):.1%} |")
    return "\n".join(lines)


def judge_quality(judge: Any, test: list[dict[str, str]], floors: Sequence[float] = (0.0, 0.7, 0.8)) -> list[str]:
    """Rows of a table: per class and confidence floor, the judge's precision and recall on held-out real rows.

    With a floor the judge only places a row it gives at least that probability (the rest it leaves out),
    which is how `--min-confidence` keeps rows.
    """
    verdicts = judge.judge([r["text"] for r in test])
    lines = []
    for label in sorted({r["label"] for r in test}):
        for floor in floors:
            placed = [v.probability(label) >= floor if floor else v.label == label for v in verdicts]
            gold = [r["label"] == label for r in test]
            hits = sum(p and g for p, g in zip(placed, gold))
            precision = hits / sum(placed) if any(placed) else float("nan")
            lines.append(f"| {label} | {floor or 'top label'} | {precision:.1%} | {hits / max(1, sum(gold)):.1%} |")
    return lines


def honesty_table(estimates: list[Estimated], scores: list[Score], beyond: float = 0.02) -> str:
    """Per run, the gain estimated on the pool beside the real gain on the test set (of the rows the gate
    judged), per classifier; then how often their signs agree where the real gain is beyond ±`beyond`."""
    lines = [
        "Pool estimate (before any test row was seen) beside the real test-set gain of the rows it judged, in points:",
        "",
        "| k | seed | strategy | saved / judged | tfidf+lr estimate | tfidf+lr real | minilm+lr estimate | minilm+lr real |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    matched = counted = 0
    for e in estimates:
        cells = []
        for classifier in CLASSIFIERS:
            by = {s.data: s.accuracy for s in scores if (s.k, s.seed, s.classifier) == (e.k, e.seed, classifier)}
            real = by.get(UNGATED, by["real + synthaug"]) - by["real"]
            guess = (e.estimate or {}).get(classifier.split("+")[0])
            cells += [
                f"{guess['gain']:+.1f} [{guess['low']:+.1f}, {guess['high']:+.1f}]" if guess else "-",
                f"{100 * real:+.1f}",
            ]
            if guess and abs(real) > beyond:
                counted += 1
                matched += (guess["gain"] > 0) == (real > 0)
        lines.append(f"| {e.k} | {e.seed} | {e.strategy or '-'} | {e.saved} / {e.judged} | " + " | ".join(cells) + " |")
    share = f"{matched} of {counted} ({matched / counted:.0%})" if counted else "no runs"
    lines += [
        "",
        f"The estimate's sign matched the real gain's in {share} of the runs whose real gain was beyond ±{100 * beyond:.0f} points.",
    ]
    return "\n".join(lines)
