"""`evaluate`: does synthaug's data help a classifier? k real examples per class, with and without added rows.

For each k and seed: draw k training examples per class from the real data, generate rows from them
with the tool's defaults (`labeled`: new examples per class, shown the drawn ones; `paraphrase`:
paraphrases of each), make the same number of EDA rows as a classic baseline, train TF-IDF + logistic
regression and MiniLM-embedding + logistic regression on each training set, and score them on one
held-out real test set. Rows are also labelled by an independent judge trained on other real rows.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
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


TASKS = ("labeled", "paraphrase")


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
                    lines.append(f"| {k} | {classifier} | {data.removeprefix('real + ')} | {cells} | {_mean_std(gains, signed=True)} |")
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


@dataclass(frozen=True)
class Setup:
    """How the rows of one evaluation are generated: the task, the data's description and the generate options."""

    task: str = "labeled"
    context: str = ""
    descriptions: dict[str, str] | None = None
    n: int = 4
    """Rows per real example: paraphrases of each, or n × k new rows per class."""
    batch_size: int = 32
    verify_label: str | None = None
    min_confidence: float | None = None
    progress: bool = False


def generate_for(
    real: list[dict[str, str]],
    name: str,
    output: Path,
    llm: Any,
    model_name: str,
    setup: Setup,
    seed: int,
    embed: Callable[[list[str]], Sequence[Sequence[float]]],
) -> list[dict[str, Any]]:
    """Rows generated from the `real` examples with the tool's defaults, resumed from `output` if it exists."""
    from chains import load_task
    from chains.fidelity import SourceCheck
    from chains.model import EMBEDDED_MODEL
    from runners.run.filtering import AnswerFilter
    from runners.run.generate import Generator
    from runners.run.inputs import Inputs, default_inputs
    from runners.run.pool import adapt_task, default_selector, judge_for, selector_for
    from runners.run.spec import RunSpec
    from runners.run.store import RunStore, read_jsonl

    examples = [{"id": f"{name}-{i}", **r} for i, r in enumerate(real)]
    if setup.task == "labeled":
        task = adapt_task(load_task("labeled"), examples, None, setup.context, setup.descriptions)
        inputs, per_label = default_inputs(task), setup.n * len(real) // len(task.classes)
        selector_name = default_selector(task)
        selector = selector_for(selector_name, task, 4, seed, llm)
    else:
        task = load_task("paraphrase")
        inputs, per_label = Inputs(rows={e["id"]: {"text": e["text"], "label": e["label"]} for e in examples}), None
        selector_name, selector = "fixed", None
    judge = None
    if setup.verify_label:
        judge = judge_for(setup.verify_label, task, inputs, task.language, llm)
    min_logprob = task.min_logprob if model_name == EMBEDDED_MODEL else None  # measured on that model
    spec = RunSpec.for_model(
        task,
        llm,
        model_name,
        n=setup.n,
        per_label=per_label,
        seed=seed,
        batch_size=setup.batch_size,
        inputs_name=name,
        selector=selector_name,
        shots=4,
        verify_label=judge.name if judge else None,
        min_confidence=setup.min_confidence,
        min_logprob=min_logprob,
    )
    source_check = SourceCheck(embed) if task.source is not None else None
    checks = AnswerFilter(task, min_logprob, source_check, judge, setup.min_confidence)
    store = RunStore(output)
    store.check(spec.manifest())
    Generator(spec, llm, checks, selector, progress=setup.progress).run(inputs, output)
    return read_jsonl(output)


def evaluate(
    rows: list[dict[str, str]],
    llm: Any,
    model_name: str,
    embed: Callable[[list[str]], Sequence[Sequence[float]]],
    workdir: Path,
    ks: list[int],
    seeds: list[int],
    test_size: int,
    setup: Setup,
    judge_size: int = 2000,
    log: Callable[[str], None] = print,
) -> tuple[list[Score], list[RunStats], float, list[str]]:
    """Scores of every classifier and training set for each k and seed (see the module docstring).

    Also each run's label fidelity under a judge trained on `judge_size` real rows that are neither
    test rows nor ever drawn for training, and that judge's accuracy on the test set; and, for the first
    seed of each k, the precision and recall on the test set of the `--verify-label embedding` judge
    trained on the k drawn examples (`judge_quality`).
    """
    from chains.judge import EmbeddingJudge

    pool, test = split(rows, test_size)
    judge_rows, pool = pool[:judge_size], pool[judge_size:]
    embedder = Embedder(embed)
    independent = EmbeddingJudge(embedder, judge_rows, C=1.0)
    judge_accuracy = statistics.mean(
        v.label == r["label"] for v, r in zip(independent.judge([r["text"] for r in test]), test)
    )
    scores: list[Score] = []
    stats: list[RunStats] = []
    quality: list[str] = []
    for k in ks:
        for seed in seeds:
            real = draw(pool, k, seed)
            if seed == seeds[0]:
                quality += [f"| {k} | {line[2:]}" for line in judge_quality(EmbeddingJudge(embedder, real), test)]
            name = f"{setup.task}-k{k}-seed{seed}"
            synthetic = generate_for(real, name, workdir / f"{name}.jsonl", llm, model_name, setup, seed, embedder)
            run = score_run(k, seed, real, synthetic, test, embedder)
            scores += run
            verdicts = independent.judge([str(r["output"]) for r in synthetic])
            agree = [v.label == r["label"] for v, r in zip(verdicts, synthetic)]
            stats.append(RunStats(k, seed, len(synthetic), statistics.mean(agree) if agree else None))
            best = {s.data: s.accuracy for s in run if s.classifier == "minilm+lr"}
            log(
                f"{name}: {len(synthetic)} synthaug rows; minilm+lr accuracy real {best['real']:.1%}, "
                f"+EDA {best['real + EDA']:.1%}, +synthaug {best['real + synthaug']:.1%}"
            )
    return scores, stats, judge_accuracy, quality
