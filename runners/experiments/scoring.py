"""Scoring for `evaluate`: the train/test split, the draws, the two classifiers and the tables of gains."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from runners.experiments.eda import eda

CLASSIFIERS = ("tfidf+lr", "minilm+lr")
DATA = ("real", "real + EDA", "real + synthaug")


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


def eda_rows(synthetic: list[dict[str, Any]], real: list[dict[str, str]], seed: int) -> list[dict[str, str]]:
    """One EDA row per synthetic row, with its label: from the row's source text, or else a real text of its label."""
    rng = random.Random(seed)
    by_label: dict[str, list[str]] = {}
    for row in real:
        by_label.setdefault(row["label"], []).append(row["text"])
    rows = []
    for r in synthetic:
        source = r["inputs"].get("text") or rng.choice(by_label[r["label"]])
        rows.append({"text": eda(source, rng), "label": r["label"]})
    return rows


class Embedder:
    """MiniLM vectors with a cache, since the test set and real examples are embedded for every run."""

    def __init__(self, embed: Callable[[list[str]], Sequence[Sequence[float]]]):
        self.embed, self.cache = embed, {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        new = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if new:
            self.cache.update(zip(new, np.asarray(self.embed(new), dtype=np.float32)))
        return np.stack([self.cache[t] for t in texts])


def train_and_score(
    classifier: str, train: list[dict[str, str]], test: list[dict[str, str]], embedder: Embedder
) -> tuple[float, float]:
    """Accuracy and macro-F1 on `test` of `classifier` trained on `train`."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.pipeline import make_pipeline

    texts, labels = [r["text"] for r in train], [r["label"] for r in train]
    gold = [r["label"] for r in test]
    if classifier == "tfidf+lr":
        model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=1000))
        predicted = model.fit(texts, labels).predict([r["text"] for r in test])
    else:
        model = LogisticRegression(max_iter=1000).fit(embedder(texts), labels)
        predicted = model.predict(embedder([r["text"] for r in test]))
    return float(accuracy_score(gold, predicted)), float(f1_score(gold, predicted, average="macro"))


def score_run(
    k: int, seed: int, real: list[dict], synthetic: list[dict], test: list[dict], embedder: Embedder
) -> list[Score]:
    """Every classifier on real, real + EDA and real + synthaug rows."""
    added = [{"text": str(r["output"]), "label": r["label"]} for r in synthetic]
    sets = {"real": real, "real + EDA": real + eda_rows(synthetic, real, seed), "real + synthaug": real + added}
    return [
        Score(k, seed, classifier, name, len(rows), *train_and_score(classifier, rows, test, embedder))
        for classifier in CLASSIFIERS
        for name, rows in sets.items()
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
                if gains:
                    cells = " | ".join(f"{100 * g:+.1f}" for g in gains)
                    lines.append(
                        f"| {k} | {classifier} | {data.removeprefix('real + ')} | {cells} | {_mean_std(gains, signed=True)} |"
                    )
    return "\n".join(lines)


def _gains(scores: list[Score], k: int, classifier: str, data: str, seeds: list[int]) -> list[float]:
    by = {(s.seed, s.data): s.accuracy for s in scores if (s.k, s.classifier) == (k, classifier)}
    return [by[(seed, data)] - by[(seed, "real")] for seed in seeds if (seed, data) in by and (seed, "real") in by]


def fidelity_table(stats: list[RunStats], judge_accuracy: float) -> str:
    """Per seed, the share of generated rows that an independent judge puts in their own label."""
    lines = [
        f"Label fidelity under an independent judge (MiniLM + LR on other real rows; {judge_accuracy:.1%} "
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
