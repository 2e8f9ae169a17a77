"""Few-shot example selectors: fixed, random, class-aware, length, semantic, mmr, ngram and label-balanced, by name."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from typing import Any

from langchain_core.example_selectors import (
    BaseExampleSelector,
    LengthBasedExampleSelector,
    MaxMarginalRelevanceExampleSelector,
    SemanticSimilarityExampleSelector,
)
from langchain_core.prompts import PromptTemplate

from chains.checks.fidelity import is_question
from chains.task import Task

SELECTORS = ("fixed", "random", "class", "length", "semantic", "mmr", "ngram", "label")
_WORD = re.compile(r"\w+")


class FixedSelector(BaseExampleSelector):
    """The first `k` examples of the pool, in order, for every prompt; with a `source` variable, the first `k` of
    those of its form (`same_form`)."""

    def __init__(self, examples: list[dict[str, str]], k: int, source: str | None = None) -> None:
        self.examples, self.k, self.source = list(examples), k, source

    def add_example(self, example: dict[str, str]) -> None:
        self.examples.append(example)

    def select_examples(self, input_variables: dict[str, str]) -> list[dict]:
        return self.select(input_variables, self.k)

    def select(self, input_variables: dict[str, str], k: int) -> list[dict]:
        """Up to `k` examples for one prompt; a retry may ask for more shots than the selector's own `k`."""
        if self.source is None:
            return self.examples[:k]
        return same_form(self.examples, self.source, str(input_variables.get(self.source, "")))[:k]


class Deck:
    """Deals examples without repeats: a seeded shuffle, dealt `k` at a time, reshuffled only once every
    example has been dealt, so a run of prompts shows every example before any is shown again; and no hand
    repeats an earlier one while another can be dealt."""

    TRIES = 20
    """Reshuffles tried for a hand not dealt before, once the deck had to be refilled."""

    def __init__(self, items: list[dict], rng: random.Random) -> None:
        self.items, self._rng, self._left = list(items), rng, []
        self._dealt: set[frozenset[int]] = set()

    def deal(self, k: int) -> list[dict]:
        k = min(k, len(self.items))
        hand = self._left[:k]
        self._left = self._left[k:]
        if len(hand) < k:  # the deck ran out: a fresh shuffle, without what this hand already holds
            fresh = [e for e in self.items if e not in hand]
            for _ in range(self.TRIES if len(self._dealt) < math.comb(len(self.items), k) else 1):
                self._rng.shuffle(fresh)
                if self._key(hand + fresh[: k - len(hand)]) not in self._dealt:
                    break
            self._left = fresh[k - len(hand) :]
            hand += fresh[: k - len(hand)]
        self._dealt.add(self._key(hand))
        return hand

    def _key(self, hand: list[dict]) -> frozenset[int]:
        return frozenset(id(e) for e in hand)


class RandomSelector(FixedSelector):
    """`k` examples dealt afresh for each prompt from a seeded deck: reproducible, varied across prompts, and
    every example shown before any repeats."""

    def __init__(self, examples: list[dict[str, str]], k: int, seed: int = 0) -> None:
        super().__init__(examples, k)
        self._rng = random.Random(seed)
        self._decks: dict[object, Deck] = {}

    def deck(self, key: object, items: list[dict]) -> Deck:
        """The deck of `items` under `key`, made on first use (and again if the examples changed)."""
        deck = self._decks.get(key)
        if deck is None or deck.items != items:
            deck = self._decks[key] = Deck(items, self._rng)
        return deck

    def select(self, input_variables: dict[str, str], k: int) -> list[dict]:
        return self.deck(None, self.examples).deal(k)


def halves(examples: list[dict[str, str]], seed: int = 0, label_key: str = "label") -> dict[str, int]:
    """Each example's half (0 or 1) of its class, by id: a seeded split, the same for the selector that draws
    shots from one half and for the gate that scores a half's rows on the other half."""
    by_label: dict[str, list[str]] = {}
    for i, example in enumerate(examples):
        by_label.setdefault(example.get(label_key, ""), []).append(str(example.get("id", i)))
    split: dict[str, int] = {}
    for label, ids in sorted(by_label.items()):
        ids = sorted(ids)
        random.Random(f"{seed}:{label}").shuffle(ids)
        split.update({example_id: position % 2 for position, example_id in enumerate(ids)})
    return split


