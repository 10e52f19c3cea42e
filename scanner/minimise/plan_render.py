"""The plan in every report format: ``table`` (terminal), ``md``, ``html`` and ``json``.

JSON is the scan's report of the export as it is, with the ``plan`` key (one entry per change
or set of changes considered, each with the path it leads to) and ``plan_summary`` beside it.
"""

from __future__ import annotations

import html
import json
from typing import Any

from mappings.schema import PATH_NAMES
from scanner.minimise.plan import LAW, Plan


def _path(p: str, lang: str) -> str:
    zh, en = PATH_NAMES.get(p, (p, p))
    return f"{zh} ({p})" if lang == "zh" else f"{en} ({p})"


def _change_text(c: dict[str, Any]) -> str:
    how = f" → {c['rule']}" if c.get("rule") else ""
    return f"{c['action']} {c['column']}{how}"


def _file_of(e: dict[str, Any]) -> str:
    files = sorted({c.get("file") or "*" for c in e["changes"]})
    return ", ".join(files)


def _groups(small: dict[str, Any], files: set[str] | None = None) -> str:
    parts = []
    for file, g in small.items():
        if files is not None and file not in files:
            continue
        name = file.rsplit("/", 1)[-1]
        if not g.get("computed"):
            parts.append(f"{name}: not computed")
        elif g["groups_below_k"]:
            parts.append(f"{name}: {g['groups_below_k']:,} of {g['groups']:,} groups < k "
                         f"({g['persons_in_groups_below_k']:,} persons)")
    return "; ".join(parts) or "none"


def sections(plan: Plan, lang: str = "en") -> list[tuple[str, list[str] | None, list[list[str]] | list[str]]]:
    """(title, table header or None, rows or paragraphs): one structure for text and HTML."""
    b = plan.baseline.report
    zh = lang == "zh"
    out: list[tuple[str, list[str] | None, list]] = []
    intro = [
        ("当前路径：" if zh else "Path now: ") + _path(b.path, lang) + "; " +
        (f"个人信息 {b.persons.personal:,} 人，敏感个人信息 {b.persons.sensitive:,} 人" if zh else
         f"{b.persons.personal:,} persons' personal information, {b.persons.sensitive:,} persons' sensitive"),
        ("触发的条目：" if zh else "Items triggered: ") + (", ".join(b.verdict.get("items", [])) or "—"),
    ]
    intro += [LAW["pseudonymised"][lang]]
    intro += [n[lang] for n in plan.notes]
    out.append(("chujing plan", None, intro))

    header = (["修改", "文件", "路径", "个人信息", "敏感", "不再触发", "k 以下的组"] if zh else
              ["change", "file", "path", "personal", "sensitive", "no longer triggered", "groups below k"])
    rows = []
    for e in plan.entries:
        rows.append([_change_text(e["changes"][0]), _file_of(e), e["path"], f"{e['persons']['personal']:,}",
                     f"{e['persons']['sensitive']:,}", ", ".join(e["items_no_longer_triggered"]) or "—",
                     _groups(e.get("small_groups") or {}, {c.get("file") for c in e["changes"]})])
    out.append(("每项修改单独的效果" if zh else "Each change alone", header, rows))

    for s in plan.sets:
        title = (f"达到更低路径：{_path(s['target'], lang)}" if zh else f"Reaching a lower path: {_path(s['target'], lang)}")
        if not s.get("reached"):
            out.append((title, None, [s["why"][lang]]))
            continue
        lead = [
            (f"{'最小' if s.get('minimal') else ''}修改集合（{len(s['changes'])} 项）→ {_path(s['path'], lang)}；"
             f"个人信息 {s['persons']['personal']:,} 人，敏感 {s['persons']['sensitive']:,} 人" if zh else
             f"{'A minimal' if s.get('minimal') else 'A'} set of {len(s['changes'])} change(s) → {_path(s['path'], lang)}: "
             f"{s['persons']['personal']:,} persons' personal information, {s['persons']['sensitive']:,} sensitive"
             + (" (leaving out any one of them misses the path)" if s.get("minimal") else " (not proven minimal)")),
            ("k 以下的组：" if zh else "Groups below k left: ") + _groups(s.get("small_groups") or {}),
        ]
        changes = [f"{_change_text(c)} ({c.get('file') or '*'})" for c in s["changes"]]
        out.append((title, None, lead + changes))

    k_rows = []
    for file, g in (plan.baseline.small_groups or {}).items():
        if g.get("computed"):
            k_rows.append([file, ", ".join(g["quasi_identifiers"]), f"{g['groups']:,}", f"{g['groups_below_k']:,}",
                           f"{g['persons_in_groups_below_k']:,}"])
    if k_rows:
        out.append(((f"当前数据中人数少于 k={plan.k} 的组" if zh else f"Groups of fewer than k={plan.k} persons now"),
                    ["file", "quasi-identifiers", "groups", "groups below k", "persons in them"], k_rows))
    out.append(("", None, [LAW["k"][lang]]))
    return out


def render_plan(plan: Plan, fmt: str = "table", lang: str = "en") -> str:
    if fmt == "json":
        return json.dumps(plan.report_dict(), ensure_ascii=False, indent=2, default=str)
    if fmt == "html":
        return _html(plan, lang)
    return _markdown(plan, lang)


def _markdown(plan: Plan, lang: str) -> str:
    lines: list[str] = []
    for title, header, body in sections(plan, lang):
        if title:
            lines += [("# " if title == "chujing plan" else "## ") + title, ""]
        if header is None:
            lines += [f"- {p}" if title and title != "chujing plan" else p for p in body] + [""]
            continue
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in body:
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
        lines.append("")
    return "\n".join(lines)


def _html(plan: Plan, lang: str) -> str:
    e = html.escape
    parts = ["<!doctype html>", f'<html lang="{e(lang)}"><head><meta charset="utf-8">',
             "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
             "<title>chujing plan</title><style>body{font-family:system-ui,'Noto Sans CJK SC','WenQuanYi Micro Hei',"
             "sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid "
             "#ccc;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}</style></head><body>"]
    for title, header, body in sections(plan, lang):
        if title:
            parts.append(("<h1>" if title == "chujing plan" else "<h2>") + e(title)
                         + ("</h1>" if title == "chujing plan" else "</h2>"))
        if header is None:
            parts.append("<ul>" + "".join(f"<li>{e(str(p))}</li>" for p in body) + "</ul>")
            continue
        parts.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr></thead><tbody>")
        for row in body:
            parts.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)
