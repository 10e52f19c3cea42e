"""统一社会信用代码 (Unified Social Credit Code, GB 32100-2015).

Eighteen characters over the alphabet ``0-9A-HJ-NPQRTUWXY`` (no I, O, S, V, Z): a registration
authority code, an organisation type, the 6-digit region code, the 9-character organisation code
and a check character: weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28, check =
(31 − Σ mod 31) mod 31 over the alphabet.

An organisation, not a person: recognising it keeps company codes from being read as ID numbers
or order numbers as anything personal.

>>> is_valid("91110000600037341L")
True
>>> is_valid("91110000600037341M")
False
>>> mask("91110000600037341L")
'911100********341L'
"""

from __future__ import annotations

import re

from detectors.base import Detector, digits_text_pattern, keep_ends_mask, upper_compact
from detectors.checks import uscc

ENTITY = "CN_USCC"
SENSITIVE = False
CATEGORY = "organisation"

PATTERN = r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}"
HEADER_WORDS = ("统一社会信用代码", "信用代码", "社会信用代码", "纳税人识别号", "税号", "uscc", "creditcode", "taxid")
HEADER_EXACT = ("tyshxydm", "xydm", "nsrsbh")

mask = keep_ends_mask(6, 4)


def compact(number: str) -> str:
    return re.sub(r"[\s\-]", "", number).upper()


_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def is_valid(number: str) -> bool:
    """One value, in plain Python (the vectorised check is :func:`detectors.checks.uscc`)."""
    number = compact(number)
    if re.fullmatch(PATTERN, number) is None:
        return False
    total = sum(_ALPHABET.index(c) * w for c, w in zip(number, _WEIGHTS, strict=False))
    return _ALPHABET[(31 - total % 31) % 31] == number[17]


DETECTOR = Detector(
    entity=ENTITY,
    value_check=is_valid,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="统一社会信用代码 — unified social credit code of an organisation (GB 32100; not a person)",
    pattern=PATTERN,
    validate=uscc,
    normalise=upper_compact,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    priority=110,
    examples=("91110000600037341L",),
    text_pattern=digits_text_pattern(PATTERN),
)
