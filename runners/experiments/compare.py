"""`compare-selectors`: the same inputs through several example selectors, one table of what each gives."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from runners.reports.metrics import distinct_n
from runners.run.generate import build_generator
from runners.run.inputs import Inputs
from runners.run.spec import RunSpec
from runners.run.store import read_jsonl


def compare_selectors(
    spec: RunSpec, llm: Any, inputs: Inputs, names: list[str], gold: dict[str, str] | None = None
) -> str:
    """Run every selector (and zero-shot) on the same inputs with the run `spec` otherwise; a Markdown table."""
    task = spec.task
    runs = [("zero-shot (--shots 0)", "fixed", 0)] + [(name, name, spec.shots) for name in names]
    header = "| selector | valid rate | distinct-2 | duplicate rate | mean prompt tokens | rows/s |"
    lines = [
        f"{task.name}, {len(inputs.rows)} inputs x {spec.n}, {spec.shots} shots, pool of {len(task.examples)} examples, "
        f"model {spec.model}",
        "",
        header + (" accuracy |" if gold else ""),
        "| --- | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if gold else ""),
    ]
    for label, name, shots in runs:
        run_spec = spec.model_copy(update={"selector": name, "shots": shots})
        generator = build_generator(run_spec, llm, inputs, progress=False, count_prompt_tokens=True)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "rows.jsonl"
            summary = generator.run(inputs, out)
            rows = read_jsonl(out)
        answered = summary.accepted + summary.rejected
        duplicates = summary.kinds["duplicate"] + summary.kinds["near_duplicate"]
        tokens = generator.prompter.tokens
        cells = [
            label,
            f"{summary.accepted / answered:.0%}" if answered else "-",
            f"{distinct_n([str(r['output']) for r in rows]):.2f}",
            f"{duplicates / max(1, summary.accepted + duplicates):.1%}",
            f"{sum(tokens) / len(tokens):.0f}" if tokens else "-",
            f"{summary.rows_per_second:.2f}",
        ]
        if gold:
            right = sum(r["output"] == gold.get(r["input_id"]) for r in rows)
            cells.append(f"{right / len(rows):.0%}" if rows else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
