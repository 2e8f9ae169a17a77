"""`evaluate`: does synthaug's data help a classifier? k real examples per class, with and without added rows.

For each k and seed: draw k training examples per class from the real data, make rows from them exactly as
`generate` does (`labeled`: the default strategy and the gate, validated on the drawn examples as the user's
pool; `paraphrase`: paraphrases of each), make as many EDA rows as a classic baseline, train TF-IDF + logistic
regression and MiniLM + logistic regression on each training set, and score them on one held-out real test
set. Beside each run's real gain stands the gain the pool validation estimated before any test row was seen.
Rows are also labelled by an independent judge trained on other real rows: MiniLM + LR for English, TF-IDF + LR for
other languages, where MiniLM (trained on English) reads little.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chains.checks.classifiers import Embedder, fit, minilm_reads
from runners.experiments.scoring import Estimated, RunStats, Score, draw, judge_quality, score_run, split


@dataclass(frozen=True)
class Setup:
    """How the rows of one evaluation are generated: the task, the data's description and the generate options."""

    task: str = "labeled"
    context: str = ""
    descriptions: dict[str, str] | None = None
    language: str = "en"
    n: int = 4
    """Rows per real example: paraphrases of each, or n × k new rows per class."""
    batch_size: int | None = None
    verify_label: str | None = None
    min_confidence: float | None = None
    label_check: bool = False
    """`labeled`: the gate's label check by the generating model (generate --label-check)."""
    strategy: str | None = None
    """`labeled`'s strategy; None: generate's default (generate)."""
    shots: int = 4
    """`labeled`: examples shown per prompt (generate --shots)."""
    temperature: float | None = None
    """Sampling temperature; None: the task's (generate --temperature)."""
    progress: bool = False


@dataclass(frozen=True)
class Generated:
    """What one run made: the rows saved, the rows the gate judged, and the gain estimated on the pool."""

    rows: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    estimate: dict[str, Any] | None
    strategy: str | None


