"""The minimisation plan: what each change to the export does to the legal path.

``plan(paths, options)`` classifies every column once, as a scan does, then streams the rows and
counts the persons once per *scenario*: the export as it is, and the export after a change
(a column dropped, generalised or pseudonymised) or a set of changes. Each scenario has its own
person counter fed by the same machinery as the scan (the same per-column row findings, the
same keys and flags, the same table analysis of trajectories), with the change applied to the
batch; the rule engine then decides each scenario's path. The counts are exact, never estimated.

How each change is counted (the scan of the redacted copy with the decisions file that
``chujing redact`` writes beside it counts the same way):

- **drop**: the column's findings are gone.
- **generalise** (birth date → year, address → city, coordinates → a coarser grid): the column
  still holds that kind of personal information on every row where a generalised value is left;
  a generalised value is never a person key; trajectories are judged on the generalised points.
- **pseudonymise** (keyed hash) and **mask**: the same persons' information, of the same kinds,
  counted as before. Pseudonymised and masked data remain personal information (PIPL Art 4 and
  73); only anonymised data leaves the PIPL, and nothing here makes data anonymous.

A person under 14 stays a child whatever is done to the date that showed it: their remaining
information is counted as sensitive (PIPL Art 28) in every scenario, even when the column that
gave the birth date is dropped or generalised (a scan of the copy alone could no longer see it).

For each lower path the plan also looks for a *minimal* set of drops (and gentler
generalisations where they suffice) that reaches it: starting from dropping every sensitive
column (or every personal column), it leaves changes out one at a time as long as the path is
still reached; "minimal" means that leaving out any one of its changes misses the path. Each
round of that search is one more pass over the rows.

Where the quasi-identifiers left (birth date or year, gender, ethnicity, address or city,
coordinates) single out groups of fewer than ``k`` persons, the plan says so, for the export as
it is and for each set.
"""

from __future__ import annotations

import copy
import datetime as _dt
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import strip_whitespace
from detectors.classify import as_text
from scanner.detect.column_profile import ColumnProfile
from scanner.detect.columns import (
    apply_column_decisions,
    classify_columns,
    is_personal,
    profile_batch,
    table_analyzer,
    user_key_columns,
)
from scanner.engines import local as pl
from scanner.minimise import deid
from scanner.options import ScanOptions
from scanner.persons.keys import (
    add_user_key,
    birth_dates_at,
    birth_dates_of,
    column_rows,
    flag_minors,
    flag_rows,
    secondary_keys,
)
from scanner.report.model import PATH_ORDER, ColumnReport, FileReport, Report
from scanner.review.decisions import as_decisions
from scanner.sources.files import SourceError, describe_read_error, display_path, named_after_person
from scanner.sources.names import columns_headed, masked_header
from scanner.sources.sample import open_input, read_sample
from scanner.verdict import conclude

log = logging.getLogger("chujing")

DEFAULT_K = 5
MAX_ROUNDS = 20
MAX_GROUP_PAIRS = 2_000_000
SCENARIOS_PER_PASS = 16  # person counters alive at once
CACHE_BYTES = 256 << 20  # per-batch findings kept between passes (small exports are read once)  # distinct (quasi-identifiers, person) pairs kept per file and scenario
QUASI_IDENTIFIERS = ("BIRTH_DATE", "AGE", "GENDER", "ETHNICITY", "CN_ADDRESS", "GEO_LATITUDE", "GEO_LONGITUDE", "GEO_POINT")
# Besides person keys and vehicle or device keys (a detector's ``thing_key``), names are pseudonymised.
PSEUDONYMISABLE = {"PERSON_NAME"}
ACTIONS = ("drop", "generalise", "pseudonymise", "mask")

LAW = {
    "pseudonymised": {
        "zh": "去标识化（假名化）或掩码处理后的数据仍是个人信息（《个人信息保护法》第四条、第七十三条）：只有匿名化的信息才不属于个人信息。本计划从不把任何结果称为匿名。",
        "en": "Pseudonymised or masked data remains personal information (PIPL Art 4 and 73): only anonymised "
              "information falls outside the PIPL, and this plan never calls a result anonymous.",
    },
    "minors": {
        "zh": "不满十四周岁未成年人的个人信息是敏感个人信息（《个人信息保护法》第二十八条）：删除或泛化出生日期并不改变这一点，本计划在每种方案中仍按敏感计数。",
        "en": "A child under 14's personal information is sensitive (PIPL Art 28): dropping or generalising the "
              "birth date does not change that, and every scenario here still counts it as sensitive.",
    },
    "k": {
        "zh": "准标识符组合（出生日期/年份、性别、民族、地址/城市、坐标）下人数少于 k 的组仍可能识别出个人。",
        "en": "Groups of fewer than k persons on the quasi-identifiers left (birth date or year, gender, ethnicity, "
              "address or city, coordinates) can still single people out.",
    },
}


