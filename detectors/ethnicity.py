"""民族 (ethnic group: one of the 56 officially recognised 民族).

Written in full (汉族, 蒙古族, 维吾尔族) or without 族 (汉, 蒙古, 维吾尔). The list comes from
cpca's 56_nations table (see ``detectors/data/build_data.py``).

>>> is_valid("汉族"), is_valid("维吾尔"), is_valid("穿青人"), is_valid("中国")
(True, True, False, False)
>>> mask("汉族")
'**'
"""

from __future__ import annotations

import re

from detectors import resources
from detectors.base import Detector, strip_whitespace

ENTITY = "ETHNICITY"
SENSITIVE = False
CATEGORY = "identity"

PATTERN = "(?:" + resources.alternation(e.removesuffix("族") for e in resources.ethnicities()) + ")族?"
HEADER_WORDS = ("民族", "族别", "ethnicity", "ethnic", "minzu")
HEADER_EXACT = ("mz", "nation")


def mask(value: str) -> str:
    return "*" * len(value)


def is_valid(value: str) -> bool:
    return re.fullmatch(PATTERN, value.strip()) is not None


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="民族 — one of the 56 ethnic groups (汉族, 回族...)",
    pattern=PATTERN,
    normalise=strip_whitespace,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    min_share=0.9,
    priority=26,
    examples=("汉族",),
    in_free_text=False,
)
