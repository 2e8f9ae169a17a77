"""Every bad input: exit status 2, a one-line error naming the problem and the fix, existing output untouched."""

import json
import re

import pytest

from chains import load_task
from chains.chain import resolve_settings
from runners.cli import main
from runners.run.inputs import load_inputs
from runners.run.spec import RunSpec

GOOD_CSV = "text,label\nGreat view.,positive\n"


@pytest.fixture
def workspace(tmp_path):
    """An output from an earlier run, whose bytes every failing command must leave alone."""
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps({"id": "1-0", "input_id": "1", "output": "Kept."}) + "\n", encoding="utf-8")
    task = load_task("word")
    spec = RunSpec(task=task, model="smollm2-135m", generation=resolve_settings(task, {}), selector="fixed", shots=4)
    manifest = spec.manifest()
    (tmp_path / "out.manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "out.rejected.jsonl").write_text("", encoding="utf-8")
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    return tmp_path, files


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


TEMPLATE = "name: t\nlanguage: en\nsystem: s\ninstruction: 'Say {text}'\noutput: word\n"

# (name, files to create {name: content}, argv after `generate`, expected error line)
CASES = [
    (
        "missing input file",
        {},
        ["paraphrase", "-i", "{d}/none.csv"],
        "error: input file {d}/none.csv does not exist; check the path given to --input",
    ),
    (
        "empty file",
        {"in.csv": ""},
        ["paraphrase", "-i", "{d}/in.csv"],
        "error: input file {d}/in.csv is empty; give it a header and at least one row",
    ),
    (
        "header only",
        {"in.csv": "text,label\n"},
        ["paraphrase", "-i", "{d}/in.csv"],
        "error: input file {d}/in.csv has a header but no rows; add rows to generate from",
    ),
    (
        "missing text column",
        {"in.csv": "review,stars\nok,5\n"},
        ["paraphrase", "-i", "{d}/in.csv"],
        "error: input file {d}/in.csv has no column 'text' (--text-column); columns found: review, stars",
    ),
    (
        "missing label column",
        {"in.csv": GOOD_CSV},
        ["labeled", "-i", "{d}/in.csv", "--label-column", "y"],
        "error: input file {d}/in.csv has no column 'y' (--label-column); columns found: text, label",
    ),
    (
        "non-UTF-8 bytes",
        {"in.csv": b"text\nfine\ncaf\xe9\n"},
        ["paraphrase", "-i", "{d}/in.csv"],
        "error: {d}/in.csv line 3 is not UTF-8 text; re-save the file as UTF-8 (e.g. `iconv -t UTF-8`)",
    ),
    (
        "unquoted comma",
        {"in.csv": "text\nfine\nThe room was nice, clean and quiet.\n"},
        ["paraphrase", "-i", "{d}/in.csv"],
        "error: {d}/in.csv line 3 has 2 cells but the header has 1; "
        'put a text that holds a comma in double quotes ("like, this")',
    ),
    (
        "malformed JSONL line",
        {"in.jsonl": '{"text": "a"}\n{"text": "b"\n'},
        ["paraphrase", "-i", "{d}/in.jsonl"],
        "error: {d}/in.jsonl line 2 is not valid JSON (Expecting ',' delimiter); fix or remove that line",
    ),
    (
        "JSONL line not an object",
        {"in.jsonl": '["a"]\n'},
        ["paraphrase", "-i", "{d}/in.jsonl"],
        'error: {d}/in.jsonl line 1 must be a JSON object like {{"text": "..."}}',
    ),
    (
        "unknown suffix",
        {"in.txt": "a\n"},
        ["paraphrase", "-i", "{d}/in.txt"],
        "error: input file {d}/in.txt must end in .csv or .jsonl; convert it or rename it",
    ),
    (
        "only empty texts",
        {"in.csv": 'text\n   \n""\n'},
        ["paraphrase", "-i", "{d}/in.csv"],
        "error: every row of {d}/in.csv has an empty 'text'; fill in the text column",
    ),
    (
        "examples file lacks its columns",
        {"ex.csv": "sentence\nHi.\n"},
        ["labeled", "--examples", "{d}/ex.csv"],
        "error: examples file {d}/ex.csv has no column 'text' (--text-column) or 'label' (--label-column), "
        "which task labeled needs; columns found: sentence",
    ),
    (
        "examples file lacks the text column named",
        {"ex.csv": "text,label\nHi.,positive\n"},
        ["labeled", "--examples", "{d}/ex.csv", "--text-column", "review"],
        "error: examples file {d}/ex.csv has no column 'review' (--text-column), which task labeled needs; "
        "columns found: text, label",
    ),
    (
        "examples file with a header only",
        {"ex.csv": "text,label\n"},
        ["labeled", "--examples", "{d}/ex.csv"],
        "error: examples file {d}/ex.csv has a header but no rows; add examples to it",
    ),
    (
        "missing examples file",
        {},
        ["labeled", "--examples", "{d}/none.csv"],
        "error: examples file {d}/none.csv does not exist; check the path given to --examples",
    ),
    (
        "misspelt task",
        {},
        ["paraphrse"],
        "error: unknown task 'paraphrse' for language 'en'; did you mean paraphrase?",
    ),
    (
        "unknown task",
        {},
        ["poem"],
        "error: unknown task 'poem' for language 'en'; use one of classify, headline, labeled, paraphrase, rewrite, utterance, word or a path to a .yaml template",
    ),
    ("unknown language", {}, ["word", "-l", "xx"], "error: unknown language 'xx'; use one of en, ko"),
    (
        "label not in the classes given",
        {"in.csv": "text,label\nMeh.,neutral\n"},
        ["labeled", "-i", "{d}/in.csv", "--classes", "positive,negative"],
        "error: {d}/in.csv row 1 has label 'neutral', which is not one of the task's classes (positive, negative); fix the row or add its label to --classes",
    ),
    (
        "input label not in the examples' classes",
        {"in.csv": "text,label\nMeh.,neutral\n", "ex.csv": "text,label\nGreat.,good\nAwful.,bad\n"},
        ["labeled", "-i", "{d}/in.csv", "--examples", "{d}/ex.csv"],
        "error: {d}/in.csv row 1 has label 'neutral', which is not one of the task's classes (bad, good); fix the row or add its label to --classes",
    ),
    (
        "n zero",
        {},
        ["word", "--n", "0"],
        "error: --n must be a whole number of 1 or more, not '0'; see `synthaug generate --help`",
    ),
    (
        "n negative",
        {},
        ["word", "--n", "-2"],
        "error: --n must be a whole number of 1 or more, not '-2'; see `synthaug generate --help`",
    ),
    (
        "n not a number",
        {},
        ["word", "--n", "abc"],
        "error: --n must be a whole number of 1 or more, not 'abc'; see `synthaug generate --help`",
    ),
    (
        "temperature not a number",
        {},
        ["word", "--temperature", "hot"],
        "error: --temperature must be a number, not 'hot'; see `synthaug generate --help`",
    ),
    (
        "similarity out of range",
        {},
        ["paraphrase", "--near-copy", "1.5"],
        "error: --near-copy must be a cosine similarity above 0 and at most 1, not '1.5'; see `synthaug generate --help`",
    ),
    (
        "per-label on a task without labels",
        {},
        ["word", "--per-label", "3"],
        "error: --per-label needs a task whose inputs carry a label (like labeled); use --n for word",
    ),
    (
        "model path that does not exist",
        {},
        ["word", "--model", "{d}/no-model", "--force-new"],
        "error: model file or folder {d}/no-model does not exist; check the path (flag: --model)",
    ),
    (
        "model folder with no model in it",
        {"folder/readme.txt": "nothing here"},
        ["word", "--model", "{d}/folder"],
        "error: folder {d}/folder holds no model: no config.json and no .gguf file; pass a folder saved by transformers (save_pretrained), a .gguf file, or a Hugging Face id (flag: --model)",
    ),
    (
        "GGUF file that is not a GGUF model",
        {"broken.gguf": "not a gguf file"},
        ["word", "--model", "{d}/broken.gguf"],
        "error: cannot convert {d}/broken.gguf (*); transformers reads GGUF files of common architectures (Llama, Mistral, Qwen2/3, Phi-3, Gemma 2/3, ...); pass the original safetensors model instead (flag: --model)",
    ),
    (
        "template not YAML",
        {"t.yaml": "name: [x\n"},
        ["{d}/t.yaml"],
        "error: template {d}/t.yaml is not valid YAML at line 2; fix its syntax",
    ),
    (
        "template lacks a field",
        {"t.yaml": TEMPLATE.replace("output: word\n", "")},
        ["{d}/t.yaml"],
        "error: template {d}/t.yaml lacks the field 'output'; add it",
    ),
    (
        "jinja2 template",
        {"t.yaml": TEMPLATE + "template_format: jinja2\n"},
        ["{d}/t.yaml"],
        "error: template {d}/t.yaml: template_format jinja2 is refused because jinja2 templates can run code; write the template in f-string or mustache format",
    ),
    (
        "negative temperature",
        {},
        ["word", "--temperature", "-1"],
        "error: --temperature -1.0 is out of range; use a value > 0 and <= 5",
    ),
    (
        "top-p above one",
        {},
        ["word", "--top-p", "2"],
        "error: --top-p 2.0 is out of range; use a value > 0 and <= 1",
    ),
    (
        "attempts past reason",
        {},
        ["word", "--max-attempts", "500"],
        "error: --max-attempts 500 is out of range; use a value >= 1 and <= 100",
    ),
    (
        "a row longer than the model's context",
        {"in.csv": "text\nshort\n" + "word " * 20000 + "\n"},
        ["paraphrase", "-i", "{d}/in.csv"],
        "error: input row 2 needs {{tokens}} tokens with its prompt and answer, past the model's context of 8192; "
        "shorten or split that text",
    ),
    (
        "an empty label cell",
        {"in.csv": "text,label\nGreat view.,positive\nNo towels.,\n"},
        ["paraphrase", "-i", "{d}/in.csv"],
        "error: {d}/in.csv row 2 has an empty 'label' cell; fill in its label, or pass --skip-unlabelled to leave such rows out",
    ),
    (
        "a description of a class that does not exist",
        {},
        ["labeled", "--describe", "neutral=neither"],
        "error: --describe names class 'neutral', which is not one of the classes (positive, negative); "
        "fix the name or add the class",
    ),
    (
        "a judge floor without a judge",
        {},
        ["labeled", "--min-confidence", "0.8"],
        "error: --min-confidence goes with --verify-label; add --verify-label or drop --min-confidence",
    ),
    (
        "other settings than the run being resumed",
        {},
        ["word", "--seed", "7"],
        "error: {d}/out.jsonl was made with other settings (seed: 0 -> 7); rerun with the same settings to resume, "
        "or pass --force-new to start over",
    ),
]


@pytest.mark.parametrize(("name", "files", "argv", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(workspace, capsys, name, files, argv, expected):
    folder, before = workspace
    inputs = folder / "inputs"
    inputs.mkdir()
    for file_name, content in files.items():
        write(inputs / file_name, content)
    args = ["generate"] + [a.format(d=inputs) for a in argv] + ["-o", str(folder / "out.jsonl")]
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    expected = expected.format(d=inputs if "{d}/out" not in expected else folder)
    pattern = re.escape(expected).replace(re.escape("{tokens}"), r"\d+").replace(re.escape("(*)"), r"\(.+\)")
    assert re.fullmatch(pattern, err[-1]), err[-1]
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            "missing/out.jsonl",
            "error: output folder {d}/missing does not exist; create it (mkdir -p {d}/missing) or pick another --output",
        ),
        (
            "/sys/out.jsonl",
            "error: output folder /sys is not writable (Permission denied); pick another --output or fix its permissions",
        ),
    ],
)
def test_output_folder_must_exist_and_be_writable(tmp_path, capsys, output, expected):
    out = output if output.startswith("/") else str(tmp_path / output)
    assert main(["generate", "word", "-o", out]) == 2
    assert capsys.readouterr().err.strip() == expected.format(d=tmp_path)


