"""`evaluate`: does synthaug's data help a classifier? k real examples per class, with and without added rows.

For each k and seed: draw k training examples per class from the real data, generate paraphrases of
them with the tool's defaults (resumable run files in the work folder), make the same number of EDA
rows as a classic baseline, train TF-IDF + logistic regression and MiniLM-embedding + logistic
regression on each training set, and score them on one held-out real test set.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from runners.eda import eda

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


def eda_rows(synthetic: list[dict[str, Any]], seed: int) -> list[dict[str, str]]:
    """One EDA copy of each synthetic row's source, so both baselines add the same rows per source."""
    rng = random.Random(seed)
    return [{"text": eda(r["inputs"]["text"], rng), "label": r["label"]} for r in synthetic]


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
    sets = {"real": real, "real + EDA": real + eda_rows(synthetic, seed), "real + synthaug": real + added}
    return [
        Score(k, seed, classifier, name, len(rows), *train_and_score(classifier, rows, test, embedder))
        for classifier in CLASSIFIERS
        for name, rows in sets.items()
    ]


def _mean_std(values: list[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{100 * statistics.mean(values):.1f} ± {100 * spread:.1f}"


def table(scores: list[Score]) -> str:
    """Mean ± standard deviation over seeds, in percent, and the gains the goals are about."""
    lines = [
        "| k per class | classifier | training data | rows | accuracy % | macro-F1 % |",
        "| ---: | --- | --- | ---: | ---: | ---: |",
    ]
    gains = []
    for k in sorted({s.k for s in scores}):
        for classifier in CLASSIFIERS:
            means = {}
            for data in DATA:
                group = [s for s in scores if (s.k, s.classifier, s.data) == (k, classifier, data)]
                if not group:
                    continue
                rows = statistics.mean(s.train_rows for s in group)
                means[data] = statistics.mean(s.accuracy for s in group)
                lines.append(
                    f"| {k} | {classifier} | {data} | {rows:.0f} | {_mean_std([s.accuracy for s in group])} "
                    f"| {_mean_std([s.macro_f1 for s in group])} |"
                )
            if len(means) == len(DATA):
                synth = means["real + synthaug"]
                gains.append(
                    f"k={k} {classifier}: synthaug {100 * (synth - means['real']):+.1f} accuracy points over real only, "
                    f"{100 * (synth - means['real + EDA']):+.1f} over EDA"
                )
    seeds = len({s.seed for s in scores})
    return "\n".join(lines + ["", f"mean ± std over {seeds} seeds", *gains])


def generate_for(
    real: list[dict[str, str]], name: str, output: Path, llm: Any, model_name: str, options: dict[str, Any]
) -> list[dict[str, Any]]:
    """Paraphrases of the `real` examples with the tool's defaults, resumed from `output` if it exists."""
    from chains import load_task
    from runners.generate import Generator
    from runners.inputs import Inputs
    from runners.pool import judge_for
    from runners.store import check_resume, read_jsonl

    task = load_task("paraphrase")
    inputs = Inputs(rows={f"{name}-{i}": {"text": r["text"], "label": r["label"]} for i, r in enumerate(real)})
    verify = options["verify_label"]
    judge = judge_for(verify, task, inputs, task.language, llm) if verify else None
    generator = Generator(
        task=task,
        llm=llm,
        model_name=model_name,
        n=options["n"],
        seed=options["seed"],
        chunk_size=options["batch_size"],
        judge=judge,
        progress=options["progress"],
    )
    check_resume(output, generator.manifest(name), force_new=False)
    generator.run(inputs, output, name)
    return read_jsonl(output)


def evaluate(
    rows: list[dict[str, str]],
    llm: Any,
    model_name: str,
    embed: Callable[[list[str]], Sequence[Sequence[float]]],
    workdir: Path,
    ks: list[int],
    seeds: int,
    test_size: int,
    options: dict[str, Any],
    log: Callable[[str], None] = print,
) -> list[Score]:
    """Scores of every classifier and training set for each k and seed (see the module docstring)."""
    pool, test = split(rows, test_size)
    embedder = Embedder(embed)
    scores: list[Score] = []
    for k in ks:
        for seed in range(seeds):
            real = draw(pool, k, seed)
            name = f"k{k}-seed{seed}"
            synthetic = generate_for(real, name, workdir / f"{name}.jsonl", llm, model_name, {**options, "seed": seed})
            run = score_run(k, seed, real, synthetic, test, embedder)
            scores += run
            best = {s.data: s.accuracy for s in run if s.classifier == "minilm+lr"}
            log(
                f"{name}: {len(synthetic)} synthaug rows; minilm+lr accuracy real {best['real']:.1%}, "
                f"+EDA {best['real + EDA']:.1%}, +synthaug {best['real + synthaug']:.1%}"
            )
    return scores
