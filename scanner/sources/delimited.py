"""Delimited text (CSV, TSV and their kin): sniffing, transcoding, Arrow batches of strings.

Text files are sniffed for their compression, encoding and delimiter; every column is read as a
string (identifiers must keep their leading zeros and their X, and type inference on the first
block breaks on the millionth row). Whatever is wrong with a file (binary junk, an encoding that
changes half-way, a row with a field too many, an unbalanced quote) ends in a
:class:`SourceError` naming the problem and where it is, never quoting the data.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scanner.sources import limits
from scanner.sources.base import DEFAULT_BLOCK_SIZE, Reader, Source, SourceError, Stream, coalesce
from scanner.sources.names import display_path, header_names, looks_like_data
from scanner.sources.opening import BoundedReader, describe_read_error, open_binary

TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".psv", ".dat"}
SNIFF_BYTES = 64 * 1024
# The block Arrow's CSV reader parses at a time. Its read-ahead holds a few dozen blocks, so
# this (not the size of the batches handed on) is what bounds the reader's memory: ~40 MB at
# 1 MB, ~150 MB at 4 MB, at the same speed.
ARROW_CSV_BLOCK = 1 << 20

NULL_VALUES = ["", "NULL", "null", "NaN", "nan", "N/A", "\\N"]

# A sample of a large uncompressed file adds rows from evenly spaced chunks of it.
SPREAD_CHUNKS = 8
SPREAD_CHUNK_BYTES = 256 * 1024


class CsvReader(Reader):
    """Delimited text, plain or compressed (gzip, bz2, zstd)."""

    kind = "csv"
    suffixes = frozenset(TEXT_SUFFIXES)
    compressed = True
    read_types = ".csv .tsv .txt .psv .dat (also .gz .bz2 .zst)"
    grouped = True
    redacted_as = "csv"

    def open(self, source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
        return open_csv(source, block_size=block_size)

    def more_sample(self, source: Source, stream: Stream, block_size: int, stopped: bool) -> list[pa.RecordBatch] | None:
        # A big plain file: rows from further on too (seeking; a compressed or UTF-16 file cannot).
        if source.compression is None and source.size > block_size and stream.encoding not in ("utf-16",):
            return csv_spread(source, stream)
        return None


CSV = CsvReader()


def detect_encoding(head: bytes) -> str:
    """The text encoding of a file from its first bytes.

    BOMs decide first; then strict UTF-8 (allowing a character cut at the end of the sample),
    or UTF-8 but for a few stray bytes (see :func:`mostly_utf8`: the stray bytes then fail the
    file, named, where a legacy code page would read every character wrong without a word);
    then charset-normalizer, whose Chinese answers are widened to GB18030 (a superset of GBK
    and GB2312 that decodes every byte sequence they do).

    >>> detect_encoding("姓名,手机\\n".encode("gb18030"))
    'gb18030'
    >>> detect_encoding(codecs.BOM_UTF8 + "姓名".encode())
    'utf-8-sig'
    >>> detect_encoding("姓名,手机\\n".encode() * 20 + b"\\xff\\n")
    'utf-8'
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
    if mostly_utf8(head):
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


# GBK, GB18030 and Big5 text read as UTF-8 has at most about one valid multi-byte character
# for every invalid byte (measured: 0.2 on the sample GB18030 exports, at most 1 on random
# Chinese text): ten or more is UTF-8 text with stray bytes in it.
UTF8_CHARACTERS_PER_STRAY_BYTE = 10
_HIGH_BYTES = bytes(range(0x80, 0x100))


