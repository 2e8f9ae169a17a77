"""The slot decoder's memory: each layer's keys and values in one preallocated [slots, kv heads, columns, head
dim] tensor on that layer's device, which columns each slot sees, and (for sliding windows) the position each
column holds. All slots write a step at the same column; when the columns run out, the span in use moves back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chains.local.decoding import on_device, slot_layer


class SlotColumns:
    """Keys, values and column tables for `slots` rows, with room for `budget` columns past the longest prompt."""

    def __init__(self, slots: int, device: Any, window: bool, budget: int) -> None:
        self.slots, self.device, self.window, self.budget = slots, device, window, budget
        self.keys: list[Any] = []
        self.values: list[Any] = []
        self.valid: Any = None
        self.positions: Any = None
        self.column = 0
        """The column the next step writes."""

    @property
    def size(self) -> int:
        return self.keys[0].shape[2] if self.keys else 0

    def make_room(self, span: int, low: int, layers: Any = None) -> int:
        """At least `span` columns before the write column and the budget after it, allocated on first use
        with the shapes, types and devices of a prefill's cache `layers`. The columns in use (from `low`, the
        earliest start of a live row) move back to the start when they run out; returns how far they moved."""
        if self.keys and span <= self.column < self.size:
            return 0
        column = max(span, self.column - low)
        size = max(column + self.budget, self.size)
        if not self.keys:
            self._allocate(layers, size)
        else:
            used, moved = slice(low, self.column), slice(column - (self.column - low), column)
            for tensors in (self.keys, self.values):
                for i, old in enumerate(tensors):  # in place unless it grows: a second copy of every layer is costly
                    new = old if old.shape[2] == size else old.new_zeros((*old.shape[:2], size, old.shape[3]))
                    new[:, :, moved] = old[:, :, used].clone()
                    tensors[i] = new
            self.valid = _moved(self.valid, size, used, moved)
            if self.positions is not None:
                self.positions = _moved(self.positions, size, used, moved)
        shift, self.column = column - self.column, column
        return shift

    def _allocate(self, layers: Any, size: int) -> None:
        import torch

        for layer in layers:
            heads, dim = layer.keys.shape[1], layer.keys.shape[3]
            self.keys.append(layer.keys.new_zeros((self.slots, heads, size, dim)))
            self.values.append(layer.values.new_zeros((self.slots, heads, size, layer.values.shape[3])))
        self.valid = torch.zeros((self.slots, size), dtype=torch.bool, device=self.device)
        if self.window:
            self.positions = torch.zeros((self.slots, size), dtype=torch.long, device=self.device)

    def write(self, first: int, layers: Any, valid: Any, positions: Any, pick: Any) -> None:
        """A prefill's keys and values for slots `first`... , ending at the write column: slot `first + i`
        takes the prefill's row `pick[i]`."""
        end, columns = first + valid.shape[0], slice(self.column - valid.shape[1], self.column)
        for layer, source in enumerate(layers):
            self.keys[layer][first:end, :, columns] = source.keys[pick.to(source.keys.device)]
            self.values[layer][first:end, :, columns] = source.values[pick.to(source.values.device)]
        self.valid[first:end] = False
        self.valid[first:end, columns] = valid
        if self.positions is not None:
            self.positions[first:end, columns] = positions

    def step(self, live: int, position: Any) -> tuple[Any, Any, Any]:
        """Open the write column for the `live` rows at their `position`s: what they see, the positions
        of those columns (None without sliding windows), and the cache layers the model writes through."""
        column = self.column
        self.valid[:live, column] = True
        positions = None
        if self.positions is not None:
            self.positions[:live, column] = position
            positions = self.positions[:live, : column + 1]
        layers = [slot_layer()(k[:live], v[:live], column) for k, v in zip(self.keys, self.values)]
        return self.valid[:live, None, : column + 1], positions, layers

    def tensors(self) -> list[Any]:
        return [*self.keys, *self.values, *(t for t in (self.valid, self.positions) if t is not None)]


def move_rows(tensors: Sequence[Any], moves: list[tuple[int, int]]) -> None:
    """Copy each (slot, source) row within every tensor, one indexed copy per tensor, on its own device."""
    if not moves:
        return
    indices: dict[Any, tuple[Any, Any]] = {}
    for tensor in tensors:
        if tensor.device not in indices:
            indices[tensor.device] = tuple(on_device(list(side), tensor.device) for side in zip(*moves))
        slots, sources = indices[tensor.device]
        tensor[slots] = tensor[sources]


def _moved(table: Any, size: int, used: slice, moved: slice) -> Any:
    """A [slots, size] copy of a per-column table with its `used` columns at `moved` and nothing else set."""
    new = table.new_zeros((table.shape[0], size))
    new[:, moved] = table[:, used]
    return new
