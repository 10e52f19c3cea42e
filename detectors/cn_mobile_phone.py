"""手机号码 (mainland China mobile number).

Eleven digits, ``1[3-9]`` followed by nine digits, often written with a country prefix
(``+86``, ``0086``, ``86-``) and spaces or dashes (``138 0013 8000``). There is no checksum,
so the value pattern is strict about the prefix and a column is only labelled when most of its
values match: an 11-digit batch code column whose codes merely *start* with 1 shows a low share
of ``1[3-9]`` and a tell-tale spread of second digits (see ``validate_array``).

>>> compact("+86 138-0013-8000")
'13800138000'
>>> is_valid("13800138000"), is_valid("12800138000")
(True, False)
>>> mask("13800138000")
'138****8000'
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, remove_separators

ENTITY = "CN_MOBILE_PHONE"
SENSITIVE = False
CATEGORY = "contact"

PATTERN = r"1[3-9]\d{9}"
_PREFIX = r"^(?:\+?86|0086)(1[3-9]\d{9})$"

HEADER_WORDS = (
    "手机", "手机号", "手机号码", "联系电话", "电话", "联系方式", "移动电话", "mobile", "cellphone",
    "phone", "tel", "telephone", "contactnumber", "shouji", "dianhua",
)
HEADER_EXACT = ("sjh", "sjhm", "lxdh", "dh", "lxfs", "mobileno", "phoneno")


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
    return pc.replace_substring_regex(values, pattern=_PREFIX, replacement=r"\1")


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="手机号码 — mainland mobile number (+86 / 0086 / 86- prefixes, spaces, dashes)",
    pattern=PATTERN,
    validate=None,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=("批次", "batch", "订单", "order", "时间", "time", "紧急联系人"),
    person_key=True,
    min_share=0.9,
    priority=50,
    examples=("13800138000",),
)
