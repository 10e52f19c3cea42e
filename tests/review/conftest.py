"""A report built from the report dataclasses, as a scan would return it (no data is read)."""

from __future__ import annotations

import pytest

from scanner.report.model import ColumnReport, FileReport, PersonsReport, Report

XSS_COLUMN = "<img src=x onerror=alert(1)>"


def _col(name, entity=None, sensitive=False, category=None, confidence=0.0, match_rate=0.0, samples=(), evidence=""):
    return ColumnReport(name=name, entity=entity, entities=[entity] if entity else [], sensitive=sensitive,
                        category=category, confidence=confidence, match_rate=match_rate, samples=list(samples),
                        type="string", rows=12034, nulls=0, evidence=evidence)


def build_report() -> Report:
    owners = FileReport(path="exports/owners.csv", format="csv", encoding="gb18030", rows=12034, size_bytes=1_482_113,
                        delimiter=",", columns=[
                            _col("证件号码", "CN_RESIDENT_ID", True, "identity_document", 0.99, 0.98,
                                 ["110101********123X", "320102********0021"], "98% of values valid, header names it"),
                            _col("手机号", "CN_MOBILE_PHONE", False, "contact", 0.99, 1.0, ["138****8000"],
                                 "100% of values valid, header names it"),
                            _col("客户姓名", "PERSON_NAME", False, "identity", 0.6, 0.0, ["张*", "李**"],
                                 "header names it; values cannot be checked"),
                            _col("银行卡号", "CN_BANK_CARD", True, "financial", 0.8, 0.6, ["6222********1234"],
                                 "60% of values valid"),
                            _col(XSS_COLUMN),
                            _col("订单号"),
                        ])
    stations = FileReport(path="exports/charging_stations.csv", format="csv", encoding="utf-8", rows=310, size_bytes=20_480,
                          columns=[_col("充电桩经度", "GEO_LONGITUDE", False, "location", 0.95, 1.0, ["116.3***"],
                                        "100% of values valid, header names it"),
                                   _col("充电桩纬度", "GEO_LATITUDE", False, "location", 0.95, 1.0, ["39.9***"],
                                        "100% of values valid, header names it")])
    broken = FileReport(path="exports/broken.parquet", error="not a Parquet file (bad magic bytes)")
    report = Report(ruleset="beijing-ftz-2024",
                    context={"sector": "automotive", "scenario": "after_sales", "subject": None, "modality": None,
                             "year": 2026, "ciio": False},
                    files=[owners, stations, broken],
                    persons=PersonsReport(personal=12034, sensitive=8000, by_entity={"CN_RESIDENT_ID": 8000,
                                                                                    "CN_MOBILE_PHONE": 12034}),
                    important_data=[{"item": "automotive.3", "status": "unreviewed",
                                     "evidence": ["exports/charging_stations.csv: 充电桩经度, 充电桩纬度"]}],
                    items=[
                        {"id": "automotive.11", "path": "standard_contract_or_certification", "triggered": True,
                         "count": 8000, "threshold": "< 10000", "headroom": 2000,
                         "reason": {"zh": "敏感个人信息不满1万人", "en": "fewer than 10,000 persons' sensitive PI"},
                         "category": "personal", "title": {"zh": "车主信息", "en": "vehicle owners"}},
                        {"id": "automotive.3", "path": "security_assessment", "triggered": True, "count": None,
                         "threshold": None, "headroom": None,
                         "reason": {"zh": "重要数据候选：充电网络", "en": "important data candidate: charging network"}},
                        {"id": "cac-2024.7", "path": "security_assessment", "triggered": False, "count": 8000,
                         "threshold": ">= 10000", "headroom": 2000,
                         "reason": {"zh": "敏感个人信息≥1万人", "en": ">= 10,000 persons' sensitive PI"}},
                    ],
                    verdict={"path": "security_assessment", "items": ["automotive.11", "automotive.3"]},
                    errors=["exports/broken.parquet: not a Parquet file (bad magic bytes)"])
    return report


@pytest.fixture
def sample_report() -> Report:
    return build_report()
