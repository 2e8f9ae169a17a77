"""Facts a restatement may not change that are no number, negation or name: where a named place is gone to or
come from ("to Jeju", not "from Jeju"), what happened to an event ("cancelled", not "postponed") and when, as
the speaker places it ("last year", "next week").

Each rule reads words the source states and the answer replaces; a source without such words is not checked.
"""

from __future__ import annotations

import re

# Which way a named place is: "to Jeju" and "from Jeju" are different trips. "for" is left out: "left for
# Paris" goes there, "a ticket for Paris" may not.
_TOWARDS = (
    {"to", "into", "towards", "toward", "onto"}
    | {f"{verb} {at}" for verb in ("arrive", "arrives", "arrived", "arriving") for at in ("in", "at")}
    | {"reach", "reaches", "reached", "reaching"}
)
# A place left is come from: "departed Nairobi" is "from Nairobi", as "the train leaves Leeds" is.
_AWAY = {"from", "out of", "leave", "leaves", "left", "leaving", "depart", "departs", "departed", "departing"}
_BEFORE_NAME = rf"\b({'|'.join(sorted(_TOWARDS | _AWAY, key=len, reverse=True))})\s+(?:the\s+)?{{name}}\b"

# Events of one kind that rule each other out: an event called off did not happen later, or end, or begin.
# One family per dict; a source with a word of one group and an answer with a word of another group of the
# same family, and none of the source's, changed what happened.
_FAMILIES: list[dict[str, re.Pattern[str]]] = [
    {
        "cancelled": re.compile(
            r"\bcancel|\bcall(?:s|ed|ing)? off\b|\bcalled\b[^.;,]{0,20}\boff\b|\bscrap(?:s|ped)?\b"
        ),
        "postponed": re.compile(
            r"\bpostpon|\breschedul|\bdelay|\bdefer|\bput(?:s|ting)? off\b|\bpush(?:es|ed|ing)? back\b"
        ),
        "ended": re.compile(r"\b(?:end|ends|ended)\b(?! of\b)|\bfinish|\bconclud|\bwrapped up\b"),
        "began": re.compile(r"\b(?:start|starts|started|began|begins?|begun)\b(?! of\b)"),
    },
    {
        "rose": re.compile(
            r"\b(?:rise|rises|rose|risen|rising)\b|\bincreas|\bgr(?:ow|ows|ew|own)\b|\bclimb|\bsoar|\bjump"
            r"|\b(?:go|goes|went|gone) up\b"
        ),
        "fell": re.compile(
            r"\b(?:fall|falls|fell|fallen|falling)\b|\bdecreas|\bdeclin|\bdrop|\bplung|\bsank\b|\bsink"
            r"|\b(?:go|goes|went|gone) down\b"
        ),
    },
]

# Events seen from either side: "Emma lent Jake her bike" is "Jake borrowed Emma's bike", "Min-jun beat Daniel" is
# "Daniel lost to Min-jun", so these are compared only where both sentences start with the same word (who acts).
_CONVERSES: list[dict[str, re.Pattern[str]]] = [
    {
        "bought": re.compile(r"\bbu(?:y|ys|ying|yer)\b|\bbought\b|\bpurchas"),
        "sold": re.compile(r"\bsel(?:l|ls|ling|ler)\b|\bsold\b"),
    },
    {"lent": re.compile(r"\blen(?:d|ds|ding|t)\b"), "borrowed": re.compile(r"\bborrow")},
    {"won": re.compile(r"\bw(?:in|ins|inning|on)\b"), "lost": re.compile(r"\blos(?:e|es|ing|t)\b")},
]
_PASSIVE = re.compile(r"\b(?:be|is|are|was|were|been|being|get|gets|got)\s+(?:\w+ly\s+)?$")
_FIRST_WORD = re.compile(r"^\W*(?:(?:the|a|an|our|my|his|her|their)\s+)?(\w[\w-]*)", re.IGNORECASE)

