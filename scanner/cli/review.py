"""``chujing review``: walk a scan's open questions in the terminal and record the decisions.

The open questions of a report are: columns classified with low confidence (< 0.9) or from
their header alone, sensitive columns nobody has decided on yet, important-data candidates not
yet reviewed, and recorded decisions that no longer match anything (a renamed column). Each
answer is written to the decisions file (docs/review.md) that ``chujing scan --decisions``
applies next time, with who decided, when and why.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
from dataclasses import dataclass, field
from typing import Any

import click

from scanner.cli.common import Interrupted, fail, report_language, shown
from scanner.report.labels import candidate_evidence, evidence_text, name, stale_reason, ui
from scanner.report.model import EXIT_ERROR, SCHEMA
from scanner.report.text import safe_terminal as _safe_terminal
from scanner.review.decisions import (
    ColumnDecision,
    Decisions,
    ImportantDecision,
    load_decisions,
    match_rank,
    relative_to_root,
    scan_root,
)

DEFAULT_DECISIONS = "chujing-decisions.yaml"
LOW_CONFIDENCE = 0.9
_ENTITY_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class ReviewStopped(Exception):
    """The answers ran out (no terminal, end of input) or the reviewer pressed Ctrl-C."""


@dataclass
class Question:
    kind: str  # column | important | stale
    why_asked: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # label keys and their values
    file: str = ""
    column: dict[str, Any] = field(default_factory=dict)
    candidate: dict[str, Any] = field(default_factory=dict)
    stale: dict[str, Any] = field(default_factory=dict)


def report_shape_problem(report: dict[str, Any]) -> str | None:
    """What makes ``report`` unusable for a review (the parts the review reads), or None."""
    files = report.get("files")
    if files is not None and not isinstance(files, list):
        return "'files' is not a list"
    for i, f in enumerate(files or []):
        if not isinstance(f, dict) or not isinstance(f.get("path"), str):
            return f"files[{i}] is not a file entry with a path"
        columns = f.get("columns")
        if columns is not None and not isinstance(columns, list):
            return f"files[{i}].columns is not a list"
        for j, c in enumerate(columns or []):
            if not isinstance(c, dict) or not isinstance(c.get("name"), str):
                return f"files[{i}].columns[{j}] is not a column with a name"
            for key, kinds in (("entity", (str, type(None))), ("evidence", (str, type(None))),
                               ("confidence", (int, float, type(None))), ("decision", (dict, type(None))),
                               ("samples", (list, type(None)))):
                if not isinstance(c.get(key), kinds):
                    return f"files[{i}].columns[{j}].{key} has the wrong type"
    important = report.get("important_data")
    if important is not None and not isinstance(important, list):
        return "'important_data' is not a list"
    for i, candidate in enumerate(important or []):
        if not isinstance(candidate, dict) or not isinstance(candidate.get("item"), str | None):
            return f"important_data[{i}] is not a candidate with an item"
    return None



def _t(value: Any) -> str:
    """Text from the report, safe on a terminal."""
    return _safe_terminal("" if value is None else value)


def _header_only(evidence: str) -> bool:
    return evidence.startswith("header names it") or evidence.startswith("named as a person key")


def _detected(column: dict[str, Any]) -> str | None:
    decision = column.get("decision") or {}
    return decision["detected_entity"] if "detected_entity" in decision else column.get("entity")


def open_questions(report: dict[str, Any], decisions: Decisions, review_all: bool = False) -> list[Question]:
    """What the reviewers still have to decide for this report, in the order they are asked."""
    questions: list[Question] = []
    seen_columns: set[tuple[str, str]] = set()
    for f in report.get("files") or []:
        if f.get("error"):
            continue
        names = [c["name"] for c in f.get("columns") or []]
        for c in f.get("columns") or []:
            seen_columns.add((f["path"], c["name"]))
            detected = _detected(c)
            if detected is None:
                continue
            existing = decisions.column(f["path"], c["name"], names)
            if existing is not None and not (existing.action == "confirm" and existing.entity
                                             and existing.entity != detected):
                continue
            reasons: list[tuple[str, dict[str, Any]]] = []
            if existing is not None:
                reasons.append(("review_why_confirmed_other",
                                {"entity": existing.entity, "when": existing.when, "detected": detected}))
            if float(c.get("confidence") or 0) < LOW_CONFIDENCE:
                reasons.append(("review_why_low", {"confidence": f"{float(c.get('confidence') or 0):.2f}"}))
            if _header_only(c.get("evidence") or ""):
                reasons.append(("review_why_header", {}))
            if c.get("sensitive"):
                reasons.append(("review_why_sensitive", {}))
            if reasons or review_all:
                questions.append(Question("column", reasons or [("review_why_all", {})], file=f["path"], column=c))
    seen_items: set[str] = set()
    for candidate in report.get("important_data") or []:
        seen_items.add(candidate.get("item"))
        if decisions.important(candidate.get("item")) is not None:
            continue
        if candidate.get("status", "unreviewed") == "unreviewed":
            questions.append(Question("important", [("review_why_candidate", {})], candidate=candidate))
    for entry in decisions.stale(seen_columns, seen_items):
        questions.append(Question("stale", [], stale=entry))
    return questions


# --- the conversation ---------------------------------------------------------------------------

def _ask(text: str, lang: str = "en", **kwargs: Any) -> Any:
    if lang == "zh":
        kwargs.setdefault("prompt_suffix", "：")
    try:
        return click.prompt(text, **kwargs)
    except click.Abort:
        raise ReviewStopped() from None


def _choose(text: str, options: list[str], lang: str) -> str:
    """One of ``options``, asked again (in ``lang``) until the answer is one."""
    while True:
        answer = str(_ask(text, lang, type=str)).strip()
        if answer in options:
            return answer
        click.echo(ui("review_choose", lang, options=", ".join(_t(o) for o in options)))


def _ask_why(required: bool, lang: str) -> str:
    if required:
        return _ask(ui("review_why_required", lang), lang, type=str).strip()
    return _ask(ui("review_why_optional", lang), lang, default="", show_default=False, type=str).strip()


def _ask_entity(known: list[str], lang: str) -> str:
    """An entity chujing knows (a detector's, or one the report found): asked again until it is."""
    while True:
        entity = _ask(ui("review_entity", lang), lang, type=str).strip().upper()
        if not (entity and entity[0].isalpha() and set(entity) <= _ENTITY_CHARS):
            click.echo(ui("review_entity_shape", lang))
            continue
        if known and entity not in known:
            import difflib

            close = difflib.get_close_matches(entity, known, n=3)
            hint = ui("review_did_you_mean", lang, names=", ".join(close)) if close else ""
            click.echo(ui("review_entity_unknown", lang, entity=_t(entity), close=hint))
            continue
        return entity


def _entity_words(entity: str | None, lang: str) -> str:
    """An entity as the reviewer reads it: in Chinese its name with the code typed at the prompts."""
    if not entity:
        return "—"
    if lang != "zh":
        return _t(entity)
    named = name("entity", entity, lang)
    return _t(named if named == entity else f"{named}（{entity}）")


def _why_asked(q: Question, lang: str) -> str:
    words = []
    for key, values in q.why_asked:
        if key == "review_why_confirmed_other":
            values = {**values, "entity": _entity_words(values["entity"], lang),
                      "detected": _entity_words(values["detected"], lang)}
        words.append(ui(key, lang, **values))
    return ("；" if lang == "zh" else "; ").join(words)


def _show_column(q: Question, index: int, total: int, lang: str) -> None:
    c = q.column
    detected = _detected(c)
    click.echo("")
    click.secho(ui("review_column", lang, i=index, n=total, column=_t(c["name"]), file=_t(q.file)), bold=True)
    category = c.get("category")
    facts = (_entity_words(detected, lang) + (ui("review_sensitive", lang) if c.get("sensitive") else "")
             + (("，" + _t(name("category", category, lang)) if lang == "zh" else f", {_t(category)}")
                if category else ""))
    click.echo(ui("review_detected", lang, facts=facts, confidence=f"{float(c.get('confidence') or 0):.2f}",
                  valid=f"{float(c.get('match_rate') or 0):.0%}"))
    if c.get("evidence"):
        click.echo(ui("review_evidence", lang, text=_t(evidence_text(c["evidence"], lang))))
    samples = ", ".join(_t(s) for s in c.get("samples") or [])
    click.echo(ui("review_samples", lang, text=samples or "—"))
    click.echo(ui("review_asked", lang, text=_why_asked(q, lang)))


def _show_important(q: Question, index: int, total: int, lang: str) -> None:
    c = q.candidate
    click.echo("")
    click.secho(ui("review_candidate", lang, i=index, n=total, item=_t(c.get("item"))), bold=True)
    reason = c.get("reason")
    if isinstance(reason, dict):
        reason = reason.get(lang) or reason.get("en") or reason.get("zh")
    if reason:
        click.echo(ui("review_reason", lang, text=_t(reason)))
    for e in c.get("evidence") or []:
        click.echo(ui("review_evidence", lang, text=_t(candidate_evidence(e, c, lang))))


def _decision_words(s: dict[str, Any], lang: str) -> str:
    """A recorded decision's action or status in words, with the entity it names."""
    action, status = s.get("action"), s.get("status")
    key = f"action_{action}" if action else status
    try:
        words = ui(key, lang) if key else "?"
    except KeyError:  # a value of a newer chujing: shown as it is
        words = _t(action or status)
    return words + (f" {_entity_words(s.get('entity'), lang)}" if s.get("entity") else "")


def _show_stale(q: Question, index: int, total: int, lang: str) -> None:
    s = q.stale
    what = (_t(s.get("item")) if s.get("kind") == "important"
            else ui("review_stale_column", lang, column=_t(s.get("column")), file=_t(s.get("file"))))
    click.echo("")
    click.secho(ui("review_stale", lang, i=index, n=total, what=what), bold=True)
    click.echo(ui("review_decided", lang, decision=_decision_words(s, lang), who=_t(s.get("who") or "?"),
                  when=_t(s.get("when") or "?"), why=_t(s.get("why"))))
    click.echo(ui("review_now", lang, text=_t(stale_reason(s, lang))))


def _columns_for(report: dict[str, Any], pattern: str) -> list[str]:
    """Column names of the files ``pattern`` matches (of every file when it matches none)."""
    files = [f for f in report.get("files") or [] if not f.get("error")]
    matching = [f for f in files if match_rank(pattern, f["path"]) is not None] or files
    return list(dict.fromkeys(c["name"] for f in matching for c in f.get("columns") or []))


def _known_entities(report: dict[str, Any] | None = None) -> list[str]:
    """The built-in detectors' entities and those the report found (your own detectors')."""
    found = {e for f in (report or {}).get("files") or [] for c in f.get("columns") or []
             for e in [c.get("entity"), *(c.get("entities") or [])] if isinstance(e, str)}
    try:
        from detectors.registry import builtin_detectors

        return sorted({d.entity for d in builtin_detectors()} | found)
    except Exception:  # a broken detector must not stop a review
        return sorted(found)


def run_review(report: dict[str, Any], decisions: Decisions, who: str | None, review_all: bool = False,
               today: _dt.date | None = None, lang: str = "en") -> tuple[int, int, int]:
    """Ask every open question; record the answers in ``decisions``. Returns (asked, answered, left)."""
    questions = open_questions(report, decisions, review_all)
    if not questions:
        return 0, 0, 0
    when = (today or _dt.date.today()).isoformat()
    total = len(questions)
    root = scan_root([f["path"] for f in report.get("files") or [] if f.get("path")])
    known = _known_entities(report)
    path = report.get("verdict", {}).get("path", "none")
    click.echo(ui("review_start", lang, path=_t(name("path", path, lang)), n=total))
    if not who:
        who = _ask(ui("review_who", lang), lang, default=_default_who()).strip()
    answered = 0
    for index, q in enumerate(questions, 1):
        if q.kind == "column":
            _show_column(q, index, total, lang)
            choice = _choose(ui("review_column_choices", lang), ["c", "o", "n", "s", "q"], lang)
            if choice == "q":
                return total, answered, total - index + 1
            if choice == "s":
                continue
            detected = _detected(q.column)
            file_pattern = relative_to_root(q.file, root)
            if choice == "c":
                decision = ColumnDecision(file_pattern, q.column["name"], "confirm", detected, who, when,
                                          _ask_why(False, lang))
            elif choice == "o":
                entity = _ask_entity(known, lang)
                decision = ColumnDecision(file_pattern, q.column["name"], "override", entity, who, when,
                                          _ask_why(True, lang))
            else:
                decision = ColumnDecision(file_pattern, q.column["name"], "not_personal", None, who, when,
                                          _ask_why(True, lang))
            decisions.set_column(decision)
        elif q.kind == "important":
            _show_important(q, index, total, lang)
            choice = _choose(ui("review_candidate_choices", lang), ["c", "d", "s", "q"], lang)
            if choice == "q":
                return total, answered, total - index + 1
            if choice == "s":
                continue
            status = "confirmed" if choice == "c" else "dismissed"
            decisions.set_important(ImportantDecision(q.candidate["item"], status, who, when,
                                                      _ask_why(status == "dismissed", lang)))
        else:
            _show_stale(q, index, total, lang)
            is_column = q.stale.get("kind") == "column"
            options = ["k", "r", "m", "q"] if is_column else ["k", "r", "q"]
            prompt = ui("review_stale_choices", lang, move=ui("review_move", lang) if is_column else "")
            choice = _choose(prompt, options, lang)
            if choice == "q":
                return total, answered, total - index + 1
            if choice == "k":
                continue
            if choice == "m":
                names = _columns_for(report, q.stale["file"])
                click.echo(ui("review_columns", lang, names=", ".join(_t(n) for n in names)))
                new_name = _choose(ui("review_new_column", lang), names, lang)
                old = q.stale
                decisions.remove_stale(old)
                note = f"moved from column '{old['column']}' by {who} on {when}"
                decisions.set_column(ColumnDecision(old["file"], new_name, old["action"], old.get("entity"), old.get("who", ""),
                                                    old.get("when", ""), f"{old.get('why', '')} ({note})".strip()))
            else:
                decisions.remove_stale(q.stale)
        answered += 1
    return total, answered, 0


def _default_who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container
        return "reviewer"


@click.command("review")
@click.argument("report_path", metavar="REPORT.json", type=click.Path(exists=True, dir_okay=False))
@click.option("--decisions", "decisions_path", type=click.Path(dir_okay=False), default=None,
              help=f"The decisions file to write or update (default: the one the report was scanned with, else ./{DEFAULT_DECISIONS}).")
@click.option("--who", default=None, envvar="CHUJING_REVIEWER",
              help="Who decides, recorded with each decision (default: asked; or $CHUJING_REVIEWER).")
@click.option("--all", "review_all", is_flag=True, help="Ask about every personal column, not only the open questions.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
              help="Language of the questions (default: [report] lang in chujing.toml, else zh under a Chinese "
                   "locale: LC_ALL, LC_MESSAGES or LANG starting with zh). Answers are the same letters.")
def review_command(report_path: str, decisions_path: str | None, who: str | None, review_all: bool,
                   lang: str | None) -> None:
    """Walk a report's open questions and record the decisions for the next scan.

    Asks about columns found with low confidence or from their header alone, sensitive
    columns not yet decided, important-data candidates not yet reviewed, and decisions that no
    longer match anything. Shows the masked samples and the evidence; writes each answer, with
    who, when and why, to the decisions file, which `chujing scan --decisions` applies.

    \b
    Examples:
      chujing scan exports/ --sector automotive --format json -o report.json
      chujing review report.json --decisions exports/chujing-decisions.yaml --who "Li Wei"
      chujing scan exports/ --sector automotive --decisions exports/chujing-decisions.yaml
    """
    lang = report_language(lang)
    try:
        with open(report_path, encoding="utf-8") as fh:
            report = json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{shown(report_path)}: not a chujing JSON report ({type(exc).__name__}); write one with --format json")
    except RecursionError:  # nesting deeper than Python's JSON decoder goes: no report is like that
        fail(f"{shown(report_path)}: not a chujing JSON report (nested too deeply to read); write one with "
              f"chujing scan --format json", EXIT_ERROR)
    if not isinstance(report, dict) or report.get("schema") != SCHEMA:
        fail(f"{shown(report_path)}: not a chujing JSON report (no schema '{SCHEMA}'); write one with --format json")
    problem = report_shape_problem(report)
    if problem:
        fail(f"{shown(report_path)}: a chujing report of the wrong shape ({problem}); write it again with "
              f"chujing scan --format json", EXIT_ERROR)
    if decisions_path is None:
        decisions_path = (report.get("decisions") or {}).get("file") or DEFAULT_DECISIONS
    try:
        decisions = load_decisions(decisions_path)
        decisions.check_entities(set(_known_entities(report)))
    except ValueError as exc:
        fail(str(exc))
    before = decisions.dumps()
    try:
        asked, answered, left = run_review(report, decisions, who, review_all, lang=lang)
    except Interrupted:
        if decisions.dumps() != before:  # Ctrl-C keeps what was decided, as [q] does
            decisions.save(decisions_path)
        raise
    except ReviewStopped:
        # Nothing answered: leave the file as it was. A partial review keeps what was decided.
        if decisions.dumps() != before:
            decisions.save(decisions_path)
            fail(f"review stopped before the end; the decisions made so far are saved in {shown(decisions_path)}")
        fail("review needs answers and stdin gave none: run it in a terminal (or pipe the answers in)")
    if asked == 0:
        n = len(decisions)
        click.echo(ui("review_nothing", lang, report=_t(shown(report_path)))
                   + (ui("review_nothing_decisions", lang, n=n, path=_t(shown(decisions_path))) if n else ui("period", lang)))
        return
    click.echo("")
    left = asked - answered  # skipped (and kept stale) questions stay open too
    if decisions.dumps() == before:
        click.echo(ui("review_no_change", lang, path=_t(shown(decisions_path)), n=left))
        return
    decisions.save(decisions_path)
    click.echo(ui("review_saved", lang, n=len(decisions), path=_t(shown(decisions_path)))
               + (ui("review_left", lang, n=left) if left else ui("period", lang)))
    click.echo(ui("review_apply", lang, path=_t(shown(decisions_path))))
