"""Read a sample of rows spread over an input, for classification, and open an input's batches
with nested (struct) columns flattened to ``parent.child``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scanner.options import ScanOptions
from scanner.sources import limits
from scanner.sources.files import Source, column_names, open_source

FULL_SAMPLE_CAP = 200_000


SAMPLE_MAX_BYTES = 64 << 20


# Classifying costs per value sampled (every detector looks at each): a wide table's sample is
# bounded by values too, never fewer than SAMPLE_MIN_ROWS rows (2,500 columns: 400 rows each).
SAMPLE_MAX_VALUES = 1_000_000
SAMPLE_MIN_ROWS = 200


def open_input(source: Source, block_size: int):
    """The input's batches (:func:`~scanner.sources.files.open_source`), nested columns flattened."""
    stream = open_source(source, block_size=block_size)
    if any(pa.types.is_struct(f.type) for f in stream.schema):
        # Identifiers nested in structs (Parquet groups) are examined as ``parent.child`` columns,
        # named like any column: a field named after a person (an e-mail address as a field
        # name) is shown masked, and names that meet once flattened are numbered.
        flat = flatten_structs(stream.schema.empty_table()).schema
        names = column_names(flat.names)
        stream.schema = pa.schema([f.with_name(n) for f, n in zip(flat, names, strict=True)])
        stream.batches = (flatten_struct_batch(b).rename_columns(names) for b in stream.batches)
    return stream


def flatten_structs(table: pa.Table) -> pa.Table:
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table


def flatten_struct_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    table = flatten_structs(pa.Table.from_batches([batch]))
    return table.combine_chunks().to_batches()[0] if table.num_rows else pa.RecordBatch.from_pylist([], schema=table.schema)


@dataclass
class SampleMeta:
    schema: pa.Schema
    format: str
    encoding: str | None
    delimiter: str | None
    too_long: dict[str, int] = field(default_factory=dict)  # per column, sampled cells past the cell limit
    # The whole input when the sample holds every row of it and it is no bigger than one batch
    # of the count (a small file): it is counted from this table, not read a second time.
    whole: pa.Table | None = None


def read_sample(source: Source, options: ScanOptions,
                each_batch: Callable[[pa.RecordBatch], None] | None = None) -> tuple[pa.Table, SampleMeta]:
    """A sample of rows spread over the input, for classification. With ``--full`` every batch
    of the input is read, and handed to ``each_batch`` (if given) before it is thinned."""
    stream = open_input(source, options.block_size)
    meta = SampleMeta(stream.schema, stream.format, stream.encoding, stream.delimiter)
    target = FULL_SAMPLE_CAP if options.full else options.sample_rows
    target = min(target, max(SAMPLE_MIN_ROWS, SAMPLE_MAX_VALUES // max(1, len(stream.schema))))
    batches: list[pa.RecordBatch] = []
    rows = 0
    stride = 1
    whole = False  # every row of the input is in the sample
    try:
        if options.full:
            # Every row is looked at; what is kept for the decision is thinned evenly so that
            # memory stays bounded on any size of file.
            held_bytes = 0  # kept up to date, never summed again per batch: linear in the batches
            for batch in stream.batches:
                if each_batch is not None:
                    each_batch(batch)
                batch = batch.take(pa.array(np.arange(0, batch.num_rows, stride))) if stride > 1 else batch
                batches.append(batch)
                rows += batch.num_rows
                held_bytes += batch.nbytes
                while rows > target or (rows > 1 and held_bytes > 2 * SAMPLE_MAX_BYTES):
                    stride *= 2
                    table = pa.Table.from_batches(batches, schema=stream.schema)
                    table = table.take(pa.array(np.arange(0, table.num_rows, 2)))
                    batches = table.combine_chunks().to_batches()
                    rows = table.num_rows
                    held_bytes = sum(b.nbytes for b in batches)
            whole = stride == 1
        elif (spread := source.reader.spread_sample(source, stream, target)) is not None:
            batches = [b.rename_columns(stream.schema.names) for b in spread]
        else:
            kept_bytes = 0
            whole = True
            for batch in stream.batches:
                batches.append(batch)
                rows += batch.num_rows
                kept_bytes += batch.nbytes
                # Bounded by bytes too: 5,000 rows of very wide or very long values are not small.
                if rows >= target or kept_bytes >= SAMPLE_MAX_BYTES:
                    whole = False
                    break
            more = source.reader.more_sample(source, stream, options.block_size, stopped=not whole)
            if more is not None:  # rows from further on, or fields the first rows lack
                whole = False
                batches.extend(more)
    finally:
        close = getattr(stream.batches, "close", None)
        if close:
            close()
    table = pa.Table.from_batches(batches, schema=stream.schema) if batches else stream.schema.empty_table()
    if table.num_rows > target:
        table = table.take(pa.array(np.linspace(0, table.num_rows - 1, target).astype(np.int64)))
    elif whole and source.reader.counted_from_sample and table.nbytes <= options.block_size:
        table = table.combine_chunks()
        meta.whole = table
    return without_long_cells(table, meta), meta


def without_long_cells(table: pa.Table, meta: SampleMeta) -> pa.Table:
    """The sample without values past the cell limit: too long to classify (they are counted
    per column in ``meta.too_long`` and said in the report; the count pass reads their rows)."""
    limit = limits.max_cell_bytes()
    for i, f in enumerate(table.schema):
        if not (pa.types.is_string(f.type) or pa.types.is_binary(f.type)):
            continue
        column = table.column(i)
        if column.nbytes <= limit:
            continue  # no value can be longer than all of them together
        long_ = pc.fill_null(pc.greater(pc.binary_length(column), limit), False)
        n = pc.sum(long_).as_py() or 0
        if n:
            meta.too_long[f.name] = n
            table = table.set_column(i, f, pc.if_else(long_, pa.scalar(None, f.type), column))
    return table
