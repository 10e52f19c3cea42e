"""MAC 地址 (IEEE 802 MAC address).

Six hex octets separated by ``:`` or ``-`` (``3C:22:FB:1A:2B:3C``), or Cisco's ``3c22.fb1a.2b3c``;
twelve bare hex digits only under a header (they look like any hex identifier). The all-zero
address (an unset field) and the broadcast address ``FF:FF:FF:FF:FF:FF`` name no device: never
valid, under a header either.

>>> is_valid("3C:22:FB:1A:2B:3C"), is_valid("3c-22-fb-1a-2b-3c"), is_valid("3c22.fb1a.2b3c"), is_valid("3C22FB1A2B3C")
(True, True, True, False)
>>> is_valid("00:00:00:00:00:00"), is_valid("FF-FF-FF-FF-FF-FF")
(False, False)
>>> mask("3C:22:FB:1A:2B:3C")
'3C:22:FB:**:**:**'
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, strip_whitespace

ENTITY = "MAC_ADDRESS"
SENSITIVE = False
CATEGORY = "device"

PATTERN = r"[0-9A-F]{2}(?::[0-9A-F]{2}){5}|[0-9A-F]{2}(?:-[0-9A-F]{2}){5}|[0-9A-F]{4}\.[0-9A-F]{4}\.[0-9A-F]{4}"
HEADER_PATTERN = r"[0-9A-F]{12}"
PLACEHOLDER = r"[0:.\-]+|[F:.\-]+"  # all zeros, all ones (broadcast), in any of the written forms
HEADER_WORDS = ("mac", "mac地址", "macaddress", "macaddr", "物理地址", "网卡地址", "wifimac", "btmac", "蓝牙地址")
HEADER_EXACT = ("mac", "macdz")


def is_valid(value: str) -> bool:
    value = value.strip().upper()
    return re.fullmatch(PATTERN, value) is not None and re.fullmatch(PLACEHOLDER, value) is None


def mask(value: str) -> str:
    sep = next((c for c in value if c in ":-."), "")
    if sep == ":" or sep == "-":
        parts = value.split(sep)
        return sep.join(parts[:3] + ["**"] * (len(parts) - 3))
    return value[:6] + "*" * (len(value) - 6)


def normalise(values: pa.Array) -> pa.Array:
    return pc.utf8_upper(strip_whitespace(values))


DETECTOR = Detector(
    entity=ENTITY,
    value_check=is_valid,
    thing_key="device",
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="MAC 地址 — network hardware address (six hex octets)",
    pattern=PATTERN,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_pattern=HEADER_PATTERN,
    placeholder=PLACEHOLDER,
    person_key=False,  # identifies a device, vehicle or many people: not a person on its own
    min_share=0.8,
    priority=84,
    examples=("3C:22:FB:1A:2B:3C",),
    text_pattern=r"(?<![0-9A-Fa-f:\-])(?:[0-9A-Fa-f]{2}(?:[:\-][0-9A-Fa-f]{2}){5})(?![0-9A-Fa-f:\-])",
    context_words=("mac",),
    text_score=0.6,
)
