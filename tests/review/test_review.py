"""Recorded decisions: the file, `chujing review` through its prompts, and a second scan honouring them."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json

import pytest
import yaml
from click.testing import CliRunner

from scanner.cli import main
from scanner.report.html_page import render_html
from scanner.review.decisions import (
    ColumnDecision,
    Decisions,
    ImportantDecision,
    apply_to_report,
    decision_record,
    load_decisions,
    match_rank,
)

# A decision recorded at an earlier review, on a column the export has since renamed.
EARLIER = """\
version: 1
columns:
- file: owners.csv
  column: 车主电话
  action: confirm
  entity: CN_MOBILE_PHONE
  who: Zhao Lei
  when: '2026-03-02'
  why: owners' phones, checked with sales
"""


@pytest.fixture
def report_json(tmp_path, sample_report):
    path = tmp_path / "report.json"
    path.write_text(sample_report.to_json(), encoding="utf-8")
    return path


def run_review(report_json, decisions, answers: str, *extra: str):
    return CliRunner().invoke(main, ["review", str(report_json), "--decisions", str(decisions), *extra], input=answers)


# --- the file -----------------------------------------------------------------------------------

def test_missing_file_is_empty_and_save_load_round_trips(tmp_path):
    path = tmp_path / "d.yaml"
    decisions = load_decisions(path)
    assert len(decisions) == 0
    decisions.set_column(ColumnDecision("exports/b.csv", "证件号码", "confirm", "CN_RESIDENT_ID", "Li Wei", "2026-05-04", ""))
    decisions.set_column(ColumnDecision("a.csv", "x", "not_personal", None, "Li Wei", "2026-05-04", "an order number"))
    decisions.set_important(ImportantDecision("automotive.3", "dismissed", "Wang Fang", "2026-05-04", "public map"))
    decisions.save(path)
    text = path.read_text(encoding="utf-8")
    assert "证件号码" in text  # readable, not \u escapes
    assert yaml.safe_load(text)["version"] == 1
    again = load_decisions(path)
    assert again.to_dict() == decisions.to_dict()
    again.save(path)
    assert path.read_text(encoding="utf-8") == text  # stable: saving again changes nothing
    # Sorted by file, then column: a diff shows only what changed.
    assert [d["file"] for d in yaml.safe_load(text)["columns"]] == ["a.csv", "exports/b.csv"]


@pytest.mark.parametrize("text, message", [
    ("version: 1\ncolumns:\n- {file: a.csv, column: x, action: delete}\n", "columns[0]: action 'delete' is not one of"),
    ("version: 1\ncolumns:\n- {file: a.csv, column: x, action: override}\n", "columns[0]: an override needs the 'entity'"),
    ("version: 1\ncolumns:\n- {file: a.csv, column: x, action: not_personal}\n", "columns[0]: 'not_personal' needs a 'why'"),
    ("version: 1\nimportant:\n- {item: automotive.3, status: maybe}\n", "important[0]: status 'maybe'"),
    ("version: 2\n", "version 2 is not supported"),
    ("columns: [\n", "not valid YAML at line"),
    ("- just a list\n", "expected a mapping"),
])
def test_malformed_file_is_one_line_error(tmp_path, text, message):
    path = tmp_path / "d.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as exc:
        load_decisions(path)
    assert str(exc.value).startswith(f"{path}: ")
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_file_matching_survives_a_move_of_the_export_folder():
    decisions = Decisions(columns=[
        ColumnDecision("owners.csv", "证件号码", "confirm", "CN_RESIDENT_ID"),
        ColumnDecision("2026/owners.csv", "证件号码", "override", "CN_PASSPORT"),
        ColumnDecision("members_*.parquet", "phone", "confirm", "CN_MOBILE_PHONE"),
    ])
    assert decisions.column("/mnt/new-place/exports/owners.csv", "证件号码").action == "confirm"
    assert decisions.column("exports/2026/owners.csv", "证件号码").action == "override"  # longest match wins
    assert decisions.column("lake/members_2026_05.parquet", "phone") is not None
    assert decisions.column("lake/members.parquet", "phone") is None
    assert decisions.column("exports/owners.csv", "手机号") is None
    assert match_rank("wners.csv", "owners.csv") is None  # whole path components only


def test_stale_decisions_matched_nothing():
    decisions = Decisions(columns=[ColumnDecision("owners.csv", "车主电话", "confirm"),
                                   ColumnDecision("gone.csv", "x", "confirm")],
                          important_items=[ImportantDecision("automotive.9", "dismissed", why="no")])
    stale = decisions.stale({("exports/owners.csv", "手机号")}, {"automotive.3"})
    assert [(s["kind"], s.get("column") or s.get("item")) for s in stale] == [
        ("column", "车主电话"), ("column", "x"), ("important", "automotive.9")]
    assert "renamed" in stale[0]["reason"] and "no scanned file" in stale[1]["reason"]


def test_apply_to_report_is_idempotent_with_the_pipeline(sample_report):
    decisions = Decisions(columns=[ColumnDecision("owners.csv", "客户姓名", "override", "CN_PASSPORT", "Li Wei", "2026-05-04", "p")],
                          important_items=[ImportantDecision("automotive.3", "dismissed", "Li Wei", "2026-05-04", "map")],
                          path="d.yaml")
    # What the pipeline does before counting: the decided entity, the detector's kept beside it.
    piped = copy.deepcopy(sample_report)
    column = piped.files[0].columns[2]
    column.decision = decision_record(decisions.columns[0], column.entity)
    column.entity = "CN_PASSPORT"
    piped.important_data[0]["status"] = "dismissed"
    apply_to_report(piped, decisions)
    once = piped.to_dict()
    apply_to_report(piped, decisions)
    assert piped.to_dict() == once
    apply_to_report(sample_report, decisions)
    assert sample_report.to_dict()["decisions"] == once["decisions"]
    decided = once["files"][0]["columns"][2]["decision"]
    assert decided["detected_entity"] == "PERSON_NAME" and decided["entity"] == "CN_PASSPORT" and decided["changed"]
    assert [c["kind"] for c in once["decisions"]["changed"]] == ["column", "important"]


# --- chujing review -------------------------------------------------------------------------------

def test_review_then_second_scan_honours_the_decisions(tmp_path, report_json, sample_report):
    decisions_path = tmp_path / "chujing-decisions.yaml"
    decisions_path.write_text(EARLIER, encoding="utf-8")
    answers = "\n".join([
        "Li Wei",                               # who
        "c", "",                                # 证件号码 (sensitive): confirm, no reason needed
        "o", "cn_passport", "they are passport names",   # 客户姓名 (header only): override
        "n", "dealer settlement accounts, not persons",   # 银行卡号 (low confidence): not personal
        "d", "public map of stations",          # automotive.3: dismiss
        "k",                                    # stale 车主电话: keep (still shown as stale)
    ]) + "\n"
    result = run_review(report_json, decisions_path, answers)
    assert result.exit_code == 0, result.output
    # The reviewer saw the masked samples and the evidence.
    assert "110101********123X" in result.output and "header names it" in result.output
    assert "exports/charging_stations.csv: 充电桩经度, 充电桩纬度" in result.output
    assert "stale decision" in result.output

    saved = yaml.safe_load(decisions_path.read_text(encoding="utf-8"))
    today = dt.date.today().isoformat()
    by_column = {d["column"]: d for d in saved["columns"]}
    assert by_column["证件号码"] == {"file": "owners.csv", "column": "证件号码", "action": "confirm",
                                   "entity": "CN_RESIDENT_ID", "who": "Li Wei", "when": today, "why": ""}
    assert by_column["客户姓名"]["action"] == "override" and by_column["客户姓名"]["entity"] == "CN_PASSPORT"
    assert by_column["银行卡号"]["why"] == "dealer settlement accounts, not persons"
    assert by_column["车主电话"]["who"] == "Zhao Lei"  # kept as it was
    assert saved["important"] == [{"item": "automotive.3", "status": "dismissed", "who": "Li Wei", "when": today,
                                   "why": "public map of stations"}]

    # The next scan of the same export (here: the same findings) with the decisions.
    second = copy.deepcopy(sample_report)
    apply_to_report(second, load_decisions(decisions_path))
    info = second.extra["decisions"]
    assert info["applied"] == 4
    assert {(c.get("column") or c.get("item")) for c in info["changed"]} == {"客户姓名", "银行卡号", "automotive.3"}
    assert [(s["column"], s["who"]) for s in info["stale"]] == [("车主电话", "Zhao Lei")]
    card = next(c for c in second.files[0].columns if c.name == "银行卡号")
    assert card.decision["action"] == "not_personal" and card.decision["detected_entity"] == "CN_BANK_CARD"
    assert second.important_data[0]["status"] == "dismissed"
    page = render_html(second, lang="en")
    assert "银行卡号" in page and 'id="warn-stale"' in page  # decided, never hidden

    # Asked again, nothing is open but the stale decision, which can now be moved to the new name.
    path = tmp_path / "second.json"
    path.write_text(second.to_json(), encoding="utf-8")
    result = run_review(path, decisions_path, "m\n手机号\n", "--who", "Li Wei")
    assert result.exit_code == 0, result.output
    assert result.output.count("[1/1]") == 1
    moved = {d["column"]: d for d in yaml.safe_load(decisions_path.read_text(encoding="utf-8"))["columns"]}
    assert "车主电话" not in moved and moved["手机号"]["who"] == "Zhao Lei"
    assert "moved from column '车主电话' by Li Wei" in moved["手机号"]["why"]
    third = copy.deepcopy(sample_report)
    apply_to_report(third, load_decisions(decisions_path))
    assert third.extra["decisions"]["stale"] == []
    assert run_review(path, decisions_path, "").output.startswith("Nothing to review")


def test_review_without_answers_is_a_one_line_usage_error(tmp_path, report_json):
    decisions_path = tmp_path / "d.yaml"
    result = run_review(report_json, decisions_path, "", "--who", "Li Wei")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "stdin gave none" in result.stderr
    assert not decisions_path.exists()


def test_review_stopped_midway_keeps_what_was_decided(tmp_path, report_json):
    decisions_path = tmp_path / "d.yaml"
    result = run_review(report_json, decisions_path, "c\n\n", "--who", "Li Wei")
    assert result.exit_code == 2
    assert "saved" in result.stderr
    assert [d["column"] for d in yaml.safe_load(decisions_path.read_text(encoding="utf-8"))["columns"]] == ["证件号码"]


def test_review_quit_saves_and_says_what_is_left(tmp_path, report_json):
    decisions_path = tmp_path / "d.yaml"
    result = run_review(report_json, decisions_path, "s\nq\n", "--who", "Li Wei")
    assert result.exit_code == 0
    assert "No change" in result.output and "4 question(s) left" in result.output  # the skipped one too
    result = run_review(report_json, decisions_path, "s\ns\ns\ns\n", "--who", "Li Wei")
    assert result.exit_code == 0 and "No change" in result.output and "4 question(s) left" in result.output


def test_review_rejects_what_is_not_a_report(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"hello": 1}), encoding="utf-8")
    result = CliRunner().invoke(main, ["review", str(path)])
    assert result.exit_code == 2 and "not a chujing JSON report" in result.stderr
    bad = tmp_path / "d.yaml"
    bad.write_text("version: 7\n", encoding="utf-8")
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps({"schema": "chujing.report/1", "files": []}), encoding="utf-8")
    result = CliRunner().invoke(main, ["review", str(ok), "--decisions", str(bad)])
    assert result.exit_code == 2 and "version 7 is not supported" in result.stderr


# --- through the pipeline (once `scan` takes decisions) -------------------------------------------

def _pipeline_takes_decisions() -> bool:
    from scanner.engines.local import ScanOptions

    return "decisions" in {f.name for f in dataclasses.fields(ScanOptions)}


@pytest.mark.skipif(not _pipeline_takes_decisions(), reason="scanner.engines.local.ScanOptions has no 'decisions' yet")
def test_scan_with_decisions_counts_a_not_personal_column_no_more(tmp_path, people):
    from scanner.engines.local import scan

    export = tmp_path / "exports"
    export.mkdir()
    lines = ["手机号,结算账户"] + [f"{p['phone']},{p['card']}" for p in people]
    (export / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = scan([str(export)], sector="other")
    assert before.persons.sensitive == len(people)

    decisions_path = tmp_path / "chujing-decisions.yaml"
    Decisions(columns=[
        ColumnDecision("members.csv", "结算账户", "not_personal", None, "Li Wei", "2026-05-04", "company settlement accounts"),
        ColumnDecision("members.csv", "会员电话", "confirm", "CN_MOBILE_PHONE", "Li Wei", "2026-03-02", "renamed since"),
    ]).save(decisions_path)
    after = scan([str(export)], sector="other", decisions=str(decisions_path))
    assert after.persons.sensitive == 0
    column = next(c for c in after.files[0].columns if c.name == "结算账户")  # still listed
    assert column.decision["action"] == "not_personal" and column.decision["detected_entity"] == "CN_BANK_CARD"
    info = after.extra["decisions"]
    assert [s["column"] for s in info["stale"]] == ["会员电话"]
    assert any(c.get("column") == "结算账户" for c in info["changed"])
