"""Validation on the pool: would these rows help a classifier of the user's own task, trained on their own examples?

Repeated stratified k-fold over the labelled pool. In each fold, quick classifiers (`chains.checks.classifiers`)
are trained on the fold's training part alone and with the synthetic rows, and scored on its held-out part.
A row joins a fold only if none of the pool rows it was made from (its source, the examples its prompt
showed) is held out there; a row whose sources are unknown joins every fold, which may flatter the estimate.
The gain is the mean, over pool rows, of how much likelier the classifier gets the row right with the synthetic
rows, in accuracy points, with a bootstrap interval over the pool rows. Further estimates drop the rows that
the fold's classifiers put in another class (at each of `THRESHOLDS`), so that the run measures whether dropping
them helps, and how surely they must be off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chains.checks.classifiers import CLASSIFIERS, Embedder, fit

# How surely the classifiers trained on the pool must put a row in another class for the filter to drop it.
# Each is measured on the pool; the run keeps the best (or none). Logistic regression on a few examples is
# rarely sure, so the lowest is about where its top class stops being the row's own.
THRESHOLDS = (0.5, 0.65, 0.8)
LEVEL = 0.9
"""The interval's coverage."""


@dataclass(frozen=True)
class Gain:
    """An estimated change in accuracy, in points, with its interval."""

    gain: float
    low: float
    high: float

    @property
    def harmful(self) -> bool:
        """Below zero beyond the interval."""
        return self.high < 0

    def to_dict(self) -> dict[str, float]:
        return {"gain": round(self.gain, 2), "low": round(self.low, 2), "high": round(self.high, 2)}

    def __str__(self) -> str:
        return f"{self.gain:+.1f} [{self.low:+.1f}, {self.high:+.1f}]"


@dataclass(frozen=True)
class Estimate:
    """One classifier's estimated gain, overall and per class."""

    overall: Gain
    per_class: dict[str, Gain]


@dataclass(frozen=True)
class Validation:
    """Estimates per classifier for all the rows and for the rows each filter keeps; each row's weight."""

    estimates: dict[float | None, dict[str, Estimate]]
    """Per filter threshold (None: no filter), each classifier's estimate."""
    other: list[float]
    """Per row: the probability the classifiers trained on the whole pool give its likeliest other class."""
    weights: list[float]
    """Per row: the probability the classifiers trained on the whole pool give its own label."""
    pool: int
    unlinked: int
    """Rows whose sources are unknown: they joined every fold."""
    folds: int
    repeats: int
    notes: list[str] = field(default_factory=list)

    def gain(self, threshold: float | None = None) -> float:
        """The mean estimated gain over the classifiers, with the rows the filter at `threshold` keeps."""
        return float(np.mean([e.overall.gain for e in self.estimates[threshold].values()]))

    @property
    def threshold(self) -> float | None:
        """The filter that measured best on the pool (None: keep every row)."""
        return max(self.estimates, key=lambda t: (self.gain(t), t is None))

    @property
    def dropped(self) -> list[bool]:
        """Per row: whether the chosen filter drops it."""
        threshold = self.threshold
        return [threshold is not None and p >= threshold for p in self.other]

    @property
    def chosen(self) -> dict[str, Estimate]:
        return self.estimates[self.threshold]

    @property
    def harmful(self) -> bool:
        """Whichever filter is used, every classifier's estimate is below zero and at least one is below zero
        beyond its interval."""
        return all(
            all(e.overall.gain < 0 for e in estimates.values()) and any(e.overall.harmful for e in estimates.values())
            for estimates in self.estimates.values()
        )

    def to_dict(self) -> dict[str, Any]:
        """The estimates as JSON: `{"tfidf": {"gain", "low", "high"}, "minilm": {...}}` and the details."""
        summary: dict[str, Any] = {name.split("+")[0]: e.overall.to_dict() for name, e in self.chosen.items()}
        summary["details"] = {
            "filter": self.threshold,
            "dropped": int(sum(self.dropped)),
            "rows": len(self.other),
            "pool": self.pool,
            "unlinked": self.unlinked,
            "folds": self.folds,
            "repeats": self.repeats,
            "per_class": {n: {c: g.to_dict() for c, g in e.per_class.items()} for n, e in self.chosen.items()},
            "without_filter": {n.split("+")[0]: e.overall.to_dict() for n, e in self.estimates[None].items()},
            "notes": self.notes,
        }
        return summary

    def table(self, gated: bool = True) -> str:
        """The estimates per classifier, filter and class, as a Markdown table; `gated`: the caller keeps the
        filter that measured best, marked "(chosen)" (a caller that saves every row passes False)."""
        classes = list(next(iter(self.estimates[None].values())).per_class)
        lines = [
            f"Estimated accuracy gain on the pool ({self.pool} labelled rows, {self.repeats} x {self.folds}-fold; "
            f"points, {LEVEL:.0%} interval):",
            "",
            "| classifier | rows kept | all classes | " + " | ".join(classes) + " |",
            "| --- | --- | ---: | " + " | ".join("---:" for _ in classes) + " |",
        ]
        for threshold, estimates in self.estimates.items():
            kept = sum(threshold is None or p < threshold for p in self.other)
            variant = "all" if threshold is None else f"off-label < {threshold}"
            mark = " (chosen)" if gated and threshold == self.threshold else ""
            for name, e in estimates.items():
                cells = " | ".join(str(g) for g in e.per_class.values())
                lines.append(f"| {name} | {variant}: {kept}{mark} | {e.overall} | {cells} |")
        return "\n".join([*lines, *[f"note: {n}" for n in self.notes]])


