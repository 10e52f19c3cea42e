"""The small engine that applies a rule set to what a scan found.

It receives a context, person counts and the entities seen; it knows nothing of files. The law
itself lives in the rule files under ``mappings/rules`` (see :mod:`mappings.schema`).

How a context is judged:

0. Who the list binds: a free trade zone's list binds only exporters registered in the zone.
   The exporter states it (``Context.ftz``, ``--ftz beijing``) or names the rule set
   (``--ruleset``); otherwise the national baseline (``cac-2024``) decides, and the assessment
   carries what the list would decide for an exporter in the zone (``alternatives``).
1. The rule set's sector items apply when the sector is covered and in scope (automotive
   without autonomous driving, AI training data without video, an exporter the sector's notes
   leave out: ``Context.outside_scope``). Each item is judged on the
   persons of the subject roles and modalities it names: inside a covered scenario, a count
   below every threshold is off the list and exempt (the list's relaxation).
2. Personal information the list does not cover falls back to the baseline (``cac-2024``),
   never to "free": a sector outside the list, a type outside what a relaxed item enumerates
   (ID numbers in a retail member export), a kind of personal information the scenario's items
   do not name. The reason says which and why.
3. A CIIO needs a security assessment for any personal information or important data.
4. Important data is never decided by a count: candidates (from :func:`important_candidates`
   or the user) that are confirmed or still unreviewed trigger their item; dismissed ones do not.

The verdict is the strictest path of the triggered items, and lists every triggered item.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from mappings import names as vocabulary
from mappings.schema import (
    PATH_NAMES,
    PATHS,
    Clause,
    Item,
    Ruleset,
    RulesetError,
    Sector,
    parse_ruleset,
    read_ruleset,
)

PATH_RANK = {path: rank for rank, path in enumerate(PATHS)}
# The evidence of an important-data item the user confirmed without any finding (--important).
CONFIRMED_BY_USER = "confirmed by the user (--important)"
MEASURE_TEXT = {
    "personal": ("个人信息", "personal information"),
    "sensitive": ("敏感个人信息", "sensitive personal information"),
}
BASELINE_RULESET = "cac-2024"
# The shipped list: its sectors name the contexts and its important-data items the evidence. It
# decides only for an exporter registered in the zone.
REFERENCE_LIST = "beijing-ftz-2024"
FTZ_RULESETS = {"beijing": REFERENCE_LIST}
# What decides when the exporter states nothing: the national baseline.
DEFAULT_RULESET = BASELINE_RULESET

__all__ = [
    "Assessment", "Context", "ContextError", "Counts", "ImportantCandidate", "ItemResult", "RulesetError",
    "apply_review", "assess", "available_rulesets", "important_candidates", "important_item_ids", "load_ruleset",
]


class ContextError(ValueError):
    """A context the rule set does not know (sector, scenario, subject, modality)."""


@dataclass
class Context:
    """Who exports what. ``ruleset`` names the rule set explicitly; without it ``ftz`` decides:
    ``"beijing"`` (the exporter states it is registered in the Beijing FTZ) applies the Beijing
    list, and no statement the national baseline. ``outside_scope`` is a statement, from a
    sector's notes, that puts the exporter outside the sector (``not_pharmaceutical_manufacturer``).
    ``ftz_source`` says where the FTZ statement came from (``--ftz``, ``chujing.toml``)."""

    ruleset: str | None = None
    sector: str = "other"
    scenario: str = "other"
    subject: str | None = None
    modality: str | None = None
    ciio: bool = False
    year: int | None = None
    ftz: str | None = None
    outside_scope: str | None = None
    ftz_source: str | None = None

    def deciding_ruleset(self) -> str:
        """The rule set that decides the verdict: the named one, the zone's list, or the baseline."""
        if self.ruleset:
            return self.ruleset
        if self.ftz:
            if self.ftz not in FTZ_RULESETS:
                raise ContextError(f"unknown free trade zone {self.ftz!r}: choose {', '.join(FTZ_RULESETS)}")
            return FTZ_RULESETS[self.ftz]
        return BASELINE_RULESET

    def to_dict(self) -> dict[str, Any]:
        d = {"sector": self.sector, "scenario": self.scenario, "subject": self.subject,
             "modality": self.modality, "year": self.year, "ciio": self.ciio}
        if self.outside_scope:
            d["outside_scope"] = self.outside_scope
        return d


@dataclass
class Counts:
    """Distinct natural persons the verdict is judged on (year to date when a ledger is used)."""

    personal: int = 0
    sensitive: int = 0
    by_entity: dict[str, int] = field(default_factory=dict)
    # per subject role: {"trial_subject": {"personal": n, "sensitive": m, "by_entity": {...}}}
    by_subject: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Year to date over every export of the processor (the national baseline's count), when the
    # counts above are the list's scope (one sector and scenario); None: the same as above.
    all_transfers: Counts | None = None


@dataclass
class ImportantCandidate:
    item: str
    evidence: list[str]
    status: str = "unreviewed"  # unreviewed | confirmed | dismissed
    reason: dict[str, str] | None = None
    # The rules that raised it: ``automotive.3#1`` (the item's first evidence rule in the rule
    # file, or its name), ``table:sensitive_area`` (a table-level finding), ``user``.
    rules: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"item": self.item, "evidence": self.evidence, "status": self.status,
                             "rules": self.rules}
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
    applies: bool = True
    measure: str | None = None
    clauses: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Assessment:
    items: list[ItemResult]
    verdict_path: str
    verdict_items: list[str]
    notes: list[dict[str, str]] = field(default_factory=list)
    ruleset: str = DEFAULT_RULESET
    exporter: dict[str, Any] = field(default_factory=dict)
    alternatives: list[dict[str, Any]] = field(default_factory=list)

    def verdict_paths(self) -> list[str]:
        """Every path required, strictest first: the list's sections are cumulative."""
        paths = {r.path for r in self.items if r.triggered}
        return sorted(paths, key=PATH_RANK.__getitem__, reverse=True)

    def verdict(self) -> dict[str, Any]:
        return {"path": self.verdict_path, "items": self.verdict_items, "paths": self.verdict_paths()}

    def triggered(self) -> list[ItemResult]:
        return [i for i in self.items if i.triggered]


# ----------------------------------------------------------------------------- rule sets


def available_rulesets() -> list[str]:
    """The rule sets shipped with chujing (names usable as ``--ruleset``)."""
    folder = resources.files("mappings") / "rules"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_ruleset(name_or_path: str | os.PathLike[str] | Ruleset) -> Ruleset:
    """A shipped rule set by name (``beijing-ftz-2024``, ``cac-2024``) or a user's YAML file.

    Raises :class:`RulesetError` naming the file, the item and the reason.
    """
    if isinstance(name_or_path, Ruleset):
        return name_or_path
    text = os.fspath(name_or_path)
    if text.endswith((".yaml", ".yml")) or os.sep in text or "/" in text:
        path = Path(text).expanduser().resolve()
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            raise RulesetError(f"{text}: no such rule file") from None
        return _read_file(str(path), mtime)
    if text not in available_rulesets():
        raise RulesetError(f"unknown rule set {text!r}: choose {', '.join(available_rulesets())} "
                           "or give the path of a YAML rule file")
    return _read_packaged(text)


@lru_cache(maxsize=16)
def _read_file(path: str, mtime: int) -> Ruleset:  # mtime: an edited file is read again
    return read_ruleset(Path(path))


@lru_cache(maxsize=8)
def _read_packaged(name: str) -> Ruleset:
    resource = resources.files("mappings") / "rules" / f"{name}.yaml"
    return parse_ruleset(resource.read_text(encoding="utf-8"), f"mappings/rules/{name}.yaml")


def baseline_of(ruleset: Ruleset) -> Ruleset:
    """The rule set that applies where ``ruleset`` does not (itself for the baseline)."""
    if not ruleset.baseline:
        return ruleset
    baseline = load_ruleset(ruleset.baseline)
    if baseline.baseline:
        raise RulesetError(f"{ruleset.id}: its baseline {baseline.id} must not have a baseline of its own")
    return baseline


