"""End to end: `chujing scan ... --ledger L --record`, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.persons import ledger as ledger_mod
from scanner.persons.ledger import open_ledger

CONTEXT = ["--sector", "pharmaceutical", "--scenario", "clinical_trial", "--subject", "trial_subject",
           "--year", "2026"]


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "keys" / "ledger.key"
    monkeypatch.delenv(ledger_mod.KEY_ENV, raising=False)
    monkeypatch.setenv(ledger_mod.KEY_FILE_ENV, str(path))
    return path


def write_csv(path: Path, people: list[dict[str, str]], with_id: bool = True) -> Path:
    header = "姓名,证件号码,联系电话" if with_id else "姓名,联系电话"
    lines = [header] + [f"用户{i},{p['id']},{p['phone']}" if with_id else f"用户{i},{p['phone']}"
                        for i, p in enumerate(people)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scan(*args: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(main, ["scan", *args, "--format", "json"])
    assert result.exit_code in (0, 10, 20, 30), result.output
    text = result.stdout if hasattr(result, "stdout") else result.output
    return result.exit_code, json.loads(text[text.index("{"):]), result.output


def test_scan_records_and_links_across_transfers(tmp_path, people):
    ledger = tmp_path / "ledger.sqlite"
    feb = write_csv(tmp_path / "feb.csv", people[:30])
    _, report, _ = scan(str(feb), *CONTEXT, "--ledger", str(ledger), "--record", "--transfer-id", "feb",
                        "--recipient", "Acme GmbH")
    ytd = report["persons"]["year_to_date"]
    assert report["persons"]["personal"] == 30 and ytd["personal"] == 30 and ytd["transfer_id"] == "feb"
    # May: 10 of February's persons again (by phone only) and 10 new ones.
    may = write_csv(tmp_path / "may.csv", people[20:40], with_id=False)
    _, preview, _ = scan(str(may), *CONTEXT, "--ledger", str(ledger))
    assert preview["persons"]["personal"] == 20
    assert preview["persons"]["year_to_date"]["personal"] == 40
    _, recorded, _ = scan(str(may), *CONTEXT, "--ledger", str(ledger), "--record", "--transfer-id", "may")
    assert recorded["persons"]["year_to_date"]["personal"] == 40
    _, again, _ = scan(str(may), *CONTEXT, "--ledger", str(ledger), "--record", "--transfer-id", "may")
    assert again["persons"]["year_to_date"]["already_recorded"] is True
    with open_ledger(ledger) as lg:
        assert [t["id"] for t in lg.transfers(2026)] == ["feb", "may"]
        assert lg.transfer("feb")["files"][0]["rows"] == 30
    # Nothing raw in the ledger or the reports.
    stored = ledger.read_bytes()
    texts = json.dumps([report, preview, recorded, again], ensure_ascii=False)
    for p in people:
        for value in (p["id"], p["phone"]):
            assert value.encode() not in stored and value not in texts


def test_a_transfer_id_reused_for_other_files_is_refused_not_taken_as_recorded(tmp_path, people):
    """Re-recording under a used --transfer-id with other content (found by a tester): the new
    persons were silently left out of the year's count, and the report said the transfer was in."""
    ledger = tmp_path / "ledger.sqlite"
    scan(str(write_csv(tmp_path / "a.csv", people[:20])), *CONTEXT, "--ledger", str(ledger), "--record",
         "--transfer-id", "T-07")
    result = CliRunner().invoke(main, ["scan", str(write_csv(tmp_path / "b.csv", people[20:40])), *CONTEXT,
                                       "--ledger", str(ledger), "--record", "--transfer-id", "T-07", "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout[result.stdout.index("{"):])
    assert any("T-07 is already recorded with other files" in e for e in report["errors"])
    with open_ledger(ledger) as lg:
        assert [t["id"] for t in lg.transfers(2026)] == ["T-07"]
    # under a new id it counts: 40 persons in the year
    _, recorded, _ = scan(str(tmp_path / "b.csv"), *CONTEXT, "--ledger", str(ledger), "--record", "--transfer-id", "T-08")
    assert recorded["persons"]["year_to_date"]["personal"] == 40


def test_scan_with_a_wrong_key_fails_in_one_line(tmp_path, people, monkeypatch):
    ledger = tmp_path / "ledger.sqlite"
    csv = write_csv(tmp_path / "a.csv", people[:5])
    scan(str(csv), *CONTEXT, "--ledger", str(ledger), "--record")
    monkeypatch.setenv(ledger_mod.KEY_ENV, "33" * 32)
    result = CliRunner().invoke(main, ["scan", str(csv), *CONTEXT, "--ledger", str(ledger), "--format", "json"])
    assert result.exit_code == 1
    assert "does not match" in result.output and "Traceback" not in result.output
