"""Published test vectors of other projects, read by our detectors alone, as a column under a
neutral header and as a column under a typical Chinese header (``tests/detectors/vectors``).

The check digits of the vectors are verified here with independent implementations (not our
detectors' code): a vector marked valid must pass them, and the peers' values that fail their own
check digits are kept as negatives.
"""

from __future__ import annotations

import re

import pytest
from test_eval import load_eval

from detectors.registry import by_entity

EVAL = load_eval()
FILES = EVAL.load_vectors()
VECTORS = [v for f in FILES for v in f.vectors]
DETECTORS = by_entity()


def _id(v) -> str:
    return f"{v.entity}:{v.value}"


def test_every_entity_file_is_sourced_and_has_a_chinese_header():
    assert {f.entity for f in FILES} >= {
        "CN_RESIDENT_ID", "CN_USCC", "CN_MOBILE_PHONE", "CN_LANDLINE", "EMAIL", "IP_ADDRESS", "CN_BANK_CARD",
        "CN_LICENSE_PLATE", "CN_VIN", "IMEI", "MAC_ADDRESS", "RELIGION", "WECHAT_ID", "QQ_NUMBER", "PERSON_SURNAME",
        "PERSON_GIVEN_NAME", "CN_RESIDENT_ID_MASKED", "CN_MOBILE_PHONE_MASKED", "CN_BANK_CARD_MASKED", "CREDENTIAL",
        "MEDICAL"}
    for f in FILES:
        assert f.entity in DETECTORS, f.entity
        assert re.search(r"[\u4e00-\u9fff]", f.header) or f.header in ("IMEI", "IMSI", "ICCID"), f.entity  # as Chinese exports write them
        for v in f.vectors:
            assert v.source in f.sources, (f.entity, v.value, v.source)
            assert v.expected in ("valid", "ambiguous", "header", "invalid"), (f.entity, v.value)
        for key, where in f.sources.items():
            # a peer's file is named with its commit; our own values say so
            assert key == "chujing" or re.search(r"commit [0-9a-f]{40}$", where), (f.entity, key, where)


@pytest.mark.parametrize("vector", VECTORS, ids=_id)
def test_vector_alone_and_as_columns(vector):
    file = next(f for f in FILES if f.entity == vector.entity)
    outcome = EVAL.run_vectors([EVAL.VectorFile(file.entity, file.header, file.sources, [vector])])[0]
    requires_header = DETECTORS[vector.entity].requires_header
    for setting in EVAL.SETTINGS:
        assert outcome.found(setting) == outcome.expected(setting, requires_header), (setting, vector)


# --- independent check digits (not our detectors' code) ------------------------------------------

def gb11643_ok(number: str) -> bool:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()][::-1]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits)) % 10 == 0


def vin_ok(vin: str) -> bool:
    values = {c: v for c, v in zip("ABCDEFGHJKLMNPRSTUVWXYZ", [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9],
                                   strict=True)}
    weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
    total = sum((int(c) if c.isdigit() else values[c]) * w for c, w in zip(vin, weights, strict=True))
    return ("X" if total % 11 == 10 else str(total % 11)) == vin[8]


def uscc_ok(code: str) -> bool:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(c) * w for c, w in zip(code[:17], weights, strict=True))
    return alphabet[(31 - total % 31) % 31] == code[17]


CHECKS = {
    "CN_RESIDENT_ID": (lambda v: len(v) == 18 and v[:17].isdigit(), gb11643_ok),
    "CN_FOREIGNER_PR_ID": (lambda v: len(v) == 18, gb11643_ok),
    "CN_VIN": (lambda v: len(v) == 17 and "O" not in v, vin_ok),
    "CN_USCC": (lambda v: len(v) == 18 and all(c in "0123456789ABCDEFGHJKLMNPQRTUWXY" for c in v), uscc_ok),
    "CN_BANK_CARD": (lambda v: True, luhn_ok),
    "IMEI": (lambda v: len(re.sub(r"\D", "", v)) == 15, luhn_ok),
}


@pytest.mark.parametrize("vector", [v for v in VECTORS if v.entity in CHECKS and CHECKS[v.entity][0](v.value)], ids=_id)
def test_check_digits_verified_independently(vector):
    applies, check = CHECKS[vector.entity]
    if vector.expected in ("valid", "ambiguous"):
        assert check(vector.value), f"{vector.value} is marked valid but fails the independent check"
    if "fails its own" in vector.note or "fails the ISO 3779" in vector.note or vector.note.startswith("fails Luhn"):
        assert not check(vector.value), f"{vector.value} is said to fail its check digit but passes"


def test_peers_values_that_fail_their_own_check_digits_are_negatives():
    failing = [v for v in VECTORS if "fails its own" in v.note or "fails the ISO 3779" in v.note]
    assert {v.value for v in failing} >= {"321083200807112119", "321083200807312119", "LBV5S3102ESJPE655"}
    assert all(v.expected == "invalid" for v in failing)


def test_masked_samples_never_show_a_whole_vector():
    for v in VECTORS:
        det = DETECTORS[v.entity]
        if v.expected != "invalid" and len(v.value) >= 8:
            assert det.mask(v.value) != v.value or "*" in v.value, (v.entity, v.value)
