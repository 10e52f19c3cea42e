"""JSON Lines and JSON files of records: one object per line, or an array of objects.

Read a block of records at a time with ``pyarrow.json``, as a stream of Arrow batches:

- **Every scalar as text.** Numbers and booleans are read as the text they were written as
  (``440305197212018141`` keeps all 18 digits, a 20-digit ICCID too, and a field that holds a
  number in one record and text in another is one column), as every CSV column is read as a
  string. Objects are flattened into ``parent.child`` columns; arrays stay lists.
- **Fields that appear late.** Records need not share their fields: the file is read once to
  learn every field (the schema the scan classifies), then again for the rows.
- **An array of records** (``[{...}, {...}]``, pretty-printed or on one line) and objects one
  after another over several lines (``jq .`` output) are cut into records with Python's JSON
  decoder; JSON Lines go straight to Arrow.
- UTF-8 (with or without a BOM), UTF-16 with a BOM, or GB18030 as CSV is sniffed; compressed like
  CSV (``.jsonl.gz``).

Errors name the file and the record's line or byte, never a value.
"""

from __future__ import annotations

import codecs
import io
import json
import os
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from scanner.sources import limits
from scanner.sources.base import DEFAULT_BLOCK_SIZE, Reader, Source, SourceError, Stream
from scanner.sources.delimited import detect_encoding
from scanner.sources.names import column_names, mask_identifiers
from scanner.sources.opening import open_binary

JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}


