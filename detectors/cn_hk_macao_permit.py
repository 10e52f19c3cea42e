"""港澳居民来往内地通行证 (Mainland Travel Permit for Hong Kong and Macao Residents, 回乡证).

``H`` (Hong Kong) or ``M`` (Macao) + 8 digits, followed on the card by 2 digits counting the
re-issues (``H12345678 01``); the detector accepts both.

>>> is_valid("H12345678"), is_valid("M1234567801"), is_valid("H1234567")
(True, True, False)
>>> mask("H1234567801")
'H********01'
"""

from __future__ import annotations

import re

from detectors.base import Detector, digits_text_pattern, upper_compact

ENTITY = "CN_HK_MACAO_PERMIT"
SENSITIVE = True
CATEGORY = "identity_document"

PATTERN = r"[HM]\d{8}(?:\d{2})?"
HEADER_WORDS = ("回乡证", "港澳居民来往内地", "港澳通行证号", "来往内地通行证", "homereturn", "hkmacaopermit")
HEADER_EXACT = ("hxz", "hxzh")


def mask(value: str) -> str:
    return value[0] + "*" * (len(value) - 3) + value[-2:] if len(value) >= 9 else "*" * len(value)


def compact(number: str) -> str:
    return re.sub(r"[\s\-()]", "", number).upper()


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="港澳居民来往内地通行证 — mainland travel permit for HK/Macao residents (H/M + 8 digits)",
    pattern=PATTERN,
    normalise=upper_compact,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=("订单", "order", "批次", "型号", "model", "sku"),
    person_key=True,
    identity=True,
    min_share=0.9,
    priority=78,
    examples=("H12345678",),
    text_pattern=digits_text_pattern(PATTERN),
    context_words=("回乡证", "通行证"),
    text_score=0.3,
)

is_valid = DETECTOR.is_valid