class PlanError(ValueError):
    """A change that names no column of the inputs, or a rule that does not fit."""


@dataclass(frozen=True, order=True)
class Change:
    """One change to one column: of one file (``file``, its display path) or of every file."""

    action: str  # drop | generalise | pseudonymise | mask
    column: str
    file: str | None = None
    rule: str | None = None  # the generalisation rule

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise PlanError(f"unknown change {self.action!r} (changes: {', '.join(ACTIONS)})")
        if self.action == "generalise":
            if not self.rule:
                column = masked_header(self.column)
                raise PlanError(f"generalising {column!r} needs a rule, e.g. {column}=year")
            deid.parse_rule(self.rule)

    def matches(self, file: str, column: str) -> bool:
        return column == self.column and (self.file is None or self.file == file or _same_file(self.file, file))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"action": self.action, "column": self.column, "file": self.file}
        if self.rule:
            d["rule"] = self.rule
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Change:
        return cls(action=d["action"], column=d["column"], file=d.get("file"), rule=d.get("rule"))

    def label(self) -> str:
        where = f"{os.path.basename(self.file)}: " if self.file else ""
        how = f" → {self.rule}" if self.rule else ""
        return f"{self.action} {where}{self.column}{how}"


def resolve_columns(changes: Iterable[Change], columns: Iterable[tuple[str, str]]) -> list[Change]:
    """Each change on a column as reported, of the (file, column) ``columns``: a change naming a
    column by its raw header (``--drop 韩晓建``) is on the column reported masked (韩**). When
    that masked name is ambiguous (韩** and 韩**.1) it is a ``PlanError`` naming the masked
    names it could be (never the raw name); a change naming no column is left for
    :meth:`Engine.check` to refuse."""
    columns = list(columns)
    out = []
    for ch in changes:
        if any(ch.matches(f, n) for f, n in columns):
            out.append(ch)
            continue
        by_file: dict[str, list[str]] = {}
        for f, n in columns:
            if ch.file is None or ch.file == f or _same_file(ch.file, f):
                by_file.setdefault(f, []).append(n)
        could_be = sorted({n for names in by_file.values() for n in columns_headed(ch.column, names)})
        if len(could_be) > 1:
            raise PlanError(f"--{ch.action} {masked_header(ch.column)}: the header is shown masked and could be "
                            f"any of {', '.join(could_be)}: name the column as reported")
        out.append(replace(ch, column=could_be[0]) if could_be else ch)
    return out


def _same_file(a: str, b: str) -> bool:
    a, b = a.replace("\\", "/"), b.replace("\\", "/")
    return a.endswith("/" + b) or b.endswith("/" + a)


# --- the scenarios' engine ----------------------------------------------------------------------

@dataclass
class _FileModel:
    """One input classified once: what every pass over its rows needs."""

    source: Any
    report: FileReport
    schema: pa.Schema | None = None
    sample: pa.Table | None = None
    plans: list = field(default_factory=list)
    classifications: dict = field(default_factory=dict)
    key_columns: dict[str, int] = field(default_factory=dict)
    decided: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.report.error is None


@dataclass
class Outcome:
    """What one scenario leads to."""

    changes: tuple[Change, ...]
    report: Report
    small_groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # file → k-anonymity finding

    @property
    def path(self) -> str:
        return self.report.path

    def summary(self) -> dict[str, Any]:
        r = self.report
        return {
            "changes": [c.to_dict() for c in self.changes],
            "path": r.path,
            "paths": r.verdict.get("paths", [r.path]),
            "items": list(r.verdict.get("items", [])),
            "persons": {"personal": r.persons.personal, "sensitive": r.persons.sensitive,
                        "by_entity": dict(r.persons.by_entity), "minors": r.persons.minors},
            "important_data": [d.get("item") for d in r.important_data],
            "small_groups": self.small_groups,
        }


