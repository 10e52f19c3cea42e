import json

from click.testing import CliRunner

from detectors.registry import builtin_detectors
from scanner.cli.detectors import detectors_command


def test_lists_every_entity_as_json():
    result = CliRunner().invoke(detectors_command, ["--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.output)["detectors"]
    assert {r["entity"] for r in rows} == {d.entity for d in builtin_detectors()}
    assert all({"sensitive", "category", "person_key", "description"} <= set(r) for r in rows)


def test_table_and_bad_file(tmp_path):
    result = CliRunner().invoke(detectors_command, [])
    assert result.exit_code == 0 and "CN_RESIDENT_ID" in result.output and "sensitive" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: X\n  pattern: '(?=a)'\n", encoding="utf-8")
    result = CliRunner().invoke(detectors_command, ["--detectors", str(bad)])
    assert result.exit_code == 2 and "bad.yaml" in result.output