# When, as the speaker places it (in the past, now or ahead, and which day, week or year), and whether something
# came late, early or on time. A source that says one of these keeps it: "last month" is not "last year", and
# "arrived two days late" is not "took two days to arrive". "ago" is some time past: "a year ago" is "last year".
_DENIED = re.compile(r"\b(?:not|never|no|n't)\s+(?:\w+\s+)?$")
# A time of day and the side of it something happens on: "at"/"from" 9 starts then, "until" ends then.
_CLOCK = re.compile(
    r"\b(?P<side>before|after|past|until|till|at|from)\s+(?:about\s+|around\s+)?"
    r"(?P<time>\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)|noon|midnight|midday)(?!\w)"
)
_SIDE = {"before": "before", "after": "after", "past": "after", "until": "until", "till": "until"}
_SIDE |= {"at": "at", "from": "at"}
_DENIED_NEAR = re.compile(r"\b(?:not|never|no|n't)\b(?:\W+\w+){0,3}\W*$")
_PERIODS = "week weekend month year spring summer autumn fall winter season semester".split()
_DAY_PARTS = {"morning", "afternoon", "evening"}
_WHEN = {
    "past day": re.compile(r"\byesterday\b|\blast night\b|\bthe (?:previous|prior) day\b|\bthe day before\b"),
    "present day": re.compile(r"\btoday\b"),
    "present morning": re.compile(r"\bthis morn(?:ing)?\b"),
    "present afternoon": re.compile(r"\bthis afternoon\b"),
    "present evening": re.compile(r"\btonight\b|\bthis (?:evening|night)\b"),
    "future day": re.compile(r"\btomorrow\b"),
    "past *": re.compile(r"\bago\b|\b(?:years?|months?|weeks?|days?) back\b"),
    "present *": re.compile(r"\bnowadays\b"),
    "future *": re.compile(r"\bfrom now\b"),
}
for _period in _PERIODS:
    _WHEN[f"past {_period}"] = re.compile(rf"\b(?:last|previous|past) {_period}\b")
    _WHEN[f"present {_period}"] = re.compile(rf"\bthis {_period}\b")
    _WHEN[f"future {_period}"] = re.compile(rf"\b(?:next|coming|following) {_period}\b")
# The season a thing happens in: "in winter" is not "during the summer season", and is not to be dropped.
_SEASONS = {
    "winter": re.compile(r"\bwinter(?:s|time)?\b"),
    "summer": re.compile(r"\bsummer(?:s|time)?\b"),
    "spring": re.compile(r"\b(?:in|this|last|next|the|every|each|early|late) spring\b|\bspringtime\b"),
    "autumn": re.compile(r"\bautumns?\b|\b(?:in|this|last|next|the|every|each|early|late) fall\b"),
}
_TIMING = {
    "late": re.compile(
        r"\blate\b(?! (?:at|in the|into the) (?:night|day|evening|afternoon))|\blater than\b|\bbehind schedule\b"
        r"|\bdelay|\boverdue\b|\btardy\b|\bafter (?:\w+ ){0,2}(?:plans?|schedule)\b"
    ),
    "early": re.compile(
        r"\bearly\b|\bearlier\b(?! (?:this|today|that|in|on)\b)|\bahead of (?:schedule|time)\b"
        r"|\bbefore (?:\w+ ){0,2}(?:plans?|schedule)\b"
    ),
    "on time": re.compile(r"\bon time\b|\bpunctual|\bon schedule\b"),
}


def changed_direction(answer: str, source: str, names: frozenset[str]) -> str | None:
    """A named place the source goes to that the answer comes from, or the other way round."""
    for name in sorted(names):
        pattern = re.compile(_BEFORE_NAME.format(name=re.escape(name)), re.IGNORECASE)
        theirs = {m.group(1).lower() for m in pattern.finditer(source)}
        ours = {m.group(1).lower() for m in pattern.finditer(answer)}
        if not theirs or not ours or theirs & ours:
            continue
        if (theirs <= _TOWARDS and ours & _AWAY) or (theirs <= _AWAY and ours & _TOWARDS):
            return f"it says {sorted(ours)[0]} {name.title()} where the input says {sorted(theirs)[0]} {name.title()}"
    return None


def changed_event(answer: str, source: str) -> str | None:
    """An event the source says was, say, cancelled that the answer says was postponed."""
    theirs_text, ours_text = source.lower(), answer.lower()
    same_actor = _actor(answer) == _actor(source)
    for family in _FAMILIES + (_CONVERSES if same_actor else []):
        converse = family in _CONVERSES
        theirs = {group for group in family if _said(family, group, theirs_text, converse)}
        ours = {group for group in family if _said(family, group, ours_text, converse)}
        if theirs and ours and not theirs & ours:
            return f"it says {sorted(ours)[0]} where the input says {sorted(theirs)[0]}"
    return _swapped_roles(answer, source)


