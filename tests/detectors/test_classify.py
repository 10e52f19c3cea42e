"""Column classification: every entity, messy formats, integer columns, meaningless headers, decoys."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from fixtures import bank_card, columns, mobile, name, resident_id, rng

from detectors.classify import NON_NULL, VALID, classify_column
from detectors.registry import builtin_detectors

DETECTORS = builtin_detectors()
COLUMNS = columns(n=300)


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_fixture_column(name):
    values, expected = COLUMNS[name]
    c = classify_column(name, values, DETECTORS)
    assert c.entity == expected, c.evidence
    if expected is not None:
        assert c.match_rate >= 0.9 and c.confidence >= 0.9
        assert all("*" in s for s in c.samples)


def test_resident_ids_as_int64_and_phones_as_float():
    r = rng(1)
    ids = [resident_id(r) for _ in range(200)]
    as_int = pa.array([int(x) if x[-1] != "X" else None for x in ids], pa.int64())
    assert classify_column("c1", as_int, DETECTORS).entity == "CN_RESIDENT_ID"
    phones = pa.array([float(mobile(r)) for _ in range(200)], pa.float64())
    assert classify_column("c2", phones, DETECTORS).entity == "CN_MOBILE_PHONE"
    phones_str = pa.array([mobile(r) + ".0" for _ in range(200)])
    assert classify_column("c3", phones_str, DETECTORS).entity == "CN_MOBILE_PHONE"


def test_birth_dates_as_date_type_and_integers():
    r = rng(2)
    days = [dt.date(1950, 1, 1) + dt.timedelta(days=r.randrange(20000)) for _ in range(200)]
    assert classify_column("c1", pa.array(days, pa.date32()), DETECTORS).entity == "BIRTH_DATE"
    as_int = pa.array([int(d.strftime("%Y%m%d")) for d in days])
    assert classify_column("出生日期", as_int, DETECTORS).entity == "BIRTH_DATE"


def test_a_header_never_labels_contradicting_values():
    r = rng(3)
    c = classify_column("身份证号", pa.array([mobile(r) for _ in range(100)]), DETECTORS)
    assert c.entity == "CN_MOBILE_PHONE"
    c = classify_column("身份证号", pa.array(["未知", "无", "不详"] * 30), DETECTORS)
    assert c.entity is None
    c = classify_column("台胞证号", pa.array(["abc", "未提供"] * 30), DETECTORS)
    assert c.entity is None


def test_a_single_hit_never_labels_a_column():
    r = rng(4)
    values = ["备注" + str(i) for i in range(999)] + [resident_id(r)]
    assert classify_column("c1", pa.array(values), DETECTORS).entity is None


def test_ids_that_pass_luhn_stay_ids():
    r = rng(5)
    from detectors.checks import luhn
    ids = []
    while len(ids) < 100:
        x = resident_id(r)
        if x[-1] != "X" and luhn(pa.array([x]))[0]:
            ids.append(x)
    c = classify_column("c1", pa.array(ids), DETECTORS)
    assert c.entity == "CN_RESIDENT_ID" and "CN_BANK_CARD" not in c.entities


def test_mixed_document_column_lists_every_entity():
    r = rng(6)
    values = [resident_id(r) for _ in range(160)] + [f"E{r.randrange(10**8):08d}" for _ in range(40)]
    c = classify_column("证件号码", pa.array(values), DETECTORS)
    assert c.entity == "CN_RESIDENT_ID"
    assert "CN_PASSPORT" in c.entities and c.sensitive


def test_row_rules():
    r = rng(7)
    legacy = pa.array(["9558" + f"{r.randrange(10**15):015d}" for _ in range(100)])
    c = classify_column("银行账号", legacy, DETECTORS)
    assert c.entity == "CN_BANK_CARD" and c.header_named
    assert c.row_rule in (VALID, NON_NULL)
    ids = pa.array([resident_id(r) for _ in range(100)])
    assert classify_column("sfzh", ids, DETECTORS).row_rule == VALID


def test_a_decoy_header_vetoes_values_that_only_look_right_never_valid_check_digits():
    r = rng(8)
    # 11-digit batch numbers shaped like phones are not phones under 批次号 ...
    batches = pa.array([f"1{r.choice('3456789')}{r.randrange(10**9):09d}" for _ in range(50)])
    assert classify_column("批次号", batches, DETECTORS) is None or \
        classify_column("批次号", batches, DETECTORS).entity != "CN_MOBILE_PHONE"
    # ... and 18-digit order numbers are no ID numbers (the few that pass the check digit by chance)
    orders = pa.array([f"{r.randrange(10**17, 10**18)}" for _ in range(200)])
    c = classify_column("订单号", orders, DETECTORS)
    assert c is None or "CN_RESIDENT_ID" not in c.entities
    # ... but ID numbers that pass their check digits are ID numbers under any header
    c = classify_column("订单号", pa.array([resident_id(r) for _ in range(50)]), DETECTORS)
    assert c.entity == "CN_RESIDENT_ID" and c.sensitive
    assert "header reads as something else" in c.evidence
    c = classify_column("用户银行卡号", pa.array([bank_card(r) for _ in range(50)]), DETECTORS)
    assert c.entity == "CN_BANK_CARD"


@pytest.mark.parametrize(("header", "values", "entity"), [
    ("订单实名身份证号", "ids", "CN_RESIDENT_ID"),
    ("手机号(订单)", "phones", "CN_MOBILE_PHONE"),
    ("order.shipTo.phone", "phones", "CN_MOBILE_PHONE"),
    ("user.profile.realName", "names", "PERSON_NAME"),
    ("resident_name", "names", "PERSON_NAME"),
    ("donor_name", "names", "PERSON_NAME"),
    ("证件姓名", "names", "PERSON_NAME"),
    ("shipping_address", "addresses", "CN_ADDRESS"),
    ("recipient_address", "addresses", "CN_ADDRESS"),
    ("mailing_address", "addresses", "CN_ADDRESS"),
])
def test_a_word_inside_another_or_beside_the_entitys_own_does_not_hide_the_column(header, values, entity):
    """Vetoing words in ASCII are whole words (``ip`` is not in ``shipping``, ``no`` not in
    ``donor``); one in brackets, or before the words naming the entity, leaves the values to decide."""
    r = rng(9)
    columns = {
        "ids": [resident_id(r) for _ in range(60)],
        "phones": [mobile(r) for _ in range(60)],
        "names": [name(r) for _ in range(60)],
        "addresses": [f"北京市朝阳区建国路{r.randrange(1, 300)}号{r.randrange(1, 30)}栋{r.randrange(101, 2500)}室"
                      for _ in range(60)],
    }
    c = classify_column(header, pa.array(columns[values]), DETECTORS)
    assert c is not None and c.entity == entity, (header, c and c.entity, c and c.evidence)


def test_free_text():
    texts = ["客户反映快递一直没到，请尽快联系他，手机13800138000，谢谢。", "用户投诉：退款未到账，银行卡6222021234567890128已核实。",
             "很好用，下次还会买！物流也很快。"] * 10
    c = classify_column("备注", pa.array(texts), DETECTORS)
    assert c.entity == "FREE_TEXT"
    assert {"CN_MOBILE_PHONE", "CN_BANK_CARD"} <= set(c.entities) and c.sensitive
    assert all("13800138000" not in s for s in c.samples)
    reviews = ["很好用，下次还会买！物流也很快。", "产品质量一般，包装有破损，希望改进。"] * 20
    assert classify_column("评价", pa.array(reviews), DETECTORS).entity is None
