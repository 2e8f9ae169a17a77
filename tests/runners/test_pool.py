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
    rows = rotten_tomatoes()[5000:5300]
    picked = [r for r in rows if r["label"] == "fresh"][:10] + [r for r in rows if r["label"] == "rotten"][:10]
    path = tmp_path_factory.mktemp("pool") / "pool.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows(picked)
    return path


def test_a_labelled_run_shows_every_example_and_saves_what_the_gate_passes(tmp_path, pool, capsys):
    out = tmp_path / "rt.jsonl"
    flags = ["--examples", str(pool), "--context", "Film review snippets", "--per-label", "30", "-q"]
    status = main(["generate", "labeled", *flags, "-o", str(out)])
    printed = capsys.readouterr()
    manifest = json.loads((tmp_path / "rt.manifest.json").read_text())
    validation = manifest["validation"]
    assert manifest["strategy"] == "generate" and validation["trials"] == {}
    assert validation["seconds"]["validating"] > 0
    # Every example of the pool was shown, in at least 8 distinct shot sets per class, each from one half.
    made = read_jsonl(tmp_path / "rt.parts" / "generate.jsonl")
    for label in ("fresh", "rotten"):
        sets = {frozenset(r["examples"]) for r in made if r["label"] == label}
        assert len({e for s in sets for e in s}) == 10 and len(sets) >= 8
    rows, rejects = read_jsonl(out), read_jsonl(tmp_path / "rt.rejected.jsonl")
    check = validation["label_check"]
    if check["used"] and check["agreement"] <= check["bar"]:  # the model's own labels found no class signal
        assert validation["estimate"] is None and rows == [] and {r["kind"] for r in rejects} >= {"label_check"}
    else:  # validated on the pool: the k-fold estimate and the unseen halves, over every row made
        assert {"tfidf", "minilm", "held_out"} <= set(validation["estimate"])
        assert validation["estimate"]["held_out"]["details"]["rows"] == len(made)
    assert all(0 <= r["weight"] <= 1 for r in rows)
    assert "| class | requested | made | saved | held back | rejected |" in printed.out
    assert f"| all | 60 | {len(made)} | {len(rows)} |" in printed.out
    # The model's own classify prompt was scored on the 16 pool examples it does not show (2 per class shown);
    # trusted, it judged every row and the summary says how many it put in their own class; else a notice says why.
    assert check["scored"] == 16 and check["chance"] == 0.5 and check["rows"] == len(made)
    if check["used"]:
        assert 0 <= check["agreement"] <= 1 and f"of the {len(made)} rows in their own class" in printed.out
    else:
        assert f"labels {check['accuracy']:.0%} of 16 pool examples it was not shown (chance 50%)" in printed.err
    if rows:
        assert status == 0 and f"saved {len(rows)} rows" in printed.out
    else:  # held back: they are rejects, one line says why and what to try, and the exit status says so
        assert status == 1 and any(r["kind"] in ("pool_validation", "label_check") for r in rejects)
        assert "Try a stronger model (--model qwen2.5-coder-1.5b)" in printed.err
    assert (
        main(["validate", "--examples", str(pool), "--rows", str(tmp_path / "rt.parts" / "generate.jsonl"), "--json"])
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
    assert "Estimated accuracy gain on the pool (20 labelled rows" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0
    assert "Validation on the labelled pool (20 rows)" in capsys.readouterr().out
    page = (tmp_path / "para.report.html").read_text(encoding="utf-8")
    assert "<section id='validation'>" in page
