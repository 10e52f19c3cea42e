"""Names, addresses, places and organisations inside Chinese prose (offline, no model download).

A rule-based entity recogniser over jieba's segmentation, usable three ways:

* :func:`find_entities` on one text, :func:`texts_with` on an Arrow array of texts (the
  ``--full`` pass over every row: repeated texts are analysed once);
* the spaCy component ``chujing_zh_ner`` that sets ``doc.ents`` (PERSON, ADDRESS, LOC, ORG), so
  Presidio's ``SpacyRecognizer`` reports them like any other NER (see :mod:`detectors.presidio`).

**Persons.** A candidate starts with a surname from the census list (single, or compound such as
欧阳 / 司马) followed by one or two given-name characters; it is kept when jieba did not know the
word (its HMM made it up: names are the usual unknown words) or tagged it a person (``nr``), and
every given-name character is common in names (statistics of jieba's own person entries plus a
hand-written list) and none is a function word. A surname followed by a title (张先生, 李老师,
王医生) is a person. Weaker candidates (a surname that is also a common word, such as 于, 高, 向;
a known word jieba tags otherwise, such as 周恩来) need a context cue next to them: 记者, 患者,
收件人, 叫, 我是 before, or 说, 表示, 称, 先生 after. Transliterated names with middle dots
(约翰·菲茨杰拉德·肯尼迪, 阿卜杜拉·艾力) and pinyin names (Zhang Wei, WANG Xiaoming) are persons too.
Place names of the gazetteer (张家口), ethnic groups and a short list of words that only look like
names (高兴, 马上, 金额) are not.

**Addresses.** Written at any level: a province, city or county from the gazetteer, a road or
street (路, 街, 大道, 巷, 弄, 胡同), a town or village (镇, 乡, 村), or a compound (小区, 花园,
苑, 公寓, 大厦), followed by a house, building, unit or room number (88号, 3栋2单元501室,
``5-7-1091``); or a county-level region followed by a road, village or compound. A place name
alone (北京, 朝阳区, 南京路) is a location, not an address.

>>> [(label, text) for label, start, end, text in find_entities("收件人：赖春生，地址：杭州市西湖区文三路477号")]
[('PERSON', '赖春生'), ('ADDRESS', '杭州市西湖区文三路477号')]
>>> [(label, text) for label, _, _, text in find_entities("记者周恩来报道，华罗庚教授在清华大学演讲。")]
[('PERSON', '周恩来'), ('PERSON', '华罗庚'), ('ORG', '清华大学')]
>>> find_entities("今天天气很好，我们去南京路逛街，顺便买点水果。")
[('LOC', 10, 13, '南京路')]
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors import resources

PERSON = "PERSON"
ADDRESS = "ADDRESS"
LOCATION = "LOC"
ORGANIZATION = "ORG"
LABELS = (PERSON, ADDRESS, LOCATION, ORGANIZATION)

# Titles and roles that follow a surname or a full name: 张先生, 李老师, 王局长.
TITLES = frozenset(
    "先生 女士 小姐 老师 医生 大夫 护士 教授 博士 律师 经理 总经理 主任 院长 校长 局长 处长 科长 部长 厅长 市长 县长 省长 "
    "书记 主席 董事长 总裁 老板 师傅 同学 同志 阿姨 叔叔 大爷 大妈 大姐 大哥 奶奶 爷爷 姐 哥 总 工 队长 组长 班长 "
    "警官 法官 记者 编辑 导演 教练 会计 工程师 专员 助理 顾问 太太 夫人 老太 老汉 伯伯 主管 店长 站长 所长 厂长 行长 "
    "委员 代表 秘书 医师 药师 技师 研究员 讲师 副教授 院士 总监 司机".split()
)
# Words just before a name (患者张三, 收件人：李四, 我叫王五, 和赵六).
CUES_BEFORE = frozenset(
    "叫 名叫 叫做 姓名 名字 我是 是 找 给 问 请 让 告诉 联系 联系人 收件人 收货人 寄件人 签收人 取件人 患者 病人 病患 "
    "伤者 死者 受试者 记者 通讯员 客户 用户 会员 顾客 乘客 旅客 员工 同事 同学 学生 老师 医生 护士 教授 主任 经理 "
    "嫌疑人 被告人 被告 原告 当事人 申请人 委托人 投保人 被保险人 受益人 持卡人 车主 业主 租客 房东 家属 朋友 "
    "妻子 丈夫 老公 老婆 儿子 女儿 父亲 母亲 爸爸 妈妈 哥哥 姐姐 弟弟 妹妹 爷爷 奶奶 外婆 男友 女友 "
    "董事长 总经理 总裁 主席 书记 局长 市长 部长 院长 校长 主持人 演员 歌手 导演 作者 编辑 选手 运动员 "
    "负责人 法人 代表 法定代表人 经办人 审核人 批准人 主治医生 主治医师 医师 接待 专员 客服 导师 班主任 "
    "和 与 及 跟 同 、 由 被 向 对 替 帮 见 遇见 认识 感谢 谢谢 致 致电 @ 问问 通知 提醒 转告 碰到 遇到 见到 看到 "
    "喜欢 邀请 推荐人 介绍人 担保人 监护人 紧急联系人 以 您好 你好 亲爱的 尊敬的 寄给 发给 交给 转给 送给 "
    "名为 名叫 署名 签名 作者 译者 主演 导演".split()
)
# Words just after a name (张三说, 李四表示, 王五，男，).
CUES_AFTER = frozenset(
    "说 说道 表示 称 指出 认为 告诉 介绍 回忆 透露 强调 坦言 笑 问 答 回答 解释 提出 建议 要求 希望 同意 "
    "负责 主持 出席 参加 出生 生于 毕业 担任 现任 曾任 曾 已 已经 正在 今年 今天 昨天 明天 本人 同志 "
    "男 女 先生 女士 等 、 和 与 的 在 去 来 打 给 也 都 就 又 还 被 把 对 向 从 于 今年 岁 是 家 电话 手机 "
    "联系 签收 收 发 写 看 做 买 卖 住 住在 入院 就诊 确诊 诊断 主诉 患 自述 因 反映 投诉 咨询 致电 来电 "
    "老师 医生 教授 经理 主任 @ ： 到 吗 呢 了 吧 啊 呀 （ ( 是谁 当选 获得 获 荣获 担任 发表 报道 来电 去世 逝世 "
    "出任 签字 签名 同志 一起 家里 那里 这里 的口吻".split()
)
# Surnames that are also very common words: a candidate led by one needs a cue or jieba's nr tag.
AMBIGUOUS_SURNAMES = frozenset(
    "于 向 和 常 安 方 高 白 明 平 文 马 石 时 成 原 应 来 那 都 过 信 由 生 第 解 单 查 区 干 但 位 强 国 相 计 万 全 关 公 "
    "云 海 花 连 宁 康 易 华 路 乐 容 敬 元 宇 展 智 幸 富 尧 利 能 初 门 晋 支 巴 丰 井 祖 权 帅 豆 盖 练 平 "
    "钱 金 黄 江 水 山 林 叶 谷 曲 甘 包 尚 符 满 楼 盘 闻 伊 阿 乌 母 修 宿 鲜 印 隆 诸 战 慕 危 玉 银 "
    "亢 宾 戎 勾 茅 呼 居 揭 斯 束 衣 阴 奉 植 衡 闭 续 暴 步 拓 达 渠 益 丘 焉 禄 操 寿 丑 帖 扎 凤 过 "
    "淡 伞 靖 冒 营 牧 旷 刑 仓 甫 寻 有 双 龙 雷 毛 史 陶 顾 贺 严 武 温 牛 齐 易 乔 左 宁 舒 纪 梅 "
    "童 单 季 成 谷 盛 游 辛 管 柴 蒙 车 项 连 麦 党 景 费 卫 冷 席 米 宗 桂 商 沙 荣 桑 郎 仲 池 官 "
    "封 谈 惠 乐 南 班 储 原 燕 楚 劳 皮 满 位 海 花 权 强 屠 国 平 计 索 宣 相 云 容 敬 来 都 普 薄 "
    "代 洪 萧 傅".split()
)
# Words that look like names and are not (a surname followed by name-like characters).
NOT_NAMES = frozenset(
    "高兴 马上 金额 黄金 白天 方面 方便 于是 常常 安全 平安 文明 明天 明白 和平 万一 石头 江湖 钱包 高级 高铁 "
    "王国 王牌 王者 李子 张开 张贴 刘海 陈列 杨柳 周末 周年 周围 吴语 徐徐 孙子 马路 朱红 胡同 何时 何况 "
    "林业 罗马 郑重 梁柱 谢谢 宋体 唐朝 许多 韩国 冯氏 邓氏 曹操 彭湃 曾经 田地 董事 袁氏 潘多拉 余额 叶子 "
    "程序 苏醒 魏晋 吕氏 丁香 任何 任务 沈阳 姚明 卢布 姜汤 崔氏 钟表 谭氏 陆地 汪汪 范围 金融 石油 贾氏 "
    "夏天 夏季 韦氏 付款 付费 方法 白色 邹氏 孟氏 熊猫 秦朝 邱氏 江山 尹氏 薛氏 段落 雷电 侯氏 龙头 史上 "
    "陶瓷 黎明 贺卡 顾客 顾问 毛巾 郝氏 龚氏 邵氏 万元 钱财 严格 覃氏 武器 戴着 莫名 孔子 向上 汤圆 常规 "
    "温度 康复 施工 文件 牛奶 樊氏 葛氏 邢氏 安排 齐全 易于 乔迁 伍氏 庞大 颜色 倪氏 庄园 聂氏 章节 鲁莽 "
    "岳父 岳母 翟氏 申请 殷勤 詹氏 欧洲 欧元 耿直 关于 关系 兰花 焦虑 俞氏 左右 柳树 甘肃 祝福 包裹 包括 "
    "宁静 尚未 符合 舒服 阮氏 柯氏 纪念 梅花 童年 毕业 凌晨 单位 季度 成功 霍乱 苗条 裴氏 涂料 谷歌 曲线 "
    "盛大 冉冉 翁氏 蓝色 骆驼 路上 游戏 靳氏 辛苦 管理 柴油 蒙古 鲍鱼 华为 喻氏 祁氏 蒲公英 房子 滕氏 屈服 "
    "饶恕 解决 牟利 艾滋 尤其 阳光 时间 穆斯林 应该 农民 司机 卓越 古代 吉祥 车辆 简单 连续 项目 麦当劳 "
    "洪水 赖账 傅里叶 代表 代码 萧条 小米 金山 白云 黄山 黄河 长江 江南 明星 华夏 龙华 文化 花园 海洋 "
    "中华 中国 东方红 公众 公司 公共 常用 平时 "
    # places and brands named after a person, or shaped like a name
    "王府井 张江 周大福 李宁 王老吉 张小泉 周黑鸭 李锦记 马应龙 王致和 同仁堂 陈李济 张裕 杨国福 "
    "蔡林记 谭木匠 李渡 王守义 钱江 何家 陈家 张家 李家 王家 刘家 赵家 周家 吴家 孙家 杨家 黄家".split()
)
# Last characters of words that only look like names (宣传语, 格式化, 初学者, 过敏史).
_NEVER_LAST = frozenset("化语者史性式率类型量度法")
# Function words and particles never part of a given name in prose.
NOT_GIVEN = frozenset("的了是在和有我你他她它们这那就都也还要会能说吗呢吧啊哦嗯着过被把给让从对向到与及或但而且很太最更已没"
                      "不别请谢个些么什怎样哪谁啥得地去上下里外中前后左右语者史化性式率夜啦老年月日号点分时天周元块次位名岁号楼室层栋"
                      "路街区市省县镇村乡组院所局处科部厅队站店馆厂司行业的吧呀哈嘿喂噢唉哎")

# Address parts (RE2; the whole expression runs on Arrow's RE2 in :func:`texts_with`).
_NUM = r"[0-9０-９一二三四五六七八九十百零〇两]"
_HOUSE = (rf"(?:{_NUM}{{1,5}} ?(?:号楼|号院|号|栋|幢|座|单元|室|户|弄|组|排|门)"
          r"|[0-9]{1,4}-[0-9]{1,4}(?:-[0-9]{1,5})?(?:号|室)?|[A-Za-z](?:座|栋|区))")
_ROOM = rf"(?:{_NUM}{{1,5}} ?(?:楼|层|室|号)|[0-9]{{3,5}})"
_PLACE_WORD = (r"(?:大街|大道|路|街|巷|弄|胡同|里|村|屯|庄|镇|乡|嘎查|社区|小区|花园|家园|新村|新城|苑|公寓|大厦|大楼|广场|"
               r"中心|园|宿舍|公馆|华府|名邸|山庄|城|湾|坊|院|区)")
_NAME_PART = r"[\p{Han}A-Za-z0-9 ]"
# A named place and, within a few characters, a house / building / room number: 文三路477号,
# 阳光花园3栋2单元502室, 李楼村5组12号; or a building-unit-room code after a compound's name
# (龙湖春江彼岸6-2-302: dates such as 2023-05-12 have a four-digit first part).
ADDRESS_DETAIL = (rf"{_NAME_PART}{{1,12}}?{_PLACE_WORD}(?:{_NAME_PART}{{0,8}}?{_PLACE_WORD})?"
                  rf"{_NAME_PART}{{0,4}}?{_HOUSE}(?:{_NAME_PART}{{0,4}}?{_HOUSE}){{0,3}}(?:{_ROOM})?"
                  r"|\p{Han}{2,12}?[0-9]{1,3}-[0-9]{1,2}-[0-9]{3,4}")
_LOCAL_WORD = r"(?:大街|大道|路|街|巷|弄|胡同|村|屯|镇|乡|嘎查|小区|花园|家园|新村|苑|公寓)"
# A county-level region (checked against the gazetteer after matching) then a local place.
REGION_LED = rf"\p{{Han}}{{1,8}}?(?:区|县|旗|市)[\p{{Han}} ]{{0,10}}?{_LOCAL_WORD}"


@cache
def address_regex() -> str:
    """Texts holding an address (RE2): detail with a number, or a region then a local place."""
    return rf"(?:{ADDRESS_DETAIL})|(?:{REGION_LED})"


@dataclass(frozen=True)
class _Lexicon:
    singles: frozenset[str]
    compounds: frozenset[str]
    given: frozenset[str]
    places: frozenset[str]
    tags: dict
    surname_pinyin: frozenset[str]
    syllables: frozenset[str]


_INIT_LOCK = threading.Lock()
# Given-name characters seen at least this often among jieba's person entries count as common.
MIN_GIVEN_COUNT = 3
# A made-up word whose given part is a word this frequent (云服务, 王时间) needs a cue.
COMMON_WORD_FREQ = 1000


@cache
def given_name_stats() -> dict[str, tuple[int, int]]:
    """How often each character is a given-name character among jieba's person entries, and
    how often it appears in transliterated foreign names."""
    text = (resources.DATA / "given_name_stats.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line)
    return {c: (int(n), int(f)) for c, n, f in rows}


def quiet_jieba(jieba) -> None:
    """jieba without log lines, and with its dictionary cache kept beside the package, never in
    the temp or home folder (the cache holds common words, names among them: a scan writes nothing
    that could be taken for data it read). Where the package folder is read-only, no cache is
    written and the dictionary is built in memory."""
    import logging
    import os

    jieba.setLogLevel(logging.CRITICAL)
    here = os.path.dirname(os.path.abspath(jieba.__file__))
    jieba.dt.tmp_dir = here if os.access(here, os.W_OK) else os.path.join(here, "no-cache")


@cache
def _jieba():
    """jieba, initialised once and quiet (it logs its dictionary build on stderr)."""

    import jieba
    import jieba.posseg

    quiet_jieba(jieba)
    with _INIT_LOCK:
        jieba.initialize()
        jieba.posseg.dt.word_tag_tab  # noqa: B018 (loaded with the tokenizer)
    return jieba


@cache
def lexicon() -> _Lexicon:
    posseg = _jieba().posseg
    places = resources.region_names() | set(resources.ethnicities()) | {e.removesuffix("族") for e in resources.ethnicities()}
    given = frozenset(resources.given_name_chars()) | frozenset(c for c, (n, _) in given_name_stats().items() if n >= MIN_GIVEN_COUNT)
    return _Lexicon(
        singles=resources.single_surnames(), compounds=resources.compound_surnames(),
        given=given - NOT_GIVEN, places=frozenset(places), tags=posseg.dt.word_tag_tab,
        surname_pinyin=resources.surname_pinyin(), syllables=resources.pinyin_syllables(),
    )


def tokenize(text: str) -> list[str]:
    """jieba's segmentation (with its HMM for unknown words, which is what finds new names)."""
    return _jieba().lcut(text)


