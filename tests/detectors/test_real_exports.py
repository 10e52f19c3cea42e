"""The values real exports hold (issue 19): each case a test, with real files and the real CLI."""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pytest
from click.testing import CliRunner
from fixtures import luhn_complete, mobile, resident_id

from detectors.classify import classify_column
from detectors.free_text import entities_in_text
from detectors.registry import builtin_detectors, by_entity
from scanner.cli import main

DETECTORS = builtin_detectors()
BY_ENTITY = by_entity(DETECTORS)


def entity_of(header: str, values: list[str]) -> str | None:
    return classify_column(header, pa.array(values, pa.string()), DETECTORS).entity


def scan_json(path) -> dict:
    result = CliRunner().invoke(main, ["scan", str(path), "--format", "json"], catch_exceptions=False)
    assert result.exit_code in (0, 10, 20, 30), result.output  # a verdict, not a failure
    return json.loads(result.output)


# --- patterns ----------------------------------------------------------------------------------

PLATES = ["粤BA03205", "京AA92035", "川A23047B", "川A·23047B", "苏EK12345", "沪AB12345", "浙AH67890", "鄂A12345J"]


@pytest.mark.parametrize("header", ["车牌号", "plate_no", "c1"])
def test_new_energy_plates_with_every_energy_letter(header):
    assert entity_of(header, PLATES * 3) == "CN_LICENSE_PLATE"


def test_ipv4_mapped_embedded_ipv6_and_zone_ids():
    values = ["::ffff:10.0.0.1", "::ffff:192.168.1.20", "64:ff9b::192.0.2.33", "fe80::1%eth0", "2001:db8::192.168.1.1",
              "fe80::a00:27ff:fe4e:66a1%en0"] * 3
    assert entity_of("IP地址", values) == "IP_ADDRESS"
    assert entity_of("c1", values) == "IP_ADDRESS"


def test_internationalised_email():
    values = ["用户@例子.中国", "info@xn--fsqu00a.xn--fiqs8s", "张伟@公司.中国", "luxiaolei_小磊@小磊.com", "wang@163.com"] * 3
    assert entity_of("邮箱", values) == "EMAIL"
    assert entity_of("c1", values) == "EMAIL"


# --- header against values ---------------------------------------------------------------------

def amex(r: random.Random) -> str:
    return luhn_complete(r.choice(["34", "37"]) + "".join(str(r.randrange(10)) for _ in range(12)))


@pytest.mark.parametrize("header", ["银行卡号", "信用卡号", "card_no"])
def test_fifteen_digit_amex_under_a_card_header_is_a_bank_card(header):
    r = random.Random(19)
    values = [amex(r) for _ in range(40)]
    c = classify_column(header, pa.array(values), DETECTORS)
    assert c.entity == "CN_BANK_CARD" and c.sensitive
    assert "IMEI" not in c.entities and "CN_RESIDENT_ID" not in c.entities


def test_without_a_header_the_stricter_reading_stays():
    r = random.Random(19)
    assert entity_of("c1", [amex(r) for _ in range(40)]) == "IMEI"
    ids = [resident_id(r) for _ in range(40)]
    assert entity_of("c1", ids) == "CN_RESIDENT_ID"  # ~10% of IDs pass Luhn: still IDs
    assert entity_of("证件号码", ids) == "CN_RESIDENT_ID"


@pytest.mark.parametrize("values", [
    ["iPhone 15 Pro Max", "华为Mate60 Pro", "小米手环8", "戴森V12吸尘器", "美的空调KFR-35GW"],
    ["2024-03-01", "2023/12/31", "2024年5月6日", "20240101", "2022-11-11 10:00:00"],
])
def test_an_address_header_does_not_label_product_names_or_dates(values):
    for header in ("地址", "收货地址"):
        c = classify_column(header, pa.array(values * 4), DETECTORS)
        assert c.entity != "CN_ADDRESS" and "CN_ADDRESS" not in c.entities, (header, c.entity)


def test_an_address_header_still_labels_addresses():
    values = ["北京市朝阳区建国路88号", "上海浦东新区张江高科", "广州天河体育西路", "88 Jianguo Road, Chaoyang District"] * 5
    assert entity_of("地址", values) == "CN_ADDRESS"


