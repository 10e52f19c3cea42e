"""Per-column profile accumulated over record batches: type, rows, nulls, distinct estimate,
length range. Everything is vectorised; memory per column is a fixed-size sketch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_SKETCH_K = 1024
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads bits so that the sketch sees uniform hashes."""
    with np.errstate(over="ignore"):
        x = x ^ (x >> np.uint64(30))
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x = x ^ (x >> np.uint64(27))
        x = x * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def string_fingerprints(values: pa.Array) -> np.ndarray:
    """A 64-bit fingerprint per string, vectorised (no Python loop per value).

    Built from the length and the last 16 bytes of each value (identifiers differ at their
    end): exact enough for a distinct-count estimate, and cheap on long text. Not a
    cryptographic hash and never stored anywhere.
    """
    values = values.cast(pa.string()) if not pa.types.is_string(values.type) else values
    values = values.drop_null() if values.null_count else values
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    bufs = values.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=n + 1, offset=values.offset * 4).astype(np.int64)
    # Only this array's own bytes: a slice of a big array must not cost the whole buffer.
    data = np.frombuffer(bufs[2], dtype=np.uint8)[offsets[0]:offsets[-1]] if bufs[2] is not None \
        else np.zeros(0, np.uint8)
    offsets -= offsets[0]
    ends = offsets[1:]
    lengths = ends - offsets[:-1]
    width = int(lengths[0])
    if (lengths == width).all():
        # Fixed-width values (ID numbers, phones): the bytes are already a matrix, no gather.
        matrix = data[offsets[0]: offsets[-1]].reshape(n, width) if width else np.zeros((n, 0), np.uint8)
        tail = np.zeros((n, 16), dtype=np.uint8)
        take = min(width, 16)
        if take:
            tail[:, 16 - take:] = matrix[:, width - take:]
        words = tail.view(np.uint64)
        return _mix64(_mix64(lengths.astype(np.uint64) ^ words[:, 0]) ^ words[:, 1])
    # The last 16 bytes of each value: a row gather from a sliding-window view (no copy of the
    # data, no index matrix); bytes before a short value's start are zeroed.
    padded = np.concatenate([np.zeros(16, dtype=np.uint8), data])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 16)
    tail = windows[ends]
    short = lengths < 16
    if short.any():
        tail[short] = np.where(np.arange(16)[None, :] >= (16 - lengths[short])[:, None], tail[short], 0)
    words = tail.view(np.uint64)
    return _mix64(_mix64(lengths.astype(np.uint64) ^ words[:, 0]) ^ words[:, 1])