def reference_list(context: Context, ruleset: Ruleset | None = None) -> Ruleset:
    """The list that names sectors, scenarios and important data for this context: the deciding
    rule set when it has sectors, else the shipped list (which then only informs)."""
    rs = ruleset or load_ruleset(context.deciding_ruleset())
    return rs if rs.sectors or context.ruleset else load_ruleset(REFERENCE_LIST)


def important_item_ids(ruleset: str | Ruleset | None = None) -> list[str]:
    """Items a user may confirm or dismiss as important data (``--important ITEM``): the
    list's (the shipped list's when the baseline decides) and the baseline's own."""
    rs = load_ruleset(ruleset or REFERENCE_LIST)
    if not rs.sectors:
        rs = load_ruleset(REFERENCE_LIST) if rs.id == BASELINE_RULESET else rs
    ids = [i.id for i in rs.items if i.category == "important_data"]
    return ids + [i.id for i in baseline_of(rs).items if i.important_data and i.id not in ids]


def check_context(context: Context, ruleset: Ruleset | None = None) -> list[dict[str, str]]:
    """Raise :class:`ContextError` for values the rule set does not know; notes for ignored ones."""
    rs = ruleset or reference_list(context)
    notes: list[dict[str, str]] = []
    if not rs.sectors or context.sector == "other":
        if context.outside_scope:
            raise ContextError(f"--outside-scope {context.outside_scope}: sector {context.sector} has no scope "
                               "statements (the list's notes define them per sector)")
        return notes  # only the baseline applies: any sector and scenario is fine
    sector = rs.sectors.get(context.sector)
    if sector is None:
        raise ContextError(f"unknown sector {context.sector!r} for {rs.id}: choose "
                           f"{', '.join([*rs.sectors, 'other'])}")
    scenarios = [*sector.scenarios, *sector.out_of_scope_scenarios]
    if context.scenario not in scenarios:
        raise ContextError(f"unknown scenario {context.scenario!r} for {context.sector}: choose {', '.join(scenarios)}")
    if context.outside_scope and context.outside_scope not in sector.out_of_scope_exporters:
        known = ", ".join(sector.out_of_scope_exporters) or "none"
        raise ContextError(f"unknown scope statement {context.outside_scope!r} for {context.sector}: choose {known}")
    if context.subject is not None:
        if sector.subjects and context.subject not in sector.subjects:
            raise ContextError(f"unknown subject {context.subject!r} for {context.sector}: choose "
                               f"{', '.join(sector.subjects)}")
        if not sector.subjects:
            notes.append(_text(f"{sector.title.zh}清单不区分数据主体角色，已忽略 --subject {context.subject}",
                               f"the {context.sector} list does not distinguish subject roles: subject "
                               f"{context.subject} ignored"))
    if context.modality is not None:
        modalities = [*sector.modalities, *sector.out_of_scope_modalities]
        if modalities and context.modality not in modalities:
            raise ContextError(f"unknown modality {context.modality!r} for {context.sector}: choose {', '.join(modalities)}")
        if not modalities:
            notes.append(_text(f"{sector.title.zh}清单不区分模态，已忽略 --modality {context.modality}",
                               f"the {context.sector} list does not distinguish modalities: modality "
                               f"{context.modality} ignored"))
    return notes


def sensitive_entities(ruleset: Ruleset, sector: str | None = None) -> set[str]:
    """One source of truth for sensitivity: the baseline's (PIPL Art 28) and what the sector's
    notes call sensitive. Items that enumerate sensitive types of their own (retail 2/5: MAC
    address, device serial) add theirs where they govern (see :func:`_population_sensitive`)."""
    found = set(baseline_of(ruleset).sensitive_entities) | set(ruleset.sensitive_entities)
    if sector and sector in ruleset.sectors:
        found |= set(ruleset.sectors[sector].sensitive_entities)
    return found


def exporter_statement(context: Context) -> dict[str, Any]:
    """What the verdict rests on: who the exporter says it is (the report's ``exporter``)."""
    deciding = context.deciding_ruleset()
    if context.ruleset:
        source = f"--ruleset {context.ruleset}"
    elif context.ftz:
        source = context.ftz_source or f"--ftz {context.ftz}"
    else:
        source = None
    if deciding == BASELINE_RULESET and not context.ruleset:
        zh = "出境方未声明注册于自由贸易试验区（--ftz）：由国家基线（cac-2024）决定结论"
        en = ("the exporter did not state that it is registered in a free trade zone (--ftz): the national "
              "baseline (cac-2024) decides")
    else:
        zh = f"依据 {source}，由 {deciding} 决定结论"
        en = f"{deciding} decides, as stated by {source}"
    d: dict[str, Any] = {"ftz": context.ftz if not context.ruleset or context.ftz else
                         next((z for z, r in FTZ_RULESETS.items() if r == context.ruleset), None),
                         "statement": source, "ruleset": deciding, "outside_scope": context.outside_scope,
                         "reason": _text(zh, en)}
    return d


# ----------------------------------------------------------------------------- assessment


@dataclass
class _Population:
    """Persons of one subject role (``None``: the role is not known)."""

    role: str | None
    personal: int
    sensitive: int
    by_entity: dict[str, int]
    # AI training data: sensitive persons per modality (entities attributed, the rest to the
    # stated modality, or to every modality when none is known: the strict reading).
    by_modality: dict[str, int] = field(default_factory=dict)
    implied: bool = False

    def measure(self, clause: Clause, modality: str | None = None) -> int:
        if clause.measure == "personal":
            return self.personal
        if clause.measure == "sensitive":
            if modality is not None and self.by_modality:
                return self.by_modality.get(modality, 0)
            return self.sensitive
        # Persons having any of the item's own types: the per-entity counts are summed (an
        # upper bound of their union, the strict side), never more than the persons sent.
        return min(self.personal, sum(self.by_entity.get(e, 0) for e in clause.entities))


@dataclass
class _Fallback:
    personal: int = 0
    sensitive: int = 0
    why: list[tuple[str, str]] = field(default_factory=list)


def assess(context: Context, counts: Counts, entities: set[str] | None = None,
           important: list[ImportantCandidate] | None = None) -> Assessment:
    """Every item of the context's sector and of the baseline with its judgement, and the verdict.

    ``counts`` are year to date when a ledger is used; ``entities`` the entity names seen (the
    keys of ``counts.by_entity`` are added); ``important`` the candidates with their review
    status (see :func:`important_candidates` and :func:`apply_review`).

    Without an FTZ statement the national baseline decides; ``alternatives`` says what the
    Beijing list would decide for an exporter registered in the zone:

    >>> ctx = Context(sector="pharmaceutical", scenario="clinical_trial", subject="trial_subject")
    >>> a = assess(ctx, Counts(personal=30000, sensitive=30000))
    >>> a.verdict_path, a.alternatives[0]["path"], a.alternatives[0]["items"]
    ('security_assessment', 'standard_contract_or_certification', ['pharmaceutical.9'])
    >>> assess(Context(sector="pharmaceutical", scenario="clinical_trial", subject="trial_subject", ftz="beijing"),
    ...        Counts(personal=30000, sensitive=30000)).verdict()
    {'path': 'standard_contract_or_certification', 'items': ['pharmaceutical.9'], 'paths': ['standard_contract_or_certification']}
    """
    ruleset = load_ruleset(context.deciding_ruleset())
    reference = reference_list(context, ruleset)
    notes = check_context(context, reference if not context.ruleset else ruleset)
    assessment = _assess_with(ruleset, context, counts, entities, important, notes)
    assessment.exporter = exporter_statement(context)
    if not ruleset.sectors and reference is not ruleset and context.sector in reference.sectors:
        # A sector the list names: what it would decide for an exporter registered in the zone.
        alt = _assess_with(reference, context, counts, entities, important, [])
        zone = next((z for z, r in FTZ_RULESETS.items() if r == reference.id), None)
        paths = alt.verdict_paths() or ["none"]
        on = {q: ", ".join(r.id for r in alt.items if r.triggered and r.path == q) or "-" for q in paths}
        decided_zh = "；".join(f"{PATH_NAMES[q][0]}（{on[q]}）" for q in paths)
        decided_en = "; ".join(f"{PATH_NAMES[q][1]} ({on[q]})" for q in paths)
        assessment.alternatives = [{
            "ruleset": reference.id, "ftz": zone, "path": alt.verdict_path, "paths": alt.verdict_paths(),
            "items": alt.verdict_items,
            "reason": _text(f"若出境方注册于自由贸易试验区（--ftz {zone}），{reference.id} 的结论为：{decided_zh}",
                            f"for an exporter registered in the free trade zone (--ftz {zone}), {reference.id} "
                            f"would decide: {decided_en}")}]
    return assessment


