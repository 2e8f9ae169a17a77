"""The generation loop: sample the queued work, keep the answers that pass, save them, queue retries; and
`build_generator`, which gives a loop every part its spec names.

The flow of a row: `RunSpec` → `Generator.run` → a backend samples (`backends.py`) → `AnswerFilter`
checks (`filtering.py`) → `Row` (`records.py`) → `RunStore` appends it (`store.py`).
"""

from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from langchain_core.example_selectors import BaseExampleSelector
from langchain_core.language_models import BaseLanguageModel
from tqdm import tqdm

from chains.chain import Answer
from chains.prompts import Prompter, token_counter
from runners.run.backends import Backend, LocalBackend
from runners.run.filtering import AnswerFilter, Candidate
from runners.run.inputs import Inputs
from runners.run.pool import judge_for, selector_for
from runners.run.quotas import Ledger, Summary
from runners.run.records import Reject, Row, Sampled, WorkItem
from runners.run.spec import RunSpec
from runners.run.store import RunStore


@dataclass
class Generator:
    """Generates accepted rows for one run spec until every quota is met or attempts run out."""

    spec: RunSpec
    llm: BaseLanguageModel
    filter: AnswerFilter | None = None
    """The answer checks; None: the parser, the task's source check and the spec's confidence floor."""
    selector: BaseExampleSelector | None = None
    """Chooses each prompt's few-shot examples; None shows the task's own examples."""
    backend: Backend | None = None
    """Where prompts are sampled; None: on `llm` in this process."""
    progress: bool = True
    count_prompt_tokens: bool = False
    """Keep each prompt's length in tokens in `prompter.tokens` (for comparisons)."""

    def __post_init__(self) -> None:
        task = self.spec.task
        self.filter = self.filter or AnswerFilter(task, min_logprob=self.spec.floor)
        counter = token_counter(self.llm) if self.count_prompt_tokens else None
        self.prompter = Prompter(task, self.llm, self.selector, counter)
        self.backend = self.backend or LocalBackend(task, self.llm, self.spec.batch_size)

    def run(self, inputs: Inputs, output: Any, stage: str | None = None) -> Summary:
        """Fill `output` until every quota is met, resuming what an earlier run with the same spec saved;
        the progress bar is labelled `stage` (default: the task's name)."""
        spec = self.spec
        store = RunStore(output)
        saved = store.open(spec.manifest())
        ledger = Ledger(inputs, spec.n, spec.per_label, spec.first_attempt(), saved, vary=self.vary_prompts())
        self.filter.remember([str(r["output"]) for r in saved])
        need = sum(q.need for q in ledger.quotas)
        bar = tqdm(total=need, desc=stage or spec.task.name, unit="row", disable=not self.progress, file=sys.stderr)
        start = time.perf_counter()
        # A queue, not rounds: retries join the next batch beside fresh inputs instead of running in small batches.
        queue: deque[WorkItem] = deque(ledger.first_work())
        while queue:
            for batch in self.backend.batches(queue, self.prompter, inputs):
                rows, rejects = self._accept(batch, inputs, ledger)
                store.save([r.to_dict() for r in rows], [r.to_dict() for r in rejects])
                ledger.tally(rows, len(rejects))
                queue.extend(self._retries(batch, ledger))
                bar.update(len(rows))
                total = ledger.summary.accepted + ledger.summary.rejected
                bar.set_postfix(valid=f"{ledger.summary.accepted / total:.0%}" if total else "-")
        bar.close()
        describe = getattr(self.llm, "describe", None)  # a served model says what its server honoured
        store.close(ledger.counts(), server=describe() if callable(describe) else None)
        return ledger.finish(time.perf_counter() - start)

    def vary_prompts(self) -> bool:
        """Whether each sample gets a prompt of its own (`Prompter`'s variants): where asking a prompt again gives
        the same answer (greedy decoding, a server that ignores temperature), and where each sample is its own
        request anyway (a server that ignores `n`), whose answers then differ more."""
        sampling = (
            bool(self.spec.generation.get("do_sample")) and getattr(self.llm, "sampling_honoured", None) is not False
        )
        return not sampling or getattr(self.llm, "n_honoured", None) is False

    def _retries(self, batch: list[Sampled], ledger: Ledger) -> list[WorkItem]:
        """The next attempt of each quota in `batch` whose attempt is over, short of rows, with attempts left."""
        settings, has_source, valid_rate = self.spec.generation, self.spec.task.source is not None, ledger.valid_rate
        work = []
        for quota in {s.item.quota: ledger.by_key[s.item.quota] for s in batch}.values():
            if quota.pending == 0 and quota.need > 0 and quota.attempts < self.spec.max_attempts:
                sampling = bool(settings.get("do_sample"))
                work += quota.retry(settings.get("temperature"), sampling, has_source, valid_rate)
        return work

    def _accept(self, batch: list[Sampled], inputs: Inputs, ledger: Ledger) -> tuple[list[Row], list[Reject]]:
        """Screened answers become rows while their quota needs them, deduplicated in order; the rest rejects."""
        screened = self.filter.screen([(inputs.rows[s.item.input_id], s.answers) for s in batch])
        rows: list[Row] = []
        rejects: list[Reject] = []
        for sampled, per_answer in zip(batch, screened):
            item, quota = sampled.item, ledger.by_key[sampled.item.quota]
            quota.pending -= 1
            values = inputs.rows[item.input_id]
            for answer, (candidates, rejections) in zip(sampled.answers, per_answer):
                if quota.need == 0:  # surplus samples of a met quota are not counted
                    continue
                for candidate in candidates:
                    if quota.need == 0:
                        break
                    if rejection := candidate.rejection or self.filter.admit(candidate.value):
                        rejections.append(rejection)
                        continue
                    row_id = ledger.row_id(item.input_id)
                    rows.append(self._row(row_id, item, values, candidate, answer, sampled.examples, quota.attempts))
                    quota.have += 1
                quota.note(rejections)
                label, (raw, logprob) = values.get("label"), answer
                rejects += [
                    Reject(item.input_id, label, raw, r.reason, r.kind, quota.attempts, logprob, values.get("text"))
                    for r in rejections
                ]
        return rows, rejects

    def _row(
        self,
        row_id: str,
        item: WorkItem,
        values: dict,
        candidate: Candidate,
        answer: Answer,
        shown: list,
        attempts: int,
    ) -> Row:
        task, verdict = self.spec.task, candidate.verdict
        judged = None
        if verdict is not None:
            judged = {
                "name": self.filter.judge.name,
                "label": verdict.label,
                "confidence": round(verdict.confidence, 4),
            }
        return Row(
            id=row_id,
            task=task.name,
            language=task.language,
            input_id=item.input_id,
            inputs=values,
            output=candidate.value,
            label=candidate.value if task.output == "label" else values.get("label"),
            raw=answer[0],
            attempts=attempts,
            examples=shown,
            model=self.spec.model,
            generation={**self.spec.generation, **item.attempt.settings(), **item.variant_setting()},
            template=task.hash,
            seed=self.spec.seed,
            judge=judged,
            logprob=answer[1],
        )


