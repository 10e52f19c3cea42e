"""``chujing review`` and ``chujing plan`` in the language asked (``--lang``, ``[report] lang`` in
chujing.toml, a zh locale), through the real CLI: their words from the reports' one table
(scanner/report/labels.py), names for codes in Chinese, English unchanged."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

import office_files  # noqa: E402
from zh_text import code_words, codes_in, visible  # noqa: E402

from scanner.cli import main  # noqa: E402
from scanner.report.labels import LABELS  # noqa: E402

NO_LOCALE = {"LANG": "C.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}
ZH_LOCALE = {"LANG": "zh_CN.UTF-8", "LC_ALL": None, "LC_MESSAGES": None}
CONTEXT = ["--sector", "retail_services", "--scenario", "member_management"]
# A decision recorded on a column the export has since renamed (会员电话 → 手机).
EARLIER = ("version: 1\ncolumns:\n- {file: members.csv, column: 会员电话, action: confirm, entity: CN_MOBILE_PHONE, "
           "who: 赵磊, when: '2026-03-02', why: 销售核对过}\n")


def cli(args: list[str], env: dict | None = None, answers: str | None = None):
    return CliRunner().invoke(main, args, input=answers, env={**NO_LOCALE, **(env or {})})


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """members.csv (names, resident IDs, phones, birth dates) and its JSON report, scanned with a
    decisions file that names a renamed column."""
    folder = tmp_path_factory.mktemp("review_plan")
    persons = office_files.people(40)
    (folder / "members.csv").write_text(
        "姓名,证件号码,手机,出生日期\n"
        + "".join(f"{p['name']},{p['id']},{p['phone']},{p['birth'].isoformat()}\n" for p in persons),
        encoding="utf-8")
    (folder / "earlier.yaml").write_text(EARLIER, encoding="utf-8")
    result = cli(["scan", str(folder / "members.csv"), *CONTEXT, "--decisions", str(folder / "earlier.yaml"),
                  "--format", "json", "-o", str(folder / "report.json"), "-q"])
    assert result.exit_code in (0, 10, 20, 30), result.output
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["decisions"]["stale"]
    return folder


def _review(export: Path, tmp_path: Path, *extra: str, env: dict | None = None):
    decisions = tmp_path / "decisions.yaml"
    decisions.write_text(EARLIER, encoding="utf-8")
    # The two questions: the resident-ID column (sensitive, not yet decided), overridden with a
    # typo then a known entity; the stale decision, answered wrongly once, then kept.
    answers = "o\nCN_PASPORT\nCN_PASSPORT\n护照号码列\nx\nk\n"
    return cli(["review", str(export / "report.json"), "--decisions", str(decisions), "--who", "李伟", *extra],
               env=env, answers=answers), decisions


def _english_words(prefix: str) -> list[str]:
    """The fixed English parts of our labels starting with ``prefix`` (no placeholders)."""
    out = []
    for key, (_, en) in LABELS.items():
        if key.startswith(prefix):
            out += [part.strip(" :;.()") for part in en.replace("}", "{").split("{")[::2]]
    return sorted({w for w in out if len(w) > 6})


def test_review_in_english_by_default(export, tmp_path):
    result, decisions = _review(export, tmp_path)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "open question(s)" in out and "[c]onfirm" in out and "detected : CN_RESIDENT_ID (sensitive)" in out
    assert "CN_PASPORT is not an entity chujing knows (did you mean CN_PASSPORT?)" in out
    assert "stale decision on column 会员电话 in members.csv" in out
    assert "no column '会员电话' in the matching file(s)" in out
    assert "Saved" in out and "Apply them: chujing scan" in out
    saved = {d["column"]: d for d in yaml.safe_load(decisions.read_text(encoding="utf-8"))["columns"]}
    assert saved["证件号码"]["entity"] == "CN_PASSPORT" and saved["会员电话"]["who"] == "赵磊"


@pytest.mark.parametrize(("how", "env"), [("flag", None), ("locale", ZH_LOCALE), ("config", None)])
def test_review_in_chinese(export, tmp_path, monkeypatch, how, env):
    extra = ["--lang", "zh"] if how == "flag" else []
    if how == "config":
        (tmp_path / "chujing.toml").write_text('[report]\nlang = "zh"\n', encoding="utf-8")
        monkeypatch.chdir(tmp_path)
    result, decisions = _review(export, tmp_path, *extra, env=env)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "个待决问题" in out and "[c] 确认" in out and "检测结果：居民身份证号（CN_RESIDENT_ID）（敏感）" in out
    assert "表头" in out or "的值有效" in out  # the evidence in Chinese
    assert "CN_PASPORT 不是 chujing 认识的数据类型（是否指 CN_PASSPORT？）" in out
    assert "失效的决定：文件 members.csv 中的列 会员电话" in out
    assert "匹配的文件中没有列「会员电话」：被改名或删除了？" in out
    assert "请回答其中之一：k, r, m, q" in out and "Error" not in out
    assert "原决定  ：确认 手机号码（CN_MOBILE_PHONE）（赵磊 于 2026-03-02）：销售核对过" in out
    assert "已在" in out and "应用这些决定：chujing scan" in out
    leaked = [w for w in _english_words("review_") if w in out]
    assert not leaked, f"English words in the Chinese review: {leaked}"
    # the answers are the same letters and codes in either language
    saved = {d["column"]: d for d in yaml.safe_load(decisions.read_text(encoding="utf-8"))["columns"]}
    assert saved["证件号码"]["entity"] == "CN_PASSPORT" and saved["会员电话"]["who"] == "赵磊"


def test_review_with_nothing_open_says_so_in_chinese(export, tmp_path):
    decisions = tmp_path / "none.yaml"
    result = cli(["review", str(export / "report.json"), "--decisions", str(decisions), "--who", "李伟",
                  "--lang", "zh"], answers="q\n")
    assert result.exit_code == 0, result.output
    assert "结论：" in result.output and "Verdict" not in result.output


@pytest.fixture(scope="module")
def plans(export) -> dict[str, str]:
    """The plan of members.csv in English and in Chinese, as Markdown and HTML."""
    out = {}
    for lang, fmt in (("en", "md"), ("zh", "md"), ("zh", "html")):
        result = cli(["plan", str(export / "members.csv"), *CONTEXT, "--format", fmt, "--lang", lang, "-q"])
        assert result.exit_code == 0, result.output
        out[f"{lang}-{fmt}"] = result.output
    return out


def test_plan_in_english(plans):
    md = plans["en-md"]
    assert "## Each change alone" in md and "| change | file | path |" in md
    assert "| drop 证件号码 |" in md and "Path now: " in md and "(standard_contract_or_certification)" in md


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_plan_in_chinese_shows_names_not_codes(plans, fmt):
    text = visible(fmt, plans[f"zh-{fmt}"])
    assert "当前路径：" in text and "每项修改单独的效果" in text and "删除 证件号码" in text
    assert "个人信息出境标准合同备案" in text or "无需申报" in text
    leaked = [w for w in _english_words("plan_") + _english_words("change_") if w in text]
    assert not leaked, f"English words in the Chinese plan: {leaked}"
    found = codes_in(text, code_words())
    assert not found, f"the Chinese plan shows codes: {found}"


@pytest.mark.parametrize(("how", "env"), [("locale", ZH_LOCALE), ("config", None)])
def test_plan_language_from_the_locale_or_the_config(export, tmp_path, monkeypatch, how, env):
    if how == "config":
        (tmp_path / "chujing.toml").write_text('[report]\nlang = "zh"\n', encoding="utf-8")
        monkeypatch.chdir(tmp_path)
    result = cli(["plan", str(export / "members.csv"), *CONTEXT, "--format", "md", "--no-search", "-q"], env=env)
    assert result.exit_code == 0, result.output
    assert "每项修改单独的效果" in result.output and "Each change alone" not in result.output


@pytest.mark.parametrize("fmt", ["table", "md"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stale_decisions_are_listed_in_the_terminal_and_markdown_reports(export, fmt, lang):
    result = cli(["scan", str(export / "members.csv"), *CONTEXT, "--decisions", str(export / "earlier.yaml"),
                  "--format", fmt, "--lang", lang, "-q"], env={"COLUMNS": "200"})
    assert result.exit_code in (10, 20), result.output
    text = visible(fmt, result.output)
    if lang == "zh":
        assert "1 条已记录的决定不再对应任何发现" in text and "失效的决定" in text
        assert "匹配的文件中没有列「会员电话」：被改名或删除了？" in text and "确认 手机号码" in text
        assert "由 赵磊 于 2026-03-02 决定：销售核对过" in text and "no column" not in text
    else:
        assert "1 recorded decision(s) no longer match anything" in text and "Stale decisions" in text
        assert "no column '会员电话' in the matching file(s): renamed or removed?" in text
        assert "confirmed CN_MOBILE_PHONE" in text and "decided by 赵磊 on 2026-03-02: 销售核对过" in text
