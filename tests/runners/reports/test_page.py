"""The report page's rows to read: each rejected answer beside the input it was made from, all of it escaped."""

from collections import Counter

import numpy as np

from runners.reports.page import html_page
from runners.reports.report import GroupStats, Report


def page_with(rejects):
    report = Report(
        title="run",
        groups=[GroupStats("all", 1, len(rejects))],
        columns=[],
        judge_source="none",
        lengths=[4],
        similarities=np.array([0.5]),
        similarity_title="similarity",
        reasons=Counter(r["kind"] for r in rejects),
        samples={"all": ([{"output": "A soft bed.", "inputs": {"text": "The bed was soft."}}], rejects)},
    )
    return html_page(report)


def test_a_rejected_answer_is_shown_beside_its_source():
    page = page_with([{"raw": "The bed was soft!", "reason": "copy of the input", "kind": "copy", "source": "<b>x"}])
    assert "<tr><th>rejected</th><th>source</th><th>why</th></tr>" in page
    assert "<td>The bed was soft!</td><td>&lt;b&gt;x</td><td>copy of the input</td>" in page


def test_rejects_saved_before_they_kept_their_source_still_show():
    page = page_with([{"raw": "Two. Sentences.", "reason": "expected one sentence", "kind": "parse"}])
    assert "<tr><th>rejected</th><th>why</th></tr>" in page
    assert "<td>Two. Sentences.</td><td>expected one sentence</td>" in page