class BalancedLabelSelector(RandomSelector):
    """`k` examples spread evenly over the labels (dealt from each label's deck), so each prompt shows the
    contrast."""

    def __init__(self, examples: list[dict[str, str]], k: int, seed: int = 0, label_key: str = "label") -> None:
        super().__init__(examples, k, seed)
        self.label_key = label_key

    def _by_label(self) -> dict[str, list[dict]]:
        by_label: dict[str, list[dict]] = {}
        for example in self.examples:
            by_label.setdefault(example.get(self.label_key, ""), []).append(example)
        return dict(sorted(by_label.items()))

    def select(self, input_variables: dict[str, str], k: int) -> list[dict]:
        by_label = self._by_label()
        want = min(k, len(self.examples))
        share = {label: 0 for label in by_label}
        while sum(share.values()) < want:  # round-robin over the labels that still have examples
            for label, items in by_label.items():
                if share[label] < len(items) and sum(share.values()) < want:
                    share[label] += 1
        return [e for label, n in share.items() if n for e in self.deck(label, by_label[label]).deal(n)]


class ClassAwareSelector(BalancedLabelSelector):
    """For a prompt that asks for a class: `k` examples of that class, dealt afresh per prompt.

    Each class's examples are split in two halves (`halves`); a class's prompts alternate between them and
    deal from each half's deck, so over a class's prompts every example is shown, no shot set repeats
    while unseen examples remain, and a row's shots come from one half (the gate scores a half's rows on the
    other): a half smaller than `k` gives fewer shots, unless a retry asks for extra ones.

    `contrast` examples of other classes come first, so the requested class's examples stand last, next to
    the request. Without a requested class (or with no examples of it) it balances the
    classes. A small model imitates the examples it is shown: examples of another class pull the new row there.
    """

    def __init__(
        self,
        examples: list[dict[str, str]],
        k: int,
        seed: int = 0,
        label_key: str = "label",
        contrast: int = 0,
        split: bool = True,
    ) -> None:
        super().__init__(examples, k, seed, label_key)
        if contrast < 0:
            raise ValueError("contrast must be 0 or more")
        self.contrast, self.split, self.seed = contrast, split, seed
        self._turns: dict[str, int] = {}

    def select(self, input_variables: dict[str, str], k: int) -> list[dict]:
        by_label = self._by_label()
        wanted = input_variables.get(self.label_key)
        own = by_label.get(wanted, []) if wanted else []
        if not own:
            return super().select(input_variables, k)
        others = [e for label, items in by_label.items() if label != wanted for e in items]
        contrast = self.deck(("contrast", wanted), others).deal(self.contrast) if self.contrast else []
        half = self._turns.get(wanted, 0) % 2
        self._turns[wanted] = self._turns.get(wanted, 0) + 1
        split = halves(own, self.seed, self.label_key) if self.split and len(own) >= 2 else {}
        mine = [e for i, e in enumerate(own) if split.get(str(e.get("id", i)), half) == half]
        rest = [e for e in own if e not in mine]
        shots = self.deck((wanted, half), mine).deal(k)
        # Fewer shots rather than a mix of halves (the gate scores a half's rows on the other), unless a half
        # holds a single example or a retry asks for more shots than the selector's own.
        top_up = k - len(shots) if len(shots) < min(k, 2) or k > self.k else 0
        return contrast + self.deck((wanted, 1 - half), rest).deal(top_up) + shots


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.casefold())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


