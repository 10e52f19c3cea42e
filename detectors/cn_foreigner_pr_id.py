"""外国人永久居留身份证 (Foreign Permanent Resident ID Card number).

Two forms are in use:

* since December 2023, 18 digits: ``9``, the 2-digit province code of the issuing office, a
  3-digit nationality code, the birth date YYYYMMDD, a 3-digit sequence and a check character
  computed exactly as for the resident ID (ISO 7064 MOD 11-2);
* the old card (2004-2023): 15 characters, a 3-letter ISO 3166 nationality code, a 2-digit
  province code, the birth date YYMMDD and a 4-digit sequence with its check.

The new form would pass a resident-ID check with region "91": this detector runs first (higher
priority) so such values are read as what they are.

>>> is_valid("911840198502140019")
True
>>> is_valid("911840198502300019")   # 30 February
False
>>> is_valid("USA110812034567"), is_valid("US1110812034567")
(True, False)
>>> mask("911840198502140019")
'91184*********0019'
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, digits_matrix, digits_text_pattern, keep_ends_mask, upper_compact
from detectors.checks import mod11_2, number_at, valid_ymd

ENTITY = "CN_FOREIGNER_PR_ID"
SENSITIVE = True
CATEGORY = "identity_document"

NEW_PATTERN = r"9[1-8]\d{4}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9X]"
OLD_PATTERN = r"[A-Z]{3}\d{12}"
PATTERN = f"{NEW_PATTERN}|{OLD_PATTERN}"
PROVINCES = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
             50, 51, 52, 53, 54, 61, 62, 63, 64, 65)

HEADER_WORDS = ("永久居留", "永居证", "外国人居留", "绿卡", "permanentresiden", "greencard", "foreignerid", "prid")
HEADER_EXACT = ("yjjlz", "wgrjlz")

mask = keep_ends_mask(5, 4)


def compact(number: str) -> str:
    return re.sub(r"[\s\-]", "", number).upper()


def is_valid(number: str) -> bool:
    return bool(validate_array(pa.array([compact(number)]))[0]) if re.fullmatch(PATTERN, compact(number)) else False


def validate_array(values: pa.Array) -> np.ndarray:
    lengths = pc.utf8_length(values).to_numpy(zero_copy_only=False)
    out = np.zeros(len(values), dtype=bool)
    new = np.flatnonzero(lengths == 18)
    if len(new):
        sub = values.take(pa.array(new))
        d = digits_matrix(sub, 18).astype(np.int64) - 48
        ok = mod11_2(sub) & np.isin(number_at(d, 1, 2), PROVINCES)
        out[new] = ok & valid_ymd(number_at(d, 6, 4), number_at(d, 10, 2), number_at(d, 12, 2))
    old = np.flatnonzero(lengths == 15)
    if len(old):
        d = digits_matrix(values.take(pa.array(old)), 15).astype(np.int64) - 48
        ok = np.isin(number_at(d, 3, 2), PROVINCES)
        year = number_at(d, 5, 2)
        # the old card was issued from 2004: holders were born 19xx or 20xx
        year = np.where(year <= 25, 2000 + year, 1900 + year)
        out[old] = ok & valid_ymd(year, number_at(d, 7, 2), number_at(d, 9, 2))
    return out


DETECTOR = Detector(
    digit_checksum=True,
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="外国人永久居留身份证 — foreign permanent resident ID (18-digit 2023 form, 15-character old form)",
    pattern=PATTERN,
    validate=validate_array,
    normalise=upper_compact,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=("订单", "order", "统一社会信用", "uscc"),
    person_key=True,
    identity=True,
    priority=105,
    examples=("911840198502140019", "USA110812034567"),
    text_pattern=digits_text_pattern(PATTERN),
    text_score=0.4,
)
