"""The same rows for the same seed on the embedded model, in float32 (bfloat16 where the CPU has it would give
other rows): a change to the layout or the plumbing must not change what a run writes.
`SYNTHAUG_UPDATE_GOLDEN=1` rewrites the golden file after a change that means to change the rows."""

import json
import os
from pathlib import Path

import pytest

from runners.cli import main

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden_rows.json")
RUNS = {
    "word": ["word", "--n", "3"],
    "paraphrase": ["paraphrase", "-i", str(ROOT / "templates" / "samples" / "hotel_reviews.csv")],
    "labeled": ["labeled", "--n", "3", "--strategy", "generate"],
}


def test_a_seed_gives_the_same_rows(tmp_path):
    made = {}
    for name, args in RUNS.items():
        out = tmp_path / f"{name}.jsonl"
        assert main(["generate", *args, "--seed", "3", "--dtype", "float32", "-q", "-o", str(out)]) == 0
        made[name] = [[r["id"], r["output"]] for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())]
    if os.environ.get("SYNTHAUG_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(made, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert made == json.loads(GOLDEN.read_text(encoding="utf-8"))
