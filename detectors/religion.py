"""宗教信仰 (religious belief).

Sensitive personal information under PIPL Art 28 (宗教信仰) and GB/T 35273-2020 Appendix B. A
column holds the names of religions and their branches (佛教, 藏传佛教, 道教, 伊斯兰教, 天主教,
基督教, 东正教, 犹太教, 印度教, Buddhism, Islam, Catholic...). Under a header that names religion
(宗教信仰, 信仰, religion), "无" / "不信教" / "none" / "其他" count too: saying that a person has
no religion is a statement about their belief.

>>> is_valid("佛教"), is_valid("伊斯兰教"), is_valid("Christianity"), is_valid("无")
(True, True, True, False)
>>> DETECTOR.valid_mask(__import__("pyarrow").array(["无", "佛教"]), header_named=True)[0].tolist()
[True, True]
"""

from __future__ import annotations

import pyarrow as pa

from detectors.base import Detector, strip_whitespace

ENTITY = "RELIGION"
SENSITIVE = True  # PIPL Art 28
CATEGORY = "religion"

NAMES = (
    "佛教", "汉传佛教", "藏传佛教", "南传佛教", "道教", "伊斯兰教", "回教", "天主教", "基督教", "基督新教", "新教", "东正教",
    "犹太教", "印度教", "锡克教", "耆那教", "神道教", "巴哈伊教", "萨满教", "儒教", "民间信仰", "喇嘛教",
    "佛教徒", "基督徒", "穆斯林", "天主教徒", "道教徒",
    "buddhism", "buddhist", "taoism", "taoist", "daoism", "islam", "muslim", "moslem", "christianity", "christian",
    "catholic", "catholicism", "protestant", "protestantism", "orthodox", "judaism", "jewish", "hinduism", "hindu",
    "sikhism", "sikh", "jainism", "shinto", "bahai",
)
PATTERN = "(?i:" + "|".join(sorted(NAMES, key=len, reverse=True)) + ")"
# Under a religion header: no religion, atheism, "other" are beliefs stated.
HEADER_PATTERN = r"(?i:无|无宗教|无宗教信仰|不信教|没有|其他|其它|none|no|atheist|atheism|agnostic|other|n/a)"
HEADER_WORDS = ("宗教", "宗教信仰", "信仰", "信教", "religion", "religious", "faith", "belief", "zongjiao")
HEADER_EXACT = ("zj", "zjxy")
HEADER_NEGATIVE = ("信用", "credit", "信仰值")


def mask(value: str) -> str:
    return "*" * len(value)


def normalise(values: pa.Array) -> pa.Array:
    return strip_whitespace(values)


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="宗教信仰 — religious belief (佛教, 伊斯兰教, 基督教...; 无 under a religion header)",
    pattern=PATTERN,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=HEADER_NEGATIVE,
    header_pattern=HEADER_PATTERN,
    min_share=0.8,
    priority=27,
    examples=("佛教", "伊斯兰教"),
    in_free_text=False,
)

is_valid = DETECTOR.is_valid
