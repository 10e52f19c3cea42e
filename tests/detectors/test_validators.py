"""Validator edge cases: calendar dates, check characters, case, historic region codes."""

from __future__ import annotations

import pyarrow as pa
import pytest

from detectors import (
    birth_date,
    cn_bank_card,
    cn_foreigner_pr_id,
    cn_landline,
    cn_license_plate,
    cn_mobile_phone,
    cn_passport,
    cn_resident_id,
    cn_uscc,
    cn_vin,
    credential,
    email,
    ethnicity,
    iccid,
    imei,
    ip_address,
    person_name,
)
from detectors.cn_resident_id import check_char


def make_id(first17: str) -> str:
    return first17 + check_char(first17)


def valid(det, values: list[str]) -> list[bool]:
    ok, _ = det.valid_mask(pa.array(values, pa.string()))
    return ok.tolist()


class TestResidentId:
    def test_lowercase_x_is_accepted(self):
        assert cn_resident_id.is_valid("11010519491231002x")
        assert valid(cn_resident_id.DETECTOR, ["11010519491231002x"]) == [True]

    def test_wrong_check_character(self):
        good = make_id("44030519900307123")
        wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
        assert valid(cn_resident_id.DETECTOR, [good, wrong]) == [True, False]

    @pytest.mark.parametrize("date,ok", [("20000229", True), ("19000229", False), ("19960229", True),
                                         ("19970229", False), ("19900230", False), ("19901301", False),
                                         ("19900431", False), ("19900001", False), ("18790101", False)])
    def test_calendar(self, date, ok):
        number = make_id("110105" + date + "123")
        assert cn_resident_id.is_valid(number) is ok
        assert valid(cn_resident_id.DETECTOR, [number]) == [ok]

    def test_future_birth_date_is_rejected(self):
        assert not cn_resident_id.is_valid(make_id("11010520990101123"))

    @pytest.mark.parametrize("region", ["110103",  # 北京崇文区, merged into 东城 in 2010
                                        "512301",  # 四川涪陵地区, before Chongqing became a municipality
                                        "320122",  # 江苏江浦县, abolished 2002
                                        "422201",  # 湖北孝感市 under the old 孝感地区 code
                                        "810000", "820000", "830000"])  # HK / Macao / Taiwan residence permits
    def test_historic_and_permit_region_codes_are_accepted(self, region):
        assert cn_resident_id.is_valid(make_id(region + "19800101123"))

    def test_unknown_province_is_rejected(self):
        assert not cn_resident_id.is_valid(make_id("99010519800101123"))
        assert not cn_resident_id.is_valid(make_id("00010519800101123"))

    def test_fifteen_digits(self):
        assert cn_resident_id.is_valid("110105491231002")
        assert not cn_resident_id.is_valid("110105491331002")  # month 13
        keys = cn_resident_id.canonical_array(pa.array(["110105491231002"]))
        assert keys.to_pylist() == ["11010519491231002X"]

    def test_birth_dates_array(self):
        dates = cn_resident_id.birth_dates_array(pa.array(["11010519491231002X", "110105491231002"]))
        assert [d.isoformat() for d in dates.to_pylist()] == ["1949-12-31", "1949-12-31"]

    def test_mask_never_shows_the_birth_date(self):
        masked = cn_resident_id.mask("11010519491231002X")
        assert "19491231" not in masked and masked.count("*") >= 8


