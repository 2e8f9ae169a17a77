"""Quotas plan their work, and each retry changes what caused the last attempt's rejections."""

from collections import Counter

import pytest

from runners.run.quotas import TEMPERATURE_CAP, TEMPERATURE_FLOOR, Quota, next_attempt
from runners.run.records import Attempt


@pytest.mark.parametrize(
    ("kinds", "has_source", "expected"),
    [
        (Counter(copy=3), True, Attempt(2, 0.85, 5, 0)),
        (Counter(near_copy=1, parse=5), True, Attempt(2, 0.85, 5, 0)),
        (Counter(meaning=2, form=1, copy=1), True, Attempt(2, 0.55, 5, 0)),
        (Counter(judge=2), True, Attempt(2, None, None, 2)),
        (Counter(parse=2), True, Attempt(2, None, None, 0)),
        (Counter(copy=3), False, Attempt(2, 0.85, None, 0)),  # no source, no copy block to strengthen
        (Counter(judge=1, duplicate=1), True, Attempt(2, 0.85, 5, 2)),
    ],
)
def test_a_retry_changes_what_the_rejections_point_at(kinds, has_source, expected):
    assert next_attempt(Attempt(), kinds, 0.7, sampling=True, has_source=has_source) == expected


def test_retries_move_to_their_caps_and_no_further():
    hot = cold = Attempt()
    for _ in range(12):
        hot = next_attempt(hot, Counter(copy=1, judge=1), 0.7, sampling=True, has_source=True)
        cold = next_attempt(cold, Counter(meaning=1), 0.7, sampling=True, has_source=True)
    assert (hot.temperature, hot.no_copy, hot.extra_shots) == (TEMPERATURE_CAP, 3, 24)
    assert hot.settings() == {"temperature": TEMPERATURE_CAP, "no_copy": 3}
    assert (cold.temperature, cold.no_copy) == (TEMPERATURE_FLOOR, None)


def test_greedy_runs_keep_their_temperature_and_a_hot_run_is_not_cooled_by_copies():
    assert next_attempt(Attempt(), Counter(copy=1), 0.7, sampling=False, has_source=False).temperature is None
    assert next_attempt(Attempt(), Counter(copy=1), 1.5, sampling=True, has_source=False).temperature is None
    assert Attempt().settings() == {}


def test_plan_rotates_inputs_and_a_retry_asks_for_twice_the_need():
    quota = Quota(key="pos", input_ids=["a", "b", "c"], target=2)
    first = quota.plan()
    assert [(w.input_id, w.samples) for w in first] == [("a", 1), ("b", 1)]
    quota.have = 1
    assert [(w.input_id, w.samples) for w in quota.plan()] == [("c", 2)]
    assert quota.attempts == 2


def test_a_model_that_cannot_sample_gets_a_prompt_of_its_own_for_each_sample():
    quota = Quota(key="a", input_ids=["a"], target=3, vary=True)
    first = quota.plan()
    assert [(w.samples, w.variant) for w in first] == [(1, 1), (1, 2), (1, 3)]
    quota.have = 2
    retry = quota.plan()  # twice the need, on variants no earlier prompt took
    assert [(w.samples, w.variant) for w in retry] == [(1, 4), (1, 5)]
