"""The project config file: a scheduled job is `chujing scan` with no flags; flags win."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.config import load_config


def write_config(folder, text: str):
    path = folder / "chujing.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scan_with_no_flags_reads_chujing_toml(tmp_path, people_csv, monkeypatch):
    reports = tmp_path / "reports"
    reports.mkdir()
    write_config(tmp_path, f'''
[scan]
sources = ["{people_csv.name}"]
sector = "retail_services"
scenario = "member_management"

[[outputs]]
format = "json"
path = "reports/scan.json"

[[outputs]]
format = "md"
path = "reports/scan.md"
''')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["scan"])
    assert result.exit_code in (10, 20), result.output
    report = json.loads((reports / "scan.json").read_text())
    assert report["context"]["sector"] == "retail_services"
    assert report["files"][0]["path"].endswith("people.csv")
    assert "chujing report" in (reports / "scan.md").read_text()


def test_flags_override_the_file(tmp_path, people_csv, monkeypatch):
    write_config(tmp_path, f'[scan]\nsources = ["{people_csv.name}"]\nsector = "retail_services"\nscenario = "member_management"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["scan", "--sector", "other", "--scenario", "other", "--format", "json"])
    report = json.loads(result.stdout)
    assert report["context"]["sector"] == "other"


def test_relative_paths_are_relative_to_the_file(tmp_path):
    (tmp_path / "conf").mkdir()
    path = write_config(tmp_path / "conf", '[scan]\nsources = ["../data/"]\nledger = "ledger.db"\n')
    config = load_config(str(path))
    assert config.scan["sources"] == [str(tmp_path / "conf" / "../data/")]
    assert config.scan["ledger"] == str(tmp_path / "conf" / "ledger.db")


@pytest.mark.parametrize("text,reason", [
    ("[scan]\nsector = 3\n", "sector must be a string"),
    ("[scan]\nsectr = 'x'\n", "unknown key 'sectr'"),
    ("[scan\n", "not valid TOML"),
    ("[[outputs]]\nformat = 'pdf'\n", "format must be one of"),
])
def test_bad_config_is_one_line(tmp_path, monkeypatch, text, reason):
    write_config(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["scan", "x.csv"])
    assert result.exit_code == 2
    assert reason in result.stderr and "Traceback" not in result.output


def test_no_path_and_no_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["scan"])
    assert result.exit_code == 2
    assert "no PATH given" in result.stderr


def test_json_lines_log_for_schedulers(tmp_path, people_csv):
    result = CliRunner().invoke(main, ["scan", str(people_csv), "--format", "json", "--log-json", "--log-level", "info",
                                       "-o", str(tmp_path / "r.json")])
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert lines and all({"time", "level", "message"} <= line.keys() for line in lines)
