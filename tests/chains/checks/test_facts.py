"""Facts a restatement keeps: numbers (digits and words), negation and names; measured on an audit set."""

import json
from pathlib import Path

import pytest

from chains.checks.facts import changed_fact, names, negated, numbers

AUDIT = Path(__file__).with_name("facts_audit.jsonl")


def audit(name: str) -> list[dict]:
    """The hand-labelled source/answer pairs of one audit file beside this test."""
    return [json.loads(line) for line in AUDIT.with_name(name).read_text(encoding="utf-8").splitlines()]


def flagged(pairs: list[dict]) -> int:
    """How many of `pairs` the check calls a changed fact."""
    return sum(changed_fact(p["answer"], p["source"]) is not None for p in pairs)


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
        ("The Kyoto museum opens at 9 AM.", {"kyoto"}),  # a time of day is not a name
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
    pairs = audit(AUDIT.name)
    flips = [p for p in pairs if p["flip"]]
    faithful = [p for p in pairs if not p["flip"]]
    assert len(pairs) >= 40 and len(flips) == len(faithful)
    caught, refused = flagged(flips), flagged(faithful)
    assert caught / len(flips) >= 0.9, caught
    assert refused / len(faithful) <= 0.1, refused


FLIGHT = "My flight was delayed by three hours."
ROOM = "The room was much smaller than the photos showed."
TURNED = "it turns the input's comparison around ('smaller than the photos showed')"
NEGATES = "it negates what the input states"


# (answer, source, the changed fact named, or None when the answer keeps them all)
@pytest.mark.parametrize(
    ("answer", "source", "expected"),
    [
        ("The flight was delayed by three days.", FLIGHT, "it counts 3 days where the input has 3 hours"),
        ("The flight was delayed by 3 days.", FLIGHT, "it counts 3 days where the input has 3 hours"),
        ("The flight was delayed by 3 hours.", FLIGHT, None),
        ("It was a three-hour delay.", FLIGHT, None),
        ("We waited three long hours.", "We waited for three hours.", None),
        ("We waited three long days.", "We waited for three hours.", "it counts 3 days where the input has 3 hours"),
        ("It took 2 hours and 30 minutes.", "It took two hours and thirty minutes.", None),
        (
            "It took 2 minutes and 30 hours.",
            "It took two hours and thirty minutes.",
            "it counts 2 minutes where the input has 2 hours",
        ),
        ("We stayed for one night.", "We stayed for one week.", "it counts 1 night where the input has 1 week"),
        ("Two nights cost us 120 dollars.", "We paid $120 for two nights.", None),
        ("Two nights cost us 120 bucks.", "We paid $120 for two nights.", None),
        (
            "Two nights cost us 120 euros.",
            "We paid $120 for two nights.",
            "it counts 120 euros where the input has 120 $",
        ),
        ("Prices rose 20 per cent.", "Prices went up by 20%.", None),
        ("Prices went up by 20 dollars.", "Prices went up by 20%.", "it counts 20 dollars where the input has 20 %"),
        (
            "The hotel is 5 miles from the beach.",
            "The hotel is 5 km from the beach.",
            "it counts 5 miles where the input has 5 km",
        ),
        ("The beach is a 10-minute walk away.", "The beach is ten minutes away on foot.", None),
        ("I got 6 pizzas for the party.", "I ordered six pizzas for the party.", None),
        (
            "I ordered six burgers for the party.",
            "I ordered six pizzas for the party.",
            "it counts 6 burgers where the input has 6 pizzas",
        ),
        ("Only five of the twelve rooms had hot water.", "Only 5 of the 12 rooms had hot water.", None),
        ("Room 3 starts serving at 9.", "Room 3 opens at 9.", None),  # "room 3" names a room, counts nothing
        ("A dozen guests stayed.", "Twelve guests remained.", None),
        ("A dozen stayed.", "Twelve remained.", None),  # a verb after a number is no unit
        ("The delivery came in forty minutes.", "The delivery took forty minutes to arrive.", None),
    ],
)
def test_a_number_keeps_its_unit(answer, source, expected):
    assert changed_fact(answer, source) == expected


