"""Chinese throughout: ``--lang zh``, ``[report] lang`` or a zh locale draw every format in
Chinese, with no code (entity, category, scenario, role, policy, status) left in the text.

One scan of ``sample_data/`` through the real CLI writes the four formats at once (a
``chujing.toml`` with four outputs and ``[report] lang = "zh"``); what comes from the data
(paths, column names, masked samples) is taken out before the codes are looked for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from zh_text import code_words, codes_in, data_strings, human_text_of_json, visible, vocabularies  # noqa: E402

from scanner.report import labels  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FORMATS = {"table": "txt", "md": "md", "html": "html", "json": "json"}


def chujing(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LANG", "LC_ALL", "LC_MESSAGES")}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=environ, timeout=600, check=False)


@pytest.fixture(scope="module")
def zh_scan(tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("zh")
    outputs = "".join(f'\n[[outputs]]\nformat = "{fmt}"\npath = "report.{ext}"\n' for fmt, ext in FORMATS.items())
    (out / "chujing.toml").write_text(
        f'[report]\nlang = "zh"\n\n[scan]\nsources = ["{REPO / "sample_data"}"]\nsector = "automotive"\n'
        f'scenario = "vehicle_rd"\n{outputs}', encoding="utf-8")
    run = chujing("scan", "--config", str(out / "chujing.toml"), "--quiet", cwd=out)
    assert run.returncode in (10, 20, 30), run.stderr[-2000:]
    return {fmt: (out / f"report.{ext}").read_text(encoding="utf-8") for fmt, ext in FORMATS.items()}


def test_every_code_has_a_chinese_name_without_codes_in_it():
    codes = code_words()
    missing, coded = [], []
    for kind, values in vocabularies().items():
        for code in sorted(values):
            found = labels.names(kind, code)
            if found is None or not found[0] or found[0] == code:
                missing.append(f"{kind} {code}")
            elif codes_in(found[0], codes):
                coded.append(f"{kind} {code}: {found[0]}")
    assert not missing, f"no Chinese name for: {', '.join(missing)}"
    assert not coded, f"a Chinese name holds a code: {coded}"


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_chinese_report_shows_no_code(zh_scan, fmt):
    report = json.loads(zh_scan["json"])
    text = human_text_of_json(report) if fmt == "json" else visible(fmt, zh_scan[fmt])
    for data in data_strings(report):
        text = text.replace(data, " ")
    found = codes_in(text, code_words())
    assert not found, f"the Chinese {fmt} report shows codes: {found}"


@pytest.mark.parametrize("fmt", ["table", "md", "html"])
def test_a_chinese_report_is_in_chinese(zh_scan, fmt):
    text = visible(fmt, zh_scan[fmt])
    for english in ("VERDICT", "Triggered items", "not personal", "Persons by entity", "of values valid",
                    "header names it", "each_row_is_a_person", "identity_document", "persons in this export"):
        assert english not in text, f"{english!r} in the Chinese {fmt} report"
    assert "数据出境安全评估" in text and "居民身份证号" in text and "车辆研发" in text


def test_the_json_keeps_its_keys_and_codes_and_adds_chinese(zh_scan):
    report = json.loads(zh_scan["json"])
    assert report["schema"] == "chujing.report/1" and report["verdict"]["path"] == "security_assessment"
    columns = [c for f in report["files"] for c in f["columns"] if c["entity"]]
    assert {"CN_RESIDENT_ID", "CN_VIN"} <= {c["entity"] for c in columns}
    assert all(c["category"] is None or c["category"].isascii() for c in columns)
    # the evidence in Chinese beside the English, which stays what it was
    assert all(c["evidence_zh"] and "of values valid" not in c["evidence_zh"] for c in columns)
    assert any("of values valid" in c["evidence"] for c in columns)
    for item in report["items"]:
        assert set(item["reason"]) == {"zh", "en"}


def _small_export(folder: Path) -> Path:
    sample = REPO / "sample_data" / "automotive" / "owners_gb18030.csv"
    path = folder / "owners.csv"
    path.write_bytes(sample.read_bytes())
    return path


@pytest.mark.parametrize(("env", "args", "chinese"), [
    ({"LANG": "zh_CN.UTF-8"}, [], True),                       # a Chinese locale
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C.UTF-8"}, [], False),  # LC_ALL wins over LANG
    ({"LANG": "zh_CN.UTF-8"}, ["--lang", "en"], False),         # the flag wins over the locale
    ({"LANG": "en_US.UTF-8"}, ["--lang", "zh"], True),
])
def test_the_language_comes_from_the_flag_or_the_locale(tmp_path, env, args, chinese):
    path = _small_export(tmp_path)
    run = chujing("scan", str(path), "--sector", "automotive", "--scenario", "after_sales", "--format", "table",
                  "--quiet", *args, env=env, cwd=tmp_path)
    assert run.returncode == 10, run.stderr[-2000:]
    assert ("结论：" in run.stdout) is chinese and ("VERDICT" in run.stdout) is not chinese
    assert ("居民身份证号" in run.stdout) is chinese and ("CN_RESIDENT_ID" in run.stdout) is not chinese


def test_report_lang_in_the_config_file_and_the_flag_over_it(tmp_path):
    path = _small_export(tmp_path)
    (tmp_path / "chujing.toml").write_text('[report]\nlang = "zh"\n', encoding="utf-8")
    base = ("scan", str(path), "--sector", "automotive", "--scenario", "after_sales", "--format", "md", "--quiet")
    zh = chujing(*base, env={"LANG": "en_US.UTF-8"}, cwd=tmp_path)
    assert zh.returncode == 10 and "# chujing 数据出境扫描报告" in zh.stdout, zh.stderr[-2000:]
    en = chujing(*base, "--lang", "en", cwd=tmp_path)
    assert en.returncode == 10 and "# chujing report" in en.stdout
    (tmp_path / "chujing.toml").write_text('[report]\nlang = "fr"\n', encoding="utf-8")
    bad = chujing(*base, cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "lang" in bad.stderr


@pytest.mark.parametrize("context", [
    ["--sector", "pharmaceutical", "--scenario", "pharmacovigilance", "--personal", "5000", "--sensitive", "300"],
    ["--sector", "pharmaceutical", "--scenario", "clinical_trial", "--personal", "30000", "--sensitive", "30000",
     "--important", "pharmaceutical.14"],
    ["--sector", "retail_services", "--scenario", "member_management", "--personal", "200000",
     "--sensitive", "5000", "--by-entity", "MAC_ADDRESS=150000"],
    ["--sector", "ai_training", "--scenario", "model_training", "--personal", "90000", "--sensitive", "60000",
     "--by-entity", "BIOMETRIC=60000"],
])
def test_the_reasons_of_every_sector_are_chinese_without_codes(context):
    """The rule engine's reasons and notes (roles, modalities, enumerated types) in Chinese."""
    codes = code_words()
    for fmt in ("json", "md", "table"):
        run = chujing("assess", *context, "--lang", "zh", "--format", fmt)
        assert run.returncode in (0, 10, 20, 30), run.stderr[-2000:]
        text = human_text_of_json(json.loads(run.stdout)) if fmt == "json" else visible(fmt, run.stdout)
        found = codes_in(text, codes)
        assert not found, f"{' '.join(context[:4])} ({fmt}): codes in the Chinese text: {found}"