def test_all_zero_and_broadcast_mac_and_all_zero_imei_are_not_values():
    assert entity_of("mac", ["00:00:00:00:00:00", "FF:FF:FF:FF:FF:FF", "00-00-00-00-00-00"] * 5) is None
    assert entity_of("c1", ["00:00:00:00:00:00"] * 20) is None
    assert entity_of("imei", ["000000000000000"] * 20) is None
    assert entity_of("c1", ["000000000000000"] * 20) is None
    mixed = ["3C:22:FB:1A:2B:3C", "00:00:00:00:00:00"]
    ok, _ = BY_ENTITY["MAC_ADDRESS"].valid_mask(pa.array(mixed), header_named=True)
    assert ok.tolist() == [True, False]


def test_landlines_in_full_width_parentheses_in_prose():
    texts = pa.array(["如有问题请拨打（0351）89082910联系王经理", "电话：(010)37283893", "座机（0755）8888 1234。"])
    ok, values = entities_in_text(BY_ENTITY["CN_LANDLINE"], texts)
    assert ok.all()
    assert values.to_pylist() == ["035189082910", "01037283893", "075588881234"]


# --- new entities ------------------------------------------------------------------------------

def test_religion_is_sensitive():
    c = classify_column("宗教信仰", pa.array(["佛教", "无", "基督教", "伊斯兰教", "无", "天主教"] * 4), DETECTORS)
    assert c.entity == "RELIGION" and c.sensitive and c.category == "religion"
    assert entity_of("c1", ["佛教", "道教", "基督教", "伊斯兰教", "天主教"] * 4) == "RELIGION"
    assert entity_of("c1", ["无"] * 20) is None  # "无" alone says nothing


def test_health_conditions_as_values_are_medical():
    values = ["高血压", "糖尿病", "无", "健康", "冠心病", "哮喘", "良好", "高血脂", "痛风", "甲亢"] * 3
    c = classify_column("健康状况", pa.array(values), DETECTORS)
    assert c.entity == "MEDICAL" and c.sensitive
    assert entity_of("c1", ["高血压", "糖尿病", "冠心病", "痛风", "甲亢"] * 4) == "MEDICAL"


def test_wechat_and_qq_are_contact_person_keys():
    for entity in ("WECHAT_ID", "QQ_NUMBER"):
        det = BY_ENTITY[entity]
        assert det.person_key and not det.identity and det.requires_header
    assert entity_of("微信号", ["zhangwei_88", "wxid_a1b2c3d4e5f6g7", "13800138000", "lisi-1990"] * 5) == "WECHAT_ID"
    assert entity_of("QQ", ["10001", "2873641095", "123456789", "5566778"] * 5) == "QQ_NUMBER"
    assert entity_of("c1", ["10001", "2873641095", "123456789", "5566778"] * 5) is None
    assert entity_of("QQ群", ["10001", "2873641095", "123456789", "5566778"] * 5) is None


@pytest.mark.parametrize("surname, given", [("姓", "名"), ("last_name", "first_name"), ("family_name", "given_name")])
def test_first_and_last_name_split_columns(surname, given):
    assert entity_of(surname, ["张", "王", "欧阳", "李", "Zhang", "Smith"] * 4) == "PERSON_SURNAME"
    assert entity_of(given, ["伟", "小明", "娜娜", "强", "Wei", "Mary Ann"] * 4) == "PERSON_GIVEN_NAME"


# --- masked and destroyed identifiers ----------------------------------------------------------

def _masked_id(r):
    v = resident_id(r)
    return v[:6] + "********" + v[-4:]


def test_masked_identifiers_are_labelled_as_masked_forms_of_their_base():
    r = random.Random(5)
    ids = [_masked_id(r) for _ in range(30)]
    phones = [m[:3] + "****" + m[-4:] for m in (mobile(r) for _ in range(30))]
    c = classify_column("身份证号", pa.array(ids), DETECTORS)
    assert c.entity == "CN_RESIDENT_ID_MASKED" and c.sensitive and c.category == "identity_document"
    assert classify_column("c1", pa.array(ids), DETECTORS).entity == "CN_RESIDENT_ID_MASKED"
    assert entity_of("手机号", phones) == "CN_MOBILE_PHONE_MASKED"
    for entity in ("CN_RESIDENT_ID_MASKED", "CN_MOBILE_PHONE_MASKED", "CN_BANK_CARD_MASKED"):
        assert not BY_ENTITY[entity].person_key


