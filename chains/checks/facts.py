"""Facts a restatement must keep from its source: its numbers and what they count, its negation, its names
and the direction of a comparison.

A sentence embedding barely moves when "forty minutes" becomes "four hours" or "never arrived" becomes
"arrived", so a paraphrase can pass the meaning check with a fact changed. These checks read the words:
numbers (digits and number words, normalised: "forty" = 40 = "40") and their units (`chains.checks.quantities`),
whether the sentence is negated, capitalised names, and which side of "smaller than" each thing is on.
A negation that restates the source is no change: "at no cost" for "for free", "not correct" for "wrong",
"did not match the photos" for "smaller than the photos". Korean text is checked for digits and negation
(안, 않, 못, 없, 아니); it has no capitals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chains.checks.events import changed_clock, changed_direction, changed_event, changed_time
from chains.checks.quantities import NUMBER_WORDS, changed_unit, in_minutes, numbers
from chains.checks.words import STOPWORDS, lemma

# Negation words; "no" and "not" alone, and the n't of a contraction. "Hardly a classic" says "not a classic".
NEGATIONS = {"not", "no", "never", "nothing", "nobody", "none", "nowhere", "neither", "nor", "cannot", "without"}
NEGATIONS |= {"hardly", "barely", "scarcely"}
NEGATIONS_KO = re.compile(r"(?:^|\s)(?:안|못)\s|않|없|아니|못하")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,]*(?:\.\d+)?|[^\sA-Za-z\d]+")
# Negations that state something positive: "at no cost" is "free", "no doubt" is "surely".
_POSITIVE_IDIOMS = re.compile(
    r"\b(?:at|for|with) no (?:extra |additional )?(?:cost|charge|fee)\b|\bno (?:extra |additional )?charge\b"
    r"|\bwithout (?:any )?(?:extra )?(?:cost|charge|fee|paying|payment)\b|\bno doubt\b|\bnot only\b|\bno wonder\b"
    r"|\bwithout (?:any |a )?(?:hesitation|doubts?|questions?|fail)\b|\bnot (?:just|merely)\b"
    r"|\b(?:could|can)(?:n't| ?not) (?:have been |be )?(?:better|happier|more \w+)\b",
    re.IGNORECASE,
)


def _both_ways(pairs: dict[str, set[str]]) -> dict[str, set[str]]:
    both: dict[str, set[str]] = {}
    for word, opposites in pairs.items():
        for opposite in opposites:
            both.setdefault(word, set()).add(opposite)
            both.setdefault(opposite, set()).add(word)
    return both


# Words that carry a negation in their meaning: "prohibits photos" restates "does not allow photos", "avoids
# coffee" restates "never drinks coffee", "up to 2 eggs" restates "no more than 2 eggs".
_NEGATIVE_MEANING = re.compile(
    r"\b(?:prohibit|forbid|forbade|bann?(?:s|ed|ing)?\b|avoid|refus|lack|fail|declin|reject|den(?:y|ies|ied)\b|exclud"
    r"|prevent|unaware|unable|absent|missing|against\b|up to\b|at most\b|a maximum of\b|or (?:less|fewer)\b|free of\b"
    r"|rather than\b|instead of\b|closed to\b)",
    re.IGNORECASE,
)
# Opposites: "not correct" restates "wrong". Un-, in-, im-, ir- and dis- words are found without a list.
_OPPOSITES = _both_ways(
    {
        "wrong": {"correct", "right"},
        "incorrect": {"correct", "right"},
        "dirty": {"clean", "spotless"},
        "rude": {"polite", "friendly", "kind"},
        "broken": {"working", "functional"},
        "closed": {"open"},
        "cold": {"hot", "warm"},
        "late": {"punctual", "early"},
        "cheap": {"expensive", "pricey"},
        "small": {"big", "large", "spacious"},
        "noisy": {"quiet"},
        "empty": {"full"},
        "boring": {"interesting", "exciting"},
        "bad": {"good"},
        "free": {"paid"},
        "slow": {"fast", "quick"},
        "short": {"long", "tall"},
        "low": {"high"},
        "light": {"heavy"},
        "old": {"new", "young"},
        "weak": {"strong"},
        "easy": {"hard", "difficult"},
    }
)
# One way only: "did not attend" is "missed", "not cancelled but moved" is "postponed"; "not postponed" is not
# "cancelled".
_SAID_WITHOUT_NOT = {
    "attend": {"missed", "skipped"},
    "attended": {"missed", "skipped"},
    "go": {"missed", "skipped"},
    "charge": {"free"},
    "pay": {"free"},
    "reopen": {"closed"},
    "cancelled": {"postponed", "rescheduled"},
    "canceled": {"postponed", "rescheduled"},
    "remember": {"forgot", "forgotten"},
    "remembered": {"forgot", "forgotten"},
}
_REQUIRES = {"require", "requires", "required", "need", "needs", "needed"}
_NEGATING_PREFIXES = ("un", "in", "im", "ir", "dis")
# Ties between people, each spelling to one: "her brother" is not "her sister", "my mum" is "my mother".
_SPELLINGS = {
    "mother": "mum mom mummy mommy",
    "father": "dad daddy",
    "neighbour": "neighbor",
    "fiance": "fiancee fiancé fiancée",
    "grandmother": "grandma granny",
    "grandfather": "grandpa",
}
_RELATIONS = {
    lemma(word): word
    for word in """mother father parent son daughter child brother sister sibling cousin aunt uncle nephew niece
    grandmother grandfather grandson granddaughter grandparent wife husband fiance boyfriend girlfriend neighbour
    colleague coworker classmate roommate flatmate landlord landlady tenant friend""".split()
} | {lemma(spelling): tie for tie, spellings in _SPELLINGS.items() for spelling in spellings.split()}
_FALSE_PREFIXED = frozenset({"incredible", "infamous", "inflammable", "invaluable", "inhabitable", "unravel"})
# Verbs that, negated, say two things differ: "did not match the photos" restates "smaller than the photos";
# so do "live up to", "look like", "measure up" and "do it justice".
_MISMATCH = re.compile(
    r"^(?:match|reflect|resembl|correspond|compar|represent|depict|portray|convey)\w*$"
    r"|^(?:meets?|met|lives?|lived|looks?|looked|measured?|justice|show|shows|showed|shown)$"
)
# Words ending in -er that are no comparatives.
_NOT_COMPARATIVE = r"(?!(?:rather|other|never|ever|over|after|under|whether|however|either|neither|together)\b)"
# A stated contrast: "smaller than", "more ... than", "different from", "unlike".
_CONTRAST = re.compile(
    rf"\b{_NOT_COMPARATIVE}\w+er than\b|\b(?:more|less|fewer)\b[^.;]*?\bthan\b|\bdiffer|\bunlike\b", re.IGNORECASE
)
# A comparison: the comparative, up to three words of what is compared, "than", then the other side.
_COMPARISON = re.compile(
    rf"\b({_NOT_COMPARATIVE}\w+er|worse|(?:more|less) \w+)\b((?:\s+\w+){{0,3}}?)\s+than\b([^.;,!?]*)", re.IGNORECASE
)
_CLAUSE_START = re.compile(r".*[.;,!?]\s*", re.DOTALL)
_IRREGULAR_COMPARATIVES = {"better": "good", "worse": "bad"}
_DEGREE = frozenset("much far way lot bit slightly even little somewhat considerably significantly".split())
# A capitalised word that starts a sentence is not taken for a name unless it is capitalised elsewhere too.
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)[\"'“‘(]*([A-Z][\w'’-]*)")
_POSSESSIVE = re.compile(r"['’]s?$")
# Short forms of the words of an address, a name's part: "Queen St." is "Queen Street".
_SHORT_FORMS = (
    ("street", "st"),
    ("avenue", "ave"),
    ("road", "rd"),
    ("boulevard", "blvd"),
    ("mount", "mt"),
    ("saint", "st"),
)
# Cities with a name of their own language beside the English one: "Wien" is "Vienna", "Gent" is "Ghent".
_CITY_NAMES = tuple(
    tuple(pair.split("/"))
    for pair in """vienna/wien rome/roma venice/venezia florence/firenze florence/florencia milan/milano naples/napoli
    turin/torino genoa/genova munich/münchen munich/munchen cologne/köln cologne/koln prague/praha warsaw/warszawa
    lisbon/lisboa ghent/gent bruges/brugge antwerp/antwerpen brussels/bruxelles moscow/moskva seville/sevilla
    zurich/zürich geneva/genève geneva/geneve copenhagen/københavn gothenburg/göteborg aarhus/århus
    krakow/kraków krakow/cracow athens/athina""".split()
)
# Each name's other forms, from both lists, looked up once per name rather than searched per check.
_OTHER_FORMS = {
    name: {other for pair in _SHORT_FORMS + _CITY_NAMES if name in pair for other in pair if other != name}
    for name in {name for pair in _SHORT_FORMS + _CITY_NAMES for name in pair}
}
_NAME_IN_PARTS = re.compile(r"\b([A-Z][a-z]+)[ -]([A-Za-z][a-z]+)\b")
NOT_NAMES = {"I", "I'm", "I've", "I'd", "I'll", "OK", "Ok", "TV", "AM", "PM", "A.M.", "P.M."}


@dataclass(frozen=True)
class Facts:
    """What a sentence states that a restatement may not change."""

    numbers: frozenset[float]
    negated: bool
    names: frozenset[str]


def negated(text: str) -> bool:
    """Whether the text is negated (an odd number of negations would be too clever: any counts)."""
    if NEGATIONS_KO.search(text):
        return True
    return any(_is_negation(w) for w in _words(_POSITIVE_IDIOMS.sub(" ", text)))


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


def unrestated_negation(text: str, other: str) -> bool:
    """Whether `text` negates something `other` does not state in positive words. Restatements: an idiom
    ("at no cost" for "free"), an opposite ("not correct" for "wrong", "not friendly" for "unfriendly") and
    a negated "match" or "live up to" where `other` states a contrast ("smaller than", "different from")."""
    if NEGATIONS_KO.search(text):
        return True
    words = _words(_POSITIVE_IDIOMS.sub(" ", text))
    theirs = set(_words(other))
    contrast = _CONTRAST.search(other) is not None
    requires = bool(theirs & _REQUIRES)
    return any(
        _is_negation(w)
        and not (requires and _not_without(words, i))
        and not _restates(words[i + 1 : i + 5], theirs, contrast)
        and not _from_then(words[i + 1 : i + 6], other.lower())
        for i, w in enumerate(words)
    )


def _not_without(words: list[str], i: int) -> bool:
    """Whether the negation `words[i]` is half of "not V without X", which "requires X to V" restates."""
    if words[i] == "without":
        return any(_is_negation(w) for w in words[max(0, i - 4) : i])
    return "without" in words[i + 1 : i + 5]


def _from_then(negated_words: list[str], other: str) -> bool:
    """Whether "not V until T" or "not V before T" is said as V from T: "will not reopen until September 3" as
    "reopens on September 3", "does not open before 9 AM" as "opens at 9 AM" (not "closes at 9 AM")."""
    for j, word in enumerate(negated_words[:-1]):
        if word in ("until", "till", "before"):
            time = next((w for w in negated_words[j + 1 :] if w != "the"), "")
            verbs = {lemma(w) for w in negated_words[:j] if w not in STOPWORDS}
            said = verbs & {lemma(w) for w in _words(other)}
            return (
                bool(said) and re.search(rf"\b(?:at|on|in|from|after) (?:the )?{re.escape(time)}\b", other) is not None
            )
    return False


def _restates(negated_words: list[str], theirs: set[str], contrast: bool) -> bool:
    """Whether the few words after a negation say in the negative what `theirs` (the other text's words) says."""
    for word in negated_words:
        if contrast and _MISMATCH.match(word):
            return True
        prefixed = {prefix + word for prefix in _NEGATING_PREFIXES} - _FALSE_PREFIXED
        opposites = _OPPOSITES.get(word, set()) | _OPPOSITES.get(word.removesuffix("s"), set())  # "never opens"
        opposites |= _SAID_WITHOUT_NOT.get(word, set())
        if (opposites | prefixed) & theirs:
            return True
    return False


def _side(text: str) -> set[str]:
    """The content words of one side of a comparison, as lemmas."""
    return {lemma(w) for w in _words(text) if w[0].isalpha() and w not in STOPWORDS and w not in _DEGREE}


def _base(comparative: str) -> set[str]:
    """The adjectives a comparative can come from: "bigger" -> big, "larger" -> large, "happier" -> happy."""
    word = comparative.lower().removeprefix("more ").removeprefix("less ")
    if word in _IRREGULAR_COMPARATIVES:
        return {_IRREGULAR_COMPARATIVES[word]}
    if " " in comparative or not word.endswith("er"):
        return {word}
    stem = word[:-2]
    return {
        stem,
        word[:-1],
        stem[:-1] if stem[-1:] == stem[-2:-1] else stem,
        stem[:-1] + "y" if stem[-1:] == "i" else stem,
    }


def _opposite(one: str, other: str) -> bool:
    return any(_OPPOSITES.get(a, set()) & _base(other) for a in _base(one))


def reversed_comparison(answer: str, source: str) -> str | None:
    """The comparison of `source` that `answer` turns around, or None: "the room was smaller than the photos
    showed" -> "the photos showed a smaller room than the real one" (the sides swapped) or "the room was
    bigger than the photos showed" (the opposite, same sides). Swapped sides with the opposite word is the
    same comparison ("the photos made the room look bigger than it is")."""
    for theirs in _COMPARISON.finditer(source):
        their_other = _side(theirs.group(3))
        for ours in _COMPARISON.finditer(answer):
            same = ours.group(1).lower() == theirs.group(1).lower()
            if not same and not _opposite(ours.group(1), theirs.group(1)):
                continue
            first, other = _side(_CLAUSE_START.sub("", answer[: ours.start()]) + ours.group(2)), _side(ours.group(3))
            swapped = bool(their_other & first) and not their_other & other
            kept = bool(their_other & other) and not their_other & first
            if (same and swapped) or (not same and kept):
                return theirs.group(0).strip()
    return None


def swapped_opposite(answer: str, source: str) -> tuple[str, str] | None:
    """A word of `answer` whose opposite `source` says and not the word itself, and the opposite: "will stay
    open" for "will stay closed". Only where the two are negated alike; "not open" restates "closed"."""
    ours, theirs = set(_words(answer)), set(_words(source))
    for word in sorted(ours - theirs):
        for opposite in sorted(_OPPOSITES.get(word, set()) & theirs - ours):
            return word, opposite
    return None


def swapped_relation(answer: str, source: str) -> tuple[str, str] | None:
    """A person named by their tie that the answer turns into another ("his cousin's car" for "his sister's
    car"); leaving a tie out is not counted."""
    ours, theirs = ({_RELATIONS[w] for w in map(lemma, _words(text)) if w in _RELATIONS} for text in (answer, source))
    if ours - theirs and theirs - ours:
        return min(ours - theirs), min(theirs - ours)
    return None


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
    """Whether `text` (lower case) names `name`, or each part of a hyphened one ("b-movies": "B movies"), in the
    singular or plural ("on Sunday" for "on Sundays")."""
    parts = [part.removesuffix("s") for part in name.split("-") if part]
    return all(re.search(rf"\b{re.escape(part)}s?\b", text) or _abbreviated(text, part) for part in parts)


def _span_of_days(answer: str, source: str, day: str) -> bool:
    """Whether the weekday `day` of `answer` is an end of a span `source` says, and `answer` names both of its
    ends: "Monday through Friday" for "weekdays", "Saturday and Sunday" for "weekends"; not "Saturdays" alone."""
    for span, ends in (("weekday", ("monday", "friday")), ("weekend", ("saturday", "sunday"))):
        if day.removesuffix("s") in ends and re.search(rf"\b{span}s?\b", source):
            return all(re.search(rf"\b{end}s?\b", answer) for end in ends)
    return False


def _abbreviated(text: str, name: str) -> bool:
    """Whether `text` (lower case) writes `name` in another form: short or long ("Queen St." for "Queen Street"),
    or a city's own name ("Wien" for "Vienna")."""
    return any(re.search(rf"\b{form}\b", text) for form in _OTHER_FORMS.get(name, ()))


def facts(text: str) -> Facts:
    return Facts(numbers(text), negated(text), names(text))


def _joined(text: str, whole: frozenset[str]) -> str:
    """`text` with a name it spells in two parts ("Gwang Ju", "Gwang-ju") written whole where `whole` (the other
    text's names) has it so ("Gwangju")."""
    return _NAME_IN_PARTS.sub(lambda m: m[1] + m[2].lower() if (m[1] + m[2]).lower() in whole else m[0], text)


def _apposed(answer: str, name: str, theirs: frozenset[str]) -> bool:
    """Whether `name` only places a name of the input, just after it: "Chennai, India", "Berlin (Germany)";
    not one name of a list ("Tom, Jack and Mia")."""
    return any(
        re.search(rf"(?i:\b{re.escape(known)}(?:,| \()\s*{re.escape(name)}\b)(?!,? (?:and|or)\b|, [A-Z])", answer)
        for known in theirs
    )


def changed_fact(answer: str, source: str) -> str | None:
    """Which fact of `source` the restatement `answer` changed, in words; None when it kept them all."""
    answer, source = _joined(answer, names(source)), _joined(source, names(answer))
    want, got = facts(source), facts(answer)
    if want.numbers != got.numbers and in_minutes(answer) != in_minutes(source):
        return f"its numbers are {_show(got.numbers)}, the input's {_show(want.numbers)}"
    if unit := changed_unit(answer, source):
        return f"it counts {unit}"
    if (
        want.negated
        and not got.negated
        and unrestated_negation(source, answer)
        and not _NEGATIVE_MEANING.search(answer)
    ):
        return "it drops the input's negation"
    if (
        got.negated
        and not want.negated
        and unrestated_negation(answer, source)
        and not _NEGATIVE_MEANING.search(source)
    ):
        return "it negates what the input states"
    if comparison := reversed_comparison(answer, source):
        return f"it turns the input's comparison around ({comparison!r})"
    missing = sorted(name for name in want.names if not _mentions(answer.lower(), name))
    if missing:
        return f"it leaves out the name {missing[0]!r}"
    added = sorted(
        name
        for name in got.names
        if not _mentions(source.lower(), name)
        and not _span_of_days(answer.lower(), source.lower(), name)
        and not _apposed(answer, name, want.names)
    )
    if added:
        return f"it brings in the name {added[0]!r}"
    if change := (
        changed_direction(answer, source, want.names)
        or changed_event(answer, source)
        or changed_time(answer, source)
        or changed_clock(answer, source)
    ):
        return change
    if swap := swapped_relation(answer, source) or (want.negated == got.negated and swapped_opposite(answer, source)):
        return f"it says {swap[0]!r} where the input says {swap[1]!r}"
    return None


def _show(values: frozenset[float]) -> str:
    return "{" + ", ".join(f"{v:g}" for v in sorted(values)) + "}" if values else "none"
