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

# More columns than this is refused: classifying each column costs time, and no export of
# personal data has that many.
MAX_COLUMNS = 20_000

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
