"""The HTML report in a real browser: Debian's headless chromium (``.ci/install-browser.sh``).

Renders a report, lets chromium run the page's script and dump the DOM, and asserts on what a
person sees: the verdict's text, one table row per column, the filter's row count, a column
named like markup shown as text. Saves a screenshot (and checks the A4 print). With
``CHUJING_UPDATE_SCREENSHOT=1`` the screenshot of a scan of ``sample_data/`` (or of the test
report when there is none) is written to ``docs/report-screenshot.png`` for the README.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mappings.schema import PATH_NAMES as PATH_LABELS
from scanner.report.html_page import render_html
from scanner.review.decisions import apply_to_report, parse_decisions

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed: run `.ci/install-browser.sh` as root (CI does)")

DECISIONS = """
version: 1
columns:
- {file: owners.csv, column: 银行卡号, action: not_personal, who: Li Wei, when: '2026-05-04', why: dealer accounts}
- {file: owners.csv, column: 车主电话, action: confirm, who: Li Wei, when: '2026-05-01', why: renamed since}
"""


def chromium(tmp_path: Path, *args: str, timeout: int = 60) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args]
    # D-Bus complaints on stderr are harmless; only the exit status and the output matter.
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def element_text(dom: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', dom, re.S)
    assert match, f"no element #{element_id} in the page"
    return re.sub(r"<[^>]+>", "", match.group(2)).strip()


def tbody_rows(dom: str, table_id: str) -> list[str]:
    match = re.search(rf'<table[^>]*\bid="{table_id}"[^>]*>.*?<tbody>(.*?)</tbody>', dom, re.S)
    assert match, f"no table #{table_id} in the page"
    return re.findall(r"<tr\b.*?</tr>", match.group(1), re.S)


@pytest.fixture
def page(tmp_path, sample_report):
    apply_to_report(sample_report, parse_decisions(DECISIONS, "chujing-decisions.yaml"))
    path = tmp_path / "report.html"
    path.write_text(render_html(sample_report, lang="zh"), encoding="utf-8")
    return path, sample_report


def test_browser_shows_verdict_and_every_column(tmp_path, page):
    path, report = page
    result = chromium(tmp_path, "--dump-dom", path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert element_text(dom, "verdict-path") == PATH_LABELS["security_assessment"][0]
    columns = sum(len(f.columns) for f in report.files)
    rows = tbody_rows(dom, "columns-table")
    assert len(rows) == columns
    # The script ran: it wrote how many rows the filter shows.
    assert re.search(rf'class="shown">{columns} / {columns}<', dom)
    # A column named like markup is text in the page, not an element.
    assert "<img" not in dom and "&lt;img src=x onerror=alert(1)&gt;" in dom
    assert sum(bool(re.match(r"<tr class=\"decided", r)) for r in rows) == 1
    assert len(tbody_rows(dom, "stale-table")) == 1


def test_browser_filters_the_columns_table(tmp_path, page):
    path, report = page
    result = chromium(tmp_path, "--dump-dom", path.as_uri() + "#filter=CN_RESIDENT_ID")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = tbody_rows(result.stdout, "columns-table")
    shown = [r for r in rows if not re.match(r"<tr[^>]*\bhidden", r)]
    assert len(shown) == 1 and "证件号码" in shown[0]
    assert re.search(rf'class="shown">1 / {len(rows)}<', result.stdout)


def test_browser_screenshot_and_a4_print(tmp_path, page):
    path, _ = page
    shot = tmp_path / "report.png"
    result = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", "--hide-scrollbars", path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000

    pdf = tmp_path / "report.pdf"
    result = chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    # A4 is 595 x 842 points.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595) < 2 and abs(float(h) - 842) < 2 for w, h in boxes)


@pytest.mark.skipif(os.environ.get("CHUJING_UPDATE_SCREENSHOT") != "1", reason="set CHUJING_UPDATE_SCREENSHOT=1 to rewrite docs/report-screenshot.png")
def test_update_readme_screenshot(tmp_path, sample_report):
    report = _sample_data_report() or sample_report
    path = tmp_path / "report.html"
    path.write_text(render_html(report, lang="en"), encoding="utf-8")
    target = REPO / "docs" / "report-screenshot.png"
    target.parent.mkdir(exist_ok=True)
    result = chromium(tmp_path, f"--screenshot={target}", "--window-size=1200,1500", "--hide-scrollbars", path.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    assert target.read_bytes()[:4] == b"\x89PNG"


def _sample_data_report():
    """A scan of the committed automotive sample export, else of a small export written here."""
    from scanner.engines.local import scan

    folder = REPO / "sample_data" / "automotive"
    root = REPO / "sample_data" if folder.is_dir() else _write_demo_export(Path(os.environ.get("TMPDIR", "/tmp")) / "chujing-demo")
    cwd = os.getcwd()
    os.chdir(root)  # short, relative paths in the picture
    try:
        if folder.is_dir() or not _pipeline_takes_decisions():
            return scan(["automotive"], sector="automotive", scenario="after_sales")
        decisions = root / "chujing-decisions.yaml"
        decisions.write_text(DEMO_DECISIONS, encoding="utf-8")
        return scan(["automotive"], sector="automotive", scenario="after_sales", decisions=str(decisions))
    finally:
        os.chdir(cwd)


DEMO_DECISIONS = """\
version: 1
columns:
- file: dealer_accounts.csv
  column: 结算账户
  action: not_personal
  who: Li Wei
  when: '2026-05-04'
  why: settlement accounts of dealer companies, not of persons
"""


def _pipeline_takes_decisions() -> bool:
    import dataclasses

    from scanner.engines.local import ScanOptions

    return "decisions" in {f.name for f in dataclasses.fields(ScanOptions)}


def _write_demo_export(root: Path) -> Path:
    """Synthetic after-sales export: 8,000 vehicle owners (valid, made-up identifiers)."""
    import random

    from detectors.cn_bank_card import is_luhn
    from detectors.cn_resident_id import check_char

    rng = random.Random(7)
    folder = root / "automotive"
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["证件号码,手机号,车牌号,维修单号,结算金额"]
    for i in range(8000):
        first17 = f"110105{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        phone = f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"
        plate = "京" + rng.choice("ABCEFGHJKLMNPQ") + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5))
        lines.append(f"{first17 + check_char(first17)},{phone},{plate},WX{2026000000 + i},{rng.randint(100, 9000)}.00")
    (folder / "owners.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["开户行,结算账户"]
    for _ in range(300):
        body = "622202" + f"{rng.randint(0, 10**12 - 1):012d}"
        lines.append(f"工商银行北京分行,{next(body + str(d) for d in range(10) if is_luhn(body + str(d)))}")
    (folder / "dealer_accounts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root
