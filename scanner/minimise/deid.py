"""De-identifying one column of a batch: generalise, pseudonymise, mask.

Each function takes an Arrow array and returns a new one of the same length; nulls stay null,
and a value that a rule cannot handle becomes null (it is emptied, never passed through raw).
Everything that meets the data is an Arrow kernel (RE2) or numpy; the one per-value step is the
keyed hash, run once per distinct value of a batch.

Generalisation rules (``--generalise COLUMN=RULE``):

============  ==================================================================================
``year``      a date (birth date) → its year: ``1990-01-31``, ``1990/1/31``, ``19900131``,
              ``1990年1月31日`` → ``1990``; date and timestamp columns → an integer year
``month``     a date → ``YYYY-MM``
``city``      a Chinese address → its city (prefecture level, with the province when written):
              ``广东省深圳市南山区…`` → ``广东省深圳市``; the four municipalities → ``北京市`` …;
              an address with a province and no city keeps the province; else emptied
``province``  a Chinese address → its province (or municipality, or SAR)
``grid``      a latitude or longitude → the south-west corner of a 0.1° cell (``grid:0.01`` for
              another cell size); text that is not a number is emptied
``band``      an age → its band: ``0-13`` (every child under 14 alike, so a child stays a child),
              ``14-17``, ``18-19``, then decades ``20-29`` … ``90-99`` and ``100+``; a range by
              its lower end, as the age detector reads it; text that is no age is emptied
============  ==================================================================================

Pseudonyms are keyed BLAKE2b over the column's entity and the value's canonical form (the
detector's, so ``138 0013 8000`` and ``13800138000`` get one pseudonym), printed as ``ps_`` and
24 hex digits: the same value and key give the same pseudonym in every file and run, so joins
still work; without the key nothing leads back to the value. A pseudonym is still personal
information (PIPL Art 4 and 73): the key holder can re-identify.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, strip_whitespace

GENERALISATION_RULES = ("year", "month", "city", "province", "grid", "band")
DEFAULT_GRID = 0.1
PSEUDONYM_PREFIX = "ps_"
PSEUDONYM_BYTES = 12
_PERSON = b"chujing.pseudo"

_PROVINCE = r"(?:[^\s省市区县]{2,7}?(?:省|自治区)|香港特别行政区|澳门特别行政区)"
_YEAR_RE = r"^(?P<v>(?:18|19|20)\d{2})(?:[-/.年]|\d{4}(?:$|\D)|$)"
_MONTH_RE = r"^(?P<v>(?:18|19|20)\d{2})[-/.年]?(?P<m>0?[1-9]|1[0-2])(?:[-/.月]|\d{2}(?:$|\D)|$)"


class RuleError(ValueError):
    """A generalisation rule that does not exist or does not fit the column."""


def parse_rule(rule: str) -> tuple[str, float | None]:
    """``grid:0.01`` → ("grid", 0.01); ``year`` → ("year", None).

    >>> parse_rule("grid"), parse_rule("grid:0.01"), parse_rule("city")
    (('grid', 0.1), ('grid', 0.01), ('city', None))
    """
    name, _, arg = rule.strip().partition(":")
    name = name.lower()
    if name not in GENERALISATION_RULES:
        raise RuleError(f"unknown generalisation rule {rule!r} (rules: {', '.join(GENERALISATION_RULES)})")
    if name == "grid":
        try:
            step = float(arg) if arg else DEFAULT_GRID
        except ValueError:
            raise RuleError(f"grid step {arg!r} is not a number") from None
        if not 0 < step <= 90:
            raise RuleError(f"grid step {arg!r} must be between 0 and 90 degrees")
        return name, step
    if arg:
        raise RuleError(f"the rule {name!r} takes no argument")
    return name, None


def rule_for_entity(entity: str | None) -> str | None:
    """The generalisation the plan proposes for an entity, if any."""
    return {"BIRTH_DATE": "year", "CN_ADDRESS": "city", "GEO_LATITUDE": "grid", "GEO_LONGITUDE": "grid",
            "AGE": "band"}.get(entity or "")


def _text(values: pa.Array) -> pa.Array:
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_large_string(values.type):
        return values.cast(pa.string())
    if pa.types.is_dictionary(values.type):
        return _text(values.cast(values.type.value_type))
    if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
        return pc.cast(values, pa.string(), safe=False)
    if pa.types.is_floating(values.type):
        # 13800138000.0 (a phone stored as a float) is written without its ".0"
        whole = pc.equal(values, pc.floor(values)).fill_null(False)
        as_int = pc.if_else(whole, pc.cast(values, pa.int64(), safe=False).cast(pa.string()), pa.scalar(None, pa.string()))
        return pc.coalesce(as_int, values.cast(pa.string()))
    return values.cast(pa.string())


def generalise(values: pa.Array, rule: str) -> pa.Array:
    """Apply one generalisation rule to a column (see the module docstring).

    >>> generalise(pa.array(["1990-01-31", "2000/2/29", "19851231", "1990年1月1日", "bad", None]), "year").to_pylist()
    ['1990', '2000', '1985', '1990', None, None]
    >>> generalise(pa.array(["广东省深圳市南山区科技园", "北京市朝阳区建国路88号", "朝阳区某路"]), "city").to_pylist()
    ['广东省深圳市', '北京市', None]
    >>> generalise(pa.array([39.9042, -0.05, None]), "grid").to_pylist()
    [39.9, -0.1, None]
    >>> generalise(pa.array(["8岁", "13", "14", "19", "35", "10-20", "101", "abc", None]), "band").to_pylist()
    ['0-13', '0-13', '14-17', '18-19', '30-39', '0-13', '100+', None, None]
    """
    name, step = parse_rule(rule)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    t = values.type
    if name in ("year", "month") and (pa.types.is_date(t) or pa.types.is_timestamp(t)):
        if name == "year":
            return pc.year(values).cast(pa.int32())
        return pc.strftime(values, format="%Y-%m")
    if name == "grid":
        return _grid(values, step or DEFAULT_GRID)
    if name == "band":
        return _age_band(values)
    text = strip_whitespace(_text(values))
    if name == "year":
        # A match (RE2's DFA) and a fixed slice: far cheaper than extracting a group.
        ok = pc.match_substring_regex(text, _YEAR_RE).fill_null(False)
        return pc.if_else(ok, pc.utf8_slice_codeunits(text, 0, 4), pa.scalar(None, pa.string()))
    if name == "month":
        found = pc.extract_regex(text, _MONTH_RE)
        month = pc.utf8_lpad(pc.struct_field(found, "m"), width=2, padding="0")
        return pc.binary_join_element_wise(pc.struct_field(found, "v"), month, "-")
    return _region(text, name)


# Lower ends of the age bands: the first ends at 14, the age under which a child's information
# is sensitive (PIPL Art 28), so that a band read back as an age (by its lower end) is a child
# exactly when the age was.
_AGE_BANDS = np.array([0, 14, 18, 20, 30, 40, 50, 60, 70, 80, 90, 100])
_AGE_BAND_NAMES = pa.array([f"{lo}-{hi - 1}" for lo, hi in zip(_AGE_BANDS[:-1], _AGE_BANDS[1:], strict=True)] + ["100+"])


def _age_band(values: pa.Array) -> pa.Array:
    from detectors.age import ages_array, normalise

    ages = ages_array(normalise(_text(values))).fill_null(-1).to_numpy(zero_copy_only=False)
    band = np.searchsorted(_AGE_BANDS, ages, side="right") - 1
    return _AGE_BAND_NAMES.take(pa.array(band, mask=ages < 0))


_LEADING_COUNTRY = ("中华人民共和国", "中国")
_CITY_ENDS = ("市", "自治州", "地区", "盟")
_PROVINCE_ENDS = ("特别行政区", "自治区", "省")
_CITY_SHAPE = (f"^(?:{_PROVINCE})?[^\\s省市区县]{{1,9}}(?:市|自治州|地区|盟)")
_PROVINCE_SHAPE = f"^{_PROVINCE}"


def _region(text: pa.Array, level: str) -> pa.Array:
    """The city (or province) an address starts with, as a prefix of the value.

    Where the address has the expected shape (checked with one RE2 match), the prefix ends at
    the first city (province) suffix; the prefixes are cut out of the value bytes with numpy.
    """
    text = pc.cast(text, pa.string())
    for country in _LEADING_COUNTRY:
        lead = pc.starts_with(text, country).fill_null(False)
        if pc.any(lead).as_py():
            text = pc.if_else(lead, pc.utf8_slice_codeunits(text, len(country)), text)
    ends, shape = (_CITY_ENDS, _CITY_SHAPE) if level == "city" else (_PROVINCE_ENDS, _PROVINCE_SHAPE)
    out = _prefix_to_first(text, ends, pc.match_substring_regex(text, shape).fill_null(False))
    if level == "city":
        # An address with a province and no city keeps its province (few rows: only those).
        missing = pc.and_(pc.is_null(out), pc.is_valid(text)).to_numpy(zero_copy_only=False)
        if missing.any():
            rows = pa.array(np.flatnonzero(missing))
            some = text.take(rows)
            province = _prefix_to_first(some, _PROVINCE_ENDS, pc.match_substring_regex(some, _PROVINCE_SHAPE).fill_null(False))
            positions = np.full(len(text), -1, dtype=np.int64)
            positions[missing] = np.arange(len(some))
            out = pc.coalesce(out, province.take(pa.array(positions, mask=positions < 0)))
    # The four municipalities are cities and provinces at once: 北京市, however written.
    municipal = pc.match_substring_regex(text, "^(?:北京|上海|天津|重庆)").fill_null(False)
    if pc.any(municipal).as_py():
        name = pc.binary_join_element_wise(pc.utf8_slice_codeunits(text, 0, 2), pa.scalar("市"), "")
        out = pc.if_else(municipal, name, out)
    return out


def _prefix_to_first(text: pa.Array, ends: tuple[str, ...], ok: pa.Array) -> pa.Array:
    """For each value where ``ok``: the value up to and including the first of ``ends``; else null."""
    n = len(text)
    end = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    # The first suffix on every row; the rarer ones only on the rows that hold one of them.
    rare = pc.match_substring_regex(text, "|".join(ends[1:])).fill_null(False).to_numpy(zero_copy_only=False)
    rare_rows = np.flatnonzero(rare)
    for i, suffix in enumerate(ends):
        if i == 0:
            rows, subset = None, text
        else:
            if not len(rare_rows):
                break
            rows = rare_rows
            subset = text.take(pa.array(rows))
        at = pc.find_substring(subset, suffix).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        found = at >= 0
        idx = np.flatnonzero(found) if rows is None else rows[found]
        end[idx] = np.minimum(end[idx], at[found] + len(suffix.encode("utf-8")))
    valid = ok.to_numpy(zero_copy_only=False) & (end != np.iinfo(np.int64).max)
    return _byte_prefixes(text, np.where(valid, end, 0), valid)


def _byte_prefixes(text: pa.Array, lengths: np.ndarray, valid: np.ndarray) -> pa.Array:
    """A new string array of the first ``lengths[i]`` bytes of each value (null where not valid)."""
    text = text.cast(pa.string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    n = len(text)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset: text.offset + n + 1].astype(np.int64)
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8) if text.buffers()[2] is not None else np.zeros(0, np.uint8)
    lengths = np.where(valid, lengths, 0).astype(np.int64)
    new_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    width = int(lengths.max()) if n else 0
    if width == 0:
        body = np.zeros(0, np.uint8)
    elif n * width <= (64 << 20):
        # Each row's first ``width`` bytes side by side (a strided view, copied row by row),
        # then only the bytes before each row's length, in row order: its prefix.
        padded = np.concatenate([data, np.zeros(width, np.uint8)])
        windows = np.lib.stride_tricks.sliding_window_view(padded, width)
        matrix = windows[offsets[:-1]]
        body = matrix[np.arange(width) < lengths[:, None]]
    else:
        gather = np.arange(int(new_offsets[-1]), dtype=np.int64)
        gather += np.repeat(offsets[:-1] - new_offsets[:-1], lengths)
        body = data[gather]
    out = pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(new_offsets.astype(np.int32)),
                                                 pa.py_buffer(body.tobytes())])
    return pc.if_else(pa.array(valid), out, pa.scalar(None, pa.string()))


def _grid(values: pa.Array, step: float) -> pa.Array:
    numeric = pa.types.is_integer(values.type) or pa.types.is_floating(values.type) or pa.types.is_decimal(values.type)
    if numeric:
        x = values.cast(pa.float64())
    else:
        text = strip_whitespace(_text(values))
        ok = pc.match_substring_regex(text, r"^[+-]?(?:\d+\.?\d*|\.\d+)$").fill_null(False)
        x = pc.if_else(ok, text, pa.scalar(None, pa.string())).cast(pa.float64())
    digits = max(0, -int(np.floor(np.log10(step))) + 2)
    cell = pc.round(pc.multiply(pc.floor(pc.divide(x, step)), step), digits)
    return cell if numeric else cell.cast(pa.string())


def mask(values: pa.Array) -> pa.Array:
    """Hide the middle of each value: a quarter of it is kept at each end (at most), one
    character for short values; never the whole value.

    >>> mask(pa.array(["13800138000", "张三", "王", "110101199003071234", None])).to_pylist()
    ['13*******00', '张*', '*', '1101**********1234', None]
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = _text(values)
    lengths = pc.utf8_length(text).fill_null(0).to_numpy(zero_copy_only=False)
    out = pa.nulls(len(text), pa.string())
    for length in np.unique(lengths):
        rows = pa.array(lengths == length)
        if length == 0:
            out = pc.if_else(pc.and_(rows, pc.is_valid(text)), pa.scalar("", pa.string()), out)
            continue
        head = 0 if length == 1 else max(1, int(length) // 4)
        tail = int(length) // 4 if length >= 8 else 0
        stars = "*" * (int(length) - head - tail)
        masked = pc.utf8_replace_slice(text, start=head, stop=int(length) - tail, replacement=stars)
        out = pc.if_else(rows, masked, out)
    return pc.if_else(pc.is_valid(text), out, pa.scalar(None, pa.string()))


# --- pseudonyms -------------------------------------------------------------------------------

def canonical_values(values: pa.Array, detector: Detector | None) -> pa.Array:
    """The form a value is pseudonymised in: the detector's canonical key where the value is
    valid for it, else the value with surrounding whitespace removed. Empty text is null."""
    text = strip_whitespace(_text(values))
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    if detector is None or detector.pattern is None:
        return text
    ok, normalised = detector.valid_mask(text)
    if not ok.any():
        return text
    canonical = normalised
    if detector.person_key:
        canonical = detector.canonical_keys(normalised)
    canonical = _text(canonical)
    return pc.if_else(pa.array(ok), canonical, text)


class Pseudonymiser:
    """Keyed BLAKE2b pseudonyms: one key, the same pseudonym for the same value everywhere."""

    def __init__(self, key: bytes):
        if not 16 <= len(key) <= 64:
            raise ValueError("a pseudonym key holds 16 to 64 bytes")
        self._base = hashlib.blake2b(key=key, digest_size=PSEUDONYM_BYTES, person=_PERSON)
        self.key_id = hashlib.blake2b(b"chujing pseudonym key check", key=key, digest_size=8).hexdigest()

    def pseudonymise(self, values: pa.Array, namespace: str, detector: Detector | None = None) -> pa.Array:
        """Pseudonyms of a column's values (null stays null).

        >>> p = Pseudonymiser(bytes(range(32)))
        >>> a, b = p.pseudonymise(pa.array(["13800138000", " 13800138000 ", None]), "CN_MOBILE_PHONE").to_pylist()[:2]
        >>> a == b, a.startswith("ps_"), len(a)
        (True, True, 27)
        """
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        # Every value is hashed: in an export most values of an identifier column are distinct,
        # and finding the distinct ones first costs more than the hashes it saves.
        canonical = canonical_values(values, detector)
        base = self._base.copy()
        base.update(namespace.encode("utf-8") + b"\x1f")
        copy = base.copy
        # The one per-value step: bytes straight from Arrow, one copy-update-digest each; the
        # hex text is made with numpy afterwards. Nulls stay null.
        valid = canonical.is_valid()
        present = canonical.filter(valid) if canonical.null_count else canonical
        digests = bytearray()
        for value in present.cast(pa.binary()).to_pylist():
            h = copy()
            h.update(value)
            digests += h.digest()
        out = _pseudonym_strings(bytes(digests))
        if not canonical.null_count:
            return out
        positions = np.cumsum(valid.to_numpy(zero_copy_only=False)) - 1
        return pc.if_else(valid, out.take(pa.array(np.maximum(positions, 0))), pa.scalar(None, pa.string()))


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _pseudonym_strings(digests: bytes) -> pa.Array:
    """``ps_`` + hex of each PSEUDONYM_BYTES-long digest, as one fixed-width string array."""
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(-1, PSEUDONYM_BYTES)
    m = len(raw)
    width = len(PSEUDONYM_PREFIX) + 2 * PSEUDONYM_BYTES
    out = np.empty((m, width), dtype=np.uint8)
    out[:, :len(PSEUDONYM_PREFIX)] = np.frombuffer(PSEUDONYM_PREFIX.encode("ascii"), dtype=np.uint8)
    out[:, len(PSEUDONYM_PREFIX)::2] = _HEX[raw >> 4]
    out[:, len(PSEUDONYM_PREFIX) + 1::2] = _HEX[raw & 15]
    offsets = np.arange(0, (m + 1) * width, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), m, [None, pa.py_buffer(offsets), pa.py_buffer(out.tobytes())])


