"""The end-to-end scan through the real CLI: contract shape, exit codes, bad input."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from scanner.cli import main
from scanner.engines.local import scan

CONTRACT_KEYS = {"schema", "tool", "ruleset", "context", "files", "persons", "important_data", "items", "verdict"}


def run(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_json_report_has_the_contract_shape(people_csv):
    result = run("scan", str(people_csv), "--format", "json")
    report = json.loads(result.stdout)
    assert CONTRACT_KEYS <= report.keys()
    assert report["schema"] == "chujing.report/1"
    assert report["tool"]["name"] == "chujing"
    assert set(report["context"]) >= {"sector", "scenario", "subject", "modality", "year", "ciio"}
    f = report["files"][0]
    assert {"path", "format", "encoding", "rows", "error", "columns"} <= f.keys()
    col = next(c for c in f["columns"] if c["name"] == "证件号码")
    assert {"name", "entity", "entities", "sensitive", "category", "confidence", "match_rate", "samples"} <= col.keys()
    assert col["entity"] == "CN_RESIDENT_ID" and col["sensitive"] is True
    assert set(report["persons"]) >= {"personal", "sensitive", "by_subject", "year_to_date", "by_entity"}
    assert set(report["verdict"]) == {"path", "items", "paths"}  # paths: every path required
    assert report["ruleset"] == "cac-2024" and report["exporter"]["ruleset"] == "cac-2024"  # no FTZ statement
    assert isinstance(report["alternatives"], list)


def test_verdict_and_exit_code(people_csv, people):
    result = run("scan", str(people_csv), "--format", "json")
    report = json.loads(result.stdout)
    # 40 persons, each with sensitive data (ID, bank card), sector other: the national baseline.
    assert report["persons"]["personal"] == len(people)
    assert report["persons"]["sensitive"] == len(people)
    assert report["verdict"]["path"] == "standard_contract_or_certification"
    assert result.exit_code == 10


def test_samples_are_masked_and_no_identifier_leaks(people_csv, people):
    for fmt in ("json", "table", "md"):
        out = run("scan", str(people_csv), "--format", fmt).stdout
        for person in people:
            for value in person.values():
                assert value not in out, f"{fmt} report shows a whole identifier"


def test_decoys_are_not_personal(people_csv):
    report = json.loads(run("scan", str(people_csv), "--format", "json").stdout)
    columns = {c["name"]: c["entity"] for c in report["files"][0]["columns"]}
    assert columns["订单号"] is None
    assert columns["批次号"] is None
    assert columns["create_time_ms"] is None


def test_the_same_person_across_files_counts_once(tmp_path, people):
    a = tmp_path / "a.csv"
    a.write_text("id,mobile\n" + "".join(f"{p['id']},{p['phone']}\n" for p in people[:30]))
    b = tmp_path / "b.parquet"
    pq.write_table(pa.table({"手机号": [p["phone"] for p in people[20:]]}), b)
    report = scan([tmp_path])
    assert report.persons.personal == len(people)


def test_integer_and_float_typed_identifiers(tmp_path, people):
    path = tmp_path / "typed.parquet"
    ids = [p["id"] for p in people if not p["id"].endswith("X")]
    pq.write_table(pa.table({
        "c1": pa.array([int(i) for i in ids], pa.int64()),
        "c2": pa.array([float(p["phone"]) for p in people[: len(ids)]], pa.float64()),
    }), path)
    report = scan([path])
    entities = {c.name: c.entity for c in report.files[0].columns}
    assert entities == {"c1": "CN_RESIDENT_ID", "c2": "CN_MOBILE_PHONE"}


def test_bad_inputs_are_one_line_errors_and_the_rest_is_scanned(tmp_path, people_csv):
    (tmp_path / "empty_dir").mkdir()
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 10)
    truncated = tmp_path / "cut.parquet"
    pq.write_table(pa.table({"x": list(range(1000))}), truncated)
    truncated.write_bytes(truncated.read_bytes()[:-100])
    # (A path that does not exist is a usage error, no report: tests/interface/test_edges_cli.py.)
    result = CliRunner().invoke(main, ["scan", str(people_csv), str(tmp_path / "empty_dir"),
                                       str(junk), str(truncated), "--format", "json"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    errors = report["errors"]
    assert len(errors) == 3
    assert all(": " in e and "\n" not in e for e in errors)
    for name in ("empty_dir", "junk.csv", "cut.parquet"):
        assert any(name in e for e in errors), name
        assert any(name in line for line in result.stderr.splitlines())
    scanned = [f for f in report["files"] if f["error"] is None]
    assert len(scanned) == 1 and scanned[0]["rows"] == 40


def test_usage_errors_exit_2():
    result = CliRunner().invoke(main, ["scan", "x.csv", "--sector", "automotive", "--scenario", "clinical_trial"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_fail_on_lowers_the_gate(people_csv):
    result = run("scan", str(people_csv), "--format", "json", "--fail-on", "security_assessment")
    assert result.exit_code == 0


def test_report_gives_dataframes(people_csv):
    report = scan([people_csv])
    frame = report.columns_frame()
    assert {"file", "name", "entity", "confidence"} <= set(frame.columns)
    assert report.to_dict()["schema"] == "chujing.report/1"


def test_rows_without_a_person_key_are_grouped_by_vehicle(tmp_path, people):
    """A VIN is not a person key, but keyless rows of one vehicle are one owner, not many."""
    from detectors.cn_vin import is_valid

    vins = [next(v for v in ("LSGPC52U" + d + "6F12345" + k for d in "0123456789X") if is_valid(v)) for k in "678"]
    lines = ["vin,车主手机,里程"]
    lines += [f"{vins[i % 3]},,{i * 10}" for i in range(30)]  # keyless: 3 vehicles
    lines += [f"{vins[0]},{people[0]['phone']},5"]  # a keyed row is not linked through the VIN
    path = tmp_path / "vehicles.csv"
    path.write_text("\n".join(lines) + "\n")
    report = scan([path])
    entities = {c.name: c.entity for c in report.files[0].columns}
    assert entities["vin"] == "CN_VIN"
    assert report.persons.personal == 4


def test_sample_data_persons_match_the_truth():
    """Every sample file scanned alone: distinct persons and sensitive persons as truth.json says."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "sample_data"
    truth = json.loads((root / "truth.json").read_text())
    wrong = []
    for rel, expected in truth["files"].items():
        report = scan([root / rel])
        got = (report.persons.personal, report.persons.sensitive)
        if report.errors or got != (expected["persons"], expected["sensitive_persons"]):
            wrong.append((rel, got, (expected["persons"], expected["sensitive_persons"]), report.errors))
    assert not wrong


