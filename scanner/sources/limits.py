"""Limits that keep a scan of a hostile or broken file bounded in memory and time.

Each limit can be raised (or lowered) from the environment for one run, e.g.
``CHUJING_MAX_DECOMPRESSED_MB=8192 chujing scan huge.csv.gz``. Values are read when a file is
opened, so a test or a scheduler can set them per process.
"""

from __future__ import annotations

import os

# A decompressed stream is stopped when it grows past this many times its compressed size or
# past this absolute size, whichever is larger (a gzip/bz2/zstd bomb). Real CSV exports
# compress 5-30x; a bomb compresses 1000x and more.
MAX_EXPANSION_RATIO = 200
MAX_DECOMPRESSED_MB = 1024

# The header line of a delimited text file must end within this many bytes (50,000 columns of
# 30-character names fit); a file whose first line does not end is not a table.
MAX_HEADER_BYTES = 8 << 20

# A column name longer than this (in UTF-8 bytes) is not used: the column is named by its
# position and its report says the name was too long. Names are matched against every
# detector's and rule's header words, so their length is a cost per column.
MAX_NAME_BYTES = 1024

# A cell longer than this (in UTF-8 bytes) is too long to classify: it is left out of the sample
# a column is classified on (and the column's report says how many were), but its row is read
# and counted like any other, and the count pass still checks it with the linear-time patterns.
MAX_CELL_BYTES = 1 << 20

# A record (one line, or several when a quoted value holds new lines) of a delimited text file
# must end within this many bytes past the header; a longer one fails the file ("too long"): it
# is never cut or skipped. It sets the block Arrow parses at a time, so it bounds memory too.
MAX_LINE_BYTES = 1 << 20

# More columns than this is refused: classifying each column costs time, and no export of
# personal data has that many.
MAX_COLUMNS = 20_000

# A spreadsheet's sheet is held in memory while it is read (calamine reads a sheet whole): one
# whose XML unpacks past this many MB (or a binary .xls/.xlsb file past it) is refused.
MAX_SHEET_MB = 512

# A Parquet column chunk may not declare more than this many times the file's size once
# decompressed (a Parquet bomb), above the same absolute floor as compressed text.
MAX_PARQUET_EXPANSION_RATIO = 1000


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else default


def max_expansion_ratio() -> int:
    return _env_int("CHUJING_MAX_EXPANSION_RATIO", MAX_EXPANSION_RATIO)


def max_decompressed_bytes() -> int:
    return _env_int("CHUJING_MAX_DECOMPRESSED_MB", MAX_DECOMPRESSED_MB) << 20


def max_header_bytes() -> int:
    return _env_int("CHUJING_MAX_HEADER_BYTES", MAX_HEADER_BYTES)


def max_columns() -> int:
    return _env_int("CHUJING_MAX_COLUMNS", MAX_COLUMNS)


def max_name_bytes() -> int:
    return _env_int("CHUJING_MAX_NAME_BYTES", MAX_NAME_BYTES)


def max_cell_bytes() -> int:
    return _env_int("CHUJING_MAX_CELL_BYTES", MAX_CELL_BYTES)


def max_sheet_bytes() -> int:
    return _env_int("CHUJING_MAX_SHEET_MB", MAX_SHEET_MB) << 20


def max_line_bytes() -> int:
    return _env_int("CHUJING_MAX_LINE_BYTES", MAX_LINE_BYTES)


def prefer_lean_allocator() -> None:
    """Ask for Arrow's jemalloc pool, if pyarrow is not loaded yet (the pool is chosen then), and
    for few malloc arenas (:func:`_few_malloc_arenas`).

    Arrow's default pool (mimalloc) keeps freed pages for reuse: on a streamed scan of a big
    file that is ~100 MB more RSS at the peak than jemalloc returning them at once (see
    :func:`return_freed_memory`). A pool chosen with ``ARROW_DEFAULT_MEMORY_POOL`` is kept; the
    CLI calls this before importing pyarrow (``scanner._allocator``). Windows wheels have no
    jemalloc.
    """
    import sys

    if "pyarrow" not in sys.modules and sys.platform.startswith(("linux", "darwin")):
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    _few_malloc_arenas()


# glibc's arenas for numpy's arrays (see _few_malloc_arenas).
MALLOC_ARENAS = 2


def _few_malloc_arenas() -> None:
    """Under glibc, at most :data:`MALLOC_ARENAS` malloc arenas (numpy's arrays come from
    malloc), unless ``MALLOC_ARENA_MAX`` says otherwise.

    glibc gives a thread that meets another in malloc an arena of its own, up to eight per core,
    and keeps memory freed there for reuse: the person counter's fold sorting two key spaces at
    once in two threads put ~75 MB on the 5 M-row full scan's peak (684 MB, against 602 MB with
    two arenas, at the same speed)."""
    libc = None if "MALLOC_ARENA_MAX" in os.environ else _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)


_M_ARENA_MAX = -8  # glibc's malloc.h


def trim_malloc() -> None:
    """Under glibc, hand the free pages of every malloc arena back to the system now (glibc
    keeps them for reuse). Called once the rows are read, before the count's report, whose
    arrays make the full scan's peak: the 1 GB export's peak 869-876 MB without, 822-828 MB
    with (a few milliseconds)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def _glibc():
    """The process's C library when it is glibc (through ctypes), else None."""
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return None
        import ctypes

        return ctypes.CDLL(None)
    except (OSError, ValueError, AttributeError):  # no confstr (Windows), no such name
        return None


def return_freed_memory() -> str:
    """With Arrow's jemalloc pool, hand freed memory back to the system at once (no decay).
    Returns the pool's backend name."""
    import pyarrow as pa

    backend = pa.default_memory_pool().backend_name
    if backend == "jemalloc":
        pa.jemalloc_set_decay_ms(0)
    return backend
