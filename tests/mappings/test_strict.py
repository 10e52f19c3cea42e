"""The law, strict where it must be: each case quotes the list's words and reads its numbers
from the rule files (a threshold lives once). Cases run the real ``chujing assess`` through
click with ``--format json``; the engine and the ledger are called directly where no option
reaches them."""

from __future__ import annotations

import datetime as dt
import gc
import json
import time
from pathlib import Path

import click
import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

from detectors.registry import builtin_detectors
from mappings.engine import Context, Counts, assess, important_candidates, load_ruleset, sensitive_entities
from scanner.cli.rules import assess_command

CLI = click.Group(commands=[assess_command])
FTZ = load_ruleset("beijing-ftz-2024")
CAC = load_ruleset("cac-2024")


def assess_json(*args: str, code: int | None = None) -> dict:
    result = CliRunner().invoke(CLI, ["assess", *args, "--format", "json"])
    assert result.exit_code in (0, 10, 20, 30), result.output
    report = json.loads(result.output)
    if code is not None:
        assert result.exit_code == code
    return report


def item(report: dict, item_id: str) -> dict:
    return next(i for i in report["items"] if i["id"] == item_id)


def words(item_id: str, rs=FTZ) -> str:
    """The list's own text of an item, spaces removed (the printed list spaces numbers oddly)."""
    return rs.item(item_id).text_zh.replace(" ", "")


def bounds(item_id: str, index: int = 0, rs=FTZ) -> tuple[int | None, int | None]:
    clause = rs.item(item_id).thresholds[index]
    return clause.min, clause.max


RETAIL = ["--sector", "retail_services", "--scenario", "member_management", "--ftz", "beijing"]
TRIAL = ["--sector", "pharmaceutical", "--scenario", "clinical_trial", "--subject", "trial_subject"]


# ---------------------------------------------------------------------------- who the list binds


def test_the_list_binds_only_an_exporter_that_states_the_zone() -> None:
    """Without --ftz the national baseline decides; the report says what the list would decide."""
    sensitive_min, _ = bounds("cac-2024.7", 1, CAC)
    low, high = bounds("pharmaceutical.9")
    n = 30000
    assert low <= n < high and n >= sensitive_min
    national = assess_json(*TRIAL, "--personal", str(n), "--sensitive", str(n), code=20)
    assert national["ruleset"] == "cac-2024" and national["verdict"]["items"] == ["cac-2024.7"]
    assert national["exporter"]["statement"] is None and national["exporter"]["ruleset"] == "cac-2024"
    [alternative] = national["alternatives"]
    assert alternative["ruleset"] == "beijing-ftz-2024" and alternative["ftz"] == "beijing"
    assert alternative["path"] == "standard_contract_or_certification" and alternative["items"] == ["pharmaceutical.9"]
    in_zone = assess_json(*TRIAL, "--personal", str(n), "--sensitive", str(n), "--ftz", "beijing", code=10)
    assert in_zone["verdict"]["items"] == ["pharmaceutical.9"] and in_zone["alternatives"] == []
    assert in_zone["exporter"] == {**in_zone["exporter"], "ftz": "beijing", "statement": "--ftz beijing",
                                   "ruleset": "beijing-ftz-2024"}
    named = assess_json(*TRIAL, "--personal", str(n), "--sensitive", str(n), "--ruleset", "beijing-ftz-2024", code=10)
    assert named["exporter"]["statement"] == "--ruleset beijing-ftz-2024"


def test_the_national_baseline_is_never_more_lenient_than_the_issue_s_example() -> None:
    """`assess --personal 30000 --sensitive 30000` gives exit 20 by the national rules."""
    report = assess_json("--sector", "pharmaceutical", "--personal", "30000", "--sensitive", "30000", code=20)
    assert report["verdict"]["path"] == "security_assessment"