_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
_LATIN = re.compile(r"^[A-Za-z]+$")
_DOTS = frozenset("·•・.．")
_PUNCT_SKIP = frozenset("：:，,“”\"' （）()")


def _surname_of(word: str, lex: _Lexicon) -> str | None:
    if word[:2] in lex.compounds and len(word) >= 2:
        return word[:2]
    if word[:1] in lex.singles:
        return word[:1]
    return None


def _plausible_given(given: str, lex: _Lexicon) -> bool:
    return 1 <= len(given) <= 2 and all(c in lex.given for c in given)


def _cue_before(tokens: list[str], i: int, opening: bool = True) -> bool:
    """A cue word just before token i (``opening``: the start of the text counts as one)."""
    j = i - 1
    while j >= 0 and tokens[j] in _PUNCT_SKIP:
        j -= 1
    if j < 0:
        return opening and i > 0 or opening and len(tokens) > i + 1 and tokens[i + 1][:1] in "，,：:（(、"
    prev = tokens[j]
    return (prev in CUES_BEFORE or prev in TITLES and len(prev) >= 2 or prev[-2:] in CUES_BEFORE or (len(prev) <= 2 and prev[-1:] in "和与及、@")
            or (len(prev) >= 2 and prev[-1] in "家员师手官" and prev not in ("大家", "国家", "专家", "人家", "自家", "官员")) or prev in ("学者", "读者", "作者", "患者", "记者")
            or (len(prev) >= 2 and prev[-1] == "人" and prev not in ("个人", "他人", "别人", "人人", "大人", "老人")))


