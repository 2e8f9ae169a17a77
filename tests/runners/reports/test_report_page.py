"""The HTML report in a real headless Chromium: it renders, shows rows per label and the map, logs no errors."""

import json
import re
import shutil
import subprocess

import pytest

from runners.cli import main

pytestmark = pytest.mark.integration  # a real browser and MiniLM
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


def open_page(path, tmp_path, *extra):
    """Chromium's rendered DOM of the page, and what it logged."""
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *extra, "--dump-dom", path.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def test_the_console_check_catches_an_error(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>console.error('broken page')</script></body></html>", encoding="utf-8")
    _, console = open_page(page, tmp_path)
    assert any("broken page" in line for line in console)


@pytest.fixture
def run_files(tmp_path):
    labels = {
        "fresh": ["A joyful, moving film.", "Sharp writing and a warm heart.", "The cast is superb.", "I loved it."],
        "rotten": ["A dull, lifeless mess.", "Two hours I will not get back.", "The plot makes no sense.", "Flat."],
    }
    rows, rejects = [], []
    for label, texts in labels.items():
        for i, text in enumerate(texts):
            rows.append(
                {
                    "id": f"{label}-{i}",
                    "task": "labeled",
                    "input_id": label,
                    "inputs": {"label": label},
                    "output": f"{text} <i>{i}</i>",
                    "label": label,
                    "raw": text,
                    "logprob": -1.0 - i / 10,
                }
            )
        rejects.append(
            {
                "input_id": label,
                "label": label,
                "raw": "<script>alert(1)</script>",
                "reason": "expected one sentence, got 2 sentences",
                "kind": "parse",
            }
        )
    run = tmp_path / "run.jsonl"
    run.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "run.rejected.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rejects), encoding="utf-8")
    real = tmp_path / "real.csv"
    real.write_text(
        "text,label\nGreat fun.,fresh\nA triumph.,fresh\nBoring.,rotten\nA disaster.,rotten\n", encoding="utf-8"
    )
    return run, real


def test_the_report_page_renders_rows_per_label_and_the_map(tmp_path, run_files, capsys):
    run, real = run_files
    assert main(["report", str(run), "--examples", str(real)]) == 0
    page = run.with_name("run.report.html")
    dom, console = open_page(page, tmp_path, "--window-size=1200,2400", f"--screenshot={tmp_path / 'shot.png'}")
    assert console == []
    for label in ("fresh", "rotten"):
        section = dom.split(f"<h3>{label}</h3>")[1].split("<h3>")[0]
        assert section.count('<tr class="accepted">') == 4 and section.count('<tr class="rejected">') == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "<script" not in dom
    assert "&lt;i&gt;0&lt;/i&gt;" in dom  # user text stays text
    (svg,) = re.findall(r'<svg[^>]*class="map".*?</svg>', dom, flags=re.DOTALL)
    assert svg.count("<circle") == 8 + 1 and svg.count('stroke-width="2"') == 4 + 1  # rows and legend marks
    assert "Model confidence" in dom
