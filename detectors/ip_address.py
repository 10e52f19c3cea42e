"""IP 地址 (IPv4 or IPv6 address).

IPv4: four decimal octets 0-255 without leading zeros (``192.168.1.20``); IPv6: eight groups of
hex, or a shortened form with ``::`` (RFC 4291), with the last 32 bits written as IPv4 in the
IPv4-mapped and -embedded forms (``::ffff:10.0.0.1``, the usual dual-stack log form;
``64:ff9b::192.0.2.33``), and a zone id after ``%`` (``fe80::1%eth0``, RFC 6874). The unspecified
addresses ``0.0.0.0`` and ``::`` mean "no address" and are never valid. A software version such as ``1.2.3`` has three parts;
``1.2.3.4`` is a valid address and so counts: a column needs 80% of such values.

>>> is_valid("192.168.1.20"), is_valid("2001:db8::8a2e:370:7334"), is_valid("256.1.1.1"), is_valid("01.2.3.4")
(True, True, False, False)
>>> is_valid("::ffff:10.0.0.1"), is_valid("64:ff9b::192.0.2.33"), is_valid("fe80::1%eth0"), is_valid("::ffff:300.0.0.1")
(True, True, True, False)
>>> mask("192.168.1.20")
'192.168.*.*'
"""

from __future__ import annotations

import ipaddress
import re

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, strip_whitespace

ENTITY = "IP_ADDRESS"
SENSITIVE = False
CATEGORY = "device"

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H = "[0-9a-f]{1,4}"
# Every RFC 4291 form: n groups before "::" and m after, n + m <= 7 (a group too many is no
# address); with an IPv4 tail the groups are 6 (n + m <= 5 around "::").
IPV6_HEX = (f"(?:{_H}:){{7}}{_H}|::|(?:{_H}:){{1,7}}:|:(?::{_H}){{1,7}}"
            + "".join(f"|(?:{_H}:){{{n}}}(?::{_H}){{1,{7 - n}}}" for n in range(1, 7)))
IPV6_V4 = (f"(?:{_H}:){{6}}{IPV4}|::(?:{_H}:){{0,5}}{IPV4}"
           + "".join(f"|(?:{_H}:){{{n}}}:(?:{_H}:){{0,{5 - n}}}{IPV4}" for n in range(1, 6)))
IPV6 = f"(?:{IPV6_HEX}|{IPV6_V4})(?:%[0-9a-z._\\-]{{1,32}})?"
PATTERN = f"{IPV4}|{IPV6}"
# The unspecified addresses stand for "no address" (an unset field), not for a device.
PLACEHOLDER = r"0\.0\.0\.0|::|(?:0{1,4}:){7}0{1,4}"
HEADER_WORDS = ("ip", "ip地址", "登录ip", "ipaddress", "ipaddr", "clientip", "remoteip", "sourceip", "srcip")
HEADER_EXACT = ("ip", "ipdz")


def is_valid(value: str) -> bool:
    value = value.strip().lower()
    if re.fullmatch(PATTERN, value) is None or re.fullmatch(PLACEHOLDER, value) is not None:
        return False
    try:
        ipaddress.ip_address(value.split("%")[0])
    except ValueError:
        return False
    return True


def normalise(values: pa.Array) -> pa.Array:
    return pc.utf8_lower(strip_whitespace(values))


def mask(value: str) -> str:
    value = value.split("%")[0]
    if ":" in value and "." in value:  # ::ffff:10.0.0.1: the IPv4 tail is the address
        head, _, tail = value.rpartition(":")
        return head + ":" + mask(tail)
    if "." in value:
        parts = value.split(".")
        return ".".join(parts[:2] + ["*"] * (len(parts) - 2))
    parts = value.split(":")
    return ":".join(parts[:2] + ["*"] * (len(parts) - 2))


DETECTOR = Detector(
    entity=ENTITY,
    value_check=is_valid,
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="IP 地址 — IPv4 or IPv6 address",
    pattern=PATTERN,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_negative=("版本", "version", "ver"),
    placeholder=PLACEHOLDER,
    min_share=0.8,
    priority=85,
    examples=("192.168.1.20",),
    text_pattern=rf"(?<![0-9.])(?:{IPV4})(?![0-9.])",
    context_words=("ip", "地址"),
    text_score=0.6,
)
