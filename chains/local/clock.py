"""Where a local model's time goes: seconds and tokens spent prefilling prompts and decoding answers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DecodeClock:
    """Totals over every pass of the slot decoder since the last `reset`. Tokens count what the model
    computed: a prefill pass's padded prompts (past any shared cached prefix), a decode step's live rows."""

    prefill_s: float = 0.0
    prefill_tokens: int = 0
    prefill_passes: int = 0
    decode_s: float = 0.0
    decode_tokens: int = 0
    decode_steps: int = 0

    def reset(self) -> None:
        vars(self).update(vars(DecodeClock()))

    def prefill(self, seconds: float, tokens: int) -> None:
        self.prefill_s += seconds
        self.prefill_tokens += tokens
        self.prefill_passes += 1

    def decode(self, seconds: float, rows: int) -> None:
        self.decode_s += seconds
        self.decode_tokens += rows
        self.decode_steps += 1
