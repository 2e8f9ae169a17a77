"""Continuous batching: a fixed number of decode slots, each refilled from a queue as soon as its row ends.

Each layer's keys and values live in one preallocated [slots, kv heads, columns, head dim] tensor. All
slots write a step's token at the same column; a joining prompt is copied in to end at that column, and a
boolean table says which columns a slot attends to. When the columns run out, the span in use moves back
to the start (once in many steps). Live rows stay packed at the front, so a step computes only them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chains.local.decoding import cache_of, cache_param, choose_tokens, slot_layer
from chains.local.nocopy import ban_copies

# Columns beyond the longest row: how many steps pass between two moves of the span in use.
SLACK = 32
# Prompts prefilled in one pass: each carries its own copy of the prefix while it is computed.
PREFILL = 8


@dataclass
class Job:
    """One prompt to answer `n` times (greedy: once, repeated); `key` comes back with its answers."""

    key: Any
    prompt: list[int]
    n: int = 1
    temperature: float | None = None
    """Sampling temperature; None decodes greedily."""
    banned: dict[tuple[int, ...], list[int]] | None = None
    """No-copy table: the tokens banned after each run of `no_copy - 1` answer tokens."""
    no_copy: int = 0
    answers: list[tuple[list[int], float] | None] = field(default_factory=list)


@dataclass
class Row:
    """A sample of a job in a slot: where its columns start, its next position, its tokens so far."""

    job: Job
    sample: int
    start: int
    position: int
    tokens: list[int] = field(default_factory=list)
    logprob: float = 0.0


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
    ) -> None:
        self.model, self.slots, self.max_new_tokens, self.finished = model, slots, max_new_tokens, finished
        self.eos, self.pad, self.top_p, self.prefix = eos, pad, top_p, prefix or []
        self.refill = refill or max(1, slots // 8)
        self.slack = slack
        self.rows: list[Row] = []
        self.waiting: list[tuple[Job, int]] = []  # samples pulled but not yet in a slot
        self.keys: list[Any] = []
        self.values: list[Any] = []
        self.column = 0
        self._prefix_kv: list[tuple[Any, Any]] | None = None

    def run(self, pull: Callable[[], Job | None], group: int) -> Iterator[list[Job]]:
        """Finished jobs, `group` at a time, or fewer when the queue runs dry (the consumer may queue more)."""
        import torch

        done: list[Job] = []
        with torch.inference_mode():
            while True:
                drained = self._pull(pull)
                free = self.slots - len(self.rows)
                if self.waiting and (free >= self.refill or not self.rows or drained):
                    entering = self.waiting[:free]
                    del self.waiting[:free]
                    for start in range(0, len(entering), PREFILL):
                        done += self._join(entering[start : start + PREFILL])
                if not self.rows and not self.waiting:
                    if done:
                        yield done
                        done = []
                    if self._pull(pull):  # still nothing after the consumer had its turn: finished
                        return
                    continue
                if self.rows:
                    done += self._step()
                if done and (len(done) >= group or drained):
                    yield done
                    done = []

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

    def _join(self, entering: list[tuple[Job, int]]) -> list[Job]:
        """Prefill the prompts of `entering` in one pass, copy their keys and values into free slots, and
        choose each one's first token."""
        import torch
        from transformers import DynamicCache

        prefix = self.prefix if all(j.prompt[: len(self.prefix)] == self.prefix for j, _ in entering) else []
        suffixes = [job.prompt[len(prefix) :] for job, _ in entering]
        width = max(len(s) for s in suffixes)
        ids = torch.tensor([[self.pad] * (width - len(s)) + s for s in suffixes])
        mask = torch.tensor([[1] * len(prefix) + [0] * (width - len(s)) + [1] * len(s) for s in suffixes])
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        cache = DynamicCache()
        if prefix and self._prefix_kv is None:  # computed once, for every later join
            layers = cache_of(self.model(input_ids=torch.tensor([self.prefix]), use_cache=True)).layers
            self._prefix_kv = [(layer.keys, layer.values) for layer in layers]
        if prefix:
            for layer, (k, v) in enumerate(self._prefix_kv):
                cache.update(k.expand(len(entering), -1, -1, -1), v.expand(len(entering), -1, -1, -1), layer)
        output = self.model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=positions[:, len(prefix) :],
            use_cache=True,
            logits_to_keep=1,
            **{cache_param(self.model): cache},
        )
        span = len(prefix) + width
        self._make_room(span)
        first = len(self.rows)
        layers = cache_of(output).layers
        for index, (job, sample) in enumerate(entering):
            slot = first + index
            for layer, source in enumerate(layers):
                self.keys[layer][slot, :, self.column - span : self.column] = source.keys[index]
                self.values[layer][slot, :, self.column - span : self.column] = source.values[index]
            self.valid[slot] = False
            self.valid[slot, self.column - span : self.column] = mask[index].bool()
            self.rows.append(Row(job, sample, self.column - span, int(positions[index, -1]) + 1))
        return self._advance(output.logits[:, -1, :], range(first, len(self.rows)))

    def _make_room(self, span: int) -> None:
        """Slot tensors with at least `span` columns before the write column and a row's budget after it."""
        import torch

        if self.keys and span <= self.column < self.keys[0].shape[2]:
            return
        low = min((row.start for row in self.rows), default=self.column)
        used = self.column - low
        column = max(span, used)
        size = max(column + self.max_new_tokens + self.slack, self.keys[0].shape[2] if self.keys else 0)
        shift = column - self.column
        if not self.keys:
            config = self.model.config.get_text_config(decoder=True)
            heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
            dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
            shape, dtype = (self.slots, heads, size, dim), self.model.dtype
            self.keys = [torch.zeros(shape, dtype=dtype) for _ in range(config.num_hidden_layers)]
            self.values = [torch.zeros(shape, dtype=dtype) for _ in range(config.num_hidden_layers)]
            self.valid = torch.zeros((self.slots, size), dtype=torch.bool)
        else:
            for tensors in (self.keys, self.values):
                for layer, old in enumerate(tensors):
                    new = old.new_zeros((*old.shape[:2], size, old.shape[3])) if size != old.shape[2] else old
                    new[:, :, low + shift : column] = old[:, :, low : self.column].clone()
                    tensors[layer] = new
            valid = self.valid.new_zeros((self.slots, size))
            valid[:, low + shift : column] = self.valid[:, low : self.column]
            self.valid = valid
            for row in self.rows:
                row.start += shift
        self.column = column

    def _step(self) -> list[Job]:
        """One token for every live row."""
        import torch
        from transformers.cache_utils import Cache

        if self.column >= self.keys[0].shape[2]:
            self._make_room(0)
        live = len(self.rows)
        tokens = torch.tensor([[row.tokens[-1]] for row in self.rows])
        positions = torch.tensor([[row.position] for row in self.rows])
        self.valid[:live, self.column] = True
        allowed = self.valid[:live, : self.column + 1]
        mask = torch.where(allowed, 0.0, torch.finfo(self.model.dtype).min).to(self.model.dtype)
        layers = [slot_layer()(k[:live], v[:live], self.column) for k, v in zip(self.keys, self.values)]
        output = self.model(
            input_ids=tokens,
            attention_mask=mask[:, None, None, :],
            position_ids=positions,
            use_cache=True,
            **{cache_param(self.model): Cache(layers=layers)},
        )
        self.column += 1
        for row in self.rows:
            row.position += 1
        return self._advance(output.logits[:, -1, :], range(live))

    def _advance(self, logits: Any, indices: range) -> list[Job]:
        """Choose the next token of the rows at `indices` from `logits`; free the slots of rows that ended."""

        rows = [self.rows[i] for i in indices]
        scores = logits.float()
        for j, row in enumerate(rows):
            ban_copies(scores[j], row.tokens, row.job.banned, row.job.no_copy)
        chosen = choose_tokens(scores, [row.job.temperature for row in rows], self.top_p)
        logprobs = logits.float().log_softmax(dim=-1).gather(-1, chosen[:, None])[:, 0].tolist()
        ended = []
        for j, (row, token) in enumerate(zip(rows, chosen.tolist())):
            if token not in self.eos:
                row.tokens.append(token)
                row.logprob += logprobs[j]
            if token in self.eos or self.finished(row.tokens) or len(row.tokens) >= self.max_new_tokens:
                ended.append(indices[j])
        return self._release(ended)

    def _release(self, ended: list[int]) -> list[Job]:
        """Record the answers of ended rows and pack the live rows at the front; jobs with every answer in."""
        done = []
        for index in sorted(ended, reverse=True):
            row = self.rows[index]
            row.job.answers[row.sample] = (row.tokens, row.logprob)
            if all(a is not None for a in row.job.answers):
                done.append(row.job)
            last = len(self.rows) - 1
            if index != last:  # the last live row moves into the freed slot
                for tensors in (self.keys, self.values):
                    for layer in tensors:
                        layer[index] = layer[last]
                self.valid[index] = self.valid[last]
                self.rows[index] = self.rows[last]
            self.rows.pop()
        return done
