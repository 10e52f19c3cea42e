"""The HTML report: one self-contained file to read in a browser, send by mail and print on A4.

Everything is inline (styles, a small script for sorting and filtering tables); the page loads
nothing from the network. Every value that comes from the data — file and column names,
masked samples, evidence, reasons, who decided — is escaped with :func:`html.escape`, and no
value from the data ever reaches the script. The page opens with the verdict and the path
required, then the triggered items (count, threshold, headroom as bars), the important-data
candidates, persons, every file and column, decisions, errors and the ledger's year to date.
It shows the same facts as :func:`scanner.report.render.render_markdown`.
"""

from __future__ import annotations

import datetime as _dt
import html
import re
from typing import TYPE_CHECKING, Any

from mappings.schema import PATH_NAMES
from scanner.report.labels import (
    LABELS,
    candidate_evidence,
    evidence_text,
    name,
    rule_text,
    sample_text,
    stale_reason,
)
from scanner.report.text import fmt_count, triggered_items
from scanner.version import __version__

if TYPE_CHECKING:
    from scanner.report.model import Report

# --- labels -------------------------------------------------------------------------------------

# The page's words are scanner.report.labels.LABELS (one table for every report).


def _label(key: str, lang: str, **kwargs: Any) -> str:
    zh, en = LABELS[key]
    text = zh if lang == "zh" else en
    return text.format(**kwargs) if kwargs else text


def esc(value: Any) -> str:
    """Text from the data, safe in HTML text and in quoted attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def _pick(bilingual: Any, lang: str) -> str:
    """The text in ``lang`` of a ``{"zh": …, "en": …}`` value (or the value itself)."""
    if isinstance(bilingual, dict):
        return str(bilingual.get(lang) or bilingual.get("en") or bilingual.get("zh") or "")
    return "" if bilingual is None else str(bilingual)


def _path_label(path: str, lang: str) -> tuple[str, str]:
    """(label in ``lang``, label in the other language) of a path."""
    zh, en = PATH_NAMES.get(path, (path, path))
    return (zh, en) if lang == "zh" else (en, zh)


def _code(kind: str, code: Any, lang: str, sector: str | None = None) -> str:
    """A code as a reader of ``lang`` sees it: its Chinese name in Chinese, the code in English."""
    if code is None or code == "":
        return "—"
    return esc(name(kind, str(code), lang, sector=sector) if lang == "zh" else code)


def _num(value: Any) -> str:
    return esc(fmt_count(value))


# --- style and script ---------------------------------------------------------------------------

CSS = """
:root { --fg:#1d232b; --muted:#5b6673; --line:#d8dde3; --bg:#fff; --soft:#f4f6f8;
  --sa:#b3261e; --sc:#b36b00; --ol:#6f42c1; --none:#1e7b34; --bar:#2f6db5; --head:#9fc1e8; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "WenQuanYi Micro Hei",
  "PingFang SC", "Microsoft YaHei", sans-serif; color: var(--fg); background: var(--bg); font-size: 14px; }
body { margin: 0 auto; max-width: 1280px; padding: 16px 24px 48px; line-height: 1.45; }
h1 { font-size: 1.35rem; margin: 0 0 4px; } h2 { font-size: 1.15rem; margin: 28px 0 8px;
  border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1rem; margin: 16px 0 6px; }
