"""The input formats chujing reads: discovery asks these readers which one reads a file.

A new format is a module of ``scanner/sources/`` with its :class:`~scanner.sources.base.Reader`
and one line in :data:`READERS`.
"""

from __future__ import annotations

from scanner.sources.base import Reader, name_parts
from scanner.sources.delimited import CSV
from scanner.sources.excel import EXCEL
from scanner.sources.json_records import JSON
from scanner.sources.lake import DELTA, remote_reader
from scanner.sources.parquet import DATASET, PARQUET

# Files, by their names (the first that claims a name reads it).
READERS: list[Reader] = [
    CSV,
    PARQUET,
    EXCEL,
    JSON,
]
# Folders are read by DATASET (hive-partitioned Parquet) and DELTA (a Delta table).

# What a file's name must end with to be read, as said to a user whose file was not.
READ_TYPES = ", ".join(r.read_types for r in READERS)


def reader_for(path: str) -> tuple[Reader | None, str | None]:
    """The reader of the file at ``path`` (by its name), and its compression; None: not read.

    >>> reader_for("exports/members.csv.gz")
    (<reader csv>, 'gzip')
    >>> reader_for("contract.docx")
    (None, None)
    """
    suffix, compression = name_parts(path)
    for reader in READERS:
        if reader.claims(path, suffix, compression):
            return reader, compression
    return None, None


__all__ = ["DATASET", "DELTA", "READERS", "READ_TYPES", "reader_for", "remote_reader"]