class Engine:
    """Classifies the inputs once; :meth:`evaluate` counts any number of scenarios in one pass."""

    def __init__(self, paths: Iterable[str | os.PathLike], options: ScanOptions, k: int = DEFAULT_K,
                 quasi_identifiers: Iterable[str] = (), also: Iterable[tuple[Change, ...]] = ()):
        """``also``: scenarios counted in the same first pass as the export as it is (their
        outcomes are in ``self.also``): one reading of the rows for a redaction's before and after."""
        options.record = False  # a plan never writes to the ledger
        options.state = None
        if options.scan_date is None:
            options.scan_date = _dt.date.today()
        self.options = options
        self.k = k
        self.extra_quasi = list(quasi_identifiers)
        self.context = options.context()
        self.notes = pl.engine.check_context(self.context)
        self.detectors = options.detectors or pl.load_detectors(options.detector_files)
        self.by_entity = {d.entity: d for d in self.detectors}
        self.decisions = as_decisions(options.decisions)
        self.skeleton = Report(ruleset=options.ruleset, context=self.context.to_dict())
        self.sources = pl.discover_inputs(self.skeleton, paths, options)
        self.models = [self._model(s) for s in self.sources]
        self.passes = 0
        self._cache: dict[int, list] = {}
        self._cached_bytes = 0
        also = [tuple(self.resolve(s)) for s in also]
        for scenario in also:
            self.check(scenario)
        first = self.evaluate([(), *also], profile=True)
        self.baseline, self.also = first[0], first[1:]

    # -- once per file ------------------------------------------------------------------------
    def _model(self, source) -> _FileModel:
        options = self.options
        fr = FileReport(path=source.display, size_bytes=source.size, subject=pl.subject_for(source, options))
        m = _FileModel(source=source, report=fr)
        if source.reader.copy_first:
            fr.error = "remote text files are not planned: copy the file here first"
            return m
        try:
            sample, meta = read_sample(source, options)
            fr.format, fr.encoding, fr.delimiter = meta.format, meta.encoding, meta.delimiter
            m.schema, m.sample = meta.schema, sample
            m.plans, m.classifications = classify_columns(meta.schema, sample, self.detectors, options)
            m.decided = apply_column_decisions(source.path, m.plans, m.classifications, self.detectors, self.decisions)
            m.key_columns = user_key_columns(meta.schema, options.person_keys)
        except SourceError as exc:
            fr.error = str(exc).removeprefix(f"{source.display}: ")
        except (pa.ArrowException, OSError, UnicodeDecodeError, EOFError, ValueError, MemoryError) as exc:
            fr.error = describe_read_error(exc)
        return m

    def columns(self) -> list[tuple[str, str, str | None, bool]]:
        """(file, column, entity, sensitive) of every column that holds personal information,
        or that is named after a person (a rota's 韩**: only dropping it stops counting them)."""
        out = []
        for m in self.models:
            if not m.ok:
                continue
            for p in m.plans:
                if any(is_personal(d) for d in p.detectors):
                    sensitive = any(d.sensitive and is_personal(d) for d in p.detectors)
                    out.append((m.report.path, p.name, p.classification.entity, sensitive))
            for name in m.key_columns:
                if name not in {p.name for p in m.plans}:
                    out.append((m.report.path, name, None, False))
            listed = {c for f, c, _, _ in out if f == m.report.path}
            for name, c in m.classifications.items():
                if name not in listed and named_after_person(name) \
                        and (m.decided.get(name) or {}).get("action") != "not_personal":
                    out.append((m.report.path, name, None, c.sensitive))
        return out

    def table_columns(self) -> set[tuple[str, str]]:
        """Columns behind a table finding (a trajectory's coordinates): sensitive as a whole."""
        out = set()
        for f in self.baseline.report.files:
            for t in f.tables:
                if t.get("sensitive"):
                    for c in t.get("coordinates") or t.get("columns") or []:
                        if isinstance(c, str):
                            out.add((f.path, c))
        return out

    def evidence_columns(self) -> set[tuple[str, str]]:
        """Columns named as evidence of an important-data candidate (personal or not)."""
        names = {(m.report.path, f.name) for m in self.models if m.ok for f in m.schema}
        out = set()
        for d in self.baseline.report.important_data:
            if d.get("status") == "dismissed":
                continue
            for line in d.get("evidence") or []:
                file, _, rest = str(line).partition(": ")
                inner = re.search(r"\(([^()]*)\)\s*$", rest)
                for part in (rest, inner.group(1) if inner else ""):
                    for col in part.split(","):
                        if (file, col.strip()) in names:
                            out.add((file, col.strip()))
        return out

    def resolve(self, changes: Iterable[Change]) -> list[Change]:
        """The changes on the columns as reported (see :func:`resolve_columns`)."""
        return resolve_columns(changes, ((m.report.path, f.name) for m in self.models if m.ok for f in m.schema))

    def check(self, changes: Iterable[Change]) -> None:
        """Every change names a column of some input; every rule fits the column's type."""
        for ch in changes:
            hits = [(m, f) for m in self.models if m.ok for f in m.schema if ch.matches(m.report.path, f.name)]
            if not hits:
                where = f" of {display_path(ch.file)}" if ch.file else ""
                raise PlanError(f"no column {masked_header(ch.column)!r}{where} in the inputs")
            if ch.action == "generalise":
                for _, f in hits:
                    deid.check_rule_fits(ch.rule or "", f.type)

    # -- one pass, many scenarios -----------------------------------------------------------
    def evaluate(self, scenarios: list[tuple[Change, ...]], profile: bool = False) -> list[Outcome]:
        """The outcome of each scenario. At most ``SCENARIOS_PER_PASS`` person counters exist at
        a time (each holds per-key state), so memory stays bounded on any number of scenarios."""
        out: list[Outcome] = []
        for start in range(0, len(scenarios), SCENARIOS_PER_PASS):
            out += self._evaluate(scenarios[start:start + SCENARIOS_PER_PASS], profile)
        return out

    def _evaluate(self, scenarios: list[tuple[Change, ...]], profile: bool = False) -> list[Outcome]:
        options = self.options
        self.passes += 1
        counters = [pl.person_counter(options, self.detectors) for _ in scenarios]
        files = [[copy.deepcopy(m.report) for m in self.models] for _ in scenarios]
        groups = [dict() for _ in scenarios]
        for fi, m in enumerate(self.models):
            if not m.ok:
                continue
            views = [_View.of(m, s, self) for s in scenarios]
            profiles = {f.name: ColumnProfile(f.name, str(f.type)) for f in m.schema} if profile else None
            try:
                rows = self._pass_file(m, views, counters, profiles, groups)
            except SourceError as exc:
                for fl in files:
                    fl[fi].error = str(exc).removeprefix(f"{m.source.display}: ")
                m.report.error = files[0][fi].error
                continue
            except (pa.ArrowException, OSError, UnicodeDecodeError, EOFError, ValueError, MemoryError) as exc:
                for fl in files:
                    fl[fi].error = describe_read_error(exc)
                m.report.error = files[0][fi].error
                continue
            for si, v in enumerate(views):
                fr = files[si][fi]
                fr.rows = rows
                if profile:
                    fr.columns = _column_reports(m, profiles, options)
                    m.report = copy.deepcopy(fr)
                elif not fr.columns and self.models[fi].report.columns:
                    fr.columns = copy.deepcopy(self.models[fi].report.columns)
                fr.columns = [c for c in fr.columns if c.name not in v.dropped]
                fr.tables = v.table.finish() if v.table is not None else []
                # A column named after a person counts that person as the scan counts it, while
                # the scenario keeps the column (generalised, masked or pseudonymised values are
                # still that person's); dropped, it no longer names anyone.
                pl.count_persons_named(fr.columns, counters[si], fr.subject, m.source.display)
        outcomes = []
        for si, s in enumerate(scenarios):
            report = copy.deepcopy(self.skeleton)
            report.files = files[si]
            report.errors = [f"{f.path}: {f.error}" for f in files[si] if f.error]
            opts = replace(options)
            context = opts.context()
            report = conclude(report, opts, context, list(self.notes), self.decisions, counters[si], self.sources)
            outcomes.append(Outcome(s, report, _small_groups(groups[si], self.k)))
        return outcomes

    def _pass_file(self, m: _FileModel, views: list[_View], counters, profiles, groups) -> int:
        rows = 0
        for batch, results, birth, person in self._batches(m, profiles):
            rows += batch.num_rows
            for si, v in enumerate(views):
                keys, flags = v.keys_and_flags(batch, results)
                if v.table is not None:
                    v.table.add_batch(v.transform(batch, v.table_columns), keys, flags)
                counters[si].add_batch(keys, flags, birth_dates=birth, subject=m.report.subject,
                                       source=m.source.path)
                if v.quasi:
                    _add_groups(groups[si], m.report.path, v, batch, person())
        return rows

    def _batches(self, m: _FileModel, profiles):
        """Each batch with its per-column row findings, the rows' birth dates and a person key
        per row. The findings are the costly part (every detector on every value): they are kept
        for the next passes while they fit in ``CACHE_BYTES``, else read and found again."""
        cached = self._cache.get(id(m))
        if cached is not None:
            yield from cached
            return
        stream = open_input(m.source, self.options.block_size)
        keep: list | None = []
        size = 0
        try:
            for batch in stream.batches:
                if profiles is not None:
                    profile_batch(profiles, batch)
                results = [column_rows(p, batch.column(p.index), self.options.full) for p in m.plans]
                birth = _births(results)
                person = _Lazy(lambda batch=batch, results=results: _person_of_rows(batch, m, results))
                item = (batch, results, birth, person)
                if keep is not None:
                    size += _nbytes(item)
                    if self._cached_bytes + size > CACHE_BYTES:
                        keep = None
                    else:
                        keep.append(item)
                yield item
        finally:
            close = getattr(stream.batches, "close", None)
            if close:
                close()
        if keep is not None:
            self._cache[id(m)] = keep
            self._cached_bytes += size


