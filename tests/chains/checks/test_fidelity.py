"""The source check: copies and near-copies, changed form, drifted meaning, each with its kind."""

import numpy as np
import pytest

from chains.checks.fidelity import SourceCheck, content_words, is_question, word_similarity

SOURCE = "The room was clean and the staff were kind to us."


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("The room was clean and the staff were kind to us.", "copy"),
        ("the room was clean, and the staff were kind to us", "copy"),
        ("The room was clean and the staff were nice to us.", None),  # 3 of 4 content words: a restatement
        ("The room, clean; the staff, kind to us!", "near_copy"),  # the same content words in order
        ("The room was clean and the staff were kind.", "near_copy"),
        ("Did we find a clean room and kind staff?", "form"),
        ("Our room was spotless and the team treated us warmly.", None),
    ],
)
def test_form_checks(answer, kind):
    verdict = SourceCheck().check([(answer, SOURCE)])[0]
    assert (verdict.kind if verdict else None) == kind


def test_a_question_must_stay_a_question():
    check = SourceCheck()
    assert (
        check.check([("The museum opens at nine on Sundays.", "When does the museum open on Sundays?")])[0].kind
        == "form"
    )
    assert (
        check.check([("On Sundays, at what hour does the museum open?", "When does the museum open on Sundays?")])[0]
        is None
    )


def test_meaning_floor_uses_the_embeddings_of_answer_and_source():
    vectors = {"a": [1.0, 0.0], "b": [0.8, 0.6], "c": [0.0, 1.0], "src": [1.0, 0.0]}
    check = SourceCheck(lambda texts: np.array([vectors[t] for t in texts]), near_copy=1.0, min_similarity=0.7)
    verdicts = check.check([("b", "src"), ("c", "src")])
    assert verdicts[0] is None
    assert verdicts[1].kind == "meaning" and "cosine 0.00 < 0.7" in verdicts[1].reason


def test_word_similarity_and_questions():
    assert word_similarity("room clean staff kind", "room clean staff kind") == 1.0
    assert word_similarity("room clean staff rude", "room clean staff kind") == 0.75
    assert word_similarity("lake view", "room key") == 0.0
    # function words and inflection aside: "The rooms were cleaned" and "room cleaning" share their content
    assert content_words("The rooms were cleaned by the staff.") == ["room", "clean", "staff"]
    assert word_similarity("The staff cleaned the rooms.", "the staff is cleaning a room") == 1.0
    assert is_question("Is it open?") and is_question("Is it open? ") and not is_question("It is open.")


def test_thresholds_are_checked_when_built():
    with pytest.raises(ValueError, match="near_copy"):
        SourceCheck(near_copy=0)
    with pytest.raises(ValueError, match="min_similarity"):
        SourceCheck(min_similarity=2)


def test_near_copy_is_judged_on_content_words_and_facts_are_kept():
    source = "The air conditioning malfunctioned during a heat wave."
    assert SourceCheck().check([("The air conditioning stopped working during a heat wave.", source)]) == [None]
    (changed,) = SourceCheck().check([("The delivery took four hours.", "The delivery took forty minutes.")])
    assert changed.kind == "changed_fact" and changed.reason.endswith("its numbers are {4}, the input's {40}")


@pytest.mark.parametrize(
    ("answer", "source", "kind"),
    [
        ("The flight was delayed by three days.", "My flight was delayed by three hours.", "changed_fact"),
        ("The hotel upgraded us to a suite at no cost.", "We were upgraded to a suite for free.", None),
        ("The photos did not match the size of the room.", "The room was much smaller than the photos showed.", None),
        (
            "The photos depicted a smaller room than the actual space.",
            "The room was much smaller than the photos showed.",
            "changed_fact",
        ),
        ("My order was not delivered to the correct address.", "My order was delivered to a wrong address.", None),
    ],
)
def test_the_source_check_refuses_changed_units_and_comparisons_but_not_restated_negations(answer, source, kind):
    (verdict,) = SourceCheck().check([(answer, source)])
    assert (verdict and verdict.kind) == kind


@pytest.mark.parametrize(
    ("answer", "glued"),
    [
        ("Raj's printer failed at 8:15 thismorning.", "thismorning"),
        ("Raj's printer failed at 8:15 this morning on Main Street.", None),
        ("Raj's printer on MainStreet failed at 8:15 this morning.", "MainStreet"),
        ("Nobody's printer failed this morning on Main Street.", None),  # "nobody" is a word
    ],
)
def test_two_words_of_the_source_run_together_are_refused(answer, glued):
    from chains.checks.fidelity import glued_words

    source = "No body's printer failed at 8:15 this morning on Main Street."
    assert glued_words(answer, source) == glued
    (verdict,) = SourceCheck().check([(answer, source)])
    assert (verdict.kind == "glued") if glued else (verdict is None or verdict.kind != "glued")