@dataclass
class ColumnProfile:
    name: str
    type: str
    rows: int = 0
    nulls: int = 0
    min_length: int | None = None
    max_length: int | None = None
    _sketch: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    _exact_below_k: bool = True
    _mostly_unique: bool = False

    def add(self, values: pa.Array) -> None:
        self.rows += len(values)
        self.nulls += values.null_count
        t = values.type
        if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
            lengths = pc.utf8_length(values) if pa.types.is_string(t) or pa.types.is_large_string(t) else pc.binary_length(values)
            mm = pc.min_max(lengths)
            lo, hi = mm["min"].as_py(), mm["max"].as_py()
            if lo is not None:
                self.min_length = lo if self.min_length is None else min(self.min_length, lo)
                self.max_length = hi if self.max_length is None else max(self.max_length, hi)
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            values = values.cast(pa.string()) if not pa.types.is_string(t) else values
            # De-duplicating first pays on repetitive columns; on nearly unique ones (identifiers)
            # it is wasted work: the sketch de-duplicates the fingerprints anyway.
            if self._mostly_unique:
                hashes = string_fingerprints(values)
            else:
                uniq = pc.unique(values)
                self._mostly_unique = len(uniq) > 0.8 * max(1, len(values))
                hashes = string_fingerprints(uniq)
        elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_temporal(t) or pa.types.is_boolean(t):
            uniq = pc.unique(values).drop_null()
            if pa.types.is_temporal(t):
                arr = uniq.to_numpy(zero_copy_only=False).astype("datetime64[ns]").astype(np.int64) \
                    if not pa.types.is_time(t) else uniq.cast(pa.int64()).to_numpy(zero_copy_only=False)
            elif pa.types.is_boolean(t):
                arr = uniq.cast(pa.int64()).to_numpy(zero_copy_only=False)
            else:
                arr = uniq.to_numpy(zero_copy_only=False)
            hashes = _mix64(arr.astype(np.float64).view(np.uint64) if arr.dtype.kind == "f" else arr.astype(np.int64).view(np.uint64))
        else:
            return
        if len(self._sketch) >= _SKETCH_K:
            hashes = hashes[hashes < self._sketch[-1]]
            if not len(hashes):
                return
        merged = np.union1d(self._sketch, hashes)
        if len(merged) > _SKETCH_K:
            self._exact_below_k = False
            merged = merged[:_SKETCH_K]
        self._sketch = merged

    @property
    def distinct_estimate(self) -> int | None:
        """K-minimum-values estimate; exact while fewer than 1024 distinct values were seen."""
        if self._exact_below_k:
            return int(len(self._sketch)) if len(self._sketch) or self.rows else 0
        kth = float(self._sketch[-1]) / float(_MASK64)
        estimate = int(round((_SKETCH_K - 1) / kth)) if kth > 0 else None
        if estimate is not None:
            estimate = min(estimate, self.rows - self.nulls)
        return estimate


def profiles_of_files(name: str, values: pa.Array, bounds: np.ndarray) -> list[ColumnProfile]:
    """One column of many files put end to end (file ``i`` is ``values[bounds[i]:bounds[i + 1]]``,
    each at least one row): each file's profile, as :meth:`ColumnProfile.add` on its rows alone
    would make it, with a handful of calls over all the files rather than a handful per file.

    String columns are profiled together (lengths and fingerprints per file); a file with more
    than ``_SKETCH_K`` distinct values, and other types, are profiled on their own slice.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    t = values.type
    starts = bounds[:-1]
    out = [ColumnProfile(name, str(t)) for _ in starts]
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        for i, profile in enumerate(out):
            profile.add(values.slice(int(starts[i]), int(bounds[i + 1] - starts[i])))
        return out
    values = values.cast(pa.string()) if not pa.types.is_string(t) else values
    valid = values.is_valid().to_numpy(zero_copy_only=False) if values.null_count else np.ones(len(values), bool)
    nulls = np.add.reduceat(~valid, starts) if values.null_count else np.zeros(len(starts), np.int64)
    lengths = pc.utf8_length(values).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    big = np.iinfo(np.int64).max
    lo = np.minimum.reduceat(np.where(valid, lengths, big), starts)
    hi = np.maximum.reduceat(np.where(valid, lengths, -1), starts)
    # Distinct values per file: fingerprints sorted within each file, the first of each run.
    owner = np.repeat(np.arange(len(starts)), np.diff(bounds))[valid]
    prints = string_fingerprints(values)
    order = np.lexsort((prints, owner))
    owner, prints = owner[order], prints[order]
    first = np.ones(len(prints), bool)
    first[1:] = (owner[1:] != owner[:-1]) | (prints[1:] != prints[:-1])
    owner, prints = owner[first], prints[first]
    ends = np.searchsorted(owner, np.arange(len(starts) + 1))
    for i, profile in enumerate(out):
        rows = int(bounds[i + 1] - starts[i])
        if ends[i + 1] - ends[i] > _SKETCH_K:
            profile.add(values.slice(int(starts[i]), rows))
            continue
        profile.rows, profile.nulls = rows, int(nulls[i])
        if hi[i] >= 0:
            profile.min_length, profile.max_length = int(lo[i]), int(hi[i])
        profile._sketch = prints[ends[i]: ends[i + 1]]
    return out