class _Lazy:
    """A value computed on first use, then kept."""

    def __init__(self, fn):
        self._fn, self._value, self._done = fn, None, False

    def __call__(self):
        if not self._done:
            self._value, self._done = self._fn(), True
        return self._value


def _nbytes(item) -> int:
    batch, results, birth, _ = item
    n = batch.nbytes + (birth.nbytes if birth is not None else 0)
    for _, _, found in results:
        for f in found:
            n += f.rows.nbytes + sum(a.nbytes for a in (f.values, f.keys) if a is not None)
    return n


class _View:
    """One scenario as seen by one file: which of its columns change, and how."""

    def __init__(self, model: _FileModel, engine: Engine):
        self.model = model
        self.dropped: set[str] = set()
        self.kept_as_is: set[str] = set()  # pseudonymised / masked: counted as before
        self.generalised: dict[str, str] = {}
        self.masked: set[str] = set()
        self.table = None
        self.table_columns: dict[str, str] = {}
        self.quasi: list[tuple[str, str | None]] = []  # (column, generalisation rule or "mask" or None)

    @classmethod
    def of(cls, m: _FileModel, changes: tuple[Change, ...], engine: Engine) -> _View:
        v = cls(m, engine)
        for f in m.schema:
            for ch in changes:
                if not ch.matches(m.report.path, f.name):
                    continue
                if ch.action == "drop":
                    v.dropped.add(f.name)
                elif ch.action == "generalise":
                    v.generalised[f.name] = ch.rule or ""
                else:
                    v.kept_as_is.add(f.name)
                    if ch.action == "mask":
                        v.masked.add(f.name)
        classifications = dict(m.classifications)
        for name in v.dropped:
            if name in classifications:
                c = classifications[name]
                classifications[name] = replace(c, entity=None, entities=[], sensitive=False, category=None)
        sample = m.sample
        if v.generalised:
            sample = v.transform(sample, v.generalised)
        v.table = table_analyzer(m.schema, sample, classifications, engine.options)
        v.table_columns = {n: r for n, r in v.generalised.items()}
        for name, c in m.classifications.items():
            quasi = c.entity in QUASI_IDENTIFIERS or name in engine.extra_quasi
            if quasi and name not in v.dropped:
                how = v.generalised.get(name) or ("mask" if name in v.masked else None)
                v.quasi.append((name, how))
        return v

    @staticmethod
    def transform(data, rules: dict[str, str]):
        """A batch (or table) with the generalised columns replaced by their generalised values."""
        if not rules:
            return data
        names = data.schema.names
        arrays = []
        for i, name in enumerate(names):
            col = data.column(i)
            if name in rules:
                if isinstance(col, pa.ChunkedArray):
                    col = col.combine_chunks()
                col = deid.mask(col) if rules[name] == "mask" else deid.generalise(col, rules[name])
            arrays.append(col)
        if isinstance(data, pa.Table):
            return pa.Table.from_arrays(arrays, names=names)
        return pa.RecordBatch.from_arrays(arrays, names=names)

    def keys_and_flags(self, batch: pa.RecordBatch, results) -> tuple[dict[str, pa.Array], dict[str, np.ndarray]]:
        """The scan's keys and flags for this batch, with the scenario's changes applied
        (:func:`scanner.engines.count_batch`, column by column)."""
        n = batch.num_rows
        keys: dict[str, pa.Array] = {}
        secondary: dict[str, pa.Array] = {}
        flags: dict[str, np.ndarray] = {"personal": np.zeros(n, bool), "sensitive": np.zeros(n, bool)}
        for plan, (_, _, found) in zip(self.model.plans, results, strict=True):
            if plan.name in self.dropped:
                continue
            if plan.name in self.generalised:
                det = plan.detectors[0]
                general = deid.generalise(batch.column(plan.index), self.generalised[plan.name])
                text = as_text(general)
                present = pc.is_valid(general) if text is None else pc.and_(pc.is_valid(text), pc.not_equal(text, ""))
                flag_rows(flags, det, present.fill_null(False).to_numpy(zero_copy_only=False))
                continue
            for f in found:
                det = f.detector
                flag_rows(flags, det, f.rows)
                if f.values is None:
                    continue
                if f.keys is not None:
                    ns = det.entity
                    suffix = 2
                    while ns in keys:
                        ns = f"{det.entity}#{suffix}"
                        suffix += 1
                    keys[ns] = f.keys
                elif det.thing_key is not None and det.entity not in secondary:
                    secondary[det.entity] = f.values
        for name, index in self.model.key_columns.items():
            if name not in self.dropped:
                add_user_key(keys, flags, name, batch.column(index))
        secondary_keys(keys, secondary)
        # Ages from the columns as they are, dropped or generalised ones too: a child stays a
        # child (as with the birth dates of ``_births``).
        for _, _, found in results:
            for f in found:
                if f.values is not None:
                    flag_minors(flags, f.detector, f.values)
        return keys, flags


