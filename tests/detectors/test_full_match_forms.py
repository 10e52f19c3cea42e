"""full_match's shortcuts answer exactly as RE2 does with the pattern as written."""

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from detectors.base import full_match

ALPHABET = "ab1，。！？；!?;\n中文·X "


@pytest.mark.parametrize("pattern", [
    r"^(?:[^，。！？；!?;\n]{5,80})$",
    r"^(?:\p{Han}{2,4})$",
    r"^(?:[0-9A-Z]{0,3})$",
    r"^(?:[^a]{1,1})$",
])
def test_one_class_repeated_is_matched_as_written(pattern):
    rng = random.Random(3)
    texts = ["", None, "中文中文", "a" * 100, "中" * 80, "中" * 81]
    for _ in range(3000):
        texts.append("".join(rng.choice(ALPHABET) for _ in range(rng.choice([0, 1, 2, 4, 5, 6, 40, 79, 80, 81, 90]))))
    values = pa.array(texts, pa.string())
    expected = pc.match_substring_regex(values, pattern).fill_null(False).to_numpy(zero_copy_only=False)
    assert np.array_equal(full_match(values, pattern), expected)
    sliced = values.slice(7, 1000)
    assert np.array_equal(full_match(sliced, pattern), expected[7:1007])


def test_rewrites_run_only_where_one_matches_give_the_sequential_result():
    from detectors.base import replace_regex, replace_regexes
    from detectors.person_name import _REWRITES

    rng = random.Random(11)
    texts = [None, "", "欧阳 娜娜", " 王\u3000小明 ", "Zhang , San", "Li-Ming", "李 · 明", "阿卜杜•热合曼"]
    texts += ["".join(rng.choice("王李 ·•.．-,，/ab\u3000\u00a0\tZ") for _ in range(rng.randint(0, 8))) for _ in range(3000)]
    values = pa.array(texts, pa.string())
    for part in (values, values.slice(0, 20), values.slice(5, 3)):
        expected = part
        for pattern, replacement in _REWRITES:
            expected = replace_regex(expected, pattern, replacement)
        assert replace_regexes(part, _REWRITES).to_pylist() == expected.to_pylist()


def test_loose_forms_answer_as_written_below_and_above_their_bounds():
    from detectors.registry import builtin_detectors

    rng = random.Random(23)
    words = ["北京市朝阳区建国路88号", "Room 5 Building 3", "road", "a@b.cn", "ab.cd@例子.中国", "x" * 70 + "@qq.com",
             "文三路477号", "\n路", "省" + "中" * 117, "中" * 118 + "路" + "中" * 118, "中" * 119 + "路", "路" + "中" * 119]
    texts = [None, ""] + words
    for _ in range(2000):
        texts.append("".join(rng.choice(words + ["中", "a", " ", ".", "@"]) for _ in range(rng.randint(1, 30))))
    values = pa.array(texts, pa.string())
    patterns = []
    for det in builtin_detectors():
        patterns += [p for p in (det.anchored_pattern, det.anchored_header_pattern) if p]
    for pattern in patterns:
        expected = pc.match_substring_regex(values, pattern).fill_null(False).to_numpy(zero_copy_only=False)
        assert np.array_equal(full_match(values, pattern), expected), pattern


def test_a_transform_is_remembered_only_while_its_input_lives():
    import gc

    from detectors import base

    calls = []

    @base.per_array
    def shout(values):
        calls.append(1)
        return values if values.null_count else pc.utf8_upper(values)

    values = pa.array(["a", "b"])
    assert shout(values).to_pylist() == ["A", "B"] and shout(values).to_pylist() == ["A", "B"]
    assert len(calls) == 1
    same = pa.array(["a", None])
    assert shout(same) is same and shout(same) is same and len(calls) == 2
    def remembered() -> int:  # this test's own entries: others may go at the same collection
        return sum(key[0] == "shout" for key in list(base._REMEMBERED))

    assert remembered() == 2
    del values, same
    gc.collect()
    assert remembered() == 0  # neither input is kept alive by what was remembered
    assert shout(pa.chunked_array([["a"]])).to_pylist() == ["A"]  # not a plain array: not remembered


def test_common_given_characters_are_counted_as_the_class_counts_them():
    """A name's common given-name characters, looked up position by position, are what RE2
    counts with the class of all of them, at every length (the longer ones go to RE2 itself)."""
    from detectors import person_name

    _, _, _, common_class, common_chars = person_name._sets()
    common = common_chars.to_pylist()
    rng = random.Random(11)
    alphabet = common[:300] + list("机果卡张伟·aZ9 -]^\\") + ["𠀀", "é", "\u3000"]
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 9))) for _ in range(4000)]
    given = pa.array(values)
    lengths = pc.utf8_length(given).to_numpy(zero_copy_only=False)
    expected = pc.count_substring_regex(given, common_class).to_numpy(zero_copy_only=False)
    assert person_name.count_common(given, lengths).tolist() == expected.tolist()
    assert person_name.count_common(given.slice(5, 40), lengths[5:45]).tolist() == expected[5:45].tolist()


@pytest.mark.parametrize("alphabet", ["0123456789", "0123456789X", "中文ab1X ", "ab", "中", "!?", "abc@.-_"])
def test_columns_of_few_characters_are_matched_as_written(alphabet):
    """Where the column's bytes alone answer (every byte a member of an ASCII class, none the
    first byte of a negated class's member; a pattern of ASCII classes run once as written),
    the answer is RE2's with the pattern as written, for every built-in pattern too."""
    from detectors.registry import builtin_detectors

    rng = random.Random(len(alphabet))
    texts = [None, ""] + ["".join(rng.choice(alphabet) for _ in range(rng.choice([1, 2, 4, 5, 11, 16, 18, 19, 80, 81])))
                          for _ in range(1500)]
    values = pa.array(texts, pa.string())
    patterns = [r"^(?:[^，。！？；!?;\n]{5,80})$", r"^(?:[0-9A-Z]{0,3})$", r"^(?:[0-9]{16,19})$", r"^(?:[0-9X]{18,18})$",
                r"^(?:[a-z0-9._%+\-]{0,63}@[a-z]{1,24}\.[a-z]{2,24})$"]
    for det in builtin_detectors():
        patterns += [p for p in (det.anchored_pattern, det.anchored_header_pattern) if p]
    for pattern in patterns:
        expected = pc.match_substring_regex(values, pattern).fill_null(False).to_numpy(zero_copy_only=False)
        assert np.array_equal(full_match(values, pattern), expected), pattern
        assert np.array_equal(full_match(values.slice(3, 200), pattern), expected[3:203]), pattern
