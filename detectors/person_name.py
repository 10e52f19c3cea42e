"""姓名 (a person's name, in Chinese characters or in pinyin).

Chinese names: a surname (the census's top 400, the classical compound surnames such as 欧阳 /
司马, or a common minority surname) and one to three given-name characters, 2-4 characters in
all; minority and foreign names written with one or more middle dots (阿卜杜拉·艾力,
约翰·菲茨杰拉德·肯尼迪). A value counts when its surname is known and at
least half of its given-name characters are common in names, and it is not a place or an
ethnic group (武汉, 汉族): that keeps product and place columns out.

Pinyin names: a romanised surname and one or two syllables of given name, in either order and
any case (``Zhang Wei``, ``WANG Xiaoming``, ``Xiaoming Wang``, ``Ouyang Na``).

>>> is_valid("张伟"), is_valid("欧阳娜娜"), is_valid("Zhang Wei"), is_valid("XIAOMING WANG")
(True, True, True, True)
>>> is_valid("周恩来"), is_valid("任继愈"), is_valid("傅雷"), is_valid("约翰·菲茨杰拉德·肯尼迪")
(True, True, True, True)
>>> is_valid("苹果手机"), is_valid("武汉"), is_valid("Apple Watch")
(False, False, False)
>>> mask("张伟"), mask("欧阳娜娜"), mask("Zhang Wei")
('张*', '欧***', 'Z********')
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors import resources
from detectors.base import Detector, replace_regexes

ENTITY = "PERSON_NAME"
SENSITIVE = False
CATEGORY = "identity"

PATTERN = r"\p{Han}{2,4}|\p{Han}{1,10}(?:·\p{Han}{1,12}){1,3}|[A-Za-z]{2,12}(?: [A-Za-z]{1,12}){1,2}"
HEADER_PATTERN = r"\p{Han}{2,5}|\p{Han}{1,10}(?:·\p{Han}{1,12}){1,3}|[A-Za-z]{2,12}(?: [A-Za-z]{1,12}){1,2}"
# A given-name character counts as common when the hand-written list has it or jieba's person
# entries use it at least this often (恩, 庚, 愈, 政, 凌 are; 机, 果 are not).
MIN_GIVEN_COUNT = 5

HEADER_WORDS = ("姓名", "名字", "客户名称", "联系人", "收件人", "收货人", "寄件人", "持卡人", "车主", "患者", "受试者姓名",
                "员工姓名", "会员姓名", "真实姓名", "申请人", "投保人", "被保险人", "乘客", "旅客", "医生", "经办人",
                "拼音", "英文名", "pinyin", "englishname", "nameen", "namecn", "fullname", "personname", "customername", "contactname", "holdername", "xingming", "firstname",
                "lastname", "surname", "name", "owner")
HEADER_EXACT = ("xm", "xingm", "khxm", "lxr", "sjr", "cz", "hzxm")
HEADER_NEGATIVE = ("产品", "商品", "product", "公司", "company", "企业", "单位", "机构", "组织", "org", "文件", "file",
                   "品名", "药品", "drug", "项目", "project", "医院", "hospital", "银行", "bank", "城市", "city", "门店",
                   "store", "shop", "店名", "型号", "model", "车型", "品牌", "brand", "用户名", "username", "昵称", "nick",
                   "登录", "login", "host", "域名", "domain", "省份", "地区", "区域", "region", "科室", "dept", "部门",
                   "类别", "category", "类型", "type", "电话", "手机", "phone", "mobile", "邮箱", "mail", "地址", "address",
                   "证件", "身份证", "号码", "编号", "账号", "卡号", "no", "id", "code", "代码", "sku")


def _mask_one(value: str) -> str:
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else "*"


def mask(value: str) -> str:
    return _mask_one(value)


@cache
def _sets() -> tuple[pa.Array, pa.Array, pa.Array, str, pa.Array]:
    """Surnames (single, compound), place and ethnic names as Arrow sets; common given chars (as
    one character class, and as a set of single characters)."""
    places = resources.region_names() | set(resources.ethnicities()) | {e.removesuffix("族") for e in resources.ethnicities()}
    from detectors.ner import NOT_GIVEN, given_name_stats

    # characters of foreign transliterations (卡 of 卡尔) are left out: 金卡 is a card tier
    common = set(resources.given_name_chars()) | {c for c, (n, foreign) in given_name_stats().items()
                                                  if n >= MIN_GIVEN_COUNT and foreign <= 2 * n}
    common -= NOT_GIVEN
    return (pa.array(sorted(resources.single_surnames())), pa.array(sorted(resources.compound_surnames())),
            pa.array(sorted(places)), f"[{''.join(sorted(common))}]", pa.array(sorted(common)))


@cache
def _pinyin_regex() -> str:
    syl = resources.alternation(resources.pinyin_syllables())
    sur = resources.alternation(resources.surname_pinyin())
    given = f"(?:{syl}){{1,2}}"
    return f"^(?:(?:{sur}) {given}|{given} (?:{sur})|(?:{sur}) (?:{syl}) (?:{syl}))$"


def normalise(values: pa.Array) -> pa.Array:
    # Every white space (\f and \v too) collapses to one space and the ends are trimmed last,
    # so that normalising twice changes nothing.
    return pc.utf8_trim(replace_regexes(values, _REWRITES), characters=" ")


_REWRITES = (
    (r"[\s\x{3000}\x{a0}]+", " "),
    (r"(\p{Han})\s*[•・.．]\s*(\p{Han})", r"\1·\2"),
    (r"^([A-Za-z]+)\s*[,，/]\s*", r"\1 "),
    (r"([A-Za-z])-([A-Za-z])", r"\1 \2"),
    (r"\s+", " "),
)


def validate_array(values: pa.Array) -> np.ndarray:
    singles, compounds, places, _, _ = _sets()
    latin = pc.match_substring_regex(values, r"^[A-Za-z ]+$").to_numpy(zero_copy_only=False)
    out = np.zeros(len(values), dtype=bool)
    han_idx = np.flatnonzero(~latin)
    if len(han_idx):
        han = values.take(pa.array(han_idx))
        dotted = pc.match_substring(han, "·").to_numpy(zero_copy_only=False)
        # hash look-ups, not a regex of 500 surnames: compound surnames first (欧阳 before 欧)
        compound = pc.is_in(pc.utf8_slice_codeunits(han, 0, 2), value_set=compounds).to_numpy(zero_copy_only=False)
        single = pc.is_in(pc.utf8_slice_codeunits(han, 0, 1), value_set=singles).to_numpy(zero_copy_only=False)
        has_surname = compound | single
        lengths = pc.utf8_length(han).to_numpy(zero_copy_only=False)
        given = pc.replace_with_mask(pc.utf8_slice_codeunits(han, 1), pa.array(compound),
                                     pc.utf8_slice_codeunits(han.filter(pa.array(compound)), 2))
        n_given = np.where(compound, lengths - 2, lengths - 1)
        given_lengths = pc.utf8_length(given).to_numpy(zero_copy_only=False)
        n_rare = given_lengths - count_common(given, given_lengths)
        is_place = pc.is_in(han, value_set=places).to_numpy(zero_copy_only=False)
        ok = has_surname & (n_given >= 1) & (n_rare * 2 <= n_given) & ~is_place
        # Minority names with a middle dot are transliterations: any characters.
        out[han_idx] = np.where(dotted, True, ok)
    latin_idx = np.flatnonzero(latin)
    if len(latin_idx):
        lowered = pc.utf8_lower(values.take(pa.array(latin_idx)))
        out[latin_idx] = pc.match_substring_regex(lowered, _pinyin_regex()).to_numpy(zero_copy_only=False)
    return out


# Given names of up to this many characters have each character looked up in the common set;
# longer ones (transliterations with a middle dot, decided apart) are counted by the class.
_LOOKED_UP = 3


def count_common(given: pa.Array, lengths: np.ndarray) -> np.ndarray:
    """How many characters of each value (``lengths``: its length in characters) are common in
    given names: what ``count_substring_regex`` with the class of common characters counts, by
    one hash look-up per character position instead (a class of thousands of characters costs
    RE2 about 0.3 µs a name)."""
    _, _, _, common_class, common_chars = _sets()
    count = np.zeros(len(given), np.int64)
    at = np.arange(len(given))
    for k in range(_LOOKED_UP):
        at = at[lengths[at] > k]
        if not len(at):
            break
        part = given if len(at) == len(given) else given.take(pa.array(at))
        count[at] += pc.is_in(pc.utf8_slice_codeunits(part, k, k + 1),
                              value_set=common_chars).to_numpy(zero_copy_only=False)
    longer = np.flatnonzero(lengths > _LOOKED_UP)
    if len(longer):
        count[longer] = pc.count_substring_regex(given.take(pa.array(longer)), common_class).to_numpy(
            zero_copy_only=False)
    return count


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="姓名 — a person's name (Chinese with surname list incl. compound and minority names, or pinyin)",
    pattern=PATTERN,
    validate=validate_array,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=HEADER_NEGATIVE,
    header_pattern=HEADER_PATTERN,
    person_key=False,  # thousands share a name: never a key to de-duplicate persons
    min_share=0.8,
    priority=20,
    examples=("张伟", "Zhang Wei"),
    in_free_text=False,
)

is_valid = DETECTOR.is_valid
