"""IMEI (International Mobile Equipment Identity, 3GPP TS 23.003).

Fifteen digits: an 8-digit Type Allocation Code, a 6-digit serial and a Luhn check digit
(IMEISV, 16 digits, has no check and needs a header). Written also with dashes or spaces
(``35-209900-176148-1``). The all-zero IMEI passes Luhn but is what a device without one reports
(emulators, a blank field): never valid, under a header either.

>>> is_valid("352099001761481"), is_valid("352099001761482")
(True, False)
>>> is_valid("000000000000000"), is_valid("00000000-000000-0")
(False, False)
>>> mask("352099001761481")
'35209900*****81'
"""

from __future__ import annotations

import re

import pyarrow as pa

from detectors.base import Detector, digits_text_pattern, keep_ends_mask, remove_separators
from detectors.checks import luhn
from detectors.cn_bank_card import is_luhn

ENTITY = "IMEI"
SENSITIVE = False
CATEGORY = "device"

PATTERN = r"\d{15}"
HEADER_PATTERN = r"\d{14,16}"
PLACEHOLDER = r"0+"
HEADER_WORDS = ("imei", "串号", "设备识别码", "手机串号", "meid", "imeisv")
HEADER_EXACT = ("imei", "imei1", "imei2", "ch")

mask = keep_ends_mask(8, 2)


def is_valid(number: str) -> bool:
    number = re.sub(r"[\s\-]", "", number)
    return (re.fullmatch(PATTERN, number) is not None and re.fullmatch(PLACEHOLDER, number) is None
            and bool(luhn(pa.array([number]))[0]))


def is_imei_in_text(number: str) -> bool:
    """An IMEI met in prose: 15 digits passing Luhn, spaces and dashes allowed."""
    number = re.sub(r"[\s\-]", "", number)
    return number.isdigit() and len(number) == 15 and is_luhn(number)


DETECTOR = Detector(
    digit_checksum=True,
    entity=ENTITY,
    value_check=is_imei_in_text,
    thing_key="device",
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="IMEI — mobile equipment identity (15 digits, Luhn)",
    pattern=PATTERN,
    validate=luhn,
    normalise=remove_separators,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_pattern=HEADER_PATTERN,
    placeholder=PLACEHOLDER,
    header_negative=("订单", "order", "批次", "imsi", "iccid", "流水"),
    person_key=False,  # identifies a device, vehicle or many people: not a person on its own
    min_share=0.9,
    priority=88,
    examples=("352099001761481",),
    text_pattern=digits_text_pattern(PATTERN),
    context_words=("imei", "串号"),
    text_score=0.3,
)