def _births(results) -> pa.Array | None:
    """Birth dates of the rows from the columns as they are (a child stays a child)."""
    birth = None
    for _, _, found in results:
        for f in found:
            read_birth = birth_dates_of(f.detector)
            if f.values is None or read_birth is None:
                continue
            values = f.keys if f.keys is not None else f.values
            dates = birth_dates_at(read_birth, values)
            birth = dates if birth is None else pc.coalesce(birth, dates)
    return birth


def _column_reports(m: _FileModel, profiles, options) -> list[ColumnReport]:
    plan_by_name = {p.name: p for p in m.plans}
    out = []
    for f in m.schema:
        c = m.classifications[f.name]
        prof = profiles[f.name]
        plan = plan_by_name.get(f.name)
        match_rate = c.match_rate
        if plan is not None and options.full and plan.non_null_rows:
            match_rate = round(plan.valid_rows / plan.non_null_rows, 4)
        out.append(ColumnReport(
            name=f.name, entity=c.entity, entities=list(c.entities), sensitive=c.sensitive, category=c.category,
            confidence=c.confidence, match_rate=match_rate, samples=list(c.samples), type=str(f.type),
            rows=prof.rows, nulls=prof.nulls, distinct_estimate=prof.distinct_estimate,
            min_length=prof.min_length, max_length=prof.max_length, evidence=c.evidence,
            decision=m.decided.get(f.name)))
    return out


