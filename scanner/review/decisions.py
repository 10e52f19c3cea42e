"""Recorded decisions: what the people reviewing a scan decided, so the next scan does not ask again.

A decisions file is YAML, meant to live in the user's repository beside the export definition,
and diffs line by line in a pull request::

    version: 1
    columns:
    - file: exports/owners.csv
      column: 证件号码
      action: confirm            # confirm | override | not_personal
      entity: CN_RESIDENT_ID     # the entity confirmed, or the one it is overridden to
      who: Li Wei
      when: '2026-05-04'
      why: checked with the data owner
    important:
    - item: automotive.3
      status: dismissed          # confirmed | dismissed
      who: Li Wei
      when: '2026-05-04'
      why: the coordinates are of charging stations in a public map, not of persons

How a decision's ``file`` matches a scanned file (so that it survives a move of the folder):

1. the same path (``/`` or ``\\`` separators, a leading ``./`` ignored);
2. otherwise the scanned path *ends with* the decision's path, component by component:
   ``exports/owners.csv`` matches ``/data/2026-05/exports/owners.csv``, and a bare file name
   ``owners.csv`` matches an ``owners.csv`` in any folder;
3. otherwise the decision's path is a glob (``*``, ``?``, ``[``) and matches as many trailing
   components of the scanned path: ``owners_*.csv`` matches ``…/owners_2026_05.csv``.

When several decisions match one column, the most specific wins: the same path, then the
longest trailing match, then the glob with the most literal characters. ``chujing review``
writes paths relative to the scan root (the deepest folder holding every scanned file).

``not_personal`` and ``dismissed`` lower what the verdict is judged on, so they need a ``why``;
``override`` needs the ``entity``.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

VERSION = 1
COLUMN_ACTIONS = ("confirm", "override", "not_personal")
IMPORTANT_STATUSES = ("confirmed", "dismissed")
_ENTITY = re.compile(r"^[A-Z][A-Z0-9_]*$")
_GLOB = re.compile(r"[*?\[]")


@dataclass
class ColumnDecision:
    """A decision on one column of one file (or of every file the ``file`` pattern matches)."""

    file: str
    column: str
    action: str  # confirm | override | not_personal
    entity: str | None = None
    who: str = ""
    when: str = ""
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"file": self.file, "column": self.column, "action": self.action}
        if self.entity:
            d["entity"] = self.entity
        d.update(who=self.who, when=self.when, why=self.why)
        return d


@dataclass
class ImportantDecision:
    """A decision on one important-data candidate (an item of the rule set)."""

    item: str
    status: str  # confirmed | dismissed
    who: str = ""
    when: str = ""
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"item": self.item, "status": self.status, "who": self.who, "when": self.when, "why": self.why}


def _norm_path(path: str) -> str:
    p = str(path).replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return re.sub(r"/+", "/", p)


def match_rank(pattern: str, path: str) -> tuple[int, int] | None:
    """How specifically a decision's ``file`` pattern matches a scanned path; None if it does not.

    >>> match_rank("exports/owners.csv", "/data/x/exports/owners.csv")
    (1, 2)
    >>> match_rank("owners.csv", "owners.csv")[0] > match_rank("owners.csv", "a/owners.csv")[0]
    True
    >>> match_rank("owners_*.csv", "a/owners_2026.csv")
    (0, 11)
    >>> match_rank("members.csv", "a/owners.csv") is None
    True
    """
    pat, p = _norm_path(pattern), _norm_path(path)
    if pat == p:
        return (2, len(pat.split("/")))
    pat_parts, parts = pat.split("/"), p.split("/")
    if len(pat_parts) > len(parts):
        return None
    tail = parts[-len(pat_parts):]
    if tail == pat_parts:
        return (1, len(pat_parts))
    if _GLOB.search(pat) and all(fnmatch.fnmatchcase(t, q) for t, q in zip(tail, pat_parts, strict=True)):
        return (0, len(_GLOB.sub("", pat)))
    return None


@dataclass
class Decisions:
    """Every recorded decision of one decisions file."""

    columns: list[ColumnDecision] = field(default_factory=list)
    important_items: list[ImportantDecision] = field(default_factory=list)
    path: str | None = None  # where it was loaded from

    def __len__(self) -> int:
        return len(self.columns) + len(self.important_items)

    # --- look-ups the pipeline uses ---------------------------------------------------------
    def column(self, file_path: str, column: str, names: Iterable[str] | None = None) -> ColumnDecision | None:
        """The most specific decision on ``column`` of the scanned file ``file_path``, whose
        columns are reported as ``names`` (all of them, when known).

        Reports show a path with its identifiers masked (a file named after a person), and the
        review writes the path as shown: it matches the file as well as its real path does.
        Likewise a column: a decision written with the raw header (马丽, before headers naming a
        person were masked) decides the column reported as 马*, unless the file has more columns
        of that masked name (韩** and 韩**.1): then it could be either and decides neither (it
        is reported stale, saying so)."""
        from scanner.sources.files import display_path

        best: tuple[tuple[int, int], int] | None = None
        found: ColumnDecision | None = None
        shown = display_path(file_path)
        names = None if names is None else list(names)
        for index, d in enumerate(self.columns):
            if not decides_column(d.column, column, names):
                continue
            rank = match_rank(d.file, file_path)
            if rank is None and shown != file_path:
                rank = match_rank(d.file, shown)
            # Later entries win ties: a decision added after another one replaces it.
            if rank is not None and (best is None or (rank, index) > best):
                best, found = (rank, index), d
        return found

    def important(self, item: str) -> ImportantDecision | None:
        """The decision on the important-data item ``item`` (the last one recorded)."""
        found = None
        for d in self.important_items:
            if d.item == item:
                found = d
        return found

    def stale(self, seen_columns: set[tuple[str, str]], seen_items: set[str]) -> list[dict[str, Any]]:
        """Decisions that matched nothing in this scan: a renamed column, a moved file, a gone item.

        Each is shown as reports show names: its file and column masked (a decision written
        with a raw header, 马丽, is listed as 马*)."""
        from scanner.sources.files import display_path

        by_path: dict[str, list[str]] = {}
        for path, name in seen_columns:
            by_path.setdefault(path, []).append(name)
        out: list[dict[str, Any]] = []
        for d in self.columns:
            files = [(p, names) for p, names in by_path.items() if match_rank(d.file, p) is not None
                     or match_rank(d.file, display_path(p)) is not None]
            if any(decides_column(d.column, name, names) for _, names in files for name in names):
                continue
            entry = {"kind": "column", **d.to_dict(), "reason": _stale_reason(d, files)}
            entry.update(file=display_path(d.file), column=_masked_header(d.column))
            could_be = sorted({n for _, names in files for n in _columns_headed(d.column, names)})
            if len(could_be) > 1:
                entry["could_be"] = could_be
            out.append(entry)
        for d in self.important_items:
            if d.item not in seen_items:
                out.append({"kind": "important", **d.to_dict(), "reason": "no candidate of this item in the scan"})
        return out

    def check_entities(self, known: set[str]) -> None:
        """``ValueError("<path>: columns[i]: unknown entity ...")`` when a decision names an
        entity that no detector has: a typo would otherwise decide nothing, silently."""
        if not known:
            return
        for i, d in enumerate(self.columns):
            if d.entity and d.entity not in known:
                import difflib

                close = difflib.get_close_matches(d.entity, sorted(known), n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise ValueError(f"{self.path or '<decisions>'}: columns[{i}]: unknown entity '{d.entity}' for column "
                                 f"'{_masked_header(d.column)}' (`chujing detectors` lists the entities){hint}")

    # --- changes review makes ---------------------------------------------------------------
    def set_column(self, decision: ColumnDecision) -> None:
        """Record ``decision``, replacing one on the same file pattern and column (or on the raw
        header reported as that column: the file no longer holds the raw name)."""
        self.columns = [d for d in self.columns
                        if not (decision.column in (d.column, _masked_header(d.column))
                                and _norm_path(d.file) == _norm_path(decision.file))]
        self.columns.append(decision)

    def set_important(self, decision: ImportantDecision) -> None:
        self.important_items = [d for d in self.important_items if d.item != decision.item]
        self.important_items.append(decision)

    def remove_stale(self, entry: dict[str, Any]) -> None:
        """Drop the decision a :meth:`stale` entry describes."""
        if entry.get("kind") == "important":
            self.important_items = [d for d in self.important_items if d.item != entry.get("item")]
        else:
            self.columns = [d for d in self.columns if not _is_entry(d, entry)]

    # --- file -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        columns = sorted(self.columns, key=lambda d: (_norm_path(d.file), d.column))
        important = sorted(self.important_items, key=lambda d: d.item)
        return {"version": VERSION, "columns": [d.to_dict() for d in columns],
                "important": [d.to_dict() for d in important]}

    def dumps(self) -> str:
        header = ("# chujing decisions: what the reviewers of this export decided (docs/review.md).\n"
                  "# Written by `chujing review`; edit by hand if you like, and commit it beside the export.\n")
        return header + yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False,
                                       default_flow_style=False, width=100)

    def save(self, path: str | os.PathLike | None = None) -> None:
        """Write the file: keys in a fixed order, entries sorted, so that a diff shows only changes."""
        target = os.fspath(path) if path is not None else self.path
        if target is None:
            raise ValueError("no path to save the decisions to")
        tmp = f"{target}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(self.dumps())
        os.replace(tmp, target)
        self.path = target


def decides_column(decided: str, column: str, names: list[str] | None = None) -> bool:
    """Whether a decision on the column ``decided`` is one on the reported column ``column`` of
    a file whose columns are ``names``: the same name, or ``decided`` is the raw header that
    reports show masked as ``column`` and as no other of ``names`` (see :meth:`Decisions.column`)."""
    if decided == column:
        return True
    masked = _masked_header(decided)
    if masked == decided or not (column == masked or column.startswith(masked + ".")):
        return False
    return _columns_headed(decided, [column] if names is None else names) == [column]


def _is_entry(d: ColumnDecision, entry: dict[str, Any]) -> bool:
    """Whether ``d`` is the decision a stale entry lists (shown masked, see :meth:`Decisions.stale`)."""
    from scanner.sources.files import display_path

    column, file = entry.get("column"), _norm_path(entry.get("file", ""))
    return column in (d.column, _masked_header(d.column)) and file in (_norm_path(d.file), _norm_path(display_path(d.file)))


def _shown_path(path: str) -> str:
    from scanner.sources.files import display_path

    return display_path(path)


def _masked_header(cell: str) -> str:
    from scanner.sources.names import masked_header

    return masked_header(cell)


def _columns_headed(cell: str, names: list[str]) -> list[str]:
    from scanner.sources.names import columns_headed

    return columns_headed(cell, names)


def _stale_reason(d: ColumnDecision, files: list[tuple[str, list[str]]]) -> str:
    from scanner.sources.files import display_path

    column = _masked_header(d.column)
    could_be = sorted({n for _, names in files for n in _columns_headed(d.column, names)})
    if len(could_be) > 1:
        return (f"the column '{column}' could be any of {', '.join(could_be)} in the matching file(s): "
                f"record the decision on the column as reported")
    if files:
        return f"no column '{column}' in the matching file(s): renamed or removed?"
    return f"no scanned file matches '{display_path(d.file)}'"


# --- loading ----------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    return str(value).strip()


def _parse_column(raw: Any, where: str) -> ColumnDecision:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping with file, column and action")
    for key in ("file", "column", "action"):
        if not _text(raw.get(key)):
            raise ValueError(f"{where}: '{key}' is missing")
    action = _text(raw["action"])
    if action not in COLUMN_ACTIONS:
        raise ValueError(f"{where}: action '{action}' is not one of {', '.join(COLUMN_ACTIONS)}")
    entity = _text(raw.get("entity")) or None
    if action == "override" and not entity:
        raise ValueError(f"{where}: an override needs the 'entity' the column holds")
    if entity and not _ENTITY.match(entity):
        raise ValueError(f"{where}: entity '{entity}' is not an entity name like CN_RESIDENT_ID")
    if action == "not_personal" and not _text(raw.get("why")):
        raise ValueError(f"{where}: 'not_personal' needs a 'why'")
    unknown = set(raw) - {"file", "column", "action", "entity", "who", "when", "why"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    return ColumnDecision(file=_text(raw["file"]), column=str(raw["column"]), action=action, entity=entity,
                          who=_text(raw.get("who")), when=_text(raw.get("when")), why=_text(raw.get("why")))


def _parse_important(raw: Any, where: str) -> ImportantDecision:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping with item and status")
    for key in ("item", "status"):
        if not _text(raw.get(key)):
            raise ValueError(f"{where}: '{key}' is missing")
    status = _text(raw["status"])
    if status not in IMPORTANT_STATUSES:
        raise ValueError(f"{where}: status '{status}' is not one of {', '.join(IMPORTANT_STATUSES)}")
    if status == "dismissed" and not _text(raw.get("why")):
        raise ValueError(f"{where}: 'dismissed' needs a 'why'")
    unknown = set(raw) - {"item", "status", "who", "when", "why"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    return ImportantDecision(item=_text(raw["item"]), status=status, who=_text(raw.get("who")),
                             when=_text(raw.get("when")), why=_text(raw.get("why")))


def parse_decisions(text: str, path: str = "<decisions>") -> Decisions:
    """Decisions from YAML text; ``ValueError("<path>: <reason>")`` (one line) when malformed."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ValueError(f"{path}: not valid YAML{where}: {problem}") from None
    if data is None:
        return Decisions(path=path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with 'version', 'columns' and 'important'")
    version = data.get("version")
    if version != VERSION:
        raise ValueError(f"{path}: version {version!r} is not supported (this chujing reads version {VERSION})")
    unknown = set(data) - {"version", "columns", "important"}
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    columns_raw = data.get("columns") or []
    important_raw = data.get("important") or []
    if not isinstance(columns_raw, list) or not isinstance(important_raw, list):
        raise ValueError(f"{path}: 'columns' and 'important' must be lists")
    columns = [_parse_column(raw, f"{path}: columns[{i}]") for i, raw in enumerate(columns_raw)]
    important = [_parse_important(raw, f"{path}: important[{i}]") for i, raw in enumerate(important_raw)]
    return Decisions(columns=columns, important_items=important, path=path)


def load_decisions(path: str | os.PathLike) -> Decisions:
    """The decisions file at ``path``: empty when it does not exist yet, ``ValueError`` when malformed."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return Decisions(path=path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ValueError(f"{path}: cannot read the decisions file ({reason})") from None
    return parse_decisions(text, path)


# --- applying to a report -----------------------------------------------------------------------

def decision_record(decision: ColumnDecision, detected_entity: str | None) -> dict[str, Any]:
    """What ``ColumnReport.decision`` holds for ``decision`` on a column detected as ``detected_entity``.

    The pipeline calls this when it applies an override before counting persons, so that the
    detector's own finding stays in the report beside the decision.
    """
    if decision.action == "override":
        changed = decision.entity != detected_entity
        entity = decision.entity
    elif decision.action == "not_personal":
        changed = detected_entity is not None
        entity = None
    else:
        entity = decision.entity or detected_entity
        changed = False
    record: dict[str, Any] = {"action": decision.action, "entity": entity, "who": decision.who,
                              "when": decision.when, "why": decision.why, "changed": changed,
                              "detected_entity": detected_entity, "file": _shown_path(decision.file)}
    if decision.action == "confirm" and decision.entity and decision.entity != detected_entity:
        # Confirmed as one entity, now detected as another: the decision no longer vouches for it.
        record["outdated"] = True
    return record


def apply_to_report(report, decisions: Decisions) -> None:
    """Annotate a finished report with the decisions: which findings they changed, which are stale.

    Post-scan annotations only (the pipeline itself changes what is counted): fills each
    decided column's ``decision``, sets the important-data candidates' status, and writes
    ``report.extra["decisions"]``. Running it twice, or after the pipeline applied the same
    decisions, gives the same report.
    """
    changed: list[dict[str, Any]] = []
    applied = 0
    seen_columns: set[tuple[str, str]] = set()
    for f in report.files:
        names = [c.name for c in f.columns]
        for c in f.columns:
            seen_columns.add((f.path, c.name))
            d = decisions.column(f.path, c.name, names)
            if d is None:
                continue
            previous = c.decision or {}
            detected = previous["detected_entity"] if "detected_entity" in previous else c.entity
            c.decision = decision_record(d, detected)
            applied += 1
            if c.decision["changed"]:
                changed.append({"kind": "column", "file": f.path, "column": c.name, "action": d.action,
                                "from": detected, "to": c.decision["entity"], "who": d.who, "when": d.when})
    seen_items: set[str] = set()
    for candidate in report.important_data:
        item = candidate.get("item")
        seen_items.add(item)
        d = decisions.important(item)
        if d is None:
            continue
        before = (candidate.get("decision") or {}).get("detected_status")
        if before is None:
            # The pipeline may already have set the status from this decision: it was unreviewed.
            status = candidate.get("status", "unreviewed")
            before = "unreviewed" if status == d.status else status
        candidate["status"] = d.status
        candidate["decision"] = {"status": d.status, "who": d.who, "when": d.when, "why": d.why,
                                 "detected_status": before, "changed": d.status != before}
        applied += 1
        if d.status != before:
            changed.append({"kind": "important", "item": item, "from": before, "to": d.status,
                            "who": d.who, "when": d.when})
    report.extra["decisions"] = {"file": decisions.path, "applied": applied, "changed": changed,
                                 "stale": decisions.stale(seen_columns, seen_items)}


def scan_root(paths: list[str]) -> str:
    """The deepest folder holding every path (``""`` when they share none)."""
    folders = [os.path.dirname(_norm_path(p)) for p in paths]
    if not folders:
        return ""
    try:
        return _norm_path(os.path.commonpath(folders)) if all(folders) else ""
    except ValueError:  # absolute and relative paths mixed
        return ""


def relative_to_root(path: str, root: str) -> str:
    """``path`` relative to the scan root, as ``chujing review`` records it.

    >>> relative_to_root("/data/may/exports/owners.csv", "/data/may")
    'exports/owners.csv'
    >>> relative_to_root("owners.csv", "")
    'owners.csv'
    """
    p = _norm_path(path)
    if root and p.startswith(root.rstrip("/") + "/"):
        return p[len(root.rstrip("/")) + 1:]
    return p if not p.startswith("/") else p.rsplit("/", 1)[-1]


def as_decisions(decisions: Any):
    """A :class:`Decisions`, from itself or from the path of its file; ``None`` stays ``None``."""
    if decisions is None:
        return None
    return decisions if isinstance(decisions, Decisions) else load_decisions(decisions)