def _cue_after(tokens: list[str], k: int, lex: _Lexicon | None = None) -> bool:
    if k >= len(tokens):
        return False
    nxt = tokens[k]
    if nxt in CUES_AFTER or nxt in TITLES or nxt[:1] in "说称，,、。；;！!？?（(" or nxt[:2] in CUES_AFTER:
        return True
    # an adverb, a time word or a preposition after a name: 张伟刚才, 李娜昨天, 王芳在
    if lex is not None and lex.tags.get(nxt) in ("d", "t", "p"):
        return True
    return nxt in _PUNCT_SKIP and k + 1 < len(tokens) and tokens[k + 1] in ("男", "女")


# Cues that make even a known word a name (周恩来 tagged t, 曾黎 tagged ns).
STRONG_AFTER = frozenset("说 表示 称 指出 认为 告诉 介绍 回忆 透露 强调 坦言 先生 女士 同志 教授 老师 医生 当选 是谁 "
                         "出生 毕业 担任 现任 曾任 逝世 去世 主演 执导 的口吻".split())


# Characters that jieba's HMM glues to a following surname (刚和许 / 文静, 以赖 / 声川).
_GLUE = frozenset("和与跟同以给叫是找让被把向对及请问由替帮见")


def _retokenize(tokens: list[str], lex: _Lexicon) -> list[str]:
    """Split unknown words that glue a function character to a surname: 和许 → 和 / 许."""
    out: list[str] = []
    for t in tokens:
        if len(t) >= 2 and t not in lex.tags and _HAN.match(t):
            if t[-1] in lex.singles and t[-2] in _GLUE:
                out.extend((t[:-1], t[-1]))
                continue
            if t[0] in _GLUE and len(t) >= 3 and _surname_of(t[1:], lex) and t[1:] not in lex.tags:
                out.extend((t[0], t[1:]))
                continue
        out.append(t)
    return out


