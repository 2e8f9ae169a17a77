"""Numbers a sentence states and what each one counts: "three hours" is 3 of `hour`, "$120" is 120 of `dollar`.

A restatement that keeps the number but changes its unit ("three hours" -> "three days") changes a fact as
much as one that changes the number. The unit is the noun right after the number, compared by lemma, with
a quantity's usual unit preferred over a modifier before it ("three long hours" counts hours); a sign before
the number ($, €, £, ₩, ¥) or % after it is a unit too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chains.checks.words import STOPWORDS, lemma

_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
NUMBER_WORDS = {word: value for value, word in enumerate(_UNITS)}
NUMBER_WORDS.update(
    {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
)
# Ordinals are counts too: "by the second day" is not "by the first day". "First" is left out: "at first" and
# "first of all" count nothing.
NUMBER_WORDS.update(
    {
        w: i + 2
        for i, w in enumerate("second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())
    }
)
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_DIGITS = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")  # "1,200" is one number; "5, 6" are two
_WORD = re.compile(rf"[A-Za-z][A-Za-z'’-]*|{_DIGITS.pattern}|[^\sA-Za-z\d]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_PER_CENT = re.compile(r"\bper\s+cent\b", re.IGNORECASE)
_CURRENCY_SIGNS = {"$": "dollar", "€": "euro", "£": "pound", "₩": "won", "¥": "yen"}
# Other spellings of common units -> one name: time, money, distance, weight and percent.
_ALIASES = {
    "second": "sec secs second seconds",
    "minute": "min mins minute minutes",
    "hour": "hr hrs hour hours",
    "day": "day days",
    "night": "night nights",
    "week": "wk wks week weeks",
    "month": "month months",
    "year": "yr yrs year years",
    "dollar": "dollar dollars buck bucks usd",
    "euro": "euro euros eur",
    "pound": "pound pounds quid gbp lb lbs",
    "won": "won krw",
    "yen": "yen jpy",
    "cent": "cent cents",
    "percent": "percent pct",
    "kilometre": "km kms kilometre kilometres kilometer kilometers",
    "mile": "mile miles mi",
    "metre": "m metre metres meter meters",
    "kilogram": "kg kgs kilo kilos kilogram kilograms",
    "gram": "g gr gram grams gramme grammes",
    "centimetre": "cm centimetre centimetres centimeter centimeters",
    "millimetre": "mm millimetre millimetres millimeter millimeters",
    "litre": "l litre litres liter liters",
    "millilitre": "ml millilitre millilitres milliliter milliliters",
    "ounce": "oz ounce ounces",
    "o'clock": "am pm o'clock oclock",
    "game": "game games match matches",
    "win": "win wins victory victories",
}
UNIT_OF = {lemma(spelling): unit for unit, spellings in _ALIASES.items() for spelling in spellings.split()}
# Words that say how the quantity is meant, not what it counts: skipped when looking for the unit.
_MODIFIERS = frozenset(
    "more extra additional full whole long short straight consecutive solid entire other separate".split()
)
# Ordinals ("3rd floor") count nothing. A time of day ("5pm", "five o'clock") is one unit, `o'clock`: "six
# hours" is not "6 PM".
_NO_UNIT = frozenset("p st nd rd th against".split())  # nor does a score's side: "won 3-0 against Leeds"
# Words before a number that make it a name, not a count: "room 3 opens at 9" counts no `open`.
_LABELS = frozenset(
    """room rooms gate flight platform floor level chapter page number no season episode part step table seat row
    track terminal route bus line version model exit door building block apartment suite""".split()
)
_WINDOW = 2
_TIMES = {"twice": 2.0, "thrice": 3.0}
# Korean: native numerals count only before a counter ("세 시간" is 3 hours; "네" alone is "yes"), and a
# counter keeps its meaning under the particle after it ("3시간이나", "3개를").
_KO_NUMBERS = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10}
_KO_NUMBERS |= {"스무": 20, "서른": 30, "마흔": 40, "쉰": 50}
# Written onto the numeral ("두마리", "세시간"): only counters no common word starts with after one ("세대"
# is a generation, "열대" tropical).
_KO_JOINABLE = "시간 개월 개 명 번 살 달 년 마리 권 잔 병 그릇 송이 켤레 가지 군데 편".split()
_KO_JOINED = re.compile(rf"^({'|'.join(_KO_NUMBERS)})(?=(?:{'|'.join(_KO_JOINABLE)}))")
_KO_COUNTERS = tuple(
    sorted([*_KO_JOINABLE, *"일 주 분 초 원 장 대 층 점 배 벌 채 곳 회 박".split()], key=len, reverse=True)
)
_TWELVE = frozenset({"noon", "midday", "midnight"})  # "after midnight" is "after 12 AM"
# Spans of an hour told in words, as minutes; the longest first, since "an hour" ends "a quarter of an hour".
_HOURS_IN_WORDS = [
    (re.compile(rf"\b{words}\b", re.IGNORECASE), minutes)
    for words, minutes in (
        ("(?:an|one) hour and a half", "90 minutes"),
        ("(?:an|one) hour and a quarter", "75 minutes"),
        ("three quarters of an hour", "45 minutes"),
        ("(?:a )?quarter of an hour", "15 minutes"),
        ("half an hour", "30 minutes"),
        ("(?:an|one) hour", "60 minutes"),
    )
]
# Hour shift and minutes of a time told in words: "quarter to nine" is 8:45.
_CLOCK_PARTS = {("half", "past"): (0, "30"), ("quarter", "past"): (0, "15"), ("quarter", "to"): (-1, "45")}
# "the end of March" (or "March's end", "through March") is "March 31": the day a month ends on (February's in a
# common year).
_LAST_DAY = dict(
    zip(
        "january february march april may june july august september october november december".split(),
        (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31),
    )
)
# Nouns that can name any count of their kind.
_GENERIC = frozenset(lemma(w) for w in "people persons individuals items things pieces objects ones".split())


@dataclass(frozen=True)
class Quantity:
    """A number, the unit it counts (a lemma; None when no noun follows it) and the word as written."""

    value: float
    unit: str | None = None
    written: str = ""
    nearby: frozenset[str] = frozenset()
    """Units of the next few words: "three hours late" has {hour, late}."""


def _tokens(text: str) -> list[str]:
    """Lower-case words, numbers and punctuation runs; a hyphened word is split ("three-hour": three, -, hour),
    and so is a Korean numeral written onto its counter ("두마리": 두, 마리)."""
    tokens = []
    for token in _WORD.findall(_PER_CENT.sub("percent", text)):
        token = token.lower().replace("’", "'")
        if joined := _KO_JOINED.match(token):
            tokens += [joined[1], token[joined.end() :]]
        elif token[0].isalpha() and "-" in token.strip("-"):
            parts = token.split("-")
            tokens += [piece for part in parts for piece in ("-", part) if part][1:]
        else:
            tokens.append(token)
    return tokens


def _clock_words(tokens: list[str]) -> list[str]:
    """`tokens` with a time told in words written as on a clock: "half past ten" as 10 : 30, "quarter to
    nine" as 8 : 45, so that they state what "10:30" and "8:45" state."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        part, hour = tuple(tokens[i : i + 2]), tokens[i + 2] if i + 2 < len(tokens) else ""
        value = NUMBER_WORDS.get(hour, int(hour) if hour.isdigit() else 0)
        if part in _CLOCK_PARTS and 1 <= value <= 12:
            shift, minutes = _CLOCK_PARTS[part]
            out += [str((value + shift - 1) % 12 + 1), ":", minutes]
            i += 3
        else:
            out.append(tokens[i])
            i += 1
    return out


