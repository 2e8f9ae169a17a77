"""Facts that are no number, negation or name: a named place's direction, what happened to an event, and when."""

import pytest

from chains.checks.facts import changed_fact

SOURCES = {
    "ferry": "The ferry to Jeju leaves at 7:30 AM.",
    "flight": "Mr. Lee flew from Tokyo to Toronto.",
    "meeting": "Neither Tom nor Lisa knew that the meeting had been cancelled.",
    "car": "Anna sold her car for 3000 euros.",
    "prices": "The price of rice rose in March.",
    "stores": "Samsung opened 3 new stores in Busan last year.",
    "order": "Our order arrived two days late.",
    "train": "The train from Boston was not delayed.",
    "bike": "Emma lent her bike to Jake for three days.",
    "match": "Min-jun won the chess match against Daniel.",
    "festival": "The festival was cancelled last weekend, not postponed.",
    "exhibition": "The exhibition ends next Friday, a week early.",
}


@pytest.mark.parametrize(
    ("source", "answer", "expected"),
    [
        ("ferry", "The ferry from Jeju departs at 7:30 AM.", "it says from Jeju where the input says to Jeju"),
        ("ferry", "The ferry bound for Jeju departs at 7:30 AM.", None),  # no "from": the same trip
        ("ferry", "At 7:30 AM the ferry leaves for Jeju, and it goes to Jeju only.", None),
        ("flight", "Mr. Lee flew to Tokyo from Toronto.", "it says to Tokyo where the input says from Tokyo"),
        ("flight", "Mr. Lee took a flight to Toronto from Tokyo.", None),
        ("ferry", "The ferry leaves Jeju at 7:30 AM.", "it says leaves Jeju where the input says to Jeju"),
        ("ferry", "At 7:30 AM the ferry departs, bound for Jeju.", None),
        ("flight", "Mr. Lee departed Toronto for Tokyo.", "it says departed Toronto where the input says to Toronto"),
        ("flight", "Mr. Lee left Tokyo and arrived in Toronto.", None),
        ("flight", "Mr. Lee reached Tokyo from Toronto.", "it says reached Tokyo where the input says from Tokyo"),
        ("meeting", "Neither Tom nor Lisa was aware that the meeting had been postponed.", "it says postponed"),
        ("meeting", "Both Tom and Lisa were unaware that the meeting had ended.", "it says ended"),
        ("meeting", "Neither Tom nor Lisa knew the meeting was called off.", None),
        (
            "meeting",
            "By the end of the day, neither Tom nor Lisa knew the meeting was off: it had been cancelled.",
            None,
        ),
        ("car", "Anna bought a car for 3000 euros.", "it says bought where the input says sold"),
        ("car", "Anna's car went to a buyer for 3000 euros after she sold it.", None),
        ("prices", "Rice prices fell in March.", "it says fell where the input says rose"),
        ("prices", "In March the price of rice went up.", None),
        ("stores", "Samsung opened 3 new stores in Busan.", "it drops 'last year'"),
        (
            "stores",
            "Samsung opened 3 new stores in Busan this year.",
            "it says present year where the input says 'last year'",
        ),
        ("stores", "A year ago, Samsung opened 3 new stores in Busan.", None),
        ("stores", "Samsung opened 3 new stores in Busan last month.", "it says past month where the input says"),
        ("stores", "This past year, Samsung opened 3 new stores in Busan.", None),
        ("order", "Our order took two days to arrive.", "it drops 'late'"),
        ("order", "Our order arrived two days behind schedule.", None),
        ("order", "Our order arrived two days early.", "it says early where the input says 'late'"),
        ("order", "Our order came two days after we paid.", "it drops 'late'"),
        ("order", "Our order arrived two days after its schedule.", None),
        ("order", "Our order arrived two days before schedule.", "it says early where the input says 'late'"),
        ("train", "The train from Boston was not late.", None),  # a denied timing is no timing
        ("festival", "The festival was cancelled, not postponed last weekend.", None),  # a time is not denied
        ("festival", "The festival was cancelled, not postponed.", "it drops 'last weekend'"),
        ("bike", "Emma borrowed a bike from Jake for three days.", "it says from Jake where the input says to Jake"),
        ("bike", "Emma borrowed a bike, Jake's, for three days.", "it says borrowed where the input says lent"),
        ("bike", "Jake borrowed Emma's bike for three days.", None),  # the same loan, seen from the other side
        ("match", "Daniel lost the chess match to Min-jun.", None),
        ("match", "Min-jun lost the chess match to Daniel.", "it says lost where the input says won"),
        ("bike", "Jake lent Emma his bike for three days.", "it says Jake lent where the input says Emma did"),
        ("match", "Daniel won the chess match against Min-jun.", "it says Daniel won where the input says Min-jun"),
        ("bike", "For three days, Emma lent Jake her bike.", None),  # no name first: who acts is not read
        ("exhibition", "The exhibition will end next Friday, a week earlier than planned.", None),
    ],
)
def test_a_restatement_keeps_direction_event_and_time(source, answer, expected):
    found = changed_fact(answer, SOURCES[source])
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.startswith(expected), found