def _assess_with(ruleset: Ruleset, context: Context, counts: Counts, entities: set[str] | None,
                 important: list[ImportantCandidate] | None, notes: list[dict[str, str]]) -> Assessment:
    baseline = baseline_of(ruleset)
    notes = list(notes)
    candidates = list(important or [])
    seen = _entities_seen(counts, entities)
    live = [c for c in candidates if c.status != "dismissed"]
    results: list[ItemResult] = []
    scope_gap = _scope_gap(ruleset, context, seen)
    everything = _raise_sensitive(counts.all_transfers or counts, sensitive_entities(baseline))
    if scope_gap is None:
        sector = ruleset.sectors[context.sector]
        scoped = _raise_sensitive(counts, sensitive_entities(ruleset, context.sector))
        populations = _populations(context, scoped)
        for population in populations:
            if sector.subjects and population.role not in sector.subjects:
                population.role = None  # a role the list does not name is treated as unknown
        implied = _implied_role(ruleset, context)
        for population in populations:
            if population.role is None and implied is not None:
                population.role, population.implied = implied, True
                notes.append(_implied_role_note(context, sector, implied))
        for population in populations:
            _population_sensitive(ruleset, sector, context, population)
        if any(p.role is None for p in populations) and _role_items(ruleset, context):
            notes.append(_unknown_role_note(context, sector))
        modality_note = _attribute_modalities(sector, context, populations)
        if modality_note:
            notes.append(modality_note)
        modalities = _modalities_judged(sector, context, populations)
        results += _judge_sector(ruleset, sector, context, populations, modalities, candidates)
        fallback = _fallbacks(ruleset, baseline, sector, context, populations, modalities, seen)
        if fallback.why and counts.all_transfers is not None:
            # The baseline counts every export since 1 January; other sectors' and scenarios'
            # persons may be among those it judges: leaning strict, they are added.
            more_p = max(everything.personal - scoped.personal, 0)
            more_s = max(everything.sensitive - scoped.sensitive, 0)
            if more_p or more_s:
                _add(fallback, more_p, more_s, (
                    f"本年度其他行业或场景已出境 {more_p} 人（国家基线按全部出境累计）",
                    f"{more_p} more persons exported this year in other sectors or scenarios (the national "
                    "baseline counts every export)"))
        list_important = {i.id for i in ruleset.items if i.category == "important_data"}
        baseline_important = [c for c in live if c.item not in list_important]
        judged_counts = scoped if counts.all_transfers is None else _widest(scoped, everything)
    else:
        fallback = _Fallback(everything.personal, everything.sensitive, [scope_gap])
        baseline_important = live
        judged_counts = everything
        if ruleset is not baseline:
            # Important data the user confirmed under an item of the list is still important data.
            results += [_judge_important(ruleset.item(c.item), candidates, scope_gap)
                        for c in _unique_items(candidates) if _has_item(ruleset, c.item)]
        else:
            reference = _reference_for_important(context)
            if reference is not None:
                results += [_judge_important(reference.item(c.item), candidates, scope_gap)
                            for c in _unique_items(candidates) if _has_item(reference, c.item)]

    results += _judge_baseline(baseline, context, judged_counts, fallback, baseline_important,
                               list_applies=scope_gap is None and ruleset is not baseline)

    triggered = [r for r in results if r.triggered]
    path = max((r.path for r in triggered), key=PATH_RANK.__getitem__, default="none")
    verdict_items = list(dict.fromkeys(r.id for r in triggered))
    notes += _closing_notes(ruleset, baseline, context, counts, path, scope_gap, live)
    return Assessment(items=results, verdict_path=path, verdict_items=verdict_items, notes=notes,
                      ruleset=ruleset.id)


def _widest(scoped: Counts, everything: Counts) -> Counts:
    """The persons a baseline judgement may name: the larger of the scope's and the year's."""
    return Counts(personal=max(scoped.personal, everything.personal),
                  sensitive=max(scoped.sensitive, everything.sensitive), by_entity=scoped.by_entity)


def _reference_for_important(context: Context) -> Ruleset | None:
    if context.ruleset:
        return None
    return load_ruleset(REFERENCE_LIST)


def _raise_sensitive(counts: Counts, sensitive: set[str]) -> Counts:
    """Counts in which persons having a sensitive entity are sensitive persons, and persons
    having any entity are persons: ``--by-entity TRAJECTORY=50000`` makes 50,000 sensitive."""

    def raised(personal: int, sens: int, by_entity: dict[str, int]) -> tuple[int, int]:
        sens = max([sens, *(n for e, n in by_entity.items() if e in sensitive)])
        return max([personal, sens, *by_entity.values()]), sens

    personal, sens = raised(counts.personal, counts.sensitive, counts.by_entity)
    by_subject = {}
    for role, c in counts.by_subject.items():
        p, s = raised(int(c.get("personal", 0)), int(c.get("sensitive", 0)), c.get("by_entity") or {})
        by_subject[role] = {**c, "personal": p, "sensitive": s}
    return replace(counts, personal=personal, sensitive=sens, by_subject=by_subject, all_transfers=None)


def _entities_seen(counts: Counts, entities: set[str] | None) -> set[str]:
    seen = set(entities or ())
    seen |= {e for e, n in counts.by_entity.items() if n}
    for role_counts in counts.by_subject.values():
        seen |= {e for e, n in (role_counts.get("by_entity") or {}).items() if n}
    return seen


def _scope_gap(ruleset: Ruleset, context: Context, seen: set[str]) -> tuple[str, str] | None:
    """Why the list does not cover this context at all (zh, en), or ``None`` when it does."""
    if not ruleset.sectors:
        return (f"规则集 {ruleset.id} 为国家基线", f"rule set {ruleset.id} is the national baseline")
    sector = ruleset.sectors.get(context.sector)
    if sector is None:
        return (f"行业 {context.sector} 不在清单范围内，仅适用国家基线",
                f"sector {context.sector} is not on the list: only the national baseline applies")
    if context.scenario in sector.out_of_scope_scenarios:
        note = sector.out_of_scope_scenarios[context.scenario]
        return (f"{note.zh}适用国家基线", f"{note.en} The national baseline applies")
    if context.outside_scope in sector.out_of_scope_exporters:
        note = sector.out_of_scope_exporters[context.outside_scope]
        return (f"出境方声明（--outside-scope {context.outside_scope}）：{note.zh}适用国家基线",
                f"the exporter states --outside-scope {context.outside_scope}: {note.en} The national baseline applies")
    modality = context.modality
    if modality is None and sector.modalities:
        inferred = [m for m, ents in sector.out_of_scope_modalities.items() if seen & set(ents)]
        in_scope = [m for m, ents in sector.modalities.items() if seen & set(ents)]
        modality = inferred[0] if inferred and not in_scope else None
    if modality in sector.out_of_scope_modalities:
        return (f"{sector.title.zh}清单不包括{vocabulary.name('modalities', modality)}模态，适用国家基线",
                f"the {context.sector} list does not cover the {modality} modality: the national baseline applies")
    return None


def _modalities_judged(sector: Sector, context: Context, populations: list[_Population]) -> list[str]:
    """The modalities items are judged in, each on the persons attributed to it: every modality
    when none is stated; else the stated one and those the entities attribute persons to."""
    if not sector.modalities:
        return []
    if not context.modality:
        return list(sector.modalities)
    return [m for m in sector.modalities
            if m == context.modality or any(p.by_modality.get(m, 0) for p in populations)]


