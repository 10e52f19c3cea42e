"""Names as reports show them: paths, file and column names with every identifier and person's
name in them masked, headers' blanks and duplicates named, and which header cells are
identifiers (data).

Every report, log, error, state and ledger prints a path or a column name through here: a file,
folder, sheet or column named after a person (an ID number, a phone, an e-mail address, the
person's name: a rota with a column per employee, a sheet 欧阳娜娜报销) shows it masked.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.person_name import holds_masked_name, mask_labels
from scanner.sources import limits


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
    """``name`` (of a column, a sheet, a file or a folder) with every identifier and person's name
    in it masked (see :func:`detectors.person_name.name_spans` for how a name is told from a word).

    >>> mask_identifiers("客户_13800138000")
    '客户_138****8000'
    >>> mask_identifiers("证件 440305 19721201 8141 号")
    '证件 440305********8141 号'
    >>> mask_identifiers("orders_2024-05.csv"), mask_identifiers("报销/欧阳娜娜报销.xlsx"), mask_identifiers("金额")
    ('orders_2024-05.csv', '报销/欧***报销.xlsx', '金额')
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
    return mask_labels(_identifiers_masked(names))


def named_after_person(name: str) -> bool:
    """Whether a column name, as reported, is a person's name (masked): a rota or a pivot
    with one column per person names a person in each such column.

    >>> [named_after_person(n) for n in header_names(["日期", "韩晓建", "孔娜子(早班)", "金额", "138 0013 8000", "姓名*"])]
    [False, True, True, False, False, False]
    """
    return holds_masked_name(name)


# An identifier's mask in a name: digits or letters on both sides of the stars (138****8000,
# 440305********8141), or an address's first letter (z***@example.com).
_MASKED_IDENTIFIER = re.compile(r"[0-9A-Za-z]\*{2,}[0-9A-Za-z]|[^\s@*]\*{3}@")


def shows_masked(name: str) -> bool:
    """Whether a column name, as reported, has a person's name or an identifier masked in it:
    the name a copy of the column is written under is not its header as written.

    >>> [shows_masked(n) for n in header_names(["韩晓建", "客户_13800138000", "金额"])]
    [True, True, False]
    """
    return named_after_person(name) or _MASKED_IDENTIFIER.search(name) is not None


def _identifiers_masked(names: list[str]) -> list[str]:
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


def header_names(cells: list[str]) -> list[str]:
    """Column names from header cells: blanks named by position, duplicates numbered, names
    past the name limit named by position (and saying so), identifiers in a name masked.

    >>> header_names(["a", "a", "", " b ", "a.1"])
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


def masked_header(cell: str) -> str:
    """A header cell as reports name its column, before duplicates are numbered: what a decision
    or a change written with the raw header is matched by.

    >>> masked_header(" 韩晓建 "), masked_header("金额")
    ('韩**', '金额')
    """
    return mask_identifiers(cell.strip().lstrip("\ufeff"))


def columns_headed(cell: str, names: Iterable[str]) -> list[str]:
    """The reported column names among ``names`` that the header cell ``cell`` may be: its masked
    name and that name numbered (韩晓建 may be 韩** or 韩**.1 when 韩晓东 is beside it), or
    ``cell`` itself when a column is named so. More than one: the cell is ambiguous.

    >>> columns_headed("韩晓建", ["日期", "韩**", "韩**.1", "孔**"])
    ['韩**', '韩**.1']
    """
    names = list(names)
    if cell in names:
        return [cell]
    masked = masked_header(cell)
    numbered = re.compile(re.escape(masked) + r"\.[0-9]+")
    return sorted({n for n in names if n == masked or numbered.fullmatch(n)})


def column_names(names: list[str]) -> list[str]:
    """The names a table's columns are reported under (see :func:`header_names`)."""
    return header_names(names)


def looks_like_data(cells: list[str]) -> bool:
    if not cells:
        return False
    hit, _ = identifier_cells([c.strip() for c in cells])
    return bool(hit.any())