def mostly_utf8(data: bytes) -> bool:
    """``data`` is UTF-8 text but for a few stray bytes: ``UTF8_CHARACTERS_PER_STRAY_BYTE``
    valid multi-byte characters or more for every byte that is not UTF-8 (a character cut at
    the end of a sample not counted).

    >>> mostly_utf8(("张三,北京市朝阳区\\n" * 2).encode() + b"\\xff\\n")
    True
    >>> mostly_utf8(("张三,北京市朝阳区\\n" * 2).encode("gbk"))
    False
    """
    cut = max(data.rfind(b"\n"), data.rfind(b"\r"))  # whole lines: a sample may end inside a character
    data = data[: cut + 1] if cut > 0 else data
    # Each invalid byte decodes to one lone surrogate, which encodes back to one byte with
    # surrogateescape and to none with ignore: counted in C, not character by character.
    text = data.decode("utf-8", "surrogateescape")
    invalid = len(text.encode("utf-8", "surrogateescape")) - len(text.encode("utf-8", "ignore"))
    multibyte = len(text) - invalid - len(data.translate(None, _HIGH_BYTES))
    return invalid > 0 and multibyte >= UTF8_CHARACTERS_PER_STRAY_BYTE * invalid


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
        if not any(delim in line for line in lines):
            continue  # no field holds it: every row one field (what parsing them would say)
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


def _header_cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return line.split(delimiter)



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
        if self._utf8 and mostly_utf8(line_bytes + b"\n"):
            # A stray byte in a UTF-8 line, not a line in another encoding, though such a line
            # may decode as GB18030 (mojibake) too. (The line end keeps the line whole.)
            other = None
        if other and self.bytes_in + start > 0:
            source = "UTF-8" if self._utf8 else self._encoding
            target = "another (GB18030?)" if self._utf8 else "UTF-8"
            raise SourceError(f"{name}: the encoding changes from {source} to {target} {where}; "
                              f"convert the file to one encoding")
        if self._utf8:
            raise SourceError(f"{name}: {not_utf8(where)}")
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


def not_utf8(where: str) -> str:
    """Why a UTF-8 file with a byte that is not UTF-8 in it fails.

    Reading on with that byte replaced could lose what it belonged to (a digit of an ID
    number, a name): the file fails, and the message says where, never what.
    """
    return (f"read as UTF-8, it contains bytes that are not valid UTF-8 {where}; not scanned rather than "
            f"scanned with them replaced: fix or re-export the file")


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
    fh = open_binary(source)
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
                if encoding == "utf-8":
                    raise SourceError(f"{name}: {not_utf8(f'at byte {exc.start:,} (line 1)')}") from None
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
        headerless = looks_like_data(cells)
        names = [f"column_{i + 1}" for i in range(len(cells))] if headerless else header_names(cells)
        if utf16:
            reader_input = _TextReader(fh, prefix, encoding, source.path)
        elif encoding in ("utf-8", "utf-8-sig") and source.compression is None and len(prefix) == source.size:
            reader_input = pa.BufferReader(prefix)  # a small file, read whole by the sniffing: not opened again
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
        parse_options = _parse_options(delimiter, on_invalid_row)
        convert_options = pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True,
            null_values=NULL_VALUES, quoted_strings_can_be_null=True,
        )

        def ragged_row() -> int | None:
            return _first_ragged_row(source, encoding, delimiter, read_options, convert_options)

        reader = pacsv.open_csv(reader_input, read_options=read_options, parse_options=parse_options,
                                convert_options=convert_options)
    except SourceError:
        fh.close()
        raise
    except (pa.ArrowException, UnicodeDecodeError, LookupError, OSError, EOFError, ValueError, zlib.error) as exc:
        fh.close()
        reason = _csv_reason(exc, locals().get("ragged") or {}, 0, source, locals().get("ragged_row"))
        raise SourceError(f"{name}: {reason}") from None

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
                    reason = _csv_reason(exc, ragged, rows, source, ragged_row)
                    raise SourceError(f"{name}: {reason}") from None
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
                yield coalesce(held)
                held, held_bytes = [], 0
        if held:
            yield coalesce(held)

    return Stream(batches(), reader.schema, "csv", encoding=_public_encoding(encoding), delimiter=delimiter)


def _native_utf8(fh, encoding: str):
    """A plain UTF-8 file is handed to Arrow as a native file: no Python in Arrow's read loop,
    which then runs beside the scan's own threads. Opened through the descriptor already
    checked to be a regular file (no race with a file swapped for a FIFO); invalid bytes are
    still caught by Arrow's UTF-8 check and located afterwards (``_locate_utf8_error``)."""
    if encoding not in ("utf-8", "utf-8-sig") or not hasattr(fh, "fileno") or isinstance(fh, io.BufferedReader) \
            and isinstance(getattr(fh, "raw", None), BoundedReader):
        return None
    try:
        return pa.OSFile(f"/proc/self/fd/{fh.fileno()}")
    except (OSError, pa.ArrowException, io.UnsupportedOperation):
        return None


