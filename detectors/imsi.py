"""IMSI (International Mobile Subscriber Identity) of a Chinese operator.

Fifteen digits: mobile country code 460, a 2-digit network code of China Mobile (00 02 04 07 08
13), China Unicom (01 06 09 10), China Telecom (03 05 11 12) or China Broadnet (15) and a
10-digit subscriber number.

>>> is_valid("460001234567890"), is_valid("461001234567890"), is_valid("460991234567890")
(True, False, False)
>>> mask("460001234567890")
'46000********90'
"""

from __future__ import annotations

import re

from detectors.base import Detector, digits_text_pattern, keep_ends_mask, remove_separators

ENTITY = "IMSI"
SENSITIVE = False
CATEGORY = "device"

PATTERN = r"460(?:0[0-9]|1[0-35]|20)\d{10}"
HEADER_WORDS = ("imsi", "用户识别码", "国际移动用户识别码")
HEADER_EXACT = ("imsi",)

mask = keep_ends_mask(5, 2)


def is_valid(number: str) -> bool:
    return re.fullmatch(PATTERN, re.sub(r"[\s\-]", "", number)) is not None


DETECTOR = Detector(
    entity=ENTITY,
    value_check=is_valid,
    thing_key="device",
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="IMSI — mobile subscriber identity (460 + network code + 10 digits)",
    pattern=PATTERN,
    normalise=remove_separators,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=("imei", "iccid", "订单", "order"),
    person_key=False,  # identifies a device, vehicle or many people: not a person on its own
    min_share=0.9,
    priority=87,
    examples=("460001234567890",),
    text_pattern=digits_text_pattern(PATTERN),
    context_words=("imsi",),
    text_score=0.4,
)