def _swapped_roles(answer: str, source: str) -> str | None:
    """The same event seen from the same side, with its people swapped: "Tomas lent Lena his tent" for "Lena
    lent her tent to Tomas". Only where each sentence starts with a name (capitalised in the other one too)."""
    ours, theirs = _FIRST_WORD.match(answer), _FIRST_WORD.match(source)
    if not ours or not theirs:
        return None
    mine, their = ours.group(1), theirs.group(1)
    if mine.lower() == their.lower() or not (_named(mine, source) and _named(their, answer)):
        return None
    for family in _CONVERSES:
        groups = [{g for g in family if _said(family, g, text.lower(), True)} for text in (answer, source)]
        if len(groups[1]) == 1 and groups[0] == groups[1]:
            return f"it says {mine} {min(groups[0])} where the input says {their} did"
    return None


def _named(word: str, text: str) -> bool:
    """Whether `word` is a name `text` writes capitalised after its start ("Lena" in "Tomas lent Lena ...")."""
    return word[:1].isupper() and re.search(rf"(?<=\S )\b{re.escape(word)}\b", text) is not None


def _said(family: dict[str, re.Pattern[str]], group: str, text: str, converse: bool) -> bool:
    """Whether `text` says the event of `group`, not denied just before ("not cancelled" does not say it was).
    An event seen from either side, said in the passive ("books to be borrowed"), is not counted: the sentence's
    subject is not who acts, so its side is unknown."""
    return any(
        not (_DENIED.search(text[: m.start()]) or converse and _PASSIVE.search(text[: m.start()]))
        for m in family[group].finditer(text)
    )


def _actor(text: str) -> str | None:
    found = _FIRST_WORD.match(text)
    return found.group(1).lower() if found else None


def changed_clock(answer: str, source: str) -> str | None:
    """A time of day the answer puts on the other side ("at midnight" for "until after midnight", "until 10 PM"
    for "after 10 PM"). Only times both deny, or neither, are compared: "opens at 9 AM" says "does not open
    before 9 AM" as well."""
    theirs, ours = _clock_sides(source.lower()), _clock_sides(answer.lower())
    for (time, denied), sides in theirs.items():
        said = ours.get((time, denied))
        if said and not sides & said:
            return f"it says {min(said)} {time} where the input says {min(sides)} {time}"
    return None


def _clock_sides(text: str) -> dict[tuple[str, bool], set[str]]:
    """The sides each time of day in `text` is said on, by the time and whether a negation just before denies it
    ("not until 9" is "not before 9")."""
    sides: dict[tuple[str, bool], set[str]] = {}
    for match in _CLOCK.finditer(text):
        time = re.sub(r"[\s.]|:00", "", match["time"])
        denied = _DENIED_NEAR.search(text[: match.start()]) is not None
        side = _SIDE[match["side"]]
        sides.setdefault((time, denied), set()).add("before" if denied and side == "until" else side)
    return sides


def changed_time(answer: str, source: str) -> str | None:
    """The source's time ("last year") or timing ("two days late") dropped, or turned to another ("last month",
    "early")."""
    source, answer = source.lower(), answer.lower()
    # A negation just before denies a timing ("not delayed"), not a time ("not postponed last weekend").
    for kinds, deniable in ((_WHEN, False), (_SEASONS, False), (_TIMING, True)):
        theirs = {kind: said for kind, pattern in kinds.items() if (said := _stated(pattern, source, deniable))}
        ours = {kind for kind, pattern in kinds.items() if _stated(pattern, answer, deniable)}
        if theirs and not any(_same_time(a, b) for a in theirs for b in ours):
            said = theirs[min(theirs)]
            return f"it says {sorted(ours)[0]} where the input says {said!r}" if ours else f"it drops {said!r}"
    return None


def _same_time(one: str, other: str) -> bool:
    """Whether two times agree: "past year" and "past *" (some time past) do, "past year" and "past month" not;
    "today" agrees with a part of it ("this morning"), two parts ("this morning", "tonight") do not."""
    side, _, period = one.partition(" ")
    other_side, _, other_period = other.partition(" ")
    wider = ("*", "day") if {period, other_period} & _DAY_PARTS else ("*",)
    return one == other or (side == other_side and any(p in (period, other_period) for p in wider))


def _stated(pattern: re.Pattern[str], text: str, deniable: bool = True) -> str | None:
    """The first words of `text` (lower case) that `pattern` finds and, if `deniable`, no negation just before
    denies."""
    for match in pattern.finditer(text):
        if not (deniable and _DENIED.search(text[: match.start()])):
            return match.group()
    return None
