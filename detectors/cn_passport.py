"""护照号码 (passport number of the People's Republic of China).

Ordinary passports: ``E`` + 8 digits (2012 e-passport), ``E`` + a letter (A-F...) + 7 digits
once the digit series ran out, and ``G`` + 8 digits (older ordinary passports). Official
passports: ``D``, ``S`` or ``P`` + ``E`` + 7 digits (diplomatic, service, public affairs). Hong
Kong and Macao SAR passports (``K``/``MA``...) are left to a header.

>>> is_valid("E12345678"), is_valid("EA1234567"), is_valid("G12345678"), is_valid("DE1234567")
(True, True, True, True)
>>> is_valid("A12345678"), is_valid("E1234567")
(False, False)
>>> mask("E12345678")
'E******78'
"""

from __future__ import annotations

import re

from detectors.base import Detector, digits_text_pattern, upper_compact

ENTITY = "CN_PASSPORT"
SENSITIVE = True
CATEGORY = "identity_document"

PATTERN = r"[EG]\d{8}|E[A-HJ-NP-Z]\d{7}|[DSP]E\d{7}"
# Under a passport header: SAR and foreign passports (a letter or two and 6-9 digits).
HEADER_PATTERN = r"[A-Z]{1,2}\d{6,9}|\d{8,9}"
HEADER_WORDS = ("护照", "passport", "huzhao")
HEADER_EXACT = ("hzh", "hzhm", "hz", "passportno", "ppno")


def mask(value: str) -> str:
    return value[0] + "*" * (len(value) - 3) + value[-2:] if len(value) >= 8 else "*" * len(value)


def compact(number: str) -> str:
    return re.sub(r"[\s\-]", "", number).upper()


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="护照号码 — passport number (E/G + 8 digits, EA-EF + 7, DE/SE/PE + 7)",
    pattern=PATTERN,
    normalise=upper_compact,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_pattern=HEADER_PATTERN,
    header_negative=("订单", "order", "批次", "型号", "model", "sku"),
    person_key=True,
    identity=True,
    min_share=0.9,
    priority=80,
    examples=("E12345678",),
    text_pattern=digits_text_pattern(PATTERN),
    context_words=("护照", "passport"),
    text_score=0.3,
)

is_valid = DETECTOR.is_valid
