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

import re
from functools import cache, lru_cache
from typing import NamedTuple

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


# --- names inside labels: a column header, a sheet's or a file's name -------------------------
#
# A label is one short text, with no column of values to judge it by, so the test is stricter
# than a column's: a surname and one or two given-name characters, at least half of them common
# in names and none of a system or function word (台, 网, 的); not a common word led by a surname
# (金额, 时间, 周一, 高峰: jieba's dictionary, see ``resources.surname_words``) nor begun by one
# (金额合计); not a place; not ending as words of roles and records do (申请人, 白班, 车机号).
# Inside a longer label a name counts where a word begins (at the start, after a date, a team or
# a word announcing a person: 2024年王芳工资, 早班韩晓建, 客户李娜) and ends (at the end, or before
# a word of records or roles: 欧阳娜娜报销, 张伟的简历, 韩晓建工时, 李娜护士). A name with a middle
# dot (阿卜杜拉·艾力) is a name. Among the headers of one table holding two names or more (a rota,
# a pivot with a column per person), a common word that is also a name (高峰, 白雪) is a name too.
# Measured on 500 names of a public list of ordinary names and jieba's 27,925 common words
# (count >= 100): 95% of the names found, 4 words taken for names. Pinyin and traditional
# characters are not read in labels (Hong Kong, Min Age: English headers look like pinyin).

# Last characters of header words that only look like names.
_LABEL_NEVER_LAST = frozenset("人员者方班表单号额费率量数值龄长期间型类式度法史性化语名码址款价税息科部室组队区省市县镇村路街账户")
# Characters of header and system words that given names hardly use (云平台, 车联网, 时出现).
_LABEL_NOT_GIVEN = frozenset("网联台机服务息额费号码单表数据量值率型类式项目级线端卡证账户址期间次批库件包版段域价税款货品商售购订出现")
# Header words found on business exports that pass every test above and are no one's name.
_LABEL_NOT_NAMES = frozenset("续保 单休 常客 金豆 房补 师傅 农合 过充 过放 云仓 温升 申通 丰巢 姜丝 陈皮 杨梅 鲁菜 梅雨".split())
# What may come just before a name inside a label (besides its start and non-Chinese text): a
# date, a joining word, a shift, a team or a number (早班韩晓建, A组张伟, 1号张伟, 销售一部张伟).
_LABEL_BEFORE = frozenset("年月日的之与和及班组号部队")
# Words that may follow a name inside a label.
_LABEL_AFTER = frozenset(
    "的 之 与 和 及 等 报销 工资 薪资 薪酬 奖金 简历 档案 资料 信息 合同 排班 考勤 身份 证件 病历 体检 个人 家庭 申请 "
    "名单 照片 证明 报告 记录 明细 账单 订单 护照 驾照 社保 公积金 银行 学籍 成绩 请假 离职 入职 转正 绩效 考核 面试 "
    "客户 联系 电话 手机 地址 邮箱 发票 费用 差旅 借款 还款 贷款 病例 检查 检验 处方 住院 门诊 诊断 基因 家属 子女 "
    "配偶 父母 本人 专用 名下 所有 负责 提交 上传 导出 备份 副本 最终 新 旧 版 工时 加班 出勤 签字 签名 确认 审批 "
    "组 团队 小组 值班 早班 中班 晚班 夜班 白班 休息 打卡 上午 下午 工号 代班 替班 本月 当月 "
    "老师 医生 护士 主任 经理 先生 女士 同学 律师 师傅 总 工".split())
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_DOTTED = re.compile(r"[\u4e00-\u9fff]{1,10}(?:[·•・][\u4e00-\u9fff]{1,12}){1,3}")


class _LabelWords(NamedTuple):
    singles: frozenset[str]
    compounds: frozenset[str]
    places: frozenset[str]
    common: frozenset[str]  # given-name characters common in names
    refused: frozenset[str]  # never given-name characters in a label
    words: frozenset[str]  # common words that are also names (高峰) or only look like names (金额)
    not_names: frozenset[str]  # words that are never names (金额, 周末)
    cues: frozenset[str]  # words announcing a person (客户, 患者) or a role (组长)


@cache
def _label_words() -> _LabelWords:
    from detectors.ner import CUES_BEFORE, NOT_GIVEN, NOT_NAMES, TITLES

    _, _, places, _, common = _sets()
    return _LabelWords(resources.single_surnames(), resources.compound_surnames(), frozenset(places.to_pylist()),
                       frozenset(common.to_pylist()), _LABEL_NOT_GIVEN | NOT_GIVEN, resources.surname_words(),
                       NOT_NAMES | _LABEL_NOT_NAMES, frozenset(c for c in CUES_BEFORE | TITLES if len(c) >= 2))


def _label_name(text: str, among_names: bool = False) -> bool:
    """Whether ``text`` (2-4 Chinese characters) is a person's name as a label reads
    (``among_names``: beside other names, where a common word may be a name too)."""
    lw = _label_words()
    surname = 2 if text[:2] in lw.compounds else 1 if text[:1] in lw.singles else 0
    given = text[surname:]
    return (surname > 0 and 1 <= len(given) <= 2 and 2 * sum(c not in lw.common for c in given) <= len(given)
            and not any(c in lw.refused for c in given) and text not in lw.not_names
            and (among_names or text not in lw.words and text[:surname + 1] not in lw.words)
            and text not in lw.places and text[-1] not in _LABEL_NEVER_LAST)