_PLACE_AFTER = frozenset("乡 镇 村 路 街 县 区 市 庄 屯 沟 湾 桥 坝 岭 寨 堡 营 口 河 山 湖 港 站 巷 弄 里 道 州 省 家 嘴".split())
_GIVEN_TAGS = frozenset({None, "nr", "nrt", "nrfg", "nz", "n", "ng", "a", "an", "ns", "vn", "d", "b", "j", "i", "l", "g", "zg", "tg"})


def _chinese_name_end(tokens: list[str], i: int, lex: _Lexicon) -> int:
    w = tokens[i]
    surname = _surname_of(w, lex)
    if surname is None or w in NOT_NAMES or (w in lex.places and w != surname) or w[-1] in _NEVER_LAST:
        return 0
    n = len(tokens)
    rest = w[len(surname):]
    tag = lex.tags.get(w)
    ambiguous = surname in AMBIGUOUS_SURNAMES
    before = _cue_before(tokens, i)
    strict_before = _cue_before(tokens, i, opening=False)
    # 张先生, 李老师 as one token, or 张 + 先生
    if rest and rest in TITLES and len(w) <= 4:
        return i + 1
    if not rest:
        if i + 1 < n and tokens[i + 1] in TITLES:
            return i + 2
        # surname + one or two name tokens: 赖 / 春生, 李 / 政 / 说
        given = ""
        k = i + 1
        while k < n and len(given) < 2 and _HAN.match(tokens[k]) and len(given) + len(tokens[k]) <= 2:
            nxt = tokens[k]
            if not _plausible_given(nxt, lex) or nxt in NOT_NAMES or lex.tags.get(nxt, None) not in _GIVEN_TAGS:
                break
            given += nxt
            k += 1
        if not given:
            return 0
        if k < n and tokens[k] in _PLACE_AFTER:
            return 0
        full = surname + given
        if full in lex.places or full in NOT_NAMES:
            return 0
        after = _cue_after(tokens, k, lex)
        strong = (lex.tags.get(w) in ("nr", "zg", "q") or surname in lex.compounds) and not ambiguous
        if (before and after) or (strong and (strict_before or after)) or (strict_before and len(given) == 2) \
                or (len(given) == 2 and k < n and tokens[k] in STRONG_AFTER):
            return k
        return 0
    if len(rest) > (2 if len(surname) == 1 else 3) or not _HAN.match(rest):
        return 0
    if i + 1 < n and tokens[i + 1] in _PLACE_AFTER:
        return 0
    after = _cue_after(tokens, i + 1, lex)
    strong_after = i + 1 < n and tokens[i + 1] in STRONG_AFTER
    # jieba cut a three-character name after two characters: 郑家 / 豪 / 表示
    if len(w) == 2 and i + 2 < n and len(tokens[i + 1]) == 1 and _plausible_given(rest + tokens[i + 1], lex) \
            and tokens[i + 1] not in _PLACE_AFTER and lex.tags.get(tokens[i + 1]) in _GIVEN_TAGS \
            and (tokens[i + 2] in STRONG_AFTER or (strict_before and _cue_after(tokens, i + 2, lex))):
        return i + 2
    if not all(c in lex.given for c in rest) or len(rest) > 2:
        # a rare given character (梁漱溟): jieba knows the person, or a cue stands next to it
        if ((tag in ("nr", "nrfg") or surname in lex.compounds) and (strict_before or after)) or (
                all(c not in NOT_GIVEN for c in rest) and tag is None and (strict_before and after or strong_after)):
            return i + 1
        return 0
    if tag is None:  # a word jieba made up: the usual shape of a name
        rest_tag = lex.tags.get(rest)
        if rest_tag is not None and rest_tag not in ("nr", "nrfg", "nrt") and _jieba().dt.FREQ.get(rest, 0) > COMMON_WORD_FREQ:
            return i + 1 if strict_before or strong_after else 0  # 云服务: 云 + 服务
        if not ambiguous or strict_before or (after and tokens[i + 1] in CUES_AFTER | TITLES) or strong_after:
            return i + 1
        return 0
    if tag in ("nr", "nrt", "nrfg"):
        # jieba tags many common words nr (安静, 高峰, 段时间): frequent ones need a cue
        if any(c in NOT_GIVEN for c in rest) or _jieba().dt.FREQ.get(w, 0) > 300:
            return i + 1 if strict_before or strong_after else 0
        if not ambiguous and (before or after or len(w) == 3) or strict_before or (after and len(w) == 3):
            return i + 1
        return 0
    # a known word tagged otherwise (周恩来 is tagged t, 曾黎 ns): a cue next to it
    if tag in ("t", "ns", "nz", "nrt") or (tag in ("n", "ng") and len(w) == 3):
        if strict_before or strong_after or (surname in lex.compounds and after):
            return i + 1
    return 0


