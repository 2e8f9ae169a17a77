"""Flags to a run spec: the quota a labelled run on a pool gets when none is given."""

import csv

import pytest

from runners.parser import build_parser
from runners.setup import POOL_RATIO, model_spec, run_spec, task_and_inputs


@pytest.fixture
def pool(tmp_path):
    path = tmp_path / "pool.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows({"text": f"A fine film, number {i}.", "label": "fresh"} for i in range(5))
        writer.writerows({"text": f"A dull film, number {i}.", "label": "rotten"} for i in range(6))
    return path


def spec_for(*flags, tmp_path):
    args = build_parser().parse_args(["generate", *flags, "-o", str(tmp_path / "out.jsonl")])
    task, inputs = task_and_inputs(args)
    return run_spec(args, task, model_spec(args), inputs)


def test_a_labelled_run_on_a_pool_without_a_quota_makes_rows_in_proportion_to_the_pool(pool, tmp_path):
    spec = spec_for("labeled", "--examples", str(pool), tmp_path=tmp_path)
    assert spec.per_label == POOL_RATIO * 6 and spec.n == 1


@pytest.mark.parametrize(
    ("flags", "per_label", "n"),
    [
        (["--n", "2"], None, 2),  # a quota the user gave wins
        (["--per-label", "3"], 3, 1),
    ],
)
def test_a_given_quota_wins(pool, tmp_path, flags, per_label, n):
    spec = spec_for("labeled", "--examples", str(pool), *flags, tmp_path=tmp_path)
    assert (spec.per_label, spec.n) == (per_label, n)


def test_without_a_pool_to_validate_on_the_quota_stays_one_per_input(tmp_path):
    assert spec_for("labeled", tmp_path=tmp_path).per_label is None  # the template's few examples
    assert spec_for("headline", tmp_path=tmp_path).n == 1
