"""Each transformation on its edge cases: generalisation rules, masks, pseudonyms and keys."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pyarrow as pa
import pytest

from detectors.registry import builtin_detectors
from scanner.minimise.deid import Pseudonymiser, RuleError, generalise, load_or_create_key, mask, parse_rule

DETECTORS = {d.entity: d for d in builtin_detectors()}


@pytest.mark.parametrize(("value", "year"), [
    ("2000-02-29", "2000"),            # leap day
    ("1900-01-01", "1900"),            # not a leap year, first day of a century
    ("1899-12-31", "1899"),
    ("2026-12-31", "2026"),            # last day of the year
    ("1990/1/31", "1990"),
    ("19900131", "1990"),              # compact
    ("1990年1月31日", "1990"),
    ("1990.01.31", "1990"),
    ("  1990-01-31 00:00:00 ", "1990"),  # a timestamp at midnight, with spaces
    ("0000-00-00", None),              # placeholder dates are emptied, not passed through
    ("199001311", None),               # nine digits: not a date
    ("31/01/1990", None),              # day first is ambiguous: emptied
    ("", None),
    (None, None),
])
def test_birth_date_to_year(value, year):
    assert generalise(pa.array([value], pa.string()), "year").to_pylist() == [year]


def test_date_columns_become_years_and_months():
    dates = pa.array([dt.date(2000, 2, 29), dt.date(1969, 12, 31), None])
    assert generalise(dates, "year").to_pylist() == [2000, 1969, None]
    assert generalise(dates, "month").to_pylist() == ["2000-02", "1969-12", None]
    stamps = pa.array([dt.datetime(1999, 12, 31, 23, 59, 59)], pa.timestamp("s"))
    assert generalise(stamps, "year").to_pylist() == [1999]
    assert generalise(pa.array([19900131, 20000229]), "year").to_pylist() == ["1990", "2000"]


def test_month_rule():
    got = generalise(pa.array(["1990-1-31", "1990年12月", "19901231", "1990-13-01"]), "month").to_pylist()
    assert got == ["1990-01", "1990-12", "1990-12", None]


@pytest.mark.parametrize(("address", "city"), [
    ("广东省深圳市南山区科技园南路88号", "广东省深圳市"),
    ("北京市朝阳区建国路88号", "北京市"),          # a municipality is its own city
    ("北京朝阳区建国路88号", "北京市"),            # written without 市: one spelling per city
    ("上海浦东新区世纪大道1号", "上海市"),
    ("重庆市渝中区解放碑", "重庆市"),
    ("中国天津市和平区", "天津市"),                # a leading 中国 is not part of the city
    ("江苏省苏州市昆山市玉山镇", "江苏省苏州市"),      # the prefecture, not the county-level city
    ("吉林省吉林市船营区", "吉林省吉林市"),
    ("新疆维吾尔自治区乌鲁木齐市天山区", "新疆维吾尔自治区乌鲁木齐市"),
    ("新疆维吾尔自治区喀什地区喀什市", "新疆维吾尔自治区喀什地区"),
    ("吉林省延边朝鲜族自治州延吉市", "吉林省延边朝鲜族自治州"),
    ("内蒙古自治区阿拉善盟阿拉善左旗", "内蒙古自治区阿拉善盟"),
    ("湖北省神农架林区松柏镇", "湖北省"),           # no prefecture-level city: the province is kept
    ("香港特别行政区九龙弥敦道1号", "香港特别行政区"),
    ("深圳市南山区", "深圳市"),
    ("浙江省杭州市西湖区", "浙江省杭州市"),            # 州 in a city's own name is not 自治州
    ("广州市天河区体育西路", "广州市"),
    ("朝阳区建国路88号", None),                    # no city, no province: emptied, never kept raw
    ("Room 5, 88 Jianguo Road", None),
    ("", None),
])
def test_address_to_city(address, city):
    assert generalise(pa.array([address]), "city").to_pylist() == [city]


def test_address_to_province():
    got = generalise(pa.array(["广东省深圳市南山区", "上海市浦东新区", "广西壮族自治区南宁市", "深圳市南山区"]), "province")
    assert got.to_pylist() == ["广东省", "上海市", "广西壮族自治区", None]


def test_coordinates_to_grid():
    assert generalise(pa.array([39.9042, 116.40741, -0.05, -33.86, None]), "grid").to_pylist() == \
        [39.9, 116.4, -0.1, -33.9, None]  # the south-west corner of the cell, also below zero
    assert generalise(pa.array(["39.9042", "abc", " 116.40741 "]), "grid:0.01").to_pylist() == ["39.9", None, "116.4"]
    assert generalise(pa.array([116]), "grid:1").to_pylist() == [116.0]


def test_rules_are_checked():
    assert parse_rule("grid:0.5") == ("grid", 0.5)
    for bad in ("decade", "grid:x", "grid:-1", "year:2"):
        with pytest.raises(RuleError):
            parse_rule(bad)


def test_mask_never_keeps_a_whole_value():
    values = ["13800138000", "张三", "王", "110101199003071234", "ab@x.cn", "", None]
    masked = mask(pa.array(values)).to_pylist()
    assert masked == ["13*******00", "张*", "*", "1101**********1234", "a******", "", None]
    for raw, out in zip(values, masked, strict=True):
        if raw:
            assert out != raw and len(out) == len(raw)
    assert mask(pa.array([13800138000, None])).to_pylist() == ["13*******00", None]  # a phone stored as a number


def test_pseudonyms_are_stable_with_one_key_and_differ_with_another():
    phone = DETECTORS["CN_MOBILE_PHONE"]
    one, same, other = Pseudonymiser(b"k" * 32), Pseudonymiser(b"k" * 32), Pseudonymiser(b"j" * 32)
    values = pa.array(["13800138000", "138 0013 8000", "+86 138-0013-8000", "13900139000", None])
    a = one.pseudonymise(values, "CN_MOBILE_PHONE", phone).to_pylist()
    # one phone written three ways is one person: one pseudonym (joins still work)
    assert a[0] == a[1] == a[2] and a[3] != a[0] and a[4] is None
    assert same.pseudonymise(values, "CN_MOBILE_PHONE", phone).to_pylist() == a  # another run, same key
    b = other.pseudonymise(values, "CN_MOBILE_PHONE", phone).to_pylist()
    assert all(x != y for x, y in zip(a[:4], b[:4], strict=True))  # another key: nothing in common
    for p in a[:4]:
        assert p.startswith("ps_") and "13800138000" not in p and "0013" not in p
    # The entity is part of what is hashed: the same digits as another kind of value differ.
    assert one.pseudonymise(pa.array(["13800138000"]), "CN_BANK_CARD").to_pylist()[0] != a[0]


def test_resident_ids_are_pseudonymised_in_canonical_form():
    rid = DETECTORS["CN_RESIDENT_ID"]
    p = Pseudonymiser(bytes(range(32)))
    got = p.pseudonymise(pa.array(["11010519491231002x", "11010519491231002X", " 11010519491231002X"]),
                         "CN_RESIDENT_ID", rid).to_pylist()
    assert got[0] == got[1] == got[2]


def test_key_file_is_created_private_and_reused(tmp_path):
    path = tmp_path / "keys" / "pseudonym.key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_key(path) == key
    os.chmod(path, 0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        load_or_create_key(path)
    bad = tmp_path / "bad.key"
    bad.write_text("not hex")
    os.chmod(bad, 0o600)
    with pytest.raises(ValueError, match="cannot read"):
        load_or_create_key(bad)
