"""The Chinese HTML report in a real browser (Debian's headless chromium, ``.ci/install-browser.sh``):
a scan of ``sample_data/automotive`` through the CLI with ``--lang zh``, the page's text after
its script ran holds no code, and its screenshot is the one checked in as
``docs/report-screenshot-zh.png`` (rewritten with ``CHUJING_UPDATE_SCREENSHOT=1``). A second,
small page holds recorded decisions that no longer match anything: their reasons in Chinese.

One scan writes the HTML and the JSON (two ``[[outputs]]`` of a chujing.toml): the sample
folder is read once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from zh_text import code_words, codes_in, data_strings, visible  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "report-screenshot-zh.png"
CHROMIUM = shutil.which("chromium")
ARGS = ["automotive", "--sector", "automotive", "--scenario", "vehicle_rd", "--ftz", "beijing", "--quiet"]


def chujing(*args: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LANG", "LC_ALL", "LC_MESSAGES")}
    # from sample_data/, so that the paths in the picture are short
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], capture_output=True, text=True,
                          cwd=REPO / "sample_data", env=environ, timeout=600, check=False)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_the_readme_shows_the_chinese_screenshot():
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and SCREENSHOT.stat().st_size > 50_000
    assert f"docs/{SCREENSHOT.name}" in (REPO / "README.md").read_text(encoding="utf-8")


STALE_DECISIONS = """\
version: 1
columns:
- {file: members.csv, column: 会员电话, action: confirm, entity: CN_MOBILE_PHONE, who: 赵磊, when: '2026-03-02', why: 销售核对过}
- {file: old_exports/*.csv, column: 证件号码, action: override, entity: CN_PASSPORT, who: 赵磊, when: '2026-03-02', why: 护照}
important:
- {item: automotive.3, status: dismissed, who: 赵磊, when: '2026-03-02', why: 公开地图}
"""


def _stale_page(tmp_path: Path) -> Path:
    """A small scan whose decisions name a renamed column, a file no longer exported and an item
    with no candidate: the three reasons a decision goes stale."""
    from click.testing import CliRunner

    from scanner.cli import main

    folder = tmp_path / "stale"
    folder.mkdir()
    (folder / "members.csv").write_text("姓名,手机号\n王伟,13812345678\n李娜,13987654321\n", encoding="utf-8")
    decisions = folder / "decisions.yaml"
    decisions.write_text(STALE_DECISIONS, encoding="utf-8")
    page = folder / "report.html"
    result = CliRunner().invoke(main, ["scan", str(folder / "members.csv"), "--decisions", str(decisions),
                                       "--sector", "automotive", "--format", "html", "--lang", "zh", "-o", str(page),
                                       "-q"])
    assert result.exit_code in (0, 10, 20, 30), result.output
    return page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: run `.ci/install-browser.sh` as root (CI does)")
def test_the_chinese_html_in_a_browser(tmp_path):
    page = tmp_path / "report.html"
    report = tmp_path / "report.json"
    config = tmp_path / "chujing.toml"
    config.write_text(f'[[outputs]]\nformat = "html"\npath = "{page.name}"\nlang = "zh"\n\n'
                      f'[[outputs]]\nformat = "json"\npath = "{report.name}"\n', encoding="utf-8")
    run = chujing("scan", *ARGS, "--config", str(config))
    assert run.returncode == 20, run.stderr[-2000:]
    data = json.loads(report.read_text(encoding="utf-8"))

    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = visible("html", dom.stdout)
    assert "数据出境安全评估" in text and "居民身份证号" in text and "汽车行业" in text
    for value in data_strings(data):
        text = text.replace(value, " ")
    found = codes_in(text, code_words())
    assert not found, f"the Chinese page shows codes: {found}"

    shot = tmp_path / "report.png"
    result = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,1500", "--hide-scrollbars", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    if os.environ.get("CHUJING_UPDATE_SCREENSHOT") == "1":
        shutil.copy(shot, SCREENSHOT)

    # Stale decisions: why each no longer applies, in Chinese; who decided and why, as recorded.
    dom = chromium(tmp_path, "--dump-dom", _stale_page(tmp_path).as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = visible("html", dom.stdout)
    assert "失效的决定" in text
    assert "匹配的文件中没有列「会员电话」：被改名或删除了？" in text
    assert "没有扫描到的文件匹配「old_exports/*.csv」" in text
    assert "本次扫描中没有该条目的候选" in text
    assert "由 赵磊 于 2026-03-02 决定：销售核对过" in text
    for english in ("no column", "renamed or removed", "no scanned file", "no candidate of this item"):
        assert english not in text, english
    found = codes_in(text.replace("members.csv", " ").replace("old_exports/*.csv", " "), code_words())
    assert not found, f"the Chinese page shows codes: {found}"
