"""车牌号 (motor vehicle licence plate, GA 36).

A province character (京 津 沪 渝 冀 豫 云 辽 黑 湘 皖 鲁 新 苏 浙 赣 鄂 桂 甘 晋 蒙 陕 吉 闽 贵 粤 青 藏
川 宁 琼), the issuing office's letter (no I or O) and:

* 5 letters or digits (ordinary plates; letters I and O are never used), or one of them
  replaced by 挂 学 警 港 澳 领 试 超 (trailer, coach, police, HK/Macao cross-border...);
* new-energy plates (GA 36-2018): 6 characters, an energy letter A-K (no I: A-E pure electric,
  F-K others, D/F the first issued) then a letter or digit and 4 digits (small cars: 京AD12345,
  粤BA03205), or 5 digits then the energy letter (large vehicles: 京A12345D, 川A23047B);
* embassy and consulate plates: 使 + 6 digits, or 6 characters ending 使 / 领.

Plates are often written with "·", "•" or a space after the second character; those are
removed. Military and armed-police plates are left out (not personal).

>>> compact("京A·12345")
'京A12345'
>>> is_valid("京A12345"), is_valid("粤BD12345"), is_valid("沪A12345F"), is_valid("苏E1234学")
(True, True, True, True)
>>> is_valid("粤BA03205"), is_valid("京AA92035"), is_valid("川A23047B"), is_valid("川A·23047B")
(True, True, True, True)
>>> is_valid("京I12345"), is_valid("A12345"), is_valid("京AL12345")
(False, False, False)
>>> mask("京AD12345")
'京A****45'
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, replace_regex

ENTITY = "CN_LICENSE_PLATE"
SENSITIVE = False
CATEGORY = "vehicle"

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_P = f"[{PROVINCES}]"
_L = "[A-HJ-NP-Z]"
_X = "[A-HJ-NP-Z0-9]"
_E = "[A-HJK]"  # new-energy letters
PATTERN = (
    f"{_P}{_L}(?:{_E}{_X}\\d{{4}}|\\d{{5}}{_E}"  # new energy (small / large)
    f"|{_X}{{5}}"  # ordinary
    f"|{_X}{{4}}[挂学警港澳领试超])"  # special endings
    f"|使\\d{{6}}|\\d{{6}}使|{_P}\\d{{4}}领"  # embassy / consulate
)
HEADER_WORDS = ("车牌", "车牌号", "车牌号码", "号牌", "号牌号码", "牌照", "licenseplate", "licenceplate", "plateno",
                "platenumber", "chepai")
HEADER_EXACT = ("cph", "cphm", "hphm", "plate")


def compact(plate: str) -> str:
    return re.sub(r"[\s·•・.\-]", "", plate).upper()


def is_valid(plate: str) -> bool:
    return re.fullmatch(PATTERN, compact(plate)) is not None


def mask(value: str) -> str:
    return value[:2] + "*" * (len(value) - 4) + value[-2:] if len(value) >= 6 else "*" * len(value)


def normalise(values: pa.Array) -> pa.Array:
    return pc.utf8_upper(replace_regex(values, pattern="[\\s·•・.\\-\u3000]", replacement=""))


DETECTOR = Detector(
    entity=ENTITY,
    value_check=is_valid,
    thing_key="vehicle",
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="车牌号 — licence plate (ordinary, new-energy, trailer/coach/police/HK-Macao, embassy)",
    pattern=PATTERN,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    person_key=False,  # identifies a device, vehicle or many people: not a person on its own
    min_share=0.9,
    priority=75,
    examples=("京A12345", "粤BD12345"),
    text_pattern=f"(?<![0-9A-Za-z])(?:{_P}{_L}[·•・ ]?(?:{_E}{_X}\\d{{4}}|\\d{{5}}{_E}|{_X}{{5}}|{_X}{{4}}[挂学警港澳]))(?![0-9A-Za-z])",
    context_words=("车牌", "牌照", "车辆"),
    text_score=0.6,
)
