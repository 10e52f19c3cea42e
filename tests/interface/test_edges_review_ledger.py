"""Review and ledger edges through the real CLI: known entities only, one default ledger for
the scan and `ledger status`, headroom labelled, removals and dismissals with who and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

import office_files  # noqa: E402

from scanner.cli import main  # noqa: E402

KEY = "22" * 32


def members_csv(path: Path, n: int = 20, start: int = 0) -> list[dict]:
    persons = office_files.people(n + start)[start:]
    path.write_text("姓名,证件号码,手机\n" + "".join(f"{p['name']},{p['id']},{p['phone']}\n" for p in persons),
                    encoding="utf-8")
    return persons


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("CHUJING_LEDGER_KEY", KEY)
    monkeypatch.delenv("CHUJING_LEDGER", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def scan_report(tmp_path: Path, *extra: str) -> Path:
    members_csv(tmp_path / "members.csv")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "members.csv"), "--format", "json", "-o", str(out),
                                       "-q", *extra])
    assert result.exit_code in (0, 10, 20, 30), result.output
    return out


def test_review_accepts_only_known_entities_at_its_prompt(env):
    report = scan_report(env)
    decisions = env / "decisions.yaml"
    # The first question is the resident-ID column (sensitive, not yet decided): override it,
    # type an entity that does not exist, then one that does.
    answers = "o\nCN_RESIDENT_IDD\nnot an entity\nCN_PASSPORT\nchecked with the data owner\nq\n"
    result = CliRunner().invoke(main, ["review", str(report), "--decisions", str(decisions), "--who", "Li Wei"],
                                input=answers)
    assert "CN_RESIDENT_IDD is not an entity chujing knows" in result.output
    saved = yaml.safe_load(decisions.read_text(encoding="utf-8"))
    (decision,) = saved["columns"]
    assert decision["entity"] == "CN_PASSPORT" and decision["who"] == "Li Wei"


def test_a_decisions_file_naming_an_unknown_entity_fails_with_that_message(env):
    report = scan_report(env)
    decisions = env / "decisions.yaml"
    decisions.write_text("version: 1\ncolumns:\n- {file: members.csv, column: 证件号码, action: override, "
                         "entity: CN_PASPORT, who: Li Wei, why: typo}\n", encoding="utf-8")
    for args in (["scan", str(env / "members.csv"), "--decisions", str(decisions), "--format", "json", "-q"],
                 ["review", str(report), "--decisions", str(decisions), "--who", "Li Wei"]):
        result = CliRunner().invoke(main, args, input="q\n")
        assert result.exit_code == 2, (args[0], result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert "CN_PASPORT" in lines[0] and "unknown entity" in lines[0] and str(decisions) in lines[0], lines[0]


def test_scan_and_ledger_status_share_one_default_ledger(env, monkeypatch):
    ledger = env / "transfers.db"
    monkeypatch.setenv("CHUJING_LEDGER", str(ledger))
    members_csv(env / "members.csv", 20)
    result = CliRunner().invoke(main, ["scan", "members.csv", "--record", "--transfer-id", "T-1", "--format", "json", "-q"])
    assert result.exit_code == 10, result.output
    assert ledger.is_file()
    status = CliRunner().invoke(main, ["ledger", "status", "--format", "json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["all_contexts"]["personal"] == 20
    # A second export of the year, read against the same ledger without naming it: year to date.
    members_csv(env / "more.csv", 10, start=20)
    again = CliRunner().invoke(main, ["scan", "more.csv", "--format", "json", "-q"])
    assert json.loads(again.stdout)["persons"]["year_to_date"]["personal"] == 30


def test_ledger_status_reads_the_ledger_of_the_config_file(env):
    (env / "chujing.toml").write_text('[scan]\nledger = "lake-ledger.sqlite"\n', encoding="utf-8")
    members_csv(env / "members.csv", 15)
    result = CliRunner().invoke(main, ["scan", "members.csv", "--record", "--transfer-id", "T-1", "--format", "json", "-q"])
    assert result.exit_code == 10, result.output
    assert (env / "lake-ledger.sqlite").is_file()
    status = CliRunner().invoke(main, ["ledger", "status", "--format", "json"])
    assert json.loads(status.stdout)["all_contexts"]["personal"] == 15


def test_headroom_is_labelled_and_means_what_the_report_means(env, monkeypatch):
    monkeypatch.setenv("CHUJING_LEDGER", str(env / "l.db"))
    report = scan_report(env, "--record", "--transfer-id", "T-1")
    items = {i["id"]: i for i in json.loads(report.read_text(encoding="utf-8"))["items"]}
    status = CliRunner().invoke(main, ["ledger", "status"])
    lines = status.stdout.splitlines()
    header = next(line for line in lines if line.strip().startswith("item"))
    assert header.split() == ["item", "counts", "count", "threshold", "headroom", "path", "reached"]
    assert any(line.strip().startswith("headroom:") and "persons" in line for line in lines)
    data = json.loads(CliRunner().invoke(main, ["ledger", "status", "--format", "json"]).stdout)
    for row in data["all_contexts"]["items"]:
        assert row["headroom"] == items[row["item"]]["headroom"], row


def test_ledger_remove_needs_a_reason(env, monkeypatch):
    monkeypatch.setenv("CHUJING_LEDGER", str(env / "l.db"))
    scan_report(env, "--record", "--transfer-id", "T-1")
    result = CliRunner().invoke(main, ["ledger", "remove", "T-1"])
    assert result.exit_code == 2 and "--reason" in result.stderr
    result = CliRunner().invoke(main, ["ledger", "remove", "T-1", "--reason", "   "])
    assert result.exit_code == 2 and "--reason" in result.stderr
    result = CliRunner().invoke(main, ["ledger", "remove", "T-1", "--reason", "sent twice by mistake"])
    assert result.exit_code == 0, result.output
    shown = json.loads(CliRunner().invoke(main, ["ledger", "show", "T-1", "--format", "json"]).stdout)
    assert shown["removed_reason"] == "sent twice by mistake"


def test_dismissing_a_candidate_records_who_and_why(env):
    """automotive.3 (charging-station coordinates) dismissed on the command line: the report
    keeps who and why; without a why the dismissal is refused."""
    lines = ["充电桩编号,充电桩经度,充电桩纬度"] + [f"CP{i:05d},{116.3 + i / 1000:.4f},{39.9 + i / 1000:.4f}"
                                                 for i in range(200)]
    (env / "charging_stations.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    base = ["scan", "charging_stations.csv", "--sector", "automotive", "--scenario", "charging_station", "--ftz",
            "beijing", "--format", "json", "-q"]
    first = json.loads(CliRunner().invoke(main, base).stdout)
    assert any(c["item"] == "automotive.3" for c in first["important_data"]), first["important_data"]
    refused = CliRunner().invoke(main, [*base, "--not-important", "automotive.3"])
    assert refused.exit_code == 2 and "--why" in refused.stderr
    result = CliRunner().invoke(main, [*base, "--not-important", "automotive.3", "--why", "stations on a public map",
                                       "--who", "Li Wei"])
    report = json.loads(result.stdout)
    (candidate,) = [c for c in report["important_data"] if c["item"] == "automotive.3"]
    assert candidate["status"] == "dismissed"
    assert candidate["decision"]["who"] == "Li Wei" and candidate["decision"]["why"] == "stations on a public map"


@pytest.mark.parametrize("columns", [80, 200])
def test_ledger_tables_fit_the_terminal(env, monkeypatch, columns):
    import re
    import unicodedata

    monkeypatch.setenv("CHUJING_LEDGER", str(env / "l.db"))
    scan_report(env, "--record", "--transfer-id", "T-2026-members-export", "--recipient", "Acme GmbH Marketing")
    for args in (["status"], ["list"], ["show", "T-2026-members-export"]):
        result = CliRunner().invoke(main, ["ledger", *args], env={"COLUMNS": str(columns)})
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        wide = [line for line in lines
                if sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) > columns]
        assert not wide, wide[:2]
        flat = re.sub(r"\s+", "", result.output)
        if args != ["status"]:
            assert "T-2026-members-export" in flat
        else:
            assert re.sub(r"\s+", "", HEADROOM) in flat


from scanner.cli.ledger import HEADROOM  # noqa: E402