class TestOtherChecks:
    def test_foreigner_pr_id_is_not_a_resident_id(self):
        number = make_id("91184019850214001")
        assert cn_foreigner_pr_id.is_valid(number)

    def test_uscc(self):
        assert cn_uscc.is_valid("91110000600037341L")
        assert not cn_uscc.is_valid("91110000600037341M")
        assert not cn_uscc.is_valid("9111000060003734IL")  # I is not in the alphabet

    def test_bank_card_luhn(self):
        assert valid(cn_bank_card.DETECTOR, ["6222021234567890128", "6222021234567890127", "6222 0212 3456 7890 128"]) == [True, False, True]

    def test_legacy_bank_card_only_under_a_header(self):
        legacy = "9558801234567890123"  # fails Luhn, as many legacy domestic cards do
        assert cn_bank_card.DETECTOR.valid_mask(pa.array([legacy]))[0].tolist() == [False]
        assert cn_bank_card.DETECTOR.valid_mask(pa.array([legacy]), header_named=True)[0].tolist() == [True]

    def test_vin_check_digit(self):
        assert cn_vin.is_valid("LSVAU218XN2183294")
        assert not cn_vin.is_valid("LSVAU2180N2183294")
        assert not cn_vin.is_valid("LSVAU218XN218329O")  # O is never used

    def test_imei_and_iccid_luhn(self):
        assert imei.is_valid("352099001761481") and not imei.is_valid("352099001761482")
        assert iccid.is_valid("89860012345678901238") and not iccid.is_valid("89860012345678901237")

    @pytest.mark.parametrize("raw", ["+86 138 0013 8000", "86-13800138000", "0086 138-0013-8000", "(+86)13800138000",
                                     "138 0013 8000"])
    def test_mobile_formats(self, raw):
        assert valid(cn_mobile_phone.DETECTOR, [raw]) == [True]

    @pytest.mark.parametrize("raw", ["12800138000", "10012345678", "1380013800", "138001380001"])
    def test_mobile_rejects(self, raw):
        assert valid(cn_mobile_phone.DETECTOR, [raw]) == [False]

    @pytest.mark.parametrize("raw", ["010-65529988", "(0755) 8888 1234", "021-64381234-801", "0571 8765 4321", "+86 10 65529988"])
    def test_landline_formats(self, raw):
        assert valid(cn_landline.DETECTOR, [raw]) == [True]

    @pytest.mark.parametrize("plate", ["京A12345", "京A·12345", "粤B D12345", "沪AD12345", "沪A12345F", "苏E1234学",
                                       "浙A1234挂", "粤Z1234港", "使123456", "川A·F1234"])
    def test_plates(self, plate):
        assert valid(cn_license_plate.DETECTOR, [plate]) == [True]

    @pytest.mark.parametrize("plate", ["京I12345", "京A1234", "A12345", "京A-12O45", "京A123456"])
    def test_plate_rejects(self, plate):
        assert valid(cn_license_plate.DETECTOR, [plate]) == [False]

    def test_passport(self):
        assert valid(cn_passport.DETECTOR, ["E12345678", "ea1234567", "G12345678", "DE1234567", "A12345678"]) == [
            True, True, True, True, False]

    def test_birth_date_formats_and_29_february(self):
        values = ["1990-01-31", "1990/1/31", "1990年1月31日", "19900131", "1990.01.31", "2000-02-29", "1900-02-29",
                  "1990-02-30", "2099-01-01", "1990-01-31 00:00:00"]
        assert valid(birth_date.DETECTOR, values) == [True, True, True, True, True, True, False, False, False, True]

    def test_names(self):
        assert valid(person_name.DETECTOR, ["张伟", "欧阳娜娜", "司马光", "阿卜杜拉·艾力", "Zhang Wei", "WANG, Xiaoming",
                                            "苹果手机", "武汉", "汉族", "Apple Watch"]) == [
            True, True, True, True, True, True, False, False, False, False]

    def test_ethnicity_email_ip_credential(self):
        assert valid(ethnicity.DETECTOR, ["汉族", "维吾尔", "穿青人"]) == [True, True, False]
        assert valid(email.DETECTOR, ["zhang.wei@163.com", "ZHANG@QQ.COM", "zhang@qq"]) == [True, True, False]
        assert valid(ip_address.DETECTOR, ["10.0.0.1", "256.1.1.1", "fe80::1"]) == [True, False, True]
        assert valid(credential.DETECTOR, ["5f4dcc3b5aa765d61d8327deb882cf99"]) == [False]
        assert credential.DETECTOR.valid_mask(pa.array(["5f4dcc3b5aa765d61d8327deb882cf99"]), header_named=True)[0].tolist() == [True]


def test_every_builtin_masks_its_example_without_revealing_it():
    from detectors.registry import builtin_detectors

    for det in builtin_detectors():
        for example in det.examples:
            _, normalised = det.valid_mask(pa.array([example]))
            value = normalised[0].as_py()
            masked = det.mask(value)
            assert masked != value and "*" in masked, det.entity


def test_every_builtin_example_is_valid():
    from detectors.registry import builtin_detectors

    for det in builtin_detectors():
        for example in det.examples:
            ok, _ = det.valid_mask(pa.array([example]), header_named=True)
            assert ok.tolist() == [True], det.entity


class TestAddress:
    @staticmethod
    def _three_passes(values: pa.Array) -> list[bool]:
        """The reading as first written: characters, detail word and number asked apart."""
        import numpy as np
        import pyarrow.compute as pc

        from detectors import cn_address

        def matches(pattern: str) -> np.ndarray:
            return pc.match_substring_regex(values, pattern).fill_null(False).to_numpy(zero_copy_only=False)

        han = matches(f"^{cn_address.ADDRESS_CHARACTER}+$")
        detail = matches(cn_address.DETAIL)
        numbered = matches(cn_address._numbered_address())
        region = cn_address.starts_with_region(values)
        return ((region & detail | numbered) & han).tolist()

    def test_one_pass_for_characters_and_detail_reads_as_three(self):
        import random

        from detectors import cn_address

        rng = random.Random(5)
        pieces = ["北京市", "朝阳区", "杭州", "文三路", "477号", "幸福小区", "5-7-1091", "杨柳村", "三组", "建国路",
                  "88", "号", "栋", "302室", "大厦", "华星科技", "中关村大街", "27号", "(东门)", "（B座）", "#3", "·",
                  "，", " ", "abc", "Road", "!", "张伟", "王", "路", "2203", "单元", "楼", "-", "一", "二", "层"]
        texts = ["北京市朝阳区建国路88号", "文三路477号", "幸福小区5-7-1091", "塘渡口镇杨柳村三组", "北京市", "张伟",
                 "中关村大街27号华星科技大厦", "朝阳区建国路", "建国路", "88号", "", "a路1号", "北京市朝阳区建国路88号，"]
        texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 7))) for _ in range(5000)]
        values = pa.array(texts + [None], pa.string())
        assert cn_address._validate(values).tolist() == self._three_passes(values)
        assert 300 < sum(cn_address._validate(values)) < 4000  # the mix holds addresses and others
