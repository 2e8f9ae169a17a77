"""The few-shot example pool: the template's examples or the user's file, and the selector over it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from langchain_core.example_selectors import BaseExampleSelector

from chains import Task
from chains.checks.judge import ChainJudge, Competence, EmbeddingJudge, LabelJudge, competence, judge_task
from chains.prompts import token_counter
from chains.selectors import make_selector
from chains.task import load_task
from runners.run.inputs import InputError, Inputs, read_records


def read_pool(
    path: Path, task: Task, text_column: str = "text", label_column: str = "label", flag: str = "--examples"
) -> list[dict[str, str]]:
    """Examples from a CSV/JSONL file; `text` and `label` come from the named columns, ids from `id` or the row.
    Errors name the file by the `flag` that gave it."""
    records = read_records(path, flag)
    what = f"{flag.lstrip('-')} file"
    if not records:
        raise InputError(f"{what} {path} has a header but no rows; add examples to it")
    columns = {"text": text_column, "label": label_column}
    flags = {"text": "--text-column", "label": "--label-column"}
    needed = sorted(set(task.input_variables) | set(task.answer_variables), key=lambda v: (v not in flags, v != "text"))
    missing = [v for v in needed if columns.get(v, v) not in records[0]]
    if missing:
        named = [f"{columns.get(v, v)!r}" + (f" ({flags[v]})" if v in flags else "") for v in missing]
        raise InputError(
            f"{what} {path} has no column {' or '.join(named)}, which task {task.name} needs; "
            f"columns found: {', '.join(records[0]) or 'none'}"
        )
    pool = []
    for number, record in enumerate(records, 1):
        # The named columns become `text` and `label`; a column of the same name they replace is left out.
        example = {k: (v or "").strip() for k, v in record.items() if k not in {*columns, *columns.values()}}
        example.update({v: (record.get(column) or "").strip() for v, column in columns.items() if column in record})
        example["id"] = example.get("id") or f"ex-{number}"
        pool.append(example)
    return [e for e in pool if all(e[v] for v in needed)]


def input_pool(path: Path, task: Task, text_column: str = "text", label_column: str = "label") -> list[dict[str, str]]:
    """The rows of an --input file with a text and a label column as an example pool, as if given as --examples;
    [] for a file without both columns."""
    records = read_records(path)
    if not records or not {text_column, label_column} <= set(records[0]):
        return []
    return read_pool(path, task, text_column, label_column, "--input")


def adapt_task(
    task: Task,
    pool: list[dict[str, str]] | None = None,
    classes: list[str] | None = None,
    context: str | None = None,
    descriptions: dict[str, str] | None = None,
) -> Task:
    """The task with the user's examples; for a labelled pool its labels become the classes, unless given.

    `descriptions` (class -> one line) join the template's, which are kept only for classes still in use.
    """
    adapted = task.for_pool(pool, classes, context)
    if not descriptions:
        return adapted
    unknown = sorted(set(descriptions) - set(adapted.classes))
    if unknown:
        raise InputError(
            f"--describe names class {unknown[0]!r}, which is not one of the classes ({', '.join(adapted.classes)}); "
            "fix the name or add the class"
        )
    return adapted.model_copy(update={"class_descriptions": {**adapted.class_descriptions, **descriptions}})


def default_selector(task: Task) -> str:
    """`class` for prompts that ask for a class from labelled examples; `fixed` otherwise."""
    asks_for_class = "label" in task.input_variables
    return "class" if asks_for_class and any(e.get("label") for e in task.examples) else "fixed"


def selector_for(name: str, task: Task, shots: int, seed: int, llm: Any = None) -> BaseExampleSelector | None:
    """The named selector over the task's examples; None for the task's own examples as they are."""
    if name == "fixed" and shots >= len(task.examples):
        return None
    embeddings = None
    if name in ("semantic", "mmr"):
        from chains.checks.embeddings import load_embeddings

        embeddings = load_embeddings()
    return make_selector(name, task, task.examples, shots, seed, count_tokens=token_counter(llm), embeddings=embeddings)


def judge_for(
    name: str, task: Task, inputs: Inputs, language: str, llm: Any = None, seed: int | None = None
) -> LabelJudge | None:
    """The `--verify-label` judge, trained on (or shown) the real labelled texts: the example pool and the inputs;
    none for `auto` where the classify judge is not competent on them."""
    examples = [e for e in task.examples if e.get("text") and e.get("label")]
    examples += [v for v in inputs.rows.values() if v.get("text") and v.get("label")]
    if len({e["label"] for e in examples}) < 2:
        raise InputError(
            "--verify-label needs real labelled texts of at least two classes; "
            "pass --examples FILE with text and label columns, or an --input file with a label column"
        )
    if name == "embedding":
        from chains.checks.embeddings import load_embeddings

        return EmbeddingJudge(load_embeddings().embed_documents, examples)
    if name == "auto":
        judge, skill = trusted_judge(task, examples, llm, language, seed)
        if judge is None:
            print(untrusted(skill), file=sys.stderr)
        return judge
    return classify_judge(task, examples, llm, language, seed)


def trusted_judge(
    task: Task, examples: list[dict[str, str]], llm: Any, language: str, seed: int | None = None
) -> tuple[ChainJudge | None, Competence]:
    """`--verify-label auto`: the classify judge and how it labels the `examples` it is not shown; the judge only
    where that is clearly better than chance (a judge at chance would refuse good rows as often as bad ones)."""
    judge = classify_judge(task, examples, llm, language, seed)
    skill = competence(judge, examples)
    return (judge if skill.competent else None), skill


def untrusted(skill: Competence) -> str:
    """The notice of a run whose classify prompt labelled real examples no better than chance, so judged no row."""
    return (
        f"notice: the model's classify prompt labels {skill}, not clearly better than chance, so it did not judge "
        "the rows"
    )


def classify_judge(
    task: Task, examples: list[dict[str, str]], llm: Any, language: str, seed: int | None = None
) -> ChainJudge:
    """The model's own few-shot `classify` prompt, set up like `task` and shown real labelled `examples`: the
    judge of `--verify-label classify` and of the labelled run's label check, its votes drawn with `seed`."""
    return ChainJudge(judge_task(load_task("classify", language), task, examples), llm, seed=seed)