def validate(
    pool: Sequence[dict[str, str]],
    rows: Sequence[dict[str, Any]],
    embedder: Embedder,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
    resamples: int = 2000,
    classifiers: Sequence[str] = CLASSIFIERS,
) -> Validation:
    """Estimated gains of adding `rows` ({text, label, sources}: sources a set of pool ids, or None when
    unknown) to `classifiers` trained on `pool` ({id, text, label})."""
    from sklearn.model_selection import StratifiedKFold

    texts, labels = [p["text"] for p in pool], np.array([p["label"] for p in pool])
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2 or counts.min() < 2:
        raise ValueError("validation needs at least two labelled examples of each of two classes or more")
    k = int(min(folds, counts.min()))
    ids = [str(p.get("id", i)) for i, p in enumerate(pool)]
    row_texts, row_labels = [str(r["text"]) for r in rows], [r["label"] for r in rows]
    # Per classifier and filter, per repeat and pool row: 1 if adding rows made it right, -1 if wrong, 0 if neither.
    variants: tuple[float | None, ...] = (None, *THRESHOLDS)
    changes = {(c, t): np.zeros((repeats, len(pool))) for c in classifiers for t in variants}
    rng, empty_folds = np.random.default_rng(seed), 0
    made = sorted(
        set(row_labels) & {str(c) for c in classes}
    )  # the classes the rows hold; a fold takes as many of each
    for repeat in range(repeats):
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed + repeat)
        for train, held in splitter.split(texts, labels):
            held_ids = {ids[i] for i in held}
            joined = [j for j, r in enumerate(rows) if r.get("sources") is None or not (set(r["sources"]) & held_ids)]
            joined = _balanced(joined, row_labels, made, rng)
            if not joined:  # a class has no rows that may join: this fold says nothing of the rows
                empty_folds += 1
                for c, t in changes:
                    changes[c, t][repeat, held] = np.nan
                continue
            train_texts, train_labels = [texts[i] for i in train], list(labels[train])
            base = {c: fit(c, train_texts, train_labels, embedder) for c in classifiers}
            other = _other(base, [row_texts[j] for j in joined], [row_labels[j] for j in joined])
            held_texts, gold = [texts[i] for i in held], labels[held]
            before = {c: base[c].predict(held_texts) == gold for c in classifiers}
            for threshold in variants:
                kept = [j for j, p in zip(joined, other) if threshold is None or p < threshold]
                kept = kept if len(kept) == len(joined) else _balanced(kept, row_labels, made, rng)
                if threshold is not None and len(kept) == len(joined):
                    for c in classifiers:  # the filter drops nothing here: the same model as without it
                        changes[c, threshold][repeat, held] = changes[c, None][repeat, held]
                    continue
                for c in classifiers:
                    added_texts, added_labels = [row_texts[j] for j in kept], [row_labels[j] for j in kept]
                    model = fit(c, train_texts + added_texts, train_labels + added_labels, embedder)
                    changes[c, threshold][repeat, held] = (model.predict(held_texts) == gold).astype(float) - before[c]
    if empty_folds == repeats * k:
        raise ValueError(
            "no fold of the pool could take rows of every class without the examples they were made from; "
            "make rows from more of the pool's examples (a selector that varies the shots, such as class)"
        )
    scored = {key: _mean_over_scored(v) for key, v in changes.items()}
    picks = rng.integers(0, len(pool), size=(resamples, len(pool)))
    estimates = {t: {c: _estimate(scored[c, t], labels, classes, picks) for c in classifiers} for t in variants}
    whole = {c: fit(c, texts, list(labels), embedder) for c in classifiers}
    own = [scores.get(label, 0.0) for scores, label in zip(_ensemble(whole, row_texts), row_labels)]
    unlinked = sum(r.get("sources") is None for r in rows)
    notes = [f"{unlinked} rows have no known sources and joined every fold: the estimate may be optimistic"] * bool(
        unlinked
    )
    if empty_folds:
        notes.append(
            f"{empty_folds} of {repeats * k} folds were left out: in each, some class had no rows made without "
            "the fold's held-out examples"
        )
    return Validation(
        estimates,
        _other(whole, row_texts, row_labels),
        [round(float(w), 4) for w in own],
        len(pool),
        unlinked,
        k,
        repeats,
        notes,
    )