class NGramOverlapSelector(FixedSelector):
    """The `k` examples whose text shares the most word 1- to 3-grams with the input (ties keep pool order).

    Our own, rather than langchain-community's NGramOverlapExampleSelector: that one needs nltk and the
    whole community package for a score that is a few lines here.
    """

    def __init__(self, examples: list[dict[str, str]], k: int, input_keys: list[str]) -> None:
        super().__init__(examples, k)
        self.input_keys = input_keys

    def _text(self, values: dict[str, str]) -> str:
        return " ".join(values.get(key, "") for key in self.input_keys)

    def score(self, text: str, example: dict[str, str]) -> float:
        """Mean over n = 1..3 of the share of the input's n-grams found in the example."""
        shares = []
        for n in (1, 2, 3):
            wanted = _ngrams(text, n)
            if wanted:
                shares.append(len(wanted & _ngrams(self._text(example), n)) / len(wanted))
        return sum(shares) / len(shares) if shares else 0.0

    def select(self, input_variables: dict[str, str], k: int) -> list[dict]:
        text = self._text(input_variables)
        ranked = sorted(range(len(self.examples)), key=lambda i: -self.score(text, self.examples[i]))
        return [self.examples[i] for i in ranked[:k]]


def same_form(examples: list[dict[str, str]], source: str, text: str) -> list[dict[str, str]]:
    """The examples whose source has the form of `text` (a question, or not), in order; all of them where none
    has. A question shown only statements restated tends to be answered instead of restated."""
    question = is_question(text)
    matching = [e for e in examples if is_question(str(e.get(source, ""))) == question]
    return matching or examples


def choose_examples(selector: BaseExampleSelector, input_variables: dict[str, str], extra: int = 0) -> list[dict]:
    """A selector's examples for one prompt; `extra` more shots where the selector can give them (ours can)."""
    if extra and isinstance(selector, FixedSelector):
        return selector.select(input_variables, selector.k + extra)
    return selector.select_examples(input_variables)


def make_selector(
    name: str,
    task: Task,
    examples: list[dict[str, str]],
    k: int,
    seed: int = 0,
    count_tokens: Callable[[str], int] | None = None,
    max_tokens: int = 400,
    embeddings: Any = None,
) -> BaseExampleSelector:
    """A selector by name over `examples`, choosing up to `k` per prompt.

    `length` needs `count_tokens` (the model's tokenizer) and keeps the shots within `max_tokens`;
    `semantic` and `mmr` need `embeddings` (a LangChain Embeddings).
    """
    keys = task.input_variables or task.answer_variables
    if name == "fixed":
        return FixedSelector(examples, k, task.source)
    if name == "random":
        return RandomSelector(examples, k, seed)
    if name == "label":
        return BalancedLabelSelector(examples, k, seed)
    if name == "class":
        return ClassAwareSelector(examples, k, seed)
    if name == "ngram":
        return NGramOverlapSelector(examples, k, keys)
    if name == "length":
        fmt = task.template_format
        shot = PromptTemplate.from_template(f"{task.instruction}\n{task.answer}", template_format=fmt)
        selector = LengthBasedExampleSelector(
            examples=examples, example_prompt=shot, max_length=max_tokens, get_text_length=count_tokens or _words
        )
        return _FirstK(selector, k)
    if name in ("semantic", "mmr"):
        from langchain_core.vectorstores import InMemoryVectorStore

        if embeddings is None:
            raise ValueError(
                f"the {name} selector needs embeddings; pass embeddings=load_embeddings() "
                "(from chains.checks.embeddings import load_embeddings: all-MiniLM-L6-v2) or any LangChain Embeddings"
            )
        cls = SemanticSimilarityExampleSelector if name == "semantic" else MaxMarginalRelevanceExampleSelector
        return cls.from_examples(examples, embeddings, InMemoryVectorStore, k=k, input_keys=keys)
    raise ValueError(f"unknown selector {name!r}; use one of {', '.join(SELECTORS)}")


def _words(text: str) -> int:
    return len(text.split())


class _FirstK(BaseExampleSelector):
    """At most `k` of another selector's choices."""

    def __init__(self, inner: BaseExampleSelector, k: int) -> None:
        self.inner, self.k = inner, k

    def add_example(self, example: dict[str, str]) -> None:
        self.inner.add_example(example)

    def select_examples(self, input_variables: dict[str, str]) -> list[dict]:
        return self.inner.select_examples(input_variables)[: self.k]
