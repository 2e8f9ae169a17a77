"""Continuous batching: a fixed number of decode slots, each refilled from a queue as soon as its row ends.

The slots' keys and values live in preallocated tensors (`chains.local.columns`); a joining prompt is copied
in to end at the column every slot writes next. Live rows stay packed at the front, so a step computes only
them. Every tensor lives on the model's device, and a step waits for the device once: to read the tokens it chose.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from chains.local.attention import layout
from chains.local.clock import DecodeClock
from chains.local.columns import SlotColumns, move_rows
from chains.local.decoding import cache_of, cache_param, choose_tokens, input_device, on_device, shared_prefix
from chains.local.jobs import Decoding, Job, by_prompts
from chains.local.nocopy import banned_after

# Columns beyond the longest row: how many steps pass between two moves of the span in use.
SLACK = 32
# Distinct prompts prefilled in one pass: each carries its own copy of the prefix while it is computed.
PREFILL = 8
# Prompt starts whose keys and values are kept, and the fewest tokens a new one must add to be worth a pass.
KEPT_PREFIXES = 8
MIN_CACHED_PREFIX = 16
# A finished job waits at most this many seconds for others to make up its group: rows reach the file soon.
MAX_WAIT = 5.0


class SlotDecoder:
    """Decodes jobs pulled from `pull` in `slots` slots, yielding finished jobs in groups as they end."""

    def __init__(
        self,
        model: Any,
        slots: int,
        max_new_tokens: int,
        finished: Callable[[list[int]], bool],
        eos: set[int],
        pad: int,
        top_p: float = 1.0,
        prefix: list[int] | None = None,
        refill: int | None = None,
        slack: int = SLACK,
        prefixes: dict[tuple[int, ...], Any] | None = None,
        clock: DecodeClock | None = None,
    ) -> None:
        import torch

        self.model, self.slots, self.max_new_tokens, self.finished = model, slots, max_new_tokens, finished
        self.eos, self.pad, self.top_p, self.prefix = eos, pad, top_p, prefix or []
        self.refill = refill or max(1, slots // 8)
        self.slack = slack
        self.layout = layout(model)
        self.device = input_device(model)
        self.rows: list[Decoding] = []
        self.waiting: list[tuple[Job, int]] = []  # samples pulled but not yet in a slot
        self.columns = SlotColumns(slots, self.device, self.layout.window is not None, max_new_tokens + slack)
        self.prefixes = prefixes if prefixes is not None else {}
        """Keys and values per layer of prompt starts, computed on first use; hand them to the next decoder."""
        self.clock = clock or DecodeClock()
        # Per slot: the token to feed next, its position, and the sampling temperature (0: greedy).
        self.last = torch.zeros(slots, dtype=torch.long, device=self.device)
        self.position = torch.zeros(slots, dtype=torch.long, device=self.device)
        self.temperature = torch.zeros(slots, dtype=torch.float32, device=self.device)

    def run(self, pull: Callable[[], Job | None], group: int) -> Iterator[list[Job]]:
        """Finished jobs, `group` at a time, or fewer when the queue runs dry (the consumer may queue more) or
        the oldest has waited `MAX_WAIT` seconds."""
        import torch

        done: list[Job] = []
        first_done = 0.0  # when the oldest job in `done` finished
        with torch.inference_mode():
            while True:
                drained = self._pull(pull)
                free = self.slots - len(self.rows)
                if self.waiting and (free >= self.refill or not self.rows or drained):
                    entering = self.waiting[:free]
                    del self.waiting[:free]
                    for chunk in by_prompts(entering, PREFILL):
                        done += self._join(chunk)
                if not self.rows and not self.waiting:
                    if done:
                        yield done
                        done, first_done = [], 0.0
                    if self._pull(pull):  # still nothing after the consumer had its turn: finished
                        return
                    continue
                if self.rows:
                    done += self._step()
                if done and not first_done:
                    first_done = time.monotonic()
                if done and (len(done) >= group or drained or time.monotonic() - first_done >= MAX_WAIT):
                    yield done
                    done, first_done = [], 0.0

    def _pull(self, pull: Callable[[], Job | None]) -> bool:
        """Take jobs until their samples would fill the free slots; True when the queue ran dry first."""
        while len(self.waiting) < self.slots - len(self.rows):
            job = pull()
            if job is None:
                return not self.waiting
            samples = job.n if job.temperature is not None else 1
            job.answers = [None] * samples
            self.waiting += [(job, i) for i in range(samples)]
        return False

    def _prefix_of(self, prompts: list[list[int]]) -> list[int]:
        """The start every prompt of a prefill pass shares whose keys and values are used: the longest one kept
        before, unless the run's (`prefix`) or the prompts' own is longer by `MIN_CACHED_PREFIX` tokens (the
        system message and the shots of one kind of prompt: a question is shown other shots). A start a few
        tokens longer (two texts that both begin with "The") is not worth a pass of its own."""

        def fits(start: list[int]) -> bool:
            return bool(start) and all(len(q) > len(start) and q[: len(start)] == start for q in prompts)

        def longer(start: list[int], than: list[int]) -> bool:
            return fits(start) and len(start) >= len(than) + MIN_CACHED_PREFIX

        best = max((list(p) for p in self.prefixes if fits(list(p))), key=len, default=[])
        if fits(self.prefix) and (not best or longer(self.prefix, best)):
            best = self.prefix
        own = shared_prefix(prompts) if len(prompts) > 1 else []
        return own if longer(own, best) else best

    def _prefix_kv(self, prefix: list[int]) -> list[tuple[Any, Any]]:
        """The keys and values of `prefix`, computed once and kept (the `KEPT_PREFIXES` latest) for later joins."""
        import torch

        key = tuple(prefix)
        if key not in self.prefixes:
            from transformers import DynamicCache

            self.clock.prefill_tokens += len(prefix)  # its time falls in the pass that needed it
            ids = torch.tensor([prefix], dtype=torch.long, device=self.device)
            # A cache of our own: the model's default one keeps only a sliding window's last tokens.
            cache = {cache_param(self.model): DynamicCache()}
            layers = cache_of(self.model(input_ids=ids, use_cache=True, logits_to_keep=1, **cache)).layers
            while len(self.prefixes) >= KEPT_PREFIXES:
                del self.prefixes[next(iter(self.prefixes))]
            self.prefixes[key] = [(layer.keys, layer.values) for layer in layers]
        return self.prefixes[key]

    def _join(self, entering: list[tuple[Job, int]]) -> list[Job]:
        """Prefill the prompts of `entering` in one pass, copy their keys and values into free slots, and
        choose each one's first token."""
        import torch
        from transformers import DynamicCache

        start = time.perf_counter()
        # The samples of one job share its prompt: each distinct prompt is computed once, then copied per sample.
        distinct = list({id(job): job for job, _ in entering}.values())
        which = {id(job): i for i, job in enumerate(distinct)}
        pick = on_device([which[id(job)] for job, _ in entering], self.device, torch.long)
        prefix = self._prefix_of([job.prompt for job in distinct])
        suffixes = [job.prompt[len(prefix) :] for job in distinct]
        width, span = max(len(s) for s in suffixes), len(prefix) + max(len(s) for s in suffixes)
        ids = torch.tensor([[self.pad] * (width - len(s)) + s for s in suffixes], device=self.device)
        seen = [[True] * len(prefix) + [False] * (width - len(s)) + [True] * len(s) for s in suffixes]
        valid = torch.tensor(seen, dtype=torch.bool, device=self.device)
        positions = (valid.cumsum(-1) - 1).clamp(min=0)
        queries = positions[:, len(prefix) :]
        visible = valid[:, None, :] & (positions[:, None, :] <= queries[:, :, None])
        # A padding query sees itself only, so no row of the softmax is empty.
        own = torch.arange(span, device=self.device)[None, :] == torch.arange(width, device=self.device)[:, None] + len(
            prefix
        )
        cache = DynamicCache()
        for layer, (k, v) in enumerate(self._prefix_kv(prefix) if prefix else []):
            cache.update(k.expand(len(distinct), -1, -1, -1), v.expand(len(distinct), -1, -1, -1), layer)
        output = self.model(
            input_ids=ids,
            attention_mask=self.layout.masks(visible | own, positions, queries),
            position_ids=queries,
            use_cache=True,
            logits_to_keep=1,
            **{cache_param(self.model): cache},
        )
        self._make_room(span, cache_of(output).layers)
        first, end = len(self.rows), len(self.rows) + len(entering)
        self.columns.write(first, cache_of(output).layers, valid[pick], positions[pick], pick)
        self.position[first:end] = queries[pick, -1] + 1
        temperatures = [job.temperature or 0.0 for job, _ in entering]
        self.temperature[first:end] = on_device(temperatures, self.device, torch.float32)
        self.rows += [Decoding(job, sample, self.columns.column - span) for job, sample in entering]
        done = self._advance(output.logits[pick, -1, :], range(first, end))  # waits for the device
        self.clock.prefill(time.perf_counter() - start, ids.numel())
        return done

    def _make_room(self, span: int, layers: Any = None) -> None:
        low = min((row.start for row in self.rows), default=self.columns.column)
        shift = self.columns.make_room(span, low, layers)
        for row in self.rows:
            row.start += shift

    def _step(self) -> list[Job]:
        """One token for every live row."""
        from transformers.cache_utils import Cache

        start = time.perf_counter()
        if self.columns.column >= self.columns.size:
            self._make_room(0)
        live = len(self.rows)
        visible, positions, layers = self.columns.step(live, self.position[:live])
        output = self.model(
            input_ids=self.last[:live, None],
            attention_mask=self.layout.masks(visible, positions, self.position[:live, None]),
            position_ids=self.position[:live, None],
            use_cache=True,
            **{cache_param(self.model): Cache(layers=layers)},
        )
        self.columns.column += 1
        self.position[:live] += 1
        done = self._advance(output.logits[:, -1, :], range(live))  # waits for the device
        self.clock.decode(time.perf_counter() - start, live)
        return done

    def _advance(self, logits: Any, indices: range) -> list[Job]:
        """Choose the next token of the rows at `indices` from `logits`; free the slots of rows that ended."""
        import torch

        rows = self.rows[indices.start : indices.stop]
        scores = logits.float()
        bans = [
            (j, token)
            for j, row in enumerate(rows)
            for token in banned_after(row.tokens, row.job.banned, row.job.no_copy)
        ]
        if bans:
            index = on_device(bans, scores.device, torch.long)
            scores[index[:, 0], index[:, 1]] = float("-inf")
        sampling = any(row.job.temperature is not None for row in rows)
        chosen = choose_tokens(scores, self.temperature[indices.start : indices.stop], sampling, self.top_p)
        logprobs = logits.float().log_softmax(dim=-1).gather(-1, chosen[:, None])[:, 0]
        self.last[indices.start : indices.stop] = chosen
        tokens, sums = torch.stack([chosen.float(), logprobs]).tolist()  # the step's one wait for the device
        ended = []
        for j, (row, token, logprob) in enumerate(zip(rows, map(int, tokens), sums)):
            if token not in self.eos:
                row.tokens.append(token)
                row.logprob += logprob
            if token in self.eos or self.finished(row.tokens) or len(row.tokens) >= self.max_new_tokens:
                ended.append(indices[j])
        return self._release(ended)

    def _release(self, ended: list[int]) -> list[Job]:
        """Record the answers of ended rows and pack the live rows at the front; jobs with every answer in."""
        done = []
        order = list(range(len(self.rows)))  # the slot each final slot takes its row from
        for index in sorted(ended, reverse=True):
            row = self.rows[index]
            row.job.answers[row.sample] = (row.tokens, row.logprob)
            if all(a is not None for a in row.job.answers):
                done.append(row.job)
            order[index] = order[-1]  # the last live row moves into the freed slot
            order.pop()
        moves = [(slot, source) for slot, source in enumerate(order) if slot != source]
        move_rows([*self.columns.tensors(), self.last, self.position, self.temperature], moves)
        self.rows = [self.rows[source] for source in order]
        return done
