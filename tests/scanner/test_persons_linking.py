"""Persons you can defend: real files through the real CLI, each case of a shared contact.

A placeholder phone, a ``noreply@`` address, a switchboard, a family phone: none of them may
merge different people, and the same rows in any order and any files give the same count.
"""

from __future__ import annotations

import csv
import json
import random
import sqlite3

import pytest
from click.testing import CliRunner

from scanner.cli import main
from tests.detectors.fixtures import mobile, resident_id


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, [*args, "--format", "json", "--quiet"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


def write_csv(path, header: list[str], rows: list[list]) -> str:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def distinct_ids(n: int, seed: int = 1) -> list[str]:
    r = random.Random(seed)
    ids: set[str] = set()
    while len(ids) < n:
        ids.add(resident_id(r))
    return sorted(ids)


def test_a_placeholder_phone_merges_nobody(tmp_path):
    """12,000 members, 30% of rows with 13800138000: 12,000 persons, a security assessment
    under the national rules (≥ 10,000 persons' sensitive information)."""
    r = random.Random(2)
    rows = [[f"M{i:06d}", id_, "13800138000" if r.random() < 0.3 else mobile(r)]
            for i, id_ in enumerate(distinct_ids(12_000))]
    path = write_csv(tmp_path / "members.csv", ["会员号", "证件号码", "手机号"], rows)
    code, report = run("scan", path, "--ruleset", "cac-2024")
    assert report["persons"]["personal"] == report["persons"]["sensitive"] == 12_000
    assert code == 20 and report["verdict"]["path"] == "security_assessment"
    linking = report["persons"]["linking"]
    assert linking["placeholders"][0]["value"] == "138****8000"
    assert linking["placeholder_rows"] == sum(1 for row in rows if row[2] == "13800138000")
    assert "13800138000" not in json.dumps(report)


def test_noreply_addresses_and_a_shared_sender_link_nobody(tmp_path):
    """2,000 ID numbers; some rows carry noreply@company.com (a placeholder), others one
    ordinary address used by a whole department (found shared: more than 3 identities)."""
    r = random.Random(3)
    rows = []
    for id_ in distinct_ids(2_000, seed=3):
        roll = r.random()
        mail = "noreply@company.com" if roll < 0.3 else "hr-dept@company.com" if roll < 0.5 else \
            f"u{r.randrange(10**9)}@163.com"
        rows.append([id_, mail])
    path = write_csv(tmp_path / "staff.csv", ["身份证号", "邮箱"], rows)
    code, report = run("scan", path)
    persons = report["persons"]
    assert persons["personal"] == 2_000
    shared = persons["linking"]["shared_contacts"]
    assert [s["value"] for s in shared] == ["h******@company.com"]
    assert shared[0]["identities"] == sum(1 for row in rows if row[1] == "hr-dept@company.com")
    assert persons["linking"]["range"]["personal"][0] < 2_000  # had every contact linked
    assert "hr-dept@company.com" not in json.dumps(report) and "noreply@company.com" not in json.dumps(report)


def test_a_switchboard_landline_shared_by_500_employees(tmp_path):
    rows = [[f"员工{i}", id_, "010-62751234"] for i, id_ in enumerate(distinct_ids(500, seed=4))]
    path = write_csv(tmp_path / "hr.csv", ["工号", "身份证号", "办公电话"], rows)
    _, report = run("scan", path)
    assert report["persons"]["personal"] == 500


def test_a_family_phone_does_not_merge_two_id_numbers(tmp_path):
    father, daughter = distinct_ids(2, seed=5)
    path = write_csv(tmp_path / "family.csv", ["证件号码", "手机号码"],
                     [[father, "13912345670"], [daughter, "13912345670"], [father, "13912345670"]])
    _, report = run("scan", path)
    assert report["persons"]["personal"] == 2
    assert report["persons"]["linking"]["conflicts"] == 1


def test_one_person_with_an_id_in_one_file_and_phone_only_rows_in_another(tmp_path):
    (id_,) = distinct_ids(1, seed=6)
    first = write_csv(tmp_path / "accounts.csv", ["证件号码", "手机号码"], [[id_, "13912345670"]])
    second = write_csv(tmp_path / "orders.csv", ["订单号", "手机号码"],
                       [["A1001", "13912345670"], ["A1002", "13912345670"], ["A1003", "139 1234 5670"]])
    _, report = run("scan", first, second)
    assert report["persons"]["personal"] == 1
    assert report["persons"]["linking"]["contact_merges"] == 3  # four rows, one person
    assert report["persons"]["linking"]["shared_contacts_total"] == 0


def test_chains_through_several_contacts(tmp_path):
    """ID → phone → e-mail → card → ID links into one person when the IDs agree, and keeps the
    two people apart (with the identity-free rows between them as one more) when they differ."""
    one, other = distinct_ids(2, seed=7)
    card = "6222021234567890128"
    chain = [[one, "13912345670", "", ""], ["", "13912345670", "li@corp.cn", ""], ["", "", "li@corp.cn", card]]
    header = ["证件号码", "手机号码", "邮箱", "银行卡号"]
    same = write_csv(tmp_path / "same.csv", header, [*chain, [one, "", "", card]])
    _, report = run("scan", same)
    assert report["persons"]["personal"] == 1
    differ = write_csv(tmp_path / "differ.csv", header, [*chain, [other, "", "", card]])
    _, report = run("scan", differ)
    assert report["persons"]["personal"] == 3
    assert report["persons"]["linking"]["conflicts"] == 1
    assert report["persons"]["linking"]["range"]["personal"] == [1, 4]


def test_the_same_rows_in_any_order_and_any_files_give_the_same_count(tmp_path):
    r = random.Random(8)
    ids = distinct_ids(60, seed=8)
    family = "13912345670"
    rows = []
    for i, id_ in enumerate(ids):
        rows.append([id_, family if i % 7 == 0 else mobile(r), f"u{i}@corp.cn" if i % 3 else "team@corp.cn"])
        rows.append(["", rows[-1][1], ""])  # a phone-only row of the same person (or family)
    header = ["证件号码", "手机号码", "邮箱"]
    counts = set()
    for attempt in range(4):
        shuffled = list(rows)
        r.shuffle(shuffled)
        cuts = sorted(r.sample(range(1, len(rows)), 2))
        parts = [shuffled[:cuts[0]], shuffled[cuts[0]:cuts[1]], shuffled[cuts[1]:]]
        paths = [write_csv(tmp_path / f"try{attempt}_{k}.csv", header, part) for k, part in enumerate(parts)]
        _, report = run("scan", *paths)
        counts.add((report["persons"]["personal"], report["persons"]["linking"]["shared_contacts_total"]))
    assert len(counts) == 1


def test_user_keys_are_contacts_and_user_placeholders_link_nobody(tmp_path):
    """WeChat IDs named with --person-key are contacts: a few repeated values never merge
    different ID numbers; --not-key and [persons] not_keys drop the user's own placeholders."""
    ids = distinct_ids(40, seed=9)
    rows = [[id_, "wx_unknown" if i % 2 else f"wx_{i}", "" if i < 38 else "W0000"] for i, id_ in enumerate(ids)]
    rows += [["", "", "W0000"], ["", "", "W0000"]]  # rows holding only the user's placeholder
    path = write_csv(tmp_path / "crm.csv", ["证件号码", "微信号", "会员卡"], rows)
    _, report = run("scan", path, "--person-key", "微信号", "--person-key", "会员卡")
    # 40 ID numbers (wx_unknown is shared by 20 of them: it links nobody); W0000 joins two ID
    # numbers (a conflict: kept apart) and links the two card-only rows into one more person.
    assert report["persons"]["personal"] == 41
    shared = report["persons"]["linking"]["shared_contacts"]
    assert {s["entity"] for s in shared} <= {"user:微信号", "WECHAT_ID"} and {s["identities"] for s in shared} == {20}
    _, report = run("scan", path, "--person-key", "微信号", "--person-key", "会员卡", "--not-key", "W0000")
    assert report["persons"]["personal"] == 42
    (tmp_path / "chujing.toml").write_text('[persons]\nnot_keys = ["W0000"]\nshared_contact_identities = 2\n',
                                           encoding="utf-8")
    _, report = run("scan", path, "--person-key", "微信号", "--person-key", "会员卡",
                    "--config", str(tmp_path / "chujing.toml"))
    assert report["persons"]["personal"] == 42
    assert report["persons"]["linking"]["max_identities"] == 2


def test_two_ledger_transfers_sharing_a_placeholder_phone(tmp_path):
    ledger = str(tmp_path / "ledger.sqlite")
    a, b = distinct_ids(2, seed=10)
    first = write_csv(tmp_path / "jan.csv", ["证件号码", "手机号码"], [[a, "13800138000"]])
    second = write_csv(tmp_path / "feb.csv", ["证件号码", "手机号码"], [[b, "13800138000"]])
    run("scan", first, "--ledger", ledger, "--record", "--transfer-id", "jan")
    _, report = run("scan", second, "--ledger", ledger, "--record", "--transfer-id", "feb")
    assert report["persons"]["year_to_date"]["personal"] == 2
    # A family phone across two transfers: two identities on one phone stay two persons.
    third = write_csv(tmp_path / "mar.csv", ["证件号码", "手机号码"], [[a, "13912345670"]])
    fourth = write_csv(tmp_path / "apr.csv", ["证件号码", "手机号码"], [[b, "13912345670"], ["", "13912345670"]])
    run("scan", third, "--ledger", ledger, "--record", "--transfer-id", "mar")
    _, report = run("scan", fourth, "--ledger", ledger, "--record", "--transfer-id", "apr")
    assert report["persons"]["year_to_date"]["personal"] == 3  # a, b and the phone-only row
    dump = b"".join(bytes(str(row), "utf-8") for row in sqlite3.connect(ledger).execute("SELECT * FROM transfers"))
    assert b"13912345670" not in dump and a.encode() not in dump


@pytest.mark.parametrize("fmt", ["table", "html"])
def test_the_terminal_and_html_reports_warn_of_shared_contacts(tmp_path, fmt):
    rows = [[id_, "hr-dept@company.com"] for id_ in distinct_ids(10, seed=11)]
    path = write_csv(tmp_path / "staff.csv", ["身份证号", "邮箱"], rows)
    out = tmp_path / f"report.{fmt}"
    CliRunner().invoke(main, ["scan", path, "--format", fmt, "-o", str(out), "--quiet"], catch_exceptions=False)
    text = out.read_text(encoding="utf-8")
    assert "shared contact" in text and "h******@company.com" in text
    assert "hr-dept@company.com" not in text


def test_persons_by_entity_name_what_the_column_table_shows(tmp_path):
    """社保卡号 numbers that also fit a passport's shape are social security cards wherever the
    persons are listed: the JSON report, the HTML report and the ledger."""
    import pathlib

    sample = str(pathlib.Path(__file__).resolve().parents[2] / "sample_data" / "pharmaceutical" / "trial_subjects.csv")
    ledger = str(tmp_path / "ledger.sqlite")
    _, report = run("scan", sample, "--ledger", ledger, "--record", "--transfer-id", "T1")
    column = next(c for c in report["files"][0]["columns"] if c["name"] == "社保卡号")
    assert column["entity"] == "CN_SOCIAL_SECURITY_CARD"
    assert "CN_SOCIAL_SECURITY_CARD" in report["persons"]["by_entity"]
    assert "CN_PASSPORT" not in report["persons"]["by_entity"]
    html = tmp_path / "r.html"
    CliRunner().invoke(main, ["scan", sample, "--format", "html", "-o", str(html), "--quiet"], catch_exceptions=False)
    assert "CN_SOCIAL_SECURITY_CARD" in html.read_text(encoding="utf-8")
    shown = CliRunner().invoke(main, ["ledger", "--ledger", ledger, "show", "T1"], catch_exceptions=False).stdout
    assert "CN_SOCIAL_SECURITY_CARD" in shown and "CN_PASSPORT" not in shown
