"""Whole text in the task's language: broken characters, lone jamo and the share of the language's script."""

import unicodedata

import pytest

from chains.checks.script import broken_character, language_problem, lone_jamo, script_share


@pytest.mark.parametrize(
    ("text", "language", "share"),
    [
        ("배우들의 연기가 정말 훌륭했어요.", "ko", 1.0),
        ("스토리는 뻔했지만 OST는 좋았다.", "ko", 0.8),
        ("대박ㅋㅋ", "ko", 1.0),  # jamo are Hangul letters
        (unicodedata.normalize("NFD", "좋아요"), "ko", 1.0),
        ("The café was great.", "en", 1.0),
        ("The café was great.", "ko", 0.0),
        ("12345 !!!", "ko", None),  # no letters
        ("Bonjour", "fr", None),  # a language without a script rule
    ],
)
def test_script_share(text, language, share):
    assert script_share(text, language) == (None if share is None else pytest.approx(share))


@pytest.mark.parametrize(
    ("text", "broken", "jamo"),
    [
        ("직믹이에세무\ufffd", "U+FFFD, a character cut mid-token", None),
        ("tab\there", None, None),
        ("bell\x07", "the control character U+0007", None),
        ("방도관ㄹ적이", None, "ㄹ"),
        ("수작임 ㅋ 완전 ㄷㄷ ㅇㅋ", None, None),  # laughter alone and shorthand runs pass
        ("\u1100 가", None, "\u1100"),  # a conjoining jamo that composes nothing
    ],
)
def test_broken_characters_and_lone_jamo(text, broken, jamo):
    assert (broken_character(text), lone_jamo(text)) == (broken, jamo)


def test_language_problem_names_the_share():
    assert language_problem("iPhone 최고", "ko") == "expected Korean, got 25% Hangul letters (at least 60% needed)"
    assert language_problem("iPhone 최고", None) is None


@pytest.mark.parametrize(
    ("text", "language", "problem"),
    [
        ("난 화ум이 좋아요.", "ko", "expected Korean, got Cyrillic letters 'ум' in a Hangul text"),
        ("정말 很好 재미있는 영화였어요 진짜로", "ko", "expected Korean, got CJK letters '很好' in a Hangul text"),
        ("The staff were gre很at to us all.", "en", "expected English, got CJK letters '很' in a Latin text"),
        ("We loved the drama 사랑의 불시착 a lot.", "en", None),  # a title in its own script
        ("스토리는 뻔했지만 OST는 좋았다.", "ko", None),  # Latin beside Hangul: names, brands, code
        ("Doctors prescribe β-blockers for 5 µm plaques.", "en", None),  # symbols
        ("Это хорошо", "ko", "expected Korean, got 0% Hangul letters (at least 60% needed)"),  # the share first
    ],
)
def test_a_third_script_in_a_row_is_refused(text, language, problem):
    assert language_problem(text, language) == problem
