"""出生日期 (date of birth).

Dates are everywhere in an export (order dates, created-at times), so a column of dates is a
birth-date column only when the header says so, or when its dates look like births: valid
calendar dates, not in the future, spread over decades (the middle 80% span 10 years or more)
and mostly at least 10 years ago (``column_check``). Formats: ``1990-01-31``, ``1990/1/31``,
``1990.01.31``, ``1990年1月31日``, ``19900131`` (also as an integer), and date columns.

:func:`birth_dates_array` turns valid, normalised values into Arrow ``date32`` values for the
person counter (children under 14 are sensitive under PIPL Art 28).

>>> is_valid("1990年1月31日"), is_valid("1990-02-29"), is_valid("2000-02-29"), is_valid("19900131")
(True, False, True, True)
>>> birth_dates_array(normalise(pa.array(["1990/1/31", "20000229"]))).to_pylist()
[datetime.date(1990, 1, 31), datetime.date(2000, 2, 29)]
>>> mask("1990-01-31")
'1990-**-**'
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, replace_regexes, strip_whitespace
from detectors.checks import valid_ymd

ENTITY = "BIRTH_DATE"
SENSITIVE = False
CATEGORY = "identity"

PATTERN = r"(?:18|19|20)\d{2}(?:-\d{1,2}-\d{1,2}|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
_PARTS = r"^(?P<y>\d{4})-?(?P<m>\d{1,2})-?(?P<d>\d{1,2})$"
HEADER_WORDS = ("出生日期", "出生年月", "生日", "出生", "birth", "dob", "birthday", "dateofbirth", "shengri")
HEADER_EXACT = ("csrq", "sr", "csny", "bd")


def mask(value: str) -> str:
    return value[:4] + "".join("*" if c.isdigit() else c for c in value[4:])


def normalise(values: pa.Array) -> pa.Array:
    return replace_regexes(strip_whitespace(values), _REWRITES)


_REWRITES = ((r"(?:[ T]00:00(?::00(?:\.0+)?)?)$", ""), (r"[年月/.]", "-"), (r"日$", ""))


def _ymd(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    parts = pc.extract_regex(values, _PARTS)
    get = [pc.struct_field(parts, name) for name in ("y", "m", "d")]
    return tuple(pc.cast(g, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False) for g in get)  # type: ignore[return-value]


def validate_array(values: pa.Array) -> np.ndarray:
    return valid_ymd(*_ymd(values))


def birth_dates_array(values: pa.Array) -> pa.Array:
    """Birth dates (``date32``) of valid, normalised values; invalid ones become null."""
    y, m, d = _ymd(values)
    ok = valid_ymd(y, m, d)
    days = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
    idx = np.flatnonzero(ok)
    if len(idx):
        days[idx] = (
            (y[idx] - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (m[idx] - 1)
        ).astype("datetime64[D]") + (d[idx] - 1)
    return pa.array(days, type=pa.date32(), mask=~ok)


def looks_like_births(valid: pa.Array, today: _dt.date | None = None) -> float:
    """1.0 when a column's valid dates look like births (spread over decades, mostly 10+ years ago)."""
    y, _, _ = _ymd(valid)
    if len(y) < 10:
        return 0.0
    today = today or _dt.date.today()
    p10, p50, p90 = np.percentile(y, [10, 50, 90])
    return 1.0 if (p90 - p10 >= 10 and p50 <= today.year - 10) else 0.0




DETECTOR = Detector(
    entity=ENTITY,
    birth_dates=birth_dates_array,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="出生日期 — date of birth (header, or dates spread over decades)",
    pattern=PATTERN,
    validate=validate_array,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=("订单", "order", "创建", "create", "更新", "update", "登记", "注册", "register", "入职", "入院",
                     "出院", "就诊", "发生", "交易", "支付", "到期", "有效", "expire", "valid", "签发", "issue", "生产",
                     "出生地", "birthplace"),
    person_key=False,
    min_share=0.9,
    priority=30,
    examples=("1990-01-31",),
    column_check=looks_like_births,
    in_free_text=False,
)

is_valid = DETECTOR.is_valid
