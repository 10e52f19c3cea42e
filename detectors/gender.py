"""性别 (gender).

Values 男 / 女 (also 男性, 女性, 先生, 女士), male / female and M / F label a column on their own
when nearly all values are such; numeric codes (GB/T 2261.1: 1 male, 2 female, 0 unknown, 9
unstated) only under a header that says 性别.

>>> is_valid("男"), is_valid("Female"), is_valid("M"), is_valid("1")
(True, True, True, False)
>>> mask("女")
'*'
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, strip_whitespace

ENTITY = "GENDER"
SENSITIVE = False
CATEGORY = "identity"

PATTERN = r"男|女|男性|女性|先生|女士|male|female|m|f|man|woman"
HEADER_PATTERN = r"[0129]|未知|未说明|其他|unknown|u|other|x"
HEADER_WORDS = ("性别", "gender", "sex", "xingbie")
HEADER_EXACT = ("xb", "xingb")


def mask(value: str) -> str:
    return "*"


def normalise(values: pa.Array) -> pa.Array:
    return pc.utf8_lower(strip_whitespace(values))


def is_valid(value: str) -> bool:
    return re.fullmatch(PATTERN, value.strip().lower()) is not None


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="性别 — gender (男/女, male/female, M/F; numeric codes under a header)",
    pattern=PATTERN,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_pattern=HEADER_PATTERN,
    header_negative=("尺码", "size", "型号"),
    min_share=0.95,
    priority=25,
    examples=("男",),
    in_free_text=False,
)