def _person_spans(tokens: list[str], lex: _Lexicon) -> list[tuple[int, int]]:
    """Token ranges [i, k) that are persons."""
    out: list[tuple[int, int]] = []
    n = len(tokens)
    i = 0
    while i < n:
        w = tokens[i]
        # Pinyin names: Zhang Wei, WANG Xiaoming, Xiaoming Wang
        if _LATIN.match(w) and w[0].isupper():
            k = _pinyin_name_end(tokens, i, lex)
            if k:
                out.append((i, k))
                i = k
                continue
        end = _chinese_name_end(tokens, i, lex) if _HAN.match(w) else 0
        if end:
            out.append((i, end))
            i = end
            continue
        i += 1
    return out


@cache
def _pinyin_parts() -> tuple[frozenset[str], frozenset[str]]:
    lex = lexicon()
    return lex.surname_pinyin, lex.syllables


def _is_syllables(word: str, syllables: frozenset[str], most: int = 2) -> bool:
    """Whether ``word`` is one to ``most`` pinyin syllables (xiaoming = xiao + ming)."""
    w = word.lower()
    if w in syllables:
        return True
    if most < 2:
        return False
    return any(w[:j] in syllables and w[j:] in syllables for j in range(1, len(w)))


_NOT_PINYIN_NAMES = frozenset({("hong", "kong"), ("xi", "an"), ("tian", "an"), ("ma", "ma"), ("ba", "ba")})


