"""Duplicate detection: normalised exact keys, and near-duplicates by embedding cosine with an LSH index."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

_NOT_WORD = re.compile(r"[\W_]+")


def dedup_key(text: str) -> str:
    """Case, spacing, punctuation and Unicode width do not make two answers different."""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


class NearDuplicateIndex:
    """Flags a text whose embedding has cosine >= `threshold` with one already added.

    Random-hyperplane LSH keeps the cost per text about constant: a text is compared only with texts
    that share one of `tables` hash buckets of `bits` signs each. For cosine 0.95 (about 18 degrees)
    the defaults find the neighbour with probability 1 - (1 - 0.9**8)**8, about 0.99.
    """

    def __init__(
        self,
        embed: Callable[[list[str]], Sequence[Sequence[float]]],
        threshold: float = 0.95,
        tables: int = 8,
        bits: int = 8,
        seed: int = 0,
    ) -> None:
        if not 0 < threshold <= 1:
            raise ValueError("threshold must be in (0, 1]")
        self.embed, self.threshold, self.tables, self.bits = embed, threshold, tables, bits
        self._planes: np.ndarray | None = None
        self._rng = np.random.default_rng(seed)
        self._vectors: list[np.ndarray] = []
        self._buckets: list[dict[int, list[int]]] = [defaultdict(list) for _ in range(tables)]

    def _keys(self, vector: np.ndarray) -> list[int]:
        if self._planes is None:
            self._planes = self._rng.standard_normal((self.tables, self.bits, vector.shape[0]))
        signs = (self._planes @ vector) > 0  # (tables, bits)
        return [int(sum(1 << b for b in np.flatnonzero(row))) for row in signs]

    def check_and_add(self, texts: list[str]) -> list[float | None]:
        """For each text in order: None if new (it is added), else the cosine to its near-duplicate."""
        if not texts:
            return []
        verdicts: list[float | None] = []
        for vector in np.asarray(self.embed(texts), dtype=np.float32):
            vector = vector / (np.linalg.norm(vector) or 1.0)
            keys = self._keys(vector)
            candidates = {i for table, key in zip(self._buckets, keys) for i in table.get(key, ())}
            best = max((float(self._vectors[i] @ vector) for i in candidates), default=-1.0)
            if best >= self.threshold:
                verdicts.append(best)
                continue
            for table, key in zip(self._buckets, keys):
                table[key].append(len(self._vectors))
            self._vectors.append(vector)
            verdicts.append(None)
        return verdicts
