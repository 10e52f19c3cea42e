"""Drawing a report: a terminal table, Markdown for pull requests and tickets, JSON.

Everything that comes from the data (file names, column names, masked samples, evidence) is
escaped for the target format. The verdict always comes first. ``lang="zh"`` draws every word
in Chinese: the codes (entities, categories, scenarios, roles, policies) by their names in
:mod:`scanner.report.labels`; ``en`` keeps the codes that scripts and flags use.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mappings.schema import PATH_NAMES
from scanner.report import labels
from scanner.report.labels import name, sample_text, ui
from scanner.report.text import fmt_count, safe_terminal, triggered_items

if TYPE_CHECKING:
    from scanner.report.model import Report

# From this width on, the triggered items' reasons stand in the table; narrower, under it.
WIDE = 150


def render_report(report: Report, fmt: str, lang: str = "en", width: int | None = None) -> str:
    """The report in ``fmt``: ``json``, ``table``, ``md`` or ``html``, in ``lang`` (``en``/``zh``).
    ``width``: the terminal's columns for ``table`` (``None``: not wrapped)."""
    lang = labels.lang_of(lang)
    if fmt == "json":
        return labels.json_report(report, lang)
    if fmt == "md":
        return render_markdown(report, lang)
    if fmt == "html":
        from scanner.report.html_page import render_html

        return render_html(report, lang=lang)
    return render_table(report, lang, width)


# --- shared --------------------------------------------------------------------------------------

def _items_on(report: Report, path: str) -> list[str]:
    return [i["id"] for i in report.items if i.get("triggered") and i.get("path") == path]


def _pick(text: Any, lang: str) -> str:
    if isinstance(text, dict):
        return str(text.get(lang) or text.get("en") or text.get("zh") or "")
    return "" if text is None else str(text)


