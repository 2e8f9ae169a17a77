"""Output parsers that accept one word, one sentence, a list of sentences or one label, and nothing else."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.output_parsers import BaseOutputParser
from pydantic import Field, model_validator

from chains.checks.cleaning import (
    answer_lines,
    clean_line,
    drop_trailing_note,
    is_chatter,
    label_key,
    not_an_abbreviation,
    quoted_span,
)
from chains.checks.script import broken_character, language_problem, lone_jamo
from chains.task import Task

_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"^[^\W_][\w'’\-&]*$")
_TRAILING_PUNCT = ".!?,;:。？！、"
_SENTENCE_END = re.compile(r"(?<=[.!?。？！])" + not_an_abbreviation(r"\.") + r"\s+(?=\S)")
_QUOTES = "\"'“”‘’「」『』«» "
_KO_COPULA = re.compile(r"^(?:입니다|이에요|예요|이다|임)?[.!。]?$")


class RefusedAnswer(OutputParserException):
    """An answer the parser refuses; `kind` says why in a word: `parse` (not of the task's kind), `broken_text`
    (a cut or control character, a lone jamo), `language` (not in the task's language) or `task_talk` (it
    speaks of the prompt's classes instead of being an example of one)."""

    def __init__(self, reason: str, raw: str, kind: str = "parse"):
        super().__init__(reason, llm_output=raw)
        self.kind = kind


def _fail(reason: str, raw: str, kind: str = "parse") -> RefusedAnswer:
    return RefusedAnswer(reason, raw, kind)


def _check_characters(text: str, raw: str, where: str = "") -> None:
    """Refuses `text` holding a character no answer may hold, such as U+FFFD from a token cut mid-character."""
    if broken := broken_character(text):
        raise _fail(f"expected whole characters, got {broken}{where}", raw, "broken_text")


def _check_language(text: str, raw: str, language: str | None, where: str = "") -> None:
    """Refuses `text` with a Hangul jamo standing alone, or not written mostly in `language`'s script."""
    if jamo := lone_jamo(text):
        raise _fail(f"expected whole Hangul syllables, got the lone jamo {jamo!r}{where}", raw, "broken_text")
    if problem := language_problem(text, language):
        raise _fail(problem + where, raw, "language")


def task_talk(text: str, terms: tuple[str, ...]) -> str | None:
    """The prompt's term (a class name, a class description) that `text` quotes, or the description of several
    words it repeats, or None: "죄송합니다, 'conversations' 클래스에 해당하는 예시를 제공하지 못했습니다."."""
    flat = label_key(text)
    for term in terms:
        quoted = re.search(rf"[{_QUOTES.strip()}]\s*{re.escape(term)}\s*[{_QUOTES.strip()}]", text, re.IGNORECASE)
        if quoted or (len(term.split()) > 1 and label_key(term) in flat):
            return term
    return None


def _check_task_talk(text: str, raw: str, terms: tuple[str, ...], where: str = "") -> None:
    if term := task_talk(text, terms):
        raise _fail(f"expected an example, got an answer about the task that names {term!r}{where}", raw, "task_talk")


def _words(text: str) -> list[str]:
    return text.split()


def _check_sentence(text: str, raw: str, max_words: int, language: str | None, where: str = "") -> str:
    """`text` if it is one sentence of at most `max_words` words in `language`, else an exception naming why."""
    _check_characters(text, raw, where)
    if not _LETTER.search(text):
        raise _fail(f"expected a sentence, got no words{where}", raw)
    if is_chatter(text):
        raise _fail(f"expected a sentence, got only an acknowledgement {text!r}{where}", raw)
    if text.rstrip().endswith((":", "：")):
        raise _fail(f"expected a sentence, got an introduction ending in ':'{where}", raw)
    parts = _SENTENCE_END.split(text)
    if len(parts) > 1:
        raise _fail(f"expected one sentence, got {len(parts)} sentences{where}", raw)
    count = len(_words(text))
    if count > max_words:
        raise _fail(f"expected at most {max_words} words, got {count}{where}", raw)
    _check_language(text, raw, language, where)
    return text


class _KindParser(BaseOutputParser[Any]):
    """Shared plumbing: the raw text must not be empty."""

    language: str | None = None
    """The task's language (`en`, `ko`): an answer must be written mostly in its script. None: not checked."""
    prompt_terms: tuple[str, ...] = ()
    """The classes and class descriptions the prompt names; an answer may not quote them (sentences only)."""

    def _lines(self, raw: str) -> list[str]:
        lines = answer_lines(raw)
        if not lines:
            raise _fail("empty answer", raw)
        return lines


class WordParser(_KindParser):
    """One word (or a short term up to `max_words` words); "김치찌개" and "Ramen" pass."""

    max_words: int = Field(default=1, gt=0)
    """Widest accepted term, in words."""

    @property
    def _type(self) -> str:
        return "word"

    def get_format_instructions(self) -> str:
        return "Answer with a single word." if self.max_words == 1 else f"Answer with at most {self.max_words} words."

    def parse(self, text: str) -> str:
        answer = self._lines(text)[0].rstrip(_TRAILING_PUNCT).strip()
        # A word answered inside a sentence, in quotes: "오늘 점심으로 '김치찌개'를 추천해요".
        if len(_words(answer)) > self.max_words and (span := quoted_span(answer)):
            answer = span.rstrip(_TRAILING_PUNCT).strip()
        words = _words(answer)
        if not words:
            raise _fail("empty answer", text)
        _check_characters(answer, text)
        if is_chatter(answer):
            raise _fail(f"expected a word, got only an acknowledgement {answer!r}", text)
        if len(words) > self.max_words:
            expected = "one word" if self.max_words == 1 else f"at most {self.max_words} words"
            raise _fail(f"expected {expected}, got {len(words)} words", text)
        for word in words:
            if not _WORD.match(word) or not _LETTER.search(word):
                raise _fail(f"expected a word, got {word!r}", text)
        _check_language(answer, text, self.language)
        return answer


class SentenceParser(_KindParser):
    """One sentence on the first line; later lines are explanations and are dropped."""

    max_words: int = Field(default=40, gt=0)
    """Longest accepted sentence, in words."""

    @property
    def _type(self) -> str:
        return "sentence"

    def get_format_instructions(self) -> str:
        return "Answer with exactly one sentence."

    def parse(self, text: str) -> str:
        answer = _check_sentence(drop_trailing_note(self._lines(text)[0]), text, self.max_words, self.language)
        _check_task_talk(answer, text, self.prompt_terms)
        return answer


class SentencesParser(_KindParser):
    """Several sentences: each list item or line is one; every one must pass the sentence check."""

    max_words: int = Field(default=40, gt=0)
    """Longest accepted sentence, in words."""

    @property
    def _type(self) -> str:
        return "sentences"

    def get_format_instructions(self) -> str:
        return "Answer with one sentence per line."

    def parse(self, text: str) -> list[str]:
        items = [
            clean_line(part) for line in self._lines(text) for part in _SENTENCE_END.split(drop_trailing_note(line))
        ]
        items = [item for item in items if item]
        for i, item in enumerate(items, 1):
            _check_sentence(item, text, self.max_words, self.language, where=f" (item {i})")
            _check_task_talk(item, text, self.prompt_terms, where=f" (item {i})")
        if not items:
            raise _fail("empty answer", text)
        return items


class LabelParser(_KindParser):
    """One of `classes`, matched ignoring case and spaces; returns the class as written in the task."""

    classes: list[str] = Field(min_length=1)
    """The allowed labels."""

    @model_validator(mode="after")
    def _distinct(self) -> LabelParser:
        if len({label_key(c) for c in self.classes}) != len(self.classes):
            raise ValueError("classes must be distinct ignoring case and spaces")
        return self

    @property
    def _type(self) -> str:
        return "label"

    def get_format_instructions(self) -> str:
        return f"Answer with one of: {', '.join(self.classes)}."

    def parse(self, text: str) -> str:
        answer = self._lines(text)[0].rstrip(_TRAILING_PUNCT).strip()
        _check_characters(answer, text)
        key = label_key(answer.strip(_QUOTES))
        by_key = {label_key(c): c for c in self.classes}
        if key in by_key:
            return by_key[key]
        # "Positive. The guest liked it." or "긍정입니다": a class first, then no other class.
        starts = [k for k in by_key if key.startswith(k) and _ends_label(key[len(k) :])]
        mentioned = [k for k in by_key if k in key]
        if len(starts) == 1 and mentioned == starts:
            return by_key[starts[0]]
        shown = answer if len(answer) <= 40 else answer[:37] + "..."
        raise _fail(f"expected one of {', '.join(self.classes)}; got {shown!r}", text)


def _ends_label(rest: str) -> bool:
    """True when what follows a class name is punctuation, a new clause or a Korean copula."""
    return not rest or not _LETTER.match(rest[0]) or bool(_KO_COPULA.match(rest))


def parser_for(task: Task) -> BaseOutputParser[Any]:
    """The parser that enforces `task.output` in `task.language`; a label is one of the classes, whatever
    their language."""
    if task.output == "word":
        return WordParser(max_words=task.max_words, language=task.language)
    terms = (*task.classes, *task.class_descriptions.values())
    if task.output == "sentence":
        return SentenceParser(max_words=task.max_words, language=task.language, prompt_terms=terms)
    if task.output == "sentences":
        return SentencesParser(max_words=task.max_words, language=task.language, prompt_terms=terms)
    return LabelParser(classes=task.classes)
