"""Parquet files and hive-partitioned Parquet datasets (a folder of ``key=value`` folders).

Read a row group at a time (a reader asked for the whole file keeps every row group it
pre-buffered), small row groups together; a file whose schema or row groups promise a bomb (too
deep, too wide, a row group declaring gigabytes) is refused with one line before it is read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from scanner.sources import limits
from scanner.sources.base import DEFAULT_BLOCK_SIZE, Reader, Source, SourceError, Stream, coalesce, name_parts
from scanner.sources.names import column_names
from scanner.sources.opening import describe_read_error, open_regular

PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}


class ParquetReader(Reader):
    """A Parquet file."""

    kind = "parquet"
    suffixes = frozenset(PARQUET_SUFFIXES)
    read_types = ".parquet"
    grouped = True
    redacted_as = "parquet"

    def open(self, source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
        return open_parquet(source, block_size=block_size)

    def spread_sample(self, source: Source, stream: Stream, target: int) -> list[pa.RecordBatch] | None:
        # Row groups spread over the file, read by seeking: the first rows are often one batch.
        if stream.num_rows and stream.num_rows > target:
            return parquet_spread(source, target)
        return None


class DatasetReader(Reader):
    """A hive-partitioned folder of Parquet files (``year=2024/month=05/part-0.parquet``)."""

    kind = "dataset"

    def claims(self, path: str, suffix: str, compression: str | None) -> bool:
        return False  # a folder, found by :func:`dataset_files`

    def open(self, source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
        return open_dataset(source)

    def local_files(self, source: Source) -> list[str]:
        return list(source.files)

    def folder_source(self, directory: str, files: list[str]) -> Source:
        return Source(path=directory, reader=self, size=sum(_size(f) for f in files), files=files)


PARQUET = ParquetReader()
DATASET = DatasetReader()


def is_hive_dataset(directory: str) -> bool:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return False
    return any(e.is_dir(follow_symlinks=False) and "=" in e.name and not e.name.startswith(".") for e in entries)


def dataset_files(directory: str) -> list[str]:
    out = []
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        out.extend(os.path.join(root, f) for f in sorted(files) if PARQUET.claims(f, *name_parts(f)))
    return out


def _parquet_depth(t: pa.DataType) -> int:
    if t.num_fields == 0:
        return 0
    return 1 + max(_parquet_depth(t.field(i).type) for i in range(t.num_fields))


MAX_NESTING = 64


def open_parquet(source: Source, batch_rows: int | None = None, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
    """A Parquet file as a stream of batches of ``batch_rows`` rows (by default, as many rows
    as make about ``block_size`` bytes once decoded, from the file's own sizes)."""
    name = source.display
    try:
        fh = open_regular(source.path)
    except OSError as exc:
        raise SourceError(f"{name}: {describe_read_error(exc)}") from None
    try:
        pf = pq.ParquetFile(fh, pre_buffer=False)
        schema = pf.schema_arrow
        md = pf.metadata
        depth = max((_parquet_depth(f.type) for f in schema), default=0)
        if depth > MAX_NESTING:
            raise SourceError(f"{name}: columns nested {depth} levels deep, more than the {MAX_NESTING} scanned")
        if len(schema) > limits.max_columns():
            raise SourceError(f"{name}: has {len(schema):,} columns, more than the {limits.max_columns():,} "
                              f"scanned (raise CHUJING_MAX_COLUMNS to scan it)")
        limit = max(limits.max_decompressed_bytes(), source.size * limits.MAX_PARQUET_EXPANSION_RATIO)
        for i in range(md.num_row_groups):
            if md.row_group(i).total_byte_size > limit:
                raise SourceError(f"{name}: row group {i} declares {md.row_group(i).total_byte_size >> 20:,} MB once "
                                  f"decompressed: refusing a possible decompression bomb")
        num_rows = md.num_rows
        group_bytes = [md.row_group(i).total_byte_size for i in range(md.num_row_groups)]
        if batch_rows is None:
            batch_rows = min(65536, max(1024, block_size * max(num_rows, 1) // max(sum(group_bytes), 1)))
        names = column_names(schema.names)
        if names != schema.names:
            schema = pa.schema([f.with_name(n) for f, n in zip(schema, names, strict=True)], metadata=schema.metadata)
    except SourceError:
        fh.close()
        raise
    except (pa.ArrowException, OSError, ValueError, EOFError, IndexError, KeyError, TypeError) as exc:
        fh.close()
        raise SourceError(f"{name}: {describe_read_error(exc)}") from None

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for batch in _coalesced(parquet_batches(pf, batch_rows, group_bytes), block_size, batch_rows):
                yield batch.rename_columns(names) if names != batch.schema.names else batch
        except (pa.ArrowException, OSError, ValueError, EOFError) as exc:
            raise SourceError(f"{name}: {describe_read_error(exc)}") from None
        finally:
            fh.close()

    return Stream(batches(), schema, "parquet", num_rows=num_rows)


# Row groups smaller than this (decoded) are read together, up to this much.
PARQUET_GROUP_BYTES = 1 << 20


def parquet_batches(pf: pq.ParquetFile, batch_rows: int = 65536, group_bytes: list[int] | None = None,
                    block_size: int = PARQUET_GROUP_BYTES) -> Iterator[pa.RecordBatch]:
    """A Parquet file's record batches, a row group at a time: a reader asked for the whole
    file at once keeps every row group it pre-buffered until the end (memory grows with the
    file); read this way, what it holds is one row group at most. Row groups smaller than
    ``block_size`` (decoded) are read together up to that size: a reader per row group costs a
    fixed time, which thousands of tiny row groups turn into minutes."""
    count = pf.metadata.num_row_groups
    if group_bytes is None:
        group_bytes = [pf.metadata.row_group(i).total_byte_size for i in range(count)]
    group, held = 0, []
    while group < count:
        held, size = [group], group_bytes[group]
        group += 1
        while group < count and size + group_bytes[group] <= block_size and len(held) < 4096:
            held.append(group)
            size += group_bytes[group]
            group += 1
        yield from pf.iter_batches(batch_size=batch_rows, row_groups=held)


def _coalesced(batches: Iterator[pa.RecordBatch], block_size: int, max_rows: int) -> Iterator[pa.RecordBatch]:
    """Small batches joined into batches of about ``block_size`` bytes (or ``max_rows``): each
    batch handed on has a fixed cost in the scan."""
    held: list[pa.RecordBatch] = []
    held_bytes = held_rows = 0
    for batch in batches:
        if batch.num_rows >= max_rows or batch.nbytes >= block_size:
            if held:
                yield coalesce(held)
                held, held_bytes, held_rows = [], 0, 0
            yield batch
            continue
        held.append(batch)
        held_bytes += batch.nbytes
        held_rows += batch.num_rows
        if held_bytes >= block_size or held_rows >= max_rows:
            yield coalesce(held)
            held, held_bytes, held_rows = [], 0, 0
    if held:
        yield coalesce(held)


def dataset_batches(dataset: pads.Dataset, batch_rows: int = 65536) -> Iterator[pa.RecordBatch]:
    """A dataset's record batches with bounded read-ahead: one file at a time, a few batches
    ahead, no pre-buffering of whole files (see :func:`parquet_batches`)."""
    return dataset.to_batches(batch_size=batch_rows, batch_readahead=4, fragment_readahead=1,
                              fragment_scan_options=pads.ParquetFragmentScanOptions(pre_buffer=False))


def open_dataset(source: Source, batch_rows: int = 65536) -> Stream:
    name = source.display
    try:
        ds = pads.dataset(source.files, format="parquet", partitioning="hive",
                          partition_base_dir=source.path)
        schema = ds.schema
        rows = ds.count_rows()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise SourceError(f"{name}: {describe_read_error(exc)}") from None

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from dataset_batches(ds, batch_rows)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise SourceError(f"{name}: {describe_read_error(exc)}") from None

    return Stream(batches(), schema, "parquet-dataset", num_rows=rows)


def parquet_spread(source: Source, target: int) -> list[pa.RecordBatch]:
    pf = pq.ParquetFile(source.path, pre_buffer=False)
    groups = pf.num_row_groups
    picks = sorted(set(np.linspace(0, groups - 1, min(groups, 8)).astype(int).tolist()))
    per_group = max(1, target // len(picks))
    out = []
    for g in picks:
        for batch in pf.iter_batches(batch_size=per_group, row_groups=[g]):
            out.append(batch)
            break
    pf.close()
    return out


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