@pytest.mark.parametrize(
    ("answer", "source", "expected"),
    [
        ("The hotel upgraded us to a suite at no cost.", "We were upgraded to a suite for free.", None),
        ("They upgraded us to a suite without any charge.", "We were upgraded to a suite for free.", None),
        ("The breakfast could not have been better.", "The breakfast was perfect.", None),
        ("The photos did not match the size of the room.", ROOM, None),  # "not match" restates "smaller than"
        ("The room didn't live up to the photos.", ROOM, None),
        ("The room was smaller than the photos showed.", "The photos did not reflect the room's size.", None),
        ("The photos did not match the room.", "The room looked just like the photos.", NEGATES),  # no contrast
        ("My order was not delivered to the correct address.", "My order was delivered to a wrong address.", None),
        ("The staff were not friendly.", "The staff were unfriendly.", None),
        ("The soup was not hot.", "The soup was cold.", None),
        ("The staff were not friendly.", "The staff were friendly.", NEGATES),
        ("The soup was not served hot.", "The soup was served hot.", NEGATES),
        ("The film was not credible.", "The film was incredible.", NEGATES),  # incredible is no "not credible"
        ("The breakfast was not good.", "The breakfast was great.", NEGATES),
        ("The staff were very friendly.", "The staff were not friendly at all.", "it drops the input's negation"),
        ("The package arrived.", "The package did not arrive at the correct address.", "it drops the input's negation"),
    ],
)
def test_a_negation_that_restates_the_input_is_kept(answer, source, expected):
    assert changed_fact(answer, source) == expected


@pytest.mark.parametrize(
    ("answer", "source", "expected"),
    [
        ("The photos depicted a smaller room than the actual space.", ROOM, TURNED),  # the sides swapped
        ("The room was bigger than the photos showed.", ROOM, TURNED),  # the opposite, same sides
        ("The room was a lot smaller than it looked in the photos.", ROOM, None),
        ("The photos made the room look bigger than it really is.", ROOM, None),  # opposite and swapped: same
        (
            "The train was faster than the bus.",
            "The bus was faster than the train.",
            "it turns the input's comparison around ('faster than the train')",
        ),
        (
            "The bus was slower than the train.",
            "The bus was faster than the train.",
            "it turns the input's comparison around ('faster than the train')",
        ),
        ("The train was slower than the bus.", "The bus was faster than the train.", None),
        ("The sequel was better than the original.", "The original was worse than the sequel.", None),
        (
            "The original was better than the sequel.",
            "The original was worse than the sequel.",
            "it turns the input's comparison around ('worse than the sequel')",
        ),
        ("We would rather walk than wait.", "We would rather walk than wait for the bus.", None),  # no comparative
    ],
)
def test_a_comparison_keeps_its_direction(answer, source, expected):
    assert changed_fact(answer, source) == expected


@pytest.mark.parametrize(
    ("answer", "source", "expected"),
    [
        (
            "The library will remain open until next Monday.",
            "The library will be closed for repairs until next Monday.",
            "it says 'open' where the input says 'closed'",
        ),
        (
            "The water was too hot for swimming.",
            "The water was too cold for swimming.",
            "it says 'hot' where the input says 'cold'",
        ),
        ("The library will not be open until next Monday.", "The library will be closed until next Monday.", None),
        (
            "The new phone costs more than the old one.",
            "The old phone costs less than the new one.",
            None,
        ),  # both words in both
    ],
)
def test_an_opposite_word_changes_the_fact(answer, source, expected):
    assert changed_fact(answer, source) == expected


@pytest.mark.parametrize(
    ("source", "same", "other"),
    [
        ("The recipe needs 250 grams of flour.", "The recipe requires 250g of flour.", "It requires 250 kg of flour."),
        ("The package weighed 4 kilograms.", "The package weighed 4 kg.", "The package weighed 4 pounds."),
        ("Pour in 200 millilitres of milk.", "Add 200 ml of milk.", "Add 200 litres of milk."),
        ("It closes after six hours.", "It shuts after 6 hours.", "It closes at 6 PM."),  # a time of day
        ("The bar opens at 5pm.", "The bar opens at five o'clock.", "The bar opens in 5 hours."),
    ],
)
def test_a_unit_written_short_is_the_same_unit(source, same, other):
    from chains.checks.facts import changed_fact

    assert changed_fact(same, source) is None
    assert changed_fact(other, source) is not None


