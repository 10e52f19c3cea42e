"""The edges of `chujing scan` a user meets first, through the real CLI: a path that does not
exist, files that are not read, `--fail-on none`, Ctrl-C, and the README's chujing.toml."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

import office_files  # noqa: E402
from interrupting import interrupt_when  # noqa: E402

from scanner.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def members_csv(path: Path, n: int = 20) -> list[dict]:
    persons = office_files.people(n)
    path.write_text("姓名,证件号码,手机\n" + "".join(f"{p['name']},{p['id']},{p['phone']}\n" for p in persons),
                    encoding="utf-8")
    return persons


@pytest.mark.parametrize("fmt", ["json", "table", "md"])
def test_a_path_that_does_not_exist_is_a_usage_error_with_no_verdict(tmp_path, fmt):
    members_csv(tmp_path / "members.csv")
    missing = tmp_path / "exprots"
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "members.csv"), str(missing), "--format", fmt])
    assert result.exit_code == 2
    assert result.stdout == ""  # no report, no verdict on what was not there
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "no such file or folder" in lines[0], lines


def test_a_glob_that_matches_nothing_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "*.csv"), "--format", "json"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "matches no file" in result.stderr


def test_files_not_read_are_listed_as_skipped_and_the_verdict_says_so(tmp_path):
    members_csv(tmp_path / "members.csv")
    (tmp_path / "contract.docx").write_bytes(b"PK\x03\x04 a word document")
    (tmp_path / "README").write_text("export of 2026-05-01\n", encoding="utf-8")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("[core]\n", encoding="utf-8")
    (tmp_path / "13912345678").mkdir()
    (tmp_path / "13912345678" / "scan.pdf").write_bytes(b"%PDF-1.4")
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "-q"])
    report = json.loads(result.stdout)
    assert result.exit_code == 10, result.stderr  # skipped files are said, not an error
    skipped = {Path(s["path"]).name if "/" in s["path"] else s["path"]: s["reason"] for s in report["skipped"]}
    assert set(skipped) == {"contract.docx", "README", "photo.jpg", ".DS_Store", ".git", "scan.pdf"}, skipped
    assert "not a type chujing reads" in skipped["contract.docx"] and ".docx" in skipped["contract.docx"]
    assert "no extension" in skipped["README"]
    assert "hidden" in skipped[".DS_Store"] and "hidden" in skipped[".git"]
    assert any("139****5678" in s["path"] for s in report["skipped"])  # folder names masked like any path
    assert "13912345678" not in result.stdout
    assert report["verdict"]["covers"] == "files_read"
    note = " ".join(n["en"] for n in report["notes"])
    assert "covers only the files read" in note and "6 file(s)" in note
    # Every format says it.
    for fmt in ("md", "table"):
        text = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", fmt, "-q"]).stdout
        assert "skipped" in text.lower() and "contract.docx" in text, fmt


def test_an_unknown_type_named_directly_says_what_is_read(tmp_path):
    (tmp_path / "members.numbers").write_bytes(b"PK\x03\x04")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "members.numbers"), "--format", "json", "-q"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    (entry,) = report["files"]
    assert ".xlsx" in entry["error"] and ".jsonl" in entry["error"] and "rename it" not in entry["error"]


def test_fail_on_none_exits_zero_whatever_the_path(tmp_path):
    members_csv(tmp_path / "members.csv")
    plain = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "-q"])
    assert plain.exit_code == 10
    gated = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "-q", "--fail-on", "none"])
    assert gated.exit_code == 0
    assert json.loads(gated.stdout)["verdict"]["path"] == "standard_contract_or_certification"
    higher = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "-q", "--fail-on", "security_assessment"])
    assert higher.exit_code == 0
    lower = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json", "-q", "--fail-on",
                                      "standard_contract_or_certification"])
    assert lower.exit_code == 10


def test_ctrl_c_exits_130_with_one_line(tmp_path):
    for i in range(300):
        members_csv(tmp_path / f"part_{i:03d}.csv", n=5)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    returncode, out, err = interrupt_when([sys.executable, "-m", "scanner.cli", "scan", str(tmp_path), "--format",
                                          "json", "--log-json", "--log-level", "info"], b"file 3 of",
                                         cwd=tmp_path, env=env)
    assert returncode == 130
    assert out == b""  # no report on a scan that did not finish
    # the files' log lines written before the signal arrived, then one line
    lines = [line for line in err.decode().strip().splitlines() if '"level": "info"' not in line]
    assert lines == ["chujing: interrupted"], lines[-3:]
    assert b"Traceback" not in err


def readme_toml() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, re.S)
    full = [b for b in blocks if "[scan]" in b and "[[outputs]]" in b]
    assert len(full) == 1, "the README shows one full chujing.toml"
    return full[0]


def test_the_readme_chujing_toml_runs_on_its_first_use(tmp_path):
    """Copied as it is into an empty project folder with an export: `chujing scan` with no flag
    scans, creates the report folder, writes every output, and `chujing ledger status` in the
    same folder reads the ledger the config names."""
    (tmp_path / "chujing.toml").write_text(readme_toml(), encoding="utf-8")
    (tmp_path / "exports").mkdir()
    persons = members_csv(tmp_path / "exports" / "members.csv")
    env = dict(os.environ, CHUJING_LEDGER_KEY="11" * 32)
    env.pop("CHUJING_LEDGER", None)
    run = subprocess.run([sys.executable, "-m", "scanner.cli", "scan", "--record", "--transfer-id", "T-1"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode in (0, 10, 20, 30), run.stderr
    outputs = re.findall(r'path = "([^"]+)"', readme_toml())
    assert outputs and all((tmp_path / o).is_file() for o in outputs), outputs
    report = json.loads((tmp_path / [o for o in outputs if o.endswith(".json")][0]).read_text(encoding="utf-8"))
    assert report["persons"]["personal"] == len(persons)
    status = subprocess.run([sys.executable, "-m", "scanner.cli", "ledger", "status", "--format", "json"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    assert data["all_contexts"]["personal"] == len(persons)
