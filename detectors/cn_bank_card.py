"""银行卡号 (bank card / account number).

Most Chinese cards are UnionPay: 16 to 19 digits starting with 62 and Luhn-valid. Some legacy
domestic cards (e.g. 9558…) do not pass Luhn, so a column whose header says 银行卡 / 账号 and
whose values are 16-19 digit runs is a bank-card column too.

Trap: about one in ten valid 18-digit resident ID numbers also passes Luhn; an ID column must
not be read as bank cards. The classifier resolves that conflict by priority (the ID check is
stricter) and by the share of values starting with a card BIN.

>>> is_luhn("6222021234567890128")
True
>>> is_valid("6222021234567890128"), is_valid("6222021234567890127")
(True, False)
>>> DETECTOR.is_valid("378282246310005"), DETECTOR.is_valid("378282246310006")   # American Express
(True, False)
>>> mask("6222021234567890128")
'622202*********0128'
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from detectors.base import Detector, keep_ends_mask, remove_separators
from detectors.checks import luhn

ENTITY = "CN_BANK_CARD"
SENSITIVE = True
CATEGORY = "financial_account"

# Issuer prefixes seen on Chinese cards: UnionPay 62, 60 (Discover-UnionPay), legacy domestic
# 9 (e.g. 9558 ICBC), and co-branded Visa/Master/JCB (4, 5, 35, 37), and American Express's 15
# digits (34, 37). A 15-digit Luhn number is also the shape of an IMEI: under a card header the
# card reading wins (see ``detectors.classify``), without one the stricter IMEI does.
PATTERN = r"(?:62|60|4\d|5[1-5]|3[57]|9\d)\d{14,17}|3[47]\d{13}"

HEADER_WORDS = (
    "银行卡", "银行卡号", "卡号", "银行账号", "银行账户", "开户账号", "账号", "收款账号", "结算账户",
    "bankcard", "cardno", "cardnumber", "accountno", "bankaccount", "iban", "yinhangka",
)
HEADER_EXACT = ("yhkh", "yhzh", "khzh", "skzh", "acct", "kh", "zh")
# Under a bank-card header: any 15-19 digit account number (legacy 9558... cards fail Luhn,
# and bank account numbers are not card numbers).
HEADER_PATTERN = r"\d{15,19}"
TEXT_PATTERN = r"(?<![0-9A-Za-z])(?:62\d{2}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?)(?![0-9A-Za-z])"


def compact(number: str) -> str:
    return "".join(number.split()).replace("-", "")


def is_luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def is_valid(number: str) -> bool:
    number = compact(number)
    return number.isdigit() and 16 <= len(number) <= 19 and number[:2] == "62" and is_luhn(number)


def is_card_in_text(number: str) -> bool:
    """A card number met in prose: 16-19 digits passing Luhn, spaces and dashes allowed."""
    number = re.sub(r"[\s\-]", "", number)
    return number.isdigit() and 16 <= len(number) <= 19 and is_luhn(number)


mask = keep_ends_mask(6, 4)


luhn_array = luhn  # kept for callers of the first version


def validate_array(values: pa.Array) -> np.ndarray:
    """Luhn-valid; legacy non-Luhn cards are accepted only under a header (``HEADER_PATTERN``)."""
    return luhn(values)


DETECTOR = Detector(
    digit_checksum=True,
    entity=ENTITY,
    value_check=is_card_in_text,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="银行卡号 / 银行账户 — bank card or account number (UnionPay 62, Luhn)",
    pattern=PATTERN,
    validate=validate_array,
    normalise=lambda v: remove_separators(v, "[\\s\\-\u3000\u00a0]"),
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=("订单", "order", "运单", "waybill", "流水", "批次", "身份证", "证件", "社保", "社会保障", "医保",
                     "iccid", "sim", "登录", "login", "用户", "user", "会员", "member", "qq", "微信", "wechat", "常旅客", "积分", "里程", "frequent", "loyalty", "ffp",
                     "快递", "物流", "sku"),
    header_pattern=HEADER_PATTERN,
    text_pattern=TEXT_PATTERN,
    context_words=("银行卡", "卡号", "账号", "账户", "card", "account"),
    text_score=0.3,
    person_key=True,
    min_share=0.9,
    priority=60,
    examples=("6222021234567890128",),
)
