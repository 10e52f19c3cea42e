"""设备序列号 (device serial number, SN, device ID).

Manufacturers' serials have no common format: 6 to 40 letters, digits and dashes with at least
one digit (``C02XL0GZJGH5``, ``SN-20240315-0001``), or a UUID-like device ID. Such values look
like any product code, so the header must say 序列号 / SN / 设备号.

>>> is_valid("C02XL0GZJGH5"), is_valid("abc"), is_valid("6F9619FF-8B86-D011-B42D-00C04FC964FF")
(True, False, True)
>>> mask("C02XL0GZJGH5")
'C02*******H5'
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, default_mask, strip_whitespace

ENTITY = "DEVICE_SERIAL"
SENSITIVE = False
CATEGORY = "device"

HEADER_PATTERN = r"[0-9A-Z][0-9A-Z\-_:]{4,46}[0-9A-Z]"
HEADER_WORDS = ("序列号", "设备序列号", "设备号", "设备编号", "设备id", "设备标识", "终端编号", "终端号", "硬件序列号", "车机号",
                "serialno", "serialnumber", "deviceid", "devicesn", "deviceserial", "hardwareid", "androidid",
                "idfa", "idfv", "oaid", "udid", "tboxsn", "tbox", "shebeihao")
HEADER_EXACT = ("sn", "xlh", "sbh", "sbxlh", "did", "serial")

mask = default_mask


def is_valid(value: str) -> bool:
    value = value.strip().upper()
    return re.fullmatch(HEADER_PATTERN, value) is not None and re.search(r"\d", value) is not None


def normalise(values: pa.Array) -> pa.Array:
    return pc.utf8_upper(strip_whitespace(values))


DETECTOR = Detector(
    entity=ENTITY,
    thing_key="device",
    sensitive=SENSITIVE,
    category=CATEGORY,
    description="设备序列号 — device serial number / device ID (header needed)",
    pattern=None,
    normalise=normalise,
    mask=mask,
    header_words=HEADER_WORDS,
    header_exact=HEADER_EXACT,
    header_pattern=HEADER_PATTERN,
    header_negative=("订单", "order", "批次", "batch", "产品", "product", "sku", "型号", "model"),
    requires_header=True,
    person_key=False,  # identifies a device, vehicle or many people: not a person on its own
    priority=40,
    examples=("C02XL0GZJGH5",),
    in_free_text=False,
)