def test_csv_fields_with_newlines_and_quotes_are_read_whole(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('text,label\n"Line one\nline two, with ""quotes""",positive\nPlain.,negative\n', encoding="utf-8")
    rows = load_inputs(path, load_task("paraphrase")).rows
    # The label column is carried along, so a paraphrase keeps its source's label.
    assert rows == {
        "1": {"text": 'Line one\nline two, with "quotes"', "label": "positive"},
        "2": {"text": "Plain.", "label": "negative"},
    }


def test_empty_rows_are_skipped_and_counted(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "a"}\n{"text": "  "}\n\n{"text": ""}\n{"text": "b", "id": "x"}\n', encoding="utf-8")
    inputs = load_inputs(path, load_task("paraphrase"))
    assert inputs.rows == {"1": {"text": "a"}, "x": {"text": "b"}} and inputs.skipped_empty == 2


def test_a_huge_text_is_read_whole_and_its_row_remembered(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("text\n" + "word " * 20000 + "\nshort\n", encoding="utf-8")
    inputs = load_inputs(path, load_task("paraphrase"))
    assert len(inputs.rows["1"]["text"]) == 100000 and inputs.rows["2"]["text"] == "short"
    assert inputs.lines == {"1": 1, "2": 2}


def test_unlabelled_rows_can_be_skipped_and_are_counted(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("text,label\nGreat view.,positive\nNo towels.,\n", encoding="utf-8")
    inputs = load_inputs(path, load_task("paraphrase"), skip_unlabelled=True)
    assert inputs.rows == {"1": {"text": "Great view.", "label": "positive"}} and inputs.skipped_unlabelled == 1