@pytest.mark.parametrize(("sector", "statement", "note"), [
    ("civil_aviation", "aircraft_manufacturing", "航空器制造以及其它非民用航空业务不适用本清单"),
    ("civil_aviation", "non_civil_aviation", "航空器制造以及其它非民用航空业务不适用本清单"),
    ("pharmaceutical", "not_pharmaceutical_manufacturer",
     "本清单适用的医药制造业企业包括化学药品原料药制造、化学药品制剂制造、生物药品制造企业等"),
])
def test_an_exporter_outside_a_sector_s_scope_falls_to_the_baseline(sector: str, statement: str, note: str) -> None:
    scope = FTZ.sectors[sector]
    assert note in (scope.scope.zh if scope.scope else "") or note in scope.out_of_scope_exporters[statement].zh
    scenario = {"civil_aviation": "customer_service", "pharmaceutical": "clinical_trial"}[sector]
    low, _ = bounds(f"{sector}.{ {'civil_aviation': 7, 'pharmaceutical': 9}[sector]}")
    inside = assess_json("--sector", sector, "--scenario", scenario, "--personal", str(low), "--ftz", "beijing",
                         *(["--subject", "trial_subject"] if sector == "pharmaceutical" else []))
    assert inside["verdict"]["items"][0].startswith(sector)
    outside = assess_json("--sector", sector, "--scenario", scenario, "--personal", str(low), "--ftz", "beijing",
                          "--outside-scope", statement,
                          *(["--subject", "trial_subject"] if sector == "pharmaceutical" else []))
    assert all(i.startswith("cac-2024") for i in outside["verdict"]["items"])
    assert outside["exporter"]["outside_scope"] == statement
    assert outside["context"]["outside_scope"] == statement


# ---------------------------------------------------------------------------- sensitive means the same


def test_one_source_of_truth_for_sensitivity() -> None:
    """Every entity a detector calls sensitive is sensitive in the baseline, with PIPL Art 28's
    trajectories, audio and video; automotive note 5 adds images."""
    baseline = set(CAC.sensitive_entities)
    flagged = {d.entity for d in builtin_detectors() if d.sensitive}
    assert flagged <= baseline, flagged - baseline
    assert {"TRAJECTORY", "AUDIO", "VIDEO"} <= baseline
    note5 = next(n.zh for n in FTZ.sectors["automotive"].notes if n.zh.startswith("5."))
    assert "车辆行踪轨迹、音频、视频、图像和生物识别特征" in note5
    assert {"TRAJECTORY", "AUDIO", "VIDEO", "IMAGE", "BIOMETRIC"} <= sensitive_entities(FTZ, "automotive")


def test_member_management_mac_addresses_are_sensitive_for_items_2_and_5() -> None:
    """retail_services.5: 常用设备信息（仅MAC地址和设备序列号） is the member's sensitive information."""
    assert "常用设备信息（仅MAC地址和设备序列号）" in words("retail_services.5")
    low, high = bounds("retail_services.5")
    n = 200000
    assert low <= n < high
    report = assess_json(*RETAIL, "--subject", "member", "--personal", str(n), "--sensitive", str(n),
                         "--by-entity", f"MAC_ADDRESS={n}", code=10)
    assert report["verdict"]["items"] == ["retail_services.5"]
    small = 50000
    assert small < low and small < bounds("retail_services.4")[0]
    none = assess_json(*RETAIL, "--subject", "member", "--personal", str(small), "--sensitive", str(small),
                       "--by-entity", f"MAC_ADDRESS={small}", code=0)
    assert none["verdict"]["items"] == []


def test_trajectories_of_members_are_sensitive_and_off_the_member_items() -> None:
    """A trajectory is none of retail 2/5's types: the national baseline judges it (cac-2024.7)."""
    n = 20000
    assert n >= bounds("cac-2024.7", 1, CAC)[0]
    report = assess_json(*RETAIL, "--subject", "member", "--personal", str(n + 1), "--sensitive", str(n + 1),
                         "--by-entity", f"TRAJECTORY={n}", "--by-entity", "CN_RESIDENT_ID=1", code=20)
    assert report["verdict"]["items"] == ["cac-2024.7"]
    assert "TRAJECTORY" in item(report, "cac-2024.7")["reason"]["en"]


