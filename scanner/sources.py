"""Where data comes from: files, folders, globs and hive-partitioned Parquet datasets.

Everything is read as a stream of Arrow record batches so that memory does not grow with the
size of a file. Text files are sniffed for their compression, encoding and delimiter; every CSV
column is read as a string (identifiers must keep their leading zeros and their X, and type
inference on the first block breaks on the millionth row).
"""

from __future__ import annotations

import bz2
import codecs
import csv
import glob
import gzip
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".psv", ".dat"}
PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}
COMPRESSION_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}

SNIFF_BYTES = 64 * 1024
DEFAULT_BLOCK_SIZE = 16 * 1024 * 1024
# A decompressed stream is stopped when it grows past this many times its compressed size
# (a gzip bomb) or this absolute size, whichever is larger.
MAX_EXPANSION_RATIO = 200
MAX_EXPANSION_FLOOR = 1 << 30


class SourceError(Exception):
    """A problem with one input, stated in one line without any value from the data."""


@dataclass
class Source:
    """One scannable input: a file or a hive-partitioned dataset directory."""

    path: str
    kind: str  # "csv" or "parquet" or "dataset"
    size: int = 0
    compression: str | None = None
    files: list[str] = field(default_factory=list)  # a dataset's parquet files

    @property
    def display(self) -> str:
        return self.path


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

def _kind_of(path: str) -> tuple[str | None, str | None]:
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
    return None, None


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
        out.extend(os.path.join(root, f) for f in sorted(files) if _kind_of(f)[0] == "parquet")
    return out


def discover(paths: list[str]) -> tuple[list[Source], list[str]]:
    """Expand files, folders (recursively) and globs into sources.

    Returns the sources and one-line errors (``path: reason``) for inputs that cannot be
    scanned at all. Symbolic links to directories are not followed (no loops).
    """
    sources: list[Source] = []
    errors: list[str] = []
    seen: set[str] = set()

    def add_file(path: str, explicit: bool) -> None:
        real = os.path.realpath(path)
        if real in seen:
            return
        kind, compression = _kind_of(path)
        if kind is None:
            if explicit:
                errors.append(f"{path}: not a CSV/TSV or Parquet file (by its name); rename it or pass its folder")
            return
        try:
            st = os.stat(path)
        except OSError as exc:
            errors.append(f"{path}: {exc.strerror.lower() if exc.strerror else 'cannot be read'}")
            return
        if not stat.S_ISREG(st.st_mode):
            errors.append(f"{path}: not a regular file (a FIFO, device or socket is not scanned)")
            return
        seen.add(real)
        sources.append(Source(path=path, kind=kind, size=st.st_size, compression=compression))

    def add_dir(directory: str) -> None:
        found_before = len(sources)
        if _is_hive_dataset(directory):
            files = _dataset_files(directory)
            if files:
                sources.append(Source(path=directory.rstrip("/"), kind="dataset",
                                      size=sum(_size(f) for f in files), files=files))
                seen.update(os.path.realpath(f) for f in files)
                return
        for root, dirs, files in os.walk(directory, followlinks=False, onerror=lambda e: errors.append(
                f"{e.filename}: {e.strerror.lower() if e.strerror else 'cannot be listed'}")):
            dirs.sort()
            keep = []
            for d in dirs:
                full = os.path.join(root, d)
                if d.startswith("."):
                    continue
                if _is_hive_dataset(full) and _dataset_files(full):
                    files_ = _dataset_files(full)
                    sources.append(Source(path=full, kind="dataset", size=sum(_size(f) for f in files_), files=files_))
                    seen.update(os.path.realpath(f) for f in files_)
                else:
                    keep.append(d)
            dirs[:] = keep
            for name in sorted(files):
                if name.startswith("."):
                    continue
                full = os.path.join(root, name)
                if _kind_of(name)[0] is None:
                    continue
                if os.path.islink(full) and not os.path.exists(full):
                    errors.append(f"{full}: broken symbolic link")
                    continue
                add_file(full, explicit=False)
        if len(sources) == found_before:
            errors.append(f"{directory}: no CSV, TSV or Parquet files found in this folder")

    for raw in paths:
        path = os.fsdecode(raw)
        if any(ch in path for ch in "*?[") and not os.path.exists(path):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                errors.append(f"{path}: no file matches this pattern")
            for m in matches:
                if os.path.isdir(m):
                    add_dir(m)
                else:
                    add_file(m, explicit=False)
            continue
        if not os.path.lexists(path):
            errors.append(f"{path}: no such file or directory")
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