def test_the_default_models_own_answers_hand_labelled():
    """Real answers of qwen2.5-coder-1.5b to ten unseen sentences, each labelled by hand: the check catches
    the changed numbers and negations, and most changed events, directions and times ("postponed" for
    "cancelled", "from Jeju" for "to Jeju", a dropped "last year"), and refuses few faithful answers. A changed
    reason ("to stay awake" for "it keeps her awake") is past what it reads."""
    pairs = audit("facts_audit_default_model.jsonl")
    flips = [p for p in pairs if p["flip"] in ("number", "negation", "name")]
    meaning = [p for p in pairs if p["flip"] == "meaning"]
    faithful = [p for p in pairs if not p["flip"]]
    assert len(flips) >= 12 and len(meaning) >= 8 and len(faithful) >= 20
    caught, caught_meaning, refused = flagged(flips), flagged(meaning), flagged(faithful)
    assert caught / len(flips) >= 0.9, caught
    assert caught_meaning / len(meaning) >= 0.6, caught_meaning
    assert refused / len(faithful) <= 0.1, refused


def test_the_default_models_answers_to_thirty_more_sentences_hand_labelled():
    """Three more sets of ten sentences (a flight from Tokyo to Toronto, a loan, a cancelled train, a bakery that
    never opens on Sundays, a hotel in Gangneung), the default model's answers to each labelled by hand before
    the check's verdicts were read: changed numbers, negations, names, events, directions and times (`flip`),
    or none. The first two sets were read to mend the check; the third was not."""
    pairs = audit("facts_audit_default_model_more.jsonl")
    changed = [p for p in pairs if p["flip"]]
    faithful = [p for p in pairs if not p["flip"]]
    assert len(changed) >= 200 and len(faithful) >= 120
    caught, refused = flagged(changed), flagged(faithful)
    assert caught / len(changed) >= 0.8, caught
    assert refused / len(faithful) <= 0.15, refused


def test_the_default_models_answers_to_four_fresh_sets_hand_labelled():
    """Four sets of ten sentences written after the rules above (a night train that stops twice, a pharmacy on
    Queen Street, a chess final won against last year's winner, a train that does not stop in Florence),
    labelled the same way. Answers that run two words together are refused as `glued` before the facts are
    read, so they are left out here. The first three sets were read to mend the check; the fourth was not."""
    from chains.checks.fidelity import glued_words

    pairs = [p for p in audit("facts_audit_default_model_fresh.jsonl") if not glued_words(p["answer"], p["source"])]
    changed = [p for p in pairs if p["flip"]]
    faithful = [p for p in pairs if not p["flip"]]
    assert len(changed) >= 130 and len(faithful) >= 80
    caught, refused = flagged(changed), flagged(faithful)
    assert caught / len(changed) >= 0.85, caught
    assert refused / len(faithful) <= 0.1, refused


def test_the_default_models_answers_to_nine_later_sets_hand_labelled():
    """Nine more sets (a school that will not reopen until September 3, a sister's car, a team's first defeat in
    eleven matches, four hotel lifts, a tent lent to a neighbour, a pharmacy's prescriptions, a flight a day
    later than planned, a ride to Ghent, a museum in Porto shut on Mondays), labelled the same way; dropping an
    alternative set aside (", not per week") counts as a change. Each set was labelled before the check's
    verdicts on it were read; reading them mended the check."""
    from chains.checks.fidelity import glued_words

    pairs = [p for p in audit("facts_audit_default_model_latest.jsonl") if not glued_words(p["answer"], p["source"])]
    changed = [p for p in pairs if p["flip"]]
    faithful = [p for p in pairs if not p["flip"]]
    assert len(changed) >= 395 and len(faithful) >= 165
    caught, refused = flagged(changed), flagged(faithful)
    assert caught / len(changed) >= 0.8, caught
    assert refused / len(faithful) <= 0.1, refused


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("Mr. Park missed the board meeting on Thursday.", True),  # "did not attend" said without "not"
        ("Mr. Park attended the board meeting on Thursday.", False),
    ],
)
def test_a_negated_verb_is_restated_by_its_opposite(answer, kept):
    assert (changed_fact(answer, "Mr. Park did not attend the board meeting on Thursday.") is None) is kept