def _attribute_modalities(sector: Sector, context: Context, populations: list[_Population]) -> dict[str, str] | None:
    """Sensitive persons per modality: persons having a modality's entities are of it; the rest
    are of the stated modality, or, with none stated, of every modality (the strictest
    threshold then decides: the strict reading)."""
    if not sector.modalities:
        return None
    unknown = 0
    for population in populations:
        attributed = {}
        for modality, ents in sector.modalities.items():
            if ents:
                attributed[modality] = min(population.sensitive, sum(population.by_entity.get(e, 0) for e in ents))
        rest = max(population.sensitive - sum(attributed.values()), 0)
        if context.modality:
            own = attributed.pop(context.modality, 0)
            attributed[context.modality] = min(population.sensitive, own + rest)
        else:
            unknown += rest
            attributed = {m: min(population.sensitive, attributed.get(m, 0) + rest) for m in sector.modalities}
        population.by_modality = attributed
    if context.modality is None and unknown:
        strictest = _strictest_modalities(sector)
        return _text(f"未指定模态：{unknown} 人的敏感个人信息模态未知，按最严格模态（{vocabulary.join_names('modalities', strictest)}）的门槛判断（可用 --modality 或 --by-entity 指定）",
                     f"modality not given: {unknown} persons' sensitive personal information is of no known "
                     f"modality, so it is judged at the strictest modality's threshold ({', '.join(strictest)}); "
                     "set --modality, or give --by-entity AUDIO=N / IMAGE=N")
    return None


def _strictest_modalities(sector: Sector) -> list[str]:
    return [m for m, ents in sector.modalities.items() if ents] or list(sector.modalities)


def _populations(context: Context, counts: Counts) -> list[_Population]:
    """Persons split by subject role; persons of no stated role keep the context's role."""
    if not counts.by_subject:
        return [_Population(context.subject, counts.personal, counts.sensitive, dict(counts.by_entity))]
    populations = []
    for role, c in counts.by_subject.items():
        personal = int(c.get("personal", 0))
        by_entity = c.get("by_entity")
        if not by_entity:
            # No per-role entity counts: attribute every entity's persons to each role (capped at
            # the role's persons), an over-count that can only make a judgement stricter.
            by_entity = {e: min(n, personal) for e, n in counts.by_entity.items()}
        populations.append(_Population(role, personal, int(c.get("sensitive", 0)), dict(by_entity)))
    rest_personal = counts.personal - sum(p.personal for p in populations)
    rest_sensitive = counts.sensitive - sum(p.sensitive for p in populations)
    if rest_personal > 0 or rest_sensitive > 0:
        rest_entities = {e: n - sum(p.by_entity.get(e, 0) for p in populations) for e, n in counts.by_entity.items()}
        populations.append(_Population(context.subject, max(rest_personal, rest_sensitive, 0), max(rest_sensitive, 0),
                                       {e: n for e, n in rest_entities.items() if n > 0}))
    return populations


def _role_items(ruleset: Ruleset, context: Context) -> list[Item]:
    """The personal-information items limited to roles that may apply in this scenario."""
    return [i for i in ruleset.sector_items(context.sector)
            if i.category == "personal_information" and i.subjects and _scenario_applies(ruleset, i, context.scenario)]


def _implied_role(ruleset: Ruleset, context: Context) -> str | None:
    """The role every role-limited item of the scenario names, when they name one only
    (member management: members); ``None`` otherwise."""
    roles = {r for i in _role_items(ruleset, context) for r in i.subjects}
    return roles.pop() if len(roles) == 1 else None


def _implied_role_note(context: Context, sector: Sector, role: str) -> dict[str, str]:
    label = sector.subjects[role]
    return _text(f"{_where_zh(sector, context)}：本场景的条目只适用于{label.zh}，未指定角色的人员按{label.zh}判断（--subject {role}；其他人员请用 --subject other 或 --by-subject 指明）",
                 f"{context.sector}/{context.scenario}: this scenario's items name {label.en} only, so persons of no "
                 f"stated role are judged as {label.en} (subject {role}; state others with --subject other or --by-subject)")


def _unknown_role_note(context: Context, sector: Sector) -> dict[str, str]:
    return _text(
        f"{_where_zh(sector, context)}：清单按数据主体角色区分，但部分人员角色未知；按从严原则，这些人员在每一角色的条目下都计算一次，且可能不属于任何清单列明的角色，故同时按国家基线（cac-2024.7/.8）判断（可用 --subject 指定）",
        f"{context.sector}/{context.scenario}: the list distinguishes subject roles but some persons' role is not "
        "known; leaning strict, they are counted under every role's items and, since they may be of no role the "
        "list names, judged by the national baseline too (cac-2024.7/.8; set --subject)",
    )


def _population_sensitive(ruleset: Ruleset, sector: Sector, context: Context, population: _Population) -> None:
    """Types an item governing these persons calls sensitive (retail 2/5: MAC address, device
    serial, browsing records, login credentials) make its persons sensitive persons."""
    own: set[str] = set()
    for item in ruleset.sector_items(context.sector):
        if item.category != "personal_information" or item.covered_dimensions() != {"sensitive"}:
            continue
        if not item.data_types.closed or not _applies(ruleset, item, context.scenario, population.role, [])[0]:
            continue
        own |= set(item.data_types.entities)
    if own:
        population.sensitive = max([population.sensitive, *(n for e, n in population.by_entity.items() if e in own)])
        population.personal = max(population.personal, population.sensitive)


# --- the list's own items ---------------------------------------------------------------


def _scenario_applies(ruleset: Ruleset, item: Item, scenario: str) -> bool:
    """Whether ``item``'s scenarios include ``scenario``. "除第X项涉及场景以外的其他场景" excludes
    by scenario: the scenarios the named items are limited to, whoever the persons are."""
    reading = item.scenarios.reading
    if reading == "only":
        return scenario in item.scenarios.keys
    if reading == "except_items":
        return scenario not in _scenarios_of(ruleset, item.scenarios.items)
    return True