def answer_filter(spec: RunSpec, inputs: Inputs, llm: BaseLanguageModel) -> AnswerFilter:
    """The checks the spec asks for; MiniLM is loaded only for the checks that need it."""
    task = spec.task
    judge = judge_for(spec.verify_label, task, inputs, task.language, llm, spec.seed) if spec.verify_label else None
    near_duplicates = source_check = None
    if spec.near_dup is not None:
        from chains.checks.dedup import NearDuplicateIndex
        from chains.checks.embeddings import load_embeddings

        near_duplicates = NearDuplicateIndex(load_embeddings().embed_documents, threshold=spec.near_dup)
    if task.source is not None:
        from chains.checks.embeddings import load_embeddings
        from chains.checks.fidelity import SourceCheck

        embed = load_embeddings().embed_documents if spec.min_similarity > -1 else None
        source_check = SourceCheck(embed, spec.near_copy, spec.min_similarity, spec.facts)
    return AnswerFilter(task, spec.floor, source_check, judge, spec.min_confidence, near_duplicates)


def build_generator(
    spec: RunSpec,
    llm: BaseLanguageModel,
    inputs: Inputs,
    backend: Backend | None = None,
    progress: bool = True,
    count_prompt_tokens: bool = False,
) -> Generator:
    """A Generator with every part the spec names: what `generate`, `evaluate`, `bench` and `compare-selectors` run."""
    selector = selector_for(spec.selector, spec.task, spec.shots, spec.seed, llm) if spec.selector else None
    return Generator(spec, llm, answer_filter(spec, inputs, llm), selector, backend, progress, count_prompt_tokens)