@pytest.mark.parametrize(
    ("answer", "source", "kept"),
    [
        ("Ahmed missed the concert in Cairo.", "Ahmed did not go to the concert in Cairo.", True),
        ("Ahmed went to the concert in Cairo.", "Ahmed did not go to the concert in Cairo.", False),
        ("The pool in Bergen will remain closed until May.", "The pool in Bergen will not reopen until May.", True),
        ("The pool in Bergen will reopen soon.", "The pool in Bergen will not reopen until May.", False),
        (
            "The pharmacy requires a prescription for antibiotics.",
            "The pharmacy does not sell antibiotics without a prescription.",
            True,
        ),
        (
            "The pharmacy sells antibiotics to anyone.",
            "The pharmacy does not sell antibiotics without a prescription.",
            False,
        ),
        (
            "Their 3-0 victory over Kumasi was their fourth in a row.",
            "They won 3-0 against Kumasi, their fourth win in a row.",
            True,
        ),
        (
            "They won 3-0 against Kumasi, their fourth loss in a row.",
            "They won 3-0 against Kumasi, their fourth win in a row.",
            False,
        ),
        ("The museum is free for students on Wednesdays.", "The museum does not charge students on Wednesdays.", True),
        ("The museum charges students on Wednesdays.", "The museum does not charge students on Wednesdays.", False),
        (
            "The night train from Wien to Venezia takes eleven hours.",
            "The night train from Vienna to Venice takes eleven hours.",
            True,
        ),
        (
            "The night train from Wien to Verona takes eleven hours.",
            "The night train from Vienna to Venice takes eleven hours.",
            False,
        ),
        ("Bilal lent his friend Hana his camera.", "Bilal lent his camera to his sister Hana.", False),
    ],
)
def test_more_restatements_without_not(answer, source, kept):
    assert (changed_fact(answer, source) is None) is kept


def test_an_event_denied_is_not_said():
    source = "The concert was not cancelled; it was moved to Sunday."
    assert changed_fact("The concert was rescheduled to Sunday.", source) is None
    assert changed_fact("The concert was cancelled.", source) is not None
    assert changed_fact("The match was cancelled.", "The match was not postponed.") is not None  # one way only


@pytest.mark.parametrize(
    ("answer", "source", "kept"),
    [
        ("The school is scheduled to reopen on September 3.", "The school will not reopen until September 3.", True),
        ("The school will reopen before September 3.", "The school will not reopen until September 3.", False),
        ("The pharmacy opens at 9 AM on Saturdays.", "The pharmacy does not open before 9 AM on Saturdays.", True),
        ("The pharmacy closes at 9 AM on Saturdays.", "The pharmacy does not open before 9 AM on Saturdays.", False),
    ],
)
def test_not_until_a_time_is_from_that_time(answer, source, kept):
    assert (changed_fact(answer, source) is None) is kept


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("Priya moved from Chennai, India to Berlin, Germany in 2019.", True),  # the place of a name it keeps
        ("Priya moved from Chennai (India) to Berlin (Germany) in 2019.", True),
        ("Priya, Raj and Mia moved from Chennai to Berlin in 2019.", False),  # a list of new names
        ("Priya moved from Chennai to Berlin, Munich and Hamburg in 2019.", False),
        ("Priya moved from Chen Nai to Berlin in 2019.", True),  # a name in two parts
        ("Priya moved from Chen Hai to Berlin in 2019.", False),
    ],
)
def test_names_written_in_parts_or_placed_keep_the_fact(answer, kept):
    assert (changed_fact(answer, "Priya moved from Chennai to Berlin in 2019.") is None) is kept


