"""口令与令牌 (credentials: passwords, password hashes, login tokens).

Recognised from the values alone: bcrypt (``$2b$12$...``), argon2, scrypt and the ``$1$`` /
``$5$`` / ``$6$`` crypt formats, PBKDF2 strings, and JSON Web Tokens (``eyJ...``). Under a
header that says 密码 / password / token, hex digests (MD5, SHA-1, SHA-256, SHA-512), base64
digests and plain passwords count too: a bare hex string is as often a file checksum.

A header alone is not enough: plain values need length (6 characters or more: a 6-digit payment
PIN counts) and must not be a counter. A ``session_id`` column holding S0...S999, or S000001,
S000002..., is a sequence number with one prefix, not a secret (``column_check``, which runs
under the header too).

>>> is_valid("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW")
True
>>> is_valid("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlX2J5dGVz")
True
>>> is_valid("5f4dcc3b5aa765d61d8327deb882cf99")   # MD5: only under a password header
False
>>> import pyarrow as pa
>>> looks_secret(pa.array([f"S{i}" for i in range(1000)])), looks_secret(pa.array([f"S{i:06d}" for i in range(1000)]))
(0.0, 0.0)
>>> looks_secret(pa.array(["5f4dcc3b5aa765d61d8327deb882cf99", "482c811da5d5b4bc6d497ffa98491e38"]))
1.0
>>> mask("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW")
'$2b$*****'
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, strip_whitespace

ENTITY = "CREDENTIAL"
SENSITIVE = True
CATEGORY = "credential"

PATTERN = (
    r"\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}"  # bcrypt
    r"|\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+"
    r"|\$(?:1|5|6|y|7|scrypt)\$[./A-Za-z0-9$=,+]{8,}"  # md5-crypt, sha-crypt, yescrypt, scrypt
    r"|pbkdf2[_:$][A-Za-z0-9_$:.=+/\-]{20,}"
    r"|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"  # JWT
)
DIGESTS = r"[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64}|[0-9a-fA-F]{128}|[A-Za-z0-9+/]{20,}={0,2}"
HEADER_PATTERN = rf"{DIGESTS}|\S{{6,128}}"
HEADER_WORDS = ("密码", "口令", "登录密码", "支付密码", "密码哈希", "password", "passwd", "pwd", "passhash", "pwdhash",
                "token", "accesstoken", "refreshtoken", "sessionid", "apikey", "secret", "令牌", "mima")
HEADER_EXACT = ("mm", "dlmm", "pass", "pw", "sid")
HEADER_NEGATIVE = ("过期", "expire", "更新时间", "修改时间", "updated", "时间", "time", "提示", "hint", "强度", "strength",
                   "是否", "flag", "type", "类型", "长度", "length")


def mask(value: str) -> str:
    m = re.match(r"^(\$[^$]+\$)", value)
    head = m.group(1) if m else value[:3]
    return head + "*****"


def looks_secret(values: pa.Array) -> float:
    """Share of a column's candidate values that can be secrets; 0 for a counter.

    Hashes, tokens and digests are secrets by their shape. Plain values are not when they are
    one or a few prefixes followed by a dense run of numbers (S000001, S000002...): sequence
    numbers, whatever the header says. Vectorised: one regex extraction and numpy.
    """
    n = len(values)
    if n == 0:
        return 0.0
    parts = pc.extract_regex(values, r"^(?P<prefix>[^0-9]{0,8})(?P<number>[0-9]{1,15})$")
    numbered = parts.is_valid().to_numpy(zero_copy_only=False)
    if numbered.sum() >= 0.9 * n and numbered.sum() >= 20:
        kept = parts.filter(pa.array(numbered))
        prefixes = pc.count_distinct(pc.struct_field(kept, "prefix")).as_py()
        numbers = np.unique(pc.cast(pc.struct_field(kept, "number"), pa.int64()).to_numpy(zero_copy_only=False))
        span = int(numbers[-1] - numbers[0]) + 1
        if prefixes <= 3 and len(numbers) >= 20 and span <= 4 * len(numbers):
            return 0.0
    strong = pc.match_substring_regex(values, f"^(?:{PATTERN}|{DIGESTS})$").to_numpy(zero_copy_only=False)
    long_enough = pc.greater_equal(pc.utf8_length(values), 6).fill_null(False).to_numpy(zero_copy_only=False)
    return float((strong | long_enough).mean())


def is_valid(value: str) -> bool:
    return re.fullmatch(PATTERN, value.strip()) is not None


DETECTOR = Detector(
    entity=ENTITY,
    value_check=is_valid,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="口令 / 令牌 — passwords, password hashes (bcrypt, argon2, crypt, hex under a header), login tokens",
    pattern=PATTERN,
    normalise=strip_whitespace,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=HEADER_NEGATIVE,
    header_pattern=HEADER_PATTERN,
    column_check=looks_secret,
    column_check_under_header=True,
    min_share=0.8,
    priority=92,
    examples=("$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",),
    text_pattern=r"(?:\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
    context_words=("密码", "password", "token", "口令"),
    text_score=0.8,
)
