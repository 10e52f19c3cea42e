"""台湾居民来往大陆通行证 (Mainland Travel Permit for Taiwan Residents, 台胞证).

Eight digits since the 2015 card (older booklets: 8 digits plus a 2-digit re-issue count, or a
letter and digits). Eight digits are far too common to recognise on their own: the header must
say 台胞证 (or an equivalent) and the values must have the shape.

>>> is_valid("12345678"), is_valid("1234567801"), is_valid("1234567")
(True, True, False)
>>> mask("12345678")
'******78'
"""

from __future__ import annotations

import re

from detectors.base import Detector, upper_compact

ENTITY = "CN_TAIWAN_PERMIT"
SENSITIVE = True
CATEGORY = "identity_document"

HEADER_PATTERN = r"\d{8}(?:\d{2})?|[A-Z]\d{7,9}"
HEADER_WORDS = ("台胞证", "台湾居民来往大陆", "台湾通行证", "taiwanpermit", "mtp", "taibaozheng")
HEADER_EXACT = ("tbz", "tbzh", "tbzhm")


def mask(value: str) -> str:
    return "*" * (len(value) - 2) + value[-2:] if len(value) >= 8 else "*" * len(value)


def compact(number: str) -> str:
    return re.sub(r"[\s\-()]", "", number).upper()


def is_valid(number: str) -> bool:
    return re.fullmatch(HEADER_PATTERN, compact(number)) is not None


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="台湾居民来往大陆通行证 — mainland travel permit for Taiwan residents (8 digits; header needed)",
    pattern=None,
    normalise=upper_compact,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_pattern=HEADER_PATTERN,
    requires_header=True,
    person_key=True,
    identity=True,
    priority=70,
    examples=("12345678",),
    in_free_text=False,
)
