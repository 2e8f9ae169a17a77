"""The near-duplicate index on constructed vectors with known cosines."""

import numpy as np
import pytest

from chains.checks.dedup import NearDuplicateIndex


def unit(v):
    return v / np.linalg.norm(v)


def test_finds_near_copies_among_many_and_passes_distinct_vectors():
    rng = np.random.default_rng(1)
    base = [unit(v) for v in rng.standard_normal((2000, 64))]
    index = NearDuplicateIndex(lambda texts: [base[int(t)] for t in texts], threshold=0.95)
    assert index.check_and_add([str(i) for i in range(2000)]) == [None] * 2000  # random 64-d vectors are far apart
    copies = [unit(base[i] + 0.15 * unit(rng.standard_normal(64))) for i in range(200)]  # cosine about 0.99
    probe = NearDuplicateIndex(lambda texts: [copies[int(t)] for t in texts], threshold=0.95)
    probe._planes, probe._vectors, probe._buckets = index._planes, index._vectors, index._buckets
    found = probe.check_and_add([str(i) for i in range(200)])
    assert sum(c is not None for c in found) >= 190
    assert all(c is None or c >= 0.95 for c in found)


def test_compares_only_within_buckets():
    rng = np.random.default_rng(2)
    vectors = [unit(v) for v in rng.standard_normal((500, 32))]
    index = NearDuplicateIndex(lambda texts: [vectors[int(t)] for t in texts])
    index.check_and_add([str(i) for i in range(500)])
    sizes = [len(ids) for table in index._buckets for ids in table.values()]
    assert max(sizes) < 50  # a new text meets a few dozen others per table, not all 500


def test_threshold_must_be_a_cosine():
    with pytest.raises(ValueError, match="threshold"):
        NearDuplicateIndex(lambda t: [], threshold=1.5)
