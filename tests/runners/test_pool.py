"""On the real embedded model: a labelled run on the user's pool validates its rows, saves only what passes the
gate (each row with a weight), and says what it did; `validate` judges rows from anywhere; the report shows it."""

import csv
import json

import pytest

from runners.cli import main
from runners.experiments.datasets import rotten_tomatoes
from runners.run.store import read_jsonl

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    rows = rotten_tomatoes()[5000:5200]
    picked = [r for r in rows if r["label"] == "fresh"][:8] + [r for r in rows if r["label"] == "rotten"][:8]
    path = tmp_path_factory.mktemp("pool") / "pool.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows(picked)
    return path


def test_a_labelled_run_on_a_pool_saves_only_rows_that_pass_the_gate(tmp_path, pool, capsys):
    out = tmp_path / "rt.jsonl"
    flags = ["--examples", str(pool), "--context", "Film review snippets", "--per-label", "4", "-q"]
    assert main(["generate", "labeled", *flags, "-o", str(out)]) == 0
    printed = capsys.readouterr()
    manifest = json.loads((tmp_path / "rt.manifest.json").read_text())
    validation = manifest["validation"]
    assert manifest["strategy"] == "auto" and set(validation["trials"]) == {"generate", "rewrite", "mix"}
    assert {"tfidf", "minilm"} <= set(validation["estimate"]) and validation["seconds"]["validating"] > 0
    rows, rejects = read_jsonl(out), read_jsonl(tmp_path / "rt.rejected.jsonl")
    assert all(0 <= r["weight"] <= 1 for r in rows)
    assert f"saved {len(rows)} rows (strategy " in printed.out
    if not rows:  # held back: they are rejects, and one line says what to try
        assert any(r["kind"] == "pool_validation" for r in rejects)
        assert (
            printed.err.strip()
            .splitlines()[-1]
            .endswith("Try a stronger model (--model qwen2.5-coder-1.5b) or a model server (--server)")
        )
    parts = read_jsonl(tmp_path / "rt.parts" / "rewrite.jsonl")
    pool_texts = {r["text"] for r in csv.DictReader(pool.open(encoding="utf-8"))}
    assert parts and all(r["inputs"]["text"] in pool_texts for r in parts)  # a rewrite restates a pool row
    assert (
        main(["validate", "--examples", str(pool), "--rows", str(tmp_path / "rt.parts" / "rewrite.jsonl"), "--json"])
        == 0
    )
    estimate = json.loads(capsys.readouterr().out)
    assert all(estimate[c]["low"] <= estimate[c]["gain"] <= estimate[c]["high"] for c in ("tfidf", "minilm"))
    assert estimate["details"]["unlinked"] == 0  # their provenance names the pool rows they came from


def test_a_paraphrase_run_of_labelled_rows_prints_and_reports_its_estimate(tmp_path, pool, capsys):
    out = tmp_path / "para.jsonl"
    assert (
        main(
            [
                "generate",
                "paraphrase",
                "-i",
                str(pool),
                "--no-fact-check",
                "--min-similarity",
                "-1",
                "-q",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert "Estimated accuracy gain on the pool (16 labelled rows" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0
    assert "Validation on the labelled pool (16 rows)" in capsys.readouterr().out
    page = (tmp_path / "para.report.html").read_text(encoding="utf-8")
    assert "<section id='validation'>" in page