# --- k-anonymity on the quasi-identifiers left ---------------------------------------------------

def _person_of_rows(batch: pa.RecordBatch, m: _FileModel, results) -> pa.Array:
    """One person key per row for grouping: the row's first person key (by the columns as they
    are: the person is the same whatever is changed), else the row itself."""
    person = None
    for _, _, found in results:
        for f in found:
            if f.keys is not None:
                k = pc.binary_join_element_wise(pa.scalar(f.detector.entity), f.keys, ":")
                person = k if person is None else pc.coalesce(person, k)
    for name, index in m.key_columns.items():
        text = as_text(batch.column(index))
        if text is not None:
            k = pc.binary_join_element_wise(pa.scalar("user:" + name), strip_whitespace(text), ":")
            person = k if person is None else pc.coalesce(person, k)
    return person if person is not None else pa.nulls(batch.num_rows, pa.string())


def _add_groups(groups: dict, file: str, view: _View, batch: pa.RecordBatch, person: pa.Array) -> None:
    state = groups.setdefault(file, {"pairs": None, "rows": 0, "columns": [n for n, _ in view.quasi],
                                     "overflow": False, "keyless": 0})
    if state["overflow"]:
        return
    arrays, names = [], []
    for i, (name, how) in enumerate(view.quasi):
        col = batch.column(batch.schema.get_field_index(name))
        if how == "mask":
            col = deid.mask(col)
        elif how:
            col = deid.generalise(col, how)
        text = as_text(col)
        arrays.append(text if text is not None else col.cast(pa.string()))
        names.append(f"q{i}")
    # A row with no person key is a person of its own (the scan's keyless policy).
    row_ids = pa.array(np.arange(state["rows"], state["rows"] + batch.num_rows).astype(str))
    row_person = pc.coalesce(person, pc.binary_join_element_wise(pa.scalar("row"), row_ids, ":"))
    state["rows"] += batch.num_rows
    table = pa.Table.from_arrays([*arrays, row_person], names=[*names, "person"])
    pairs = table.group_by([*names, "person"]).aggregate([])
    state["pairs"] = pairs if state["pairs"] is None else \
        pa.concat_tables([state["pairs"], pairs]).group_by([*names, "person"]).aggregate([])
    if state["pairs"].num_rows > MAX_GROUP_PAIRS:
        state["overflow"] = True
        state["pairs"] = None


