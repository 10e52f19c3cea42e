"""Column classification: every entity, messy formats, integer columns, meaningless headers, decoys."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from fixtures import columns, mobile, resident_id, rng

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


def test_decoy_headers_veto():
    r = rng(8)
    c = classify_column("订单号", pa.array([resident_id(r) for _ in range(50)]), DETECTORS)
    assert c.entity != "CN_RESIDENT_ID"


def test_free_text():
    texts = ["客户反映快递一直没到，请尽快联系他，手机13800138000，谢谢。", "用户投诉：退款未到账，银行卡6222021234567890128已核实。",
             "很好用，下次还会买！物流也很快。"] * 10
    c = classify_column("备注", pa.array(texts), DETECTORS)
    assert c.entity == "FREE_TEXT"
    assert {"CN_MOBILE_PHONE", "CN_BANK_CARD"} <= set(c.entities) and c.sensitive
    assert all("13800138000" not in s for s in c.samples)
    reviews = ["很好用，下次还会买！物流也很快。", "产品质量一般，包装有破损，希望改进。"] * 20
    assert classify_column("评价", pa.array(reviews), DETECTORS).entity is None
