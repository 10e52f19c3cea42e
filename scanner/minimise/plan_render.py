"""The plan in every report format: ``table`` (terminal), ``md``, ``html`` and ``json``.

JSON is the scan's report of the export as it is, with the ``plan`` key (one entry per change
or set of changes considered, each with the path it leads to) and ``plan_summary`` beside it.
"""

from __future__ import annotations

import html
import json
from typing import Any

from scanner.minimise.plan import LAW, Plan
from scanner.report.labels import LABELS, name, ui


def _path(p: str, lang: str) -> str:
    """A path by its name; in English with its code too (the code is what flags and scripts use)."""
    return name("path", p, lang) if lang == "zh" else f"{name('path', p, lang)} ({p})"


def _path_cell(p: str, lang: str) -> str:
    return name("path", p, lang) if lang == "zh" else p


def _rule_text(rule: str, lang: str) -> str:
    kind, _, step = rule.partition(":")
    key = f"rule_{kind}"
    if lang != "zh" or key not in LABELS:
        return rule
    return ui(key, lang, step=step or "0.1")


def _change_text(c: dict[str, Any], lang: str = "en") -> str:
    action = c["action"]
    word = ui(f"change_{action}", lang) if action in ("drop", "generalise", "pseudonymise", "mask") else action
    how = f" → {_rule_text(c['rule'], lang)}" if c.get("rule") else ""
    return f"{word} {c['column']}{how}"


def _file_of(e: dict[str, Any]) -> str:
    files = sorted({c.get("file") or "*" for c in e["changes"]})
    return ", ".join(files)


def _groups(small: dict[str, Any], files: set[str] | None = None, lang: str = "en") -> str:
    parts = []
    for file, g in small.items():
        if files is not None and file not in files:
            continue
        short = file.rsplit("/", 1)[-1]
        if not g.get("computed"):
            parts.append(ui("plan_not_computed", lang, file=short))
        elif g["groups_below_k"]:
            parts.append(ui("plan_group_count", lang, file=short, below=f"{g['groups_below_k']:,}",
                            groups=f"{g['groups']:,}", persons=f"{g['persons_in_groups_below_k']:,}"))
    return ("；" if lang == "zh" else "; ").join(parts) or ui("plan_none", lang)


def sections(plan: Plan, lang: str = "en") -> list[tuple[str, list[str] | None, list[list[str]] | list[str]]]:
    """(title, table header or None, rows or paragraphs): one structure for text and HTML, its
    words from :mod:`scanner.report.labels`."""
    b = plan.baseline.report
    sep = "、" if lang == "zh" else ", "
    out: list[tuple[str, list[str] | None, list]] = []
    intro = [
        ui("plan_path_now", lang, path=_path(b.path, lang), personal=f"{b.persons.personal:,}",
           sensitive=f"{b.persons.sensitive:,}"),
        ui("plan_items", lang, items=", ".join(b.verdict.get("items", [])) or "—"),
    ]
    intro += [LAW["pseudonymised"][lang]]
    intro += [n[lang] for n in plan.notes]
    out.append(("chujing plan", None, intro))

    header = [ui(k, lang) for k in ("plan_change", "plan_file", "plan_path", "plan_personal", "plan_sensitive",
                                    "plan_no_longer", "plan_below_k")]
    rows = []
    for e in plan.entries:
        rows.append([_change_text(e["changes"][0], lang), _file_of(e), _path_cell(e["path"], lang),
                     f"{e['persons']['personal']:,}", f"{e['persons']['sensitive']:,}",
                     sep.join(e["items_no_longer_triggered"]) or "—",
                     _groups(e.get("small_groups") or {}, {c.get("file") for c in e["changes"]}, lang)])
    out.append((ui("plan_each", lang), header, rows))

    for s in plan.sets:
        title = ui("plan_reaching", lang, path=_path(s["target"], lang))
        if not s.get("reached"):
            out.append((title, None, [s["why"][lang]]))
            continue
        lead = [
            ui("plan_set_minimal" if s.get("minimal") else "plan_set", lang, n=len(s["changes"]),
               path=_path(s["path"], lang), personal=f"{s['persons']['personal']:,}",
               sensitive=f"{s['persons']['sensitive']:,}"),
            ui("plan_groups_left", lang, groups=_groups(s.get("small_groups") or {}, lang=lang)),
        ]
        open_, close = ("（", "）") if lang == "zh" else (" (", ")")
        changes = [f"{_change_text(c, lang)}{open_}{c.get('file') or '*'}{close}" for c in s["changes"]]
        out.append((title, None, lead + changes))

    k_rows = []
    for file, g in (plan.baseline.small_groups or {}).items():
        if g.get("computed"):
            k_rows.append([file, sep.join(g["quasi_identifiers"]), f"{g['groups']:,}", f"{g['groups_below_k']:,}",
                           f"{g['persons_in_groups_below_k']:,}"])
    if k_rows:
        out.append((ui("plan_groups_now", lang, k=plan.k),
                    [ui(k, lang) for k in ("plan_file", "plan_quasi", "plan_groups", "plan_below_k", "plan_persons_in")],
                    k_rows))
    out.append(("", None, [LAW["k"][lang]]))
    return out


def render_plan(plan: Plan, fmt: str = "table", lang: str = "en", width: int | None = None) -> str:
    """The plan in ``fmt``; a ``table`` fits ``width`` columns (a terminal's; ``None``: unbounded)."""
    if fmt == "json":
        return json.dumps(plan.report_dict(), ensure_ascii=False, indent=2, default=str)
    if fmt == "html":
        return _html(plan, lang)
    if fmt == "table":
        return _terminal(plan, lang, width)
    return _markdown(plan, lang)


def _terminal(plan: Plan, lang: str, width: int | None) -> str:
    """Headings, prose wrapped to the terminal and tables whose cells wrap in their columns."""
    from scanner.report.terminal import Canvas

    canvas = Canvas(width)
    for title, header, body in sections(plan, lang):
        if title:
            canvas.paragraph(title.upper() if title == "chujing plan" else title, hanging=0)
        if header is None:
            for paragraph in body:
                canvas.paragraph(str(paragraph), indent=2)
        else:
            canvas.table(header, body, indent=2, right=(3, 4))
        canvas.line()
    return canvas.text()


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
