"""Rows scored on the half of the pool their prompts never showed.

A class-aware run draws each prompt's shots from one half of the class's examples (`chains.selectors.halves`).
Rows made from half A are scored on half B, and the reverse, so no scored example was ever shown to the model:
- alone: a classifier trained on the rows only. Near chance, the rows carry no class signal (text that
  imitates the examples' surface, or broken text), whatever a k-fold estimate says;
- added: the same half's real examples with and without the rows, which is the gain of adding them, measured
  where no fold can lose a class (each half holds every class).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chains.checks.classifiers import CLASSIFIERS, Embedder, fit
from chains.checks.validation import Gain, bootstrap_gain

SIGNAL_Z = 1.0
"""How many standard errors of a guess at chance the rows alone must beat to show a class signal."""


def guess_margin(chance: float, count: int, z: float) -> float:
    """`z` standard errors of the share a guess at `chance` gets right on `count` examples."""
    return z * float(np.sqrt(chance * (1 - chance) / max(1, count)))


@dataclass(frozen=True)
class HalfScore:
    """One classifier's accuracy on the unseen halves: trained on the rows alone, on the real half, on both."""

    alone: float
    real: float
    added: Gain
    """The gain of adding the rows to the real half, in points, with its interval."""

    def to_dict(self) -> dict[str, Any]:
        return {"alone": round(self.alone * 100, 1), "real": round(self.real * 100, 1), **self.added.to_dict()}


@dataclass(frozen=True)
class HeldOut:
    """The halves' scores per classifier, and how many pool examples and rows they rest on."""

    scores: dict[str, HalfScore]
    scored: int
    """Pool examples scored (each by the other half's models)."""
    rows: int
    """Rows whose shots all came from one half; the rest (mixed or unknown sources) are not used here."""
    chance: float
    """The accuracy of always answering the pool's most common class."""

    @property
    def alone(self) -> float:
        """The mean accuracy of the classifiers trained on the rows alone."""
        return float(np.mean([s.alone for s in self.scores.values()]))

    def margin(self) -> float:
        """How far above chance the rows alone must score to show a class signal: `SIGNAL_Z` standard errors
        of a guess at chance on this many examples."""
        return guess_margin(self.chance, self.scored, SIGNAL_Z)

    @property
    def signal(self) -> bool:
        """Whether a classifier trained on the rows alone beats chance on examples they never saw."""
        return self.alone > self.chance + self.margin()

    @property
    def informative(self) -> bool:
        """Whether a classifier trained on one real half labels the other better than chance: where none does,
        the pool's classifiers cannot tell a row's class either."""
        return max(s.real for s in self.scores.values()) > self.chance + self.margin()

    def to_dict(self) -> dict[str, Any]:
        summary: dict[str, Any] = {name.split("+")[0]: s.to_dict() for name, s in self.scores.items()}
        summary["details"] = {
            "scored": self.scored,
            "rows": self.rows,
            "chance": round(self.chance * 100, 1),
            "signal": self.signal,
            "informative": self.informative,
        }
        return summary


def held_out(
    pool: Sequence[dict[str, str]],
    rows: Sequence[dict[str, Any]],
    split: dict[str, int],
    embedder: Embedder,
    seed: int = 0,
    resamples: int = 2000,
    classifiers: Sequence[str] = CLASSIFIERS,
) -> HeldOut | None:
    """Scores of `rows` ({text, label, sources}) on the half of `pool` ({id, text, label}) they were not made
    from, by `split` (pool id -> 0 or 1); None where a half lacks rows or examples of some class."""
    labels = [p["label"] for p in pool]
    classes = sorted(set(labels))
    half_of = [split.get(str(p["id"])) for p in pool]
    made: dict[int, list[dict[str, Any]]] = {0: [], 1: []}
    for row in rows:
        halves = {split.get(s) for s in row.get("sources") or ()}
        if len(halves) == 1 and None not in halves:
            made[halves.pop()].append(row)
    right = {c: {"alone": [], "real": [], "added": []} for c in classifiers}
    for half in (0, 1):
        train = [p for p, h in zip(pool, half_of) if h == half]
        test = [p for p, h in zip(pool, half_of) if h == 1 - half]
        if not test or {p["label"] for p in train} != set(classes) or {r["label"] for r in made[half]} != set(classes):
            return None
        texts, gold = [p["text"] for p in test], np.array([p["label"] for p in test])
        real_texts, real_labels = [p["text"] for p in train], [p["label"] for p in train]
        row_texts, row_labels = [str(r["text"]) for r in made[half]], [r["label"] for r in made[half]]
        for c in classifiers:
            trained = {
                "alone": fit(c, row_texts, row_labels, embedder),
                "real": fit(c, real_texts, real_labels, embedder),
                "added": fit(c, real_texts + row_texts, real_labels + row_labels, embedder),
            }
            for name, model in trained.items():
                right[c][name].append(model.predict(texts) == gold)
    scored = sum(len(r) for r in right[classifiers[0]]["real"])
    picks = np.random.default_rng(seed).integers(0, scored, size=(resamples, scored))
    scores = {}
    for c in classifiers:
        alone, real, added = (np.concatenate(right[c][name]).astype(float) for name in ("alone", "real", "added"))
        scores[c] = HalfScore(float(alone.mean()), float(real.mean()), bootstrap_gain(added - real, picks))
    chance = max(labels.count(c) for c in classes) / len(labels)
    return HeldOut(scores, scored, sum(len(m) for m in made.values()), chance)
