"""Detect per column: classify every column of a sample with the detectors, apply recorded
decisions, and plan how each classified column turns into keys and flags on every batch."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from detectors.base import Detector
from detectors.classify import NON_NULL, ColumnClassification
from detectors.classify import classify_columns as classify_many
from scanner.detect.column_profile import ColumnProfile
from scanner.options import ScanOptions

NON_PERSONAL_CATEGORIES = {"organisation", "organization"}


FREE_TEXT = "FREE_TEXT"


@dataclass
class ColumnPlan:
    """How one classified column turns into person keys and flags on every batch."""

    index: int
    name: str
    classification: ColumnClassification
    detectors: list[Detector]  # the column's entities, highest priority first
    valid_rows: int = 0
    non_null_rows: int = 0


def classify_columns(schema: pa.Schema, sample: pa.Table, detectors: list[Detector], options: ScanOptions,
                     found: list[ColumnClassification] | None = None,
                     ) -> tuple[list[ColumnPlan], dict[str, ColumnClassification]]:
    """Every column classified (all at once: each detector runs once over all the columns) and
    planned; ``found``: the classifications already made (with other files' columns)."""
    by_entity = {d.entity: d for d in detectors}
    plans: list[ColumnPlan] = []
    classifications: dict[str, ColumnClassification] = {}
    if found is None:
        found = classify_many([(f.name, sample.column(index) if sample.num_rows else pa.array([], f.type))
                               for index, f in enumerate(schema)], detectors)
    for index, (f, c) in enumerate(zip(schema, found, strict=True)):
        classifications[f.name] = c
        if c.entity is None:
            continue
        # The column's own entity claims its rows first, so that persons by entity name what the
        # column table shows (a 社保卡号 column whose numbers also fit a passport's shape).
        dets = sorted((by_entity[e] for e in c.entities if e in by_entity),
                      key=lambda d, main=c.entity: (d.entity != main, -d.priority))
        if dets:
            plans.append(ColumnPlan(index=index, name=f.name, classification=c, detectors=dets))
    return plans, classifications


def apply_column_decisions(path: str, plans: list[ColumnPlan], classifications: dict[str, ColumnClassification],
                            detectors: list[Detector], decisions) -> dict[str, dict[str, Any]]:
    """Apply recorded column decisions *before* counting: a column decided "not personal" stops
    counting, an overridden one counts as the decided entity (every non-empty value, since the
    values may not pass that entity's check). The column stays in the report, marked."""
    if decisions is None:
        return {}
    from scanner.review.decisions import decision_record

    by_entity = {d.entity: d for d in detectors}
    decided: dict[str, dict[str, Any]] = {}
    for name, c in list(classifications.items()):
        d = decisions.column(path, name, classifications)
        if d is None:
            continue
        decided[name] = decision_record(d, c.entity)
        if d.action == "confirm":
            continue
        plans[:] = [p for p in plans if p.name != name]
        if d.action == "not_personal":
            classifications[name] = replace(c, entity=None, entities=[], sensitive=False, category=None,
                                            evidence=f"decided not personal: {d.why or ''}".strip())
            continue
        det = by_entity.get(d.entity or "")
        if det is None:
            raise ValueError(f"{decisions.path}: decision on {name!r} names an unknown entity {d.entity!r}")
        new = replace(c, entity=det.entity, entities=[det.entity], sensitive=det.sensitive, category=det.category,
                      row_rule=NON_NULL, evidence=f"decided as {det.entity}: {d.why or ''}".strip(),
                      samples=c.samples or [])
        classifications[name] = new
        index = next(i for i, n in enumerate(classifications) if n == name)
        plans.append(ColumnPlan(index=index, name=name, classification=new, detectors=[det]))
    return decided


def user_key_columns(schema: pa.Schema, person_keys: list[str]) -> dict[str, int]:
    """The ``--person-key`` columns of a table, by their reported names: a key written with its
    raw header (会员号_韩晓建) names the column reported masked (会员号_韩**), where that is one."""
    from scanner.sources.names import columns_headed

    names = schema.names
    out: dict[str, int] = {}
    for key in person_keys:
        found = columns_headed(key, names)
        if len(found) == 1:
            out[found[0]] = names.index(found[0])
    return out


def is_personal(det: Detector) -> bool:
    """An organisation's identifier (USCC) or a photo with no face says nothing of a person."""
    return getattr(det, "personal", True) and det.category not in NON_PERSONAL_CATEGORIES


def table_analyzer(schema: pa.Schema, sample: pa.Table, classifications: dict[str, ColumnClassification],
                    options: ScanOptions):
    """Table-level findings (trajectories...) from ``scanner.detect.tables``, when the table has any.

    The analyzer sees every batch with the rows' keys and flags and may add flags (a row that
    is part of a trajectory is sensitive); ``finish()`` returns the findings for the report.
    """
    from scanner.detect.tables import analyze_table

    return analyze_table(schema, sample, classifications, options)


def profile_batch(profiles: dict[str, ColumnProfile], batch: pa.RecordBatch) -> None:
    for i, f in enumerate(batch.schema):
        if f.name in profiles:
            profiles[f.name].add(batch.column(i))
