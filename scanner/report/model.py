"""The report: what a scan found, in the contract's shape (schema ``chujing.report/1``).

The report object is what the Python API returns; it serialises to the contract's JSON and
gives its tables as pandas DataFrames for notebooks.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mappings.paths import PATHS
from scanner.report.json_text import json_text
from scanner.version import __version__

SCHEMA = "chujing.report/1"

# The contract's exit codes.
EXIT_NONE = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BY_PATH = {
    "none": 0,
    "standard_contract_or_certification": 10,
    "security_assessment": 20,
    "other_legal_path": 30,
}
PATH_ORDER = list(PATHS)  # least to most demanding (mappings.paths)


@dataclass
class ColumnReport:
    name: str
    entity: str | None
    entities: list[str]
    sensitive: bool
    category: str | None
    confidence: float
    match_rate: float
    samples: list[str]
    # profile
    type: str = ""
    rows: int = 0
    nulls: int = 0
    distinct_estimate: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    evidence: str = ""
    decision: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        # What ``asdict`` gives, without its generic walk of every field (a report of 20,000
        # files has 100,000 columns): scalars as they are, containers copied.
        d = {name: getattr(self, name) for name in _COLUMN_FIELDS}
        d["entities"], d["samples"] = list(self.entities), list(self.samples)  # strings
        if self.decision is not None:
            d["decision"] = copy.deepcopy(self.decision)
        return d


@dataclass
class FileReport:
    path: str
    format: str | None = None
    encoding: str | None = None
    rows: int = 0
    error: str | None = None
    columns: list[ColumnReport] = field(default_factory=list)
    size_bytes: int | None = None
    delimiter: str | None = None
    subject: str | None = None
    tables: list[dict[str, Any]] = field(default_factory=list)  # table-level findings (trajectories)

    def to_dict(self) -> dict[str, Any]:
        d = {name: getattr(self, name) for name in _FILE_FIELDS}
        d["columns"] = [c.to_dict() for c in self.columns]
        d["tables"] = copy.deepcopy(self.tables)
        return d


_COLUMN_FIELDS = tuple(f.name for f in fields(ColumnReport))
_FILE_FIELDS = tuple(f.name for f in fields(FileReport))


@dataclass
class PersonsReport:
    personal: int = 0
    sensitive: int = 0
    by_subject: dict[str, dict[str, int]] = field(default_factory=dict)
    year_to_date: dict[str, Any] | None = None
    by_entity: dict[str, int] = field(default_factory=dict)
    keyless_rows: int = 0
    keyless_policy: str = "each_row_is_a_person"
    minors: int = 0
    # How the count was reached (scanner.persons.linking): merges resting on contacts alone, shared
    # contacts (masked), placeholders, conflicts kept apart, the range the count could take.
    linking: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def shared_contacts(self) -> dict[str, Any] | None:
        """What a report's one-line warning says when shared contacts were found (they link
        nobody): how many, an example (masked), the strict count and its range; else None."""
        total = self.linking.get("shared_contacts_total", 0)
        if not total:
            return None
        low, high = self.linking.get("range", {}).get("personal", [self.personal, self.personal])
        listed = self.linking.get("shared_contacts") or [{"value": "?", "identities": 0}]
        return {"n": total, "example": listed[0]["value"], "identities": listed[0]["identities"],
                "personal": self.personal, "low": low, "high": high}

    def shared_contact_warning(self) -> str | None:
        facts = self.shared_contacts()
        if facts is None:
            return None
        return (f"{facts['n']:,} shared contact(s) (e.g. {facts['example']}, held by {facts['identities']:,} "
                f"identities) link nobody: persons counted strictly as {facts['personal']:,} (between "
                f"{facts['low']:,} if every contact linked and {facts['high']:,} if none did)")


@dataclass
class Report:
    ruleset: str
    context: dict[str, Any]
    files: list[FileReport] = field(default_factory=list)
    persons: PersonsReport = field(default_factory=PersonsReport)
    important_data: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    verdict: dict[str, Any] = field(default_factory=lambda: {"path": "none", "items": []})
    errors: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    # --- contract ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "schema": SCHEMA,
            "tool": {"name": "chujing", "version": __version__},
            "ruleset": self.ruleset,
            "context": self.context,
            "files": [f.to_dict() for f in self.files],
            "persons": self.persons.to_dict(),
            "important_data": self.important_data,
            "items": self.items,
            "verdict": self.verdict,
            "errors": self.errors,
        }
        d.update(self.extra)
        return d

    def to_json(self, indent: int | None = 2) -> str:
        if indent == 2:
            return json_text(self.to_dict())
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, default=str)

    @property
    def path(self) -> str:
        return self.verdict.get("path", "none")

    @property
    def exit_code(self) -> int:
        """The contract's exit status: an incomplete scan (any file error) wins over the path."""
        if self.errors:
            return EXIT_ERROR
        return EXIT_BY_PATH.get(self.path, EXIT_NONE)

    # --- notebooks --------------------------------------------------------------------------
    def columns_frame(self):
        """One row per column of every file, as a pandas DataFrame."""
        import pandas as pd

        rows = []
        for f in self.files:
            for c in f.columns:
                rows.append({"file": f.path, **c.to_dict()})
        return pd.DataFrame(rows)

    def files_frame(self):
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in f.to_dict().items() if k not in ("columns", "tables")} for f in self.files])

    def items_frame(self):
        import pandas as pd

        return pd.DataFrame(self.items)

    def _repr_markdown_(self) -> str:  # pragma: no cover - notebook display
        from scanner.report.render import render_markdown

        return render_markdown(self)

    def __repr__(self) -> str:
        return f"<Report {self.path} files={len(self.files)} persons={self.persons.personal}/{self.persons.sensitive}>"


def apply_assessment(report: Report, assessment) -> Report:
    """Copy an engine :class:`mappings.engine.Assessment` into the report's items and verdict."""
    report.items = [i.to_dict() for i in assessment.items]
    report.verdict = assessment.verdict()
    report.ruleset = getattr(assessment, "ruleset", None) or report.ruleset
    # Who the verdict rests on (the FTZ statement, a sector-scope statement) and, when the
    # national baseline decided, what the Beijing list would decide for an exporter in the zone.
    report.extra["exporter"] = getattr(assessment, "exporter", None) or {}
    report.extra["alternatives"] = getattr(assessment, "alternatives", None) or []
    if getattr(assessment, "notes", None):
        report.extra["notes"] = assessment.notes
    return report

