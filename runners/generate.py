"""The generation loop: batch prompts, parse answers, regenerate for unmet quotas, save rows as they come."""

from __future__ import annotations

import sys
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from langchain_core.example_selectors import BaseExampleSelector
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseLanguageModel
from tqdm import tqdm

from chains import Task, build_prompt, parser_for
from chains.chain import call_settings, sample_each
from chains.dedup import NearDuplicateIndex, dedup_key
from chains.judge import LabelJudge, Verdict
from chains.prompts import renderer_for, token_counter
from runners.inputs import Inputs
from runners.quotas import Quota, Summary, quota_spec, run_manifest
from runners.store import append_jsonl, read_jsonl, sidecar, write_json_atomic

Sampled = tuple[Quota, str, list[str], list[str]]
"""One work item's result: its quota, input id, raw answers and the ids of the examples its prompt showed."""


class Backend(Protocol):
    """Runs prompts somewhere else (e.g. Ray workers): (key, prompt, samples) in, batches of (key, answers) out."""

    def batches(self, requests: list[tuple[int, str, int]]) -> Iterator[list[tuple[int, list[str]]]]: ...


@dataclass
class Generator:
    """Generates accepted rows for one task with one model until every quota is met or attempts run out."""

    task: Task
    llm: BaseLanguageModel
    model_name: str
    n: int = 1
    per_label: int | None = None
    max_attempts: int = 5
    seed: int = 0
    chunk_size: int = 32
    near_duplicates: NearDuplicateIndex | None = None
    selector: BaseExampleSelector | None = None
    """Chooses each prompt's few-shot examples; None shows the task's own examples."""
    selector_spec: dict[str, Any] | None = None
    """How the selector was asked for (name, shots), for the manifest."""
    backend: Backend | None = None
    """Where prompts run; None runs them on `llm` in this process. Parsing, dedup and saving stay here."""
    judge: LabelJudge | None = None
    """Labels each new row again; a row whose label it disagrees with is rejected (`--verify-label`)."""
    count_prompt_tokens: bool = False
    """Record each prompt's length in tokens in `prompt_tokens` (for comparisons)."""
    progress: bool = True

    def __post_init__(self) -> None:
        self.parser = parser_for(self.task)
        self.render = renderer_for(self.llm)
        self.settings = {**getattr(self.llm, "generation", {}), **call_settings(self.task, self.llm)}
        # Tokenising every prompt twice is only worth it when someone reads the counts.
        self._count_tokens = token_counter(self.llm) if self.count_prompt_tokens else None
        self.prompt_tokens: list[int] = []

    def _prompt(self, values: dict[str, str]) -> tuple[Any, list[str]]:
        """The rendered prompt for one input, and the ids of the examples it shows."""
        examples = self.task.examples if self.selector is None else self.selector.select_examples(values)
        prompt = self.render.invoke(build_prompt(self.task, examples=examples).invoke(values))
        if self._count_tokens is not None and isinstance(prompt, str):
            self.prompt_tokens.append(self._count_tokens(prompt))
        return prompt, [str(e.get("id", i)) for i, e in enumerate(examples)]

    def manifest(self, inputs_name: str | None) -> dict[str, Any]:
        """What must match for a later run to resume this one."""
        quota = quota_spec(self.n, self.per_label)
        judge = self.judge.name if self.judge else None
        return run_manifest(
            self.task, self.model_name, self.settings, self.seed, quota, inputs_name, self.selector_spec, judge
        )

    def quotas(self, inputs: Inputs) -> list[Quota]:
        """One quota per input, or one per label when `per_label` is set."""
        if self.per_label is None:
            return [Quota(key=i, input_ids=[i], target=self.n) for i in inputs.rows]
        groups: dict[str, list[str]] = {}
        for input_id, values in inputs.rows.items():
            groups.setdefault(values["label"], []).append(input_id)
        return [Quota(key=label, input_ids=ids, target=self.per_label) for label, ids in groups.items()]

    def _row(
        self,
        input_id: str,
        index: int,
        inputs: dict[str, str],
        value: str,
        raw: str,
        attempt: int,
        examples: list[str],
        verdict: Verdict | None,
    ) -> dict[str, Any]:
        return {
            "id": f"{input_id}-{index}",
            "task": self.task.name,
            "language": self.task.language,
            "input_id": input_id,
            "inputs": inputs,
            "output": value,
            "label": value if self.task.output == "label" else inputs.get("label"),
            "raw": raw,
            "attempts": attempt,
            "examples": examples,
            "model": self.model_name,
            "generation": self.settings,
            "template": self.task.hash,
            "seed": self.seed,
            "judge": None
            if verdict is None
            else {"name": self.judge.name, "label": verdict.label, "confidence": round(verdict.confidence, 4)},
        }

    def parse_answer(self, inputs: dict[str, str], raw: str) -> tuple[list[str], list[str]]:
        """Values that passed the parser and the copy check, and the reasons for the rest."""
        try:
            parsed = self.parser.parse(raw)
        except OutputParserException as exc:
            return [], [str(exc).split("\n")[0]]
        values = parsed if isinstance(parsed, list) else [parsed]
        if self.task.name != "paraphrase":
            return values, []
        source = dedup_key(inputs["text"])
        kept = [v for v in values if dedup_key(v) != source]
        return kept, ["copy of the input"] * (len(values) - len(kept))

    def run(self, inputs: Inputs, output: Path, inputs_name: str | None = None) -> Summary:
        """Fill `output` until every quota is met, resuming what an earlier run with the same settings saved."""
        rejects_path = sidecar(output, "rejected")
        existing = read_jsonl(output)
        read_jsonl(rejects_path)  # cuts a torn last line before appending
        rejects_path.touch()
        quotas = self.quotas(inputs)
        by_input = {i: q for q in quotas for i in q.input_ids}
        self._index: Counter = Counter()
        self._seen: set[str] = set()
        self._sent = 0  # requests handed to a backend so far
        for row in existing:
            self._index[row["input_id"]] += 1
            self._seen.add(dedup_key(str(row["output"])))
            if row["input_id"] in by_input:
                by_input[row["input_id"]].have += 1
        if self.near_duplicates is not None and existing:
            self.near_duplicates.check_and_add([str(r["output"]) for r in existing])
        summary = Summary(resumed=len(existing))
        manifest_path = sidecar(output, "manifest")
        manifest = self.manifest(inputs_name)
        write_json_atomic(manifest_path, {**manifest, "counts": {"accepted": len(existing)}})
        bar = tqdm(total=sum(q.need for q in quotas), unit="row", disable=not self.progress, file=sys.stderr)
        start = time.perf_counter()
        # A queue, not rounds: retries join the next batch beside fresh inputs instead of running in small batches.
        queue = deque(item for q in quotas if q.need > 0 for item in q.plan())
        batches = self._local_batches if self.backend is None else self._remote_batches
        while queue:
            for sampled in batches(queue, inputs):
                rows, rejects = self._accept(sampled, inputs)
                append_jsonl(output, rows)
                append_jsonl(rejects_path, rejects)
                summary.accepted += len(rows)
                summary.rejected += len(rejects)
                valid_rate = summary.accepted / max(1, summary.accepted + summary.rejected)
                for quota in {id(q): q for q, _, _, _ in sampled}.values():
                    if quota.pending == 0 and quota.need > 0 and quota.attempts < self.max_attempts:
                        queue.extend(quota.plan(valid_rate))
                bar.update(len(rows))
                total = summary.accepted + summary.rejected
                bar.set_postfix(valid=f"{summary.accepted / total:.0%}" if total else "-")
        bar.close()
        summary.seconds = time.perf_counter() - start
        summary.unmet = [q for q in quotas if q.need > 0]
        summary.reasons = sum((q.reasons for q in quotas), Counter())
        counts = {"accepted": summary.resumed + summary.accepted, "unmet_quotas": [q.key for q in summary.unmet]}
        write_json_atomic(manifest_path, {**manifest, "counts": counts})
        return summary

    def _local_batches(self, queue: deque, inputs: Inputs) -> Iterator[list[Sampled]]:
        """Batches of `chunk_size` from the live queue, so retries queued meanwhile join later batches."""
        while queue:
            # Ordered by sample count, the order in which sample_each makes its calls (and a selector is asked).
            work = sorted((queue.popleft() for _ in range(min(self.chunk_size, len(queue)))), key=lambda w: w[2])
            prompts, shown = zip(*(self._prompt(inputs.rows[i]) for _, i, _ in work))
            answers = sample_each(self.task, self.llm, list(prompts), [k for _, _, k in work])
            yield [(q, i, raws, ids) for (q, i, _), raws, ids in zip(work, answers, shown)]

    def _remote_batches(self, queue: deque, inputs: Inputs) -> Iterator[list[Sampled]]:
        """The whole queue sent to the backend at once; batches come back as its workers finish them.

        Keys count on across waves, so a retry is never the same request (and the same seed) as before.
        """
        work = list(queue)
        queue.clear()
        first = self._sent
        self._sent += len(work)
        requests, meta = [], []
        for key, (quota, input_id, count) in enumerate(work, start=first):
            prompt, shown = self._prompt(inputs.rows[input_id])
            requests.append((key, str(prompt), count))
            meta.append((quota, input_id, shown))
        for results in self.backend.batches(requests):
            yield [(meta[key - first][0], meta[key - first][1], raws, meta[key - first][2]) for key, raws in results]

    def _accept(self, sampled: list[Sampled], inputs: Inputs) -> tuple[list[dict], list[dict]]:
        """Parse, judge and dedup sampled answers, and split them into rows and rejects."""
        rows: list[dict[str, Any]] = []
        rejects: list[dict[str, Any]] = []
        parsed = [[self.parse_answer(inputs.rows[i], raw) for raw in raws] for _, i, raws, _ in sampled]
        verdicts = iter(self._verdicts([v for per_input in parsed for values, _ in per_input for v in values]))
        for (quota, input_id, raws, example_ids), results in zip(sampled, parsed):
            quota.pending -= 1
            values = inputs.rows[input_id]
            for raw, (accepted, reasons) in zip(raws, results):
                judged = [(value, next(verdicts)) for value in accepted]  # keeps the verdicts in step
                if quota.need == 0:  # surplus samples of a met quota are not counted
                    continue
                for value, verdict in judged:
                    if quota.need == 0:
                        break
                    if reason := self._disagreement(values, verdict) or self._duplicate(value):
                        reasons.append(reason)
                        continue
                    index = self._index[input_id]
                    rows.append(self._row(input_id, index, values, value, raw, quota.attempts, example_ids, verdict))
                    self._index[input_id] += 1
                    quota.have += 1
                quota.reasons.update(reasons)
                label, attempt = values.get("label"), quota.attempts
                rejects += [
                    {"input_id": input_id, "label": label, "raw": raw, "reason": r, "attempt": attempt} for r in reasons
                ]
        return rows, rejects

    def _verdicts(self, values: list[str]) -> list[Verdict | None]:
        """The judge's verdict on each parsed value, in one batch; None for each when no judge is set."""
        return self.judge.judge(values) if self.judge is not None else [None] * len(values)

    def _disagreement(self, inputs: dict[str, str], verdict: Verdict | None) -> str | None:
        """Why the judge's label contradicts the row's, or None."""
        if verdict is None or "label" not in inputs or (verdict.label or "").casefold() == inputs["label"].casefold():
            return None
        return f"judge labelled it {verdict.label} ({verdict.confidence:.2f}), not {inputs.get('label')}"

    def _duplicate(self, value: str) -> str | None:
        """Why `value` repeats an earlier row (exactly after normalising, or nearly), or None.

        A new value is remembered.
        """
        if self.task.output == "label":  # labels repeat by nature
            return None
        key = dedup_key(value)
        if key in self._seen:
            return "duplicate of an earlier row"
        if self.near_duplicates is not None:
            cosine = self.near_duplicates.check_and_add([value])[0]
            if cosine is not None:
                return f"near-duplicate of an earlier row (cosine {cosine:.2f})"
        self._seen.add(key)
        return None