class _BoundedReader(io.RawIOBase):
    """Wrap a decompressing stream and stop it from expanding without bound (zip bombs)."""

    def __init__(self, raw, limit: int, path: str):
        self._raw = raw
        self._limit = limit
        self._read = 0
        self._path = path

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._raw.read(len(b))
        n = len(data)
        self._read += n
        if self._read > self._limit:
            raise SourceError(f"{self._path}: decompresses to more than {self._limit // (1 << 20)} MB "
                              f"({MAX_EXPANSION_RATIO}x its size): refusing a possible decompression bomb")
        b[:n] = data
        return n

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def _open_binary(source: Source):
    path = source.path
    compression = source.compression
    f = open(path, "rb")  # noqa: SIM115 - closed by the stream owner
    head = f.read(4)
    f.seek(0)
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
    limit = max(MAX_EXPANSION_FLOOR, source.size * MAX_EXPANSION_RATIO)
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
    if guess in {"gb2312", "gbk", "gb18030", "hz", "big5", "cp936"} or (guess is None and gb_ok):
        return "big5" if guess == "big5" and not gb_ok else "gb18030"
    if gb_ok and guess not in {"utf_16", "utf_32", "utf_16_le", "utf_16_be"}:
        # Chinese exports that are not UTF-8 are overwhelmingly GBK/GB18030.
        return "gb18030"
    return guess or "gb18030"


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
        if not counts or max(counts) == 0:
            continue
        mode = max(set(counts), key=counts.count)
        consistency = counts.count(mode) / len(counts)
        score = consistency * (1 + min(mode, 50) / 50)
        if score > best_score:
            best, best_score = delim, score
    if best is None:
        return "\t" if suffix == ".tsv" else "|" if suffix == ".psv" else ","
    return best


def _header_names(text: str, delimiter: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    names = []
    seen: dict[str, int] = {}
    for i, name in enumerate(first):
        name = name.strip().lstrip("\ufeff") or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def open_csv(source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
    fh = _open_binary(source)
    try:
        head = fh.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(fh, "peek") else fh.read(SNIFF_BYTES)
        if not hasattr(fh, "peek"):
            fh.seek(0)
        if not head.strip():
            raise SourceError(f"{source.path}: the file is empty")
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise SourceError(f"{source.path}: binary content, not delimited text")
        encoding = detect_encoding(head)
        text = head.decode(encoding, errors="replace")
        delimiter = sniff_delimiter(text, source.path)
        names = _header_names(text, delimiter)
        if not names:
            raise SourceError(f"{source.path}: no header row")
        read_options = pacsv.ReadOptions(
            column_names=names, skip_rows=1, block_size=block_size,
            encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
        )
        parse_options = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
        convert_options = pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True,
            null_values=["", "NULL", "null", "NaN", "nan", "N/A", "\\N"], quoted_strings_can_be_null=True,
        )
        if encoding == "utf-8-sig":
            fh.read(3)
        reader = pacsv.open_csv(fh, read_options=read_options, parse_options=parse_options,
                                convert_options=convert_options)
    except SourceError:
        fh.close()
        raise
    except (pa.ArrowInvalid, UnicodeDecodeError, LookupError, OSError, EOFError) as exc:
        fh.close()
        raise SourceError(f"{source.path}: {describe_read_error(exc)}") from None

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                yield batch
        finally:
            fh.close()

    return Stream(batches(), reader.schema, "csv", encoding=_public_encoding(encoding), delimiter=delimiter)


def _public_encoding(encoding: str) -> str:
    return {"utf-8-sig": "utf-8-sig", "utf-16": "utf-16"}.get(encoding, encoding.replace("_", "-").lower())


def open_parquet(source: Source, batch_rows: int = 65536) -> Stream:
    try:
        pf = pq.ParquetFile(source.path)
        schema = pf.schema_arrow
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceError(f"{source.path}: {describe_read_error(exc)}") from None

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from pf.iter_batches(batch_size=batch_rows)
        finally:
            pf.close()

    return Stream(batches(), schema, "parquet", num_rows=pf.metadata.num_rows)


def open_dataset(source: Source, batch_rows: int = 65536) -> Stream:
    try:
        ds = pads.dataset(source.files, format="parquet", partitioning="hive",
                          partition_base_dir=source.path)
        schema = ds.schema
        rows = ds.count_rows()
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceError(f"{source.path}: {describe_read_error(exc)}") from None
    return Stream(iter(ds.to_batches(batch_size=batch_rows)), schema, "parquet-dataset", num_rows=rows)


def open_source(source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
    if source.kind == "parquet":
        return open_parquet(source)
    if source.kind == "dataset":
        return open_dataset(source)
    return open_csv(source, block_size=block_size)


def describe_read_error(exc: BaseException) -> str:
    """A one-line reason for a read failure, without echoing the data that caused it."""
    if isinstance(exc, SourceError):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return f"cannot be decoded as {exc.encoding} (byte offset {exc.start} of a block); is it another encoding?"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "the file disappeared during the scan"
    if isinstance(exc, LookupError):
        return "unknown text encoding"
    if isinstance(exc, EOFError | gzip.BadGzipFile):
        return "the compressed stream is truncated or corrupt"
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    low = msg.lower()
    if "parquet magic bytes not found" in low or "footer" in low:
        return "not a valid Parquet file (truncated, or corrupt footer)"
    if "invalid utf8" in low or "invalid utf-8" in low:
        return "contains bytes that are not valid UTF-8 (mixed encodings?)"
    if "expected" in low and "columns" in low:
        # "Expected 5 columns, got 7: <row text>" — never echo the row.
        head = msg.split(":")[0]
        return f"malformed row ({head.lower()}); check quoting and the delimiter"
    if "straddling" in low or "block" in low and "row" in low:
        return "a row is larger than the read block (very long line or an unbalanced quote)"
    # Arrow messages can quote row content after a colon: keep only the part before it.
    return msg.split(": ")[0][:200]