def test_a_name_that_is_not_a_place_and_a_source_without_these_words_are_not_read():
    assert changed_fact("From Sarah: thanks to the team.", "Thanks to the team, from Sarah.") is None
    assert changed_fact("The room was clean and quiet.", "The room was quiet and clean.") is None


def test_a_count_named_in_other_words_or_spelled_otherwise_is_the_same_count():
    assert (
        changed_fact("Only up to 30 people can attend the June wedding.", "At most 30 guests attend the June wedding.")
        is None
    )
    assert changed_fact("The bakery sells 40 loafs a day.", "The bakery sells 40 loaves a day.") is None
    assert changed_fact("I ordered six pizzas.", "I ordered six burgers.") is not None  # another thing counted


def test_a_day_named_in_the_singular_and_a_closed_shop_restate_the_source():
    source = "The bakery on Elm Road never opens on Sundays."
    assert changed_fact("The bakery on Elm Road is closed on Sunday.", source) is None
    assert changed_fact("The bakery on Elm Road opens on Sundays.", source) is not None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Nothing worked when Raj came in at 8:15 today.", None),  # the day, of which the morning is a part
        ("Nothing worked when Raj came in at 8:15 this morn.", None),
        ("Nothing worked when Raj came in at 8:15 this evening.", "it says present evening where the input says"),
        ("Nothing worked when Raj came in at 8:15 tonight.", "it says present evening where the input says"),
    ],
)
def test_a_part_of_today_is_not_another_part(answer, expected):
    verdict = changed_fact(answer, "Nothing worked when Raj arrived at 8:15 this morning.")
    assert verdict == expected or (expected and verdict.startswith(expected))


def test_closed_to_restates_no_longer_accepts():
    source = "The clinic on King Street no longer accepts walk-in patients on Sundays."
    assert changed_fact("On Sundays, the clinic on King Street is closed to walk-ins.", source) is None
    assert changed_fact("On Sundays, the clinic on King Street accepts walk-ins.", source) is not None


def test_the_previous_day_is_yesterday_and_a_street_may_be_short():
    source = "The bakery on Queen Street sold out of croissants by 8 AM yesterday."
    assert changed_fact("The bakery on Queen St. ran out of croissants by 8 AM the previous day.", source) is None
    assert changed_fact("The bakery on Queen Street ran out of croissants by 8 AM the day before.", source) is None
    assert changed_fact("The bakery on Queen Street ran out of croissants by 8 AM today.", source) is not None
    assert changed_fact("The bakery on King St. ran out of croissants by 8 AM yesterday.", source) is not None


def test_a_span_of_days_named_by_its_ends_a_passive_converse_and_time_back():
    gym = "The gym on Oak Avenue opens at 6 AM on weekdays and at 8 AM on weekends."
    assert changed_fact("The gym on Oak Avenue opens at 6 AM Monday through Friday and 8 AM on weekends.", gym) is None
    assert changed_fact("The gym on Oak Avenue opens at 6 AM on weekdays and 8 AM on Saturdays.", gym) is not None
    assert (
        changed_fact("The gym on Oak Avenue opens at 6 AM and at 8 AM on weekends.", gym.replace("weekdays", "Monday"))
        is not None
    )
    library = "The library in Incheon lends up to 8 books at a time."
    assert changed_fact("The library in Incheon allows up to 8 books to be borrowed at a time.", library) is None
    assert changed_fact("The library in Incheon borrows up to 8 books at a time.", library) is not None
    leo = "Leo has not eaten meat since he moved to Lisbon two years ago."
    assert changed_fact("Leo hasn't eaten meat since moving to Lisbon two years back.", leo) is None
    assert changed_fact("Leo hasn't eaten meat since moving to Lisbon next year.", leo) is not None