def test_a_sensitive_entity_makes_its_persons_sensitive() -> None:
    """automotive.9: 包括身份证号、行驶证号、驾驶证档案编号、车辆行踪轨迹… 1万人以上敏感个人信息."""
    assert "车辆行踪轨迹" in words("automotive.9")
    n = 50000
    assert n >= bounds("automotive.9")[0]
    report = assess_json("--sector", "automotive", "--scenario", "other", "--ftz", "beijing", "--personal", str(n),
                         "--sensitive", "0", "--by-entity", f"TRAJECTORY={n}", code=20)
    assert report["verdict"]["items"] == ["automotive.9"] and item(report, "automotive.9")["count"] == n
    assert report["persons"]["sensitive"] == n
    assert any("TRAJECTORY" in note["en"] for note in report["notes"])


# ---------------------------------------------------------------------------- scenarios and roles


def test_other_scenario_items_exclude_by_scenario_and_member_is_implied() -> None:
    """retail_services.6: 除第4、5项涉及场景以外的其他场景 — never in member management."""
    assert "除第4、5项涉及场景以外的其他场景" in words("retail_services.6")
    low, high = bounds("retail_services.4")
    report = assess_json(*RETAIL, "--personal", "300000", "--sensitive", "0", code=0)
    assert 300000 < low and not item(report, "retail_services.6")["applies"]
    assert report["verdict"]["items"] == []
    assert any("subject member" in note["en"] for note in report["notes"])  # the role implied
    big = assess_json(*RETAIL, "--personal", "2000000", code=10)
    assert low <= 2000000 < high and big["verdict"]["items"] == ["retail_services.4"]


def test_unknown_roles_cite_the_baseline_not_the_other_scenario_items() -> None:
    assert "除第4、5、6、7项涉及场景以外的其他场景" in words("pharmaceutical.8")
    report = assess_json("--sector", "pharmaceutical", "--scenario", "clinical_trial", "--ftz", "beijing",
                         "--personal", "30000", "--sensitive", "30000", code=20)
    assert "cac-2024.7" in report["verdict"]["items"] and "pharmaceutical.8" not in report["verdict"]["items"]
    assert not item(report, "pharmaceutical.8")["applies"]


def test_identity_documents_of_trial_subjects_fall_to_the_baseline() -> None:
    """pharmaceutical.9 covers 受试者个人基本资料、诊疗和健康生理信息; an ID number is 个人身份信息."""
    assert "受试者个人基本资料、诊疗和健康生理信息" in words("pharmaceutical.9")
    assert "CN_RESIDENT_ID" in FTZ.item("pharmaceutical.9").data_types.excludes
    assert "CN_BANK_CARD" in FTZ.item("pharmaceutical.10").data_types.excludes
    report = assess_json(*TRIAL, "--ftz", "beijing", "--personal", "30000", "--sensitive", "30000",
                         "--by-entity", "CN_RESIDENT_ID=30000", code=20)
    assert report["verdict"]["path"] == "security_assessment" and "cac-2024.7" in report["verdict"]["items"]


# ---------------------------------------------------------------------------- modalities


def test_ai_training_without_a_modality_is_judged_at_the_strictest_threshold() -> None:
    """AI note 1: 包括文本、语音、图像模态; audio and image (items 4/5) have the lowest threshold."""
    audio, image, text = (bounds(f"ai_training.{n}")[0] for n in (4, 5, 6))
    assert audio == image < text
    n = 60000
    assert audio <= n < text
    ai = ["--sector", "ai_training", "--scenario", "model_training", "--ftz", "beijing"]
    report = assess_json(*ai, "--personal", str(n), "--sensitive", str(n), code=20)
    assert report["verdict"]["path"] == "security_assessment"
    assert any("strictest modality" in note["en"] for note in report["notes"])
    # Persons are attributed per modality: 100 audio persons are 100, not every sensitive person.
    text_run = assess_json(*ai, "--modality", "text", "--personal", str(n), "--sensitive", str(n),
                           "--by-entity", "AUDIO=100", code=10)
    assert item(text_run, "ai_training.4")["count"] == 100 and not item(text_run, "ai_training.4")["triggered"]
    assert text_run["verdict"]["items"] == ["ai_training.8"]


# ---------------------------------------------------------------------------- the verdict


