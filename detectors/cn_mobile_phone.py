"""手机号码 (mainland China mobile number).

Eleven digits starting ``1[3-9]``, often written with a country prefix (``+86``, ``0086``,
``86-``) and spaces or dashes (``138 0013 8000``). There is no checksum, so:

* 90% of the values must match: an 11-digit batch-code column whose codes merely start with 1
  has its second digit spread over 0-9 (only 70% match);
* the numbers must spread over many number blocks (the first 7 digits): consecutive batch codes
  or serials all sit in one or two blocks (``column_check``).

>>> compact("+86 138-0013-8000")
'13800138000'
>>> is_valid("13800138000"), is_valid("12800138000")
(True, False)
>>> mask("13800138000")
'138****8000'
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, remove_separators, replace_regex

ENTITY = "CN_MOBILE_PHONE"
SENSITIVE = False
CATEGORY = "contact"

PATTERN = r"1[3-9]\d{9}"
_PREFIX = r"^(?:\+?86|0086)(1\d{10})$"
TEXT_PATTERN = r"(?<![0-9A-Za-z])(?:(?:\+86|0086|86)[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![0-9A-Za-z])"

HEADER_WORDS = (
    "手机", "手机号", "手机号码", "联系电话", "电话", "联系方式", "移动电话", "mobile", "cellphone",
    "phone", "telephone", "contactnumber", "shouji", "dianhua", "联系人电话", "手机号码",
)
HEADER_EXACT = ("sjh", "sjhm", "lxdh", "dh", "lxfs", "mobileno", "phoneno", "tel", "sj", "yddh")


def compact(number: str) -> str:
    number = re.sub(r"[\s\-()]", "", number)
    m = re.match(r"^(?:\+?86|0086)(1\d{10})$", number)
    return m.group(1) if m else number


def is_valid(number: str) -> bool:
    return re.fullmatch(PATTERN, compact(number)) is not None


def mask(value: str) -> str:
    value = compact(value)
    if len(value) != 11:
        return "*" * len(value)
    return value[:3] + "****" + value[-4:]


def normalise(values: pa.Array) -> pa.Array:
    values = remove_separators(values, "[\\s\\-()（）\u3000\u00a0]")
    return replace_regex(values, pattern=_PREFIX, replacement=r"\1")


def spread_over_blocks(valid: pa.Array) -> float:
    """Distinct number blocks (first 7 digits) per distinct number, on columns of 30+ numbers.

    Real phone numbers spread over thousands of blocks (about 1.0); consecutive codes share one.

    >>> spread_over_blocks(pa.array([str(13900000000 + i) for i in range(100)]))
    0.01
    """
    distinct = pc.unique(valid)
    if len(distinct) < 30:
        return 1.0
    blocks = pc.unique(pc.utf8_slice_codeunits(distinct, 0, 7))
    return round(len(blocks) / len(distinct), 4)


DETECTOR = Detector(
    entity=ENTITY,
    value_check=is_valid,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="手机号码 — mainland mobile number (+86 / 0086 / 86- prefixes, spaces, dashes)",
    pattern=PATTERN,
    validate=None,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=("批次", "batch", "订单", "order", "时间", "time", "型号", "编码", "code"),
    person_key=True,
    min_share=0.9,
    priority=50,
    examples=("13800138000",),
    column_check=lambda valid: 1.0 if spread_over_blocks(valid) >= 0.3 else 0.0,
    text_pattern=TEXT_PATTERN,
    context_words=("手机", "电话", "联系", "致电", "tel", "mobile", "phone"),
    text_score=0.5,
)
