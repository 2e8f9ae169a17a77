"""Facts a restatement keeps: numbers (digits and words), negation and names; measured on an audit set."""

import json
from pathlib import Path

import pytest

from chains.checks.facts import changed_fact, names, negated, numbers

AUDIT = Path(__file__).with_name("facts_audit.jsonl")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It took forty minutes.", {40}),
        ("It took 40 minutes.", {40}),
        ("We paid $1,200 for twenty-five nights.", {1200, 25}),
        ("The film runs for two and a half hours.", {2.5}),
        ("A hundred people came, and a dozen stayed.", {100, 12}),
        ("Two hundred and fifty seats were sold.", {250}),
        ("One of the staff was rude.", set()),  # "one" is as often a pronoun as a count
        ("Room 3 opens at 9:30.", {3, 9, 30}),
    ],
)
def test_numbers_are_read_in_digits_and_words(text, expected):
    assert numbers(text) == expected


def test_negation_and_names():
    assert negated("The staff weren't friendly.") and negated("Nobody came.") and negated("There was no parking.")
    assert not negated("The staff were friendly.") and not negated("Know the answer.")
    assert negated("직원이 친절하지 않았어요.") and not negated("직원이 친절했어요.")
    assert names("We stayed at the Hilton in Paris with Sarah.") == {"hilton", "paris", "sarah"}
    assert names("Breakfast was great. I loved it.") == set()  # a sentence's first word and "I" are not names
    assert negated("It is hardly a classic.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We watched it on the BBC.", {"bbc"}),  # a short word alone in capitals is an acronym
        ("Was it TOO MUCH TO ASK to get ONE towel?", set()),  # a run in capitals, or a number word, is emphasis
        ("A sequel to the Disney film by John Carpenter’s crew.", {"disney", "john", "carpenter"}),  # no possessive
    ],
)
def test_names_are_capitalised_words_that_are_not_emphasis(text, expected):
    assert names(text) == expected


def test_each_changed_fact_is_named():
    assert changed_fact("It took four hours.", "It took forty minutes.") == "its numbers are {4}, the input's {40}"
    assert changed_fact("The parcel arrived.", "The parcel never arrived.") == "it drops the input's negation"
    assert changed_fact("We flew with Emirates.", "We flew with Lufthansa.") == "it leaves out the name 'lufthansa'"
    assert changed_fact("It took forty minutes for the food to come.", "The food took 40 minutes.") is None
    assert changed_fact("It is not a classic.", "It is hardly a classic.") is None
    assert changed_fact("One of the best B-movies.", "One of the best B monster movies.") is None
    assert changed_fact("Disney's best.", "The best film by Disney.") is None
    assert changed_fact("A Disney film.", "A Pixar film.") == "it leaves out the name 'pixar'"


def test_the_audit_set_meets_its_goals():
    """48 pairs written before the check was built: half keep every fact, half change a number, the negation
    or a name. The check must catch at least 90% of the changes and refuse at most 10% of the faithful pairs."""
    pairs = [json.loads(line) for line in AUDIT.read_text(encoding="utf-8").splitlines()]
    flips = [p for p in pairs if p["flip"]]
    faithful = [p for p in pairs if not p["flip"]]
    assert len(pairs) >= 40 and len(flips) == len(faithful)
    caught = sum(changed_fact(p["answer"], p["source"]) is not None for p in flips)
    refused = sum(changed_fact(p["answer"], p["source"]) is not None for p in faithful)
    assert caught / len(flips) >= 0.9, caught
    assert refused / len(faithful) <= 0.1, refused
