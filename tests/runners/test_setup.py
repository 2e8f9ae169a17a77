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


def task_inputs_for(*flags, tmp_path):
    return task_and_inputs(build_parser().parse_args(["generate", *flags, "-o", str(tmp_path / "out.jsonl")]))


@pytest.fixture
def tickets(tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text("text,label\nMy parcel never came.,shipping\nI was charged twice.,Billing\n", encoding="utf-8")
    return path


def test_a_labelled_input_is_taken_as_an_examples_file_would_be(tickets, tmp_path):
    task, inputs = task_inputs_for("labeled", "--input", str(tickets), tmp_path=tmp_path)
    as_examples, _ = task_inputs_for("labeled", "--examples", str(tickets), tmp_path=tmp_path)
    assert task.classes == as_examples.classes == ["Billing", "shipping"]  # the template's are positive, negative
    assert task.examples == as_examples.examples
    assert inputs.rows == {
        "1": {"label": "shipping", "text": "My parcel never came."},
        "2": {"label": "Billing", "text": "I was charged twice."},
    }


def test_an_input_of_labels_alone_gives_the_classes(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("label\nbilling\nshipping\nbilling\n", encoding="utf-8")
    task, inputs = task_inputs_for("labeled", "--input", str(path), tmp_path=tmp_path)
    assert task.classes == ["billing", "shipping"] and [r["label"] for r in inputs.rows.values()] == [
        "billing",
        "shipping",
        "billing",
    ]


def test_given_classes_still_decide_which_input_labels_are_accepted(tickets, tmp_path):
    task, inputs = task_inputs_for(
        "labeled", "--input", str(tickets), "--classes", "billing,shipping", tmp_path=tmp_path
    )
    assert task.classes == ["billing", "shipping"] and inputs.rows["2"]["label"] == "billing"  # case aside


def test_the_default_model_is_the_built_in_1_5b_and_smollm2_is_named(monkeypatch, tmp_path):
    from chains.models import ModelSpec

    monkeypatch.delenv("SYNTHAUG_MODEL", raising=False)
    assert ModelSpec().name == "qwen2.5-coder-1.5b"
    assert spec_for("labeled", tmp_path=tmp_path).model == "qwen2.5-coder-1.5b"
    assert ModelSpec(model="smollm2-135m").name == "smollm2-135m"
    monkeypatch.setenv("SYNTHAUG_MODEL", "smollm2-135m")  # a user's own default, as the tests set it
    assert ModelSpec().name == "smollm2-135m"
    assert ModelSpec(server="http://localhost:8000/v1").model is None
