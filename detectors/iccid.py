"""ICCID (SIM card serial number, ITU-T E.118) of a Chinese SIM.

``89`` (telecom) + ``86`` (China) + an issuer code and serial, 19 or 20 characters; the 20-digit
form ends in a Luhn check digit. Some operators print a trailing letter in the 19-digit form.

>>> is_valid("89860012345678901238"), is_valid("89860012345678901237"), is_valid("8986001234567890123")
(True, False, True)
>>> mask("89860012345678901238")
'898600**********1238'
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, digits_text_pattern, keep_ends_mask, upper_compact
from detectors.checks import luhn

ENTITY = "ICCID"
SENSITIVE = False
CATEGORY = "device"

PATTERN = r"8986\d{15,16}|8986\d{14}[0-9A-F]"
HEADER_WORDS = ("iccid", "sim卡号", "sim卡", "simcard", "集成电路卡识别码")
HEADER_EXACT = ("iccid", "sim")

mask = keep_ends_mask(6, 4)


def validate_array(values: pa.Array) -> np.ndarray:
    """Luhn on the 20-digit form; the 19-character form carries no check."""
    lengths = pc.utf8_length(values).to_numpy(zero_copy_only=False)
    out = np.ones(len(values), dtype=bool)
    idx = np.flatnonzero(lengths == 20)
    if len(idx):
        out[idx] = luhn(values.take(pa.array(idx)))
    return out


def is_valid(number: str) -> bool:
    number = re.sub(r"[\s\-]", "", number).upper()
    return re.fullmatch(PATTERN, number) is not None and bool(validate_array(pa.array([number]))[0])


DETECTOR = Detector(
    digit_checksum=True,
    entity=ENTITY,
    thing_key="device",
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="ICCID — SIM card number (8986 + 15-16 digits, Luhn on 20 digits)",
    pattern=PATTERN,
    validate=validate_array,
    normalise=upper_compact,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=("imei", "imsi", "订单", "order"),
    person_key=False,  # identifies a device, vehicle or many people: not a person on its own
    min_share=0.9,
    priority=86,
    examples=("89860012345678901238",),
    text_pattern=digits_text_pattern(PATTERN),
    context_words=("iccid", "sim"),
    text_score=0.5,
)
