"""Facts a restatement must keep from its source: its numbers, its negation and its names.

A sentence embedding barely moves when "forty minutes" becomes "four hours" or "never arrived" becomes
"arrived", so a paraphrase can pass the meaning check with a fact changed. These checks read the words:
numbers (digits and number words, normalised: "forty" = 40 = "40"), whether the sentence is negated, and
capitalised names. Korean text is checked for digits and negation (안, 않, 못, 없, 아니); it has no capitals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
NUMBER_WORDS = {word: value for value, word in enumerate(_UNITS)}
NUMBER_WORDS.update(
    {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
)
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
OTHER_NUMBERS = {"dozen": 12, "half": 0.5, "a half": 0.5}
# Negation words; "no" and "not" alone, and the n't of a contraction. "Hardly a classic" says "not a classic".
NEGATIONS = {"not", "no", "never", "nothing", "nobody", "none", "nowhere", "neither", "nor", "cannot", "without"}
NEGATIONS |= {"hardly", "barely", "scarcely"}
NEGATIONS_KO = re.compile(r"(?:^|\s)(?:안|못)\s|않|없|아니|못하")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,]*(?:\.\d+)?|[^\sA-Za-z\d]+")
_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
# A capitalised word that starts a sentence is not taken for a name unless it is capitalised elsewhere too.
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)[\"'“‘(]*([A-Z][\w'’-]*)")
_POSSESSIVE = re.compile(r"['’]s?$")
NOT_NAMES = {"I", "I'm", "I've", "I'd", "I'll", "OK", "Ok", "TV"}


@dataclass(frozen=True)
class Facts:
    """What a sentence states that a restatement may not change."""

    numbers: frozenset[float]
    negated: bool
    names: frozenset[str]


def numbers(text: str) -> frozenset[float]:
    """The numbers a text states, in digits or words ("two and a half" = 2.5, "1,200" = 1200); 1 and "a"
    are left out, since "one" is as often a pronoun ("one of the staff") as a count."""
    found: list[float] = [float(d.replace(",", "")) for d in _DIGITS.findall(text)]
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    value, seen = 0.0, False
    for i, word in enumerate(words + ["."]):
        parts = word.split("-") if "-" in word and all(p in NUMBER_WORDS for p in word.split("-")) else [word]
        if all(p in NUMBER_WORDS for p in parts):
            value += sum(NUMBER_WORDS[p] for p in parts)
            seen = True
        elif word in SCALES and (seen or (i and words[i - 1] in ("a", "an"))):
            value = max(value, 1.0) * SCALES[word]
            seen = True
        elif word == "dozen":
            value, seen = max(value, 1.0) * 12, True
        elif word == "half" and i and words[i - 1] == "a" and i > 1 and words[i - 2] == "and" and seen:
            value += 0.5
        elif word in ("and", "a") and seen:
            continue
        elif seen:
            found.append(value)
            value, seen = 0.0, False
    return frozenset(n for n in found if n != 1)


def negated(text: str) -> bool:
    """Whether the text is negated (an odd number of negations would be too clever: any counts)."""
    if NEGATIONS_KO.search(text):
        return True
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    return any(w in NEGATIONS or w.endswith("n't") for w in words)


def names(text: str) -> frozenset[str]:
    """Capitalised words that are not the first word of a sentence, in lower case without a possessive
    ("Hilton", "Sarah's" -> "sarah")."""
    starts = {m.start(1) for m in _SENTENCE_START.finditer(text)}
    words = list(re.finditer(r"[A-Za-z][\w'’-]*", text))
    capitalised = [
        (m.start(), _POSSESSIVE.sub("", m.group()))
        for i, m in enumerate(words)
        if m.group()[0].isupper() and _name_like(m.group(), words[i - 1 : i] + words[i + 1 : i + 2])
    ]
    mid = {word.lower() for start, word in capitalised if start not in starts}
    first = {word.lower() for start, word in capitalised if start in starts}
    return frozenset(mid | (first & mid))


def _name_like(word: str, neighbours: list[re.Match]) -> bool:
    """A capitalised word that can be a name: not "I" and the like, and in capitals only if short and alone
    (an acronym like "BBC"), since a longer word or a run in capitals ("TOO MUCH TO ASK") is emphasis."""
    if word in NOT_NAMES:
        return False
    if not (word.isupper() and len(word) > 1):
        return True
    shouted = any(n.group().isupper() and len(n.group()) > 1 for n in neighbours)
    return not (shouted or len(word) > 5 or word.lower() in NEGATIONS | NUMBER_WORDS.keys())


def _mentions(text: str, name: str) -> bool:
    """Whether `text` (lower case) names `name`, or each part of a hyphened one ("b-movies": "B movies")."""
    return all(re.search(rf"\b{re.escape(part)}\b", text) for part in name.split("-") if part)


def facts(text: str) -> Facts:
    return Facts(numbers(text), negated(text), names(text))


def changed_fact(answer: str, source: str) -> str | None:
    """Which fact of `source` the restatement `answer` changed, in words; None when it kept them all."""
    want, got = facts(source), facts(answer)
    if want.numbers != got.numbers:
        return f"its numbers are {_show(got.numbers)}, the input's {_show(want.numbers)}"
    if want.negated != got.negated:
        return "it drops the input's negation" if want.negated else "it negates what the input states"
    missing = sorted(name for name in want.names if not _mentions(answer.lower(), name))
    if missing:
        return f"it leaves out the name {missing[0]!r}"
    added = sorted(name for name in got.names if not _mentions(source.lower(), name))
    if added:
        return f"it brings in the name {added[0]!r}"
    return None


def _show(values: frozenset[float]) -> str:
    return "{" + ", ".join(f"{v:g}" for v in sorted(values)) + "}" if values else "none"
