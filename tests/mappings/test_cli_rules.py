"""``chujing assess`` and ``chujing rules`` through click, on a local group (not scanner.cli)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from mappings.engine import load_ruleset
from scanner.cli.rules import assess_command, rules_group

CLI = click.Group(commands=[assess_command, rules_group])
FTZ = load_ruleset("beijing-ftz-2024")


def run(*args: str):
    return CliRunner().invoke(CLI, list(args))


def test_assess_contract_example_json() -> None:
    result = run("assess", "--sector", "pharmaceutical", "--scenario", "clinical_trial", "--subject", "trial_subject",
                 "--personal", "30000", "--sensitive", "30000", "--ftz", "beijing", "--format", "json")
    assert result.exit_code == 10, result.output
    report = json.loads(result.output)
    assert report["schema"] == "chujing.report/1" and report["files"] == []
    assert report["verdict"] == {"path": "standard_contract_or_certification", "items": ["pharmaceutical.9"],
                                 "paths": ["standard_contract_or_certification"]}
    assert report["ruleset"] == "beijing-ftz-2024" and report["exporter"]["statement"] == "--ftz beijing"
    item = next(i for i in report["items"] if i["id"] == "pharmaceutical.9")
    t = FTZ.item("pharmaceutical.9").thresholds[0]
    assert item["count"] == 30000 and item["threshold"] == f">= {t.min} and < {t.max}"
    assert "pharmaceutical.9" in item["reason"]["en"] and str(t.min) in item["reason"]["en"]
    assert report["context"]["subject"] == "trial_subject" and report["persons"]["sensitive"] == 30000


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_assess_table_and_markdown_show_count_threshold_headroom(fmt: str) -> None:
    result = run("assess", "--sector", "automotive", "--scenario", "after_sales", "--personal", "9000",
                 "--sensitive", "8000", "--ftz", "beijing", "--format", fmt)
    assert result.exit_code == 10
    text = result.output
    assert text.index("automotive.11") > text.lower().index("standard contract")  # verdict first
    threshold = "&lt; 10000" if fmt == "md" else "< 10000"  # Markdown escapes HTML
    assert "8,000" in text and threshold in text and "2,000" in text


@pytest.mark.parametrize(("args", "code"), [
    (["--sector", "other", "--personal", "99999"], 0),
    (["--sector", "other", "--personal", "100000"], 10),
    (["--sector", "automotive", "--personal", "1", "--ciio"], 20),
    (["--sector", "pharmaceutical", "--important", "pharmaceutical.14", "--ftz", "beijing"], 30),
    (["--sector", "pharmaceutical", "--important", "pharmaceutical.14"], 20),  # important data: Art 7
    (["--sector", "retail_services", "--scenario", "member_management", "--subject", "member", "--personal", "100000",
      "--by-entity", "MAC_ADDRESS=100000", "--ftz", "beijing"], 10),
    (["--sector", "pharmaceutical", "--scenario", "clinical_trial", "--personal", "40000", "--sensitive", "30000",
      "--by-subject", "trial_subject=30000/30000", "--by-subject", "hcp=10000", "--ftz", "beijing"], 10),
])
def test_assess_exit_codes(args: list[str], code: int) -> None:
    result = run("assess", *args, "--format", "json")
    assert result.exit_code == code, result.output


@pytest.mark.parametrize(("args", "words"), [
    (["--sector", "pharmaceutical", "--scenario", "bogus"], "unknown scenario 'bogus'"),
    (["--sector", "banking"], "unknown sector 'banking'"),
    (["--personal", "10", "--sensitive", "11"], "exceeds --personal"),
    (["--personal", "ten"], "not a number"),
    (["--important", "automotive.9", "--sector", "automotive"], "personal-information item"),
    (["--by-entity", "MAC_ADDRESS"], "NAME=N"),
    (["--ruleset", "shanghai"], "unknown rule set"),
    # Inputs that contradict each other, refused as --sensitive above --personal is.
    (["--personal", "10", "--by-entity", "CN_RESIDENT_ID=30"], "exceeds --personal"),
    (["--sector", "pharmaceutical", "--scenario", "clinical_trial", "--by-subject", "investigator=5"],
     "unknown subject role"),
    (["--sector", "pharmaceutical", "--scenario", "clinical_trial", "--personal", "10",
      "--by-subject", "hcp=6", "--by-subject", "patient=6"], "add up to 12"),
    (["--sector", "aviation", "--outside-scope", "aircraft_manufacturing"], "unknown sector"),
    (["--sector", "civil_aviation", "--outside-scope", "autonomous_driving"], "unknown scope statement"),
])
def test_assess_usage_errors_are_one_line(args: list[str], words: str) -> None:
    result = run("assess", *args)
    assert result.exit_code == 2
    assert words in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_assess_writes_output_file(tmp_path: Path) -> None:
    out = tmp_path / "what-if.json"
    result = run("assess", "--sector", "other", "--personal", "5", "--format", "json", "-o", str(out))
    assert result.exit_code == 0 and result.output == ""
    assert json.loads(out.read_text(encoding="utf-8"))["verdict"]["path"] == "none"


def test_rules_list_and_show() -> None:
    listed = run("rules", "list", "--sector", "pharmaceutical")
    assert listed.exit_code == 0
    assert all(i.id in listed.output for i in FTZ.sector_items("pharmaceutical"))
    assert "受试者" in listed.output and "trial subjects" in listed.output.lower()
    shown = run("rules", "show", "pharmaceutical.9")
    assert shown.exit_code == 0
    assert FTZ.item("pharmaceutical.9").text_zh.strip() in shown.output  # the original text
    assert "仅限于" in shown.output and ">= 10000" in shown.output
    as_json = json.loads(run("rules", "show", "automotive.3", "--format", "json").output)
    assert as_json["id"] == "automotive.3" and as_json["candidates"]
    missing = run("rules", "show", "automotive.99")
    assert missing.exit_code == 2 and "automotive.1" in missing.output
    everything = json.loads(run("rules", "list", "--format", "json").output)
    assert {rs["id"] for rs in everything} >= {"beijing-ftz-2024", "cac-2024"}


def test_rules_check(tmp_path: Path) -> None:
    from importlib import resources

    good = tmp_path / "copy.yaml"
    good.write_text((resources.files("mappings") / "rules" / "beijing-ftz-2024.yaml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    assert "48 items" in run("rules", "check", str(good)).output
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("min: 50000}", "min: 50000, max: 100}"), encoding="utf-8")
    result = run("rules", "check", str(bad))
    assert result.exit_code == 2 and "bad.yaml" in result.output and "item " in result.output
