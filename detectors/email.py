"""电子邮箱 (e-mail address).

``local@domain.tld``: a local part of letters, digits and ``._%+-``, a domain of labels and a
top-level domain of two or more letters. Internationalised addresses count too (RFC 6530-6532):
Chinese local parts (``用户@例子.中国``), Unicode domains and TLDs (``.中国``, ``.公司``) and their
punycode form (``xn--fiqs8s``). Chinese users often write ``＠`` (full width), ``。`` for the dot
or ``[at]``; all are normalised.

>>> is_valid("zhang.wei@163.com"), is_valid("zhangwei@qq"), is_valid("a@b.c")
(True, False, False)
>>> is_valid("用户@例子.中国"), is_valid("info@xn--fsqu00a.xn--fiqs8s"), is_valid("zhang@公司.中国"), is_valid("用户@例子")
(True, True, True, False)
>>> mask("zhang.wei@163.com")
'z********@163.com'
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, replace_regex

ENTITY = "EMAIL"
SENSITIVE = False
CATEGORY = "contact"

_LOCAL = r"[\p{L}\p{N}][\p{L}\p{N}._%+\-]{0,63}"
_LABEL = r"[\p{L}\p{N}](?:[\p{L}\p{N}\-]{0,61}[\p{L}\p{N}])?"
_TLD = r"\p{L}{2,24}|xn--[a-z0-9\-]{2,59}"
PATTERN = rf"{_LOCAL}@(?:{_LABEL}\.)+(?:{_TLD})"
HEADER_WORDS = ("邮箱", "电子邮件", "电邮", "email", "e-mail", "mail", "youxiang")
HEADER_EXACT = ("yx", "dzyx", "dzyj")


def mask(value: str) -> str:
    local, _, domain = value.partition("@")
    return (local[:1] + "*" * max(3, len(local) - 1) + "@" + domain) if domain else "*" * len(value)


_ASCII = re.compile(r"[a-z0-9][a-z0-9._%+\-]{0,63}@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,24}|xn--[a-z0-9\-]{2,59})")


def is_valid(address: str) -> bool:
    value = re.sub(r"＠|\[at\]|\(at\)", "@", address.strip().lower()).replace("。", ".")
    if value.isascii():  # the common case, without an Arrow round trip (Presidio checks one match at a time)
        return _ASCII.fullmatch(value) is not None
    return DETECTOR.is_valid(address)


def normalise(values: pa.Array) -> pa.Array:
    values = pc.utf8_trim_whitespace(values)
    # ASCII lower-casing is several times faster, and almost every address is ASCII.
    ascii_only = pc.all(pc.string_is_ascii(values)).as_py() is not False
    values = pc.ascii_lower(values) if ascii_only else pc.utf8_lower(values)
    values = replace_regex(values, pattern=r"＠|\[at\]|\(at\)", replacement="@")
    if ascii_only:
        return values  # no full-width 。 in ASCII
    return pc.replace_substring(values, pattern="。", replacement=".")


DETECTOR = Detector(
    entity=ENTITY,
    value_check=is_valid,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="电子邮箱 — e-mail address",
    pattern=PATTERN,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    person_key=True,
    min_share=0.8,
    priority=90,
    examples=("zhang.wei@163.com",),
    text_pattern=r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,24}",
    text_score=0.9,
    patterns_tested=True,  # RE2 takes ~0.17 s to compile PATTERN: not at every start
)
# In prose the address stays ASCII: a Chinese local part runs into the words around it
# (联系邮箱用户@例子.中国), so no boundary could be found.
