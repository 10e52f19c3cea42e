"""行驶证号 / 行驶证档案编号 (vehicle licence number, vehicle registration file number).

The vehicle licence (行驶证) carries the plate, the VIN and a file number (档案编号) of 12
digits or so; systems also store a 行驶证号 of 10-15 letters and digits. Neither has a public
check, so the header must say 行驶证 and the values must have the shape. The automotive list
names these as sensitive.

>>> is_valid("110001234567"), is_valid("12")
(True, False)
>>> mask("110001234567")
'1100******67'
"""

from __future__ import annotations

import re

from detectors.base import Detector, keep_ends_mask, upper_compact

ENTITY = "CN_VEHICLE_LICENCE_NO"
SENSITIVE = True
CATEGORY = "vehicle"

HEADER_PATTERN = r"[0-9A-Z]{8,16}"
HEADER_WORDS = ("行驶证", "行驶证号", "行驶证编号", "行驶证档案", "车辆档案编号", "vehiclelicence", "vehiclelicense",
                "registrationcert", "vehicleregistrationno")
HEADER_EXACT = ("xszh", "xszbh", "xszdabh")

mask = keep_ends_mask(4, 2)


def is_valid(number: str) -> bool:
    return re.fullmatch(HEADER_PATTERN, re.sub(r"[\s\-]", "", number).upper()) is not None


DETECTOR = Detector(
    entity=ENTITY,
    thing_key="vehicle",
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="行驶证号 / 行驶证档案编号 — vehicle licence or registration file number (header needed)",
    pattern=None,
    normalise=upper_compact,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_pattern=HEADER_PATTERN,
    requires_header=True,
    person_key=False,
    priority=68,
    examples=("110001234567",),
    in_free_text=False,
)
