"""Whether an answer is whole text in its task's language: no cut or control characters, no Hangul jamo
standing alone, letters mostly of the language's script, and none of a third script.

A token cut mid-character decodes to U+FFFD, and a small model sampling Korean can drift into strings of
syllables ("가심사 대례인 방도관적이자자의") ending in one, or into English; neither may become a row. A
multilingual model also slips single tokens of another script into a word ("난 화ум이 좋아요", Cyrillic).
"""

from __future__ import annotations

import re
import unicodedata

# Characters no answer holds: replacement characters, and control, surrogate, private-use or unassigned ones.
_REPLACEMENTS = {"\ufffd": "U+FFFD, a character cut mid-token", "\ufffc": "U+FFFC, an object placeholder"}
_GARBAGE_CATEGORIES = {"Cc", "Cs", "Co", "Cn"}
_HANGUL_SYLLABLE = re.compile(r"[\uac00-\ud7a3]")
# Compatibility jamo (ㄱ..ㆎ) and conjoining jamo left uncomposed.
_JAMO_RUN = re.compile(r"[\u3131-\u318e\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff]+")
# Laughter, tears and a flat face stand alone in real reviews ("수작임 ㅋ", "3편도 제발 ㅠ"); other lone jamo
# are a syllable broken apart. Runs of two or more ("ㅋㅋ", "ㄷㄷ", "ㅇㅇ") are shorthand and pass.
_EMOTIVE_JAMO = frozenset("ㅋㅎㅠㅜㅡ")
MIN_SHARE = 0.6
"""Least share of an answer's letters that must be of its language's script."""


def _hangul(ch: str) -> bool:
    return bool(_HANGUL_SYLLABLE.match(ch) or _JAMO_RUN.match(ch))


def _latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN ")


# Language code -> (language name, script name, test for a letter of that script). Others are not checked.
SCRIPTS = {"ko": ("Korean", "Hangul", _hangul), "en": ("English", "Latin", _latin)}


def broken_character(text: str) -> str | None:
    """The first character no answer may hold, described, or None."""
    for ch in text:
        if ch in _REPLACEMENTS:
            return _REPLACEMENTS[ch]
        if unicodedata.category(ch) in _GARBAGE_CATEGORIES and ch not in "\t\n":
            return f"the control character U+{ord(ch):04X}"
    return None


def lone_jamo(text: str) -> str | None:
    """A Hangul jamo standing alone, outside a syllable and not next to another jamo, or None."""
    for run in _JAMO_RUN.finditer(unicodedata.normalize("NFC", text)):
        if len(run.group()) == 1 and run.group() not in _EMOTIVE_JAMO:
            return run.group()
    return None


def script_share(text: str, language: str) -> float | None:
    """The share of `text`'s letters written in `language`'s script; None for a language not in SCRIPTS or
    a text without letters."""
    if language not in SCRIPTS:
        return None
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    in_script = SCRIPTS[language][2]
    return sum(map(in_script, letters)) / len(letters)


def _shared(ch: str) -> bool:
    """Letters any language's text may hold: Latin for names, brands and code ("OST", "Python"), Greek and
    the micro sign for symbols ("β-blockers", "5 µm")."""
    return _latin(ch) or unicodedata.name(ch, "").startswith(("GREEK ", "MICRO "))


def foreign_letters(text: str, language: str) -> str | None:
    """The letters of `text` of a script neither `language`'s own nor shared, or None: a third script in a
    row is the model drifting. An English row may quote a title in its own script ("the drama 사랑의 불시착"),
    so there only a word that mixes scripts counts ("gre很at")."""
    if language not in SCRIPTS:
        return None
    in_script = SCRIPTS[language][2]
    words = text.split() if in_script is _latin else [text]
    odd = ""
    for word in words:
        foreign = "".join(ch for ch in word if ch.isalpha() and not in_script(ch) and not _shared(ch))
        if foreign and (in_script is not _latin or any(map(in_script, word))):
            odd += foreign
    return odd or None


def _script_name(ch: str) -> str:
    """`ум` -> Cyrillic, `好` -> CJK, from the character's Unicode name."""
    return unicodedata.name(ch, "unknown").split()[0].title().replace("Cjk", "CJK")


def language_problem(text: str, language: str | None) -> str | None:
    """Why `text` does not read as `language` (too few letters of its script, or letters of a third one),
    or None."""
    share = None if language is None else script_share(text, language)
    if share is None:
        return None
    name, script, _ = SCRIPTS[language]
    if share < MIN_SHARE:
        return f"expected {name}, got {share:.0%} {script} letters (at least {MIN_SHARE:.0%} needed)"
    if odd := foreign_letters(text, language):
        return f"expected {name}, got {_script_name(odd[0])} letters {odd!r} in a {script} text"
    return None