def _names_month_end(tokens: list[str], i: int, possessive: bool) -> bool:
    """Whether the month at `i` is named by its last day: "the end of March", "March's end", "through March"."""
    if possessive:
        return tokens[i + 1 : i + 2] == ["end"]
    return tokens[max(0, i - 2) : i] == ["end", "of"] or tokens[max(0, i - 1) : i] == ["through"]


def _names_one(tokens: list[str], start: int) -> bool:
    """Whether the number starting at `tokens[start]` names one of many ("room 3", "flight 202") and counts nothing."""
    return start > 0 and tokens[start - 1] in _LABELS


def _unit(
    tokens: list[str], start: int, sign: str | None, label: bool = False
) -> tuple[str | None, str, frozenset[str]]:
    """The unit of a number whose next token is `tokens[start]`: a currency sign before it, % after it, or
    the first noun-like word after it (a known unit first among the next two); none for a label."""
    if sign is not None:
        return _CURRENCY_SIGNS[sign], sign, frozenset({_CURRENCY_SIGNS[sign]})
    if label:
        return None, "", frozenset()
    if start < len(tokens) and tokens[start].startswith("%"):
        return "percent", "%", frozenset({"percent"})
    words: list[tuple[str, str]] = []
    for token in tokens[start:]:
        if token == "-" or token in _MODIFIERS:
            continue
        if not token[0].isalpha() or token in STOPWORDS or token in _NO_UNIT or token in NUMBER_WORDS | SCALES:
            break
        if token.endswith(("ed", "ing")) and lemma(token) not in UNIT_OF:  # a verb: "a dozen stayed"
            break
        counter = next((c for c in _KO_COUNTERS if token.startswith(c)), None) if _HANGUL.match(token) else None
        words.append((counter, token) if counter else (UNIT_OF.get(lemma(token), lemma(token)), token))
        if len(words) == _WINDOW:
            break
    nearby = frozenset(unit for unit, _ in words)
    known = [w for w in words if w[0] in _ALIASES]
    unit, written = (known or words or [(None, "")])[0]
    return unit, written, nearby


