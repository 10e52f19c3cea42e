"""年龄 (a person's age).

A column of ages is a column of small numbers, and so is a column of quantities, scores or
floors: the values alone never label one (``requires_header``). Under a header that names an age
(年龄, 周岁, 实际年龄, 岁数, ``age``, ``patient_age``, ``age_years``; pinyin ``nianling``, ``nl``)
a value is an age when it reads as one:

* whole or decimal years from 0 to 150: ``12``, ``2.5``, ``8岁``, ``12周岁``, ``35 years``,
  ``7y``; full-width digits (``１２``) are read as ASCII, as every detector reads them;
* years and months as paediatric records write them: ``5岁2个月``, ``3个月``, ``18月龄``, ``20天``;
* a range or an open one: ``10-12``, ``10~12岁``, ``10至12``, ``60岁以上``, ``60+``, ``14岁以下``.

Headers of other ages veto: a car's, a house's, a building's, a drug's, a tree's, an account's
(车龄, 房龄, 楼龄, 药龄, 树龄, 账龄), years of work or of membership (工龄, 教龄, 党龄, 驾龄),
age bands of a statistic (年龄段, 年龄组), and an age a product or a post asks for (适用年龄,
年龄要求, 最大年龄, 平均年龄).

:func:`ages_array` gives the youngest age in whole years each valid value allows, which the
person counter compares with the age under which personal information is sensitive (a child
under 14, PIPL Art 28) as it compares birth dates. A range or an upper bound is read by its
lower end: ``10-20`` and ``14岁以下`` may be a child, so they are taken for one (the stricter
reading); ``3个月`` is 0 years; ``2.5`` is 2.

>>> DETECTOR.valid_mask(pa.array(["12", "８岁", "１２", "12周岁", "10-12", "151", "12-10", "abc", "1990"]))[0].tolist()
[True, True, True, True, True, False, False, False, False]
>>> ages_array(normalise(pa.array(["8岁", "20周岁", "10 ~ 20", "60岁以上", "14岁以下", "18个月", "5岁2个月", "2.5"]))).to_pylist()
[8, 20, 10, 60, 0, 1, 5, 2]
>>> mask("12周岁")
'****'

Paediatric records often count in months under a header that says so (月龄, 年龄（月）,
``age_months``): there :data:`MONTHS` reads a bare number as months (18 is a child of one year,
not an adult of eighteen), and the header vetoes the years' reading.

>>> MONTHS.valid_mask(pa.array(["18", "3个月", "240", "1801", "abc"]))[0].tolist()
[True, True, True, False, False]
>>> months_to_years(normalise(pa.array(["18", "3个月", "240"]))).to_pylist()
[1, 0, 20]
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, full_match, replace_regexes, strip_whitespace

ENTITY = "AGE"
SENSITIVE = False  # by itself; a child's age makes the child's personal information sensitive
CATEGORY = "identity"
OLDEST = 150

_YEARS = r"\d{1,3}(?:\.\d{1,2})?"
_YEAR_WORD = r"(?:周岁|足岁|岁|yearsold|yearold|years|year|yrs|yr|yo|y)"
_MONTH_WORD = r"(?:个月|月龄|月|months|month|mos|mo|m)"
_DAY_WORD = r"(?:天|日龄|days|day|d|周|weeks|week|wks|wk|w)"
PATTERN = "|".join((
    rf"{_YEARS}(?:{_YEAR_WORD}(?:\d{{1,2}}{_MONTH_WORD}(?:\d{{1,2}}{_DAY_WORD})?)?)?",  # 12, 8岁, 5岁2个月
    rf"{_YEARS}{_YEAR_WORD}?-{_YEARS}{_YEAR_WORD}?",  # 10-12, 10岁-12岁
    rf"{_YEARS}{_YEAR_WORD}?(?:及?以上|\+)",  # 60岁以上, 60+
    rf"{_YEARS}{_YEAR_WORD}?及?以下",  # 14岁以下: from 0
    rf"\d{{1,4}}{_MONTH_WORD}(?:\d{{1,2}}{_DAY_WORD})?",  # 18个月, 3个月10天
    rf"\d{{1,4}}{_DAY_WORD}",  # 20天, 6周
))
HEADER_WORDS = ("年龄", "周岁", "岁数", "nianling")
HEADER_EXACT = ("nl", "age", "ages")
# English headers name an age as a word of its own (``age`` is inside page, usage, image,
# message, manager, mileage, dosage): a person's age before it, the unit after it.
HEADER_REGEX = (r"(?:patient|student|pupil|child|member|customer|client|user|person|applicant|passenger|insured"
                r"|subject|actual|current|real|reported)?age(?:years|year|yrs|inyears|atvisit|atenrolment"
                r"|atenrollment)?")
# Headers counting in months (月龄, 年龄（月）, age_months): read by MONTHS, not as years.
MONTH_HEADER_WORDS = ("月龄", "年龄月", "agemonths", "ageinmonths", "agemo", "agem", "nianlingyue")
HEADER_NEGATIVE = MONTH_HEADER_WORDS + ("年龄段", "年龄组", "年龄分组", "年龄层", "车龄", "房龄", "楼龄", "工龄", "账龄", "药龄", "树龄",
                   "党龄", "教龄", "军龄", "驾龄", "司龄", "网龄", "车辆", "房屋", "设备", "账户", "平均", "中位",
                   "最小", "最大", "最低", "最高", "上限", "下限", "适用", "适合", "推荐", "要求", "限制", "人数",
                   "分布", "占比")

_REWRITES = ((r"\s+", ""), (r"[~～〜至到—–－]", "-"))
_LEAD = r"^(?P<n>\d+)"
_HIGH = r"-(?P<n>\d+)"


def normalise(values: pa.Array) -> pa.Array:
    """Trimmed, full-width digits as ASCII, lower case, no inner space, one range sign ``-``.

    Only values that start with a digit and hold more than digits are rewritten: no other value
    can be an age (every column of a scan is matched, a prose column's spaces included)."""
    text = strip_whitespace(values)
    written = pc.and_not(_digits(pc.utf8_slice_codeunits(text, 0, 1)), _digits(text))
    if not pc.any(written).as_py():
        return text
    return pc.replace_with_mask(text, written, replace_regexes(pc.utf8_lower(text.filter(written)), _REWRITES))


def mask(value: str) -> str:
    return "*" * len(value)


def _digits(values: pa.Array) -> pa.Array:
    return pc.utf8_is_digit(values).fill_null(False)


def _readings(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per value of the pattern's shape: the number it starts with, the youngest age in whole
    years it allows, and a range's upper end (-1: none). Plain numbers (most ages) are read by
    a cast, the others with patterns."""
    n = len(values)
    lead, youngest, high = np.full(n, -1), np.full(n, -1), np.full(n, -1)
    plain = pc.and_(_digits(values), pc.less_equal(pc.utf8_length(values), 4)).fill_null(False).to_numpy(
        zero_copy_only=False)
    if plain.any():
        lead[plain] = youngest[plain] = pc.cast(values.filter(pa.array(plain)), pa.int64()).to_numpy()
    if not plain.all():
        where = np.flatnonzero(~plain)
        rest = values.take(pa.array(where))
        first = _number(rest, _LEAD)
        months = _matches(rest, rf"^\d+{_MONTH_WORD}(?:\d+{_DAY_WORD})?$")
        from_zero = _matches(rest, rf"^\d+{_DAY_WORD}$|以下$")  # 20天, 6周 (not 20周岁)
        lead[where] = first
        youngest[where] = np.where(months, first // 12, np.where(from_zero, 0, first))
        high[where] = _number(rest, _HIGH)
    return lead, youngest, high


def _number(values: pa.Array, pattern: str) -> np.ndarray:
    """The integer the named group ``n`` of ``pattern`` finds in each value; -1 where none."""
    found = pc.struct_field(pc.extract_regex(values, pattern), "n")
    return pc.cast(pc.utf8_slice_codeunits(found, 0, 6), pa.int64()).fill_null(-1).to_numpy(zero_copy_only=False)


def _matches(values: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(values, pattern).fill_null(False).to_numpy(zero_copy_only=False)


def _valid(lead: np.ndarray, youngest: np.ndarray, high: np.ndarray) -> np.ndarray:
    return (youngest >= 0) & (youngest <= OLDEST) & ((high < 0) | ((high >= lead) & (high <= OLDEST)))


def validate_array(values: pa.Array) -> np.ndarray:
    """Ages up to 150 years; a range's upper end too, and not below its lower end."""
    return _valid(*_readings(values))


def ages_array(values: pa.Array) -> pa.Array:
    """The youngest age (int32, whole years) each normalised value allows; null where a value is
    no age (a column labelled by a reviewer's decision hands its values unchecked)."""
    lead, youngest, high = _readings(values)
    ok = full_match(values, f"^(?:{PATTERN})$") & _valid(lead, youngest, high)
    return pa.array(youngest.astype(np.int32), type=pa.int32(), mask=~ok)


def months_to_years(values: pa.Array) -> pa.Array:
    """The age in whole years (int32) of each normalised number of months; null where a value is
    no such number."""
    months = _number(values, rf"^(?P<n>\d{{1,4}})(?:{_MONTH_WORD})?$")
    ok = (months >= 0) & (months <= OLDEST * 12)
    return pa.array((months // 12).astype(np.int32), type=pa.int32(), mask=~ok)


def _valid_months(values: pa.Array) -> np.ndarray:
    return months_to_years(values).is_valid().to_numpy(zero_copy_only=False)


DETECTOR = Detector(
    entity=ENTITY,
    ages=ages_array,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="年龄 — age in years (12, 8岁, 12周岁, 10-12; a header is needed)",
    pattern=PATTERN,
    validate=validate_array,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_regex=HEADER_REGEX,
    header_negative=HEADER_NEGATIVE,
    requires_header=True,
    min_share=0.9,
    priority=22,
    examples=("12岁",),
    in_free_text=False,
)

MONTHS = Detector(
    entity="AGE_IN_MONTHS",
    ages=months_to_years,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="月龄 — age in months (18, 3个月) under a header that counts in months (月龄, 年龄（月）)",
    pattern=rf"\d{{1,4}}(?:{_MONTH_WORD})?",
    validate=_valid_months,
    normalise=normalise,
    mask=mask,
    header_words=MONTH_HEADER_WORDS,
    requires_header=True,
    min_share=0.9,
    priority=23,  # above AGE: 年龄（月） names both (a bracket vetoes nothing), months are the stricter reading
    examples=("18个月",),
    in_free_text=False,
)

DETECTORS = (DETECTOR, MONTHS)

is_valid = DETECTOR.is_valid
