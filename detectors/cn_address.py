"""地址 (a postal address in mainland China).

An address names a place from the gazetteer (province, city or county: 北京市, 朝阳区, or the
short forms 北京, 朝阳; 3,511 regions from cpca) and carries detail a place name alone lacks:
a road, street, lane, village, building, unit or room, or a house number (路, 街, 巷, 弄, 村,
号, 栋, 单元, 室...); or it starts lower (a road, town, village or compound) and ends in a
house, building or room number (:data:`detectors.ner.ADDRESS_DETAIL`). Values are at most 80 characters and hold no sentence punctuation, so a
comment that mentions an address is free text, not an address column.

>>> is_valid("北京市朝阳区建国路88号"), is_valid("广东省深圳市南山区科技园南区8栋302室")
(True, True)
>>> is_valid("北京市"), is_valid("我家住在北京市朝阳区建国路88号，麻烦放门口。")
(False, False)

Addresses as people write them start at any level and end in a number:

>>> is_valid("文三路477号"), is_valid("幸福小区5-7-1091"), is_valid("塘渡口镇杨柳村三组"), is_valid("中关村大街27号")
(True, True, True, True)
>>> mask("北京市朝阳区建国路88号")
'北京市朝阳区******'
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors import resources
from detectors.base import Detector, replace_regex, strip_whitespace

ENTITY = "CN_ADDRESS"
SENSITIVE = False
CATEGORY = "contact"

DETAIL = r"(?:路|街|大道|道|巷|弄|胡同|里|村|镇|乡|屯|组|号|栋|幢|座|单元|室|楼|层|小区|花园|苑|公寓|大厦|广场|社区|园区|工业园)"
PATTERN = r"[^，。！？；!?;\n]{5,80}"
# Under an address header the values still have to read as places: a road, building or number
# word, an administrative unit, or an English street word (spaces are gone once normalised). Product names and dates under 地址
# contradict the header and are not labelled (a header never labels contradicting values).
HEADER_PATTERN = (r"(?i)[^\n]{0,118}(?:" + DETAIL[3:-1] + r"|省|市|区|县|州|旗|盟|自治|"
                  r"road|street|avenue|lane|district|building|room|floor|village|county|province)[^\n]{0,118}")
HEADER_WORDS = ("地址", "住址", "居住地", "家庭住址", "通讯地址", "联系地址", "收货地址", "户籍地", "户籍所在地", "现住址",
                "详细地址", "收件地址", "送货地址", "address", "addr", "residence", "dizhi")
HEADER_EXACT = ("dz", "zz", "jtzz", "txdz", "shdz", "hjdz")
HEADER_NEGATIVE = ("ip", "mac", "邮箱", "email", "mail", "网址", "url", "web", "链接", "link")


def mask(value: str) -> str:
    """Keep the leading region names (province, city, district), star the detail."""
    head = _region_prefix_len(value)
    head = min(head, len(value) // 2) if head else min(3, len(value) // 3)
    return value[:head] + "*" * (len(value) - head)


def _region_prefix_len(value: str) -> int:
    m = re.match(r"^(?:.{2,7}?(?:省|自治区|特别行政区|市))?(?:.{1,7}?(?:市|自治州|州|盟|地区))?(?:.{1,7}?(?:区|县|旗))?", value)
    return m.end() if m else 0


@cache
def _region_set() -> tuple[pa.Array, tuple[int, ...]]:
    """The gazetteer's names as UTF-8 bytes, and their lengths in bytes."""
    names = sorted({n.encode("utf-8") for n in resources.region_names()})
    return pa.array(names, pa.binary()), tuple(sorted({len(n) for n in names}))


def starts_with_region(values: pa.Array) -> np.ndarray:
    """Whether each value begins with a gazetteer name: one hash look-up per name length.

    Compared as bytes: a value's first ``len(name)`` bytes equal a name's UTF-8 bytes exactly
    when the value begins with that name (UTF-8 is self-synchronising), and cutting bytes costs
    a fraction of counting characters."""
    names, widths = _region_set()
    values = values.cast(pa.binary()) if pa.types.is_string(values.type) else values.cast(pa.large_binary())
    if values.type == pa.large_binary():
        names = names.cast(pa.large_binary())
    out = np.zeros(len(values), dtype=bool)
    for width in widths:
        head = pc.binary_slice(values, 0, width)
        out |= pc.is_in(head, value_set=names).fill_null(False).to_numpy(zero_copy_only=False)
    return out


def normalise(values: pa.Array) -> pa.Array:
    values = strip_whitespace(values)
    return replace_regex(values, pattern=r"\s+", replacement="")


@cache
def _numbered_address() -> str:
    """An address that starts at any level (city, district, street, town, village, compound) and
    ends in a house, building or room number (文三路477号, 幸福小区5-7-1091, 杨柳村三组),
    optionally followed by a building's name (文三路477号华星科技大厦)."""
    from detectors.ner import ADDRESS_DETAIL

    return rf"(?:{ADDRESS_DETAIL})(?:\p{{Han}}{{0,8}}(?:大厦|大楼|公寓|广场|中心|小区|花园))?$"


def validate_array(values: pa.Array) -> np.ndarray:
    # Every reading below needs a Chinese character (a gazetteer name, a detail word, a place
    # word before a number): all-ASCII values (ID numbers, phones, codes) are no address, and
    # the shape alone lets any five characters through.
    maybe = ~pc.string_is_ascii(values).fill_null(True).to_numpy(zero_copy_only=False)
    if not maybe.all():
        out = np.zeros(len(values), bool)
        if maybe.any():
            where = np.flatnonzero(maybe)
            out[where] = _validate(values.take(pa.array(where)))
        return out
    return _validate(values)


# The characters an address is written in (the whole value): Han, ASCII letters and digits, and
# the marks of house numbers and names.
ADDRESS_CHARACTER = r"[\p{Han}0-9A-Za-z\-#（）()·]"


def _validate(values: pa.Array) -> np.ndarray:
    """A value written in :data:`ADDRESS_CHARACTER` that starts at a gazetteer region and holds a
    detail word, or that ends in a house, building or room number (:func:`_numbered_address`).

    The characters and the detail word are asked in one pass (a detail word is written in those
    characters); the characters alone only of the numbered values without a detail word."""
    def matches(array: pa.Array, pattern: str) -> np.ndarray:
        return pc.match_substring_regex(array, pattern).fill_null(False).to_numpy(zero_copy_only=False)

    detailed = matches(values, f"^{ADDRESS_CHARACTER}*{DETAIL}{ADDRESS_CHARACTER}*$")
    numbered = matches(values, _numbered_address())
    ok = numbered & detailed
    rest = np.flatnonzero(numbered & ~detailed)
    if len(rest):
        ok[rest] = matches(values.take(pa.array(rest)), f"^{ADDRESS_CHARACTER}+$")
    # The gazetteer is asked only where its answer decides: a numbered address needs no region.
    asked = np.flatnonzero(detailed & ~numbered)
    if len(asked):
        ok[asked] = starts_with_region(values.take(pa.array(asked)))
    return ok


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="地址 — postal address (gazetteer region + road / building / number detail)",
    pattern=PATTERN,
    validate=validate_array,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=HEADER_NEGATIVE,
    header_pattern=HEADER_PATTERN,
    person_key=False,
    min_share=0.8,
    priority=15,
    examples=("北京市朝阳区建国路88号",),
    in_free_text=False,
)

is_valid = DETECTOR.is_valid