def _mean_over_scored(changes: np.ndarray) -> np.ndarray:
    """Each pool row's mean change over the repeats whose fold was scored (a row never scored: no change)."""
    counts = (~np.isnan(changes)).sum(axis=0)
    sums = np.nansum(changes, axis=0)
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)


def _balanced(joined: list[int], labels: list[str], classes: list[str], rng: np.random.Generator) -> list[int]:
    """The rows of `joined` capped at the fewest any of `classes` has there (a seeded choice within each class),
    so that how the rows were made cannot tilt a fold's classifier towards some classes; none if one has none."""
    by_class = {str(c): [j for j in joined if labels[j] == c] for c in classes}
    cap = min((len(members) for members in by_class.values()), default=0)
    return sorted(j for members in by_class.values() for j in rng.permutation(members)[:cap].tolist())


def _ensemble(models: dict[str, Any], texts: list[str]) -> list[dict[str, float]]:
    """Each text's class probabilities, averaged over the classifiers."""
    if not texts:
        return []
    total: list[dict[str, float]] = [{} for _ in texts]
    for model in models.values():
        for row, probabilities in zip(total, model.predict_proba(texts)):
            for label, p in zip(model.classes_, probabilities):
                row[str(label)] = row.get(str(label), 0.0) + float(p) / len(models)
    return total


def _other(models: dict[str, Any], texts: list[str], labels: list[str]) -> list[float]:
    """For each text, the probability the classifiers, averaged, give its likeliest class other than its own."""
    return [
        max((p for label, p in scores.items() if label != own), default=0.0)
        for scores, own in zip(_ensemble(models, texts), labels)
    ]


def bootstrap_gain(values: np.ndarray, resampled: np.ndarray) -> Gain:
    """The mean of per-example changes (0/1 differences) in points, with a `LEVEL` bootstrap interval over
    the index rows of `resampled`."""
    means = values[resampled].mean(axis=1) * 100
    tail = (1 - LEVEL) / 2 * 100
    return Gain(float(values.mean() * 100), float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail)))


def _estimate(change: np.ndarray, labels: np.ndarray, classes: np.ndarray, picks: np.ndarray) -> Estimate:
    """The mean change in points and its bootstrap interval, overall and within each class."""
    per_class = {}
    for label in classes:
        members = np.flatnonzero(labels == label)
        per_class[str(label)] = bootstrap_gain(change[members], picks[:, : len(members)] % len(members))
    return Estimate(bootstrap_gain(change, picks), per_class)