@pytest.mark.parametrize(
    ("answer", "source", "kept"),
    [
        ("The office opens at 9:00 AM.", "The office opens at 9 AM.", True),
        ("Two bars stay open after 12:00 AM.", "Two bars stay open after midnight.", True),
        ("Two bars stay open at night.", "Two bars stay open after midnight.", False),
        ("It was their first defeat in eleven games.", "It was their first defeat in eleven matches.", True),
        (
            "The bridge will remain closed until March 31st.",
            "The bridge will stay closed until the end of March.",
            True,
        ),
        ("The bridge will remain closed until March 30.", "The bridge will stay closed until the end of March.", False),
        ("The bridge stays shut until the end of April.", "The bridge will stay closed until April 30.", True),
        ("The bridge stays shut until the end of May.", "The bridge will stay closed until April 30.", False),
        ("The museum stays closed until October's end.", "The museum will not open until the end of October.", True),
        ("The museum stays closed through October.", "The museum will not open until the end of October.", True),
        ("The museum stays closed in October.", "The museum will not open until the end of October.", False),
        ("The museum stays closed through September.", "The museum will not open until the end of October.", False),
        ("The dentist sees you at 10:30 on Thursday.", "The dentist can see you at half past ten on Thursday.", True),
        ("The dentist sees you at ten on Thursday.", "The dentist can see you at half past ten on Thursday.", False),
        ("The film starts at quarter to nine.", "The film starts at 8:45.", True),
        ("The film starts at quarter past nine.", "The film starts at 8:45.", False),
        ("The film lasts a quarter of an hour.", "The film lasts fifteen minutes.", True),
        ("The concert began 30 minutes late.", "The concert started half an hour later than planned.", True),
        ("The talk lasted an hour and a half.", "The talk lasted 90 minutes.", True),
        ("We waited 150 minutes.", "We waited two and a half hours.", True),
        ("We waited two hours.", "We waited 150 minutes.", False),
        ("The talk lasted an hour.", "The talk lasted 90 minutes.", False),
    ],
)
def test_clock_times_and_counts_said_another_way(answer, source, kept):
    assert (changed_fact(answer, source) is None) is kept


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("Lars borrowed his sister's car.", True),
        ("Lars borrowed his cousin's car.", False),
        ("Lars borrowed a car.", True),  # a tie left out is not another tie
    ],
)
def test_a_tie_between_people_is_a_fact(answer, kept):
    assert (changed_fact(answer, "Lars borrowed his sister's car.") is None) is kept
    assert (
        changed_fact("Tom lent his car to his mum's neighbor.", "Tom lent his car to his mother's neighbour.") is None
    )


@pytest.mark.parametrize(
    ("answer", "source", "kept"),
    [
        ("The market is busy past midnight.", "The market stays busy until after midnight.", True),
        ("The market closes at midnight.", "The market stays busy until after midnight.", False),
        ("The market is busy until midnight.", "The market stays busy until after midnight.", False),
        ("The shop does not take cash until 8 PM.", "The shop does not take cash after 8 PM.", False),
        ("The shop does not open until 9 AM.", "The shop does not open before 9 AM.", True),
        ("The shop opens at 9 AM.", "The shop does not open before 9 AM.", True),  # denied on one side only
    ],
)
def test_a_time_of_day_keeps_its_side(answer, source, kept):
    assert (changed_fact(answer, source) is None) is kept


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("In winter the island ferry runs twice daily.", True),
        ("The ferry to the island runs twice a day during the summer season.", False),
        ("The ferry to the island runs twice a day.", False),  # the season dropped
    ],
)
def test_a_season_is_a_fact(answer, kept):
    assert (changed_fact(answer, "The ferry to the island runs twice a day in winter.") is None) is kept


def test_an_idiom_with_without_negates_nothing():
    source = "Ben did not pass his driving test."
    assert changed_fact("Ben passed his driving test without hesitation.", source) == "it drops the input's negation"
    assert changed_fact("Ben failed his driving test, without a doubt.", source) is None


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("비행기가 3시간이나 늦었다.", True),  # a particle after the counter
        ("비행기가 세 시간 늦게 왔다.", True),  # a native numeral before a counter
        ("비행기가 세시간 늦었다.", True),
        ("비행기가 네 시간 늦었다.", False),
        ("비행기가 3일 늦었다.", False),
    ],
)
def test_korean_counts_keep_their_counter(answer, kept):
    assert (changed_fact(answer, "비행기가 3시간 늦었다.") is None) is kept
    assert changed_fact("세대 차이가 크다.", "세대 차이가 크다.") is None and numbers("열대 과일") == set()


def test_twice_counts_two():
    source = "The night train takes eleven hours and stops only twice."
    assert changed_fact("The night train takes eleven hours and makes two stops.", source) is None
    assert changed_fact("The night train takes eleven hours and makes three stops.", source) is not None
    assert changed_fact("The night train takes eleven hours and stops once.", source) is not None
