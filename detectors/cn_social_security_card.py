"""社会保障卡号 (social security card number).

The social security *number* is the holder's resident ID number (read by
:mod:`detectors.cn_resident_id`). The card itself carries a 9-character card number (a letter
or digit and 8 digits, e.g. ``A12345678``) that has no public check: the header must say
社保卡 and the values must have the shape.

>>> is_valid("A12345678"), is_valid("123456789"), is_valid("A1234567")
(True, True, False)
>>> mask("A12345678")
'A******78'
"""

from __future__ import annotations

import re

from detectors.base import Detector, upper_compact

ENTITY = "CN_SOCIAL_SECURITY_CARD"
SENSITIVE = True
CATEGORY = "identity_document"

HEADER_PATTERN = r"[0-9A-Z]\d{8}|[A-Z]{2}\d{7}"
HEADER_WORDS = ("社保卡", "社会保障卡", "社保卡号", "社会保障卡号", "医保卡号", "socialsecuritycard", "sscard", "sicard")
HEADER_EXACT = ("sbkh", "shbzkh", "ybkh")


def mask(value: str) -> str:
    return value[0] + "*" * (len(value) - 3) + value[-2:] if len(value) >= 8 else "*" * len(value)


def is_valid(number: str) -> bool:
    return re.fullmatch(HEADER_PATTERN, re.sub(r"[\s\-]", "", number).upper()) is not None


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="社会保障卡号 — social security card number (9 characters; header needed)",
    pattern=None,
    normalise=upper_compact,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_pattern=HEADER_PATTERN,
    requires_header=True,
    person_key=True,
    identity=True,
    priority=67,
    examples=("A12345678",),
    in_free_text=False,
)
