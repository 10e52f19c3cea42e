"""Detector facts come from the detectors the scan loaded, not from the built-ins alone: a user's
detector named like a built-in replaces it, facts and all (whether its values are a vehicle's
or a device's key, whether they carry a birth date)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from scanner.cli import main

PLATES = ["京A12345", "京A12345", "沪B67890", "沪B67890"]


def _scan(tmp_path, *extra: str) -> dict:
    data = tmp_path / "trips.csv"
    data.write_text("车牌号,里程\n" + "".join(f"{p},{i * 10}\n" for i, p in enumerate(PLATES)), encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(data), "--format", "json", "--sector", "other",
                                       "--scenario", "other", *extra])
    assert result.exit_code in (0, 10, 20, 30), result.output
    return json.loads(result.output)


def test_a_users_detector_replacing_a_vehicle_key_is_read_with_its_own_facts(tmp_path):
    # Built in, a plate is a vehicle's key: rows without a person key are grouped by vehicle.
    builtin = _scan(tmp_path)
    assert builtin["files"][0]["columns"][0]["entity"] == "CN_LICENSE_PLATE"
    assert builtin["persons"]["personal"] == 2
    # A user's CN_LICENSE_PLATE says nothing of vehicles (a fleet's pool cars, say): its rows are
    # not grouped, each is a person of its own (the stricter count), as its facts say.
    rules = tmp_path / "mine.yaml"
    rules.write_text("detectors:\n  - name: CN_LICENSE_PLATE\n    pattern: '[京沪][A-Z][0-9]{5}'\n"
                     "    header_words: [车牌号]\n    category: vehicle\n", encoding="utf-8")
    mine = _scan(tmp_path, "--detectors", str(rules))
    assert mine["files"][0]["columns"][0]["entity"] == "CN_LICENSE_PLATE"
    assert mine["persons"]["personal"] == len(PLATES)


def test_a_redeclared_birth_date_still_tells_a_minor(tmp_path):
    """YAML cannot give a detector a birth-date reader: one that replaces a built-in of its name
    reads birth dates as the built-in does (the stricter reading: a minor is never missed)."""
    data = tmp_path / "members.csv"
    data.write_text("手机,出生日期\n13800138000,2018-05-01\n13900139000,1980-01-01\n", encoding="utf-8")
    rules = tmp_path / "mine.yaml"
    rules.write_text("detectors:\n  - name: BIRTH_DATE\n    pattern: '(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}'\n"
                     "    header_words: [出生日期]\n    normalise: strip\n    category: birth_date\n", encoding="utf-8")
    for extra in ([], ["--detectors", str(rules)]):
        result = CliRunner().invoke(main, ["scan", str(data), "--format", "json", "--sector", "other",
                                           "--scenario", "other", *extra])
        report = json.loads(result.output)
        assert [c["entity"] for c in report["files"][0]["columns"]] == ["CN_MOBILE_PHONE", "BIRTH_DATE"], extra
        assert report["persons"]["personal"] == 2 and report["persons"]["minors"] == 1, extra