def load_or_create_key(path: str | os.PathLike) -> bytes:
    """The pseudonym key held in ``path`` (hex); a new random key is written there (mode 0600)
    when the file does not exist. A key file others can read is refused."""
    p = Path(path)
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    mode = p.stat().st_mode
    if mode & 0o077:
        raise ValueError(f"{p}: the key file can be read by other users; run: chmod 600 {p}")
    try:
        text = p.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError, UnicodeDecodeError):
        raise ValueError(f"{p}: cannot read the key file (it should hold one hex key)") from None
    if not 16 <= len(key) <= 64:
        raise ValueError(f"{p}: the key must hold 16 to 64 bytes (32 to 128 hex digits)")
    return key


def check_rule_fits(rule: str, arrow_type: pa.DataType) -> None:
    """Refuse a rule that cannot apply to a column's type (a city of a number...)."""
    name, _ = parse_rule(rule)
    if name in ("city", "province") and not (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
                                             or pa.types.is_dictionary(arrow_type)):
        raise RuleError(f"the rule {name!r} needs a text column, not {arrow_type}")


__all__ = ["GENERALISATION_RULES", "Pseudonymiser", "RuleError", "canonical_values", "check_rule_fits", "generalise",
           "load_or_create_key", "mask", "parse_rule", "rule_for_entity"]