class JsonReader(Reader):
    """JSON Lines, or JSON holding an array of records; plain or compressed."""

    kind = "json"
    suffixes = frozenset(JSON_SUFFIXES)
    compressed = True
    read_types = ".json .jsonl .ndjson"

    def not_an_export(self, path: str) -> str | None:
        made_by = chujing_output(path)
        return f"a {made_by} written by chujing, not an export" if made_by else None

    def open(self, source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
        return open_json(source)

    def more_sample(self, source: Source, stream: Stream, block_size: int, stopped: bool) -> list[pa.RecordBatch] | None:
        # Records need not share their fields: ones that appear only past the sample.
        return late_field_rows(source, stream.schema) if stopped else None


JSON = JsonReader()
READ_BYTES = 4 << 20

# Outside strings (each string is taken whole, escapes included), a number or true/false is
# wrapped in quotes: every scalar becomes text. RE2 through Arrow: linear in the block.
_SCALAR = r'((?:"[^"\\]*(?:\\.[^"\\]*)*"|[^"0-9\-tf])*)(-?[0-9][0-9.eE+\-]*|true|false)'


def quote_scalars(block: bytes) -> bytes:
    """``block`` of JSON with every number and boolean written as a string.

    Each match starts where the one before ended, outside any string: a number closes the
    block (taken off again) so that there is always one ahead, and no search starts inside a
    string.

    >>> quote_scalars(b'{"id": 440305197212018141, "a": "x: 1, t", "ok": true, "l": [1.5, null]}\\n')
    b'{"id": "440305197212018141", "a": "x: 1, t", "ok": "true", "l": ["1.5", null]}\\n'
    >>> quote_scalars(b'{"a": "1"}\\n{"b": {"c": "2"}}\\n')
    b'{"a": "1"}\\n{"b": {"c": "2"}}\\n'
    """
    if not block:
        return block
    try:
        text = pa.array([block + b"0"], pa.large_binary()).cast(pa.large_string())
    except pa.ArrowInvalid:
        raise UnicodeError("not UTF-8") from None
    out = pc.replace_substring_regex(text, _SCALAR, r'\1"\2"')
    return out[0].as_buffer().to_pybytes()[:-3]


class _Records:
    """Blocks of whole records, one per line, from a JSON file's bytes (UTF-8)."""

    def __init__(self, raw, name: str, encoding: str, prefix: bytes):
        self._raw = raw
        self._name = name
        self._encoding = encoding
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._prefix = prefix
        self.bytes_in = 0

    def _raw_read(self, size: int) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix, b""
        else:
            data = self._raw.read(size)
        self.bytes_in += len(data)
        return data

    def _read(self, size: int) -> bytes:
        """UTF-8 bytes (``b""`` at the end): a UTF-8 file's own (Arrow checks them), any other
        encoding transcoded."""
        if self._encoding == "utf-8":
            return self._raw_read(size)
        return self._more(size)[0].encode("utf-8")

    def lines(self) -> Iterator[bytes]:
        """JSON Lines: blocks cut after their last line end (a JSON string holds no raw line end)."""
        held = b""
        limit = limits.max_line_bytes()
        while True:
            data = self._read(READ_BYTES)
            if not data:
                if held.strip():
                    yield held + b"\n"
                return
            held += data
            cut = held.rfind(b"\n")
            if cut < 0:
                if len(held) > limit + READ_BYTES:
                    raise SourceError(f"{self._name}: a record is longer than {limit >> 20} MB (raise "
                                      f"CHUJING_MAX_LINE_BYTES to read it)")
                continue
            yield held[: cut + 1]
            held = held[cut + 1:]

    def _more(self, size: int) -> tuple[str, bool]:
        """More text, and whether the file has ended."""
        while True:
            data = self._raw_read(size)
            try:
                text = self._decoder.decode(data, final=not data)
            except UnicodeDecodeError:
                raise SourceError(f"{self._name}: cannot be decoded as {self._encoding.upper()} (about byte "
                                  f"{self.bytes_in:,}); mixed encodings?") from None
            if text or not data:
                return text, not data

    def values(self) -> Iterator[bytes]:
        """An array of records, or records one after another over several lines: each record
        found with Python's decoder and written on a line of its own."""
        decoder = json.JSONDecoder()
        limit = limits.max_line_bytes()
        text, pos, eof = "", 0, False
        in_array = None
        closed = False
        want = READ_BYTES
        out: list[str] = []
        out_size = 0
        while True:
            while pos < len(text) and text[pos] in " \t\r\n,":
                if text[pos] == "," and not in_array:
                    raise SourceError(f"{self._name}: not valid JSON (a comma between records outside an array)")
                pos += 1
            if pos >= len(text) and not eof:
                more, eof = self._more(want)
                text, pos = text[pos:] + more, 0
                continue
            if pos >= len(text):
                break
            ch = text[pos]
            if in_array is None:
                in_array = ch == "["
                if in_array:
                    pos += 1
                    continue
            if ch == "]" and in_array:
                closed = True
                if text[pos + 1:].strip() or (not eof and self._more(READ_BYTES)[0].strip()):
                    raise SourceError(f"{self._name}: not valid JSON (text after the closing bracket)")
                break
            if ch != "{":
                raise SourceError(f"{self._name}: a JSON value that is not an object (a record) "
                                  f"{'in the array' if in_array else 'at the top level'}; records are objects")
            try:
                _, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                if eof:
                    raise SourceError(f"{self._name}: not valid JSON ({exc.msg.lower()}, about byte "
                                      f"{self.bytes_in - len(text) + exc.pos:,})") from None
                if len(text) - pos > limit:
                    raise SourceError(f"{self._name}: a record is longer than {limit >> 20} MB or not valid "
                                      f"JSON (raise CHUJING_MAX_LINE_BYTES to read longer ones)") from None
                more, eof = self._more(want)
                want *= 2  # a long record is decoded again a few times only: linear in its length
                text, pos = text[pos:] + more, 0
                continue
            want = READ_BYTES
            record = text[pos:end]
            out.append(record.replace("\n", " ").replace("\r", " ") if "\n" in record or "\r" in record else record)
            out_size += end - pos
            pos = end
            if out_size >= READ_BYTES:
                yield ("\n".join(out) + "\n").encode("utf-8")
                out, out_size = [], 0
        if in_array and not closed:
            raise SourceError(f"{self._name}: not valid JSON (the array is never closed: truncated?)")
        if out:
            yield ("\n".join(out) + "\n").encode("utf-8")


def _sniff(fh, name: str) -> tuple[str, bytes, str]:
    """The encoding, the bytes read so far, and the shape: ``lines`` or ``values``."""
    head = fh.read(64 << 10)
    if not head.strip():
        raise SourceError(f"{name}: the file is empty")
    if head.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8", head[3:]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", head
    else:
        encoding, body = "utf-8", head
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if not (exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"):
                encoding = detect_encoding(head)  # GB18030 exports exist, as for CSV
    text = body.decode(encoding, "replace")
    first = text.lstrip()
    if not first.startswith(("{", "[")):
        raise SourceError(f"{name}: not JSON records (a JSON file chujing reads holds objects, one per line "
                          f"or in an array)")
    if first.startswith("["):
        return encoding, body, "values"
    line = first.split("\n", 1)[0]
    try:
        whole = isinstance(json.loads(line), dict)
    except ValueError:
        whole = False
    return encoding, body, "lines" if whole else "values"


def _blocks(source: Source) -> Iterator[bytes]:
    name = source.display
    try:
        fh = open_binary(source)
    except OSError as exc:
        raise SourceError(f"{name}: {exc.strerror.lower() if exc.strerror else 'cannot be read'}") from None
    try:
        encoding, prefix, shape = _sniff(fh, name)
        records = _Records(fh, name, encoding, prefix)
        for block in (records.lines() if shape == "lines" else records.values()):
            try:
                yield quote_scalars(block)
            except UnicodeError:
                raise SourceError(f"{name}: contains bytes that are not valid UTF-8 (about byte "
                                  f"{records.bytes_in:,})") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{name}: contains bytes that are not valid UTF-8 ({exc.reason})") from None
    finally:
        fh.close()


def _table(block: bytes, name: str, line: int, parents: set[str] | None = None) -> pa.Table:
    """One block of records as a table, objects flattened (``parents`` collects their names)."""
    try:
        table = pajson.read_json(io.BytesIO(block), read_options=pajson.ReadOptions(
            use_threads=False, block_size=max(len(block) + 1, 1 << 20)))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise SourceError(f"{name}: {_reason(exc, line)}") from None
    while any(pa.types.is_struct(f.type) for f in table.schema):
        if parents is not None:
            parents.update(f.name for f in table.schema if pa.types.is_struct(f.type))
        table = table.flatten()
    return table


def _reason(exc: BaseException, line: int) -> str:
    text = str(exc).lower()
    if "changed from" in text:
        return (f"a field holds text in some records and objects or lists in others (in the block after "
                f"record {line:,}); not a table")
    if "straddling" in text or "block" in text:
        return "a record is too long to read"
    return f"not valid JSON records (in the block after record {line:,})"


def _kinds(t: pa.DataType) -> str:
    if pa.types.is_null(t):
        return "null"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "list"
    return "text"


# Records kept per field from the schema's read, beyond the first block: a field that first
# appears late in the file is still in the sample the scan classifies its columns on.
LATE_SAMPLE = 200


def _schema(source: Source) -> tuple[pa.Schema, list[pa.Table]]:
    """Every field of every record, in the order first seen (one read of the file), and some
    records holding each field that the first block lacks or holds rarely."""
    name = source.display
    fields: dict[str, pa.DataType] = {}
    parents: set[str] = set()
    present: dict[str, int] = {}
    late: list[pa.Table] = []
    records = 0
    for number, block in enumerate(_blocks(source)):
        table = _table(block, name, records, parents)
        records += table.num_rows
        for column_name in table.column_names:
            column = table.column(column_name)
            have = present.get(column_name, 0)
            valid = table.num_rows - column.null_count
            if number and have < LATE_SAMPLE and valid:
                mask = pc.is_valid(column)
                late.append(table.filter(mask).slice(0, LATE_SAMPLE - have))
            present[column_name] = have + valid
        for f in table.schema:
            seen = fields.get(f.name)
            if seen is None or pa.types.is_null(seen):
                fields[f.name] = f.type
            elif not pa.types.is_null(f.type) and seen != f.type:
                if _kinds(seen) != _kinds(f.type):
                    raise SourceError(f"{name}: field {mask_identifiers(f.name)!r} holds text in some records and "
                                      f"lists in others; not a table")
                if pa.types.is_list(seen) and pa.types.is_null(seen.value_type):
                    fields[f.name] = f.type
        if len(fields) > limits.max_columns():
            raise SourceError(f"{name}: has more than {limits.max_columns():,} fields (raise CHUJING_MAX_COLUMNS "
                              f"to scan it)")
    both = parents & set(fields)
    if both:
        raise SourceError(f"{name}: field {mask_identifiers(min(both))!r} holds text in some records and "
                          f"objects in others; not a table")
    return pa.schema([(n, pa.string() if pa.types.is_null(t) else t) for n, t in fields.items()]), late


_SCHEMAS: dict[tuple, tuple[pa.Schema, list[pa.Table]]] = {}


def _key(source: Source) -> tuple | None:
    try:
        st = os.stat(source.path)
    except OSError:
        return None
    return (source.path, st.st_size, st.st_mtime_ns)


def late_field_rows(source: Source, schema: pa.Schema) -> list[pa.RecordBatch]:
    """Records holding the fields that appear late in the file (kept by the schema's read), as
    batches of ``schema``: added to a sample that stopped before them."""
    known = _SCHEMAS.get(_key(source))
    if known is None:
        return []
    raw_schema, late = known
    return [_conform(t, raw_schema, schema, source.display) for t in late if t.num_rows]


def _conform(table: pa.Table, raw_schema: pa.Schema, out_schema: pa.Schema, name: str) -> pa.RecordBatch:
    """A block's table with every field of the file, in order, under the names reported."""
    columns = []
    for field in raw_schema:
        if field.name in table.column_names:
            column = table.column(field.name)
            if column.type != field.type:
                try:
                    column = column.cast(field.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    raise SourceError(f"{name}: field {mask_identifiers(field.name)!r} changes kind between "
                                      f"records; not a table") from None
            columns.append(column)
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=out_schema).combine_chunks().to_batches()[0]


def open_json(source: Source) -> Stream:
    """A JSON or JSON Lines file as a stream of Arrow batches (see the module's docstring)."""
    name = source.display
    key = _key(source)
    known = _SCHEMAS.get(key) if key else None
    if known is None:
        known = _schema(source)
        _SCHEMAS.clear()  # one file's is kept: the count that follows the sample reuses it
        if key:
            _SCHEMAS[key] = known
    schema = known[0]
    out_schema = pa.schema([pa.field(n, f.type) for n, f in zip(column_names(schema.names), schema, strict=True)])

    def batches() -> Iterator[pa.RecordBatch]:
        records = 0
        for block in _blocks(source):
            table = _table(block, name, records)
            records += table.num_rows
            if table.num_rows:
                yield _conform(table, schema, out_schema, name)

    return Stream(batches(), out_schema, "json")


def chujing_output(path: str) -> str | None:
    """``report`` or ``manifest`` when the JSON file at ``path`` is one chujing wrote (its first
    key names a ``chujing.*`` schema): scanning a folder again must not count its own report."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return None
    head = head.removeprefix(codecs.BOM_UTF8).lstrip()
    if not head.startswith(b"{") or b'"schema"' not in head or b'"chujing.' not in head:
        return None
    if b'"chujing.report/' in head:
        return "report"
    if b'"chujing.redaction/' in head:
        return "redaction manifest"
    return "file"