def test_masked_rows_count_by_the_keyless_policy_and_the_report_says_why(tmp_path):
    r = random.Random(6)
    path = tmp_path / "crm.csv"
    rows = [f"{_masked_id(r)},{m[:3]}****{m[-4:]}" for m in (mobile(r) for _ in range(50))]
    path.write_text("身份证号,手机号\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = scan_json(path)
    columns = {c["name"]: c for c in report["files"][0]["columns"]}
    assert columns["身份证号"]["entity"] == "CN_RESIDENT_ID_MASKED"
    assert columns["手机号"]["entity"] == "CN_MOBILE_PHONE_MASKED"
    persons = report["persons"]
    assert persons["personal"] == 50 and persons["sensitive"] == 50  # each row counted, none linked
    assert persons["keyless_rows"] == 50
    assert any("PIPL Art 4 and 73" in n["en"] for n in report["notes"])


def test_ids_in_scientific_notation_are_reported_as_destroyed(tmp_path):
    path = tmp_path / "excel_export.csv"
    values = ["4.50100E+17", "1.10101E+17", "3.30106E+17", "4.40305E+17"] * 10
    path.write_text("身份证号,姓名\n" + "\n".join(f"{v},张伟" for v in values) + "\n", encoding="utf-8")
    report = scan_json(path)
    column = report["files"][0]["columns"][0]
    assert column["entity"] == "CN_RESIDENT_ID_MASKED" and column["sensitive"]
    assert all("E+17" in s and "4.50100" not in s for s in column["samples"])
    notes = [n["en"] for n in report["notes"]]
    assert any(n.startswith("ID numbers in scientific notation: the export destroyed them; re-export as text") for n in notes)
    table = CliRunner().invoke(main, ["scan", str(path), "--format", "table"]).output
    assert "re-export as text" in table


# --- false positives ---------------------------------------------------------------------------

def test_a_session_counter_is_not_a_credential(tmp_path):
    assert entity_of("session_id", [f"S{i}" for i in range(1000)]) is None
    assert entity_of("session_id", [f"S{i:06d}" for i in range(1000)]) is None
    assert entity_of("token", [f"T{i:08d}" for i in range(1000)]) is None
    path = tmp_path / "events.csv"
    path.write_text("session_id,event\n" + "".join(f"S{i % 1000},click\n" for i in range(6000)), encoding="utf-8")
    report = scan_json(path)
    assert report["files"][0]["columns"][0]["entity"] is None
    assert report["persons"]["sensitive"] == 0


def test_real_credentials_under_their_header_still_count():
    r = random.Random(8)
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!@#"
    passwords = ["".join(r.choice(alphabet) for _ in range(r.randrange(8, 14))) for _ in range(200)]
    assert entity_of("password", passwords) == "CREDENTIAL"
    pins = [f"{r.randrange(10**6):06d}" for _ in range(200)]
    assert entity_of("支付密码", pins) == "CREDENTIAL"
    tokens = ["".join(r.choice("0123456789abcdef") for _ in range(32)) for _ in range(200)]
    assert entity_of("session_id", tokens) == "CREDENTIAL"


# --- the registry and the docs -----------------------------------------------------------------

NEW = ("RELIGION", "WECHAT_ID", "QQ_NUMBER", "PERSON_SURNAME", "PERSON_GIVEN_NAME", "CN_RESIDENT_ID_MASKED",
       "CN_MOBILE_PHONE_MASKED", "CN_BANK_CARD_MASKED")


def test_new_entities_are_listed_by_chujing_detectors():
    result = CliRunner().invoke(main, ["detectors", "--format", "json"])
    rows = {r["entity"]: r for r in json.loads(result.output)["detectors"]}
    assert set(NEW) <= set(rows)
    assert rows["RELIGION"]["sensitive"] and rows["WECHAT_ID"]["person_key"] and not rows["CN_RESIDENT_ID_MASKED"]["person_key"]


def test_the_detectors_readme_table_names_every_entity():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "detectors" / "README.md").read_text(encoding="utf-8")
    missing = [d.entity for d in DETECTORS if f"`{d.entity}`" not in readme]
    assert not missing, missing


