"""QQ 号 (QQ number).

Tencent QQ accounts are numbered from 10000 upwards: 5 to 11 digits, never a leading 0. Any
count or code has that shape, so only a header (QQ, QQ号) labels a column; a QQ group number
(QQ群) is a group, not a person, and vetoes.

A person key of the *contact* kind (``person_key=True``, ``identity=False``).

>>> is_valid("10001"), is_valid("2873641095"), is_valid("0123456"), is_valid("1234")
(True, True, False, False)
>>> mask("2873641095")
'28******95'
"""

from __future__ import annotations

from detectors.base import Detector, remove_separators

ENTITY = "QQ_NUMBER"
SENSITIVE = False
CATEGORY = "contact"

PATTERN = r"[1-9]\d{4,10}"
HEADER_WORDS = ("qq号", "qq号码", "qq账号", "qqnumber", "qqno", "qqid", "qqhao")
HEADER_EXACT = ("qq",)
HEADER_NEGATIVE = ("群", "group", "邮箱", "mail", "音乐", "music", "空间", "zone")


def mask(value: str) -> str:
    if len(value) < 7:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="QQ 号 — QQ number (5-11 digits, under a QQ header)",
    pattern=PATTERN,
    normalise=remove_separators,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=HEADER_NEGATIVE,
    requires_header=True,
    person_key=True,
    identity=False,
    min_share=0.8,
    priority=56,
    examples=("2873641095",),
    in_free_text=False,
)

is_valid = DETECTOR.is_valid