def _small_groups(groups: dict, k: int) -> dict[str, dict[str, Any]]:
    out = {}
    for file, state in groups.items():
        if state["overflow"]:
            out[file] = {"quasi_identifiers": state["columns"], "k": k, "computed": False,
                         "reason": f"more than {MAX_GROUP_PAIRS:,} distinct combinations: treat most persons as unique"}
            continue
        pairs = state["pairs"]
        if pairs is None or not pairs.num_rows:
            continue
        names = [n for n in pairs.schema.names if n != "person"]
        sizes = pairs.group_by(names).aggregate([("person", "count")]).column("person_count").to_numpy()
        small = sizes < k
        out[file] = {"quasi_identifiers": state["columns"], "k": k, "computed": True, "groups": int(len(sizes)),
                     "groups_below_k": int(small.sum()), "persons_in_groups_below_k": int(sizes[small].sum()),
                     "smallest_group": int(sizes.min()) if len(sizes) else 0}
    return out


# --- the plan -------------------------------------------------------------------------------------

@dataclass
class Plan:
    baseline: Outcome
    entries: list[dict[str, Any]]
    sets: list[dict[str, Any]]
    k: int
    passes: int
    notes: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        """The ``plan`` key of the JSON report (and the lists beside it)."""
        return {"plan": self.entries + self.sets,
                "plan_summary": {"path_before": self.baseline.path, "k": self.k, "passes": self.passes,
                                 "law": [LAW["pseudonymised"], LAW["minors"], LAW["k"]], "notes": self.notes,
                                 "small_groups_before": self.baseline.small_groups}}

    def report_dict(self) -> dict[str, Any]:
        d = self.baseline.report.to_dict()
        d.update(self.to_dict())
        return d

    def best_set(self, target: str | None = None) -> dict[str, Any] | None:
        """The set reaching ``target`` (or the lowest path any set reaches)."""
        reached = [s for s in self.sets if s.get("reached")]
        if target is not None:
            reached = [s for s in reached if s["target"] == target]
        if not reached:
            return None
        return min(reached, key=lambda s: PATH_ORDER.index(s["path"]))


def _rank(path: str) -> int:
    return PATH_ORDER.index(path) if path in PATH_ORDER else len(PATH_ORDER)


def plan_entry(kind: str, outcome: Outcome, baseline: Outcome, **more: Any) -> dict[str, Any]:
    d = {"kind": kind, **outcome.summary(), **more}
    d["path_before"] = baseline.path
    d["lowers_path"] = _rank(outcome.path) < _rank(baseline.path)
    if any(c["action"] in ("pseudonymise", "mask") for c in d["changes"]):
        d["still_personal_information"] = True
    before = {i["id"]: i.get("triggered") for i in baseline.report.items}
    after = {i["id"]: i.get("triggered") for i in outcome.report.items}
    d["items_no_longer_triggered"] = sorted(i for i, t in before.items() if t and not after.get(i))
    d["items_newly_triggered"] = sorted(i for i, t in after.items() if t and not before.get(i))
    return d


def single_changes(engine: Engine) -> list[Change]:
    """The changes considered one at a time, for each column holding personal information."""
    out: list[Change] = []
    personal = {(f, c) for f, c, _, _ in engine.columns()}
    for file, column in sorted(engine.evidence_columns() - personal):
        out.append(Change("drop", column, file))
    for file, column, entity, _ in engine.columns():
        out.append(Change("drop", column, file))
        rule = deid.rule_for_entity(entity)
        if rule:
            out.append(Change("generalise", column, file, rule))
        det = engine.by_entity.get(entity or "")
        if det is not None and (det.person_key or det.thing_key is not None or entity in PSEUDONYMISABLE):
            out.append(Change("pseudonymise", column, file))
    return out