def labelled_run(
    real: list[dict[str, str]],
    name: str,
    llm: Any,
    model: str,
    setup: Setup,
    seed: int,
    embedder: Embedder,
) -> Any:
    """The `LabelledRun` that `generate` would set up on the `real` examples as its pool, with `build` unset (its
    `gate` judges rows made elsewhere)."""
    from chains import load_task
    from runners.run.inputs import default_inputs
    from runners.run.pool import adapt_task
    from runners.run.strategy import LabelledRun

    task = load_task("labeled", setup.language)
    task = adapt_task(task, _examples(real, name), None, setup.context, setup.descriptions)
    inputs = default_inputs(task)
    spec = _spec(task, llm, model, setup, seed, name, setup.n * len(real) // len(task.classes))
    return LabelledRun(spec, llm, inputs, embedder, None, label_check=setup.label_check)


def _examples(real: list[dict[str, str]], name: str) -> list[dict[str, str]]:
    return [{"id": f"{name}-{i}", **r} for i, r in enumerate(real)]


def _spec(task: Any, llm: Any, model: str, setup: Setup, seed: int, name: str, per_label: int | None) -> Any:
    from chains.chain import resolve_settings
    from runners.run.pool import default_selector
    from runners.run.spec import RunSpec

    temperature = {} if setup.temperature is None else {"temperature": setup.temperature, "do_sample": True}
    labeled = per_label is not None
    return RunSpec(
        task=task,
        model=model,
        generation=resolve_settings(task, {**getattr(llm, "generation", {}), **temperature}),
        n=setup.n,
        per_label=per_label,
        seed=seed,
        batch_size=setup.batch_size,
        inputs_name=name,
        selector=default_selector(task) if labeled else None,
        shots=setup.shots if labeled else None,
        verify_label=setup.verify_label,
        min_confidence=setup.min_confidence,
        strategy=(setup.strategy or "generate") if labeled else None,
    )


def generate_for(
    real: list[dict[str, str]],
    name: str,
    output: Path,
    llm: Any,
    model: str,
    setup: Setup,
    seed: int,
    embedder: Embedder,
) -> Generated:
    """Rows made from the `real` examples as `generate` makes them (resumed from `output` if it exists)."""
    from chains import load_task
    from runners.run.gate import estimate
    from runners.run.generate import build_generator
    from runners.run.inputs import Inputs
    from runners.run.store import RunStore, read_jsonl

    def build(run_spec: Any, run_inputs: Inputs) -> Any:
        return build_generator(run_spec, llm, run_inputs, progress=setup.progress)

    if setup.task == "labeled":
        run = labelled_run(real, name, llm, model, setup, seed, embedder)
        run.build = build
        RunStore(output).check(run.spec.manifest())
        outcome = run.run(output)
        verdict = outcome.verdict
        return Generated(verdict.kept, outcome.candidates, verdict.validation, outcome.strategy)
    examples = _examples(real, name)
    spec = _spec(load_task(setup.task, setup.language), llm, model, setup, seed, name, None)
    inputs = Inputs(rows={e["id"]: {"text": e["text"], "label": e["label"]} for e in examples})
    RunStore(output).check(spec.manifest())
    build(spec, inputs).run(inputs, output)
    rows = read_jsonl(output)
    return Generated(
        rows, rows, estimate(examples, rows, embedder, seed, setup.language).to_dict() if rows else None, None
    )


def evaluate(
    rows: list[dict[str, str]],
    llm: Any,
    model_name: str,
    embedder: Embedder,
    workdir: Path,
    ks: list[int],
    seeds: list[int],
    test_size: int,
    setup: Setup,
    judge_size: int = 2000,
    log: Callable[[str], None] = print,
) -> tuple[list[Score], list[RunStats], list[Estimated], tuple[str, float], list[str]]:
    """Scores of every classifier and training set for each k and seed (see the module docstring), and each
    run's pool estimate beside its real gain.

    Also each run's label fidelity under a judge trained on `judge_size` real rows that are neither
    test rows nor ever drawn for training, and that judge's name and accuracy on the test set; and, for the first
    seed of each k, the precision and recall on the test set of the `--verify-label embedding` judge
    trained on the k drawn examples (`judge_quality`).
    """
    from chains.checks.judge import EmbeddingJudge
    from runners.run.gate import too_small

    pool, test = split(rows, test_size)
    judge_rows, pool = pool[:judge_size], pool[judge_size:]
    independent = independent_judge(judge_rows, setup.language, embedder)
    judge_accuracy = statistics.mean(independent.agrees([r["text"] for r in test], [r["label"] for r in test]))
    scores: list[Score] = []
    stats: list[RunStats] = []
    estimates: list[Estimated] = []
    quality: list[str] = []
    for k in ks:
        for seed in seeds:
            real = draw(pool, k, seed)
            if seed == seeds[0]:
                quality += [f"| {k} | {line[2:]}" for line in judge_quality(EmbeddingJudge(embedder, real), test)]
            name = f"{setup.task}-k{k}-seed{seed}"
            made = generate_for(real, name, workdir / f"{name}.jsonl", llm, model_name, setup, seed, embedder)
            weighted = setup.task == "labeled" and too_small(real) is None  # the gate weighs the rows it validates
            run = score_run(k, seed, real, made.rows, test, embedder, setup.n, made.candidates, weighted)
            scores += run
            agree = independent.agrees(
                [str(r["output"]) for r in made.candidates], [r["label"] for r in made.candidates]
            )
            stats.append(RunStats(k, seed, len(made.rows), statistics.mean(agree) if agree else None))
            estimates.append(Estimated(k, seed, made.strategy, len(made.rows), len(made.candidates), made.estimate))
            best = {s.data: s.accuracy for s in run if s.classifier == "tfidf+lr"}
            log(
                f"{name}: {len(made.rows)} of {len(made.candidates)} rows saved (strategy {made.strategy}); "
                f"tfidf+lr accuracy real {best['real']:.1%}, +EDA {best['real + EDA']:.1%}, "
                f"+synthaug {best['real + synthaug']:.1%}"
            )
    return scores, stats, estimates, (independent.name, judge_accuracy), quality


@dataclass(frozen=True)
class IndependentJudge:
    """A classifier trained on real rows that no run draws from, which says whether texts carry their labels."""

    name: str
    model: Any

    def agrees(self, texts: list[str], labels: list[str]) -> list[bool]:
        """For each text, whether the judge gives it its label."""
        return [str(p) == label for p, label in zip(self.model.predict(texts), labels)] if texts else []


def independent_judge(rows: list[dict[str, str]], language: str, embedder: Embedder) -> IndependentJudge:
    """MiniLM + LR where MiniLM reads the language (English), else TF-IDF + LR: on the Korean reviews a MiniLM
    judge was right on 57% of the test rows (chance 50%)."""
    classifier = "minilm+lr" if minilm_reads(language) else "tfidf+lr"
    model = fit(classifier, [r["text"] for r in rows], [r["label"] for r in rows], embedder)
    return IndependentJudge("MiniLM + LR" if classifier == "minilm+lr" else "TF-IDF + LR", model)
