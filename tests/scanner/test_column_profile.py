"""Column profiles: the same figures whatever the batches' boundaries, at a cost in the batch's
own values (a slice of a big array must not cost the whole array)."""

import tracemalloc

import numpy as np
import pyarrow as pa

from scanner.detect.column_profile import ColumnProfile, string_fingerprints


def _names(n: int) -> pa.Array:
    return pa.array([f"张三丰{i}" if i % 3 else f"{i:011d}" for i in range(n)] + ["x" * 30, "ab", ""])


def test_fingerprints_of_slices_are_those_of_the_whole():
    values = _names(50_000)
    whole = string_fingerprints(values)
    parts = np.concatenate([string_fingerprints(values.slice(i, 7_001)) for i in range(0, len(values), 7_001)])
    assert (whole == parts).all()
    fixed = pa.array([f"{i:011d}" for i in range(1000)]).slice(100, 300)
    assert (string_fingerprints(fixed) == string_fingerprints(pa.array(fixed.to_pylist()))).all()


def test_a_slice_costs_its_own_values_not_the_arrays():
    big = pa.array(["某某路" * (10 + i % 3) for i in range(400_000)])  # 40 MB of text
    tracemalloc.start()
    try:
        string_fingerprints(big.slice(200_000, 1_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20, peak  # the slice's own bytes and a few arrays per value, not 36 MB


def test_profiles_are_the_same_over_any_batches():
    values = _names(30_000)
    one, many = ColumnProfile("c", "string"), ColumnProfile("c", "string")
    one.add(values)
    for start in range(0, len(values), 4_096):
        many.add(values.slice(start, 4_096))
    assert (one.rows, one.nulls, one.min_length, one.max_length, one.distinct_estimate) == \
           (many.rows, many.nulls, many.min_length, many.max_length, many.distinct_estimate)
