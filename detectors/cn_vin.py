"""车辆识别代号 (Vehicle Identification Number, ISO 3779 / GB 16735).

Seventeen characters without I, O or Q. The 9th character is a check digit: letters are
transliterated (A-H → 1-8, J-N → 1-5, P → 7, R → 9, S-Z → 2-9), weighted 8 7 6 5 4 3 2 10 0 9 8
7 6 5 4 3 2, summed modulo 11 (10 is written X). The check is mandatory in China; Chinese
manufacturers' WMIs start with L.

>>> is_valid("LSVAU218XN2183294"), is_valid("LSVAU2180N2183294")
(True, False)
>>> mask("LSVAU218XN2183294")
'LSVAU2*******3294'
"""

from __future__ import annotations

import re

from detectors.base import Detector, digits_text_pattern, keep_ends_mask, upper_compact
from detectors.checks import vin

ENTITY = "CN_VIN"
SENSITIVE = False
CATEGORY = "vehicle"

PATTERN = r"[A-HJ-NPR-Z0-9]{8}[0-9X][A-HJ-NPR-Z0-9]{8}"
HEADER_WORDS = ("车架号", "车辆识别代号", "车辆识别码", "识别代号", "底盘号", "vin", "vehicleidentification", "chassis",
                "chejiahao")
HEADER_EXACT = ("cjh", "clsbdh", "vinno", "vincode")

mask = keep_ends_mask(6, 4)


def compact(number: str) -> str:
    return re.sub(r"[\s\-]", "", number).upper()


_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
           **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def is_valid(number: str) -> bool:
    """One value, in plain Python (the vectorised check is :func:`detectors.checks.vin`)."""
    number = compact(number)
    if re.fullmatch(PATTERN, number) is None:
        return False
    total = sum(_VALUES[c] * w for c, w in zip(number, _WEIGHTS, strict=True))
    return "0123456789X"[total % 11] == number[8]


DETECTOR = Detector(
    entity=ENTITY,
    value_check=is_valid,
    thing_key="vehicle",
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="车辆识别代号 (VIN) — 17 characters with ISO 3779 check digit",
    pattern=PATTERN,
    validate=vin,
    normalise=upper_compact,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    person_key=False,  # identifies a device, vehicle or many people: not a person on its own
    priority=95,
    examples=("LSVAU218XN2183294",),
    text_pattern=digits_text_pattern(PATTERN),
    context_words=("车架号", "vin", "识别代号"),
)
