"""Checks of an answer against the source text it restates: not a copy or near-copy, the same facts, the same
meaning, the same form.

No-copy decoding keeps a small model from copying, and pushes some answers off the task instead (a
blocked paraphrase of a question often becomes its answer); these checks catch that.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from chains.checks.dedup import dedup_key
from chains.checks.embeddings import vocabulary
from chains.checks.facts import changed_fact
from chains.checks.words import STOPWORDS

# Word-sequence similarity at or above which an answer is the source with a word or two changed.
NEAR_COPY = 0.8
# Embedding cosine below which an answer no longer says what its source says.
MIN_SIMILARITY = 0.6
_QUESTION = re.compile(r"[?？]\W*$")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class Rejection:
    """Why an answer was refused: a machine-readable kind and a sentence for people."""

    kind: str
    reason: str


_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("ly", ""), ("s", ""))


def _stem(word: str) -> str:
    """A crude stem, so that "rooms"/"room" and "waited"/"waiting" count as one word."""
    word = word.removesuffix("'s").removesuffix("’s")
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + replacement
    return word


def content_words(text: str) -> list[str]:
    """The text's words in order without function words, each stemmed; all its words if none are left."""
    words = dedup_key(text).split()
    content = [_stem(w) for w in words if w not in STOPWORDS]
    return content or words


def word_similarity(answer: str, source: str) -> float:
    """How much of the two texts' content words, in order, they share (difflib ratio over stemmed words
    without function words): 1 is a copy. A restatement that only shares "the", "was" and "a" is not one."""
    a, b = content_words(answer), content_words(source)
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() if a or b else 1.0


def is_question(text: str) -> bool:
    """True for a text that ends with a question mark."""
    return _QUESTION.search(text.strip()) is not None


def glued_words(answer: str, source: str) -> str | None:
    """Two neighbouring words of the source that the answer runs together, as the answer writes them, where
    the result is no word and one part is a function word or a capital shows the seam ("thismorning",
    "toToronto", "MainStreet"; not "nobody" or "weekend", words, nor "heatwave", a spelling of two nouns).
    None without a vocabulary to tell. Latin script only: Korean spacing is loose ("해 주세요", "해주세요")."""
    words = vocabulary()
    if not words:
        return None
    theirs = _LATIN_WORD.findall(source)
    seams = {
        (a + b).lower(): a.lower() in STOPWORDS or b.lower() in STOPWORDS
        for a, b in zip(theirs, theirs[1:])
        if (a + b).lower() not in words
    }
    for word in _LATIN_WORD.findall(answer):
        function_word = seams.get(word.lower())
        if function_word is not None and (function_word or any(c.isupper() for c in word[1:])):
            return word
    return None


class SourceCheck:
    """Refuses answers that copy or nearly copy their source, or change its facts, meaning or form.

    `embed` (unit-length sentence embeddings) is needed for the meaning check; without it only copies,
    form and (unless `facts` is False) the facts of `chains.checks.facts` are checked.
    """

    def __init__(
        self,
        embed: Callable[[list[str]], Sequence[Sequence[float]]] | None = None,
        near_copy: float = NEAR_COPY,
        min_similarity: float = MIN_SIMILARITY,
        facts: bool = True,
    ) -> None:
        if not 0 < near_copy <= 1:
            raise ValueError(f"near_copy must be in (0, 1], got {near_copy}")
        if not -1 <= min_similarity <= 1:
            raise ValueError(f"min_similarity must be a cosine in [-1, 1], got {min_similarity}")
        self.embed, self.near_copy, self.min_similarity, self.facts = embed, near_copy, min_similarity, facts

    def check(self, pairs: Sequence[tuple[str, str]]) -> list[Rejection | None]:
        """For each (answer, source): None if it passes, else why not."""
        verdicts: list[Rejection | None] = [self._form(answer, source) for answer, source in pairs]
        pending = [i for i, v in enumerate(verdicts) if v is None]
        if self.embed is not None and pending:
            texts = [t for i in pending for t in pairs[i]]
            vectors = np.asarray(self.embed(texts), dtype=np.float32)
            for j, i in enumerate(pending):
                cosine = float(vectors[2 * j] @ vectors[2 * j + 1])
                if cosine < self.min_similarity:
                    verdicts[i] = Rejection(
                        "meaning", f"meaning drifted from the input (cosine {cosine:.2f} < {self.min_similarity})"
                    )
        return verdicts

    def _form(self, answer: str, source: str) -> Rejection | None:
        """Copy, then form (a question answered is neither a copy nor a restatement), glued words, near-copy,
        facts."""
        if dedup_key(answer) == dedup_key(source):
            return Rejection("copy", "copy of the input")
        if is_question(source) != is_question(answer):
            wanted = "a question" if is_question(source) else "a statement"
            return Rejection("form", f"the input is {wanted}, the answer is not")
        if glued := glued_words(answer, source):
            return Rejection("glued", f"runs two of the input's words together: {glued!r}")
        similarity = word_similarity(answer, source)
        if similarity >= self.near_copy:
            return Rejection("near_copy", f"near-copy of the input (word similarity {similarity:.2f})")
        if self.facts and (changed := changed_fact(answer, source)) is not None:
            return Rejection("changed_fact", f"changed a fact of the input: {changed}")
        return None