def test_ids_stored_as_floats_are_destroyed_not_keys(tmp_path):
    """Excel keeps 18-digit IDs as floats (4.50100E+17 on screen): the last digits are gone, and
    two persons whose IDs round to the same float must not merge into one."""
    import pyarrow.parquet as pq

    r = random.Random(9)
    ids = [resident_id(r) for _ in range(60)]
    ids = [i for i in ids if not i.endswith("X")]
    base = int(ids[0][:-1] + "0")
    twins = next([str(base + k), str(base + k + 1)] for k in range(64) if float(base + k) == float(base + k + 1))
    floats = [float(i) for i in ids + twins]
    assert floats[-1] == floats[-2]
    path = tmp_path / "from_excel.parquet"
    pq.write_table(pa.table({"身份证号": pa.array(floats, pa.float64())}), path)
    report = scan_json(path)
    column = report["files"][0]["columns"][0]
    assert column["entity"] == "CN_RESIDENT_ID_MASKED" and column["sensitive"]
    assert all("E+17" in s for s in column["samples"])
    assert report["persons"]["personal"] == len(floats)  # every row a person: none merged
    assert any("re-export as text" in n["en"] for n in report["notes"])


# --- numbers kept as text by spreadsheets ------------------------------------------------------

def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def test_ids_and_phones_kept_as_text_are_read_and_are_the_same_persons_as_written_plainly(tmp_path):
    """Excel's ="…" formula, a leading apostrophe, full-width digits and a zero-width space (found
    in exports a tester made the way business systems make them): each hid every value from the
    checks, and the file counted nobody."""
    r = random.Random(31)
    ids = [resident_id(r) for _ in range(40)]
    phones = [mobile(r) for _ in range(40)]
    forms = [lambda v: f'"=""{v}"""', lambda v: f"'{v}", _full_width, lambda v: v[:6] + "\u200b" + v[6:]]
    (tmp_path / "kept_as_text.csv").write_text(
        "身份证号,手机号\n" + "".join(f"{forms[i % 4](a)},{forms[(i + 1) % 4](b)}\n"
                                  for i, (a, b) in enumerate(zip(ids, phones, strict=True))), encoding="utf-8")
    report = scan_json(tmp_path / "kept_as_text.csv")
    assert [c["entity"] for c in report["files"][0]["columns"]] == ["CN_RESIDENT_ID", "CN_MOBILE_PHONE"]
    assert (report["persons"]["personal"], report["persons"]["sensitive"]) == (40, 40)
    # the same persons written plainly in a second file are not counted again
    (tmp_path / "plain.csv").write_text("身份证号\n" + "".join(f"{a}\n" for a in ids), encoding="utf-8")
    assert scan_json(tmp_path)["persons"]["personal"] == 40
    # no value, in any form, reaches the report unmasked
    text = json.dumps(report, ensure_ascii=False)
    assert not any(v in text or _full_width(v) in text for v in ids + phones)


# --- face features ----------------------------------------------------------------------------

def test_face_features_make_their_rows_sensitive_however_the_export_writes_them(tmp_path):
    """A 128-d face embedding per member (found by a tester): written as text in a CSV and as a
    JSON array in JSON lines it was not seen at all; as a Parquet list of floats it was labelled
    BIOMETRIC, but its 128 numbers were counted as cells of their own and no member was sensitive."""
    import pyarrow.parquet as pq

    r = random.Random(41)
    phones = [mobile(r) for _ in range(30)]
    vectors = [[round(r.uniform(-1, 1), 5) for _ in range(128)] for _ in phones]
    (tmp_path / "members.csv").write_text(
        "会员手机号,人脸特征值\n" + "".join(f'{p},"{json.dumps(v)}"\n' for p, v in zip(phones, vectors, strict=True)),
        encoding="utf-8")
    (tmp_path / "members.jsonl").write_text(
        "".join(json.dumps({"phone": p, "face_embedding": v}) + "\n" for p, v in zip(phones, vectors, strict=True)),
        encoding="utf-8")
    pq.write_table(pa.table({"phone": phones, "face_embedding": pa.array(vectors, pa.list_(pa.float32()))}),
                   tmp_path / "members.parquet")
    for name in ("members.csv", "members.jsonl", "members.parquet"):
        report = scan_json(tmp_path / name)
        assert [c["entity"] for c in report["files"][0]["columns"]] == ["CN_MOBILE_PHONE", "BIOMETRIC"], name
        assert (report["persons"]["personal"], report["persons"]["sensitive"]) == (30, 30), name
        assert report["verdict"]["path"] != "none", name
    # numbers in brackets under another header are not features
    (tmp_path / "members.csv").write_text(
        "会员手机号,得分\n" + "".join(f'{p},"{json.dumps(v)}"\n' for p, v in zip(phones, vectors, strict=True)),
        encoding="utf-8")
    assert scan_json(tmp_path / "members.csv")["persons"]["sensitive"] == 0
