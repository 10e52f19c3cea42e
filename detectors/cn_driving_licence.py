"""驾驶证档案编号 (driving licence file number).

The driving licence *number* is the holder's resident ID number (read by
:mod:`detectors.cn_resident_id`); the 12-digit file number printed on the licence's second page
identifies the licence file at the traffic police. Twelve digits look like any other number, so
the header must say 档案编号 / 驾驶证 and the values must be 12 digits.

>>> is_valid("110012345678"), is_valid("11001234567")
(True, False)
>>> mask("110012345678")
'1100******78'
"""

from __future__ import annotations

import re

from detectors.base import Detector, keep_ends_mask, upper_compact

ENTITY = "CN_DRIVING_LICENCE_FILE_NO"
SENSITIVE = True
CATEGORY = "identity_document"

HEADER_PATTERN = r"\d{12}"
HEADER_WORDS = ("驾驶证档案", "驾照档案", "驾驶证档案编号", "驾驶证编号", "档案编号", "drivinglicencefile",
                "drivinglicensefile", "dlfile", "licencefileno", "licensefileno")
HEADER_EXACT = ("jszdabh", "dabh", "jszbh")

mask = keep_ends_mask(4, 2)


def is_valid(number: str) -> bool:
    return re.fullmatch(HEADER_PATTERN, re.sub(r"[\s\-]", "", number)) is not None


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="驾驶证档案编号 — driving licence file number (12 digits; header needed)",
    pattern=None,
    normalise=upper_compact,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_pattern=HEADER_PATTERN,
    header_negative=("行驶证", "车辆", "vehicle"),
    requires_header=True,
    person_key=True,
    identity=True,
    priority=69,
    examples=("110012345678",),
    in_free_text=False,
)