def _join(values: list[str], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(values)


def verdict_lines(report: Report, lang: str = "en") -> list[str]:
    """Every path required (the list's sections are cumulative), who the verdict rests on, and
    what the Beijing list would decide when the national baseline decided: one line each."""
    lines = []
    paths = report.verdict.get("paths") or []
    if len(paths) > 1:
        lines.append(ui("every_path", lang) + ui("colon", lang) + ("；" if lang == "zh" else "; ").join(
            f"{name('path', q, lang)}（{_join(_items_on(report, q), lang)}）" if lang == "zh"
            else f"{name('path', q, lang)} ({', '.join(_items_on(report, q))})" for q in paths))
    exporter = report.extra.get("exporter") or {}
    if exporter.get("reason"):
        scope = ""
        if exporter.get("outside_scope"):
            scope = (f"；不在本行业清单范围内：{exporter['outside_scope']}" if lang == "zh"
                     else f"; outside the sector's scope: {exporter['outside_scope']}")
        lines.append(ui("exporter", lang) + ui("colon", lang) + _pick(exporter["reason"], lang) + scope)
    for alt in report.extra.get("alternatives") or []:
        lines.append(ui("alternative", lang) + ui("colon", lang) + _pick(alt.get("reason") or {}, lang))
    return lines


def _notes(report: Report, lang: str) -> list[str]:
    return [_pick(n, lang) for n in report.extra.get("notes") or []]


def _context_line(report: Report, lang: str) -> str:
    c = report.context
    sector = c.get("sector")
    if lang == "zh":
        parts = [f"规则集 {report.ruleset}", f"行业 {name('sector', sector, lang)}",
                 f"场景 {name('scenario', c.get('scenario'), lang, sector=sector)}"]
        if c.get("subject"):
            parts.append(f"数据主体 {name('subject', c['subject'], lang, sector=sector)}")
        if c.get("modality"):
            parts.append(f"模态 {name('modality', c['modality'], lang)}")
        if c.get("ciio"):
            parts.append("关键信息基础设施运营者")
        parts.append(f"年度 {c.get('year')}")
        return "，".join(parts)
    parts = [f"ruleset {report.ruleset}", f"sector {sector}", f"scenario {c.get('scenario')}"]
    for key in ("subject", "modality"):
        if c.get(key):
            parts.append(f"{key} {c[key]}")
    if c.get("ciio"):
        parts.append("CIIO")
    parts.append(f"year {c.get('year')}")
    return ", ".join(parts)


def _persons_line(report: Report, lang: str) -> str:
    p = report.persons
    if lang == "zh":
        text = f"本次出境涉及的自然人：{p.personal:,} 人（其中敏感个人信息 {p.sensitive:,} 人）"
        if p.keyless_rows:
            text += f"；{p.keyless_rows:,} 行没有个人标识，{name('policy', p.keyless_policy, lang)}"
        return text
    text = f"persons in this export: {p.personal:,} (sensitive {p.sensitive:,})"
    if p.keyless_rows:
        text += (f"; {p.keyless_rows:,} rows without a person key counted one person each"
                 if p.keyless_policy == "each_row_is_a_person" else
                 f"; {p.keyless_rows:,} rows without a person key ({p.keyless_policy})")
    return text


def _ytd_line(report: Report, lang: str) -> str | None:
    y = report.persons.year_to_date
    if not y:
        return None
    if lang == "zh":
        return (f"本年度累计（含本次）：{fmt_count(y.get('personal'))} 人"
                f"（其中敏感个人信息 {fmt_count(y.get('sensitive'))} 人）")
    return f"year to date (this transfer included): {fmt_count(y.get('personal'))} (sensitive {fmt_count(y.get('sensitive'))})"


def _shared_warning(report: Report, lang: str) -> str | None:
    facts = report.persons.shared_contacts()
    if facts is None:
        return None
    figures = {k: (f"{v:,}" if isinstance(v, int) else v) for k, v in facts.items()}
    return ui("shared_warning", lang, **figures)


def _item_path(i: dict[str, Any], lang: str) -> str:
    return name("path", i.get("path", ""), lang) if lang == "zh" else str(i.get("path", ""))


def _reason(i: dict[str, Any], lang: str) -> str:
    return _pick(i.get("reason"), lang)


def _status(c: dict[str, Any], lang: str) -> str:
    status = c.get("status", "unreviewed")
    return name("status", status, lang) if lang == "zh" else status


def _rules(c: dict[str, Any], lang: str, one_line: bool = True) -> str:
    rules = [labels.rule_text(r, lang) for r in c.get("rules") or []]
    if not rules:
        return "—"
    return _join(rules, lang) if one_line else "\n".join(rules)


def _candidate_evidence(c: dict[str, Any], lang: str) -> str:
    return ("；" if lang == "zh" else "; ").join(labels.candidate_evidence(e, c, lang) for e in c.get("evidence") or [])


def _entity(code: str | None, lang: str) -> str:
    if not code:
        return "—"
    return name("entity", code, lang) if lang == "zh" else code


def _file_facts(f, lang: str) -> str:
    """``csv, gb18030, 1,185 rows``: only the facts known (never an empty field)."""
    parts = [p for p in (f.format, f.encoding) if p]
    parts.append(f"{f.rows:,} 行" if lang == "zh" else f"{f.rows:,} rows")
    return ("，" if lang == "zh" else ", ").join(parts)


def _yes(flag: bool, lang: str) -> str:
    return ui("yes", lang) if flag else ""


# --- terminal -----------------------------------------------------------------------------------

def render_table(report: Report, lang: str = "en", width: int | None = None) -> str:
    """The report for a terminal ``width`` columns wide (``None``: a file, nothing wrapped).
    Tables fit the width, their cells wrapping (nothing is cut); prose wraps under its heading."""
    from scanner.report.terminal import Canvas  # rich: only for a table (~0.1 s to import)

    lang = labels.lang_of(lang)
    c = Canvas(width)
    path = report.verdict.get("path", "none")
    zh, en = PATH_NAMES.get(path, (path, path))
    if lang == "zh":
        partial = "（仅针对能够扫描的输入）" if report.errors else ""
        c.paragraph(f"结论{partial}：{zh}")
    else:
        partial = " (ON THE INPUTS THAT COULD BE SCANNED)" if report.errors else ""
        c.paragraph(f"VERDICT{partial}: {en.upper()} ({zh})")
    items = report.verdict.get("items") or []
    c.paragraph(ui("required_by", lang) + ui("colon", lang) + (_join(items, lang) if items else ui("no_item", lang)), indent=2)
    for line in verdict_lines(report, lang):
        c.paragraph(line, indent=2)
    c.paragraph(_context_line(report, lang), indent=2)
    c.paragraph(_persons_line(report, lang), indent=2)
    ytd = _ytd_line(report, lang)
    if ytd:
        c.paragraph(ytd, indent=2)
    if report.errors:
        c.paragraph(ui("incomplete", lang, n=len(report.errors)), indent=2)
    unreviewed = [x for x in report.important_data if x.get("status", "unreviewed") == "unreviewed"]
    if unreviewed:
        c.paragraph("⚠ " + ui("unreviewed_warning", lang, n=len(unreviewed)), indent=2)
    shared = _shared_warning(report, lang)
    if shared:
        c.paragraph("⚠ " + shared, indent=2)
    stale = labels.stale_rows(report, lang)
    if stale:
        c.paragraph("⚠ " + ui("stale_warning", lang, n=len(stale)), indent=2)
    c.line()
    notes = _notes(report, lang)
    if notes:
        c.line(ui("notes", lang))
        for note in notes:
            c.paragraph(note, indent=2)
        c.line()

    wide = c.width is None or c.width >= WIDE
    triggered = triggered_items(report)
    if triggered:
        c.line(ui("triggered_items", lang))
        headers = [ui(k, lang)
                   for k in ("item", "path", "count", "threshold", "headroom")]
        rows = [[i["id"], _item_path(i, lang), fmt_count(i.get("count")), i.get("threshold") or "—",
                 fmt_count(i.get("headroom"))] for i in triggered]
        if wide:
            headers.append(ui("reason", lang))
            for row, i in zip(rows, triggered, strict=True):
                row.append(_reason(i, lang))
        c.table(headers, rows, wrap=(1, 5), right=(2, 4))
        if not wide:
            for i in triggered:
                c.paragraph(_reason(i, lang), indent=2)
        c.line()
    if report.important_data:
        c.line(ui("important", lang))
        headers = [ui(k, lang) for k in ("item", "status", "rules", "evidence")]
        c.table(headers, [[x["item"], _status(x, lang), _rules(x, lang, one_line=wide), _candidate_evidence(x, lang)]
                          for x in report.important_data], wrap=(2, 3))
        c.line()
    if stale:
        c.line(ui("stale", lang))
        c.table([ui(k, lang) for k in ("column", "decision", "reason", "who_why")], stale, wrap=(0, 1, 2, 3))
        c.line()
    p = report.persons
    if p.by_entity:
        c.line(ui("persons_by_entity", lang))
        c.grid([f"{_entity(k, lang)} {v:,}" for k, v in sorted(p.by_entity.items())], indent=2)
        c.line()

    for f in report.files:
        if f.error:
            continue
        c.paragraph(f"{f.path}（{_file_facts(f, lang)}）" if lang == "zh" else f"{f.path}  ({_file_facts(f, lang)})")
        rows = [[col.name, _entity(col.entity, lang), _yes(col.sensitive, lang), f"{col.confidence:.2f}",
                 f"{col.match_rate:.0%}", ", ".join(sample_text(s, col.entity, lang)
                                                                                    for s in col.samples)]
                for col in f.columns if col.entity]
        others = [col.name for col in f.columns if not col.entity]
        if rows:
            keys = ("column", "entity", "sensitive", "conf", "valid", "samples")
            c.table([ui(k, lang) for k in keys], rows, wrap=(0, 5))
        if others:
            c.paragraph(ui("not_personal", lang) + ui("colon", lang) + _join(others, lang), indent=2, hanging=4)
        c.line()
    if report.errors:
        c.line(ui("errors", lang))
        for e in report.errors:
            c.paragraph(e, indent=2)
    return c.text()


# --- markdown -----------------------------------------------------------------------------------

def md_escape(value: Any) -> str:
    """Escape text for a Markdown table cell: pipes, backticks, HTML, emphasis, new lines."""
    text = safe_terminal("" if value is None else value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_{}\[\]()#+!|~])", r"\\\1", text)
    return text.replace("\t", " ").replace("\n", " ")


def _md_table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md_escape(v if v not in (None, "") else "—") for v in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(report: Report, lang: str = "en") -> str:
    lang = labels.lang_of(lang)
    path = report.verdict.get("path", "none")
    zh, en = PATH_NAMES.get(path, (path, path))
    p = report.persons
    colon = ui("colon", lang)
    if lang == "zh":
        partial = "（扫描不完整）" if report.errors else ""
        out = [f"# chujing 数据出境扫描报告：**{zh}**{partial}", ""]
    else:
        partial = " — incomplete scan" if report.errors else ""
        out = [f"# chujing report: **{en}** ({zh}){partial}", ""]
    items = report.verdict.get("items") or []
    out.append(f"- {ui('required_by', lang)}{colon}"
               + (_join([md_escape(i) for i in items], lang) if items else ui("no_item", lang)))
    out += [f"- {md_escape(line[:1].upper() + line[1:])}" for line in verdict_lines(report, lang)]
    out.append(f"- {ui('context', lang)}{colon}{md_escape(_context_line(report, lang))}")
    out.append(f"- {md_escape(_persons_line(report, lang)[:1].upper() + _persons_line(report, lang)[1:])}")
    shared = _shared_warning(report, lang)
    if shared:
        out.append(f"- ⚠ {md_escape(shared)}")
    stale = labels.stale_rows(report, lang)
    if stale:
        out.append(f"- ⚠ {md_escape(ui('stale_warning', lang, n=len(stale)))}")
    ytd = _ytd_line(report, lang)
    if ytd:
        out.append(f"- {md_escape(ytd[:1].upper() + ytd[1:])}")
    if report.errors:
        out.append(f"- **{md_escape(ui('incomplete', lang, n=len(report.errors)))}**")
    out += [f"- {ui('note', lang)}{colon}{md_escape(n)}" for n in _notes(report, lang)]
    out.append("")
    triggered = triggered_items(report)
    if triggered:
        out += [f"## {ui('triggered_items', lang)}", "", _md_table(
            [ui(k, lang) for k in ("item", "path", "count", "threshold", "headroom", "reason")],
            [[i["id"], _item_path(i, lang), fmt_count(i.get("count")), i.get("threshold") or "—",
              fmt_count(i.get("headroom")), _reason(i, lang)] for i in triggered]), ""]
    if report.important_data:
        out += [f"## {ui('important', lang)}", "", _md_table(
            [ui(k, lang) for k in ("item", "status", "rules", "evidence")],
            [[x["item"], _status(x, lang), _rules(x, lang), _candidate_evidence(x, lang)]
             for x in report.important_data]), ""]
    if stale:
        out += [f"## {ui('stale', lang)}", "", _md_table(
            [ui(k, lang) for k in ("column", "decision", "reason", "who_why")], stale), ""]
    if p.by_entity:
        out += [f"## {ui('persons_by_entity', lang)}", "", _md_table(
            [ui("entity", lang), ui("persons", lang)],
            [[_entity(k, lang), f"{v:,}"] for k, v in sorted(p.by_entity.items())]), ""]
    out += [f"## {ui('files', lang)}", ""]
    for f in report.files:
        if f.error:
            continue
        out += [f"### {md_escape(f.path)}", "", md_escape(_file_facts(f, lang)), ""]
        if f.columns:
            out.append(_md_table(
                [ui(k, lang) for k in ("column", "entity", "sensitive", "confidence", "valid", "samples")],
                [[col.name, _entity(col.entity, lang), ui("yes", lang) if col.sensitive else ui("no", lang),
                  f"{col.confidence:.2f}" if col.entity else "—", f"{col.match_rate:.0%}" if col.entity else "—",
                  ", ".join(sample_text(s, col.entity, lang) for s in col.samples) or "—"] for col in f.columns]))
            out.append("")
    if report.errors:
        out += [f"## {ui('errors', lang)}", ""] + [f"- {md_escape(e)}" for e in report.errors] + [""]
    return "\n".join(out)
