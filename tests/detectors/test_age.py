"""年龄: which headers name a person's age, and which ages a column's values give the counter
(the values themselves are scored in ``vectors/AGE.tsv``)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from detectors.age import DETECTOR, ages_array
from detectors.classify import classify_column, header_matches
from detectors.registry import builtin_detectors


@pytest.mark.parametrize("header", ["年龄", "周岁", "实际年龄", "患者年龄", "学生年龄", "乘车人年龄", "年龄(岁)", "age",
                                    "Age", "patient_age", "AGE_YEARS", "Age (years)", "nianling", "nl"])
def test_headers_that_name_a_persons_age(header):
    assert header_matches(header, DETECTOR) == 1


@pytest.mark.parametrize("header", ["年龄段", "年龄组", "车龄", "房龄", "楼龄", "工龄", "账龄", "药龄", "树龄", "驾龄",
                                    "车辆年龄", "平均年龄", "适用年龄", "年龄要求", "最大年龄", "数量", "page", "usage",
                                    "image", "message", "manager", "mileage", "dosage", "average_age", "age_group"])
def test_headers_of_other_ages_and_words_holding_age_name_none(header):
    assert header_matches(header, DETECTOR) < 1


def test_small_numbers_are_ages_only_under_an_age_header():
    values = pa.array([str(1 + i % 12) for i in range(40)])
    detectors = builtin_detectors()
    assert classify_column("年龄", values, detectors).entity == "AGE"
    for header in ("数量", "quantity", "车龄", "工龄", "年龄段", "col_3"):
        assert classify_column(header, values, detectors).entity != "AGE", header


def test_the_youngest_age_each_value_allows():
    written = ["0", "13", "14", "８岁", "12周岁", "20周岁", "10-20", "12~15岁", "60岁以上", "14岁以下", "11个月", "30个月",
               "20天", "6周", "3个月10天", "2.5", "151", "12-10"]
    _, normalised = DETECTOR.valid_mask(pa.array(written))
    assert ages_array(normalised).to_pylist() == [0, 13, 14, 8, 12, 20, 10, 12, 60, 0, 0, 2, 0, 0, 0, 2, None, None]
    # values handed unchecked (a column labelled by a reviewer's decision) give no age
    assert ages_array(pa.array(["12件", "abc", "1990", "9"])).to_pylist() == [None, None, None, 9]
