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
from chains.fidelity import Rejection, SourceCheck
from chains.judge import LabelJudge, Verdict
from chains.knobs import check_knobs
from chains.nocopy import DEFAULT_NO_COPY
from chains.prompts import renderer_for, token_counter
from chains.selectors import choose_examples
from runners.inputs import Inputs
from runners.quotas import Attempt, Quota, Summary, checks_spec, quota_spec, run_manifest
from runners.store import append_jsonl, read_jsonl, sidecar, write_json_atomic

Work = tuple[Quota, str, int]
"""One unit of work: the quota it serves, the input id, and how many answers to sample."""
Answer = tuple[str, float | None]
"""A raw answer and the model's mean token log-probability for it (None where the model gives none)."""
Sampled = tuple[Quota, str, list[Answer], list[str], Attempt]
"""One work item's result: its quota, input id, answers, the ids of the examples shown, and the attempt."""


class Backend(Protocol):
    """Runs prompts somewhere else (e.g. Ray workers): requests in, batches of (key, answers) out.

    A request is (key, prompt, samples, source text or None, decoding settings of its attempt).
    """

    def batches(
        self, requests: list[tuple[int, str, int, str | None, dict[str, Any]]]
    ) -> Iterator[list[tuple[int, list[Answer]]]]: ...


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
    """Labels each new row again; a row it does not place in its own label is rejected (`--verify-label`)."""
    min_confidence: float | None = None
    """With a judge: reject a row unless the judge gives its label at least this probability (None: its top label)."""
    source_check: SourceCheck | None = None
    """Checks answers against the input they restate (tasks with a source); None: copies and form, no meaning."""
    min_logprob: float | None = None
    """Reject answers whose mean token log-probability under the model is below this (None: keep all)."""
    no_copy: int | None = None
    """No-copy n-gram size of first attempts (tasks with a source); None is `chains.nocopy.DEFAULT_NO_COPY`."""
    count_prompt_tokens: bool = False
    """Record each prompt's length in tokens in `prompt_tokens` (for comparisons)."""
    progress: bool = True

    def __post_init__(self) -> None:
        check_knobs(
            n=self.n, per_label=self.per_label, max_attempts=self.max_attempts, batch_size=self.chunk_size, no_copy=self.no_copy
        )
        self.parser = parser_for(self.task)
        self.render = renderer_for(self.llm)
        self.settings = {**getattr(self.llm, "generation", {}), **call_settings(self.task, self.llm)}
        if self.task.source is not None and self.source_check is None:
            self.source_check = SourceCheck()
        # Tokenising every prompt twice is only worth it when someone reads the counts.
        self._count_tokens = token_counter(self.llm) if self.count_prompt_tokens else None
        self.prompt_tokens: list[int] = []

    def _prompt(self, values: dict[str, str], step: Attempt) -> tuple[Any, list[str]]:
        """The rendered prompt for one input at one attempt, and the ids of the examples it shows."""
        if self.selector is None:
            examples = self.task.examples
        else:
            examples = choose_examples(self.selector, values, step.extra_shots)
        prompt = self.render.invoke(build_prompt(self.task, examples=examples).invoke(values))
        if self._count_tokens is not None and isinstance(prompt, str):
            self.prompt_tokens.append(self._count_tokens(prompt))
        return prompt, [str(e.get("id", i)) for i, e in enumerate(examples)]

    def manifest(self, inputs_name: str | None) -> dict[str, Any]:
        """What must match for a later run to resume this one."""
        quota = quota_spec(self.n, self.per_label)
        judge = self.judge.name if self.judge else None
        check = self.source_check or SourceCheck()
        checks = checks_spec(
            self.task,
            self.no_copy,
            check.near_copy,
            check.min_similarity,
            judge is not None,
            self.min_confidence,
            self.min_logprob,
        )
        return run_manifest(
            self.task, self.model_name, self.settings, self.seed, quota, inputs_name, self.selector_spec, judge, checks
        )

    def quotas(self, inputs: Inputs) -> list[Quota]:
        """One quota per input, or one per label when `per_label` is set."""
        first = Attempt(no_copy=(self.no_copy or DEFAULT_NO_COPY) if self.task.source is not None else None)
        if self.per_label is None:
            return [Quota(key=i, input_ids=[i], target=self.n, step=first) for i in inputs.rows]
        groups: dict[str, list[str]] = {}
        for input_id, values in inputs.rows.items():
            groups.setdefault(values["label"], []).append(input_id)
        return [Quota(key=label, input_ids=ids, target=self.per_label, step=first) for label, ids in groups.items()]

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
        step: Attempt,
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
            "generation": {**self.settings, **step.settings()},
            "template": self.task.hash,
            "seed": self.seed,
            "judge": None
            if verdict is None
            else {"name": self.judge.name, "label": verdict.label, "confidence": round(verdict.confidence, 4)},
        }

    def parse_answer(self, raw: str, logprob: float | None = None) -> tuple[list[str], list[Rejection]]:
        """Values that passed the parser and the confidence floor, and the rejection if one failed."""
        try:
            parsed = self.parser.parse(raw)
        except OutputParserException as exc:
            return [], [Rejection("parse", str(exc).split("\n")[0])]
        if self.min_logprob is not None and logprob is not None and logprob < self.min_logprob:
            reason = f"the model was unsure of it (mean token log-probability {logprob:.2f} < {self.min_logprob})"
            return [], [Rejection("confidence", reason)]
        return (parsed if isinstance(parsed, list) else [parsed]), []

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
                for quota in {id(s[0]): s[0] for s in sampled}.values():
                    if quota.pending == 0 and quota.need > 0 and quota.attempts < self.max_attempts:
                        queue.extend(self._retry(quota, valid_rate))
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

    def _retry(self, quota: Quota, valid_rate: float) -> list[Work]:
        """Work for the next attempt at `quota`, with settings changed by what its last attempt was rejected for."""
        sampling = bool(self.settings.get("do_sample"))
        quota.step = quota.step.retry(
            quota.kinds, self.settings.get("temperature"), sampling, self.task.source is not None
        )
        quota.kinds.clear()
        return quota.plan(valid_rate)

    def _source(self, values: dict[str, str]) -> str | None:
        return values[self.task.source] if self.task.source is not None else None

    def _local_batches(self, queue: deque, inputs: Inputs) -> Iterator[list[Sampled]]:
        """Batches of `chunk_size` from the live queue, so retries queued meanwhile join later batches."""
        while queue:
            # Ordered by sample count, the order in which sample_each makes its calls (and a selector is asked).
            work = sorted((queue.popleft() for _ in range(min(self.chunk_size, len(queue)))), key=lambda w: w[2])
            steps = [q.step for q, _, _ in work]
            prompts, shown = zip(*(self._prompt(inputs.rows[i], q.step) for q, i, _ in work))
            sources = [self._source(inputs.rows[i]) for _, i, _ in work]
            answers = sample_each(
                self.task,
                self.llm,
                list(prompts),
                [k for _, _, k in work],
                sources if self.task.source is not None else None,
                [step.settings() for step in steps],
                scored=True,
            )
            yield [(q, i, raws, ids, step) for (q, i, _), raws, ids, step in zip(work, answers, shown, steps)]

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
            values = inputs.rows[input_id]
            prompt, shown = self._prompt(values, quota.step)
            requests.append((key, str(prompt), count, self._source(values), quota.step.settings()))
            meta.append((quota, input_id, shown, quota.step))
        for results in self.backend.batches(requests):
            batch = []
            for key, raws in results:
                quota, input_id, shown, step = meta[key - first]
                batch.append((quota, input_id, raws, shown, step))
            yield batch

    def _accept(self, sampled: list[Sampled], inputs: Inputs) -> tuple[list[dict], list[dict]]:
        """Parse, check against the source, judge and dedup sampled answers; split them into rows and rejects."""
        rows: list[dict[str, Any]] = []
        rejects: list[dict[str, Any]] = []
        parsed = [[self.parse_answer(raw, logprob) for raw, logprob in answers] for _, _, answers, _, _ in sampled]
        candidates = [
            (inputs.rows[item[1]], value) for item, per_input in zip(sampled, parsed) for vs, _ in per_input for value in vs
        ]
        checks = iter(self._source_checks(candidates))
        verdicts = iter(self._verdicts([value for _, value in candidates]))
        for (quota, input_id, answers, example_ids, step), results in zip(sampled, parsed):
            quota.pending -= 1
            values = inputs.rows[input_id]
            for (raw, logprob), (accepted, rejections) in zip(answers, results):
                judged = [(value, next(checks), next(verdicts)) for value in accepted]  # keeps them in step
                if quota.need == 0:  # surplus samples of a met quota are not counted
                    continue
                for value, check, verdict in judged:
                    if quota.need == 0:
                        break
                    if rejection := check or self._disagreement(values, verdict) or self._duplicate(value):
                        rejections.append(rejection)
                        continue
                    index = self._index[input_id]
                    row = self._row(input_id, index, values, value, raw, quota.attempts, example_ids, verdict, step)
                    rows.append({**row, "logprob": None if logprob is None else round(logprob, 4)})
                    self._index[input_id] += 1
                    quota.have += 1
                quota.reasons.update(r.reason for r in rejections)
                quota.kinds.update(r.kind for r in rejections)
                label, attempt = values.get("label"), quota.attempts
                rejects += [
                    {
                        "input_id": input_id,
                        "label": label,
                        "raw": raw,
                        "reason": r.reason,
                        "kind": r.kind,
                        "attempt": attempt,
                        "logprob": None if logprob is None else round(logprob, 4),
                    }
                    for r in rejections
                ]
        return rows, rejects

    def _source_checks(self, candidates: list[tuple[dict[str, str], str]]) -> list[Rejection | None]:
        """The source check's verdict on each (input values, value), in one batch; None each without a source."""
        if self.source_check is None:
            return [None] * len(candidates)
        return self.source_check.check([(value, self._source(values)) for values, value in candidates])

    def _verdicts(self, values: list[str]) -> list[Verdict | None]:
        """The judge's verdict on each parsed value, in one batch; None for each when no judge is set."""
        return self.judge.judge(values) if self.judge is not None else [None] * len(values)

    def _disagreement(self, inputs: dict[str, str], verdict: Verdict | None) -> Rejection | None:
        """Why the judge does not place the row in its own label, or None.

        Without `min_confidence` the judge's top label must be the row's; with it, the judge must give the
        row's label at least that probability (over-generate, keep the confident ones).
        """
        if verdict is None or "label" not in inputs:
            return None
        own = inputs["label"]
        if self.min_confidence is None:
            if (verdict.label or "").casefold() == own.casefold():
                return None
            return Rejection("judge", f"judge labelled it {verdict.label} ({verdict.confidence:.2f}), not {own}")
        probability = verdict.probability(own)
        if probability >= self.min_confidence:
            return None
        return Rejection(
            "judge", f"judge gave {own} {probability:.2f} < {self.min_confidence} (its label: {verdict.label})"
        )

    def _duplicate(self, value: str) -> Rejection | None:
        """Why `value` repeats an earlier row (exactly after normalising, or nearly), or None.

        A new value is remembered.
        """
        if self.task.output == "label":  # labels repeat by nature
            return None
        key = dedup_key(value)
        if key in self._seen:
            return Rejection("duplicate", "duplicate of an earlier row")
        if self.near_duplicates is not None:
            cosine = self.near_duplicates.check_and_add([value])[0]
            if cosine is not None:
                return Rejection("near_duplicate", f"near-duplicate of an earlier row (cosine {cosine:.2f})")
        self._seen.add(key)
        return None
