"""The bundled Korean review set: its rows, its description, and `evaluate --data nsmc-ko` picking it."""

from collections import Counter

import pytest

from chains import load_task
from chains.checks.parsers import task_talk
from chains.checks.script import broken_character, language_problem, lone_jamo
from runners.experiments.commands import _labelled_data
from runners.experiments.datasets import DATASETS, NSMC, nsmc_ko
from runners.experiments.scoring import split
from runners.parser import build_parser


@pytest.fixture(scope="module")
def nsmc():
    return DATASETS["nsmc-ko"]()


def test_nsmc_holds_3000_balanced_unique_korean_reviews(nsmc):
    assert Counter(r["label"] for r in nsmc.rows) == {"positive": 1500, "negative": 1500}
    assert len({r["text"] for r in nsmc.rows}) == 3000
    assert all(set(r) == {"text", "label"} and r["text"].strip() == r["text"] for r in nsmc.rows)
    assert nsmc.language == "ko" and "영화" in nsmc.context
    assert set(nsmc.descriptions) == {"positive", "negative"}
    assert NSMC.with_name("NSMC.md").is_file()  # the data card travels with the data


def test_nsmc_leaves_training_rows_beside_the_test_and_judge_rows(nsmc):
    pool, test = split(nsmc.rows, nsmc.test_size)
    training = pool[nsmc.judge_size :]
    assert len(test) == nsmc.test_size
    assert min(Counter(r["label"] for r in training).values()) >= 50  # room for --k 50


def test_evaluate_selects_nsmc_by_name(nsmc):
    args = build_parser().parse_args(["evaluate", "--data", "nsmc-ko", "--describe", "positive=호평"])
    data = _labelled_data(args)
    assert data.language == "ko" and len(data.rows) == 3000
    assert data.descriptions == {**nsmc.descriptions, "positive": "호평"}
    assert load_task("labeled", data.language).language == "ko"


def test_real_reviews_pass_the_language_checks(nsmc):
    """Real reviews are the standard a generated row is held to: nearly all must read as their language.
    The Korean ones refused are typos ("한번꼭ㅂ보고") and reviews mostly in English."""
    refused = [r["text"] for r in nsmc.rows if lone_jamo(r["text"]) or language_problem(r["text"], "ko")]
    assert len(refused) / len(nsmc.rows) <= 0.015, refused
    english = DATASETS["rotten-tomatoes"]().rows
    assert not [r["text"] for r in english if language_problem(r["text"], "en") or broken_character(r["text"])]


def test_real_rows_do_not_read_as_talk_about_the_task():
    """No real row of the Korean sets quotes or repeats a class name or description as a meta answer does."""
    for name in ("nsmc-ko", "chatbot-topics-ko"):
        data = DATASETS[name]()
        terms = (*data.descriptions, *data.descriptions.values())
        assert not [r["text"] for r in data.rows if task_talk(r["text"], terms)]


def test_missing_data_file_says_how_to_restore_it(tmp_path):
    with pytest.raises(Exception, match="missing; reinstall synthaug"):
        nsmc_ko(tmp_path / "nsmc_ko.csv")
