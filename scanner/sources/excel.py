"""Excel workbooks (.xlsx, .xlsm, .xls, .xlsb) and OpenDocument spreadsheets (.ods), every sheet.

Each sheet is a source of its own, named ``members.xlsx#会员`` (the sheet's name masked like
any path when it holds an identifier). Cells are read with python-calamine (Rust, no native
build) and handed on as Arrow batches of strings, a block of rows at a time, as CSV is:

- **Header rows as business systems write them.** Title rows above the header (one cell, often
  merged across the table: "会员信息导出 2024-05-01") and blank rows are skipped; a header
  of two rows whose upper cells are merged across the lower ones (联系方式 over 手机, 邮箱) gives
  ``联系方式/手机``, ``联系方式/邮箱``. A first row that holds an identifier is data: the sheet
  is read without a header, as a CSV would be.
- **Numbers Excel mangled.** A whole number of 16 digits or more (an ID or a card typed into a
  numeric cell) keeps only 15 significant digits in Excel: it is written as Excel shows it,
  ``4.40305197212018E+17``, so that it is never taken for a valid identifier (the masked
  detectors label it destroyed and the report says so), and the file's report counts those
  cells. Shorter whole numbers (``13800138000.0``, a phone) are exact and read as digits.
- **Dates** are written ``YYYY-MM-DD`` (``YYYY-MM-DD HH:MM:SS`` with a time of day).
- **Memory.** calamine holds one sheet's cells while it is read (about the size of the
  sheet's XML): a sheet past ``CHUJING_MAX_SHEET_MB`` (default 512 MB unpacked) is refused
  with one line saying so, never read into memory. The scan reads a sheet twice (a sample, then
  every row); the sheet parsed for the sample is kept for the count that follows.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import zipfile
from collections.abc import Iterator
from itertools import islice

import pyarrow as pa
import pyarrow.compute as pc

from scanner.sources import limits
from scanner.sources.base import DEFAULT_BLOCK_SIZE, Reader, Source, SourceError, Stream
from scanner.sources.names import column_names, display_path, identifier_cells, mask_identifiers, mask_identifiers_in

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
_ZIPPED = {".xlsx", ".xlsm", ".ods"}

# Rows looked at to find the header (title rows, blank rows, a header of two rows).
HEAD_ROWS = 32
# Rows per Arrow batch handed on.
BLOCK_ROWS = 16_384
# Excel keeps 15 significant digits of a number: past this, a whole number has lost digits.
EXACT_LIMIT = 10**15
# What a column's evidence says of the values whose digits Excel rounded away (the report's
# note on precision lost looks for it).
LOST_DIGITS = "were whole numbers of 16 digits or more stored as numbers: precision lost (Excel keeps 15 digits)"


def is_excel(name: str) -> bool:
    return os.path.splitext(name.lower())[1] in EXCEL_SUFFIXES


def is_lock_file(name: str) -> bool:
    """``~$members.xlsx``: the owner file Office writes beside a workbook open for editing."""
    return os.path.basename(name).startswith("~$")


class ExcelReader(Reader):
    """A workbook: one source per sheet (``file.xlsx#sheet``), whose ``files`` is the workbook."""

    kind = "excel"
    suffixes = frozenset(EXCEL_SUFFIXES)
    read_types = ".xlsx .xlsm .xls .xlsb .ods"

    def claims(self, path: str, suffix: str, compression: str | None) -> bool:
        return super().claims(path, suffix, compression) and not is_lock_file(path)

    def sources(self, path: str, size: int, compression: str | None) -> tuple[list[Source], list[tuple[str, str]]]:
        return workbook_sheets(path, size)

    def open(self, source: Source, block_size: int = DEFAULT_BLOCK_SIZE) -> Stream:
        return open_excel(source)

    def lost_digits(self, source: Source) -> dict[str, int]:
        return lost_digits_read(source)

    def local_files(self, source: Source) -> list[str]:
        return list(source.files)

    def file_of(self, source: Source) -> str:
        return source.files[0] if source.files else source.path


EXCEL = ExcelReader()


def sheet_source(path: str, sheet: str, size: int) -> Source:
    return Source(path=f"{path}#{sheet}", reader=EXCEL, size=size, files=[path])


def _location(source: Source) -> tuple[str, str]:
    file = source.files[0]
    return file, source.path[len(file) + 1:]


def _workbook(path: str):
    """The workbook at ``path`` opened by calamine; :class:`SourceError` when it cannot be."""
    import python_calamine as calamine

    name = display_path(path)
    _check_size(path)
    try:
        return calamine.CalamineWorkbook.from_path(path)
    except calamine.PasswordError:
        raise SourceError(f"{name}: the workbook is password-protected (encrypted): it cannot be read; "
                          f"save a copy without the password to scan it") from None
    except (calamine.CalamineError, OSError, ValueError, EOFError) as exc:
        raise SourceError(f"{name}: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "the file disappeared during the scan"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return f"not a readable Excel workbook ({type(exc).__name__}: corrupt, truncated or another format)"


def _check_size(path: str) -> None:
    """Refuse a workbook whose parts unpack past the sheet limit before calamine reads them
    (a zip bomb is such a workbook); a binary .xls or .xlsb is judged by its own size."""
    name = display_path(path)
    limit = limits.max_sheet_bytes()
    if os.path.splitext(path.lower())[1] in _ZIPPED:
        try:
            with zipfile.ZipFile(path) as z:
                parts = [i for i in z.infolist() if i.filename.endswith(".xml")]
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise SourceError(f"{name}: {_reason(exc)}") from None
        biggest = max(parts, key=lambda i: i.file_size, default=None)
        if biggest is not None and biggest.file_size > limit:
            raise SourceError(f"{name}: a sheet unpacks to {biggest.file_size >> 20:,} MB, more than the "
                              f"{limit >> 20:,} MB read into memory at once (raise CHUJING_MAX_SHEET_MB to "
                              f"scan it, or export it as CSV)")
    else:
        try:
            size = os.path.getsize(path)
        except OSError as exc:
            raise SourceError(f"{name}: {_reason(exc)}") from None
        if size > limit:
            raise SourceError(f"{name}: {size >> 20:,} MB, more than the {limit >> 20:,} MB read into memory at "
                              f"once (raise CHUJING_MAX_SHEET_MB to scan it, or export it as CSV)")


def workbook_sheets(path: str, size: int) -> tuple[list[Source], list[tuple[str, str]]]:
    """One source per sheet of the workbook at ``path``, and the sheets not read with the
    reason (a chart sheet holds no cells). :class:`SourceError` when the workbook cannot be
    opened at all."""
    import python_calamine as calamine

    wb = _workbook(path)
    try:
        sources, skipped = [], []
        for meta in wb.sheets_metadata:
            if meta.typ not in (calamine.SheetTypeEnum.WorkSheet,):
                skipped.append((f"{path}#{meta.name}", f"a {_kind_name(meta.typ)}, which holds no cells"))
                continue
            sources.append(sheet_source(path, meta.name, size))
        # A workbook with a sheet per person: its sheets' names are masked together, so that a
        # name that is also a word (高峰) is masked among the others as a table's headers are.
        together = mask_identifiers_in([s.path.rsplit("#", 1)[1] for s in sources])
        for source, name in zip(sources, together, strict=True):
            if name != mask_identifiers(source.path.rsplit("#", 1)[1]):
                source.shown = f"{display_path(path)}#{name}"
        return sources, skipped
    finally:
        wb.close()


def _kind_name(typ) -> str:
    return {"ChartSheet": "chart sheet", "DialogSheet": "dialog sheet", "MacroSheet": "macro sheet",
            "Vba": "VBA module"}.get(getattr(typ, "name", ""), "sheet of another kind")


# --- the sheet parsed for the sample, kept for the count ----------------------------------------

class _Held:
    """The sheet last parsed, until it has been read twice (sample, count) or another is opened."""

    key: tuple | None = None
    sheet = None
    opened = 0


def _sheet(source: Source):
    file, name = _location(source)
    try:
        st = os.stat(file)
    except OSError as exc:
        raise SourceError(f"{source.display}: {_reason(exc)}") from None
    key = (file, name, st.st_size, st.st_mtime_ns)
    if _Held.key != key:
        _Held.key, _Held.sheet, _Held.opened = None, None, 0  # let the previous sheet go first
        import python_calamine as calamine

        wb = _workbook(file)
        try:
            sheet = wb.get_sheet_by_name(name)
        except calamine.CalamineError as exc:
            raise SourceError(f"{source.display}: {_reason(exc)}") from None
        finally:
            wb.close()
        _Held.key, _Held.sheet = key, sheet
    _Held.opened += 1
    sheet = _Held.sheet
    if _Held.opened >= 2:
        _Held.key, _Held.sheet, _Held.opened = None, None, 0
    return sheet


_LOST: dict[str, dict[str, int]] = {}


def lost_digits_read(source: Source) -> dict[str, int]:
    """Per column, the values of the latest read of ``source`` (a sheet) whose digits Excel had
    rounded away (see :data:`LOST_DIGITS`)."""
    return dict(_LOST.get(source.path, {}))


def forget_held_sheet() -> None:
    _Held.key, _Held.sheet, _Held.opened = None, None, 0


# --- cells to text --------------------------------------------------------------------------

def cell_text(value) -> str | None:
    """A cell as the text a CSV export of it would hold (see the module's docstring).

    >>> cell_text(13800138000.0), cell_text(4.40305197212018e+17), cell_text(39.9042)
    ('13800138000', '4.40305197212018E+17', '39.9042')
    >>> cell_text(_dt.date(1972, 12, 1)), cell_text(_dt.datetime(2024, 5, 1, 8, 30)), cell_text("")
    ('1972-12-01', '2024-05-01 08:30:00', None)
    """
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value) if abs(value) < EXACT_LIMIT else _scientific(float(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            return str(int(value)) if abs(value) < EXACT_LIMIT else _scientific(value)
        return format(value, ".15g")
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == _dt.time() else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, _dt.time):
        return value.strftime("%H:%M:%S")
    if value is None:
        return None
    return str(value)


def _scientific(value: float) -> str:
    return format(value, ".15g").upper() if "e" in format(value, ".15g") else format(value, ".14E")


def lost_digits(value) -> bool:
    """A whole number past 15 significant digits: Excel has rounded it."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
        and abs(value) >= EXACT_LIMIT and float(value).is_integer()


def _column(values: tuple) -> tuple[pa.Array, int]:
    """A column of cells as strings (empty cells null), and how many had lost digits."""
    try:
        array = pa.array(values, pa.string())  # a column of text cells: no Python per cell
        return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array), 0
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    return pa.array([cell_text(v) for v in values], pa.string()), sum(1 for v in values if lost_digits(v))


# --- the header -------------------------------------------------------------------------------

def _filled(rows: list[list], merged: list[tuple[tuple[int, int], tuple[int, int]]], origin: tuple[int, int]) -> list[list]:
    """The first rows with each merged range's value copied into every cell it covers."""
    out = [list(r) for r in rows]
    r0, c0 = origin
    for (top, left), (bottom, right) in merged:
        top, bottom, left, right = top - r0, bottom - r0, left - c0, right - c0
        if top < 0 or top >= len(out) or left < 0 or left >= len(out[top]):
            continue
        value = out[top][left]
        for r in range(top, min(bottom, len(out) - 1) + 1):
            for c in range(left, min(right, len(out[r]) - 1) + 1):
                out[r][c] = value
    return out


def _header(rows: list[list], filled: list[list], merged, origin) -> tuple[int, int, bool]:
    """Where the header starts, how many rows it spans, and whether the sheet has none.

    The header is the first row holding at least half as many cells as the widest of the first
    rows and two different names (a title merged across the table holds one); a sheet of one or
    two columns takes its first row that holds anything."""
    texts = [[cell_text(v) for v in r] for r in filled]
    counts = [sum(1 for t in r if t is not None) for r in texts]
    widest = max(counts, default=0)
    if widest == 0:
        return 0, 0, True
    need = math.ceil(widest / 2) if widest >= 3 else 1
    start = next((i for i, r in enumerate(texts) if counts[i] >= need
                  and (widest < 3 or len({t for t in r if t is not None}) >= 2)), None)
    if start is None:
        start = counts.index(widest)
    cells = [cell_text(v) or "" for v in rows[start]]
    if bool(identifier_cells([c.strip() for c in cells])[0].any()):
        return start, 0, True
    r0, c0 = origin
    height = 1
    for (top, left), (bottom, right) in merged or []:
        if top - r0 != start:
            continue
        if bottom > top:
            height = max(height, bottom - top + 1)
        if right > left and start + 1 < len(rows):
            below = [cell_text(v) or "" for v in rows[start + 1][left - c0: right - c0 + 1]]
            if any(below) and not identifier_cells(below)[0].any():
                height = max(height, 2)
    return start, min(height, 3, len(rows) - start), False


def _names(rows: list[list], start: int, height: int, width: int) -> list[str]:
    names = []
    for c in range(width):
        parts: list[str] = []
        for r in range(start, start + height):
            text = cell_text(rows[r][c]) if c < len(rows[r]) else None
            text = text.strip() if text else ""
            if text and (not parts or parts[-1] != text):
                parts.append(text)
        names.append("/".join(parts))
    return column_names(names)


# --- the stream -------------------------------------------------------------------------------

def open_excel(source: Source, block_rows: int = BLOCK_ROWS) -> Stream:
    """One sheet as a stream of Arrow batches of strings (see the module's docstring)."""
    import python_calamine as calamine

    name = source.display
    sheet = _sheet(source)
    width = sheet.width
    if width > limits.max_columns():
        raise SourceError(f"{name}: has {width:,} columns, more than the {limits.max_columns():,} scanned "
                          f"(raise CHUJING_MAX_COLUMNS to scan it)")
    rows_iter = sheet.iter_rows()
    try:
        head = list(islice(rows_iter, HEAD_ROWS))
        merged = sheet.merged_cell_ranges or []
    except calamine.CalamineError as exc:
        raise SourceError(f"{name}: {_reason(exc)}") from None
    origin = sheet.start or (0, 0)
    filled = _filled(head, merged, origin)
    start, height, headerless = _header(head, filled, merged, origin)
    if not head or width == 0:
        schema = pa.schema([])
        return Stream(iter(()), schema, "excel", num_rows=0)
    names = [f"column_{i + 1}" for i in range(width)] if headerless else _names(filled, start, height, width)
    schema = pa.schema([(n, pa.string()) for n in names])
    first_data = head[start + height:]
    # Per column, the values whose digits Excel rounded away in this read: the scan says so.
    if len(_LOST) > 256:
        _LOST.clear()
    lost = _LOST[source.path] = {}
    stream = Stream(iter(()), schema, "excel", num_rows=None)

    def batches() -> Iterator[pa.RecordBatch]:
        pending = iter(first_data)
        source_rows = _chain(pending, rows_iter)
        while True:
            try:
                block = [r for r in islice(source_rows, block_rows)]
            except calamine.CalamineError as exc:
                raise SourceError(f"{name}: {_reason(exc)}") from None
            if not block:
                return
            block = [r for r in block if any(v != "" and v is not None for v in r)]
            if not block:
                continue
            columns = []
            for column_name, values in zip(names, zip(*block, strict=True), strict=True):
                column, n_lost = _column(values)
                columns.append(column)
                if n_lost:
                    lost[column_name] = lost.get(column_name, 0) + n_lost
            yield pa.RecordBatch.from_arrays(columns, schema=schema)

    stream.batches = batches()
    return stream


def _chain(first, rest):
    yield from first
    yield from rest