def _pinyin_name_end(tokens: list[str], i: int, lex: _Lexicon) -> int:
    """``Zhang Wei`` / ``WANG Xiaoming`` / ``Xiaoming Wang`` starting at token i, or 0."""
    parts = [tokens[i]]
    k = i + 1
    while len(parts) < 3 and k + 1 < len(tokens) + 1 and k < len(tokens) and tokens[k] == " " and k + 1 < len(tokens) \
            and _LATIN.match(tokens[k + 1]) and tokens[k + 1][0].isupper():
        parts.append(tokens[k + 1])
        k += 2
    if len(parts) < 2:
        return 0
    low = [p.lower() for p in parts]
    if tuple(low[:2]) in _NOT_PINYIN_NAMES:
        return 0
    if not all(p.isupper() or p[1:].islower() for p in parts):
        return 0
    sur, syl = lex.surname_pinyin, lex.syllables
    if len(parts) == 2:
        ok = (low[0] in sur and _is_syllables(low[1], syl)) or (low[1] in sur and _is_syllables(low[0], syl))
    else:
        ok = low[0] in sur and all(p in syl for p in low[1:])
    return k if ok else 0


def address_spans(texts: list[str]) -> list[list[tuple[int, int]]]:
    """Character ranges holding an address in each text: one Arrow RE2 pass over all of them."""
    if not texts:
        return []
    arr = pa.array(texts, pa.string())
    out: list[list[tuple[int, int]]] = [[] for _ in texts]
    hit = pc.match_substring_regex(arr, address_regex()).fill_null(False).to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(hit)
    if not len(idx):
        return out
    marked = pc.replace_substring_regex(arr.take(pa.array(idx)), pattern=f"({address_regex()})",
                                        replacement="\x01\\1\x02").to_pylist()
    for row, text in zip(idx.tolist(), marked, strict=True):
        spans = []
        pos = removed = 0
        while (a := text.find("\x01", pos)) >= 0:
            b = text.find("\x02", a)
            span = _trim_address(texts[row], a - removed, b - removed - 1)
            if span is not None:
                spans.append(span)
            removed += 2
            pos = b + 1
        out[row] = spans
    return out


