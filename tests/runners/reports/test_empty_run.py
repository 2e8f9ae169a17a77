"""`report` and `export` on a run that saved nothing say what it made, held back and rejected."""

import json

from runners.cli import main


def test_report_and_export_of_a_run_that_saved_nothing_show_what_was_held_back(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    out.write_text("", encoding="utf-8")
    (tmp_path / "out.manifest.json").write_text(json.dumps({"task": "labeled"}), encoding="utf-8")
    held = {"input_id": "good", "label": "good", "raw": "Nice.", "kind": "pool_validation", "reason": "no signal"}
    rejects = [held, {**held, "label": "bad"}, {**held, "kind": "parse", "reason": "two sentences"}]
    (tmp_path / "out.rejected.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rejects), encoding="utf-8")
    assert main(["report", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "saved no rows; 2 were made and held back by the gate, 1 answers rejected" in printed
    assert "held back, bad: 1" in printed and "rejected as parse: 1" in printed and "why: no signal" in printed
    assert "--keep-held" in printed
    assert main(["export", str(out), "--to", "csv"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "held back by the gate" in err and err.endswith("nothing to export")
