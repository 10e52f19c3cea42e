"""JSON Lines and JSON files of records through the real CLI."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

import office_files  # noqa: E402

from scanner.cli import main  # noqa: E402


def scan_json(*args: str) -> tuple[int, dict | None, str]:
    result = CliRunner().invoke(main, ["scan", *args, "--format", "json", "-q"])
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = None
    return result.exit_code, report, result.stderr


def records(persons: list[dict]) -> list[dict]:
    """Records as an API or a log pipeline writes them: the ID as a JSON number where it has no
    X (all 18 digits must survive), the phone as a number in some records and text in others,
    the address nested, tags in a list."""
    out = []
    for i, p in enumerate(persons):
        out.append({"user": {"name": p["name"], "id_no": int(p["id"]) if p["id"][-1] != "X" else p["id"]},
                    "mobile": p["phone"] if i % 2 else f"{p['phone']}", "email": p["email"],
                    "amount": 12.5 + i, "vip": i % 3 == 0, "tags": ["会员", i]})
    return out


@pytest.mark.parametrize("shape", ["jsonl", "array", "pretty_array", "pretty_objects", "jsonl_gz"])
def test_json_records_are_read_with_every_digit(tmp_path, shape):
    persons = office_files.people(40)
    rows = records(persons)
    if shape == "jsonl":
        path = tmp_path / "users.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif shape == "array":
        path = tmp_path / "users.json"
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    elif shape == "pretty_array":
        path = tmp_path / "users.json"
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    elif shape == "pretty_objects":  # `jq .` output: objects one after another over several lines
        path = tmp_path / "users.json"
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False, indent=2) for r in rows), encoding="utf-8")
    else:
        path = tmp_path / "users.jsonl.gz"
        path.write_bytes(gzip.compress("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()))
    code, report, err = scan_json(str(path))
    assert report is not None, err
    (entry,) = report["files"]
    assert entry["error"] is None, entry["error"]
    assert entry["format"] == "json" and entry["rows"] == 40
    columns = {c["name"]: c for c in entry["columns"]}
    assert columns["user.id_no"]["entity"] == "CN_RESIDENT_ID"
    assert columns["user.id_no"]["match_rate"] == 1.0  # no ID lost its last digits to a float
    assert columns["mobile"]["entity"] == "CN_MOBILE_PHONE"
    assert columns["email"]["entity"] == "EMAIL"
    assert report["persons"]["personal"] == 40
    assert code == 10


def test_a_big_array_with_chinese_text_across_reads(tmp_path):
    """An array of records much larger than one read: characters cut between two reads and
    records cut between two blocks are read whole."""
    persons = office_files.people(200)
    rows = [{"姓名": p["name"], "证件号码": p["id"], "备注": "会员资料，" * (i % 40)} for i in range(30_000)
            for p in [persons[i % 200]]]
    (tmp_path / "members.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    assert (tmp_path / "members.json").stat().st_size > 9 << 20
    code, report, err = scan_json(str(tmp_path / "members.json"))
    (entry,) = report["files"]
    assert entry["error"] is None and entry["rows"] == 30_000, entry["error"]
    assert report["persons"]["personal"] == 200


def test_a_gb18030_json_lines_file_is_read(tmp_path):
    persons = office_files.people(10)
    text = "".join(json.dumps({"姓名": p["name"], "身份证号": p["id"]}, ensure_ascii=False) + "\n" for p in persons)
    (tmp_path / "members.jsonl").write_bytes(text.encode("gb18030"))
    code, report, err = scan_json(str(tmp_path / "members.jsonl"))
    columns = {c["name"]: c for c in report["files"][0]["columns"]}
    assert columns["身份证号"]["entity"] == "CN_RESIDENT_ID" and report["persons"]["personal"] == 10


def test_a_field_that_appears_only_late_in_the_file_is_scanned(tmp_path):
    """Records need not share their fields: one that first appears after the first megabytes
    is still a column, classified and counted."""
    persons = office_files.people(50)
    with open(tmp_path / "events.jsonl", "w", encoding="utf-8") as fh:
        for i in range(120_000):
            fh.write(json.dumps({"event": "view", "seq": i, "page": f"/item/{i % 977}"}) + "\n")
        for p in persons:
            fh.write(json.dumps({"event": "register", "seq": 0, "id_card": p["id"]}, ensure_ascii=False) + "\n")
    assert (tmp_path / "events.jsonl").stat().st_size > 5 << 20
    code, report, err = scan_json(str(tmp_path / "events.jsonl"), "--full")
    (entry,) = report["files"]
    columns = {c["name"]: c for c in entry["columns"]}
    assert "id_card" in columns
    assert columns["id_card"]["entity"] == "CN_RESIDENT_ID"
    assert report["persons"]["sensitive"] == 50


@pytest.mark.parametrize("content, reason", [
    (b'[{"id": "%s"}, {"id": ', "not valid JSON"),
    (b'"%s"', "not JSON records"),
    (b'[1, 2, "%s"]', "not an object"),
    (b'{"id": "%s"}\n{"id": {"x": "%s"}}\n', "objects or lists"),
    (b'{"id": "%s"}\n' * 3000 + b'{"id": "\xff\xfe"}\n', "not valid UTF-8"),  # past the sniffed head
])
def test_broken_json_fails_alone_in_one_line_without_data(tmp_path, content, reason):
    persons = office_files.people(3)
    secret = persons[0]["id"].encode()
    (tmp_path / "bad.json").write_bytes(content.replace(b"%s", secret))
    (tmp_path / "good.jsonl").write_text(json.dumps({"id_card": persons[1]["id"]}) + "\n", encoding="utf-8")
    code, report, err = scan_json(str(tmp_path))
    assert code == 1
    failed = {f["path"].rsplit("/", 1)[-1]: f["error"] for f in report["files"] if f["error"]}
    assert list(failed) == ["bad.json"] and reason in failed["bad.json"], failed
    assert "\n" not in failed["bad.json"]
    assert secret.decode() not in json.dumps(report) and secret.decode() not in err
    assert report["persons"]["personal"] == 1
