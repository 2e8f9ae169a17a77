"""Quality metrics of generated rows: diversity, duplicates, similarity, length, label fidelity, paraphrase checks.

Embedding-based metrics take unit-length vectors (rows of a 2-D array), so cosine is a dot product.
"""

from __future__ import annotations

import numpy as np

from chains.checks.dedup import dedup_key


def words(text: str) -> list[str]:
    """Word tokens after normalising case, punctuation and width (the dedup normal form)."""
    return dedup_key(text).split()


def distinct_n(texts: list[str], n: int = 2) -> float:
    """Distinct n-grams over all n-grams of the texts (word level, normalised): 1.0 when nothing repeats."""
    grams = [tuple(w[i : i + n]) for t in texts for w in [words(t)] for i in range(len(w) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def duplicate_rate(texts: list[str]) -> float:
    """Share of texts that repeat an earlier one after normalising (case, spacing, punctuation)."""
    return 1 - len({dedup_key(t) for t in texts}) / len(texts) if texts else 0.0


def near_duplicate_rate(vectors: np.ndarray, threshold: float = 0.95, chunk: int = 1024) -> float:
    """Share of rows with cosine >= `threshold` to an earlier row (exact duplicates count too)."""
    n = len(vectors)
    flagged = 0
    for start in range(0, n, chunk):
        block = vectors[start : start + chunk] @ vectors[: start + chunk].T
        for offset, row in enumerate(block):
            flagged += bool((row[: start + offset] >= threshold).any())
    return flagged / n if n else 0.0


def mean_pairwise_similarity(vectors: np.ndarray) -> float:
    """Mean cosine over all pairs of distinct rows: lower means more varied texts.

    For unit vectors, sum over i != j of v_i.v_j = |sum v|^2 - n, so no n x n matrix is needed.
    """
    n = len(vectors)
    if n < 2:
        return float("nan")
    total = vectors.sum(axis=0)
    return float((total @ total - (vectors * vectors).sum()) / (n * (n - 1)))


def nearest_similarity(vectors: np.ndarray, chunk: int = 1024) -> np.ndarray:
    """For each row, its highest cosine to any other row (for the similarity histogram)."""
    n = len(vectors)
    best = np.full(n, np.nan)
    for start in range(0, n, chunk):
        block = vectors[start : start + chunk] @ vectors.T
        for offset in range(len(block)):
            block[offset, start + offset] = -np.inf
        if n > 1:
            best[start : start + chunk] = block.max(axis=1)
    return best


def length_stats(texts: list[str]) -> dict[str, float]:
    """Words per text: mean, median, 10th and 90th percentile, min and max."""
    if not texts:
        return {}
    counts = np.array([len(t.split()) for t in texts], dtype=float)
    p10, median, p90 = np.percentile(counts, [10, 50, 90])
    return {"mean": counts.mean(), "median": median, "p10": p10, "p90": p90, "min": counts.min(), "max": counts.max()}


def token_overlap(a: str, b: str) -> float:
    """Jaccard overlap of the two texts' word sets: 1.0 for the same words, 0.0 for none shared."""
    x, y = set(words(a)), set(words(b))
    return len(x & y) / len(x | y) if x | y else 1.0


def is_copy(output: str, source: str) -> bool:
    """An output that only restates its source (same words after normalising)."""
    return dedup_key(output) == dedup_key(source)


def agreement(labels: list[str | None], judged: list[str | None]) -> float:
    """Share of rows whose judge label equals the row label (case-insensitive)."""
    pairs = [(a, b) for a, b in zip(labels, judged) if a is not None]
    return sum((a or "").casefold() == (b or "").casefold() for a, b in pairs) / len(pairs) if pairs else float("nan")
