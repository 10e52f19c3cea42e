"""往来港澳通行证 (Exit-Entry Permit for Travelling to and from Hong Kong and Macao).

Issued to mainland residents. The card form since 2014: ``C`` + a letter (no I/O) + 7 digits;
the older booklet: ``C`` + 8 digits; the 2001-2014 "W" series: ``W`` + 8 digits.

>>> is_valid("CA1234567"), is_valid("C12345678"), is_valid("CI1234567")
(True, True, False)
>>> mask("CA1234567")
'CA*****67'
"""

from __future__ import annotations

import re

from detectors.base import Detector, digits_text_pattern, upper_compact

ENTITY = "CN_EXIT_ENTRY_PERMIT"
SENSITIVE = True
CATEGORY = "identity_document"

PATTERN = r"C[A-HJ-NP-Z]\d{7}|C\d{8}|W\d{8}"
HEADER_WORDS = ("往来港澳", "港澳通行证", "赴港澳", "出入境通行证", "exitentry", "eep", "twoway")
HEADER_EXACT = ("wlgatxz", "txzh")


def mask(value: str) -> str:
    return value[:2] + "*" * (len(value) - 4) + value[-2:] if len(value) >= 9 else "*" * len(value)


def compact(number: str) -> str:
    return re.sub(r"[\s\-]", "", number).upper()


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="往来港澳通行证 — exit-entry permit to HK/Macao (C + letter + 7 digits)",
    pattern=PATTERN,
    normalise=upper_compact,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=("订单", "order", "批次", "型号", "model", "sku", "回乡证", "来往内地"),
    person_key=True,
    identity=True,
    min_share=0.9,
    priority=77,
    examples=("CA1234567",),
    text_pattern=digits_text_pattern(PATTERN),
    context_words=("通行证", "港澳"),
    text_score=0.3,
)

is_valid = DETECTOR.is_valid
