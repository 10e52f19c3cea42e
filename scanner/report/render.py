"""Drawing a report: a terminal table, Markdown for pull requests and tickets, JSON.

Everything that comes from the data (file names, column names, masked samples, evidence) is
escaped for the target format. The verdict always comes first.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mappings.schema import PATH_NAMES
from scanner.report.text import (
    clip,
    fmt_count,
    safe_terminal,
    text_table,
    triggered_items,
)

if TYPE_CHECKING:
    from scanner.report.model import Report

def render_report(report: Report, fmt: str, lang: str = "en") -> str:
    """The report in ``fmt``: ``json``, ``table``, ``md`` or ``html``."""
    if fmt == "json":
        return report.to_json()
    if fmt == "md":
        return render_markdown(report)
    if fmt == "html":
        from scanner.report.html_page import render_html

        return render_html(report, lang=lang)
    return render_table(report)


def verdict_lines(report: Report) -> list[str]:
    """Every path required (the list's sections are cumulative), who the verdict rests on, and
    what the Beijing list would decide when the national baseline decided: one line each."""
    lines = []
    paths = report.verdict.get("paths") or []
    if len(paths) > 1:
        lines.append("every path required: " + "; ".join(
            f"{PATH_NAMES.get(q, (q, q))[1]} ({', '.join(_items_on(report, q))})" for q in paths))
    exporter = report.extra.get("exporter") or {}
    if exporter.get("reason"):
        scope = f"; outside the sector's scope: {exporter['outside_scope']}" if exporter.get("outside_scope") else ""
        lines.append(f"exporter: {exporter['reason'].get('en', '')}{scope}")
    for alt in report.extra.get("alternatives") or []:
        lines.append(f"if in the zone: {(alt.get('reason') or {}).get('en', '')}")
    return lines


def _items_on(report: Report, path: str) -> list[str]:
    return [i["id"] for i in report.items if i.get("triggered") and i.get("path") == path]


def _notes(report: Report) -> list[str]:
    """The report's notes in English (the HTML report has both languages)."""
    return [n.get("en") or n.get("zh") or "" if isinstance(n, dict) else str(n) for n in report.extra.get("notes") or []]


def _context_line(report: Report) -> str:
    c = report.context
    parts = [f"ruleset {report.ruleset}", f"sector {c.get('sector')}", f"scenario {c.get('scenario')}"]
    for key in ("subject", "modality"):
        if c.get(key):
            parts.append(f"{key} {c[key]}")
    if c.get("ciio"):
        parts.append("CIIO")
    parts.append(f"year {c.get('year')}")
    return ", ".join(parts)


# --- terminal -----------------------------------------------------------------------------------

def render_table(report: Report) -> str:
    path = report.verdict.get("path", "none")
    zh, en = PATH_NAMES.get(path, (path, path))
    out: list[str] = []
    partial = " (ON THE INPUTS THAT COULD BE SCANNED)" if report.errors else ""
    out.append(f"VERDICT{partial}: {en.upper()} ({zh})")
    items = report.verdict.get("items") or []
    out.append(f"  required by: {', '.join(items) if items else 'no item of the rule set'}")
    out += [f"  {line}" for line in verdict_lines(report)]
    out.append(f"  {_context_line(report)}")
    p = report.persons
    out.append(f"  persons in this export: {p.personal:,} (sensitive {p.sensitive:,})"
               + (f"; {p.keyless_rows:,} rows without a person key counted one person each" if p.keyless_rows else ""))
    if p.year_to_date:
        y = p.year_to_date
        out.append(f"  year to date (this transfer included): {fmt_count(y.get('personal'))} (sensitive {fmt_count(y.get('sensitive'))})")
    if report.errors:
        out.append(f"  INCOMPLETE: {len(report.errors)} input(s) could not be scanned (see errors below)")
    unreviewed = [c for c in report.important_data if c.get("status", "unreviewed") == "unreviewed"]
    if unreviewed:
        out.append(f"  ⚠ {len(unreviewed)} important-data candidate(s) await review and count in the verdict")
    shared = p.shared_contact_warning()
    if shared:
        out.append(f"  ⚠ {shared}")
    out.append("")
    notes = _notes(report)
    if notes:
        out.append("Notes")
        out += [f"  {safe_terminal(n)}" for n in notes]
        out.append("")

    triggered = triggered_items(report)
    if triggered:
        out.append("Triggered items")
        out.append(text_table(["item", "path", "count", "threshold", "headroom", "reason"], [
            [i["id"], i["path"], fmt_count(i.get("count")), i.get("threshold") or "—", fmt_count(i.get("headroom")),
             (i.get("reason") or {}).get("en", "")] for i in triggered], max_width=70))
        out.append("")
    if report.important_data:
        out.append("Important-data candidates")
        out.append(text_table(["item", "status", "rules", "evidence"], [
            [c["item"], c.get("status", "unreviewed"), ", ".join(c.get("rules") or []) or "—",
             "; ".join(c.get("evidence", []))] for c in report.important_data], max_width=80))
        out.append("")
    if p.by_entity:
        out.append("Persons by entity: " + ", ".join(f"{k} {v:,}" for k, v in sorted(p.by_entity.items())))
        out.append("")

    for f in report.files:
        if f.error:
            continue
        enc = f" {f.encoding}" if f.encoding else ""
        out.append(f"{f.path}  ({f.format}{enc}, {f.rows:,} rows)")
        rows = [[c.name, c.entity or "", "yes" if c.sensitive else "", f"{c.confidence:.2f}" if c.entity else "",
                 f"{c.match_rate:.0%}" if c.entity else "", ", ".join(c.samples)]
                for c in f.columns if c.entity]
        others = [c.name for c in f.columns if not c.entity]
        if rows:
            out.append(text_table(["column", "entity", "sensitive", "conf", "valid", "samples (masked)"], rows, max_width=64))
        if others:
            out.append(clip("  not personal: " + ", ".join(safe_terminal(o) for o in others), 160))
        out.append("")
    if report.errors:
        out.append("Errors")
        out.extend(f"  {safe_terminal(e)}" for e in report.errors)
    return "\n".join(out).rstrip() + "\n"


# --- markdown -----------------------------------------------------------------------------------

def md_escape(value: Any) -> str:
    """Escape text for a Markdown table cell: pipes, backticks, HTML, emphasis, new lines."""
    text = safe_terminal("" if value is None else value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_{}\[\]()#+!|~])", r"\\\1", text)
    return text.replace("\t", " ").replace("\n", " ")


def _md_table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md_escape(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    path = report.verdict.get("path", "none")
    zh, en = PATH_NAMES.get(path, (path, path))
    p = report.persons
    partial = " — incomplete scan" if report.errors else ""
    out = [f"# chujing report: **{en}** ({zh}){partial}", ""]
    items = report.verdict.get("items") or []
    out.append(f"- Required by: {', '.join(md_escape(i) for i in items) if items else 'no item of the rule set'}")
    out += [f"- {md_escape(line[:1].upper() + line[1:])}" for line in verdict_lines(report)]
    out.append(f"- Context: {md_escape(_context_line(report))}")
    out.append(f"- Persons in this export: {p.personal:,} (sensitive {p.sensitive:,})")
    if p.keyless_rows:
        out.append(f"- Rows without a person key: {p.keyless_rows:,} (policy: {md_escape(p.keyless_policy)})")
    if p.shared_contact_warning():
        out.append(f"- ⚠ {md_escape(p.shared_contact_warning())}")
    if p.year_to_date:
        out.append(f"- Year to date, this transfer included: {fmt_count(p.year_to_date.get('personal'))} "
                   f"(sensitive {fmt_count(p.year_to_date.get('sensitive'))})")
    if report.errors:
        out.append(f"- **Incomplete**: {len(report.errors)} input(s) could not be scanned")
    out += [f"- Note: {md_escape(n)}" for n in _notes(report)]
    out.append("")
    triggered = triggered_items(report)
    if triggered:
        out += ["## Triggered items", "", _md_table(["item", "path", "count", "threshold", "headroom", "reason"], [
            [i["id"], i["path"], fmt_count(i.get("count")), i.get("threshold") or "—", fmt_count(i.get("headroom")),
             (i.get("reason") or {}).get("en", "")] for i in triggered]), ""]
    if report.important_data:
        out += ["## Important-data candidates", "", _md_table(["item", "status", "rules", "evidence"], [
            [c["item"], c.get("status", "unreviewed"), ", ".join(c.get("rules") or []) or "—",
             "; ".join(c.get("evidence", []))] for c in report.important_data]), ""]
    out += ["## Files", ""]
    for f in report.files:
        if f.error:
            continue
        out.append(f"### {md_escape(f.path)}")
        out.append("")
        out.append(f"{md_escape(f.format)}, {md_escape(f.encoding or '')}, {f.rows:,} rows")
        out.append("")
        out.append(_md_table(["column", "entity", "sensitive", "confidence", "valid", "samples (masked)"], [
            [c.name, c.entity or "—", "yes" if c.sensitive else "", f"{c.confidence:.2f}" if c.entity else "",
             f"{c.match_rate:.0%}" if c.entity else "", ", ".join(c.samples)] for c in f.columns]))
        out.append("")
    if report.errors:
        out += ["## Errors", ""] + [f"- {md_escape(e)}" for e in report.errors] + [""]
    return "\n".join(out)
