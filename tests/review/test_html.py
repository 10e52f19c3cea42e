"""The HTML report: self-contained, escaped, verdict first, bilingual, same facts as Markdown."""

from __future__ import annotations

import re

from mappings.schema import PATH_NAMES as PATH_LABELS
from scanner.report.html_page import render_html
from scanner.report.render import render_markdown, render_report
from scanner.review.decisions import apply_to_report, parse_decisions

DECISIONS = """
version: 1
columns:
- {file: owners.csv, column: 客户姓名, action: override, entity: CN_PASSPORT, who: Li Wei, when: '2026-05-04', why: passport names}
- {file: owners.csv, column: 银行卡号, action: not_personal, who: Li Wei, when: '2026-05-04', why: dealer accounts}
- {file: exports/owners.csv, column: 车主电话, action: confirm, who: Li Wei, when: '2026-05-01', why: renamed since}
important:
- {item: automotive.3, status: dismissed, who: Wang Fang, when: '2026-05-04', why: public station map}
"""


def test_column_name_with_markup_renders_as_text(sample_report):
    page = render_html(sample_report, lang="en")
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_every_value_from_the_data_is_escaped(sample_report):
    f = sample_report.files[0]
    f.path = 'exports/"><script>alert(2)</script>.csv'
    f.columns[0].samples = ["</td><b>x</b>"]
    f.columns[0].evidence = "<svg onload=alert(3)>"
    sample_report.important_data[0]["evidence"] = ["<iframe src=//x>"]
    sample_report.errors.append("<script>alert(4)</script>")
    page = render_html(sample_report, lang="en")
    # The only script element is the page's own; no element comes from the data.
    assert page.count("<script") == 1
    for tag in ("<svg", "<iframe", "<b>x", "</td><b>"):
        assert tag not in page
    assert "&lt;svg onload=alert(3)&gt;" in page


def test_self_contained_no_network(sample_report):
    page = render_html(sample_report, lang="en")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page
    assert "@page { size: A4" in page


def test_verdict_comes_first_then_items_then_columns(sample_report):
    page = render_html(sample_report, lang="en")
    order = [page.index(f'id="{section}"') for section in ("verdict", "items", "important", "files", "columns", "errors")]
    assert order == sorted(order)
    assert '<div class="path" id="verdict-path">security assessment</div>' in page


def test_items_are_drawn_as_bars_with_threshold_and_headroom(sample_report):
    page = render_html(sample_report, lang="en")
    row = re.search(r'<tr data-item="automotive.11">.*?</tr>', page).group(0)
    assert 'class="fill"' in row and 'class="room"' in row and 'class="tick"' in row
    assert "8,000" in row and "&lt; 10000" in row and "2,000" in row


def test_unreviewed_candidate_is_shown_prominently(sample_report):
    page = render_html(sample_report, lang="en")
    assert 'id="warn-unreviewed"' in page
    assert re.search(r'<tr class="unreviewed" data-item="automotive.3">', page)


def test_bilingual(sample_report):
    en = render_html(sample_report, lang="en")
    zh = render_html(sample_report, lang="zh")
    assert '<html lang="en">' in en and '<html lang="zh-CN">' in zh
    zh_label, en_label = PATH_LABELS["security_assessment"]
    assert f'id="verdict-path">{en_label}<' in en
    assert f'id="verdict-path">{zh_label}<' in zh
    assert "触发的条目" in zh and "Triggered items" in en
    assert "敏感个人信息不满1万人" in zh and "fewer than 10,000 persons" in en


def test_decisions_are_shown_and_nothing_is_hidden(sample_report):
    apply_to_report(sample_report, parse_decisions(DECISIONS, "chujing-decisions.yaml"))
    page = render_html(sample_report, lang="en")
    # The column decided "not personal" is still listed, marked as decided.
    row = re.search(r'<tr class="decided not-personal"[^>]*>.*?</tr>', page).group(0)
    assert "银行卡号" in row and "<del" in row and "CN_BANK_CARD" in row
    assert "decided by Li Wei on 2026-05-04: dealer accounts" in row
    # The overridden entity next to the detected one.
    row = re.search(r'<tr class="decided"[^>]*>(?:(?!</tr>).)*客户姓名.*?</tr>', page).group(0)
    assert "CN_PASSPORT" in row and "<del" in row and "PERSON_NAME" in row
    assert 'id="warn-stale"' in page and "车主电话" in page
    assert 'class="badge dismissed"' in page


def test_columns_table_has_one_row_per_column(sample_report):
    page = render_html(sample_report, lang="en")
    body = re.search(r'<table id="columns-table".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    assert body.count("<tr") == sum(len(f.columns) for f in sample_report.files)


def test_year_to_date_when_there_is_a_ledger(sample_report):
    assert 'id="ytd"' not in render_html(sample_report, lang="en")
    sample_report.persons.year_to_date = {"personal": 30000, "sensitive": 9000, "transfers": [{"id": "T-1", "personal": 18000}]}
    page = render_html(sample_report, lang="en")
    assert 'id="ytd"' in page and "30,000" in page and "T-1" in page


def test_html_and_markdown_show_the_same_facts(sample_report):
    page = render_report(sample_report, "html", lang="en")
    md = render_markdown(sample_report)
    for fact in ("automotive.11", "automotive.3", "12,034", "8,000", "110101********123X", "exports/owners.csv",
                 "not a Parquet file"):
        assert fact in page and fact in md.replace("\\", ""), fact
