"""Label judges: label a generated text again, independently, so rows that drifted off their label are caught."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseLanguageModel

from chains.chain import sample
from chains.chain import texts as answer_texts
from chains.checks.heldout import guess_margin
from chains.checks.parsers import parser_for
from chains.prompts import build_prompt, renderer_for
from chains.task import Task

# auto: the classify judge where it labels the real examples it is not shown clearly better than chance.
JUDGES = ("embedding", "classify", "auto")


@dataclass(frozen=True)
class Verdict:
    """A judge's label for one text and how sure it is (0..1)."""

    label: str | None
    confidence: float
    scores: dict[str, float] | None = None
    """The judge's probability (or vote share) for every class, where it has one."""

    def names(self, label: str) -> bool:
        """Whether the judge's label is `label` (case ignored)."""
        return (self.label or "").casefold() == label.casefold()

    def probability(self, label: str) -> float:
        """How likely the judge finds `label` (case ignored)."""
        if self.scores is None:
            return self.confidence if self.names(label) else 0.0
        return next((p for name, p in self.scores.items() if name.casefold() == label.casefold()), 0.0)


class LabelJudge(Protocol):
    """Anything that labels texts; `name` is recorded with each verdict."""

    name: str

    def judge(self, texts: list[str]) -> list[Verdict]: ...


def _labelled(examples: Sequence[dict[str, str]]) -> tuple[list[str], list[str]]:
    pairs = {e["text"]: e["label"] for e in examples if e.get("text") and e.get("label")}
    return list(pairs), list(pairs.values())


class EmbeddingJudge:
    """Logistic regression on sentence embeddings of real labelled examples; confidence is its probability.

    `C` is weakly regularised: with unit-length embeddings and a handful of examples, the default C=1
    labels a quarter of its own training examples wrong, and would then reject faithful paraphrases of them.
    """

    name = "embedding"

    def __init__(
        self,
        embed: Callable[[list[str]], Sequence[Sequence[float]]],
        examples: Sequence[dict[str, str]],
        C: float = 10.0,
    ):
        from sklearn.linear_model import LogisticRegression

        texts, labels = _labelled(examples)
        if len(set(labels)) < 2:
            raise ValueError("the embedding judge needs labelled examples of at least two classes")
        self.embed = embed
        self.model = LogisticRegression(C=C, max_iter=1000).fit(np.asarray(embed(texts)), labels)

    def judge(self, texts: list[str]) -> list[Verdict]:
        if not texts:
            return []
        probabilities = self.model.predict_proba(np.asarray(self.embed(texts)))
        best = probabilities.argmax(axis=1)
        classes = [str(c) for c in self.model.classes_]
        return [
            Verdict(classes[i], float(p[i]), dict(zip(classes, map(float, p)))) for i, p in zip(best, probabilities)
        ]


class ChainJudge:
    """The few-shot `classify` chain; confidence is the share of `votes` sampled answers that agree."""

    name = "classify"

    def __init__(
        self, task: Task, llm: BaseLanguageModel, votes: int = 5, temperature: float = 0.7, seed: int | None = None
    ):
        if task.output != "label":
            raise ValueError(f"a judge needs a label task like classify, not {task.name}")
        self.task, self.llm, self.votes = task, llm, votes
        self.render = renderer_for(llm)
        self.parser = parser_for(task)
        # One greedy answer has no spread to measure; several sampled ones do. A `seed` makes every call's votes
        # the same for the same texts, whatever the model answered before (a rerun judges a set as it did).
        self.settings: dict[str, Any] = {"do_sample": True, "temperature": temperature} if votes > 1 else {}
        if votes > 1 and seed is not None:
            self.settings["seed"] = seed

    def judge(self, texts: list[str]) -> list[Verdict]:
        if not texts:
            return []
        prompt = build_prompt(self.task)
        prompts = [self.render.invoke(prompt.invoke({"text": t})) for t in texts]
        verdicts = []
        for answers in answer_texts(sample(self.task, self.llm, prompts, n=self.votes, **self.settings)):
            votes: Counter = Counter()
            for raw in answers:
                try:
                    votes[self.parser.parse(raw)] += 1
                except OutputParserException:
                    pass  # an unreadable vote counts for no label
            label, count = votes.most_common(1)[0] if votes else (None, 0)
            shares = {c: votes[c] / len(answers) for c in self.task.classes}
            verdicts.append(Verdict(label, count / len(answers), shares))
        return verdicts


# How many standard errors of a guess at chance a judge must beat on real examples it was not shown to be trusted.
COMPETENCE_Z = 2.0


@dataclass(frozen=True)
class Competence:
    """How often a judge gives real examples it was not shown their own label, against chance."""

    accuracy: float
    scored: int
    chance: float

    @property
    def competent(self) -> bool:
        """Clearly better than chance: `COMPETENCE_Z` standard errors of a guess at chance on this many examples."""
        return self.scored > 0 and self.accuracy - self.chance >= guess_margin(self.chance, self.scored, COMPETENCE_Z)

    def __str__(self) -> str:
        return f"{self.accuracy:.0%} of {self.scored} pool examples it was not shown (chance {self.chance:.0%})"

    def to_dict(self) -> dict[str, Any]:
        return {"accuracy": round(self.accuracy, 3), "scored": self.scored, "chance": round(self.chance, 3)}


def competence(judge: ChainJudge, examples: Sequence[dict[str, str]]) -> Competence:
    """How `judge` labels the labelled `examples` that its prompt does not show."""
    shown = {e["text"] for e in judge.task.examples}
    texts, labels = _labelled([e for e in examples if e.get("text") not in shown])
    verdicts = judge.judge(texts)
    right = sum(v.names(label) for v, label in zip(verdicts, labels))
    return Competence(right / len(texts) if texts else 0.0, len(texts), 1 / max(1, len(judge.task.classes)))


def judge_task(classify: Task, task: Task, examples: Sequence[dict[str, str]], per_class: int = 2) -> Task:
    """The `classify` task set up like `task` (classes, context), shown `per_class` real labelled examples per class.

    Shots alternate between classes so the last one does not sway a small model towards its label.
    """
    texts, labels = _labelled(examples)
    by_label: dict[str, list[str]] = {}
    for text, label in zip(texts, labels):
        by_label.setdefault(label, []).append(text)
    shots = [
        {"id": f"judge-{label}-{i}", "text": group[i], "label": label}
        for i in range(per_class)
        for label, group in sorted(by_label.items())
        if i < len(group)
    ]
    update: dict[str, Any] = {"classes": task.classes or sorted(set(labels)), "examples": shots or classify.examples}
    if task.context or shots:
        # The template's own context describes its own examples; for the user's texts it would mislead.
        update["context"] = task.context or ""
    return Task.model_validate({**classify.model_dump(), **update})
