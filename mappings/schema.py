"""The shape of a rule file (``mappings/rules/*.yaml``), checked when it is loaded.

A rule file is the law written as data: one file per rule set (the Beijing FTZ negative list,
the national baseline, or a user's own list for another FTZ). Each item carries its original
Chinese text, an English summary, the scenarios and subject roles it is limited to, the data
types it enumerates, and its thresholds in distinct natural persons.

Thresholds follow the list's own words: ``min`` is 以上 (the number included, ``>=``), ``max``
is 不满 (the number excluded, ``<``). An item with only ``max`` ("不满1万人敏感个人信息") has no
lower bound: one person is enough.

A malformed or inconsistent file is rejected with the file, the item and the reason
(:class:`RulesetError`), never half-loaded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mappings.paths import PATH_NAMES, PATHS  # noqa: F401 - the verdict's paths and their names

Path_ = Literal["standard_contract_or_certification", "other_legal_path", "security_assessment"]
ITEM_ID = re.compile(r"^(?P<sector>[a-z0-9_-]+)\.(?P<number>[1-9][0-9]*)$")


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RulesetError(ValueError):
    """A rule file that cannot be used, with the file, the item and the reason."""


class _Strict(BaseModel):
    # A misspelt key in a legal rule file must fail loudly, not be ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    zh: str
    en: str


class Clause(_Strict):
    """One threshold of an item: the persons counted by ``measure`` within [min, max).

    ``measure``: ``personal`` (every person whose personal information is sent; the strict
    reading of 个人信息（不含敏感个人信息）, which counts persons whose sensitive information
    is sent too), ``sensitive`` (persons whose sensitive personal information is sent), or
    ``entities`` (persons having any of ``entities``: items that enumerate their own types).
    """

    measure: Literal["personal", "sensitive", "entities"]
    entities: list[str] = Field(default_factory=list)
    min: int | None = Field(default=None, ge=1, description="以上: count >= min")
    max: int | None = Field(default=None, ge=1, description="不满: count < max")
    modalities: list[str] = Field(default_factory=list, description="only for these modalities")

    @model_validator(mode="after")
    def _bounds(self) -> Clause:
        if self.min is None and self.max is None:
            raise ValueError("a threshold needs min (以上, >=) or max (不满, <)")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"threshold min {self.min} is not below max {self.max}")
        if self.measure == "entities" and not self.entities:
            raise ValueError("measure 'entities' needs the list of entities it counts")
        if self.measure != "entities" and self.entities:
            raise ValueError(f"entities are only used with measure 'entities', not {self.measure!r}")
        return self

    def holds(self, count: int) -> bool:
        """Whether ``count`` persons fall within this threshold (no lower bound means >= 1).

        >>> Clause(measure="sensitive", max=10000).holds(9999), Clause(measure="sensitive", max=10000).holds(0)
        (True, False)
        >>> Clause(measure="personal", min=10000, max=50000).holds(50000)
        False
        """
        lower = self.min if self.min is not None else 1
        return count >= lower and (self.max is None or count < self.max)

    def headroom(self, count: int) -> int | None:
        """Persons to add before the judgement changes (the next bound above ``count``).

        >>> Clause(measure="personal", min=10000, max=50000).headroom(30000)
        20000
        >>> Clause(measure="personal", min=1000000).headroom(2000000) is None
        True
        """
        lower = self.min if self.min is not None else 1
        ahead = [bound - count for bound in (lower, self.max) if bound is not None and bound > count]
        return min(ahead) if ahead else None

    def describe(self) -> str:
        """The threshold as the report shows it, e.g. ``>= 10000 and < 50000`` or ``< 10000``."""
        parts = []
        if self.min is not None:
            parts.append(f">= {self.min}")
        if self.max is not None:
            parts.append(f"< {self.max}")
        return " and ".join(parts)


class Scenarios(_Strict):
    """Where an item applies.

    ``all`` 所有场景; ``examples`` 包括但不限于 (the keys are examples: every scenario of the
    sector); ``only`` 仅限于 (these keys and no others); ``except_items`` 除第…项涉及场景以外
    (wherever the named items do not apply).
    """

    reading: Literal["all", "examples", "only", "except_items"]
    keys: list[str] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self) -> Scenarios:
        if self.reading in ("examples", "only") and not self.keys:
            raise ValueError(f"scenario reading {self.reading!r} needs keys")
        if self.reading == "except_items" and not self.items:
            raise ValueError("scenario reading 'except_items' needs the items it excludes")
        return self


class DataTypes(_Strict):
    """The data types an item enumerates.

    ``closed``: the enumeration is the item's whole scope (a relaxed item): a type outside
    ``entities`` is not covered by it and falls back to the baseline. ``excludes``: types the
    item says it does not cover (e.g. patients' real names and contact details).
    """

    zh: str = ""
    en: str = ""
    entities: list[str] = Field(default_factory=list)
    closed: bool = False
    excludes: list[str] = Field(default_factory=list)


class CandidateRule(_Strict):
    """Evidence for an important-data candidate, seen in one file.

    Every group in ``all`` must be matched by some column of the file; a group matches a
    column whose header contains one of its words (case, spaces, ``_`` and ``-`` ignored) or
    whose entity is named as ``entity:NAME`` (``entity:GEO_*`` matches a prefix).
    ``min_persons``: also require that many persons having the matched entities.
    """

    all: list[list[str]] = Field(min_length=1)
    min_persons: int | None = Field(default=None, ge=1)
    why: Text
    name: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$",
                             description="the rule's name, shown with each candidate it raises")
    exclude_entities: list[str] = Field(
        default_factory=list,
        description="a column holding one of these entities is never evidence for this rule "
                    "(a 诊断 column of ICD-10 codes is medical, not a vehicle's ECU diagnostics)")

    @field_validator("all")
    @classmethod
    def _non_empty_groups(cls, groups: list[list[str]]) -> list[list[str]]:
        if any(not g for g in groups):
            raise ValueError("an evidence group is empty")
        return groups


class Item(_Strict):
    id: str
    category: Literal["important_data", "personal_information"]
    path: Path_
    title: Text
    text_zh: str = Field(min_length=1, description="the list's original text")
    summary_en: str = Field(min_length=1)
    scenarios: Scenarios = Scenarios(reading="all")
    subjects: list[str] = Field(default_factory=list, description="subject roles; empty = any")
    modalities: list[str] = Field(default_factory=list, description="modalities; empty = any")
    data_types: DataTypes = DataTypes()
    thresholds: list[Clause] = Field(default_factory=list, description="any clause triggers")
    covers: list[Literal["non_sensitive", "sensitive"]] = Field(default_factory=list)
    ciio_any: bool = False
    important_data: bool = False
    exceptions: Text | None = None
    candidates: list[CandidateRule] = Field(default_factory=list)
    table_findings: list[Literal["sensitive_area", "audio_labels", "cockpit_voice", "flight_recorder"]] = Field(
        default_factory=list,
        description="findings over a whole table (scanner.detect.tables) that are evidence for this item: "
                    "points inside a sensitive area, labelled speech, cockpit voice or flight recorder media")

    @property
    def sector(self) -> str:
        return self.id.rsplit(".", 1)[0]

    @property
    def number(self) -> int:
        return int(self.id.rsplit(".", 1)[1])

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not ITEM_ID.match(value):
            raise ValueError(f"item id {value!r} is not <sector>.<number>")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Item:
        if self.category == "personal_information" and not self.thresholds:
            raise ValueError("a personal-information item needs thresholds")
        if self.category == "important_data" and self.thresholds:
            raise ValueError("no count decides important data: remove the thresholds")
        if self.category == "important_data" and self.covers:
            raise ValueError("'covers' describes personal information, not important data")
        return self

    def covered_dimensions(self) -> set[str]:
        """Which kinds of personal information the item governs (explicit, else from measures)."""
        if self.covers:
            return set(self.covers)
        return {"non_sensitive" if c.measure == "personal" else "sensitive" for c in self.thresholds}


class Sector(_Strict):
    title: Text
    scenarios: dict[str, Text]
    subjects: dict[str, Text] = Field(default_factory=dict)
    modalities: dict[str, list[str]] = Field(default_factory=dict, description="modality -> its entities")
    out_of_scope_scenarios: dict[str, Text] = Field(default_factory=dict)
    out_of_scope_modalities: dict[str, list[str]] = Field(default_factory=dict)
    out_of_scope_exporters: dict[str, Text] = Field(
        default_factory=dict, description="statements, from the list's notes, that put an exporter outside the sector")
    sensitive_entities: list[str] = Field(
        default_factory=list, description="what the sector's notes call sensitive, beside the baseline's")
    scope: Text | None = None
    notes: list[Text] = Field(default_factory=list)


class Ruleset(_Strict):
    schema_: Literal["chujing.rules/1"] = Field(alias="schema")
    id: str
    title: Text
    source: Text
    baseline: str | None = Field(default=None, description="the rule set that applies outside the list")
    counting: Text
    sensitive_entities: list[str] = Field(default_factory=list)
    non_personal_entities: list[str] = Field(default_factory=list)
    sectors: dict[str, Sector] = Field(default_factory=dict)
    items: list[Item]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _consistent(self) -> Ruleset:
        seen: set[str] = set()
        for item in self.items:
            where = f"item {item.id}"
            if item.id in seen:
                raise ValueError(f"{where}: duplicate id")
            seen.add(item.id)
            if not self.sectors:
                continue  # a baseline: items are not tied to sectors
            sector = self.sectors.get(item.sector)
            if sector is None:
                raise ValueError(f"{where}: unknown sector {item.sector!r} (sectors: {', '.join(self.sectors)})")
            for key in item.scenarios.keys:
                if key not in sector.scenarios:
                    raise ValueError(f"{where}: unknown scenario {key!r} for {item.sector} "
                                     f"(scenarios: {', '.join(sector.scenarios)})")
            for ref in item.scenarios.items:
                if not ref.startswith(item.sector + "."):
                    raise ValueError(f"{where}: except_items may only name items of {item.sector}, not {ref}")
            for role in item.subjects:
                if role not in sector.subjects:
                    raise ValueError(f"{where}: unknown subject role {role!r} for {item.sector}")
            clause_modalities = [m for c in item.thresholds for m in c.modalities]
            for modality in [*item.modalities, *clause_modalities]:
                if modality not in sector.modalities:
                    raise ValueError(f"{where}: unknown modality {modality!r} for {item.sector}")
        for item in self.items:
            for ref in item.scenarios.items:
                if ref not in seen:
                    raise ValueError(f"item {item.id}: except_items names {ref}, which does not exist")
        for name in self.sectors:
            numbers = sorted(i.number for i in self.items if i.sector == name)
            if numbers != list(range(1, len(numbers) + 1)):
                raise ValueError(f"sector {name}: item numbers {numbers} are not 1..{len(numbers)} as printed")
        return self

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def sector_items(self, sector: str) -> list[Item]:
        return [i for i in self.items if i.sector == sector]


def parse_ruleset(text: str, source: str) -> Ruleset:
    """Parse and check a rule file's text; ``source`` names it in errors."""
    try:
        data = yaml.load(text, Loader=_LOADER)  # a safe loader: the C one when built
    except yaml.YAMLError as exc:
        raise RulesetError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RulesetError(f"{source}: a rule file is a mapping with 'schema', 'id', 'items'")
    try:
        return Ruleset.model_validate(data)
    except ValidationError as exc:
        raise RulesetError(f"{source}: {_explain(exc, data)}") from None


def read_ruleset(path: Path) -> Ruleset:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesetError(f"{path}: cannot read the rule file: {exc.strerror}") from None
    return parse_ruleset(text, str(path))


def _explain(exc: ValidationError, data: dict) -> str:
    """The first error as 'item automotive.9: thresholds.0: reason', naming the item by id."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    where = []
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
        items = data.get("items") or []
        item_id = items[loc[1]].get("id") if loc[1] < len(items) and isinstance(items[loc[1]], dict) else None
        where.append(f"item {item_id or '#' + str(loc[1] + 1)}")
        loc = loc[2:]
    if loc:
        where.append(".".join(str(part) for part in loc))
    message = error["msg"].removeprefix("Value error, ")
    return ": ".join([*where, message]) if where else message
