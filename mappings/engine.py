"""The small engine that applies a rule set to what a scan found.

It receives a context, person counts and the entities seen; it knows nothing of files.

INTERIM: this first version hard-codes the national baseline so that the spine has a real
verdict. Issue "The law as data" replaces the body with rule files under ``mappings/rules``;
the dataclasses and ``assess`` signature below are the interface the scanner relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PATH_RANK = {"none": 0, "standard_contract_or_certification": 1, "other_legal_path": 2, "security_assessment": 3}


@dataclass
class Context:
    ruleset: str = "beijing-ftz-2024"
    sector: str = "other"
    scenario: str = "other"
    subject: str | None = None
    modality: str | None = None
    ciio: bool = False
    year: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"sector": self.sector, "scenario": self.scenario, "subject": self.subject,
                "modality": self.modality, "year": self.year, "ciio": self.ciio}


@dataclass
class Counts:
    """Distinct natural persons the verdict is judged on (year to date when a ledger is used)."""

    personal: int = 0
    sensitive: int = 0
    by_entity: dict[str, int] = field(default_factory=dict)
    # per subject role: {"trial_subject": {"personal": n, "sensitive": m, "by_entity": {...}}}
    by_subject: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ImportantCandidate:
    item: str
    evidence: list[str]
    status: str = "unreviewed"  # unreviewed | confirmed | dismissed
    reason: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"item": self.item, "evidence": self.evidence, "status": self.status}
        if self.reason:
            d["reason"] = self.reason
        return d


@dataclass
class ItemResult:
    id: str
    path: str
    triggered: bool
    count: int | None
    threshold: str | None
    reason: dict[str, str]
    headroom: int | None = None
    category: str | None = None
    title: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Assessment:
    items: list[ItemResult]
    verdict_path: str
    verdict_items: list[str]
    notes: list[dict[str, str]] = field(default_factory=list)

    def verdict(self) -> dict[str, Any]:
        return {"path": self.verdict_path, "items": self.verdict_items}


def assess(context: Context, counts: Counts, entities: set[str] | None = None,
           important: list[ImportantCandidate] | None = None) -> Assessment:
    """Every applicable item with its judgement, and the strictest path as the verdict."""
    important = important or []
    items: list[ItemResult] = []
    p, s = counts.personal, counts.sensitive
    non_sensitive = p - s
    if context.ciio and p > 0:
        items.append(ItemResult("cac-2024.7", "security_assessment", True, p, "> 0",
                                {"zh": "关键信息基础设施运营者向境外提供个人信息", "en": "A CIIO sends personal information abroad"}))
    if any(c.status != "dismissed" for c in important):
        ids = ", ".join(c.item for c in important if c.status != "dismissed")
        items.append(ItemResult("cac-2024.7", "security_assessment", True, None, None,
                                {"zh": f"重要数据（候选：{ids}）", "en": f"Important data (candidates: {ids})"}))
    items.append(ItemResult("cac-2024.7", "security_assessment", non_sensitive >= 1_000_000 or s >= 10_000, s, ">= 10000",
                            {"zh": "个人信息≥100万人或敏感个人信息≥1万人", "en": ">= 1,000,000 persons' PI or >= 10,000 persons' sensitive PI"}))
    items.append(ItemResult("cac-2024.8", "standard_contract_or_certification",
                            (100_000 <= non_sensitive < 1_000_000) or (0 < s < 10_000), s, "< 10000",
                            {"zh": "个人信息10万至100万人或敏感个人信息不满1万人", "en": "100,000 to < 1,000,000 persons' PI, or < 10,000 persons' sensitive PI"}))
    triggered = [i for i in items if i.triggered]
    path = max((i.path for i in triggered), key=PATH_RANK.__getitem__, default="none")
    seen: list[str] = []
    for i in triggered:
        if i.id not in seen:
            seen.append(i.id)
    return Assessment(items=items, verdict_path=path, verdict_items=seen)


def important_candidates(context: Context, columns: list[tuple[str, str, str | None]]) -> list[ImportantCandidate]:
    """Important-data candidates from (file, column name, entity) triples. Interim: none."""
    return []