def quantities(text: str) -> list[Quantity]:
    """Each number the text states, in digits or words ("two and a half hours" = 2.5 hours, "1,200" = 1200),
    with what it counts."""
    tokens = _clock_words(_tokens(text)) + ["."]
    found: list[Quantity] = []
    value, seen, begin, end = 0.0, False, 0, 0
    for i, token in enumerate(tokens):
        if not seen:
            begin = i
        if token in NUMBER_WORDS:
            value, seen, end = value + NUMBER_WORDS[token], True, i + 1
        elif token in SCALES and (seen or (i and tokens[i - 1] in ("a", "an"))):
            value, seen, end = max(value, 1.0) * SCALES[token], True, i + 1
        elif token == "dozen":
            value, seen, end = max(value, 1.0) * 12, True, i + 1
        elif token == "half" and seen and tokens[i - 2 : i] == ["and", "a"]:
            value, end = value + 0.5, i + 1
        elif token in ("and", "a", "-") and seen:  # "two hundred and fifty", "twenty-five"
            continue
        else:
            if seen:
                found.append(Quantity(value, *_unit(tokens, end, None, _names_one(tokens, begin))))
                value, seen = 0.0, False
            if token in _TIMES:  # "stops twice" is "makes two stops": a count of what the verb does, no unit
                found.append(Quantity(_TIMES[token], written=token))
            elif token in _KO_NUMBERS and _HANGUL.match(tokens[i + 1]) and tokens[i + 1].startswith(_KO_COUNTERS):
                found.append(Quantity(float(_KO_NUMBERS[token]), *_unit(tokens, i + 1, None)))
            elif token in _TWELVE:
                found.append(Quantity(12.0, "o'clock", token, frozenset({"o'clock"})))
            elif (month := token.removesuffix("'s")) in _LAST_DAY and _names_month_end(tokens, i, month != token):
                found.append(Quantity(float(_LAST_DAY[month]), written=month))
            elif token == "00" and tokens[i - 1] == ":":  # "9:00 AM" is "9 AM"
                continue
            elif _DIGITS.fullmatch(token):
                sign = tokens[i - 1][-1] if i and tokens[i - 1][-1] in _CURRENCY_SIGNS else None
                unit = _unit(tokens, i + 1, sign, _names_one(tokens, i))
                found.append(Quantity(float(token.replace(",", "")), *unit))
    return found


def numbers(text: str) -> frozenset[float]:
    """The numbers a text states; 1 and "a" are left out, since "one" is as often a pronoun ("one of the
    staff") as a count."""
    return frozenset(q.value for q in quantities(text) if q.value != 1)


def in_minutes(text: str) -> frozenset[float]:
    """`numbers(text)` with every span of hours counted in minutes ("half an hour" and "an hour and a half"
    included), so that "90 minutes" and "an hour and a half" state the same number."""
    for words, minutes in _HOURS_IN_WORDS:
        text = words.sub(minutes, text)
    values = (q.value * 60 if q.unit == "hour" else q.value for q in quantities(text))
    return frozenset(v for v in values if v != 1)


def changed_unit(answer: str, source: str) -> str | None:
    """How the answer changed what one of the source's numbers counts ("3 days where the input has 3 hours"),
    or None. A number without a noun after it on either side ("opens at 9") is not compared."""
    ours, theirs = quantities(answer), quantities(source)
    for value in sorted({q.value for q in ours} & {q.value for q in theirs}):
        mine = [q for q in ours if q.value == value and q.unit]
        wanted = [q for q in theirs if q.value == value and q.unit]
        if not mine or not wanted:
            continue
        units, wanted_units = {q.unit for q in mine}, {q.unit for q in wanted}
        if (units | wanted_units) & _GENERIC:  # "30 people" for "30 guests" counts the same guests
            continue
        near, wanted_near = set().union(*(q.nearby for q in mine)), set().union(*(q.nearby for q in wanted))
        if not units & wanted_near and not wanted_units & near:
            return f"{value:g} {mine[0].written} where the input has {value:g} {wanted[0].written}"
    return None
