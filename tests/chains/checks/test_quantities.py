"""What each number counts: the noun after it by lemma, a currency sign before it, % after it."""

import pytest

from chains.checks.quantities import quantities
from chains.checks.words import lemma


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It took forty minutes.", [(40, "minute")]),
        ("It took 40 mins.", [(40, "minute")]),
        ("We paid $1,200 for twenty-five nights.", [(1200, "dollar"), (25, "night")]),
        ("It cost ₩50,000, or 50,000 won.", [(50000, "won"), (50000, "won")]),
        ("The film runs for two and a half hours.", [(2.5, "hour")]),
        ("A hundred people came, and a dozen children stayed.", [(100, "person"), (12, "child")]),
        ("a three-hour delay and a 10-minute walk", [(3, "hour"), (10, "minute")]),
        ("three long hours", [(3, "hour")]),  # a modifier is skipped
        ("five star hotels", [(5, "star")]),  # no known unit: the first noun
        ("20% off, or 20 per cent, or 20 pct", [(20, "percent")] * 3),
        ("Only 5 of the 12 rooms had hot water.", [(5, None), (12, "room")]),
        ("Room 3 opens at 9:30 on the 3rd floor.", [(3, None), (9, None), (30, None), (3, None)]),
        ("We arrived at 5 pm, two stayed.", [(5, "o'clock"), (2, None)]),  # a time of day is its own unit; a verb: none
        ("One of the staff was rude.", [(1, None)]),
    ],
)
def test_each_number_is_read_with_its_unit(text, expected):
    assert [(q.value, q.unit) for q in quantities(text)] == expected


@pytest.mark.parametrize(
    ("words", "same"),
    [
        (("hour", "hours", "Hours"), True),
        (("minute", "minutes"), True),
        (("city", "cities"), True),
        (("movie", "movies"), True),
        (("glass", "glasses"), True),
        (("bus", "buses"), True),
        (("person", "people"), True),
        (("child", "children"), True),
        (("hour", "day"), False),
        (("night", "week"), False),
    ],
)
def test_a_noun_and_its_plural_share_a_lemma(words, same):
    assert (len({lemma(w) for w in words}) == 1) == same