.muted { color: var(--muted); } .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .92em; }
.verdict { border-radius: 8px; padding: 16px 20px; margin: 12px 0 8px; color: #fff; background: var(--none); }
.verdict.security_assessment { background: var(--sa); } .verdict.standard_contract_or_certification { background: var(--sc); }
.verdict.other_legal_path { background: var(--ol); }
.verdict .kicker { text-transform: uppercase; letter-spacing: .06em; font-size: .8rem; opacity: .9; }
.verdict .path { font-size: 1.6rem; font-weight: 700; margin: 2px 0; }
.verdict .alt { opacity: .9; } .verdict dl { margin: 10px 0 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
.verdict dt { opacity: .85; } .verdict dd { margin: 0; font-weight: 600; }
.warn { border-left: 4px solid var(--sa); background: #fdecea; padding: 8px 12px; margin: 8px 0; border-radius: 4px; }
.warn.amber { border-color: var(--sc); background: #fff4e0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
.scroll { overflow-x: auto; } #columns-table { font-size: .93em; } #columns-table td.evidence { min-width: 10em; }
#columns-table td.decision { min-width: 12em; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
th.sortable { cursor: pointer; user-select: none; } th.sortable::after { content: " \\2195"; color: var(--muted); font-size: .8em; }
th[aria-sort=ascending]::after { content: " \\2191"; } th[aria-sort=descending]::after { content: " \\2193"; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.samples { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .88em; min-width: 11em; }
td.entity, .nowrap { white-space: nowrap; } td.path { word-break: break-all; min-width: 9em; }
tr.unreviewed td { background: #fff4e0; } tr.decided td:first-child { box-shadow: inset 3px 0 0 var(--bar); }
tr.error td { background: #fdecea; } tr.not-personal td { color: var(--muted); }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: .8em; font-weight: 600;
  background: var(--soft); border: 1px solid var(--line); white-space: nowrap; }
.badge.sens { background: #fdecea; border-color: #f2b8b5; color: var(--sa); }
.badge.unreviewed { background: #fff4e0; border-color: #f0c36d; color: #7a4a00; }
.badge.confirmed { background: #fdecea; border-color: #f2b8b5; color: var(--sa); }
.badge.dismissed { background: #e8f5ec; border-color: #a7d7b5; color: var(--none); }
.badge.decided { background: #e7f0fb; border-color: var(--head); color: #1b4f8a; }
del { color: var(--muted); }
.bar { position: relative; height: 14px; min-width: 180px; background: var(--soft); border: 1px solid var(--line); border-radius: 3px; }
.bar .fill { position: absolute; left: 0; top: 0; bottom: 0; background: var(--bar); }
.bar .room { position: absolute; top: 0; bottom: 0;
  background: repeating-linear-gradient(45deg, var(--head) 0 4px, transparent 4px 8px); }
.bar .tick { position: absolute; top: -3px; bottom: -3px; width: 2px; background: var(--sa); }
.controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 6px 0; }
.controls input[type=search] { padding: 4px 8px; min-width: 240px; border: 1px solid var(--line); border-radius: 4px; font: inherit; }
ul.evidence { margin: 0; padding-left: 18px; } dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0; }
dl.kv.cols { grid-template-columns: repeat(4, max-content minmax(4em, 1fr)); }
dl.kv dt { color: var(--muted); } dl.kv dd { margin: 0; font-variant-numeric: tabular-nums; }
footer { margin-top: 32px; color: var(--muted); font-size: .85em; border-top: 1px solid var(--line); padding-top: 8px; }
details > summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  html { font-size: 10pt; } body { max-width: none; padding: 0; }
  .controls, .noprint { display: none !important; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; } tr, .verdict, .warn { break-inside: avoid; }
  thead { display: table-header-group; } tr[hidden] { display: table-row !important; }
  th.sortable::after { content: ""; }
  .scroll { overflow: visible; } #columns-table { font-size: 8pt; }
  #columns-table td.evidence, #columns-table td.decision, td.samples, td.path { min-width: 0; }
  td.entity { white-space: normal; } .bar { min-width: 90px; }
}
"""

# Sorting and filtering without a server. Reads only the DOM; no data is interpolated here.
SCRIPT = """
(function () {
  function key(td) {
    var v = td.getAttribute('data-sort');
    if (v === null) v = td.textContent.trim();
    var n = parseFloat(v);
    return (v !== '' && !isNaN(n) && isFinite(v)) ? n : v.toLowerCase();
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add('sortable');
      th.setAttribute('tabindex', '0');
      function sort() {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          if (typeof x !== typeof y) { x = String(x); y = String(y); }
          return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') sort(); });
    });
  });
  // Print everything: folded sections open before printing.
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details').forEach(function (d) { d.open = true; });
  });
  document.querySelectorAll('.controls[data-for]').forEach(function (box) {
    var table = document.getElementById(box.getAttribute('data-for'));
    var input = box.querySelector('input[type=search]');
    var flags = box.querySelectorAll('input[type=checkbox]');
    var shown = box.querySelector('.shown');
    function apply() {
      var q = input ? input.value.trim().toLowerCase() : '';
      var n = 0, rows = table.tBodies[0].rows;
      Array.prototype.forEach.call(rows, function (r) {
        var text = ((r.getAttribute('data-search') || '') + ' ' + r.textContent).toLowerCase();
        var ok = !q || text.indexOf(q) >= 0;
        Array.prototype.forEach.call(flags, function (f) {
          if (f.checked && r.getAttribute('data-' + f.value) !== '1') ok = false;
        });
        r.hidden = !ok;
        if (ok) n++;
      });
      if (shown) shown.textContent = n + ' / ' + rows.length;
    }
    if (input) input.addEventListener('input', apply);
    // report.html#filter=TEXT opens with the filter filled in (a link to share a view).
    var m = /^#filter=(.*)$/.exec(location.hash);
    if (input && m) { try { input.value = decodeURIComponent(m[1]); } catch (e) { input.value = m[1]; } }
    Array.prototype.forEach.call(flags, function (f) { f.addEventListener('change', apply); });
    apply();
  });
})();
"""


# --- sections -----------------------------------------------------------------------------------

def _context_html(report: Report, lang: str) -> str:
    c = report.context
    parts = [f"{esc(_label('ruleset', lang))} <b>{esc(report.ruleset)}</b>"]
    for key in ("sector", "scenario", "subject", "modality"):
        if c.get(key) is not None:
            parts.append(f"{esc(_label(key, lang))} <b>{_code(key, c[key], lang, sector=c.get('sector'))}</b>")
    if c.get("year") is not None:
        parts.append(f"{esc(_label('year', lang))} <b>{esc(c['year'])}</b>")
    if c.get("ciio"):
        parts.append(f"<b>{esc(_label('ciio', lang))}</b>")
    return " · ".join(parts)


def _verdict_section(report: Report, lang: str) -> str:
    path = report.verdict.get("path", "none")
    label, alt = _path_label(path, lang)
    items = report.verdict.get("items") or []
    p = report.persons
    rows = [
        (_label("required_by", lang), ", ".join(esc(i) for i in items) if items else esc(_label("no_item", lang))),
        (_label("persons_export", lang), f"{_num(p.personal)} ({esc(_label('sensitive_persons', lang))} {_num(p.sensitive)})"),
    ]
    if p.year_to_date:
        rows.append((_label("ytd", lang), f"{_num(p.year_to_date.get('personal'))} "
                     f"({esc(_label('sensitive_persons', lang))} {_num(p.year_to_date.get('sensitive'))})"))
    paths = report.verdict.get("paths") or []
    if len(paths) > 1:
        # The list's sections are cumulative: every path required, each with its items.
        rows.append((_label("every_path", lang), "<br>".join(
            f'<span data-path="{esc(q)}">{esc(_path_label(q, lang)[0])} ('
            + ", ".join(esc(i["id"]) for i in report.items if i.get("triggered") and i.get("path") == q)
            + ")</span>" for q in paths)))
    exporter = report.extra.get("exporter") or {}
    if exporter.get("reason"):
        rows.append((_label("exporter", lang), esc(_pick(exporter["reason"], lang))
                     + (f" · --outside-scope {esc(exporter['outside_scope'])}" if exporter.get("outside_scope") else "")))
    for other in report.extra.get("alternatives") or []:  # what the Beijing list would decide
        rows.append((_label("alternative", lang), f'<span id="alternative">{esc(_pick(other.get("reason") or {}, lang))}</span>'))
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows)
    out = [f'<section id="verdict" class="verdict {esc(path)}" data-path="{esc(path)}">',
           f'<div class="kicker">{esc(_label("verdict", lang))} · {esc(_label("path_required", lang))}</div>',
           f'<div class="path" id="verdict-path">{esc(label)}</div>',
           f'<div class="alt" title="{esc(path)}">{esc(alt)}'
           + (f' <span class="mono">({esc(path)})</span>' if lang != "zh" else "") + '</div>',
           f"<dl>{dl}</dl></section>",
           f'<p class="muted">{_context_html(report, lang)}</p>']
    if report.errors:
        out.append(f'<div class="warn" id="warn-incomplete">{esc(_label("incomplete", lang, n=len(report.errors)))}</div>')
    unreviewed = [c for c in report.important_data if c.get("status", "unreviewed") == "unreviewed"]
    if unreviewed:
        out.append(f'<div class="warn amber" id="warn-unreviewed">{esc(_label("unreviewed_warning", lang, n=len(unreviewed)))}: '
                   f'{", ".join(esc(c.get("item")) for c in unreviewed)}</div>')
    shared = report.persons.shared_contacts()
    if shared:
        figures = {k: (f"{v:,}" if isinstance(v, int) else v) for k, v in shared.items()}
        out.append(f'<div class="warn amber" id="warn-shared">{esc(_label("shared_warning", lang, **figures))}</div>')
    stale = (report.extra.get("decisions") or {}).get("stale") or []
    if stale:
        out.append(f'<div class="warn amber" id="warn-stale">{esc(_label("stale_warning", lang, n=len(stale)))}</div>')
    return "\n".join(out)


_NUMBER = re.compile(r"\d[\d,_]*")


def _threshold_numbers(threshold: Any) -> list[int]:
    """The numbers in a threshold such as ``">= 10000"`` or ``"100,000 – 1,000,000"``."""
    if isinstance(threshold, int | float):
        return [int(threshold)]
    return [int(m.replace(",", "").replace("_", "")) for m in _NUMBER.findall(str(threshold or ""))]


def _bar(count: Any, threshold: Any, headroom: Any) -> str:
    """Count as a filled bar, headroom as a hatched one after it, each threshold as a red tick."""
    if not isinstance(count, int):
        return ""
    marks = [n for n in _threshold_numbers(threshold) if n > 0]
    room = headroom if isinstance(headroom, int) and headroom > 0 else 0
    scale = max([count + room, *marks, 1]) * 1.08
    def pct(n: float) -> str:
        return f"{min(100.0, 100.0 * n / scale):.2f}%"

    parts = [f'<div class="fill" style="width:{pct(count)}"></div>']
    if room:
        parts.append(f'<div class="room" style="left:{pct(count)};width:{pct(room)}"></div>')
    parts += [f'<div class="tick" style="left:{pct(m)}" title="{esc(f"{m:,}")}"></div>' for m in marks]
    title = f"{count:,}" + (f" / {threshold}" if threshold else "")
    return f'<div class="bar" role="img" aria-label="{esc(title)}" title="{esc(title)}">{"".join(parts)}</div>'


def _items_table(items: list[dict[str, Any]], lang: str, table_id: str) -> str:
    head = [("item", ""), ("path", ""), ("count", "num"), ("threshold", ""), ("headroom", "num"), ("bar", ""), ("reason", "")]
    rows = []
    for i in items:
        title = _pick(i.get("title"), lang)
        label, _ = _path_label(i.get("path", ""), lang)
        count = i.get("count")
        rows.append(
            f'<tr data-item="{esc(i.get("id"))}"><td class="mono">{esc(i.get("id"))}'
            + (f'<div class="muted">{esc(title)}</div>' if title else "")
            + f'</td><td>{esc(label)}</td>'
            f'<td class="num" data-sort="{esc(count if isinstance(count, int) else "")}">{_num(count)}</td>'
            f'<td class="mono nowrap">{esc(i.get("threshold") or "—")}</td>'
            f'<td class="num" data-sort="{esc(i.get("headroom") if isinstance(i.get("headroom"), int) else "")}">{_num(i.get("headroom"))}</td>'
            f'<td>{_bar(count, i.get("threshold"), i.get("headroom"))}</td>'
            f'<td>{esc(_pick(i.get("reason"), lang))}</td></tr>')
    ths = "".join(f'<th class="{cls}">{esc(_label(k, lang))}</th>' for k, cls in head)
    return (f'<table id="{table_id}" class="sortable"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _items_section(report: Report, lang: str) -> str:
    triggered = triggered_items(report)
    others = [i for i in report.items if not i.get("triggered")]
    out = [f'<h2 id="items">{esc(_label("triggered_items", lang))}</h2>']
    if triggered:
        out.append(_items_table(triggered, lang, "items-table"))
    else:
        out.append(f'<p class="muted">{esc(_label("no_item", lang))}</p>')
    if others:
        out.append(f'<details><summary>{esc(_label("other_items", lang, n=len(others)))}</summary>'
                   f'{_items_table(others, lang, "other-items-table")}</details>')
    return "\n".join(out)


def _decided_text(d: dict[str, Any], lang: str) -> str:
    who = d.get("who") or "?"
    when = d.get("when") or "?"
    text = _label("decided_by", lang, who=who, when=when)
    return esc(text) + (f"{esc(_label('colon', lang))}{esc(d.get('why'))}" if d.get("why") else "")


def _entity_of(decision: dict[str, Any], lang: str) -> str:
    """The entity a decision names (confirmed or overridden to), by its name in ``lang``."""
    entity = decision.get("entity")
    if not entity:
        return ""
    return f' <span class="mono">{esc(name("entity", entity, lang) if lang == "zh" else entity)}</span>'


def _important_section(report: Report, lang: str) -> str:
    if not report.important_data:
        return ""
    head = ["item", "status", "evidence", "decision"]
    rows = []
    order = {"unreviewed": 0, "confirmed": 1, "dismissed": 2}
    for c in sorted(report.important_data, key=lambda c: order.get(c.get("status", "unreviewed"), 3)):
        status = c.get("status", "unreviewed")
        evidence = "".join(f"<li>{esc(candidate_evidence(e, c, lang))}</li>" for e in c.get("evidence") or [])
        if c.get("rules"):  # the rules that raised it (automotive.4#1, table:sensitive_area)
            rules = ("、" if lang == "zh" else ", ").join(rule_text(r, lang) for r in c["rules"])
            evidence += f'<li class="muted rules">{esc(_label("raised_by", lang))}{esc(_label("colon", lang))}{esc(rules)}</li>'
        reason = _pick(c.get("reason"), lang)
        decision = c.get("decision")
        rows.append(
            f'<tr class="{esc(status)}" data-item="{esc(c.get("item"))}"><td class="mono">{esc(c.get("item"))}'
            + (f'<div class="muted">{esc(reason)}</div>' if reason else "")
            + f'</td><td><span class="badge {esc(status)}">{esc(_label(status, lang) if status in LABELS else status)}</span></td>'
            f'<td><ul class="evidence">{evidence}</ul></td>'
            f'<td>{_decided_text(decision, lang) if decision else ""}</td></tr>')
    ths = "".join(f"<th>{esc(_label(k, lang))}</th>" for k in head)
    return (f'<h2 id="important">{esc(_label("important", lang))}</h2>'
            f'<table id="important-table" class="sortable"><thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _persons_section(report: Report, lang: str) -> str:
    p = report.persons
    rows = [(_label("persons_export", lang), _num(p.personal)), (_label("sensitive_persons", lang), _num(p.sensitive))]
    if p.minors:
        rows.append((_label("minors", lang), _num(p.minors)))
    if p.keyless_rows:
        rows.append((_label("keyless", lang), f"{_num(p.keyless_rows)} <span class='muted'>({_code('policy', p.keyless_policy, lang)})</span>"))
    out = [f'<h2 id="persons">{esc(_label("persons", lang))}</h2>',
           '<dl class="kv">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"]
    if p.by_entity:
        out.append(f"<h3>{esc(_label('by_entity', lang))}</h3>")
        out.append('<dl class="kv cols">' + "".join(f'<dt class="{"" if lang == "zh" else "mono"}" title="{esc(k)}">'
                                                  f'{_code("entity", k, lang)}</dt><dd>{_num(v)}</dd>'
                                                  for k, v in sorted(p.by_entity.items())) + "</dl>")
    if p.by_subject:
        out.append(f"<h3>{esc(_label('by_subject', lang))}</h3>")
        out.append('<dl class="kv">' + "".join(
            f'<dt title="{esc(k)}">{_code("subject", k, lang, sector=report.context.get("sector"))}</dt><dd>{_num(v.get("personal") if isinstance(v, dict) else v)}'
            + (f' ({esc(_label("sensitive_persons", lang))} {_num(v.get("sensitive"))})' if isinstance(v, dict) else "")
            + "</dd>" for k, v in sorted(p.by_subject.items())) + "</dl>")
    return "\n".join(out)


def _files_section(report: Report, lang: str) -> str:
    head = [("file", ""), ("format", ""), ("encoding", ""), ("rows", "num"), ("size", "num"), ("columns", "num"),
            ("personal_columns", "num"), ("status", "")]
    rows = []
    for f in report.files:
        personal = sum(1 for c in f.columns if c.entity)
        status = (f'<span class="badge sens">{esc(_label("error", lang))}</span> {esc(f.error)}' if f.error
                  else esc(_label("ok", lang)))
        rows.append(
            f'<tr class="{"error" if f.error else ""}"><td class="mono">{esc(f.path)}</td><td>{esc(f.format or "")}</td>'
            f'<td>{esc(f.encoding or "")}</td><td class="num" data-sort="{f.rows}">{_num(f.rows)}</td>'
            f'<td class="num" data-sort="{esc(f.size_bytes or 0)}">{_num(f.size_bytes)}</td>'
            f'<td class="num">{len(f.columns)}</td><td class="num">{personal}</td><td>{status}</td></tr>')
    ths = "".join(f'<th class="{cls}">{esc(_label(k, lang))}</th>' for k, cls in head)
    return (f'<h2 id="files">{esc(_label("files", lang))}</h2>'
            f'<table id="files-table" class="sortable"><thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _entity_cell(c, lang: str) -> str:
    d = c.decision
    mono = "" if lang == "zh" else "mono"
    if not d:
        return f'<span class="{mono}" title="{esc(c.entity or "")}">{_code("entity", c.entity, lang)}</span>'
    detected = d.get("detected_entity")
    action = d.get("action")
    if action == "override" and d.get("changed"):
        return (f'<span class="{mono}">{_code("entity", d.get("entity"), lang)}</span> '
                f'<del class="{mono}" title="{esc(_label("detected", lang))}">{_code("entity", detected, lang)}</del>')
    if action == "not_personal":
        return (f'<span class="badge decided">{esc(_label("action_not_personal", lang))}</span> '
                f'<del class="{mono}" title="{esc(_label("detected", lang))}">{_code("entity", detected, lang)}</del>')
    return f'<span class="{mono}">{_code("entity", d.get("entity") or c.entity, lang)}</span>'


def _decision_cell(c, lang: str) -> str:
    d = c.decision
    if not d:
        return ""
    action = d.get("action", "")
    label = _label(f"action_{action}", lang) if f"action_{action}" in LABELS else action
    if action == "override":
        label = f"{label} {name('entity', d.get('entity'), lang) if lang == 'zh' else d.get('entity')}"
    out = f'<span class="badge decided">{esc(label)}</span> {_decided_text(d, lang)}'
    if d.get("outdated"):
        out += f'<div class="warn amber">{esc(_label("outdated", lang))}</div>'
    return out


def _columns_section(report: Report, lang: str) -> str:
    head = [("file", ""), ("column", ""), ("entity", ""), ("confidence", "num"), ("valid", "num"), ("samples", ""),
            ("evidence", ""), ("decision", "")]
    rows = []
    for f in report.files:
        for c in f.columns:
            personal = bool(c.entity) or bool(c.decision and c.decision.get("detected_entity"))
            decided = c.decision is not None
            not_personal = not c.entity or bool(decided and c.decision.get("action") == "not_personal")
            classes = " ".join(k for k, on in (("decided", decided), ("not-personal", not_personal)) if on)
            sens = f' <span class="badge sens">{esc(_label("sensitive", lang))}</span>' if c.sensitive else ""
            category = f'<div class="muted">{_code("category", c.category, lang)}</div>' if c.category else ""
            conf = f"{c.confidence:.2f}" if c.entity else ""
            valid = f"{c.match_rate:.0%}" if c.entity else ""
            rows.append(
                f'<tr class="{classes}" data-personal="{int(personal)}" data-sensitive="{int(bool(c.sensitive))}" '
                f'data-decided="{int(decided)}" data-search="{esc(" ".join([*c.entities, c.category or ""]))}">'
                f'<td class="mono path">{esc(f.path)}</td><td>{esc(c.name)}</td>'
                f'<td class="entity" data-sort="{esc(c.entity or "")}">{_entity_cell(c, lang)}{sens}{category}</td>'
                f'<td class="num" data-sort="{c.confidence if c.entity else -1}">{conf}</td>'
                f'<td class="num" data-sort="{c.match_rate if c.entity else -1}">{valid}</td>'
                f'<td class="samples">{"<br>".join(esc(sample_text(s, c.entity, lang)) for s in c.samples)}</td>'
                f'<td class="evidence">{esc(evidence_text(c.evidence, lang))}</td>'
                f'<td class="decision">{_decision_cell(c, lang)}</td></tr>')
    ths = "".join(f'<th class="{cls}">{esc(_label(k, lang))}</th>' for k, cls in head)
    flags = "".join(f'<label><input type="checkbox" value="{k}"> {esc(_label("only_" + k, lang))}</label>'
                    for k in ("personal", "sensitive", "decided"))
    controls = (f'<div class="controls" data-for="columns-table"><input type="search" aria-label="filter" '
                f'placeholder="{esc(_label("filter", lang))}">{flags}'
                f'<span class="muted">{esc(_label("shown", lang))}: <span class="shown"></span> · '
                f'{esc(_label("sort_hint", lang))}</span></div>')
    return (f'<h2 id="columns">{esc(_label("columns", lang))}</h2>{controls}'
            f'<div class="scroll"><table id="columns-table" class="sortable"><thead><tr>{ths}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _changed_to(change: dict[str, Any], lang: str) -> str:
    if change.get("action") == "not_personal":
        return _label("action_not_personal", lang)
    to = change.get("to")
    if change.get("kind") == "important" and to in LABELS:
        return _label(to, lang)
    if change.get("kind") == "column" and to and lang == "zh":
        return name("entity", to, lang)
    return to or "—"


def _changed_from(change: dict[str, Any], lang: str) -> str:
    was = change.get("from")
    if not was or lang != "zh":
        return was or "—"
    return name("status" if change.get("kind") == "important" else "entity", was, lang)


def _decision_word(decision: dict[str, Any], lang: str) -> str:
    """A recorded decision's action or status in words (``not_personal`` is "非个人信息" in Chinese)."""
    action, status = decision.get("action"), decision.get("status")
    if action and f"action_{action}" in LABELS:
        return _label(f"action_{action}", lang)
    if status and status in LABELS:
        return _label(status, lang)
    return action or status or ""


def _decisions_section(report: Report, lang: str) -> str:
    info = report.extra.get("decisions")
    if not info:
        return ""
    out = [f'<h2 id="decisions">{esc(_label("decisions", lang))}</h2>', '<dl class="kv">',
           f'<dt>{esc(_label("decisions_file", lang))}</dt><dd class="mono">{esc(info.get("file") or "—")}</dd>',
           f'<dt>{esc(_label("applied", lang))}</dt><dd>{_num(info.get("applied", 0))}</dd></dl>']
    changed = info.get("changed") or []
    if changed:
        out.append(f"<h3>{esc(_label('changed', lang))}</h3><ul>")
        for ch in changed:
            what = ch.get("item") if ch.get("kind") == "important" else f"{ch.get('file')} › {ch.get('column')}"
            out.append(f'<li><span class="mono">{esc(what)}</span>: {esc(_label("from", lang))} '
                       f'<del class="mono">{esc(_changed_from(ch, lang))}</del>, {esc(_label("to", lang))} '
                       f'<b class="mono">{esc(_changed_to(ch, lang))}</b> '
                       f'<span class="muted">({esc(_label("decided_by", lang, who=ch.get("who") or "?", when=ch.get("when") or "?"))})</span></li>')
        out.append("</ul>")
    stale = info.get("stale") or []
    if stale:
        out.append(f"<h3>{esc(_label('stale', lang))}</h3>")
        rows = []
        for s in stale:
            what = s.get("item") if s.get("kind") == "important" else f"{s.get('file')} › {s.get('column')}"
            rows.append(f'<tr class="unreviewed"><td class="mono">{esc(what)}</td>'
                        f'<td>{esc(_decision_word(s, lang))}{_entity_of(s, lang)}</td>'
                        f'<td>{esc(stale_reason(s, lang))}</td><td>{_decided_text(s, lang)}</td></tr>')
        ths = "".join(f"<th>{esc(_label(k, lang))}</th>" for k in ("column", "decision", "reason", "who_why"))
        out.append(f'<table id="stale-table"><thead><tr>{ths}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    return "\n".join(out)


def _errors_section(report: Report, lang: str) -> str:
    if not report.errors:
        return ""
    return (f'<h2 id="errors">{esc(_label("errors", lang))}</h2><ul id="errors-list">'
            + "".join(f'<li class="mono">{esc(e)}</li>' for e in report.errors) + "</ul>")


def _ytd_section(report: Report, lang: str) -> str:
    ytd = report.persons.year_to_date
    if not ytd:
        return ""
    rows = []
    for key, value in ytd.items():
        if isinstance(value, dict | list):
            continue
        label = _label(key, lang) if key in LABELS else key
        rows.append(f'<dt>{esc(label)}</dt><dd>{_num(value)}</dd>')
    out = [f'<h2 id="ytd">{esc(_label("ytd", lang))}</h2><dl class="kv">{"".join(rows)}</dl>']
    by_entity = ytd.get("by_entity")
    if isinstance(by_entity, dict) and by_entity:
        out.append(f"<h3>{esc(_label('by_entity', lang))}</h3>")
        out.append('<dl class="kv">' + "".join(f'<dt title="{esc(k)}">{_code("entity", k, lang)}</dt><dd>{_num(v)}</dd>'
                                             for k, v in sorted(by_entity.items())) + "</dl>")
    transfers = ytd.get("transfers")
    if isinstance(transfers, list) and transfers and all(isinstance(t, dict) for t in transfers):
        keys = list(dict.fromkeys(k for t in transfers for k in t if not isinstance(t[k], dict | list)))
        ths = "".join(f"<th>{esc(k)}</th>" for k in keys)
        body = "".join("<tr>" + "".join(f"<td>{esc(t.get(k, ''))}</td>" for k in keys) + "</tr>" for t in transfers)
        out.append(f'<table id="ytd-table" class="sortable"><thead><tr>{ths}</tr></thead><tbody>{body}</tbody></table>')
    return "\n".join(out)


def _notes_section(report: Report, lang: str) -> str:
    notes = report.extra.get("notes")
    if not notes:
        return ""
    items = "".join(f"<li>{esc(_pick(n, lang))}</li>" for n in notes)
    return f'<h2 id="notes">{esc(_label("notes", lang))}</h2><ul>{items}</ul>'


# --- the page -----------------------------------------------------------------------------------

def render_html(report: Report, lang: str = "en") -> str:
    """The report as one self-contained HTML5 page in ``lang`` (``zh`` or ``en``)."""
    lang = "zh" if str(lang).lower().startswith("zh") else "en"
    path = report.verdict.get("path", "none")
    label, _ = _path_label(path, lang)
    title = f"{_label('title', lang)}: {label}"
    generated = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    body = [
        f"<header><h1>{esc(_label('title', lang))}</h1></header>",
        _verdict_section(report, lang),
        _items_section(report, lang),
        _important_section(report, lang),
        _persons_section(report, lang),
        _files_section(report, lang),
        _columns_section(report, lang),
        _decisions_section(report, lang),
        _errors_section(report, lang),
        _ytd_section(report, lang),
        _notes_section(report, lang),
        f'<footer>chujing {esc(__version__)} · chujing.report/1 · {esc(_label("ruleset", lang))} {esc(report.ruleset)} · '
        f'{esc(_label("generated", lang))} {esc(generated)}</footer>',
    ]
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No network: forbid every external load, allow only this page's inline style and script.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + f"\n<script>{SCRIPT}</script>\n</body></html>\n"
    )
