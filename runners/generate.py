"""The generation loop: batch prompts, parse answers, regenerate rejects, save accepted rows as they come."""

from __future__ import annotations

import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseLanguageModel
from tqdm import tqdm

from chains import Task, build_prompt, parser_for, sample
from chains.chain import call_settings
from chains.prompts import renderer_for
from runners.inputs import Inputs
from runners.store import append_jsonl, read_jsonl, sidecar, write_json_atomic

_NOT_WORD = re.compile(r"[\W_]+")


def dedup_key(text: str) -> str:
    """Case, spacing, punctuation and Unicode width do not make two answers different."""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def run_manifest(
    task: Task, model: str, settings: dict[str, Any], seed: int, n: int, inputs_name: str | None
) -> dict[str, Any]:
    """The settings that define a run: a resumed run must match them all."""
    return {
        "task": task.name,
        "language": task.language,
        "template": task.hash,
        "model": model,
        "generation": settings,
        "seed": seed,
        "n": n,
        "input": inputs_name,
    }


@dataclass
class Summary:
    """What a run did, for the closing report."""

    accepted: int = 0
    rejected: int = 0
    resumed: int = 0
    seconds: float = 0.0
    unmet: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


@dataclass
class Generator:
    """Generates `n` accepted rows per input with one task and one model."""

    task: Task
    llm: BaseLanguageModel
    model_name: str
    n: int = 1
    max_attempts: int = 5
    seed: int = 0
    chunk_size: int = 8
    progress: bool = True

    def __post_init__(self) -> None:
        self.parser = parser_for(self.task)
        self.prompt = build_prompt(self.task) | renderer_for(self.llm)
        self.example_ids = [e.get("id", str(i)) for i, e in enumerate(self.task.examples)]
        self.settings = {**getattr(self.llm, "generation", {}), **call_settings(self.task, self.llm)}

    def manifest(self, inputs_name: str | None) -> dict[str, Any]:
        """What must match for a later run to resume this one."""
        return run_manifest(self.task, self.model_name, self.settings, self.seed, self.n, inputs_name)

    def _row(self, input_id: str, index: int, inputs: dict[str, str], value: str, raw: str, attempt: int) -> dict[str, Any]:
        label = value if self.task.output == "label" else inputs.get("label")
        return {
            "id": f"{input_id}-{index}",
            "task": self.task.name,
            "language": self.task.language,
            "input_id": input_id,
            "inputs": inputs,
            "output": value,
            "label": label,
            "raw": raw,
            "attempts": attempt,
            "examples": self.example_ids,
            "model": self.model_name,
            "generation": self.settings,
            "template": self.task.hash,
            "seed": self.seed,
        }

    def _judge(self, inputs: dict[str, str], raw: str) -> tuple[list[str], list[str]]:
        """Values that passed the parser and the copy check, and the reasons for the rest."""
        try:
            parsed = self.parser.parse(raw)
        except OutputParserException as exc:
            return [], [str(exc).split("\n")[0]]
        values = parsed if isinstance(parsed, list) else [parsed]
        if self.task.name != "paraphrase":
            return values, []
        source = dedup_key(inputs["text"])
        return [v for v in values if dedup_key(v) != source], ["copy of the input" for v in values if dedup_key(v) == source]

    def run(self, inputs: Inputs, output: Path, inputs_name: str | None = None) -> Summary:
        """Fill `output` up to `n` rows per input, resuming what an earlier run with the same settings saved."""
        rejects_path, manifest_path = sidecar(output, "rejected"), sidecar(output, "manifest")
        existing = read_jsonl(output)
        read_jsonl(rejects_path)  # drops a torn last line before appending
        have: dict[str, int] = {}
        seen: set[str] = set()
        for row in existing:
            have[row["input_id"]] = have.get(row["input_id"], 0) + 1
            seen.add(dedup_key(str(row["output"])))
        need = {i: max(0, self.n - have.get(i, 0)) for i in inputs.rows}
        attempts = dict.fromkeys(inputs.rows, 0)
        summary = Summary(resumed=len(existing))
        manifest = self.manifest(inputs_name)
        write_json_atomic(manifest_path, {**manifest, "counts": {"accepted": len(existing)}})
        bar = tqdm(total=sum(need.values()), unit="row", disable=not self.progress, file=sys.stderr)
        start = time.perf_counter()
        while active := [i for i in inputs.rows if need[i] > 0 and attempts[i] < self.max_attempts]:
            for at in range(0, len(active), self.chunk_size):
                chunk = active[at : at + self.chunk_size]
                rows, rejects = self._round(chunk, inputs, need, attempts, have, seen)
                append_jsonl(output, rows)
                append_jsonl(rejects_path, rejects)
                summary.accepted += len(rows)
                summary.rejected += len(rejects)
                bar.update(len(rows))
                total = summary.accepted + summary.rejected
                bar.set_postfix(valid=f"{summary.accepted / total:.0%}" if total else "-")
        bar.close()
        summary.seconds = time.perf_counter() - start
        summary.unmet = {i: k for i, k in need.items() if k > 0}
        counts = {"accepted": summary.resumed + summary.accepted, "unmet_inputs": len(summary.unmet)}
        write_json_atomic(manifest_path, {**manifest, "counts": counts})
        return summary

    def _round(
        self,
        chunk: list[str],
        inputs: Inputs,
        need: dict[str, int],
        attempts: dict[str, int],
        have: dict[str, int],
        seen: set[str],
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rows: list[dict[str, Any]] = []
        rejects: list[dict[str, Any]] = []
        for count in sorted({need[i] for i in chunk}):  # one model call per distinct quota
            group = [i for i in chunk if need[i] == count]
            prompts = self.prompt.batch([inputs.rows[i] for i in group])
            for input_id, raws in zip(group, sample(self.task, self.llm, prompts, n=count)):
                attempts[input_id] += 1
                for raw in raws:
                    values, reasons = self._judge(inputs.rows[input_id], raw)
                    for value in values:
                        key = dedup_key(value)
                        if need[input_id] == 0:
                            break
                        if key in seen and self.task.output != "label":
                            reasons.append("duplicate of an earlier row")
                            continue
                        seen.add(key)
                        index = have.get(input_id, 0)
                        rows.append(self._row(input_id, index, inputs.rows[input_id], value, raw, attempts[input_id]))
                        have[input_id] = index + 1
                        need[input_id] -= 1
                    rejects += [
                        {"input_id": input_id, "raw": raw, "reason": r, "attempt": attempts[input_id]} for r in reasons
                    ]
        return rows, rejects
