"""Strip the chatter small models wrap around an answer: preambles, field names, list markers, quotes."""

from __future__ import annotations

import re
import unicodedata

# A period after these ends no sentence: "Dr. Kim", "Mr. Lee", "J. K. Rowling", "e.g. this".
_ABBREVIATIONS = ("Dr", "Mr", "Mrs", "Ms", "St", "Prof", "Jr", "Sr", "vs", "e\\.g", "i\\.e", "[A-Z]")


def not_an_abbreviation(period: str = "") -> str:
    """Lookbehinds that fail where the text before this point (then `period`, a pattern) is an abbreviation."""
    return "".join(rf"(?<!\b{a}{period})" for a in _ABBREVIATIONS)


_SPECIAL_TOKEN = re.compile(r"<\|[^|>]*\|>|</?s>")
_BOLD = re.compile(r"\*\*|__")
# A whole line that only introduces the answer: "Sure!", "Here is a new sentence:", "네, 알겠습니다."
_PREAMBLE_LINE = re.compile(
    r"^(?:sure|certainly|of course|absolutely|okay|ok|great)[!.,]*(?:\s+(?:here|i'd|i'll|i will)\b.*)?$"
    r"|^here(?:'s| is| are)\b.*$"
    r"|^(?:네|예|물론(?:이죠|입니다)?|알겠습니다|좋아요)[,!.~]*(?:\s+(?:여기|다음|알겠|좋아|물론).*)?$"
    r"|^.{0,80}[:：]$",
    re.IGNORECASE,
)
# Inline introductions before the answer on the same line: "Sure! Here is one: X", "Sure! X",
# "네, 물론이죠! X", "알겠습니다. X", "여기 있습니다: X". A bare 네/예 needs punctuation: "네 명" is "four people".
_PREAMBLE_PREFIX = re.compile(
    r"^(?:sure|certainly|of course|absolutely|okay|ok|here(?:'s| is| are))\b[^:：\n]{0,60}[:：]\s*"
    r"|^(?:sure|certainly|of course|absolutely|okay)[!.,]+\s+"
    r"|^(?:네|예|물론(?:이죠|입니다|이에요)?|알겠습니다|알겠어요|좋아요|좋습니다|그럼요)[,!.~]+\s*(?=\S)"
    r"|^(?:여기|다음은|추천(?:드리는|하는)?\s*(?:메뉴|단어|답)(?:는|은))[^:：\n]{0,40}[:：]\s*",
    re.IGNORECASE,
)
# One quoted span inside a longer answer: "오늘은 '김치찌개' 어때요?", I'd suggest "ramen".
# The closing quote may be followed by a Korean particle ('김치찌개'를); the opening one must not follow a letter (I'd).
_QUOTED_SPAN = re.compile(r"(?<!\w)[\"“「『«'‘]([^\"“”「」『』«»'‘’\n]{1,40})[\"”」』»'’]")
# An answer that is only an acknowledgement: "Sure!", "Okay.", "네."
_CHATTER = re.compile(
    r"^(?:sure|certainly|of course|absolutely|okay|ok|네|예|물론(?:이죠|입니다)?|알겠습니다)[!.,~]*$", re.IGNORECASE
)
_FIELD_NAMES = (
    "answer|output|response|result|assistant|sentence|new sentence|paraphrase|paraphrased sentence|"
    "rewritten sentence|rephrased sentence|headline|title|label|class|category|text|word|example|"
    "new example|답|정답|답변|문장|새 문장|새로운 문장|제목|레이블|라벨|클래스|단어|예시"
)
_FIELD_PREFIX = re.compile(rf"^(?:{_FIELD_NAMES})\s*[:：]\s*", re.IGNORECASE)
_LIST_MARKER = re.compile(r"^(?:\d{1,2}[.)]|\(\d{1,2}\)|[-*•·])\s+")
# Closing remarks after a list: "I hope this helps!", "Let me know if ..."
_CLOSER = re.compile(r"^(?:i hope|hope this|let me know|feel free|these are|도움이 되)", re.IGNORECASE)
_OPEN_QUOTES = "\"'“‘「『«"
_CLOSE_QUOTES = "\"'”’」』»"
_INNER_QUOTE = re.compile(r"[\"“”「」『』«»]")  # apostrophes are no quotes: "Don't" stays whole
_TRAILING_NOTE = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")


def strip_quotes(text: str) -> str:
    """`"The bed was comfy."` → `The bed was comfy.`; inner apostrophes stay, and so does a quote closed mid-line."""
    if text and text[0] in _OPEN_QUOTES:
        if len(text) > 1 and text[-1] in _CLOSE_QUOTES and not _INNER_QUOTE.search(text[1:-1]):
            return text[1:-1].strip()
        if len(text) > 2 and text[-2] in _CLOSE_QUOTES and text[-1] in ".!?。" and not _INNER_QUOTE.search(text[1:-2]):
            return (text[1:-2] + text[-1]).strip()
        if not any(c in _CLOSE_QUOTES for c in text[1:]):  # an unterminated opening quote
            return text[1:].strip()
    return text.strip()


def clean_line(line: str) -> str:
    """One line without list marker, field name, inline preamble, bold marks or wrapping quotes."""
    line = _BOLD.sub("", line).strip()
    for _ in range(3):  # prefixes can nest: "1. Answer: "Ramen""
        before = line
        line = _LIST_MARKER.sub("", line)
        line = _PREAMBLE_PREFIX.sub("", line)
        line = _FIELD_PREFIX.sub("", line)
        line = strip_quotes(line)
        if line == before:
            break
    return line


def answer_lines(raw: str) -> list[str]:
    """The cleaned, non-empty lines of a raw answer, with leading preambles and closers dropped."""
    lines = [line.strip() for line in _SPECIAL_TOKEN.sub("", raw).splitlines()]
    lines = [line for line in lines if line]
    # An introduction is only dropped when an answer follows it.
    while len(lines) > 1 and is_preamble(lines[0]):
        lines.pop(0)
    cleaned = [clean_line(line) for line in lines if not _CLOSER.match(line)]
    return [line for line in cleaned if line]


def quoted_span(text: str) -> str | None:
    """The quoted part of `text` when it holds exactly one quoted span, else None."""
    spans = _QUOTED_SPAN.findall(text)
    return spans[0].strip() if len(spans) == 1 and spans[0].strip() else None


def drop_trailing_note(text: str) -> str:
    """`The room was small. (This keeps the meaning.)` → `The room was small.`"""
    return _TRAILING_NOTE.sub("", text).strip() or text


def is_preamble(line: str) -> bool:
    """A line that only introduces an answer, e.g. `Here is a new sentence:`."""
    return _PREAMBLE_LINE.match(_BOLD.sub("", line).strip()) is not None


def is_chatter(text: str) -> bool:
    """An answer that is only an acknowledgement, e.g. `Sure!`."""
    return _CHATTER.match(text.strip()) is not None


def label_key(text: str) -> str:
    """A class name as labels are matched: case, width and spaces ignored ("Not Spam" is "notspam")."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())
