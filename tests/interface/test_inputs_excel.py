"""Excel workbooks through the real CLI: every sheet, headers as business systems write them,
numbers Excel mangled, dates, sheet names, and the limits that keep memory bounded.

The workbooks are written by ``office_files.write_xlsx`` the way Excel (shared strings) and
Apache POI / EasyExcel (inline strings) write them: no spreadsheet library is a dependency."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

import office_files  # noqa: E402

from scanner.cli import main  # noqa: E402


def scan_json(*args: str, env: dict | None = None) -> tuple[int, dict | None, str]:
    result = CliRunner().invoke(main, ["scan", *args, "--format", "json", "-q"], env=env)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = None
    return result.exit_code, report, result.stderr


def members_workbook(path: Path, persons: list[dict], shared_strings: bool = True) -> None:
    """A member export as an ERP writes it: a title row merged across the table, a blank row,
    a header of two rows (联系方式 merged over 手机 and 邮箱), birth dates as Excel dates, and a
    second sheet of orders that names the same members by phone."""
    members = [["会员信息导出（2026-05-01）", None, None, None, None], [None] * 5,
               ["姓名", "证件号码", "联系方式", None, "出生日期"], [None, None, "手机", "邮箱", None]]
    members += [[p["name"], p["id"], p["phone"], p["email"], p["birth"]] for p in persons]
    orders = [["订单号", "下单手机", "金额（元）", "下单时间"]]
    orders += [[f"SO{i:08d}", float(p["phone"]), 99.5 + i, dt.datetime(2026, 5, 1, 8, i % 60)]
               for i, p in enumerate(persons)]
    office_files.write_xlsx(path, {"会员": members, "订单": orders},
                            merges={"会员": ["A1:E1", "A3:A4", "B3:B4", "C3:D3", "E3:E4"]},
                            shared_strings=shared_strings)


def columns_of(report: dict, path_end: str) -> dict[str, dict]:
    files = [f for f in report["files"] if f["path"].endswith(path_end)]
    assert len(files) == 1, [f["path"] for f in report["files"]]
    assert files[0]["error"] is None, files[0]["error"]
    return {c["name"]: c for c in files[0]["columns"]}


@pytest.mark.parametrize("shared_strings", [True, False], ids=["excel", "poi"])
def test_every_sheet_of_a_workbook_in_a_folder_is_read(tmp_path, shared_strings):
    persons = office_files.people(60)
    members_workbook(tmp_path / "members.xlsx", persons, shared_strings)
    (tmp_path / "stores.csv").write_text("门店,城市\n朝阳店,北京\n", encoding="utf-8")
    code, report, err = scan_json(str(tmp_path))
    assert report is not None, err
    paths = sorted(f["path"] for f in report["files"])
    assert paths == sorted([f"{tmp_path}/members.xlsx#会员", f"{tmp_path}/members.xlsx#订单", f"{tmp_path}/stores.csv"])
    members = columns_of(report, "#会员")
    # The title row and the blank row are not the header; the two header rows make one name.
    assert list(members) == ["姓名", "证件号码", "联系方式/手机", "联系方式/邮箱", "出生日期"]
    assert members["证件号码"]["entity"] == "CN_RESIDENT_ID"
    assert members["联系方式/手机"]["entity"] == "CN_MOBILE_PHONE"
    assert members["联系方式/邮箱"]["entity"] == "EMAIL"
    assert members["出生日期"]["entity"] == "BIRTH_DATE"  # Excel dates read as dates
    assert [f["rows"] for f in report["files"] if f["path"].endswith("#会员")] == [60]
    orders = columns_of(report, "#订单")
    # A phone Excel stored as a float (13800138000.0) is the phone, exactly.
    assert orders["下单手机"]["entity"] == "CN_MOBILE_PHONE"
    assert all(re.fullmatch(r"1[3-9][0-9][*]{4}[0-9]{4}", s) for s in orders["下单手机"]["samples"])
    # The same members in both sheets are counted once (linked by their phones).
    assert report["persons"]["personal"] == 60
    assert report["errors"] == []
    assert code == 10  # 60 persons' sensitive information: a standard contract (cac-2024)
    assert "skipped" not in report or report["skipped"] == []


def test_a_workbook_scanned_directly(tmp_path):
    persons = office_files.people(12)
    members_workbook(tmp_path / "members.xlsx", persons)
    code, report, err = scan_json(str(tmp_path / "members.xlsx"))
    assert report is not None, err
    assert {f["path"].split("#")[-1] for f in report["files"]} == {"会员", "订单"}
    assert {f["format"] for f in report["files"]} == {"excel"}
    assert report["persons"]["personal"] == 12
    assert code == 10


def test_ids_excel_turned_into_floats_are_never_counted_as_valid(tmp_path):
    """18-digit IDs typed into numeric cells: Excel keeps 15 digits (4.40305197212018E+17).
    The column is the identifier destroyed by the export: labelled as such, not a key, and the
    report says precision was lost."""
    persons = office_files.people(30)
    rows = [["姓名", "身份证号", "手机号"]] + [[p["name"], int(p["id"][:17] + "0") if p["id"][-1] != "X" else
                                           int(p["id"][:17] + "1"), p["phone"]] for p in persons]
    office_files.write_xlsx(tmp_path / "owners.xlsx", {"Sheet1": rows})
    code, report, err = scan_json(str(tmp_path / "owners.xlsx"))
    assert report is not None, err
    columns = columns_of(report, "owners.xlsx#Sheet1")
    ids = columns["身份证号"]
    assert ids["entity"] == "CN_RESIDENT_ID_MASKED", ids
    assert "CN_RESIDENT_ID" not in ids["entities"]
    assert all("E+17" in s for s in ids["samples"]), ids["samples"]
    assert "precision" in ids["evidence"] or "digits" in ids["evidence"], ids["evidence"]
    notes = " ".join(n["en"] for n in report.get("notes", []))
    assert "destroyed" in notes and "owners.xlsx#Sheet1" in notes
    # No whole ID, and no float form of one, appears anywhere in the report.
    text = json.dumps(report, ensure_ascii=False)
    for p in persons:
        assert p["id"][:15] not in text.replace(".", "")


def test_a_sheet_named_after_a_person_is_masked(tmp_path):
    persons = office_files.people(5)
    rows = [["姓名", "证件号码"]] + [[p["name"], p["id"]] for p in persons]
    named = persons[4]["id"]
    office_files.write_xlsx(tmp_path / "客户.xlsx", {"13912345678": rows, named: rows})
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "-q"])
    report = json.loads(result.stdout)
    names = sorted(f["path"].split("#")[1] for f in report["files"])
    assert names == ["139****5678", f"{named[:6]}********{named[-4:]}"]
    assert "13912345678" not in result.output and named not in result.output


def test_a_sheet_without_a_header_is_read_as_data(tmp_path):
    persons = office_files.people(20)
    office_files.write_xlsx(tmp_path / "raw.xlsx", {"Sheet1": [[p["id"], p["phone"]] for p in persons]})
    code, report, err = scan_json(str(tmp_path / "raw.xlsx"))
    columns = columns_of(report, "raw.xlsx#Sheet1")
    assert list(columns) == ["column_1", "column_2"]
    assert columns["column_1"]["entity"] == "CN_RESIDENT_ID"
    assert report["persons"]["personal"] == 20  # the first row is a person, not a header


def test_empty_and_chart_free_sheets_do_not_fail_the_scan(tmp_path):
    persons = office_files.people(5)
    rows = [["姓名", "证件号码"]] + [[p["name"], p["id"]] for p in persons]
    office_files.write_xlsx(tmp_path / "book.xlsx", {"data": rows, "Sheet2": [], "Sheet3": []})
    code, report, err = scan_json(str(tmp_path / "book.xlsx"))
    assert report is not None, err
    assert report["errors"] == [], report["errors"]
    assert report["persons"]["personal"] == 5


def test_a_broken_workbook_fails_alone_in_one_line(tmp_path):
    persons = office_files.people(5)
    rows = [["姓名", "证件号码"]] + [[p["name"], p["id"]] for p in persons]
    office_files.write_xlsx(tmp_path / "good.xlsx", {"Sheet1": rows})
    data = (tmp_path / "good.xlsx").read_bytes()
    (tmp_path / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    (tmp_path / "notexcel.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook " + persons[0]["id"].encode())
    code, report, err = scan_json(str(tmp_path))
    assert code == 1
    failed = {f["path"].rsplit("/", 1)[-1]: f["error"] for f in report["files"] if f["error"]}
    assert set(failed) == {"truncated.xlsx", "notexcel.xlsx"}, failed
    assert report["persons"]["personal"] == 5  # the good workbook is still counted
    for message in report["errors"]:
        assert "\n" not in message and persons[0]["id"] not in message
    assert persons[0]["id"] not in err


def test_a_sheet_past_the_memory_limit_is_refused_not_read(tmp_path):
    persons = office_files.people(3)

    def rows():
        yield ["姓名", "证件号码", "备注"]
        for i in range(40_000):
            p = persons[i % 3]
            yield [p["name"], p["id"], "x" * 40]

    office_files.write_xlsx(tmp_path / "big.xlsx", {"Sheet1": rows()}, shared_strings=False)
    code, report, err = scan_json(str(tmp_path / "big.xlsx"), env={"CHUJING_MAX_SHEET_MB": "1"})
    assert code == 1
    (entry,) = report["files"]
    assert "CHUJING_MAX_SHEET_MB" in entry["error"] and "MB" in entry["error"]
    code, report, err = scan_json(str(tmp_path / "big.xlsx"))
    assert report["errors"] == [] and report["persons"]["personal"] == 3
    assert report["files"][0]["rows"] == 40_000


def test_an_office_lock_file_is_skipped_with_its_reason(tmp_path):
    persons = office_files.people(5)
    rows = [["姓名", "证件号码"]] + [[p["name"], p["id"]] for p in persons]
    office_files.write_xlsx(tmp_path / "members.xlsx", {"Sheet1": rows})
    (tmp_path / "~$members.xlsx").write_bytes(b"\x0bLi Wei" + b"\x00" * 40)
    code, report, err = scan_json(str(tmp_path))
    assert report["errors"] == []
    (skipped,) = report["skipped"]
    assert skipped["path"].endswith("~$members.xlsx") and "lock" in skipped["reason"]


def test_an_unchanged_workbook_is_not_read_again_with_a_state_file(tmp_path):
    persons = office_files.people(25)
    members_workbook(tmp_path / "members.xlsx", persons)
    env = {"CHUJING_LEDGER_KEY": "33" * 32}
    state = str(tmp_path / "state.sqlite")
    _, first, err = scan_json(str(tmp_path / "members.xlsx"), "--state", state, env=env)
    assert first is not None, err
    _, second, err = scan_json(str(tmp_path / "members.xlsx"), "--state", state, env=env)
    assert second["incremental"]["cached_files"] == 2 and second["incremental"]["scanned_files"] == 0
    assert second["persons"] == first["persons"]


def test_an_opendocument_spreadsheet_is_read_like_a_workbook(tmp_path):
    persons = office_files.people(15)
    office_files.write_ods(tmp_path / "members.ods", {"会员": [["姓名", "证件号码", "手机", "生日"]] + [
        [p["name"], p["id"], p["phone"], p["birth"]] for p in persons]})
    code, report, err = scan_json(str(tmp_path))
    columns = columns_of(report, "members.ods#会员")
    assert [columns[n]["entity"] for n in ("证件号码", "手机", "生日")] == ["CN_RESIDENT_ID", "CN_MOBILE_PHONE",
                                                                       "BIRTH_DATE"]
    assert report["persons"]["personal"] == 15
