"""What every input format shares: one input (:class:`Source`), its open record batches
(:class:`Stream`), the one error (:class:`SourceError`) and the interface each format's reader
implements (:class:`Reader`).

A reader is what one format knows: which files it claims, how one file becomes sources (a
workbook is one per sheet), how a source opens as Arrow batches, what its sample adds to the
first rows, which local files it reads, and how it is fetched when it sits on an object store.
The engines never ask a source what it is: they ask its reader (``source.reader``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from scanner.sources.names import display_path

DEFAULT_BLOCK_SIZE = 16 * 1024 * 1024
COMPRESSION_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}


class SourceError(Exception):
    """A problem with one input, stated in one line without any value from the data."""


@dataclass
class Source:
    """One scannable input: a file, a sheet of a workbook, a dataset or table folder, a URL.

    ``path`` opens the file (it may hold undecodable bytes as surrogates); ``display`` is the
    form to print and to put in reports; ``reader`` is the format that reads it.
    """

    path: str
    reader: Reader
    size: int = 0
    compression: str | None = None
    files: list[str] = field(default_factory=list)  # a dataset's parquet files; a sheet's workbook
    # How it is printed when its siblings decide it (a sheet named 高峰 among sheets named after
    # persons is masked like them); None: its path, masked alone.
    shown: str | None = None

    @property
    def kind(self) -> str:
        """The format's name (``csv``, ``parquet``, ``dataset``, ``excel``, ``json``, ``delta``,
        ``remote-csv``, ...): a word for messages and stored state, never a switch."""
        return self.reader.kind

    @property
    def display(self) -> str:
        return self.shown or display_path(self.path)


@dataclass
class Stream:
    """An open input: its record batches and what was learnt while opening it."""

    batches: Iterator[pa.RecordBatch]
    schema: pa.Schema
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    num_rows: int | None = None  # known up front for Parquet


class Reader:
    """One input format. Subclasses set what applies and override what they do differently.

    A new format is a module of ``scanner/sources/`` with its reader and one line in
    :data:`scanner.sources.registry.READERS`.
    """

    kind: str = ""
    # The names it claims, by their last suffix (lower case); ``compressed``: also under .gz,
    # .bz2 or .zst. ``read_types``: those names as told to a user whose file was not read.
    suffixes: frozenset[str] = frozenset()
    compressed: bool = False
    read_types: str = ""
    # A small input whose sample holds every row is counted from that sample (read once).
    counted_from_sample: bool = True
    # Small files of this format are read and classified a group at a time.
    grouped: bool = False
    # Read through a private local copy (text on an object store): see :meth:`local_copy`.
    copy_first: bool = False
    # The format ``chujing redact`` writes the changed copy in; None: not redacted.
    redacted_as: str | None = None

    # --- discovery ----------------------------------------------------------------------------
    def claims(self, path: str, suffix: str, compression: str | None) -> bool:
        """Whether the file at ``path`` is read, from its last suffix before any compression
        suffix (lower case) and that compression."""
        return (compression is None or self.compressed) and suffix in self.suffixes

    def not_an_export(self, path: str) -> str | None:
        """Why a file this reader claims is still not read (chujing's own report), else None."""
        return None

    def sources(self, path: str, size: int, compression: str | None) -> tuple[list[Source], list[tuple[str, str]]]:
        """The sources of one file, and the parts of it not read with the reason (a workbook's
        chart sheets). Raises :class:`SourceError` when the file cannot be opened at all."""
        return [Source(path=path, reader=self, size=size, compression=compression)], []

    # --- reading ------------------------------------------------------------------------------
    def open(self, source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
        raise NotImplementedError

    def spread_sample(self, source: Source, stream: Stream, target: int) -> list[pa.RecordBatch] | None:
        """About ``target`` rows spread over the input, read instead of its first rows; None
        when the first rows are the sample."""
        return None

    def more_sample(self, source: Source, stream: Stream, block_size: int, stopped: bool) -> list[pa.RecordBatch] | None:
        """Rows added to a sample of the first rows (``stopped``: it did not reach the end):
        from further on in the input, or fields the first rows lack. None: nothing to add."""
        return None

    def lost_digits(self, source: Source) -> dict[str, int]:
        """Per column, values of the latest read whose digits the exporting program dropped."""
        return {}

    # --- the files behind a source --------------------------------------------------------------
    def local_files(self, source: Source) -> list[str]:
        """The local files read (their size and modification time tell a change during the scan)."""
        return [source.path]

    def file_of(self, source: Source) -> str:
        """The one file or folder whose bytes identify the source's content."""
        return source.path

    def content_version(self, source: Source) -> str | None:
        """What identifies the content without reading it (a Delta version, an ETag); None when
        its bytes are fingerprinted instead."""
        return None

    def local_copy(self, source: Source) -> AbstractContextManager[Source]:
        """The source as a local one, for readers that ``copy_first``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<reader {self.kind}>"


def name_parts(path: str) -> tuple[str, str | None]:
    """A file name's last suffix before any compression suffix (lower case), and the compression.

    >>> name_parts("exports/Members.CSV.gz"), name_parts("a.parquet"), name_parts("README")
    (('.csv', 'gzip'), ('.parquet', None), ('', None))
    """
    suffixes = Path(path.lower()).suffixes
    compression = None
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        compression = COMPRESSION_SUFFIXES[suffixes[-1]]
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else ""), compression


def coalesce(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    """Batches joined into one (each batch handed on has a fixed cost in the scan)."""
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]
