"""The durable store: torn lines, damaged files, the manifest and resume checks."""

import json

import pytest

from runners.run.store import OutputError, RunStore, check_resume, read_jsonl, sidecar, start_over, write_json_atomic


def test_a_torn_last_line_is_dropped_and_cut_from_the_file(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": 2')
    assert read_jsonl(path, repair=False) == [{"a": 1}] and path.read_bytes().endswith(b'{"a": 2')
    assert read_jsonl(path) == [{"a": 1}]
    assert path.read_bytes() == b'{"a": 1}\n'


def test_a_damaged_line_in_the_middle_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_bytes(b'{"a": 1}\nnot json\n{"a": 3}\n')
    with pytest.raises(OutputError, match="damaged line in the middle"):
        read_jsonl(path)
    assert path.read_bytes() == b'{"a": 1}\nnot json\n{"a": 3}\n'


def test_the_store_resumes_saved_rows_and_keeps_the_manifest_counts(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "a-0"}\n', encoding="utf-8")
    sidecar(out, "rejected").write_bytes(b'{"kind": "parse"}\n{"kind"')
    store = RunStore(out)
    assert store.open({"task": "word"}) == [{"id": "a-0"}]
    assert sidecar(out, "rejected").read_bytes() == b'{"kind": "parse"}\n'  # the torn reject is cut
    store.save([{"id": "a-1"}], [{"kind": "copy"}])
    store.close({"accepted": 2, "unmet_quotas": []})
    assert [r["id"] for r in read_jsonl(out)] == ["a-0", "a-1"]
    manifest = json.loads(sidecar(out, "manifest").read_text())
    assert manifest == {"task": "word", "counts": {"accepted": 2, "unmet_quotas": []}}


def test_resume_is_refused_when_settings_changed_and_names_them(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "a-0"}\n', encoding="utf-8")
    write_json_atomic(sidecar(out, "manifest"), {"seed": 0, "model": "m"})
    check_resume(out, {"seed": 0, "model": "m"}, force_new=False)
    with pytest.raises(OutputError, match=r"seed: 0 -> 1.*--force-new"):
        check_resume(out, {"seed": 1, "model": "m"}, force_new=False)
    check_resume(out, {"seed": 1, "model": "m"}, force_new=True)


def test_rows_without_a_manifest_are_not_appended_to(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(OutputError, match="no run manifest"):
        check_resume(out, {"seed": 0}, force_new=False)


def test_start_over_keeps_every_old_file_as_bak(tmp_path):
    out = tmp_path / "out.jsonl"
    for path in (out, sidecar(out, "rejected"), sidecar(out, "manifest")):
        path.write_text("old\n", encoding="utf-8")
    start_over(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "out.jsonl.bak",
        "out.manifest.json.bak",
        "out.rejected.jsonl.bak",
    ]


def test_an_atomic_write_leaves_no_temporary_file(tmp_path):
    write_json_atomic(tmp_path / "m.json", {"b": 1, "a": 2})
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
    assert (tmp_path / "m.json").read_text().startswith('{\n  "a": 2')
