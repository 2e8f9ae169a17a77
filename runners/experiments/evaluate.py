"""`evaluate`: does synthaug's data help a classifier? k real examples per class, with and without added rows.

For each k and seed: draw k training examples per class from the real data, generate rows from them
with the tool's defaults (`labeled`: new examples per class, shown the drawn ones; `paraphrase`:
paraphrases of each), make the same number of EDA rows as a classic baseline, train TF-IDF + logistic
regression and MiniLM-embedding + logistic regression on each training set, and score them on one
held-out real test set. Rows are also labelled by an independent judge trained on other real rows.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runners.experiments.scoring import Embedder, RunStats, Score, draw, judge_quality, score_run, split

TASKS = ("labeled", "paraphrase")


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
    from chains.checks.fidelity import SourceCheck
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
    )
    source_check = SourceCheck(embed) if task.source is not None else None
    checks = AnswerFilter(task, spec.min_logprob, source_check, judge, setup.min_confidence)
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
    from chains.checks.judge import EmbeddingJudge

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