def _scenarios_of(ruleset: Ruleset, item_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for item_id in item_ids:
        other = ruleset.item(item_id)
        if other.scenarios.reading in ("only", "examples"):
            found |= set(other.scenarios.keys)
        elif other.scenarios.reading == "all":
            found |= set(ruleset.sectors[other.sector].scenarios)
    return found


def _applies(ruleset: Ruleset, item: Item, scenario: str, role: str | None, modalities: list[str]) -> tuple[bool, tuple[str, str]]:
    """Whether ``item`` governs persons of ``role`` in ``scenario``, and why not.

    With an unknown role, an item limited to roles applies (lean strict); the items "except the
    scenarios of items X" never apply in those scenarios, whoever the persons are.
    """
    reading = item.scenarios.reading
    if reading == "only" and scenario not in item.scenarios.keys:
        keys = ", ".join(item.scenarios.keys)
        keys_zh = "、".join(_scenario_zh(ruleset, item.sector, k) for k in item.scenarios.keys)
        return False, (f"仅限于{keys_zh}场景；当前场景为{_scenario_zh(ruleset, item.sector, scenario)}",
                       f"only in {keys} (仅限于); the scenario is {scenario}")
    if reading == "except_items" and not _scenario_applies(ruleset, item, scenario):
        others = ", ".join(item.scenarios.items)
        return False, (f"{_scenario_zh(ruleset, item.sector, scenario)}属于 {others} 涉及的场景（本条为“除第…项涉及场景以外的其他场景”）",
                       f"{scenario} is a scenario of {others} (this item covers the other scenarios only)")
    if item.subjects:
        roles = ", ".join(item.subjects)
        if role is not None and role not in item.subjects:
            sector = ruleset.sectors.get(item.sector)
            roles_zh = "、".join(_role_zh(sector, r) for r in item.subjects)
            return False, (f"仅适用于{roles_zh}；数据主体为{_role_zh(sector, role)}",
                           f"only for {roles}; the subjects are {role}")
    if item.modalities and modalities and not set(item.modalities) & set(modalities):
        wanted = ", ".join(item.modalities)
        have = ", ".join(modalities) or "-"
        return False, (f"仅适用于{vocabulary.join_names('modalities', item.modalities)}模态；"
                       f"当前为{vocabulary.join_names('modalities', modalities)}",
                       f"only for {wanted} data; the modality is {have}")
    return True, ("", "")


def _judge_sector(ruleset: Ruleset, sector: Sector, context: Context, populations: list[_Population],
                  modalities: list[str], candidates: list[ImportantCandidate]) -> list[ItemResult]:
    results = []
    for item in ruleset.sector_items(context.sector):
        if item.category == "important_data":
            results.append(_judge_important(item, candidates))
        else:
            results.append(_judge_personal(ruleset, sector, item, context, populations, modalities))
    # Important-data items of another sector that the user raised still count.
    own = {r.id for r in results}
    for candidate in _unique_items(candidates):
        if candidate.item not in own and _has_item(ruleset, candidate.item):
            results.append(_judge_important(ruleset.item(candidate.item), candidates))
    return results


def _judge_personal(ruleset: Ruleset, sector: Sector, item: Item, context: Context,
                    populations: list[_Population], modalities: list[str]) -> ItemResult:
    base = {"id": item.id, "path": item.path, "category": item.category, "title": item.title.model_dump()}
    governed = []
    why_not = ("", "")
    for population in populations:
        ok, why = _applies(ruleset, item, context.scenario, population.role, modalities)
        if ok:
            governed.append(population)
        else:
            why_not = why
    clauses = [c for c in item.thresholds if not c.modalities or not modalities or set(c.modalities) & set(modalities)]
    if not governed or not clauses:
        first = item.thresholds[0]
        return ItemResult(**base, triggered=False, count=None, threshold=first.describe(), applies=False,
                          measure=first.measure, reason=_text(f"{item.id}：不适用：{why_not[0]}",
                                                              f"{item.id}: does not apply: {why_not[1]}"))
    judged = []
    for clause in clauses:
        # A clause or item limited to modalities is judged on each modality's persons apart.
        wanted = [m for m in (clause.modalities or item.modalities) if not modalities or m in modalities]
        per_modality = [sum(p.measure(clause, m) for p in governed) for m in wanted] if sector.modalities and wanted \
            else [sum(p.measure(clause) for p in governed)]
        holding_counts = [n for n in per_modality if clause.holds(n)]
        count = max(holding_counts) if holding_counts else max(per_modality)
        judged.append((clause, count, clause.holds(count), clause.headroom(count)))
    holding = [j for j in judged if j[2]]
    far = 10**18
    clause, count, hit, headroom = holding[0] if holding else min(judged, key=lambda j: j[3] if j[3] is not None else far)
    roles = {p.role for p in governed}
    role = roles.pop() if len(roles) == 1 and item.subjects else None
    who_zh, who_en = _who(sector, role, clause, item)
    reason = _threshold_reason(item.id, item.path, clause, count, hit, headroom, who_zh, who_en)
    return ItemResult(**base, triggered=hit, count=count, threshold=clause.describe(), headroom=headroom,
                      measure=clause.measure, reason=reason, clauses=[
                          {"measure": c.measure, "entities": c.entities, "modalities": c.modalities, "count": n,
                           "threshold": c.describe(), "triggered": h, "headroom": room}
                          for c, n, h, room in judged])


def _judge_important(item: Item, candidates: list[ImportantCandidate],
                     scope_gap: tuple[str, str] | None = None) -> ItemResult:
    mine = [c for c in candidates if c.item == item.id]
    evidence = [e for c in mine for e in c.evidence]
    shown = "; ".join(evidence[:3]) + (" …" if len(evidence) > 3 else "")
    shown_zh = shown.replace(CONFIRMED_BY_USER, "用户确认（--important）")
    path_zh, path_en = PATH_NAMES[item.path]
    base = {"id": item.id, "path": item.path, "category": item.category, "title": item.title.model_dump(),
            "count": None, "threshold": None}
    if scope_gap is not None:
        # The list does not apply here: the item only names the data; the baseline decides.
        return ItemResult(**base, triggered=False, applies=False, reason=_text(
            f"{item.id}：{scope_gap[0]}；该重要数据按国家基线（第七条）判断。证据：{shown_zh or '用户确认'}",
            f"{item.id}: {scope_gap[1]}; this important data is judged under the national baseline "
            f"(Article 7). Evidence: {shown or 'confirmed by the user'}"))
    if any(c.status == "confirmed" for c in mine):
        return ItemResult(**base, triggered=True, reason=_text(
            f"{item.id}：用户确认为重要数据，须{path_zh}。证据：{shown_zh}",
            f"{item.id}: confirmed as important data by the user: {path_en}. Evidence: {shown}"))
    if any(c.status == "unreviewed" for c in mine):
        return ItemResult(**base, triggered=True, reason=_text(
            f"{item.id}：疑似重要数据（未复核），在确认或排除前按{path_zh}从严计入结论。证据：{shown_zh}。"
            f"用 --important {item.id} 确认或 --not-important {item.id} 排除",
            f"{item.id}: UNREVIEWED important-data candidate, counted as {path_en} until reviewed "
            f"(lean strict). Evidence: {shown}. Confirm with --important {item.id} or dismiss with "
            f"--not-important {item.id}"))
    if mine:
        return ItemResult(**base, triggered=False, reason=_text(
            f"{item.id}：用户已排除（非重要数据）。证据：{shown_zh}",
            f"{item.id}: dismissed by the user (not important data). Evidence: {shown}"))
    return ItemResult(**base, triggered=False, reason=_text(
        f"{item.id}：重要数据不以数量判断；未见相关证据。如适用，请用 --important {item.id} 确认",
        f"{item.id}: important data is not decided by a count; no evidence seen. If it applies, "
        f"confirm it with --important {item.id}"))


# --- what the list does not cover ---------------------------------------------------------


def _fallbacks(ruleset: Ruleset, baseline: Ruleset, sector: Sector, context: Context,
               populations: list[_Population], modalities: list[str], seen: set[str]) -> _Fallback:
    """Persons whose personal information no applicable item covers: the baseline judges them."""
    fallback = _Fallback()
    personal_items = [i for i in ruleset.sector_items(context.sector) if i.category == "personal_information"]
    sensitive_types = sensitive_entities(ruleset, context.sector)
    not_personal = set(baseline.non_personal_entities)
    out_of_scope = {e for ents in sector.out_of_scope_modalities.values() for e in ents}
    for population in populations:
        if population.personal <= 0 and population.sensitive <= 0:
            continue
        governing = [i for i in personal_items
                     if _applies(ruleset, i, context.scenario, population.role, modalities)[0]]
        where = f"{context.scenario}" + (f"/{population.role}" if population.role else "")
        where_zh = _scenario_zh(ruleset, context.sector, context.scenario) + \
            (f"/{_role_zh(sector, population.role)}" if population.role else "")
        if not governing:
            _add(fallback, population.personal, population.sensitive,
                 (f"{where_zh}：无清单条目覆盖", f"no item of the list covers {where}"))
            continue
        if population.role is None and any(i.subjects for i in governing):
            # Persons of no known role may be of none the list names (其他个人): the baseline
            # judges them too (cac-2024.7/.8), never the other scenarios' items.
            _add(fallback, population.personal, population.sensitive, (
                f"{where_zh}：{population.personal} 人的数据主体角色未知，可能不属于清单列明的任何角色，从严按国家基线判断（可用 --subject 指定）",
                f"the subject role of {population.personal} persons in {where} is not known and may be none the "
                "list names: leaning strict, the national baseline judges them (set --subject)"))
            continue
        ids = ", ".join(i.id for i in governing)
        sensitive_here = sensitive_types | {e for i in governing if i.covered_dimensions() == {"sensitive"}
                                            and i.data_types.closed for e in i.data_types.entities}
        dimensions = set().union(*(i.covered_dimensions() for i in governing))
        if "non_sensitive" not in dimensions and population.personal > 0:
            _add(fallback, population.personal, 0, (
                f"{where_zh}的清单条目（{ids}）仅列明敏感个人信息，一般个人信息按国家基线判断",
                f"the items for {where} ({ids}) name only sensitive personal information: ordinary "
                "personal information there is judged by the national baseline"))
        if "sensitive" not in dimensions and population.sensitive > 0:
            _add(fallback, 0, population.sensitive, (
                f"{where_zh}的清单条目（{ids}）未列明敏感个人信息，按国家基线判断",
                f"the items for {where} ({ids}) do not name sensitive personal information: the "
                "national baseline judges it"))
        entities_here = {e for e, n in population.by_entity.items() if n} or seen
        closed = [i for i in governing if i.data_types.closed]
        allowed = {e for i in closed for e in i.data_types.entities}
        excluded = {e for i in governing for e in i.data_types.excludes} | out_of_scope
        outside = sorted(e for e in entities_here - not_personal if closed and e not in allowed)
        named_out = sorted(e for e in entities_here - not_personal if e in excluded)
        if outside:
            # Ordinary types outside the enumeration count as ordinary personal information,
            # sensitive ones as sensitive: the persons' enumerated data stays with the items.
            persons = _persons_having(population, outside)
            sens = [e for e in outside if e in sensitive_here]
            ordinary_types = [e for e in outside if e not in sensitive_here]
            sensitive = _persons_having(population, sens) if sens else 0
            ordinary = _persons_having(population, ordinary_types) if ordinary_types else 0
            _add(fallback, ordinary, sensitive, (
                f"{vocabulary.join_names('entities', outside)}不在 {', '.join(i.id for i in closed)} 列举的数据类型内，"
                f"涉及的 {persons} 人按更严格的国家基线判断",
                f"{', '.join(outside)} is not among the data types {', '.join(i.id for i in closed)} "
                f"enumerate: the stricter national rule applies to those {persons} persons"))
        if named_out:
            persons = _persons_having(population, named_out)
            # Once these types are sent, the item no longer covers these persons' data at all.
            sensitive = min(persons, population.sensitive)
            _add(fallback, persons, sensitive, (
                f"{where_zh}的清单条目不包括{vocabulary.join_names('entities', named_out)}，涉及的 {persons} 人按国家基线判断",
                f"the items for {where} exclude {', '.join(named_out)}: the national baseline judges "
                f"those {persons} persons"))
        if closed and population.sensitive > 0:
            typed = [e for e in entities_here if e in sensitive_here and e in population.by_entity]
            explained = min(population.sensitive, sum(population.by_entity[e] for e in typed)) if typed else 0
            if any(e in sensitive_here and e not in population.by_entity for e in entities_here):
                explained = population.sensitive  # a sensitive type seen without a count: no gap shown
            unexplained = population.sensitive - explained
            if unexplained > 0:
                given = bool(population.by_entity)
                hint_zh = "" if given else "（可用 --by-entity 指明类型）"
                hint_en = " (give --by-entity)" if not given else ""
                _add(fallback, 0, unexplained, (
                    f"{unexplained} 人的敏感个人信息不属于已知类型，无法确认属于 {ids} 列举的类型，从严按国家基线判断{hint_zh}",
                    f"{unexplained} persons' sensitive personal information is of no type given, so it cannot be "
                    f"shown to be among the types {ids} enumerate: leaning strict, the national baseline "
                    f"judges it{hint_en}"))
    return fallback


def _persons_having(population: _Population, entity_names: list[str]) -> int:
    """Persons having any of these entities; all of the population when a count is missing."""
    if any(e not in population.by_entity for e in entity_names):
        return population.personal
    return min(population.personal, sum(population.by_entity[e] for e in entity_names))


def _add(fallback: _Fallback, personal: int, sensitive: int, why: tuple[str, str]) -> None:
    fallback.personal += personal
    fallback.sensitive += sensitive
    fallback.why.append(why)


# --- the baseline -----------------------------------------------------------------------


def _judge_baseline(baseline: Ruleset, context: Context, counts: Counts, fallback: _Fallback,
                    important: list[ImportantCandidate], *, list_applies: bool) -> list[ItemResult]:
    # Several reasons may name the same persons: never count more than were sent.
    sent = max(counts.personal, counts.sensitive)
    personal = min(fallback.personal, sent)
    sensitive = min(fallback.sensitive, sent)
    judged_population = _Population(None, personal, sensitive, {})
    prefix_zh = "；".join(w[0] for w in fallback.why)
    prefix_en = "; ".join(w[1] for w in fallback.why)
    results = []
    for item in baseline.items:
        base = {"id": item.id, "path": item.path, "category": item.category, "title": item.title.model_dump()}
        reasons_zh: list[str] = []
        reasons_en: list[str] = []
        triggered = False
        count = threshold = headroom = measure = None
        clauses: list[dict[str, Any]] = []
        applies = bool(fallback.why)
        if applies:
            judged = [(c, judged_population.measure(c)) for c in item.thresholds]
            judged = [(c, n, c.holds(n), c.headroom(n)) for c, n in judged]
            holding = [j for j in judged if j[2]]
            far = 10**18
            if judged:
                clause, count, hit, headroom = holding[0] if holding else min(
                    judged, key=lambda j: j[3] if j[3] is not None else far)
                threshold, measure = clause.describe(), clause.measure
                who_zh, who_en = _who(None, None, clause)
                r = _threshold_reason(item.id, item.path, clause, count, hit, headroom, who_zh, who_en)
                reasons_zh.append(f"{r['zh']}（原因：{prefix_zh}）")
                reasons_en.append(f"{r['en']} (because {prefix_en})")
                triggered = hit
                clauses = [{"measure": c.measure, "entities": c.entities, "modalities": c.modalities, "count": n,
                            "threshold": c.describe(), "triggered": h, "headroom": room} for c, n, h, room in judged]
        live = [c for c in important if c.status != "dismissed"]
        if item.ciio_any and context.ciio and (counts.personal > 0 or live):
            applies = triggered = True
            reasons_zh.append(f"{item.id}：关键信息基础设施运营者向境外提供个人信息（{counts.personal} 人）或重要数据，须数据出境安全评估")
            reasons_en.append(f"{item.id}: a critical information infrastructure operator sends personal information "
                              f"({counts.personal} persons) or important data abroad: security assessment")
        if item.important_data and live:
            applies = triggered = True
            listed = ", ".join(f"{c.item} ({c.status})" for c in live)
            listed_zh = "、".join(f"{c.item}（{vocabulary.name('statuses', c.status)}）" for c in live)
            reasons_zh.append(f"{item.id}：重要数据（{listed_zh}）须数据出境安全评估；未复核的候选从严计入")
            reasons_en.append(f"{item.id}: important data ({listed}) needs a security assessment; unreviewed "
                              "candidates count until reviewed (lean strict)")
        if not reasons_en:
            why_zh = "清单条目已覆盖该情形，国家基线仅适用于清单未覆盖的数据" if list_applies else "无个人信息"
            why_en = ("the list's items cover this context; the baseline applies only to what they do not cover"
                      if list_applies else "no personal information")
            reasons_zh.append(f"{item.id}：{why_zh}")
            reasons_en.append(f"{item.id}: {why_en}")
        results.append(ItemResult(**base, triggered=triggered, count=count, threshold=threshold, headroom=headroom,
                                  measure=measure, applies=applies, clauses=clauses,
                                  reason=_text("；".join(reasons_zh), "; ".join(reasons_en))))
    return results


def _closing_notes(ruleset: Ruleset, baseline: Ruleset, context: Context, counts: Counts, path: str,
                   scope_gap: tuple[str, str] | None, live: list[ImportantCandidate]) -> list[dict[str, str]]:
    notes = []
    unreviewed = [c.item for c in live if c.status == "unreviewed"]
    if unreviewed:
        ids = ", ".join(dict.fromkeys(unreviewed))
        notes.append(_text(f"有 {len(set(unreviewed))} 项疑似重要数据未复核（{ids}），已从严计入结论；请确认（--important）或排除（--not-important）",
                           f"{len(set(unreviewed))} important-data candidate(s) not reviewed ({ids}) count in the verdict "
                           "(lean strict): confirm with --important or dismiss with --not-important"))
    if path == "none" and counts.personal > 0:
        if scope_gap is None and ruleset is not baseline:
            notes.append(_text(f"{_where_zh(ruleset.sectors.get(context.sector), context)}：未达到适用条目的任何门槛，不在清单内，可免予申报安全评估、订立标准合同或认证（规定第六条）",
                               f"{context.sector}/{context.scenario}: below every threshold of the items that cover "
                               "this context: off the list, exempt from assessment, contract and certification "
                               "(Provisions Art 6)"))
        else:
            notes.append(_text("国家基线：非关键信息基础设施运营者累计向境外提供不满10万人个人信息（不含敏感个人信息），免予申报（第五条第一款第四项）",
                               "national baseline: a non-CIIO sending fewer than 100,000 persons' non-sensitive "
                               "personal information since 1 January is exempt (Art 5(1)(4))"))
    return notes


# --- wording ----------------------------------------------------------------------------


def _who(sector: Sector | None, role: str | None, clause: Clause, item: Item | None = None) -> tuple[str, str]:
    """Who was counted, e.g. ('受试者（个人信息）', 'trial subjects (personal information)')."""
    if clause.measure == "entities":
        measure_en = "/".join(clause.entities)
        # In Chinese, the list's own words for the types it enumerates, else their names.
        own = item.data_types if item is not None and item.data_types is not None else None
        measure_zh = own.zh if own is not None and own.zh and set(own.entities) == set(clause.entities) \
            else "、".join(vocabulary.name("entities", e) for e in clause.entities)
    else:
        measure_zh, measure_en = MEASURE_TEXT[clause.measure]
    if clause.modalities:
        measure_zh += f"，{vocabulary.join_names('modalities', clause.modalities)}"
        measure_en += f", {'/'.join(clause.modalities)}"
    if sector is not None and role is not None and role in sector.subjects:
        label = sector.subjects[role]
        # The hcp role's full Chinese label is a sentence: keep the reason readable.
        return f"{label.zh.split('、')[0]}{measure_zh}", f"{label.en} ({measure_en})"
    return measure_zh, f"persons ({measure_en})"


def _threshold_reason(item_id: str, path: str, clause: Clause, count: int, hit: bool, headroom: int | None,
                      who_zh: str, who_en: str) -> dict[str, str]:
    bounds_en = " and ".join(p for p in (f"≥ {clause.min}" if clause.min is not None else "",
                                         f"< {clause.max}" if clause.max is not None else "") if p)
    bounds_zh = "且".join(p for p in (f"{clause.min}人以上" if clause.min is not None else "",
                                       f"不满{clause.max}人" if clause.max is not None else "") if p)
    path_zh, path_en = PATH_NAMES[path]
    if hit:
        room_zh = f"；再增加 {headroom} 人将越过下一门槛" if headroom is not None else ""
        room_en = f"; {headroom} more persons reach the next threshold" if headroom is not None else ""
        return _text(f"{item_id}：{who_zh} {count} 人，{bounds_zh}，须{path_zh}{room_zh}",
                     f"{item_id}: {count} {who_en} {bounds_en}: {path_en}{room_en}")
    if headroom is not None:
        return _text(f"{item_id}：{who_zh} {count} 人，未达到门槛（{bounds_zh}）；再增加 {headroom} 人即适用",
                     f"{item_id}: {count} {who_en}, below its threshold ({bounds_en}); {headroom} more persons "
                     "and it applies")
    return _text(f"{item_id}：{who_zh} {count} 人，超出本条范围（{bounds_zh}），由更严格的条目调整",
                 f"{item_id}: {count} {who_en}, beyond this item's range ({bounds_en}): a stricter item applies")


def _text(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _scenario_zh(ruleset: Ruleset, sector: str, scenario: str) -> str:
    """A scenario's Chinese name in the rule file (the code itself in a rule file without one)."""
    known = ruleset.sectors.get(sector)
    text = known.scenarios.get(scenario) if known is not None else None
    return text.zh if text is not None else scenario


def _role_zh(sector: Sector | None, role: str | None) -> str:
    """A subject role's Chinese name, short (the hcp role's full label is a sentence)."""
    label = sector.subjects.get(role) if sector is not None and role else None
    return label.zh.split("、")[0] if label is not None else str(role)


def _where_zh(sector: Sector | None, context: Context) -> str:
    """``汽车行业/车辆研发``: the context's sector and scenario by their Chinese names."""
    if sector is None:
        return f"{context.sector}/{context.scenario}"
    scenario = sector.scenarios.get(context.scenario)
    return f"{sector.title.zh}/{scenario.zh if scenario is not None else context.scenario}"


def _has_item(ruleset: Ruleset, item_id: str) -> bool:
    return any(i.id == item_id for i in ruleset.items)


def _unique_items(candidates: list[ImportantCandidate]) -> list[ImportantCandidate]:
    return list({c.item: c for c in candidates}.values())


# ----------------------------------------------------------------------------- important data


def table_finding_items(context: Context, kind: str) -> list[str]:
    """Important-data items that a finding over a whole table of ``kind`` is evidence for
    (``table_findings`` of the list's items: points inside a sensitive area name automotive.1),
    whatever the sector; a candidate is raised only for the context's own sector's.

    >>> table_finding_items(Context(sector="other", scenario="other"), "sensitive_area")
    ['automotive.1']
    """
    return [item.id for item in reference_list(context).items if kind in item.table_findings]


def sector_modalities(context: Context) -> list[str]:
    """The data modalities the context's sector tells apart (text, image, audio, video for AI
    training data), empty when its list does not; a scan infers one when none is given."""
    sector = reference_list(context).sectors.get(context.sector)
    return list(sector.modalities) if sector is not None else []


def important_candidates(context: Context, columns: list[tuple[str, str, str | None]],
                         counts: Counts | None = None) -> list[ImportantCandidate]:
    """Important-data candidates of the context's sector from (file, column name, entity) triples.

    The header words and entity combinations live in the rule file (``candidates`` of each
    important-data item); each candidate names the rules that raised it. Rules with
    ``min_persons`` need ``counts`` (persons per entity). When the baseline decides, the shipped
    list's items still name the evidence (important data is important data under Article 7).
    Each header is normalised once, so a file of 20,000 columns costs linear time.

    >>> cands = important_candidates(Context(sector="automotive", scenario="charging_station"),
    ...     [("charging_stations.csv", "充电桩经度", "GEO_LONGITUDE"), ("charging_stations.csv", "充电桩纬度", None)])
    >>> [(c.item, c.evidence, c.rules) for c in cands]
    [('automotive.3', ['charging_stations.csv: 充电桩经度, 充电桩纬度'], ['automotive.3#1'])]
    """
    ruleset = reference_list(context)
    if context.sector not in ruleset.sectors:
        return []
    by_file: dict[str, list[_Column]] = {}
    for file, name, entity in columns:
        by_file.setdefault(file, []).append(_Column(name, entity, *_normalise_header(name)))
    indexes = {file: _FileIndex(file_columns) for file, file_columns in by_file.items()}
    found = []
    for item in ruleset.sector_items(context.sector):
        evidence: list[str] = []
        why_zh: list[str] = []
        why_en: list[str] = []
        rules: list[str] = []
        for number, rule in enumerate(item.candidates, 1):
            rule_id = f"{item.id}#{rule.name or number}"
            for file, index in indexes.items():
                matched = index.match(rule.all, set(rule.exclude_entities))
                if matched is None:
                    continue
                if rule.min_persons is not None:
                    persons = _persons_with(rule.all, matched, counts)
                    if persons < rule.min_persons:
                        continue
                line = f"{file}: {', '.join(dict.fromkeys(c.name for c in matched))}"
                if rule.min_persons is not None:
                    line += f" ({persons} persons ≥ {rule.min_persons})"
                if line not in evidence:
                    evidence.append(line)
                    why_zh.append(rule.why.zh)
                    why_en.append(rule.why.en)
                if rule_id not in rules:
                    rules.append(rule_id)
        if evidence:
            found.append(ImportantCandidate(item.id, evidence, "unreviewed",
                                            _text("；".join(dict.fromkeys(why_zh)), "; ".join(dict.fromkeys(why_en))),
                                            rules))
    return found


@dataclass(frozen=True)
class _Column:
    name: str
    entity: str | None
    key: str  # lower case, separators removed
    tokens: frozenset[str]  # lower-case tokens (camelCase split)


class _FileIndex:
    """One file's headers, indexed once: tokens and entities in dictionaries, the normalised
    headers joined in one string that each word is searched in (C speed, linear in the file's
    header bytes), so that 20,000 columns cost linear time whatever the number of rule words."""

    def __init__(self, columns: list[_Column]) -> None:
        self.columns = columns
        self.joined = "\n".join(c.key for c in columns)
        self.starts = []
        position = 0
        for c in columns:
            self.starts.append(position)
            position += len(c.key) + 1
        self.by_token: dict[str, list[int]] = {}
        self.by_entity: dict[str, list[int]] = {}
        for i, c in enumerate(columns):
            for token in c.tokens:
                self.by_token.setdefault(token, []).append(i)
            if c.entity:
                self.by_entity.setdefault(c.entity, []).append(i)
        self._hits: dict[tuple[str, ...], set[int]] = {}

    def hits(self, group: tuple[str, ...]) -> set[int]:
        """Indexes of the columns matching any word of ``group``."""
        if group in self._hits:
            return self._hits[group]
        words = _group_words(group)
        found: set[int] = set()
        for entity in words.entities:
            found.update(self.by_entity.get(entity, ()))
        for prefix in words.prefixes:
            for entity, at in self.by_entity.items():
                if entity.startswith(prefix):
                    found.update(at)
        for token in words.tokens:
            found.update(self.by_token.get(token, ()))
        for word in words.substrings:
            position = self.joined.find(word)
            while position != -1:
                column = bisect_right(self.starts, position) - 1
                found.add(column)
                following = column + 1
                if following >= len(self.starts):
                    break
                position = self.joined.find(word, self.starts[following])
        self._hits[group] = found
        return found

    def match(self, groups: list[list[str]], exclude: set[str]) -> list[_Column] | None:
        """The columns matching every group (each group by at least one column), else ``None``;
        a column holding an ``exclude`` entity is never evidence."""
        matched: list[_Column] = []
        for group in groups:
            hits = sorted(i for i in self.hits(tuple(group)) if self.columns[i].entity not in exclude)
            if not hits:
                return None
            matched += [self.columns[i] for i in hits]
        return matched


def _persons_with(groups: list[list[str]], matched: list[_Column], counts: Counts | None) -> int:
    if counts is None:
        return 0
    wanted = {w.removeprefix("entity:") for g in groups for w in g if w.startswith("entity:")}
    entities = {c.entity for c in matched if c.entity and c.entity in wanted}
    return min(counts.personal or 10**18, sum(counts.by_entity.get(e, 0) for e in entities))


_SEPARATORS = re.compile(r"[\s_\-./:()（）]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_MAX_HEADER = 4096  # a header longer than this is judged on its first 4 KB (linear time on any name)


@lru_cache(maxsize=65536)
def _normalise_header(header: str) -> tuple[str, frozenset[str]]:
    header = header[:_MAX_HEADER]
    tokens = frozenset(t for t in _SEPARATORS.split(_CAMEL.sub(" ", header).lower()) if t)
    return _SEPARATORS.sub("", header.lower()), tokens


@dataclass(frozen=True)
class _Words:
    entities: tuple[str, ...]  # exact entity names
    prefixes: tuple[str, ...]  # entity:GEO_* prefixes
    tokens: frozenset[str]  # short Latin words: a whole token of the header
    substrings: tuple[str, ...]  # longer words and Chinese: anywhere in the header


@lru_cache(maxsize=1024)
def _group_words(group: tuple[str, ...]) -> _Words:
    entities, prefixes, tokens, substrings = [], [], set(), []
    for word in group:
        if word.startswith("entity:"):
            name = word.removeprefix("entity:")
            (prefixes.append(name[:-1]) if name.endswith("*") else entities.append(name))
            continue
        key = _SEPARATORS.sub("", word.lower())
        if key.isascii() and len(key) <= 4:
            tokens.add(key)
        else:
            substrings.append(key)
    return _Words(tuple(entities), tuple(prefixes), frozenset(tokens), tuple(substrings))


def _column_matches(words: _Words, column: _Column) -> bool:
    if column.entity is not None and (column.entity in words.entities
                                      or any(column.entity.startswith(p) for p in words.prefixes)):
        return True
    if words.tokens & column.tokens:
        return True
    return any(w in column.key for w in words.substrings)


def _word_matches(word: str, header: str, entity: str | None) -> bool:
    """Whether a header word or ``entity:NAME`` matches a column.

    Short Latin words (``ota``, ``ecu``, ``fdr``) must be a whole token of the header, so that
    ``lat`` does not match ``platform``; longer words and Chinese match anywhere.

    >>> _word_matches("ecu", "ECU_status", None), _word_matches("lat", "platform", None)
    (True, False)
    >>> _word_matches("charging pile", "ChargingPile_Lon", None), _word_matches("entity:GEO_*", "x", "GEO_POINT")
    (True, True)
    """
    return _column_matches(_group_words((word,)), _Column(header, entity, *_normalise_header(header)))


def apply_review(candidates: list[ImportantCandidate], important: list[str] | tuple[str, ...] = (),
                 not_important: list[str] | tuple[str, ...] = (),
                 ruleset: str | Ruleset | None = None) -> list[ImportantCandidate]:
    """The candidates with the user's decisions: ``--important ITEM`` / ``--not-important ITEM``.

    A confirmed item without a candidate is added (the user knows what the scan cannot see).
    Raises :class:`ValueError` for an id that is not an important-data item of the rule set.

    >>> [c.status for c in apply_review([ImportantCandidate("automotive.3", ["a.csv: 充电桩经度"])],
    ...                                 important=["automotive.5"], not_important=["automotive.3"])]
    ['dismissed', 'confirmed']
    """
    valid = important_item_ids(ruleset)
    for item_id in [*important, *not_important]:
        if item_id not in valid:
            rs = load_ruleset(ruleset or REFERENCE_LIST)
            kind = "a personal-information item" if _has_item(rs, item_id) or _has_item(baseline_of(rs), item_id) else "not an item"
            raise ValueError(f"{item_id} is {kind} of {rs.id}: --important and --not-important take "
                             f"important-data items: {_ranges(valid)}")
    both = sorted(set(important) & set(not_important))
    if both:
        raise ValueError(f"{', '.join(both)} is given both as important and as not important")
    reviewed = []
    for candidate in candidates:
        if candidate.item in important:
            candidate = replace(candidate, status="confirmed")
        elif candidate.item in not_important:
            candidate = replace(candidate, status="dismissed")
        reviewed.append(candidate)
    present = {c.item for c in reviewed}
    for item_id in dict.fromkeys(important):
        if item_id not in present:
            reviewed.append(ImportantCandidate(item_id, [CONFIRMED_BY_USER], "confirmed",
                                               rules=["user"]))
    return reviewed


def _ranges(ids: list[str]) -> str:
    """``automotive.1–7, pharmaceutical.1–3, pharmaceutical.14`` rather than 20 ids."""
    groups: dict[str, list[int]] = {}
    for item_id in ids:
        sector, number = item_id.rsplit(".", 1)
        groups.setdefault(sector, []).append(int(number))
    parts = []
    for sector, numbers in groups.items():
        numbers.sort()
        start = prev = numbers[0]
        for n in [*numbers[1:], None]:
            if n is not None and n == prev + 1:
                prev = n
                continue
            parts.append(f"{sector}.{start}" + (f"–{prev}" if prev != start else ""))
            if n is not None:
                start = prev = n
    return ", ".join(parts)
