"""微信号 (WeChat ID).

A WeChat ID chosen by its user is 6 to 20 letters, digits, ``_`` or ``-`` and starts with a
letter; accounts that never chose one show the original ``wxid_`` + letters and digits; many
users set their mobile number or QQ number as their ID. The shape is that of any login name, so
only a header (微信号, wechat, wxid) labels a column.

A person key of the *contact* kind (``person_key=True``, ``identity=False``): an account usually
belongs to one person but is not an identity document.

>>> is_valid("zhangwei_88"), is_valid("wxid_a1b2c3d4e5f6g7"), is_valid("13800138000"), is_valid("8zhang")
(True, True, True, False)
>>> mask("zhangwei_88")
'zh*******88'
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, strip_whitespace

ENTITY = "WECHAT_ID"
SENSITIVE = False
CATEGORY = "contact"

PATTERN = r"wxid_[a-z0-9]{8,24}|[a-z][a-z0-9_\-]{5,19}|1[3-9]\d{9}|[1-9]\d{4,10}"
HEADER_WORDS = ("微信", "微信号", "微信账号", "微信id", "wechat", "wechatid", "weixin", "weixinhao", "wxid")
HEADER_EXACT = ("wx", "wxh", "wxzh")
HEADER_NEGATIVE = ("openid", "unionid", "支付", "pay", "昵称", "nickname", "头像", "avatar", "群", "group", "公众号", "小程序",
                   "时间", "time", "是否", "flag")


def mask(value: str) -> str:
    if len(value) < 8:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def normalise(values: pa.Array) -> pa.Array:
    return pc.utf8_lower(strip_whitespace(values))


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="微信号 — WeChat ID (under a header: 6-20 characters from a letter, wxid_..., or a phone/QQ number)",
    pattern=PATTERN,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=HEADER_NEGATIVE,
    requires_header=True,
    person_key=True,
    identity=False,
    min_share=0.8,
    priority=55,
    examples=("zhangwei_88",),
    in_free_text=False,
)

is_valid = DETECTOR.is_valid
