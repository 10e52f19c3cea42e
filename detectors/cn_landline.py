"""固定电话 (mainland fixed-line number).

An area code (``010``, ``02x``, or 4 digits ``0[3-9]xx``) and a 7- or 8-digit subscriber number
that starts with 2-8, often written ``010-12345678``, ``(0755) 8888 1234``, ``（0351）89082910`` or with an extension
(``-801``, ``转801``), sometimes with ``+86`` and the area code's 0 dropped.

A landline read as an integer has lost its leading 0: only a header lets such a column count.

>>> compact("(010) 6552-9988 转 801")
'01065529988'
>>> is_valid("01065529988"), is_valid("075588881234"), is_valid("01015529988")
(True, True, False)
>>> mask("01065529988")
'010****9988'
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, replace_regexes

ENTITY = "CN_LANDLINE"
SENSITIVE = False
CATEGORY = "contact"

PATTERN = r"0(?:10|2\d)[2-8]\d{6,7}|0[3-9]\d{2}[2-8]\d{6,7}"
HEADER_PATTERN = r"[1-9]\d{8,11}|0\d{9,11}"
# the area code in ASCII or full-width parentheses: （0351）89082910 in prose
TEXT_PATTERN = r"(?<![0-9A-Za-z])(?:[(（]?0\d{2,3}[)）]?[- ]?[2-8]\d{2,3}[- ]?\d{4})(?![0-9A-Za-z])"
HEADER_WORDS = ("固定电话", "座机", "固话", "办公电话", "单位电话", "家庭电话", "住宅电话", "landline", "officephone",
                "homephone", "fixedline", "zuoji", "telephone", "联系电话", "电话")
HEADER_EXACT = ("gddh", "zj", "bgdh", "tel")



def compact(number: str) -> str:
    number = re.sub(r"\s", "", number)
    number = re.sub(r"(?:转|ext\.?|x|分机)\d{1,5}$", "", number, flags=re.I)
    number = re.sub(r"^(?:\+86|0086)-?", "0", re.sub(r"[()（）]", "", number))
    digits = re.sub(r"-", "", number)
    if len(digits) > 12 and "-" in number:  # 010-12345678-801: a dashed extension
        digits = re.sub(r"-", "", number.rsplit("-", 1)[0])
    return digits


def is_valid(number: str) -> bool:
    return re.fullmatch(PATTERN, compact(number)) is not None


def mask(value: str) -> str:
    value = compact(value)
    if len(value) < 10:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def normalise(values: pa.Array) -> pa.Array:
    return pc.replace_substring(replace_regexes(values, _REWRITES), pattern="-", replacement="")


_REWRITES = (
    ("[\\s\u3000()（）]", ""),
    (r"(?:转|(?i:ext)\.?|x|分机)\d{1,5}$", ""),
    (r"^(?:\+86|0086)-?0?", "0"),
    # a third dashed group is an extension: 010-65529988-801
    (r"^(0\d{2,3})-(\d{7,8})-\d{1,5}$", r"\1\2"),
)


DETECTOR = Detector(
    entity=ENTITY,
    value_check=is_valid,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="固定电话 — fixed-line number with area code (010-12345678, 0755 8888 1234)",
    pattern=PATTERN,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_pattern=HEADER_PATTERN,
    header_negative=("手机", "mobile", "批次", "订单", "order", "传真"),
    person_key=False,
    min_share=0.9,
    priority=45,
    examples=("010-65529988",),
    text_pattern=TEXT_PATTERN,
    context_words=("电话", "座机", "tel", "致电"),
    text_score=0.4,
)