def test_verdict_paths_are_cumulative() -> None:
    """Sections (一)(二)(三) are cumulative: a standard contract and another legal path together."""
    assert "遗传信息" in words("pharmaceutical.14") and FTZ.item("pharmaceutical.14").path == "other_legal_path"
    report = assess_json(*TRIAL, "--ftz", "beijing", "--personal", "30000", "--sensitive", "30000",
                         "--important", "pharmaceutical.14", code=30)
    assert report["verdict"]["paths"] == ["other_legal_path", "standard_contract_or_certification"]
    assert report["verdict"]["path"] == "other_legal_path"


def test_a_medical_diagnosis_is_not_ecu_diagnostics() -> None:
    """automotive.5: 电控单元诊断数据 means a vehicle's ECU, never a patient's 诊断."""
    assert "电控单元诊断数据" in words("automotive.5")
    ctx = Context(sector="automotive", scenario="connected_vehicle_services", ftz="beijing")
    medical = important_candidates(ctx, [("staff_health.csv", "诊断", "MEDICAL"),
                                         ("staff_health.csv", "诊断编码", "MEDICAL")])
    assert [c.item for c in medical] == []
    ecu = important_candidates(ctx, [("tbox.csv", "ECU故障码", None)])
    assert [(c.item, c.rules) for c in ecu] == [("automotive.5", ["automotive.5#ecu_state_or_diagnostics"])]


# ---------------------------------------------------------------------------- year to date


def test_year_to_date_the_baseline_counts_every_export(tmp_path: Path, monkeypatch) -> None:
    """The list's items count within their scope; the national baseline every export since 1 January."""
    from scanner.persons import ledger as ledger_mod
    from scanner.persons.counter import PersonCounter

    monkeypatch.setenv(ledger_mod.KEY_FILE_ENV, str(tmp_path / "key"))
    monkeypatch.delenv(ledger_mod.KEY_ENV, raising=False)

    def counter(phones: list[str]) -> PersonCounter:
        c = PersonCounter(dt.date(2026, 3, 1))
        c.add_batch({"CN_MOBILE_PHONE": pa.array(phones)}, {"personal": np.ones(len(phones), bool)})
        return c

    retail = {"sector": "retail_services", "scenario": "other", "ruleset": "beijing-ftz-2024"}
    trial = {"sector": "pharmaceutical", "scenario": "clinical_trial", "ruleset": "beijing-ftz-2024"}
    with ledger_mod.open_ledger(tmp_path / "ledger.sqlite") as lg:
        lg.record(counter(["13800138000", "13900139000"]), retail, 2026, "feb")
        ytd = lg.year_to_date(counter(["13700137000"]), trial, 2026)
        national = lg.year_to_date(counter(["13700137000"]), {**trial, "ruleset": "cac-2024"}, 2026)
    assert ytd["personal"] == 1 and ytd["scope"] == {"sector": "pharmaceutical", "scenario": "clinical_trial"}
    assert ytd["all_transfers"]["personal"] == 3 and ytd["all_transfers"]["scope"] == "all"
    assert national["personal"] == 3 and "all_transfers" not in national
    # The engine judges the baseline on the year's every export, the list's items on their scope.
    counts = Counts(personal=1, sensitive=0, all_transfers=Counts(personal=150000))
    a = assess(Context(sector="pharmaceutical", scenario="clinical_trial"), counts)
    assert a.verdict_items == ["cac-2024.8"]


# ---------------------------------------------------------------------------- also


def test_the_baseline_counting_rule_names_article_6() -> None:
    assert "第六条" in CAC.counting.zh and "Article 6" in CAC.counting.en


def test_automotive_notes_3_5_6_in_full() -> None:
    notes = {n.zh[:2]: n.zh for n in FTZ.sectors["automotive"].notes}
    assert "会对国家安全、利益和领土主权造成威胁或者损害的数据等，遵照国家有关部门规定执行" in notes["3."]
    assert "可能导致车主、驾驶人、乘车人、车外人员等受到歧视或者人身、财产安全受到严重危害" in notes["5."]
    assert "OTA（Over-the-Air Technology），是指空中下载技术" in notes["6."]