def _locate_utf8_error(source: Source) -> str | None:
    """Read a file again, validating its UTF-8, to say where (and how) it stops being UTF-8."""
    try:
        fh = open_binary(source)
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


def _parse_options(delimiter: str, on_invalid_row: Callable) -> pacsv.ParseOptions:
    return pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                              invalid_row_handler=on_invalid_row)


def _first_ragged_row(source: Source, encoding: str, delimiter: str, read_options: pacsv.ReadOptions,
                      convert_options: pacsv.ConvertOptions) -> int | None:
    """The data row (from 1) of the first row with a field too many or too few, or None.

    Arrow's threaded reader does not know where a row it parses stands (``row.number`` is
    None: blocks are parsed side by side); its serial reader counts records (a quoted value
    over several lines is one, blank lines none). So a file that failed on such a row is read
    again, serially, up to that row: no more than was read already, and only for a failed file.
    """
    numbers: list[int | None] = []

    def first(row) -> str:
        numbers.append(row.number)
        return "error"

    serial = pacsv.ReadOptions(use_threads=False, column_names=read_options.column_names,
                               skip_rows=read_options.skip_rows, block_size=read_options.block_size,
                               encoding=read_options.encoding)
    try:
        fh = open_binary(source)
    except (OSError, SourceError):
        return None
    try:
        text = _TextReader(fh, fh.read(SNIFF_BYTES), encoding, source.path)
        reader = pacsv.open_csv(text, read_options=serial, parse_options=_parse_options(delimiter, first),
                                convert_options=convert_options)
        while True:
            reader.read_next_batch()
    except (StopIteration, pa.ArrowException, SourceError, OSError, EOFError, ValueError, zlib.error):
        pass
    finally:
        fh.close()
    if not numbers or numbers[0] is None:
        return None
    return numbers[0] - read_options.skip_rows


def _csv_reason(exc: BaseException, ragged: dict[str, int], rows: int, source: Source | None = None,
                ragged_row: Callable[[], int | None] | None = None) -> str:
    if source is not None and "invalid utf8" in str(exc).lower():
        located = _locate_utf8_error(source)
        if located:
            return located
    if ragged:
        number = ragged_row() if ragged_row else None
        where = f"data row {number:,}" if number else f"somewhere after data row {rows:,}"
        return (f"a row has {ragged['actual']} fields where the header has {ragged['expected']} "
                f"({where}); check quoting and the delimiter. The file is not counted "
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


def csv_spread(source: Source, stream: Stream) -> list[pa.RecordBatch]:
    """Rows from evenly spaced chunks of an uncompressed text file, read by seeking.

    Each chunk is cut to whole lines and parsed with the file's header; a chunk that does not
    parse (a quoted newline straddling the cut) is skipped. Costs a few MB of reading.
    """
    out: list[pa.RecordBatch] = []
    names = stream.schema.names
    encoding = stream.encoding or "utf-8"
    with open(source.path, "rb") as f:
        for k in range(1, SPREAD_CHUNKS + 1):
            offset = int(source.size * k / (SPREAD_CHUNKS + 1))
            f.seek(offset)
            chunk = f.read(SPREAD_CHUNK_BYTES)
            first, last = chunk.find(b"\n"), chunk.rfind(b"\n")
            if first < 0 or last <= first:
                continue
            body = chunk[first + 1: last + 1]
            try:
                text = body.decode(encoding.replace("utf-8-sig", "utf-8"))
                table = pacsv.read_csv(
                    io.BytesIO(text.encode("utf-8")),
                    read_options=pacsv.ReadOptions(column_names=names),
                    parse_options=pacsv.ParseOptions(delimiter=stream.delimiter or ","),
                    convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                         strings_can_be_null=True),
                )
            except (pa.ArrowInvalid, UnicodeDecodeError):
                continue
            out.extend(table.to_batches())
    return out