def test_identifiers_nested_in_parquet_structs_are_found(tmp_path, people):
    path = tmp_path / "nested.parquet"
    rows = [{"member": {"id": p["id"], "contact": {"mobile": p["phone"]}}, "level": 1} for p in people]
    pq.write_table(pa.Table.from_pylist(rows), path)
    report = scan([path])
    entities = {c.name: c.entity for c in report.files[0].columns}
    assert entities == {"member.id": "CN_RESIDENT_ID", "member.contact.mobile": "CN_MOBILE_PHONE", "level": None}
    assert report.persons.personal == len(people)


def test_an_input_path_holding_colon_space_is_reported_whole(tmp_path):
    missing = str(tmp_path / "export: may.csv")
    report = scan([missing])
    assert report.files[0].path == missing
    assert report.files[0].error == "no such file or directory"


def test_a_fault_in_a_detector_fails_that_file_only_and_quotes_no_value(tmp_path, people, people_csv):
    """A custom detector that crashes on some value: one line for that file, the rest scanned."""
    from detectors.base import Detector
    from detectors.registry import builtin_detectors

    def explode(values):
        raise RuntimeError(f"cannot check {values[0]}")  # a message that quotes data

    faulty = Detector(entity="EMPLOYEE_NO", sensitive=False, category="identifier", description="test",
                      pattern=r"E\d{6}", validate=explode, header_words=("工号",))
    bad = tmp_path / "staff.csv"
    bad.write_text("工号\n" + "".join(f"E{100000 + i}\n" for i in range(50)))
    report = scan([bad, people_csv], detectors=[faulty, *builtin_detectors()])
    failed = next(f for f in report.files if f.path.endswith("staff.csv"))
    assert failed.error.startswith("internal error while scanning (RuntimeError at")
    assert "E100000" not in report.to_json()
    assert next(f for f in report.files if f.path.endswith("people.csv")).rows == len(people)
    assert report.exit_code == 1


def test_a_scan_collects_less_and_leaves_the_collector_as_it_was(people_csv):
    """The scan raises the collector's young threshold and freezes what exists (a folder of small
    files spent a sixth of its CPU in collections); a library caller gets its settings back."""
    import gc

    from scanner.runtime import YOUNG_THRESHOLD

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    during = []
    report = scan([str(people_csv)], progress=lambda event: during.append(gc.get_threshold()[0]))
    assert report.files and not report.files[0].error
    assert during and set(during) == {max(before[0], YOUNG_THRESHOLD)}
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


def test_scans_in_two_threads_leave_the_collector_as_it_was(people_csv):
    """A program scanning in threads: the settings come back when the last scan ends, whichever."""
    import gc
    from concurrent.futures import ThreadPoolExecutor

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda _: scan([str(people_csv)]), range(4)))
    assert len({r.persons.personal for r in reports}) == 1 and reports[0].persons.personal > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
