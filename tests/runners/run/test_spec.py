"""The run spec: checked once when built, frozen, and the only source of the manifest."""

import pydantic
import pytest

from chains import load_task
from chains.chain import resolve_settings
from chains.errors import SynthaugError
from chains.knobs import KnobError
from runners.run.spec import RunSpec


def spec(task="paraphrase", **fields):
    task = load_task(task)
    return RunSpec(task=task, model="m", generation=resolve_settings(task, fields.pop("user", {})), **fields)


@pytest.mark.parametrize(
    ("fields", "knob"),
    [
        ({"n": 0}, "n"),
        ({"batch_size": 0}, "batch_size"),
        ({"no_copy": 2}, "no_copy"),
        ({"user": {"temperature": 0.0}}, "temperature"),
        ({"user": {"top_p": 1.5}}, "top_p"),
    ],
)
def test_a_knob_out_of_range_is_refused_by_name(fields, knob):
    with pytest.raises(KnobError) as error:
        spec(**fields)
    assert error.value.knob == knob


def test_the_spec_is_frozen():
    with pytest.raises(pydantic.ValidationError):
        spec().n = 3


def test_the_users_settings_win_over_the_tasks_and_the_manifest_records_them():
    run = spec(user={"temperature": 0.5}, seed=7, per_label=3)
    manifest = run.manifest()
    assert manifest["generation"]["temperature"] == 0.5
    assert manifest["generation"]["max_new_tokens"] == load_task("paraphrase").max_new_tokens()
    assert manifest["quota"] == {"n": None, "per_label": 3} and manifest["seed"] == 7
    assert manifest["selector"] == {"name": "fixed", "shots": len(load_task("paraphrase").examples)}


def test_source_checks_and_the_no_copy_block_apply_only_to_tasks_with_a_source():
    assert spec("paraphrase").checks() == {
        "min_logprob": None,
        "no_copy": 6,
        "near_copy": 0.8,
        "min_similarity": 0.6,
        "facts": True,
    }
    assert spec("paraphrase").first_attempt().no_copy == 6
    assert spec("word").checks() == {"min_logprob": None}
    assert spec("word").first_attempt().no_copy is None
    assert spec("labeled", verify_label="embedding", min_confidence=0.7).checks()["min_confidence"] == 0.7


def test_ray_starts_one_model_actor_per_gpu_and_shares_cores_otherwise():
    from runners.run.distributed import Actors, plan_actors

    assert plan_actors({"CPU": 16, "GPU": 4}, None, "auto") == Actors(4, 1, 1, 4, "cuda")
    assert plan_actors({"CPU": 16, "GPU": 4}, 2, "cuda") == Actors(2, 1, 1, 8, "cuda")
    assert plan_actors({"CPU": 16, "GPU": 4}, None, "cpu") == Actors(16, 1, 0, 1, "cpu")
    assert plan_actors({"CPU": 2}, None, "auto") == Actors(2, 1, 0, 1, "cpu")
    assert plan_actors({"CPU": 2}, 4, "auto") == Actors(4, 0.5, 0, 1, "cpu")  # more actors than cores share them
    with pytest.raises(SynthaugError, match="the Ray cluster has none; use --device cpu"):
        plan_actors({"CPU": 8}, None, "cuda")
    with pytest.raises(SynthaugError, match="5 model actors need 5 GPUs, and the Ray cluster has 4"):
        plan_actors({"CPU": 8, "GPU": 4}, 5, "auto")
