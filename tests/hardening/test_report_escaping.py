"""Reports escape everything that comes from the data.

A column named ``<img src=x onerror=alert(1)>``, a file named with ``<b>`` and ``|``, values
with pipes and backticks, a terminal escape in a header: in the HTML report they are text (no
element, no event handler comes from the data), in Markdown no table gains a cell and no HTML
is passed through, in the terminal table no control character reaches the screen.
"""

from __future__ import annotations

import html.parser
import re

import pytest

HOSTILE_NAMES = ["<img src=x onerror=alert(1)>", "a|b", "`rm -rf`", "**bold**", "[x](javascript:alert(2))",
                 "<script>alert(3)</script>", "\x1b[2J\x1b[31m红"]


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory, persons):
    from scanner.engines.local import scan

    folder = tmp_path_factory.mktemp("escape")
    header = ["身份证号", "手机号", *HOSTILE_NAMES]
    rows = [[p.resident_id, p.mobile, "x|y", "`tick`", "<b>", "*", "[a](b)", "</td><td>", "|`|"] for p in persons]
    path = folder / "x<b>|`y`.csv"
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])
    return scan([str(path)]), path


class _Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def test_html_report_renders_data_as_text(hostile_report):
    pytest.importorskip("scanner.report.html_page", reason="the HTML report is not present yet")
    from scanner.report.render import render_report

    report, _ = hostile_report
    page = render_report(report, "html", lang="en")
    parser = _Collector()
    parser.feed(page)
    assert not any(tag == "img" for tag, _ in parser.tags)
    assert not any(name.startswith("on") and "alert" in (value or "") for _, attrs in parser.tags for name, value in attrs)
    assert not any("alert(" in s for s in parser.scripts), "data reached a script element"
    assert not any((value or "").startswith("javascript:") for _, attrs in parser.tags for _, value in attrs)
    text = "".join(parser.text)
    for name in ("<img src=x onerror=alert(1)>", "a|b", "`rm -rf`", "<script>alert(3)</script>"):
        assert name in text, f"{name!r} is not shown as text"


def _cells(line: str) -> int:
    """Cells of a Markdown table row: pipes not escaped by a backslash."""
    return len(re.findall(r"(?<!\\)\|", line)) - 1


def test_markdown_report_keeps_tables_whole_and_passes_no_html(hostile_report):
    from scanner.report.render import render_report

    report, _ = hostile_report
    md = render_report(report, "md")
    lines = md.splitlines()
    table_rows = [ln for ln in lines if ln.startswith("|")]
    assert table_rows
    # Every row of a table has as many cells as its header row.
    widths = []
    for ln in lines + [""]:
        if ln.startswith("|"):
            widths.append(_cells(ln))
        elif widths:
            assert len(set(widths)) == 1, widths
            widths = []
    for raw in ("<img", "<script", "<b>", "</td>"):
        assert raw not in md, f"{raw} reached the Markdown"
    assert "](javascript:" not in md
    for ln in lines:  # backticks from the data are escaped, so no code span opens
        assert len(re.findall(r"(?<!\\)`", ln)) % 2 == 0, ln


def test_markdown_report_holds_no_control_character(hostile_report):
    from scanner.report.render import render_report

    report, _ = hostile_report
    md = render_report(report, "md")
    assert not any(ord(ch) < 32 and ch not in "\n" for ch in md)


def test_terminal_table_shows_no_control_character(hostile_report):
    from scanner.report.render import render_report

    report, _ = hostile_report
    table = render_report(report, "table")
    assert "\x1b" not in table
    assert not any(ord(ch) < 32 and ch not in "\n" for ch in table)


def test_json_report_is_the_data_as_given(hostile_report):
    import json

    from scanner.report.render import render_report

    report, path = hostile_report
    data = json.loads(render_report(report, "json"))
    names = [c["name"] for c in data["files"][0]["columns"]]
    assert names[2:] == HOSTILE_NAMES
    assert data["files"][0]["path"].endswith("x<b>|`y`.csv")


