"""Where data comes from: files, folders, globs and hive-partitioned Parquet datasets.

Everything is read as a stream of Arrow record batches so that memory does not grow with the
size of a file. Text files are sniffed for their compression, encoding and delimiter; every CSV
column is read as a string (identifiers must keep their leading zeros and their X, and type
inference on the first block breaks on the millionth row).

Inputs are untrusted. Whatever is wrong with one (binary junk, a decompression bomb, an
encoding that changes half-way, a row with a field too many, a FIFO, a file that vanishes) ends
in a :class:`SourceError` whose message names the problem and where it is (byte offset, line,
row number) but never quotes the data: error messages are printed, logged and kept in reports.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import errno
import functools
import glob
import gzip
import io
import os
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from scanner.sources import limits

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".psv", ".dat"}
PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}  # read by scanner.sources.excel
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}  # read by scanner.sources.json_records
# What a file's name must end with to be read, as said to a user whose file was not.
READ_TYPES = ".csv .tsv .txt .psv .dat (also .gz .bz2 .zst), .parquet, .xlsx .xlsm .xls .xlsb .ods, .json .jsonl .ndjson"
COMPRESSION_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}

SNIFF_BYTES = 64 * 1024
DEFAULT_BLOCK_SIZE = 16 * 1024 * 1024
# The block Arrow's CSV reader parses at a time. Its read-ahead holds a few dozen blocks, so
# this (not the size of the batches handed on) is what bounds the reader's memory: ~40 MB at
# 1 MB, ~150 MB at 4 MB, at the same speed.
ARROW_CSV_BLOCK = 1 << 20
# Kept for callers that read them; the values in force come from scanner.sources.limits.
MAX_EXPANSION_RATIO = limits.MAX_EXPANSION_RATIO
MAX_EXPANSION_FLOOR = limits.MAX_DECOMPRESSED_MB << 20

NULL_VALUES = ["", "NULL", "null", "NaN", "nan", "N/A", "\\N"]


class SourceError(Exception):
    """A problem with one input, stated in one line without any value from the data."""


def display_path(path: str | bytes) -> str:
    """A path as it can be printed on one line and written as UTF-8, its identifiers masked.

    Bytes that are not valid UTF-8 (a file name from another system) show as ``\\xNN``, and
    control characters (a new line or a terminal escape in a name) as ``\\xNN`` too. A file or
    folder named after a person (an ID number, a phone, an e-mail address) shows that
    identifier masked, as every report, log, error, state and ledger writes paths this way.

    >>> display_path(os.fsdecode(b"exports/\\xb6\\xa9\\xb5\\xa5.csv"))
    'exports/\\\\xb6\\\\xa9\\\\xb5\\\\xa5.csv'
    >>> display_path("a\\nb.csv")
    'a\\\\x0ab.csv'
    >>> display_path("members/13800138000/orders.csv")
    'members/138****8000/orders.csv'
    """
    raw = path if isinstance(path, bytes) else os.fsencode(path)
    return _display(raw)


@functools.lru_cache(maxsize=4096)
def _display(raw: bytes) -> str:
    text = raw.decode("utf-8", "backslashreplace")
    return mask_identifiers(_CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass
class Source:
    """One scannable input: a file or a hive-partitioned dataset directory.

    ``path`` opens the file (it may hold undecodable bytes as surrogates); ``display`` is the
    form to print and to put in reports.
    """

    path: str
    kind: str  # "csv", "parquet", "dataset", "excel" (one sheet: path is ``file#sheet``) or "json"
    size: int = 0
    compression: str | None = None
    files: list[str] = field(default_factory=list)  # a dataset's parquet files; a sheet's workbook

    @property
    def display(self) -> str:
        return display_path(self.path)


@dataclass
class Stream:
    """An open input: its record batches and what was learnt while opening it."""

    batches: Iterator[pa.RecordBatch]
    schema: pa.Schema
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    num_rows: int | None = None  # known up front for Parquet


# --- discovery --------------------------------------------------------------------------------

def kind_of(path: str) -> tuple[str | None, str | None]:
    p = Path(path.lower())
    suffixes = p.suffixes
    compression = None
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        compression = COMPRESSION_SUFFIXES[suffixes[-1]]
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in PARQUET_SUFFIXES and compression is None:
        return "parquet", None
    if last in TEXT_SUFFIXES:
        return "csv", compression
    if last in EXCEL_SUFFIXES and compression is None:
        return "excel", None
    if last in JSON_SUFFIXES:
        return "json", compression
    return None, None


def not_read_reason(name: str) -> str:
    """Why a file of this name is not read, in words (the skipped list's reason).

    >>> not_read_reason("contract.docx")
    'not a type chujing reads (.docx)'
    >>> not_read_reason("README")
    'no extension: its type cannot be told from its name'
    """
    base = os.path.basename(name)
    if base.startswith("~$"):
        return "an Office lock file of a workbook open for editing (not data)"
    if base.startswith("."):
        return "hidden file"
    suffixes = Path(base.lower()).suffixes
    if not suffixes or base.endswith("."):
        return "no extension: its type cannot be told from its name"
    if suffixes[-1] in COMPRESSION_SUFFIXES and len(suffixes) > 1:
        return f"not a type chujing reads ({''.join(suffixes[-2:])}: compressed Parquet, Excel or another type)"
    return f"not a type chujing reads ({suffixes[-1]})"


def _is_hive_dataset(directory: str) -> bool:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return False
    return any(e.is_dir(follow_symlinks=False) and "=" in e.name and not e.name.startswith(".") for e in entries)


def _dataset_files(directory: str) -> list[str]:
    out = []
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        out.extend(os.path.join(root, f) for f in sorted(files) if kind_of(f)[0] == "parquet")
    return out


def _os_reason(exc: OSError, path: str) -> str:
    """Why ``path`` cannot be used, from an OSError, in words (never the data)."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT:
        return "broken symbolic link" if os.path.islink(path) else "no such file or directory"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror.lower() if exc.strerror else "cannot be read"


def discover(paths: list[str], table_source=None,
             skipped: list[dict[str, str]] | None = None) -> tuple[list[Source], list[str]]:
    """Expand files, folders (recursively) and globs into sources.

    Returns the sources and one-line errors (``path: reason``) for inputs that cannot be
    scanned at all. Symbolic links to folders found inside a folder are not followed (no loops,
    no wandering out of the tree): each is reported so that nothing is skipped silently. Files
    inside a folder that are not read (another type, no extension, hidden, an Office lock
    file) and hidden folders are appended to ``skipped`` as ``{"path", "reason"}``, paths
    shown as reports show them.

    A workbook is one source per sheet (``file.xlsx#sheet``, see :mod:`scanner.sources.excel`).

    A folder holding ``_delta_log`` is a Delta Lake table, never a pile of Parquet files (its
    files include versions the table has removed): ``table_source(path)`` makes its source, or
    raises :class:`SourceError`; without it the folder is reported.
    """
    sources: list[Source] = []
    errors: list[str] = []
    seen: set[str] = set()

    def error(path: str, reason: str) -> None:
        errors.append(f"{display_path(path)}: {reason}")

    def skip(path: str, reason: str) -> None:
        if skipped is not None:
            skipped.append({"path": display_path(path), "reason": reason})

    def add_file(path: str, explicit: bool) -> None:
        real = os.path.realpath(path)
        if real in seen:
            return
        kind, compression = kind_of(path)
        if kind is None or kind == "excel" and os.path.basename(path).startswith("~$"):
            if explicit:
                error(path, f"{not_read_reason(path)}; chujing reads {READ_TYPES}")
            else:
                skip(path, not_read_reason(path))
            return
        try:
            st = os.stat(path)
        except OSError as exc:
            error(path, _os_reason(exc, path))
            return
        if not stat.S_ISREG(st.st_mode):
            error(path, "not a regular file (a FIFO, device or socket is not scanned)")
            return
        if kind == "json":
            from scanner.sources.json_records import chujing_output

            made_by = chujing_output(path)
            if made_by:
                (error if explicit else skip)(path, f"a {made_by} written by chujing, not an export")
                return
        seen.add(real)
        if kind == "excel":
            from scanner.sources.excel import workbook_sheets

            try:
                sheets, not_sheets = workbook_sheets(path, st.st_size)
            except SourceError as exc:
                errors.append(str(exc))
                return
            sources.extend(sheets)
            for sheet, reason in not_sheets:
                skip(sheet, reason)
            return
        sources.append(Source(path=path, kind=kind, size=st.st_size, compression=compression))

    def add_table(directory: str) -> None:
        if table_source is None:
            error(directory, "a Delta Lake table: install the lake extra (pip install 'chujing[lake]')")
            return
        try:
            sources.append(table_source(directory))
        except SourceError as exc:
            errors.append(str(exc))

    def add_dir(directory: str) -> None:
        found_before, errors_before = len(sources), len(errors)
        if os.path.isdir(os.path.join(directory, "_delta_log")):
            add_table(directory)
            return
        if _is_hive_dataset(directory):
            files = _dataset_files(directory)
            if files:
                sources.append(Source(path=directory.rstrip("/"), kind="dataset",
                                      size=sum(_size(f) for f in files), files=files))
                seen.update(os.path.realpath(f) for f in files)
                return

        def walk_error(exc: OSError) -> None:
            error(exc.filename or directory, _os_reason(exc, exc.filename or directory))

        for root, dirs, files in os.walk(directory, followlinks=False, onerror=walk_error):
            dirs.sort()
            keep = []
            for d in dirs:
                full = os.path.join(root, d)
                if d.startswith("."):
                    skip(full, "hidden folder, not scanned")
                    continue
                if os.path.isdir(os.path.join(full, "_delta_log")) and not os.path.islink(full):
                    add_table(full)
                    continue
                if os.path.islink(full):
                    error(full, "symbolic link to a folder, not followed (pass its target to scan it)")
                    continue
                files_ = _dataset_files(full) if _is_hive_dataset(full) else []
                if files_:
                    sources.append(Source(path=full, kind="dataset", size=sum(_size(f) for f in files_), files=files_))
                    seen.update(os.path.realpath(f) for f in files_)
                else:
                    keep.append(d)
            dirs[:] = keep
            for name in sorted(files):
                full = os.path.join(root, name)
                if name.startswith("."):
                    skip(full, not_read_reason(name))
                    continue
                add_file(full, explicit=False)
        if len(sources) == found_before and len(errors) == errors_before:
            error(directory, "no CSV, TSV, Parquet, Excel or JSON file found in this folder")

    for raw in paths:
        path = os.fsdecode(raw)
        if any(ch in path for ch in "*?[") and not os.path.exists(path):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                error(path, "no file matches this pattern")
            for m in matches:
                if os.path.isdir(m):
                    add_dir(m)
                else:
                    add_file(m, explicit=False)
            continue
        if not os.path.lexists(path):
            error(path, "no such file or directory")
        elif os.path.isdir(path):
            add_dir(path)
        else:
            add_file(path, explicit=True)
    return sources, errors


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


# --- opening ----------------------------------------------------------------------------------

def _open_regular(path: str):
    """Open ``path`` for reading only if it is a regular file, without ever blocking.

    The file was a regular file when discovered, but it may have been replaced since (a FIFO
    would block ``open`` forever): open non-blocking, check what was opened, then read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SourceError(f"{display_path(path)}: not a regular file (a FIFO, device or socket is not scanned)")
        if getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class _BoundedReader(io.RawIOBase):
    """Wrap a decompressing stream and stop it from expanding without bound (zip bombs).

    Errors of the decompressor (a truncated or corrupt stream) become a :class:`SourceError`.
    """

    def __init__(self, raw, limit: int, path: str):
        self._raw = raw
        self._limit = limit
        self._read = 0
        self._path = path

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        try:
            data = self._raw.read(len(b))
        except SourceError:
            raise
        except (EOFError, zlib.error, OSError, ValueError) as exc:
            raise SourceError(f"{display_path(self._path)}: {describe_read_error(exc)}") from None
        except Exception as exc:  # zstandard.ZstdError and friends
            if type(exc).__name__ == "ZstdError":
                raise SourceError(f"{display_path(self._path)}: the compressed stream is truncated or corrupt") from None
            raise
        n = len(data)
        self._read += n
        if self._read > self._limit:
            raise SourceError(f"{display_path(self._path)}: decompresses to more than {self._limit >> 20} MB "
                              f"(over {limits.max_expansion_ratio()}x its size): refusing a possible decompression "
                              f"bomb (raise CHUJING_MAX_DECOMPRESSED_MB to scan it)")
        b[:n] = data
        return n

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def open_binary(source: Source):
    """A file's bytes, decompressed when they are gzip, bz2 or zstd (by name or by content),
    and stopped past the decompression limit (a bomb)."""
    return _open_binary(source)


def _open_binary(source: Source):
    path = source.path
    compression = source.compression
    f = _open_regular(path)
    try:
        head = f.read(4)
        f.seek(0)
    except OSError:
        f.close()
        raise
    if compression is None:
        # Compressed content under a plain name is still read correctly.
        if head[:2] == b"\x1f\x8b":
            compression = "gzip"
        elif head[:3] == b"BZh":
            compression = "bz2"
        elif head == b"\x28\xb5\x2f\xfd":
            compression = "zstd"
    if compression is None:
        return f
    limit = max(limits.max_decompressed_bytes(), source.size * limits.max_expansion_ratio())
    if compression == "gzip":
        raw = gzip.GzipFile(fileobj=f)
    elif compression == "bz2":
        raw = bz2.BZ2File(f)
    else:
        import zstandard

        raw = zstandard.ZstdDecompressor().stream_reader(f, closefd=True)
    return io.BufferedReader(_BoundedReader(raw, limit, path), buffer_size=1 << 20)


def detect_encoding(head: bytes) -> str:
    """The text encoding of a file from its first bytes.

    BOMs decide first; then strict UTF-8 (allowing a character cut at the end of the sample);
    then charset-normalizer, whose Chinese answers are widened to GB18030 (a superset of GBK
    and GB2312 that decodes every byte sequence they do).

    >>> detect_encoding("姓名,手机\\n".encode("gb18030"))
    'gb18030'
    >>> detect_encoding(codecs.BOM_UTF8 + "姓名".encode())
    'utf-8-sig'
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    bomless = utf16_without_bom(head)
    if bomless:
        return bomless
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    # Cut on a line boundary: detectors misjudge a character split in two.
    cut = head.rfind(b"\n")
    sample = head[: cut + 1] if cut > 0 else head
    try:
        sample.decode("gb18030")
        gb_ok = True
    except UnicodeDecodeError:
        gb_ok = False
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(sample).best()
        guess = best.encoding if best is not None else None
    except Exception:  # pragma: no cover - a detector failure must not fail the scan
        guess = None
    if guess and guess.startswith(("utf_16", "utf_32")) and b"\x00" not in sample:
        guess = None  # UTF-16 text without a BOM has NUL bytes beside every ASCII character
    if guess in {"gb2312", "gbk", "gb18030", "hz", "big5", "cp936"} or (guess is None and gb_ok):
        return "big5" if guess == "big5" and not gb_ok else "gb18030"
    if gb_ok and guess not in {"utf_16", "utf_32", "utf_16_le", "utf_16_be"}:
        # Chinese exports that are not UTF-8 are overwhelmingly GBK/GB18030.
        return "gb18030"
    try:
        codecs.lookup(guess or "gb18030")
    except LookupError:
        return "gb18030"
    return guess or "gb18030"


def utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when ``head`` is UTF-16 text written without a BOM.

    Such text has a NUL byte beside every ASCII character (delimiters and line ends included),
    nearly always on the same side; binary junk has NULs on both sides alike. The text must decode strictly
    and hold a line end or a delimiter, and no control character but tab and line ends.

    >>> utf16_without_bom("姓名,手机\\r\\n张三,138\\r\\n".encode("utf-16-le"))
    'utf-16-le'
    >>> utf16_without_bom(b"\\x00\\x01\\x02\\x03" * 10) is None
    True
    """
    body = head[: len(head) & ~1]
    if len(body) < 4 or b"\x00" not in body:
        return None
    even, odd = body[0::2].count(0), body[1::2].count(0)
    if min(even, odd) * 8 > max(even, odd) or max(even, odd) < 2:  # a CJK character may hold one NUL
        return None
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(body) - 4:  # a surrogate pair cut at the end of the sample is fine
            return None
        text = body[: exc.start].decode(encoding)
    if not any(ch in text for ch in "\n\r,\t|;") or any(ch < " " and ch not in "\t\r\n" for ch in text):
        return None
    return encoding


def sniff_delimiter(text: str, path: str = "") -> str:
    """The field delimiter of a delimited text, from its first lines.

    >>> sniff_delimiter("a|b|c\\n1|2|3\\n")
    '|'
    >>> sniff_delimiter("姓名\\t手机\\n张三\\t138\\n")
    '\\t'
    """
    suffix = Path(path.lower().removesuffix(".gz").removesuffix(".bz2").removesuffix(".zst")).suffix
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if len(lines) > 1:
        lines = lines[:-1]  # the last line of a sample may be cut
    best, best_score = None, 0.0
    for delim in [",", "\t", "|", ";", "\x01"]:
        counts = []
        try:
            for row in csv.reader(lines, delimiter=delim):
                counts.append(len(row) - 1)
        except csv.Error:
            continue
        # The first line (the header) must hold the delimiter: a ";" inside the values of a
        # one-column file is not its delimiter.
        if not counts or counts[0] == 0:
            continue
        mode = max(set(counts), key=counts.count)
        consistency = counts.count(mode) / len(counts)
        score = consistency * (1 + min(mode, 50) / 50)
        if score > best_score:
            best, best_score = delim, score
    if best is None:
        return "\t" if suffix == ".tsv" else "|" if suffix == ".psv" else ","
    return best


# --- names: identifiers, limits, duplicates -------------------------------------------------

# A first row holding an identifier is data, not a header: such a file is read without a
# header, so that no value becomes a column name (column names are printed in every report) and
# no record is dropped. An identifier is what a person-key detector accepts (formatted or not:
# ``138-0013-8000``, ``440305 19721201 8141``, ``E10000000``), a run of nine digits or more,
# or an e-mail address. RE2 through Arrow: linear time on any cell.
_DATA_CELL = r"[0-9]{9,}|[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"
# The parts of a name that may be an identifier: runs of ASCII letters, digits and the marks of
# e-mail addresses (``_`` separates words in file names), and groups of digits joined by single
# spaces or dashes. Plain character-class runs: linear time.
_NAME_TOKEN = re.compile(r"[0-9A-Za-z@.+\-]+")
_NAME_WORD = re.compile(r"[0-9A-Za-z]+")
_DIGIT_RUN = re.compile(r"[0-9]{9,}")


@functools.cache
def _identifier_detectors() -> tuple:
    """The built-in detectors of person keys whose values alone say what they are."""
    from detectors.registry import builtin_detectors

    return tuple(d for d in builtin_detectors() if d.pattern is not None and d.person_key and not d.requires_header)


def identifier_cells(cells: list[str]) -> tuple[np.ndarray, list]:
    """Which cells hold an identifier (see ``_DATA_CELL``), and the detector that accepted each
    (None for a bare digit run or an address). Vectorised, linear in the cells' bytes.

    Remembered for the last few header lines (in memory only): a folder of exports repeats one
    header file after file, and each check compiles every person-key pattern (~15 ms).
    """
    if sum(len(c) for c in cells) > _REMEMBERED_LINE:
        return _identifier_cells(tuple(cells))
    hit, by = _remembered_identifier_cells(tuple(cells))
    return hit.copy(), list(by)


_REMEMBERED_LINE = 64 << 10


@functools.lru_cache(maxsize=64)
def _remembered_identifier_cells(cells: tuple[str, ...]) -> tuple[np.ndarray, list]:
    return _identifier_cells(cells)


def _identifier_cells(cells: tuple[str, ...]) -> tuple[np.ndarray, list]:
    values = pa.array(list(cells), pa.string())
    hit = pc.match_substring_regex(values, _DATA_CELL).fill_null(False).to_numpy(zero_copy_only=False).copy()
    by = [None] * len(cells)
    for det in _identifier_detectors():
        ok, _ = det.valid_mask(values)
        for i in np.flatnonzero(ok & ~hit | ok & np.array([b is None for b in by])):
            by[i] = det
        hit |= ok
    return hit, by


def _mask_digits(text: str) -> str:
    return _DIGIT_RUN.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 7) + m.group()[-4:], text)


def mask_identifiers(name: str) -> str:
    """``name`` (of a column, a file or a folder) with every identifier in it masked.

    >>> mask_identifiers("客户_13800138000")
    '客户_138****8000'
    >>> mask_identifiers("证件 440305 19721201 8141 号")
    '证件 440305********8141 号'
    >>> mask_identifiers("orders_2024-05.csv")
    'orders_2024-05.csv'
    """
    return mask_identifiers_in([name])[0]


def _candidates(name: str) -> list[tuple[int, int]]:
    """Where an identifier may stand in ``name``: spans with seven digits or more, or an @."""
    spans = [m.span() for m in _NAME_TOKEN.finditer(name)]
    # Groups of digits written with single spaces between them (``440305 19721201 8141``).
    joined: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and spans[j + 1][0] == spans[j][1] + 1 and name[spans[j][1]] in " \u3000" \
                and name[spans[j + 1][0]].isdigit():
            j += 1
        if j > i:
            joined.append((spans[i][0], spans[j][1]))
        i = j + 1
    seen = set(spans)
    words = [w for w in (m.span() for m in _NAME_WORD.finditer(name)) if w not in seen]
    return [(a, b) for a, b in joined + spans + words
            if "@" in name[a:b] or sum(ch.isdigit() for ch in name[a:b]) >= 7]


def mask_identifiers_in(names: list[str]) -> list[str]:
    """:func:`mask_identifiers` for many names at once: each detector runs once over all of
    them (a wide table's names cost one pass, not one per column)."""
    found: list[tuple[int, int, int]] = []  # (name, start, end)
    for n, name in enumerate(names):
        if any(ch.isdigit() or ch == "@" for ch in name):
            found.extend((n, a, b) for a, b in _candidates(name))
    if not found:
        return list(names)
    hit, by = identifier_cells([names[n][a:b] for n, a, b in found])
    per_name: dict[int, list[tuple[int, int, object]]] = {}
    for (n, a, b), ok, det in zip(found, hit, by, strict=True):
        if ok:
            per_name.setdefault(n, []).append((a, b, det))
    out = list(names)
    for n, spans in per_name.items():
        name, parts, done = names[n], [], 0
        for a, b, det in sorted(spans, key=lambda c: (c[0], -c[1])):
            if a < done:
                continue
            part = name[a:b]
            if det is not None:
                normalised = det.normalise(pa.array([part.strip()])).to_pylist()[0] or part
                masked = det.mask(normalised)
            else:
                masked = _mask_digits(part)
                if "@" in masked:
                    local, _, domain = masked.partition("@")
                    masked = f"{local[:1]}***@{domain}"
            parts += [name[done:a], masked]
            done = b
        parts.append(name[done:])
        out[n] = "".join(parts)
    return out


def _header_cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return line.split(delimiter)


def _header_names(cells: list[str]) -> list[str]:
    """Column names from header cells: blanks named by position, duplicates numbered, names
    past the name limit named by position (and saying so), identifiers in a name masked.

    >>> _header_names(["a", "a", "", " b ", "a.1"])
    ['a', 'a.1', 'column_3', 'b', 'a.1.1']
    """
    names: list[str] = []
    taken: set[str] = set()
    next_k: dict[str, int] = {}  # per base, the next number to try: linear on any duplicates
    limit = limits.max_name_bytes()
    bases = []
    for i, cell in enumerate(cells):
        base = cell.strip().lstrip("\ufeff")
        if len(base) > limit // 4 and len(base.encode("utf-8", "surrogatepass")) > limit:
            base = f"column_{i + 1} (name too long: {len(base.encode('utf-8', 'surrogatepass')):,} bytes)"
        bases.append(base or f"column_{i + 1}")
    for base in mask_identifiers_in(bases):
        name, k = base, next_k.get(base, 0)
        while name in taken:
            k += 1
            name = f"{base}.{k}"
        next_k[base] = k
        taken.add(name)
        names.append(name)
    return names


def column_names(names: list[str]) -> list[str]:
    """The names a table's columns are reported under (see :func:`_header_names`)."""
    return _header_names(names)


def _looks_like_data(cells: list[str]) -> bool:
    if not cells:
        return False
    hit, _ = identifier_cells([c.strip() for c in cells])
    return bool(hit.any())


_CUT_CHARS = 3  # a sample may end inside a multi-byte character
_UTF8_CJK_RUN = re.compile(rb"(?:[\xe3-\xe9][\x80-\xbf]{2}){2,}")


class _TextReader(io.RawIOBase):
    """Feed Arrow UTF-8: validate it, or transcode from the file's encoding, strictly.

    Arrow would quote the offending row in its own decoding errors, and a file whose encoding
    changes half-way (GB18030 then UTF-8) decodes as GB18030 mojibake without any error. Here
    every chunk is decoded strictly; an error says where (byte offset, line), never what, and a
    GB18030/Big5 file that turns into UTF-8 is refused.
    """

    CHUNK = 1 << 20

    def __init__(self, raw, prefix: bytes, encoding: str, path: str, validate_utf8: bool = False):
        self._raw = raw
        if encoding == "utf-8-sig" and prefix.startswith(codecs.BOM_UTF8):
            prefix = prefix[len(codecs.BOM_UTF8):]
        self._prefix = prefix
        self._encoding = "utf-8" if encoding == "utf-8-sig" else encoding
        self._utf8 = self._encoding == "utf-8"
        # UTF-8 passes through untouched (Arrow validates it, fast); when Arrow finds invalid
        # bytes the file is read again with ``validate_utf8`` to say where (see _locate_utf8_error).
        self._passthrough = self._utf8 and not validate_utf8
        self._check_switch = not self._utf8 and codecs.lookup(self._encoding).name in (
            "gb18030", "gbk", "gb2312", "big5", "cp936", "hz", "big5hkscs")
        self._decoder = codecs.getincrementaldecoder(self._encoding)("strict")
        self._path = path
        self._buf = b""
        self._pos = 0
        self._eof = False
        self.bytes_in = 0  # bytes of the file consumed so far
        self.lines = 0  # new lines seen so far

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = [self._buf[self._pos:]]
            self._buf, self._pos = b"", 0
            while not self._eof:
                parts.append(self._next_chunk(self.CHUNK))
            return b"".join(parts)
        while len(self._buf) - self._pos < n and not self._eof:
            more = self._next_chunk(max(n, self.CHUNK))
            self._buf = self._buf[self._pos:] + more
            self._pos = 0
        out = self._buf[self._pos: self._pos + n]
        self._pos += len(out)
        return out

    def _take(self, size: int) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix, b""
            return data
        return self._raw.read(size)

    def _next_chunk(self, size: int) -> bytes:
        data = self._take(size)
        final = not data
        if self._passthrough:
            self._eof = final
            self.bytes_in += len(data)
            return data
        pending = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            self._decode_error(data, max(0, exc.start - pending), final)
        if final:
            self._eof = True
            return b""
        if self._check_switch:
            self._check_utf8_switch(data)
        self.bytes_in += len(data)
        self.lines += data.count(b"\n") if self._utf8 else text.count("\n")
        return data if self._utf8 else text.encode("utf-8")

    def _decode_error(self, data: bytes, at: int, final: bool) -> None:
        line = self.lines + data[:at].count(b"\n") + 1
        where = f"at byte {self.bytes_in + at:,} (line {line:,})"
        name = display_path(self._path)
        if final:
            raise SourceError(f"{name}: ends in the middle of a {self._encoding} character (truncated?)")
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        line_bytes = data[start: end if end >= 0 else len(data)]
        other = "GB18030?" if self._utf8 else "UTF-8"
        try:
            line_bytes.decode("gb18030" if self._utf8 else "utf-8")
        except UnicodeDecodeError:
            other = None
        if other and self.bytes_in + start > 0:
            source = "UTF-8" if self._utf8 else self._encoding
            target = "another (GB18030?)" if self._utf8 else "UTF-8"
            raise SourceError(f"{name}: the encoding changes from {source} to {target} {where}; "
                              f"convert the file to one encoding")
        if self._utf8:
            raise SourceError(f"{name}: contains bytes that are not valid UTF-8 {where}")
        raise SourceError(f"{name}: cannot be decoded as {self._encoding} {where}; mixed encodings?")

    def _check_utf8_switch(self, data: bytes) -> None:
        # Each line is decoded once at most, however many runs it holds: linear in the chunk.
        checked_to = -1
        for m in _UTF8_CJK_RUN.finditer(data):
            if m.start() < checked_to:
                continue
            start = data.rfind(b"\n", 0, m.start()) + 1
            end = data.find(b"\n", m.end())
            checked_to = end if end >= 0 else len(data)
            line = data[start: checked_to]
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                continue
            line_no = self.lines + data[:start].count(b"\n") + 1
            where = f"at byte {self.bytes_in + start:,} (line {line_no:,})"
            raise SourceError(f"{display_path(self._path)}: the encoding changes from {self._encoding} to UTF-8 "
                              f"{where}; convert the file to one encoding")

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def _read_prefix(fh) -> bytes:
    """The first bytes of a file: at least the sniff sample and, if possible, its first line."""
    prefix = fh.read(SNIFF_BYTES)
    limit = limits.max_header_bytes()
    parts = [prefix]
    size = len(prefix)
    while b"\n" not in parts[-1] and b"\r" not in parts[-1] and size < limit:
        more = fh.read(1 << 20)
        if not more:
            break
        parts.append(more)
        size += len(more)
    return b"".join(parts)


def open_csv(source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
    name = source.display
    fh = _open_binary(source)
    try:
        prefix = _read_prefix(fh)
        head = prefix[:SNIFF_BYTES]
        if not head.strip():
            raise SourceError(f"{name}: the file is empty")
        utf16_bomless = utf16_without_bom(head)
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or utf16_bomless is not None
        if b"\x00" in head and not utf16:
            raise SourceError(f"{name}: binary content, not delimited text")
        encoding = detect_encoding(head)
        if utf16:
            prefix = prefix + fh.read(max(0, limits.max_header_bytes() - len(prefix)))
            text_all = prefix.decode(encoding, errors="replace")
            newline_at = _line_end(text_all)
        else:
            newline_at = _line_end(prefix)
            text_all = None
        if newline_at < 0 and len(prefix) >= limits.max_header_bytes():
            raise SourceError(f"{name}: the first line is longer than {limits.max_header_bytes() >> 20} MB; "
                              f"not a delimited text file with a header row")
        if utf16:
            first_line = text_all[: newline_at if newline_at >= 0 else len(text_all)]
            sample_text = text_all[:SNIFF_BYTES]
        else:
            cut = prefix[: newline_at if newline_at >= 0 else len(prefix)]
            try:
                first_line = cut.decode("utf-8" if encoding == "utf-8-sig" else encoding)
            except UnicodeDecodeError as exc:
                raise SourceError(f"{name}: the first line cannot be decoded as {encoding} "
                                  f"(byte {exc.start:,}); is it text?") from None
            sample_text = head.decode(encoding, errors="replace")
        first_line = first_line.lstrip("\ufeff").rstrip("\r")
        # Classic Mac exports end lines with CR alone: Arrow reads them, the checks here must too.
        line_end = "\r" if _cr_only(text_all if utf16 else prefix) else "\n"
        delimiter = sniff_delimiter(sample_text, source.path)
        cells = _header_cells(first_line, delimiter)
        if not cells or not any(c.strip() for c in cells) and len(cells) == 1:
            raise SourceError(f"{name}: no header row (the first line is blank)")
        if len(cells) > limits.max_columns():
            raise SourceError(f"{name}: has {len(cells):,} columns, more than the {limits.max_columns():,} "
                              f"scanned (raise CHUJING_MAX_COLUMNS to scan it)")
        headerless = _looks_like_data(cells)
        names = [f"column_{i + 1}" for i in range(len(cells))] if headerless else _header_names(cells)
        if utf16:
            reader_input = _TextReader(fh, prefix, encoding, source.path)
        else:
            reader_input = _native_utf8(fh, encoding) or _TextReader(fh, prefix, encoding, source.path)
        ragged: dict[str, int] = {}

        def on_invalid_row(row) -> str:
            ragged.update(expected=row.expected_columns, actual=row.actual_columns)
            return "error"

        read_options = pacsv.ReadOptions(
            column_names=names, skip_rows=0 if headerless else 1,
            block_size=max(min(block_size, ARROW_CSV_BLOCK), len(prefix) + limits.max_line_bytes()), encoding="utf8",
        )
        parse_options = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                           invalid_row_handler=on_invalid_row)
        convert_options = pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True,
            null_values=NULL_VALUES, quoted_strings_can_be_null=True,
        )
        reader = pacsv.open_csv(reader_input, read_options=read_options, parse_options=parse_options,
                                convert_options=convert_options)
    except SourceError:
        fh.close()
        raise
    except (pa.ArrowException, UnicodeDecodeError, LookupError, OSError, EOFError, ValueError, zlib.error) as exc:
        fh.close()
        raise SourceError(f"{name}: {_csv_reason(exc, locals().get('ragged') or {}, 0, source)}") from None

    def blocks() -> Iterator[pa.RecordBatch]:
        rows = 0
        last = None
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    _check_quote_at_end(last, name, rows, line_end)
                    return
                except (pa.ArrowException, ValueError) as exc:
                    raise SourceError(f"{name}: {_csv_reason(exc, ragged, rows, source)}") from None
                _check_swallowed_rows(batch, delimiter, name, rows, line_end)
                rows += batch.num_rows
                last = batch
                yield batch
        finally:
            reader.close()  # the reader's file and buffers go now, not when it is collected
            fh.close()

    def batches() -> Iterator[pa.RecordBatch]:
        # Arrow parses small blocks (its read-ahead keeps a few dozen of them: the block size
        # is what bounds the reader's memory); the scan gets batches of about block_size.
        held: list[pa.RecordBatch] = []
        held_bytes = 0
        for batch in blocks():
            held.append(batch)
            held_bytes += batch.nbytes
            if held_bytes >= block_size:
                yield _coalesce(held)
                held, held_bytes = [], 0
        if held:
            yield _coalesce(held)

    return Stream(batches(), reader.schema, "csv", encoding=_public_encoding(encoding), delimiter=delimiter)


def _native_utf8(fh, encoding: str):
    """A plain UTF-8 file is handed to Arrow as a native file: no Python in Arrow's read loop,
    which then runs beside the scan's own threads. Opened through the descriptor already
    checked to be a regular file (no race with a file swapped for a FIFO); invalid bytes are
    still caught by Arrow's UTF-8 check and located afterwards (``_locate_utf8_error``)."""
    if encoding not in ("utf-8", "utf-8-sig") or not hasattr(fh, "fileno") or isinstance(fh, io.BufferedReader) \
            and isinstance(getattr(fh, "raw", None), _BoundedReader):
        return None
    try:
        return pa.OSFile(f"/proc/self/fd/{fh.fileno()}")
    except (OSError, pa.ArrowException, io.UnsupportedOperation):
        return None


def _locate_utf8_error(source: Source) -> str | None:
    """Read a file again, validating its UTF-8, to say where (and how) it stops being UTF-8."""
    try:
        fh = _open_binary(source)
    except (OSError, SourceError):
        return None
    reader = _TextReader(fh, b"", "utf-8", source.path, validate_utf8=True)
    try:
        while reader.read(4 << 20):
            pass
    except SourceError as exc:
        return str(exc).removeprefix(f"{source.display}: ")
    except (OSError, EOFError, ValueError):
        return None
    finally:
        reader.close()
    return None


def _csv_reason(exc: BaseException, ragged: dict[str, int], rows: int, source: Source | None = None) -> str:
    if source is not None and "invalid utf8" in str(exc).lower():
        located = _locate_utf8_error(source)
        if located:
            return located
    if ragged:
        return (f"a row has {ragged['actual']} fields where the header has {ragged['expected']} "
                f"(after data row {rows:,}); check quoting and the delimiter. The file is not counted "
                f"rather than counted without that row")
    return describe_read_error(exc)


def _line_end(text: str | bytes) -> int:
    """Where the first line of ``text`` ends (its first CR or LF), or -1."""
    nl, cr = ("\n", "\r") if isinstance(text, str) else (b"\n", b"\r")
    ends = [i for i in (text.find(nl), text.find(cr)) if i >= 0]
    return min(ends) if ends else -1


def _cr_only(text: str | bytes) -> bool:
    """Lines end with CR alone (classic Mac OS): a CR comes first and no LF follows it."""
    nl, cr = ("\n", "\r") if isinstance(text, str) else (b"\n", b"\r")
    at = text.find(cr)
    return at >= 0 and (text.find(nl) < 0 or text.find(nl) > at + 1) and text[at + 1: at + 2] != nl


# A quoted value that runs over several lines each shaped like a whole row is an unbalanced
# quote that swallowed rows (Arrow reads to the next quote, or to the end of the file).
SWALLOWED_LINES = 3


def _check_swallowed_rows(batch: pa.RecordBatch, delimiter: str, name: str, rows_before: int,
                          line_end: str = "\n") -> None:
    """Fail on a quoted value that runs over lines shaped like rows.

    A line is shaped like a row when it holds as many delimiters as a row has (two columns and
    more); in a one-column file, when it is not blank and no longer than the longest one-line
    value of the batch (prose paragraphs are long; swallowed records are like the others). Only
    the values holding a line end are looked at (a memchr over each column's bytes first)."""
    ncols = batch.num_columns
    for col in batch.columns:
        if not pa.types.is_string(col.type) and not pa.types.is_large_string(col.type):
            continue
        data = col.buffers()[2]
        if data is None or data.size == 0 or data.to_pybytes().find(line_end.encode()) < 0:
            continue  # no value of this column spans lines
        multi = pc.match_substring(col, line_end).fill_null(False)
        if not pc.any(multi).as_py():
            continue
        longest = 0
        if ncols == 1:
            single = pc.filter(col, pc.invert(multi))
            longest = pc.max(pc.utf8_length(single)).as_py() or 0 if len(single) else 0
        for value in pc.filter(col, multi).to_pylist():
            lines = value.split(line_end)
            if ncols > 1:
                row_like = sum(1 for line in lines[1:] if line.count(delimiter) == ncols - 1)
            else:
                row_like = sum(1 for line in lines[1:] if line.strip() and len(line) <= max(longest, 1))
            if row_like >= SWALLOWED_LINES:
                raise SourceError(f"{name}: a quoted value after data row {rows_before:,} runs over "
                                  f"{len(lines):,} lines shaped like rows: an unbalanced quote would hide "
                                  f"those records; fix the quoting")


def _check_quote_at_end(batch: pa.RecordBatch | None, name: str, rows: int, line_end: str) -> None:
    """A quote opened in the last record and never closed runs to the end of the file: Arrow
    then keeps the file's last line end inside the value. Every record after that quote would
    be lost in it, so the file fails."""
    if batch is None or batch.num_rows == 0:
        return
    for col in batch.columns:
        if not pa.types.is_string(col.type):
            continue
        value = col[batch.num_rows - 1].as_py()
        if value and value.endswith(line_end) and value.count(line_end) >= 1:
            raise SourceError(f"{name}: a quote opened in data row {rows:,} is never closed: it runs to the end "
                              f"of the file and would hide the records after it; fix the quoting")


def _public_encoding(encoding: str) -> str:
    return {"utf-8-sig": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, encoding.replace("_", "-").lower())


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
        fh = _open_regular(source.path)
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
                yield _coalesce(held)
                held, held_bytes, held_rows = [], 0, 0
            yield batch
            continue
        held.append(batch)
        held_bytes += batch.nbytes
        held_rows += batch.num_rows
        if held_bytes >= block_size or held_rows >= max_rows:
            yield _coalesce(held)
            held, held_bytes, held_rows = [], 0, 0
    if held:
        yield _coalesce(held)


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


def _coalesce(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def file_state(source: Source) -> tuple | None:
    """What changes when a file is written to while it is scanned: its size and modification
    time (each file of a dataset). The scan reads a file twice (a sample, then every row): a
    file changed between the two is failed, never counted short. None when it cannot be known
    (remote and table sources have their own versions)."""
    paths = source.files if source.kind in ("dataset", "excel") else \
        [source.path] if source.kind in ("csv", "parquet", "json") else []
    if not paths:
        return None
    out = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            out.append(None)
            continue
        out.append((st.st_size, st.st_mtime_ns))
    return tuple(out)


# Test hook (like the ledger's): when set to a path, a scan that reads a file twice (a sample,
# then every row) writes that file between the two reads and waits until it is removed (at most
# 60 s, or CHUJING_TEST_PAUSE_SECONDS), so that a test can change the file in between through
# the real command.
PAUSE_ENV = "CHUJING_TEST_PAUSE_BETWEEN_READS"
PAUSE_SECONDS_ENV = "CHUJING_TEST_PAUSE_SECONDS"


def pause_between_reads() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if not marker:
        return
    import time

    Path(marker).write_text("between the two reads\n")
    deadline = time.monotonic() + float(os.environ.get(PAUSE_SECONDS_ENV, "60"))
    while os.path.exists(marker) and time.monotonic() < deadline:
        time.sleep(0.02)


def check_unchanged(source: Source, before: tuple | None) -> None:
    """Raise :class:`SourceError` when ``source`` is not as it was when its scan began."""
    if before is None:
        return
    now = file_state(source)
    # A file removed since it was opened was still read whole through its open handle.
    if any(b != n for b, n in zip(before, now or (), strict=False) if n is not None):
        raise SourceError(f"{source.display}: the file changed while it was scanned (its size or modification "
                          f"time differs between the two reads): not counted; scan it again once it is complete")


def open_source(source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
    if source.kind == "parquet":
        return open_parquet(source, block_size=block_size)
    if source.kind == "dataset":
        return open_dataset(source)
    if source.kind == "excel":
        from scanner.sources.excel import open_excel

        return open_excel(source)
    if source.kind == "json":
        from scanner.sources.json_records import open_json

        return open_json(source)
    return open_csv(source, block_size=block_size)


_EXPECTED_COLUMNS = re.compile(r"expected (\d+) columns, got (\d+)", re.IGNORECASE)
# What may remain of an unknown message: no quoted text, no long digit or letter-digit runs.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_IDENTIFIER_LIKE = re.compile(r"[0-9A-Za-z@._+\-]*[0-9][0-9A-Za-z@._+\-]*")


def _scrub(message: str) -> str:
    """Keep the words of an unknown error message and drop anything that could be data."""
    message = message.splitlines()[0] if message else ""
    message = message.split(": ")[0]
    message = _QUOTED.sub("…", message)
    message = _IDENTIFIER_LIKE.sub(lambda m: m.group() if len(m.group()) <= 4 else "…", message)
    message = "".join(ch for ch in message if ch == "…" or ch.isascii() and ch.isprintable()).strip()
    return message[:160] if message.strip("… ") else ""



def describe_read_error(exc: BaseException) -> str:
    """A one-line reason for a read failure, without echoing the data that caused it.

    >>> describe_read_error(ValueError("CSV parse error: Expected 3 columns, got 4: 张三,11010519491231002X,x,y"))
    'a row has 4 fields where the header has 3; check quoting and the delimiter'
    >>> describe_read_error(ValueError("invalid literal for int() with base 10: '13800138000'"))
    'invalid literal for int() with base 10'
    >>> describe_read_error(KeyError("11010519491231002X"))
    'read error (KeyError)'
    """
    if isinstance(exc, SourceError):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return f"cannot be decoded as {exc.encoding} (byte offset {exc.start} of a block); is it another encoding?"
    if isinstance(exc, MemoryError):
        return "ran out of memory reading it"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "the file disappeared during the scan"
    if isinstance(exc, IsADirectoryError):
        return "is a folder"
    if isinstance(exc, LookupError) and not isinstance(exc, KeyError | IndexError):
        return "unknown text encoding"
    if isinstance(exc, EOFError | gzip.BadGzipFile | zlib.error):
        return "the compressed stream is truncated or corrupt"
    text = str(exc)
    msg = text.splitlines()[0] if text else type(exc).__name__
    low = msg.lower()
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        return exc.strerror.lower()
    if "invalid data stream" in low or "compressed" in low and ("corrupt" in low or "truncat" in low):
        return "the compressed stream is truncated or corrupt"
    if "too deeply nested" in low:
        return "the Parquet schema is nested too deeply to be read"
    if ("parquet magic bytes not found" in low or "footer" in low or "thrift" in low
            or "parquet file size" in low or "metadata" in low and "parquet" in low):
        return "not a valid Parquet file (truncated, or corrupt footer)"
    if "invalid utf8" in low or "invalid utf-8" in low:
        return "contains bytes that are not valid UTF-8 (mixed encodings?)"
    m = _EXPECTED_COLUMNS.search(msg)
    if m:
        # "Expected 5 columns, got 7: <row text>" — never echo the row.
        return f"a row has {m.group(2)} fields where the header has {m.group(1)}; check quoting and the delimiter"
    if "straddling" in low or "block" in low and "row" in low:
        return (f"a record is too long: longer than the line limit of {limits.max_line_bytes() >> 20} MB "
                f"(a very long line, or an unbalanced quote); it is not cut: raise CHUJING_MAX_LINE_BYTES "
                f"to read it")
    # Arrow and Python messages can quote the data after a colon: keep only scrubbed words.
    return _scrub(msg) or f"read error ({type(exc).__name__})"
