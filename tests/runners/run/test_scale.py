"""On the real model: Ray runs against the plain path and resuming on Ray, label verification, evaluation."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chains import load_task, parser_for
from chains.checks.dedup import dedup_key
from tests.kinds import is_sentence

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def synthaug(*args, timeout=900):
    result = subprocess.run(
        [sys.executable, "-m", "runners", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def rows_of(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def snippets(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "rt16.csv"
    synthaug("sample-data", "rotten-tomatoes", "-o", path, "--offset", 200, "--limit", 16)
    return path


def check_rows(rows):
    parser = parser_for(load_task("paraphrase"))
    assert all(parser.parse(r["raw"]) == r["output"] and is_sentence(r["output"]) for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({dedup_key(r["output"]) for r in rows}) == len(rows)


def test_ray_with_two_workers_gives_what_the_plain_path_gives_and_resumes(tmp_path, snippets):
    # The meaning and fact checks are off: a quota they leave unmet would say nothing about Ray.
    common = ["generate", "paraphrase", "-i", snippets, "--n", 1, "-q", "--min-similarity", -1, "--no-fact-check"]
    plain, ray = tmp_path / "plain.jsonl", tmp_path / "ray.jsonl"
    synthaug(*common, "-o", plain)
    synthaug(*common, "-o", ray, "--ray", "--workers", 2)
    plain_rows, ray_rows = rows_of(plain), rows_of(ray)
    assert len(plain_rows) == len(ray_rows) == 16
    assert {tuple(sorted(r)) for r in ray_rows} == {tuple(sorted(plain_rows[0]))}  # one schema, the same
    assert {r["label"] for r in ray_rows} == {"fresh", "rotten"}  # the source labels travel with the rows
    check_rows(ray_rows)

    # A crash after 6 rows, mid-line: the resumed Ray run keeps them and fills the rest.
    lines = ray.read_bytes().splitlines(keepends=True)
    ray.write_bytes(b"".join(lines[:6]) + lines[6][:25])
    out = synthaug(*common, "-o", ray, "--ray", "--workers", 2)
    assert "(6 kept from before)" in out
    resumed = rows_of(ray)
    assert resumed[:6] == ray_rows[:6] and len(resumed) == 16
    check_rows(resumed)


def test_verified_rows_carry_the_judges_agreeing_label_and_export(tmp_path, snippets):
    out = tmp_path / "v.jsonl"
    # The meaning and fact checks are off: what is checked here is the judge.
    flags = ["--n", 1, "--verify-label", "-q", "--min-similarity", -1, "--no-fact-check", "--format", "hf"]
    synthaug("generate", "paraphrase", "-i", snippets, "-o", out, *flags)
    rows = rows_of(out)
    # An input whose paraphrases the judge keeps labelling otherwise may run out of attempts; most do not.
    assert 12 <= len(rows) <= 16 and len({r["input_id"] for r in rows}) == len(rows)
    assert all(r["judge"]["name"] == "embedding" and r["judge"]["label"] == r["label"] for r in rows)
    assert all(0.5 <= r["judge"]["confidence"] <= 1 for r in rows)
    from runners.reports.export import training_row
    from tests.exports import read_rows

    assert read_rows(tmp_path / "v.hf", "hf") == [training_row(r) for r in rows]
    report = synthaug("report", out)
    assert "label fidelity judge: the rows' own verdicts from generate --verify-label embedding" in report
    assert f"| all | {len(rows)} |" in report and (tmp_path / "v.report.html").exists()


def test_evaluate_prints_every_classifier_and_training_set(tmp_path):
    out = synthaug(
        "evaluate",
        "--k",
        3,
        "--seeds",
        1,
        "--test-size",
        40,
        "--judge-size",
        200,
        "--n",
        1,
        "--shots",
        2,
        "--temperature",
        0.9,
        "--workdir",
        tmp_path,
        "-q",
        timeout=600,
    )
    table = [line for line in out.splitlines() if line.startswith(("| 3 | tfidf+lr |", "| 3 | minilm+lr |"))]
    assert len(table) == 6 + 4  # three training sets per classifier, then two gains per classifier
    judge = [line for line in out.splitlines() if line.startswith(("| 3 | fresh |", "| 3 | rotten |"))]
    assert len(judge) == 2 * 3  # precision and recall per class at its top label and two floors
    assert any(line.startswith("| 3 | minilm+lr | synthaug | ") for line in table)
    assert "| 3 | 0 | 6 |" in out  # the independent judge's fidelity line for the run
    assert (tmp_path / "evaluate.md").read_text(encoding="utf-8").startswith("`synthaug evaluate --k 3")
    rows = rows_of(tmp_path / "labeled-k3-seed0.jsonl")
    assert sorted(r["label"] for r in rows) == ["fresh"] * 3 + ["rotten"] * 3
    # The drawn examples are sorted by label (fresh 0-2, rotten 3-5): each row was shown its own class only.
    own = {
        "fresh": {f"labeled-k3-seed0-{i}" for i in range(3)},
        "rotten": {f"labeled-k3-seed0-{i}" for i in range(3, 6)},
    }
    assert all(r["examples"] and set(r["examples"]) <= own[r["label"]] for r in rows)
    assert all(len(r["examples"]) <= 2 for r in rows)  # --shots 2
    assert all(r["generation"]["temperature"] == 0.9 for r in rows if r["attempts"] == 1)  # --temperature 0.9
