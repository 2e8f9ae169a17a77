"""Checks of each output kind, written apart from the parsers so that tests can hold the parsers to them."""

import re

LETTER = re.compile(r"[^\W\d_]")


def is_word(value: str, max_words: int = 1) -> bool:
    words = value.split()
    return 1 <= len(words) <= max_words and all(re.fullmatch(r"[^\W_][\w'’&-]*", w) and LETTER.search(w) for w in words)


# A sentence end followed by more text; a period after a title, an initial, "e.g." or "i.e." ends nothing.
SENTENCE_INSIDE = (
    r"(?:[!?。？！]|(?<!\bDr)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bSt)(?<!\bProf)(?<!\bJr)(?<!\bSr)(?<!\bvs)"
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\b[A-Z])\.)\s+\S"
)


def is_sentence(value: str, max_words: int = 40) -> bool:
    return (
        value == value.strip()
        and "\n" not in value
        and LETTER.search(value) is not None
        and re.search(SENTENCE_INSIDE, value) is None
        and len(value.split()) <= max_words
    )


def check(kind: str, value, classes=()) -> bool:
    if kind == "word":
        return is_word(value)
    if kind == "label":
        return value in classes
    if kind == "sentences":
        return isinstance(value, list) and bool(value) and all(is_sentence(v) for v in value)
    return is_sentence(value)