# Where a lazily matched address may begin too early: after these, the address starts.
_ADDRESS_LEAD = re.compile(r"^.*(?:住|住在|家住|位于|寄到|送到|送至|配送至|寄往|发往|地址是|地址为|地址|住址|现居|居住|"
                           r"址|在|到|于|是|为|往|至|将|：|:|“|，|、|\s)")


def _trim_address(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Drop the words a lazy match took before the address; check a region-led match's region."""
    span = text[start:end]
    head_end = min((span.find(w) for w in ("路", "街", "道", "巷", "弄", "村", "镇", "乡", "区", "县", "市", "省", "小区",
                                           "花园", "苑", "大厦") if w in span), default=len(span))
    # the lead words lie before the first place word (bounded: spans are at most ~60 characters)
    m = _ADDRESS_LEAD.match(span[:head_end])
    if m and m.end() < len(span):
        start += m.end()
        span = text[start:end]
    if not re.search(r"[0-9０-９]|[一二三四五六七八九十]+(?:组|号|栋|幢|单元|室|楼)", span):
        # region-led without a number: the region must be a real one (朝阳区, not 市区)
        if not any(span[:j] in _county_names() for j in range(2, min(len(span), 12) + 1)) and \
                not any(span[a:j] in _county_names() for a in range(0, 8) for j in range(a + 2, min(len(span), a + 10) + 1)):
            return None
    return (start, end)


@cache
def _county_names() -> frozenset[str]:
    return frozenset(name for _, name in resources.regions() if len(name) >= 3)


def _token_starts(tokens: list[str]) -> list[int]:
    starts, pos = [], 0
    for t in tokens:
        starts.append(pos)
        pos += len(t)
    return starts


def find_entities(text: str) -> list[tuple[str, int, int, str]]:
    """(label, start, end, text) of the persons, addresses, places and organisations in ``text``."""
    if not text:
        return []
    return find_entities_batch([text])[0]


def find_entities_batch(texts: list[str]) -> list[list[tuple[str, int, int, str]]]:
    """:func:`find_entities` for many texts: the address pattern runs once over all of them."""
    addresses = address_spans(texts)
    return [_entities(text, spans) if text else [] for text, spans in zip(texts, addresses, strict=True)]


@cache
def transliteration_chars() -> frozenset[str]:
    """Characters of transliterated names (jieba's ``nrt`` entries: 约翰, 肯尼迪, 阿卜杜拉...)."""
    import collections

    counts: collections.Counter[str] = collections.Counter()
    for word, tag in lexicon().tags.items():
        if tag == "nrt":
            counts.update(word)
    return frozenset(c for c, n in counts.items() if n >= 3) | frozenset("买提艾力古丽娜扎热合曼迪巴木拉尔肯吐尼亚孜努阿卜杜依")


def dotted_names(text: str) -> list[tuple[int, int]]:
    """Names written with middle dots (约翰·菲茨杰拉德·肯尼迪, 阿卜杜拉·艾力): runs of
    transliteration characters joined by dots, each part at most 10 characters."""
    chars = transliteration_chars()
    out: list[tuple[int, int]] = []
    pos = 0
    n = len(text)
    while True:
        dots = [text.find(d, pos) for d in "·•・"]
        dots = [d for d in dots if d >= 0]
        if not dots:
            return out
        d = min(dots)
        start = d
        while start > 0 and d - start < 10 and text[start - 1] in chars:
            start -= 1
        end = d
        while True:
            k = end + 1
            while k < n and k - end <= 10 and text[k] in chars:
                k += 1
            if k == end + 1:
                break
            end = k
            if end < n and text[end] in "·•・":
                continue
            break
        if start < d and end > d + 1 and (not out or start >= out[-1][1]):
            out.append((start, end))
        pos = max(end, d + 1)


def _entities(text: str, addresses: list[tuple[int, int]]) -> list[tuple[str, int, int, str]]:
    lex = lexicon()
    tokens = _retokenize(tokenize(text), lex)
    starts = _token_starts(tokens)
    out: list[tuple[str, int, int, str]] = [(ADDRESS, s, e, text[s:e]) for s, e in addresses]
    dotted = dotted_names(text) if ("·" in text or "•" in text or "・" in text) else []
    out.extend((PERSON, s, e, text[s:e]) for s, e in dotted)
    for i, k in _person_spans(tokens, lex):
        s, e = starts[i], starts[k - 1] + len(tokens[k - 1])
        # 李家坝村, 陆家嘴 inside an address; parts of a dotted name
        if not any(a <= s and e <= b for a, b in addresses) and not any(a < e and s < b for a, b in dotted):
            out.append((PERSON, s, e, text[s:e]))
    taken = [(s, e) for _, s, e, _ in out]
    for i, t in enumerate(tokens):
        s, e = starts[i], starts[i] + len(t)
        if any(a < e and s < b for a, b in taken):
            continue
        tag = lex.tags.get(t)
        if tag == "nt" or (len(t) >= 4 and t.endswith(("公司", "集团", "银行", "医院", "大学", "学院", "学校", "政府", "委员会", "研究所"))):
            out.append((ORGANIZATION, s, e, t))
        elif tag == "ns" or t in lex.places or (len(t) >= 3 and t.endswith(("路", "街", "大道")) and tag in (None, "nz", "ns")):
            out.append((LOCATION, s, e, t))
    return sorted(out, key=lambda x: (x[1], x[2]))


# --- whole arrays (the --full pass) -----------------------------------------------------------

_LAST = threading.local()


def texts_with(label: str, texts: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Rows of ``texts`` holding a ``label`` entity (PERSON or ADDRESS), and its first span's text.

    Texts are de-duplicated first (chat and comment columns repeat a lot), analysed once with
    :func:`find_entities_batch`, and the last array's answer is kept per thread, so that asking
    for both labels costs one pass.

    >>> found, values = texts_with(PERSON, pa.array(["患者王建国，男，45岁", "今天天气很好", None]))
    >>> found.tolist(), values.to_pylist()
    ([True, False, False], ['王建国', None, None])
    """
    if label not in (PERSON, ADDRESS):
        raise ValueError(f"unknown label {label}")
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    key = (id(texts), len(texts), texts.offset)
    cached = getattr(_LAST, "result", None)
    if cached is None or cached[0] != key or cached[1] is not texts:
        encoded = pc.dictionary_encode(texts)
        uniques = encoded.dictionary.to_pylist()
        found = find_entities_batch([u or "" for u in uniques])
        firsts = {}
        for lab in (PERSON, ADDRESS):
            firsts[lab] = pa.array([next((t for la, _, _, t in ents if la == lab), None) for ents in found],
                                   pa.string()).take(encoded.indices)
        cached = (key, texts, firsts)
        _LAST.result = cached
    values = cached[2][label]
    return values.is_valid().to_numpy(zero_copy_only=False), values


# --- the spaCy component ------------------------------------------------------------------------

class ZhEntityComponent:
    """spaCy component ``chujing_zh_ner``: sets ``doc.ents`` from :func:`find_entities`.

    ``pipe`` handles a batch at once (one address pass for all its texts), which is what
    Presidio's ``process_batch`` and spaCy's ``nlp.pipe`` call.
    """

    def __call__(self, doc):
        return self._set(doc, find_entities(doc.text))

    def pipe(self, docs, batch_size: int = 256):
        batch = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._batch(batch)
                batch = []
        if batch:
            yield from self._batch(batch)

    def _batch(self, docs):
        for doc, entities in zip(docs, find_entities_batch([d.text for d in docs]), strict=True):
            yield self._set(doc, entities)

    @staticmethod
    def _set(doc, entities):
        from spacy.util import filter_spans

        spans = [doc.char_span(s, e, label=label, alignment_mode="expand") for label, s, e, _ in entities]
        doc.ents = filter_spans([span for span in spans if span is not None])
        return doc

    # nothing to save: the component's knowledge is in detectors/data and jieba's dictionary
    def to_disk(self, path, exclude=()):
        return None

    def from_disk(self, path, exclude=()):
        return self


_REGISTERED = False


def register_spacy_component() -> None:
    """Make ``chujing_zh_ner`` known to spaCy (needed before a saved pipeline is loaded)."""
    global _REGISTERED
    if _REGISTERED:
        return

    import jieba
    from spacy.language import Language

    quiet_jieba(jieba)  # spaCy's tokenizer initialises jieba, which logs on stderr
    if not Language.has_factory("chujing_zh_ner"):
        Language.factory("chujing_zh_ner", func=lambda nlp, name: ZhEntityComponent())
    _REGISTERED = True
