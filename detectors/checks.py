"""Vectorised check-digit and calendar validators shared by the detectors.

Every function takes a string array whose values already match the detector's pattern (so
their width and alphabet are known) and returns a numpy boolean array: no Python loop per
value. The same functions are the built-in ``validator`` names of user-declared detectors
(see :mod:`detectors.custom`).

>>> import pyarrow as pa
>>> luhn(pa.array(["6222021234567890128", "6222021234567890127"])).tolist()
[True, False]
>>> mod11_2(pa.array(["11010519491231002X", "110105194912310021"])).tolist()
[True, False]
>>> mod97(pa.array(["3214282912345698765432161182"])).tolist()
[True]
>>> valid_ymd(np.array([2024, 2023, 1900]), np.array([2, 2, 2]), np.array([29, 29, 28])).tolist()
[True, False, True]
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import digits_matrix


def _by_width(values: pa.Array, dtype=np.int64):
    """Yield (indices, matrix of the characters' byte values) for each distinct value width."""
    lengths = pc.binary_length(values).to_numpy(zero_copy_only=False)
    widths = np.unique(lengths)
    for width in widths:
        if len(widths) == 1:
            idx = np.arange(len(values))
            same = values
        else:
            idx = np.flatnonzero(lengths == width)
            same = values.take(pa.array(idx))
        yield idx, digits_matrix(same, int(width)).astype(dtype)


# Luhn's doubled digit: 2d, less 9 when above 9.
_LUHN_DOUBLE = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.int8)


def luhn(values: pa.Array) -> np.ndarray:
    """Luhn (ISO/IEC 7812) over digit strings of any widths."""
    out = np.zeros(len(values), dtype=bool)
    for idx, m in _by_width(values, np.int8):
        rev = (m - 48)[:, ::-1]
        if rev.min(initial=0) < 0 or rev.max(initial=0) > 9:
            rev = np.clip(rev, 0, 9)  # not digits: the pattern should have refused them
        total = rev[:, 0::2].sum(axis=1, dtype=np.int32) + _LUHN_DOUBLE[rev[:, 1::2]].sum(axis=1, dtype=np.int32)
        out[idx] = total % 10 == 0
    return out


MOD11_2_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
MOD11_2_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def mod11_2(values: pa.Array) -> np.ndarray:
    """ISO 7064 MOD 11-2 (the resident ID check) over 18-character values; other widths fail."""
    out = np.zeros(len(values), dtype=bool)
    for idx, m in _by_width(values, np.int16):
        if m.shape[1] != 18:
            continue
        digits = m[:, :17] - 48
        ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
        # A float32 product is exact here (sums stay below 2**24) and runs as BLAS.
        total = (np.clip(digits, 0, 9).astype(np.float32) @ MOD11_2_WEIGHTS.astype(np.float32)).astype(np.int64)
        out[idx] = ok & (MOD11_2_CHECK[total % 11] == m[:, 17])
    return out


def mod97(values: pa.Array) -> np.ndarray:
    """ISO 7064 MOD 97-10 over digit strings (the whole number mod 97 equals 1), any width."""
    out = np.zeros(len(values), dtype=bool)
    for idx, m in _by_width(values):
        rem = np.zeros(len(idx), dtype=np.int64)
        for col in range(m.shape[1]):  # loop over digit positions, not values
            rem = (rem * 10 + (m[:, col] - 48)) % 97
        out[idx] = rem == 1
    return out


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(_USCC_ALPHABET):
    USCC_VALUE[ord(_c)] = _i
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)


def uscc(values: pa.Array) -> np.ndarray:
    """GB 32100 check over 18-character unified social credit codes."""
    out = np.zeros(len(values), dtype=bool)
    for idx, m in _by_width(values):
        if m.shape[1] != 18:
            continue
        vals = USCC_VALUE[m]
        ok = (vals >= 0).all(axis=1)
        check = (31 - (vals[:, :17] * USCC_WEIGHTS).sum(axis=1) % 31) % 31
        out[idx] = ok & (check == vals[:, 17])
    return out


_VIN_VALUE = np.full(256, -1, dtype=np.int64)
for _c in "0123456789":
    _VIN_VALUE[ord(_c)] = int(_c)
for _letters, _start in (("ABCDEFGH", 1), ("JKLMN", 1), ("P", 7), ("R", 9), ("STUVWXYZ", 2)):
    for _k, _c in enumerate(_letters):
        _VIN_VALUE[ord(_c)] = _start + _k
VIN_WEIGHTS = np.array([8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)
_VIN_CHECK = np.frombuffer(b"0123456789X", dtype=np.uint8)


def vin(values: pa.Array) -> np.ndarray:
    """ISO 3779 check digit (position 9) over 17-character VINs."""
    out = np.zeros(len(values), dtype=bool)
    for idx, m in _by_width(values):
        if m.shape[1] != 17:
            continue
        vals = _VIN_VALUE[m]
        ok = (vals >= 0).all(axis=1)
        total = (np.clip(vals, 0, None) * VIN_WEIGHTS).sum(axis=1)
        out[idx] = ok & (_VIN_CHECK[total % 11] == m[:, 8])
    return out


def valid_ymd(years: np.ndarray, months: np.ndarray, days: np.ndarray, today: _dt.date | None = None) -> np.ndarray:
    """Calendar validity (29 February in leap years only), from 1880, and not in the future."""
    years, months, days = (np.asarray(a, dtype=np.int64) for a in (years, months, days))
    ok = (months >= 1) & (months <= 12) & (days >= 1) & (years >= 1880)
    month_len = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(months, 0, 12)]
    leap = ((years % 4 == 0) & (years % 100 != 0)) | (years % 400 == 0)
    ok &= days <= month_len + ((months == 2) & leap)
    today = today or _dt.date.today()
    ok &= years * 10000 + months * 100 + days <= today.year * 10000 + today.month * 100 + today.day
    return ok


def number_at(digits: np.ndarray, start: int, width: int) -> np.ndarray:
    """The integer written by ``width`` digit columns from ``start`` of a (n, w) digit matrix."""
    out = np.zeros(len(digits), dtype=np.int64)
    for col in range(start, start + width):
        out = out * 10 + digits[:, col]
    return out


def none(values: pa.Array) -> np.ndarray:
    """No check: every value that matched the pattern is valid."""
    return np.ones(len(values), dtype=bool)


VALIDATORS = {
    "none": none,
    "luhn": luhn,
    "mod11-2": mod11_2,
    "mod97": mod97,
    "mod97-10": mod97,
    "uscc": uscc,
    "gb32100": uscc,
    "vin": vin,
}
