"""Users' own detectors: YAML files, entry points, refusal of patterns RE2 cannot run."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pyarrow as pa
import pytest

from detectors.classify import classify_column
from detectors.custom import DetectorSpec, from_entry_points
from detectors.registry import load_detectors

YAML = """
detectors:
  - name: EMPLOYEE_ID
    pattern: 'E\\d{6}'
    header_words: [工号, employee id]
    header_exact: [gh]
    sensitive: false
    category: employee
    person_key: true
  - name: MEMBER_CARD
    pattern: '\\d{16}'
    validator: luhn
    header_words: [会员卡号]
    requires_header: true
    sensitive: true
    category: membership
"""


def write(tmp_path, text: str):
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_detectors_classify_columns(tmp_path):
    detectors = load_detectors([write(tmp_path, YAML)], entry_points=False)
    by = {d.entity: d for d in detectors}
    assert by["EMPLOYEE_ID"].person_key and by["MEMBER_CARD"].sensitive
    c = classify_column("gh", pa.array([f"E{i:06d}" for i in range(100)]), detectors)
    assert c.entity == "EMPLOYEE_ID"
    cards = pa.array(["6222021234567890"[:15] + str(d) for d in range(10)] * 10)
    c = classify_column("c1", cards, detectors)
    assert c.entity != "MEMBER_CARD"  # requires_header


@pytest.mark.parametrize("text,reason", [
    ("detectors:\n  - name: X\n    pattern: '(?<=a)b'\n", "RE2"),
    ("detectors:\n  - name: X\n    pattern: '(a'\n", "not valid RE2"),
    ("detectors:\n  - name: X\n    pattern: 'a'\n    validator: crc32\n", "unknown validator"),
    ("detectors:\n  - pattern: 'a'\n", "needs a name"),
    ("detectors:\n  - name: X\n    patern: 'a'\n", "unknown key"),
    ("detectors: [\n", "not valid YAML"),
    ("detectors: []\n", "expected a list"),
    ("- name: X\n  pattern: a\n- name: X\n  pattern: b\n", "declared twice"),
])
def test_bad_files_are_refused_with_one_line(tmp_path, text, reason):
    path = write(tmp_path, text)
    with pytest.raises(ValueError) as err:
        load_detectors([path], entry_points=False)
    message = str(err.value)
    assert reason in message and str(path) in message and "\n" not in message


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        load_detectors([tmp_path / "nope.yaml"], entry_points=False)


class ContractNumber(DetectorSpec):
    entity = "CONTRACT_NO"
    pattern = r"HT-\d{8}"
    header_words = ("合同编号",)


def contract_detectors():
    return [ContractNumber]


def test_entry_points_accept_specs_functions_and_detectors():
    eps = [EntryPoint(name="contract", value=f"{__name__}:ContractNumber", group="chujing.detectors"),
           EntryPoint(name="list", value=f"{__name__}:contract_detectors", group="chujing.detectors")]
    found = from_entry_points(eps)
    assert [d.entity for d in found] == ["CONTRACT_NO", "CONTRACT_NO"]
    broken = [EntryPoint(name="broken", value="no_such_module_xyz:thing", group="chujing.detectors")]
    with pytest.raises(ValueError, match="entry point broken"):
        from_entry_points(broken)


def test_user_detector_replaces_builtin_of_same_name(tmp_path):
    path = write(tmp_path, "- name: CN_PASSPORT\n  pattern: 'P\\d{7}'\n  sensitive: true\n")
    by = {d.entity: d for d in load_detectors([path], entry_points=False)}
    assert by["CN_PASSPORT"].pattern == "P\\d{7}"