def build_plan(engine: Engine, changes: list[Change] | None = None, search: bool = True) -> Plan:
    """Evaluate each change alone and look for a minimal set reaching each lower path."""
    baseline = engine.baseline
    singles = engine.resolve(changes) if changes is not None else single_changes(engine)
    engine.check(singles)
    # Pseudonymising or masking changes nothing that is counted: the same outcome as the export
    # as it is (the same persons' information, of the same kinds, PIPL Art 4 and 73).
    counted = [c for c in singles if c.action in ("drop", "generalise")]
    evidence = engine.evidence_columns()
    sensitive_cols = {(f, c) for f, c, _, s in engine.columns() if s} | engine.table_columns() | evidence
    all_cols = {(f, c) for f, c, _, _ in engine.columns()} | evidence
    starts = []
    if search:
        if sensitive_cols:
            starts.append(tuple(sorted(Change("drop", c, f) for f, c in sensitive_cols)))
        if all_cols and all_cols != sensitive_cols:
            starts.append(tuple(sorted(Change("drop", c, f) for f, c in all_cols)))
    results = engine.evaluate([(c,) for c in counted] + starts)
    by_change = {o.changes: o for o in results}
    entries = []
    for c in singles:
        outcome = by_change.get((c,)) or Outcome((c,), baseline.report, baseline.small_groups)
        entries.append(plan_entry("change", outcome, baseline))

    sets = []
    notes: list[dict[str, str]] = []
    if search:
        targets = [p for p in PATH_ORDER if _rank(p) < _rank(baseline.path)]
        start_outcomes = [by_change[s] for s in starts]
        for target in targets:
            reaching = sorted((o for o in start_outcomes if _rank(o.path) <= _rank(target)), key=lambda o: len(o.changes))
            if not reaching:
                sets.append({"kind": "set", "target": target, "reached": False, "changes": [], "path": baseline.path,
                             "why": {"en": "dropping every column that holds personal information does not reach it "
                                           "(important data, or columns not recognised)",
                                     "zh": "删除所有含个人信息的列仍无法达到（重要数据，或未识别的列）"}})
                continue
            outcome, minimal = _reduce(engine, reaching[0], target)
            outcome, _ = _soften(engine, outcome, target)
            sets.append(plan_entry("set", outcome, baseline, target=target, reached=True, minimal=minimal))
    if baseline.report.persons.minors:
        notes.append(LAW["minors"])
    return Plan(baseline=baseline, entries=entries, sets=sets, k=engine.k, passes=engine.passes, notes=notes)


def _reduce(engine: Engine, outcome: Outcome, target: str) -> tuple[Outcome, bool]:
    """Leave changes out while the target is still reached.

    Each round tries, in one pass, leaving out each change alone and leaving out together all
    the changes that could each be left out in the round before (most changes are independent,
    so that usually removes them all at once); it ends when no single change can be left out.
    """
    spare: tuple[Change, ...] = ()
    for _ in range(MAX_ROUNDS):
        changes = outcome.changes
        if not changes:
            return outcome, True
        trials = [tuple(c for c in changes if c != x) for x in changes]
        if len(spare) > 1:
            trials.append(tuple(c for c in changes if c not in spare))
        results = engine.evaluate(trials)
        if len(spare) > 1 and _rank(results[-1].path) <= _rank(target):
            outcome, spare = results[-1], ()
            continue
        ok = [(x, o) for x, o in zip(changes, results, strict=False) if _rank(o.path) <= _rank(target)]
        if not ok:
            return outcome, True
        outcome = ok[0][1]
        spare = tuple(x for x, _ in ok[1:])
    return outcome, False


def _soften(engine: Engine, outcome: Outcome, target: str) -> tuple[Outcome, bool]:
    """Replace a drop by a generalisation wherever the target is still reached."""
    softer = []
    for c in outcome.changes:
        rule = deid.rule_for_entity(_entity_of(engine, c))
        if c.action == "drop" and rule:
            softer.append((c, Change("generalise", c.column, c.file, rule)))
    if not softer:
        return outcome, False
    trials = [tuple(sorted(new if x == old else x for x in outcome.changes)) for old, new in softer]
    results = engine.evaluate(trials)
    changed = False
    for o in results:
        if _rank(o.path) <= _rank(target):
            outcome, changed = o, True
            break
    return outcome, changed


def _entity_of(engine: Engine, change: Change) -> str | None:
    for file, column, entity, _ in engine.columns():
        if change.matches(file, column):
            return entity
    return None


def plan(paths: Iterable[str | os.PathLike], options: ScanOptions | None = None, k: int = DEFAULT_K,
         changes: list[Change] | None = None, search: bool = True, quasi_identifiers: Iterable[str] = (),
         **kwargs: Any) -> Plan:
    """The minimisation plan of an export (see the module docstring).

    >>> from scanner.minimise.plan import plan                                               # doctest: +SKIP
    >>> p = plan(["exports/"], sector="retail_services", scenario="member_management")  # doctest: +SKIP
    >>> [(e["changes"][0]["column"], e["path"]) for e in p.entries]                   # doctest: +SKIP
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    options = options or ScanOptions(**kwargs)
    return build_plan(Engine(paths, options, k=k, quasi_identifiers=quasi_identifiers), changes, search)