def test_header_words_cost_linear_time_in_columns() -> None:
    """Headers are normalised once (not once per rule word): 20,000 columns cost linear time."""
    ctx = Context(sector="automotive", scenario="vehicle_rd", ftz="beijing")

    def run(n: int) -> float:
        columns = [("wide.csv", f"column_{i}_值{i}", None) for i in range(n)]
        # The collector's passes grow with the whole test session's heap, not with this input.
        gc.disable()
        try:
            start = time.perf_counter()
            important_candidates(ctx, columns)
            return time.perf_counter() - start
        finally:
            gc.enable()

    run(500)
    small, large = min(run(2000) for _ in range(2)), min(run(20000) for _ in range(2))
    assert large / small < 10 * 2.5  # ten times the columns: about ten times the time, never a hundred


# ---------------------------------------------------------------------------- scan and reports


@pytest.fixture
def trial_csv(tmp_path: Path) -> Path:
    path = tmp_path / "trial.csv"
    path.write_text("subject_no,诊断\nS001,I10\nS002,E11.9\nS003,J45\n", encoding="utf-8")
    return path


def scan_json(*args: str, cwd: Path | None = None) -> tuple[int, dict | None, str]:
    from scanner.cli import main

    result = CliRunner().invoke(main, ["scan", *args, "--format", "json", "-q"])
    return result.exit_code, (json.loads(result.stdout) if result.stdout.strip().startswith("{") else None), \
        result.output


def test_the_exporter_states_the_zone_in_chujing_toml(tmp_path: Path, trial_csv: Path) -> None:
    config = tmp_path / "chujing.toml"
    config.write_text('[exporter]\nftz = "beijing"\n\n[scan]\nsector = "pharmaceutical"\n'
                      'scenario = "clinical_trial"\nsubject = "trial_subject"\n', encoding="utf-8")
    code, report, _ = scan_json(str(trial_csv), "--config", str(config), "--person-key", "subject_no")
    assert report["ruleset"] == "beijing-ftz-2024" and report["alternatives"] == []
    assert report["exporter"]["ftz"] == "beijing" and "[exporter] ftz" in report["exporter"]["statement"]
    code, national, _ = scan_json(str(trial_csv), "--sector", "pharmaceutical", "--scenario", "clinical_trial",
                                  "--subject", "trial_subject", "--person-key", "subject_no")
    assert national["ruleset"] == "cac-2024" and national["alternatives"][0]["ruleset"] == "beijing-ftz-2024"
    bad = tmp_path / "bad.toml"
    bad.write_text('[exporter]\nftz = "shanghai"\n', encoding="utf-8")
    code, _, output = scan_json(str(trial_csv), "--config", str(bad))
    assert code == 2 and 'ftz must be "beijing"' in output and "Traceback" not in output


def test_an_unknown_role_per_file_is_refused_as_subject_is(tmp_path: Path, trial_csv: Path) -> None:
    config = tmp_path / "chujing.toml"
    config.write_text(f'[scan]\nsector = "pharmaceutical"\nscenario = "clinical_trial"\n\n[scan.subjects]\n'
                      f'"{trial_csv.name}" = "investigator"\n', encoding="utf-8")
    code, _, output = scan_json(str(trial_csv), "--config", str(config))
    assert code == 2 and "unknown for pharmaceutical" in output and len(output.strip().splitlines()) == 1


@pytest.mark.parametrize("fmt", ["table", "md", "html"])
def test_reports_show_every_path_the_exporter_and_the_alternative(fmt: str) -> None:
    result = CliRunner().invoke(CLI, ["assess", *TRIAL, "--personal", "30000", "--sensitive", "30000",
                                      "--important", "pharmaceutical.14", "--format", fmt])
    text = result.output
    assert result.exit_code == 20  # the national baseline decides: important data, Article 7
    assert "--ftz beijing" in text and "beijing-ftz-2024" in text  # what the list would decide
    listed = CliRunner().invoke(CLI, ["assess", *TRIAL, "--personal", "30000", "--sensitive", "30000",
                                      "--important", "pharmaceutical.14", "--ftz", "beijing", "--format", fmt])
    assert listed.exit_code == 30
    if fmt == "html":
        assert 'data-path="other_legal_path"' in listed.output and 'data-path="standard_contract_or_certification"' \
            in listed.output
        assert 'id="alternative"' in text
    else:
        assert "every path required" in listed.output.lower()
        assert "pharmaceutical.14" in listed.output and "pharmaceutical.9" in listed.output
