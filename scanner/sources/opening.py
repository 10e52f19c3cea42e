"""Opening an input's bytes safely, and saying why a read failed.

Only regular files are opened (a FIFO swapped in would block forever); compressed files are
decompressed with a bound on what they expand to (a decompression bomb stops with one line);
read errors become one line in words, never quoting the data that caused them.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import io
import os
import re
import stat
import zlib

from scanner.sources import limits
from scanner.sources.base import Source, SourceError
from scanner.sources.names import display_path


def open_regular(path: str):
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


class BoundedReader(io.RawIOBase):
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
    path = source.path
    compression = source.compression
    f = open_regular(path)
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
    return io.BufferedReader(BoundedReader(raw, limit, path), buffer_size=1 << 20)



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
