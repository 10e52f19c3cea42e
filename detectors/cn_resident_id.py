"""居民身份证号码 (Resident Identity Card number, GB 11643-1999).

An 18-character number: a 6-digit administrative region code, the birth date as YYYYMMDD, a
3-digit sequence (odd for men, even for women) and a check character. The check is ISO 7064
MOD 11-2: the weighted sum of the first 17 digits, weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
modulo 11 indexes "10X98765432". Legacy 15-digit numbers (before 1999) carry a YYMMDD birth date
in the 19xx century and no check character; they are upgraded to 18 digits for comparison.

Residence permits for Hong Kong, Macao and Taiwan residents (港澳台居民居住证, since 2018) use
the same format with region codes 810000, 820000 and 830000.

We do *not* reject a number because its county code is unknown: county codes change over time
and old codes stay valid on old cards (a well-known library rejects many real numbers that way).
Only the province prefix is checked.

>>> compact(" 11010519491231002x ")
'11010519491231002X'
>>> is_valid("11010519491231002X")
True
>>> is_valid("11010519491231002Y")
False
>>> is_valid("110105194902300021")   # 30 February
False
>>> to_18("110105491231002")
'11010519491231002X'
>>> mask("11010519491231002X")
'110105********002X'
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, digits_matrix, digits_text_pattern, keep_ends_mask, remove_separators
from detectors.checks import valid_ymd

ENTITY = "CN_RESIDENT_ID"
SENSITIVE = True
CATEGORY = "identity_document"

PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91]
)
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)

PATTERN = r"[1-9]\d{5}(?:(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9X]|\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})"

HEADER_WORDS = (
    "身份证", "身份证号", "身份证号码", "证件号", "证件号码", "公民身份号码", "居民身份证", "身份号码",
    "idcard", "idno", "idnumber", "residentid", "nationalid", "citizenid", "shenfenzheng",
    "证照号码", "居住证", "社会保障号", "社保号",
)
HEADER_EXACT = ("sfzh", "sfz", "sfzhm", "zjhm", "zjh", "id", "gmsfhm", "cardid")


def compact(number: str) -> str:
    """Remove spaces and dashes and upper-case the check character."""
    return "".join(number.split()).replace("-", "").upper()


def _birth_date(number: str) -> _dt.date | None:
    try:
        if len(number) == 18:
            return _dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        return _dt.date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return None


def check_char(first17: str) -> str:
    total = sum(int(d) * int(w) for d, w in zip(first17, WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def is_valid(number: str, today: _dt.date | None = None) -> bool:
    """Whether ``number`` is a plausible resident ID (format, province, date, check)."""
    number = compact(number)
    if len(number) not in (15, 18) or not number[:17 if len(number) == 18 else 15].isdigit():
        return False
    if int(number[:2]) not in PROVINCES:
        return False
    born = _birth_date(number)
    if born is None or born > (today or _dt.date.today()) or born.year < 1880:
        return False
    return len(number) == 15 or check_char(number[:17]) == number[17]


def to_18(number: str) -> str:
    """Upgrade a 15-digit number to its 18-digit form (19xx century, computed check)."""
    number = compact(number)
    if len(number) == 18:
        return number
    first17 = number[:6] + "19" + number[6:]
    return first17 + check_char(first17)


def birth_date(number: str) -> _dt.date | None:
    """The holder's birth date, or None for an invalid number."""
    return _birth_date(compact(number)) if is_valid(number) else None


mask = keep_ends_mask(6, 4)


# --- vectorised forms -------------------------------------------------------------------------

def normalise(values: pa.Array) -> pa.Array:
    return pc.utf8_upper(remove_separators(values))


_valid_dates = valid_ymd


def validate_array(values: pa.Array) -> np.ndarray:
    """Vectorised :func:`is_valid` over values that already match :data:`PATTERN`."""
    lengths = pc.binary_length(values).to_numpy(zero_copy_only=False)
    out = np.zeros(len(values), dtype=bool)
    for width in (18, 15):
        select = lengths == width
        if not select.any():
            continue
        idx = np.flatnonzero(select)
        same = values if len(idx) == len(values) else values.take(pa.array(idx))
        m = digits_matrix(same, width)
        digits = m.astype(np.int16) - 48
        ok = _PROVINCE_OK[np.clip(digits[:, 0] * 10 + digits[:, 1], 0, 99)]
        if width == 18:
            year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
            month = digits[:, 10] * 10 + digits[:, 11]
            day = digits[:, 12] * 10 + digits[:, 13]
            # float32 products are exact here (sums < 2**24) and run as BLAS.
            total = (digits[:, :17].astype(np.float32) @ _WEIGHTS_F).astype(np.int32)
            ok &= CHECK_CHARS[total % 11] == m[:, 17]
        else:
            year = 1900 + digits[:, 6] * 10 + digits[:, 7]
            month = digits[:, 8] * 10 + digits[:, 9]
            day = digits[:, 10] * 10 + digits[:, 11]
        ok &= _valid_dates(year.astype(np.int32), month.astype(np.int32), day.astype(np.int32))
        out[idx] = ok
    return out


_PROVINCE_OK = np.isin(np.arange(100), list(PROVINCES))
_WEIGHTS_F = WEIGHTS.astype(np.float32)


def canonical_array(values: pa.Array) -> pa.Array:
    """Upgrade 15-digit numbers to 18 digits so that both forms of one person link.

    >>> canonical_array(pa.array(["110105491231002", "11010519491231002X", None])).to_pylist()
    ['11010519491231002X', '11010519491231002X', None]
    """
    lengths = pc.utf8_length(values).fill_null(0).to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(lengths == 15)
    if not len(idx):
        return values
    digits = digits_matrix(values.take(pa.array(idx)), 15).astype(np.int64) - 48
    first17 = np.concatenate([digits[:, :6], np.tile([1, 9], (len(idx), 1)), digits[:, 6:]], axis=1)
    check = CHECK_CHARS[(first17 * WEIGHTS).sum(axis=1) % 11]
    upgraded = np.concatenate([(first17 + 48).astype(np.uint8), check[:, None]], axis=1)
    strings = upgraded.view("S18").ravel().astype(str)
    is_15 = np.zeros(len(values), dtype=bool)
    is_15[idx] = True
    return pc.replace_with_mask(values, pa.array(is_15), pa.array(strings, pa.string()))


def birth_dates_array(values: pa.Array) -> pa.Array:
    """Birth dates (date32) of valid, normalised numbers."""
    canon = canonical_array(values)
    ymd = pc.utf8_slice_codeunits(canon, 6, 14)
    return pc.strptime(ymd, format="%Y%m%d", unit="s", error_is_null=True).cast(pa.date32())


DETECTOR = Detector(
    digit_checksum=True,
    entity=ENTITY,
    value_check=is_valid,
    birth_date_in_key=True,
    birth_dates=birth_dates_array,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="居民身份证号 / 港澳台居民居住证 — resident identity card number (GB 11643)",
    pattern=PATTERN,
    validate=validate_array,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=("订单", "order", "流水", "批次", "运单", "waybill", "统一社会信用", "uscc"),
    person_key=True,
    identity=True,
    canonical=canonical_array,
    priority=100,
    examples=("11010519491231002X",),
    text_pattern=digits_text_pattern(PATTERN.replace("[0-9X]", "[0-9Xx]")),
    text_score=0.4,
)
