"""``chujing plan`` on the sample exports: exact counts per change, sets that reach lower paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.engines.local import ScanOptions, scan
from scanner.minimise.plan import Change, Engine, plan
from scanner.report.model import PATH_ORDER

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
SECTORS = {
    "automotive": "after_sales",
    "pharmaceutical": "clinical_trial",
    "civil_aviation": "customer_service",
    "retail_services": "member_management",
    "ai_training": "model_training",
}


@pytest.mark.parametrize("sector", sorted(SECTORS))
def test_a_plan_for_each_sectors_files(sector):
    # Classifying prose (Presidio, NER) is the slow part of any scan: a smaller sample keeps this
    # test quick; the persons are still counted on every row.
    p = plan([SAMPLE / sector], ftz="beijing", sector=sector, scenario=SECTORS[sector], search=False,
             sample_rows=1000)
    baseline = p.baseline.report
    assert baseline.path in PATH_ORDER and not baseline.errors
    d = p.to_dict()
    assert d["plan"] and all(e["path"] in PATH_ORDER for e in d["plan"])
    # every column holding personal information can at least be dropped
    personal = {(f.path, c.name) for f in baseline.files for c in f.columns if c.entity and c.sensitive}
    dropped = {(e["changes"][0]["file"], e["changes"][0]["column"]) for e in d["plan"] if e["changes"][0]["action"] == "drop"}
    assert personal <= dropped
    for e in d["plan"]:
        if e["changes"][0]["action"] == "pseudonymise":
            # still personal information: the same persons, of the same kinds, the same path
            assert e["still_personal_information"] and e["path"] == baseline.path
            assert e["persons"]["personal"] == baseline.persons.personal
    assert "PIPL Art 4 and 73" in d["plan_summary"]["law"][0]["en"]
    assert "anonymous" not in json.dumps([e for e in d["plan"]]).lower()


def test_counts_are_those_of_a_scan_of_the_changed_export(tmp_path):
    """Dropping a column in the plan counts exactly what a scan of the file without it counts."""
    import pyarrow.csv as pacsv

    src = SAMPLE / "retail_services" / "members.csv"
    opts = dict(ftz="beijing", sector="retail_services", scenario="member_management")
    engine = Engine([src], ScanOptions(**opts))
    dropped, general = engine.evaluate([(Change("drop", "password_hash"),), (Change("drop", "mobile"),)])
    table = pacsv.read_csv(src, convert_options=pacsv.ConvertOptions(strings_can_be_null=False,
                                                                     column_types={"member_id": "string"}))
    for outcome, column in ((dropped, "password_hash"), (general, "mobile")):
        copy = tmp_path / f"without_{column}" / "members.csv"
        copy.parent.mkdir()
        pacsv.write_csv(table.drop_columns([column]), copy)
        rescan = scan([copy], ScanOptions(**opts))
        assert (outcome.report.persons.personal, outcome.report.persons.sensitive) == \
            (rescan.persons.personal, rescan.persons.sensitive), column
        assert outcome.path == rescan.path
    # members' children stay children (PIPL Art 28) even when the birthday is dropped
    kept = engine.evaluate([(Change("drop", "birthday"),)])[0]
    assert kept.report.persons.sensitive == engine.baseline.report.persons.sensitive


@pytest.fixture(scope="module")
def retail_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan") / "plan.json"
    result = CliRunner().invoke(main, ["plan", str(SAMPLE / "retail_services"), "--ftz", "beijing", "--sector",
                                       "retail_services", "--scenario", "member_management", "--format", "json",
                                       "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def test_plan_json_has_the_plan_key_and_a_set_per_lower_path(retail_plan):
    before = retail_plan["verdict"]["path"]
    assert retail_plan["schema"] == "chujing.report/1" and retail_plan["plan_summary"]["path_before"] == before
    sets = [e for e in retail_plan["plan"] if e["kind"] == "set"]
    lower = [p for p in PATH_ORDER if PATH_ORDER.index(p) < PATH_ORDER.index(before)]
    assert sorted(s["target"] for s in sets) == sorted(lower)
    for s in sets:
        if s["reached"]:
            assert PATH_ORDER.index(s["path"]) <= PATH_ORDER.index(s["target"])
            assert s["minimal"] is True and s["changes"]
    k = retail_plan["plan_summary"]["small_groups_before"]
    assert any(g["groups_below_k"] > 0 for g in k.values())  # birth date + gender + address single people out


@pytest.mark.parametrize("fmt", ["table", "md", "html"])
def test_plan_in_every_report_format(tmp_path, fmt):
    out = tmp_path / f"plan.{fmt}"
    result = CliRunner().invoke(main, ["plan", str(SAMPLE / "retail_services" / "members.csv"), "--sector",
                                       "retail_services", "--scenario", "member_management", "--no-search",
                                       "--format", fmt, "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "PIPL Art 4 and 73" in text and "password_hash" in text
    if fmt == "html":
        assert text.startswith("<!doctype html>") and "default-src 'none'" in text


def test_plan_usage_errors_are_one_line(tmp_path):
    result = CliRunner().invoke(main, ["plan", str(tmp_path / "missing.csv")])
    assert result.exit_code == 2 and "no such file" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["plan", str(SAMPLE / "retail_services" / "members.csv"),
                                       "--sector", "no_such_sector"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