def name_spans(label: str, among_names: bool = False) -> list[tuple[int, int]]:
    """Where persons' names stand in a label (a column header, a sheet's or a file's name);
    ``among_names``: the label is one of a table's headers, two or more of which are names.

    >>> [("韩晓建", "金额", "周一", "白班", "金额合计", "欧阳娜娜报销")[i] for i in range(6)
    ...  if name_spans(("韩晓建", "金额", "周一", "白班", "金额合计", "欧阳娜娜报销")[i])]
    ['韩晓建', '欧阳娜娜报销']
    >>> name_spans("2024年王芳工资"), name_spans("客户信息导出"), name_spans("A组张伟"), name_spans("Hong Kong")
    ([(5, 7)], [], [(2, 4)], [])
    >>> name_spans("高峰"), name_spans("高峰", among_names=True), name_spans("阿卜杜拉·艾力.csv")
    ([], [(0, 2)], [(0, 7)])

    Linear in the label's length: at most three candidates a position, each a few set look-ups.
    """
    spans = [m.span() for m in _DOTTED.finditer(label)]
    cues = _label_words().cues
    for run in _HAN_RUN.finditer(label):
        text, start = run.group(), run.start()
        if any(a < run.end() and start < b for a, b in spans):
            continue  # part of a name with a middle dot
        if 2 <= len(text) <= 4 and _label_name(text, among_names) \
                and not (text[0] in _LABEL_BEFORE and _name_at(text, 1, among_names)):
            spans.append(run.span())
            continue
        i = 0
        while i < len(text) - 1:
            if i == 0 or text[i - 1] in _LABEL_BEFORE or text[max(0, i - 2):i] in cues or text[max(0, i - 3):i] in cues:
                found = _name_at(text, i, among_names)
                # 班, 组, 号 lead a name (A班张伟) as often as they are a surname: the later name wins
                if found and text[i] in _LABEL_BEFORE and _name_at(text, i + 1, among_names):
                    i += 1
                    continue
                if found:
                    spans.append((start + i, start + i + found))
                    i += found
                    continue
            i += 1
    return sorted(spans)


def _name_at(text: str, i: int, among_names: bool) -> int:
    """The length of the name starting at ``i`` and ending where a word may end, or 0."""
    return next((n for n in (4, 3, 2) if i + n <= len(text) and _label_name(text[i:i + n], among_names)
                 and _ends_a_word(text, i + n)), 0)


def _ends_a_word(text: str, end: int) -> bool:
    return end == len(text) or text[end] in _LABEL_AFTER or text[end:end + 2] in _LABEL_AFTER \
        or text[end:end + 3] in _LABEL_AFTER


def mask_label(label: str, among_names: bool = False) -> str:
    """``label`` with every person's name in it masked (张伟的简历 → 张*的简历)."""
    for a, b in reversed(name_spans(label, among_names)):
        label = label[:a] + mask(label[a:b]) + label[b:]
    return label


_MASKED_RUN = re.compile(r"([\u4e00-\u9fff]+)\*{1,12}(?:$|[^*0-9A-Za-z])")


def holds_masked_name(label: str) -> bool:
    """Whether a label, as :func:`mask_label` left it, holds a person's name masked: a surname
    and stars, where a name may begin (韩**, 韩**(早班), 客户李*, 早班韩**), not a header's own
    star (姓名*, 岗位*: import templates mark required fields so).

    >>> [holds_masked_name(x) for x in ("韩**", "孔**_工时", "客户李*", "2024年王*工资", "姓名*", "岗位*", "138****8000")]
    [True, True, True, True, False, False, False]
    """
    lw = _label_words()
    for m in _MASKED_RUN.finditer(label):
        run = m.group(1)
        surname = 2 if run[-2:] in lw.compounds else 1 if run[-1:] in lw.singles else 0
        before = run[:len(run) - surname]
        if surname and (not before or before[-1] in _LABEL_BEFORE or before[-2:] in lw.cues or before[-3:] in lw.cues):
            return True
    return False


def mask_labels(labels: list[str]) -> list[str]:
    """:func:`mask_label` for a table's headers: where two or more are names (a rota, a pivot
    with a column per person), common words that are also names (高峰, 白雪) are masked too.

    >>> mask_labels(["日期", "韩晓建", "孔娜子", "高峰", "金额"]), mask_labels(["日期", "韩晓建", "高峰"])
    (['日期', '韩**', '孔**', '高*', '金额'], ['日期', '韩**', '高峰'])
    """
    masked = [_masked_label(label) for label in labels]
    if sum(m != label for m, label in zip(masked, labels, strict=True)) >= 2:
        masked = [mask_label(label, among_names=True) if m == label else m for m, label in zip(masked, labels, strict=True)]
    return masked


# Remembered (in memory only): a folder of exports repeats its headers file after file.
_masked_label = lru_cache(maxsize=8192)(mask_label)


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
