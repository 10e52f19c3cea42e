"""Patterns said to need a character other than ASCII letters and digits really match no text
made of them: checked with RE2 itself (Arrow's kernels) over every built-in detector's patterns."""

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from detectors.alnum_text import _ARROW_UNIQUE_FROM, alnum_can_match, alnum_only, present_bytes, value_bytes
from detectors.base import full_match, replace_regex
from detectors.registry import builtin_detectors

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _alnum_texts() -> pa.Array:
    rng = random.Random(17)
    texts = ["", "X", "0", "13800138000", "11010519491231002X", "6222021234567890123", "abc", "ABCdef123"]
    for _ in range(3000):
        alphabet = rng.choice(["0123456789", ALNUM, "0123456789X", "abcdefghijklmnopqrstuvwxyz",
                               "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"])
        texts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))))
    return pa.array(texts, pa.string())


def _patterns() -> list[str]:
    out = []
    for det in builtin_detectors():
        for pattern in (det.anchored_pattern, det.anchored_header_pattern, det.header_regex, det.placeholder):
            if pattern:
                out.append(pattern)
    return sorted(set(out))


@pytest.mark.parametrize("pattern", _patterns())
def test_a_pattern_said_to_need_other_characters_matches_no_alnum_text(pattern):
    if alnum_can_match(pattern):
        return
    hits = pc.match_substring_regex(_alnum_texts(), pattern)
    assert not pc.any(hits).as_py()


def test_the_analysis_reads_the_forms_detectors_use():
    assert alnum_can_match(r"^(?:[1-9][0-9]{5}(?:18|19|20)[0-9]{2}[0-9]{7}[0-9Xx])$")
    assert not alnum_can_match(r"^(?:[0-9]{3}\*{4,8}[0-9]{4})$")
    assert not alnum_can_match(r"^(?:[^@\s]+@[^@\s]+)$")
    assert not alnum_can_match(r"\p{Han}{2,4}")
    assert alnum_can_match(r"[\p{Han}A-Za-z]+")
    assert alnum_can_match(r"\p{L}+")  # letters include ASCII ones
    assert alnum_can_match(r"(?i)\x{212A}")  # folds onto k: not read, so run
    assert alnum_can_match(r"[[:alpha:]]+")  # POSIX classes are not read: run
    assert alnum_can_match(r"x*-?")  # may match the empty string
    assert not alnum_can_match(r"[\s\x{3000}]")
    assert not alnum_can_match(r"a-b|c\.d")
    assert alnum_can_match(r"a-b|cd")
    assert alnum_can_match(r"[^，。]{5,80}")


def test_alnum_only_asks_the_bytes_and_says_false_when_unsure():
    assert alnum_only(pa.array(["123", "45X", None]))
    assert not alnum_only(pa.array(["123", "4-5"]))
    assert not alnum_only(pa.array(["中文"]))
    assert not alnum_only(pa.chunked_array([["12"]]))  # not a plain array: unsure
    sliced = pa.array(["a-b", "12", "34", "c d"]).slice(1, 2)
    assert alnum_only(sliced)


@pytest.mark.parametrize("n", [0, 7, _ARROW_UNIQUE_FROM // 10, _ARROW_UNIQUE_FROM // 4 + 1000])
def test_present_bytes_are_the_bytes_of_the_values_on_either_side_of_the_arrow_threshold(n):
    rng = random.Random(n)
    alphabet = "0123456789-中文地址路号 \t" + "".join(chr(c) for c in range(0x80, 0x100, 7))
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(n)]
    array = pa.array(texts + [None], pa.string())
    for values in (array, array.slice(n // 3, n // 2)):
        raw = value_bytes(values)
        expected = np.zeros(256, bool)
        expected[np.frombuffer(bytes(raw), np.uint8)] = True
        assert (present_bytes(values) == expected).all()
    assert len(value_bytes(array)) >= _ARROW_UNIQUE_FROM or n < _ARROW_UNIQUE_FROM // 4


def test_skipping_changes_no_answer():
    texts = _alnum_texts()
    for pattern in _patterns():
        expected = pc.match_substring_regex(texts, pattern).fill_null(False).to_numpy(zero_copy_only=False)
        if pattern.startswith("^(?:") and pattern.endswith(")$"):
            assert np.array_equal(full_match(texts, pattern), expected), pattern
    assert replace_regex(texts, "-", "") is texts  # nothing to rewrite: the same array back


def _rewrite_patterns() -> list[str]:
    from detectors import birth_date, cn_landline, masked, person_name

    patterns = [p for module in (birth_date, cn_landline, masked, person_name) for p, _ in module._REWRITES]
    return sorted(set(patterns) | {r"\s+", r"^(\d{5,})\.0+$", r" 00:00:00$", "[\\s·•・.\\-\u3000]", r"＠|\[at\]|\(at\)",
                                   "[\\s\\-\u3000\u00a0·.]", r"[^0-9]", r"\s*", r"(?i)k", r"a|\s", r"[一-龥]x", r"\p{Han}+"})


def _mixed_texts() -> list[str]:
    rng = random.Random(23)
    alphabet = list("09aZk_-.·•・．，,/@＠()[]年月日T: \t\n\r\f\v") + ["\u3000", "\u00a0", "＊", "●", "张", "伟", "é", "𠀀",
                                                                       "\u2028", "K", "ſ", "\u212a"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(6000)]


@pytest.mark.parametrize("pattern", _rewrite_patterns())
def test_a_text_without_the_bytes_a_pattern_needs_never_matches_it(pattern):
    """``match_bytes`` says which bytes every match holds one of: RE2 itself never matches a
    text holding none of them, and the rewrites that skip such values give RE2's answer."""
    from detectors.alnum_text import holds_any_byte, match_bytes

    needed = match_bytes(pattern)
    texts = _mixed_texts()
    values = pa.array(texts, pa.string())
    hits = pc.match_substring_regex(values, pattern).to_pylist()
    if needed is not None:
        for text, hit in zip(texts, hits, strict=True):
            if hit:
                assert set(text.encode()) & needed, (pattern, text)
        for text in texts[:300]:
            one = pa.array([text])
            assert holds_any_byte(one, needed) == bool(set(text.encode()) & needed)
    assert replace_regex(values, pattern, "#").to_pylist() == \
        pc.replace_substring_regex(values, pattern=pattern, replacement="#").to_pylist()
    without = pa.array([t for t in texts if needed is not None and not set(t.encode()) & needed], pa.string())
    assert replace_regex(without, pattern, "#").to_pylist() == \
        pc.replace_substring_regex(without, pattern=pattern, replacement="#").to_pylist()
