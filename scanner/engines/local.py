"""The scan: read → detect → count → map → report.

For each input the pipeline (1) classifies every column from a sample spread over the file,
(2) streams every row once, turning classified columns into per-row person keys and flags for
the person counter, and (3) hands the counts and the entities seen to the rule engine.
Files that fail are reported with a one-line reason and the others are still scanned.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from detectors import masked
from detectors.base import Detector, strip_whitespace
from detectors.classify import (
    NON_NULL,
    ColumnClassification,
    as_text,
    classify_column,
    is_list_like,
    list_values,
)
from detectors.free_text import entities_in_text
from mappings import engine
from scanner.detect.column_profile import ColumnProfile
from scanner.report.model import ColumnReport, FileReport, PersonsReport, Report, apply_assessment
from scanner.sources import limits
from scanner.sources.files import (
    Source,
    SourceError,
    check_unchanged,
    describe_read_error,
    discover,
    display_path,
    file_state,
    open_source,
)

log = logging.getLogger("chujing")

DEFAULT_SAMPLE_ROWS = 5000
FULL_SAMPLE_CAP = 200_000
SAMPLE_MAX_BYTES = 64 << 20
SPREAD_CHUNKS = 8
SPREAD_CHUNK_BYTES = 256 * 1024
NON_PERSONAL_CATEGORIES = {"organisation", "organization"}


@dataclass
class ScanOptions:
    """Everything a scan needs beyond the paths. The CLI and the Python API both build one."""

    ruleset: str | None = None  # None: the national baseline, or the zone's list with ftz
    ftz: str | None = None  # "beijing": the exporter states it is registered in the Beijing FTZ
    outside_scope: str | None = None  # a sector note's statement that puts the exporter outside the list
    ftz_source: str | None = None
    sector: str = "other"
    scenario: str = "other"
    subject: str | None = None
    modality: str | None = None
    ciio: bool = False
    year: int | None = None
    person_keys: list[str] = field(default_factory=list)
    not_keys: list[str] = field(default_factory=list)  # placeholder values that name nobody
    max_identities: int = 3  # a contact held by more identities is shared and links nothing
    subjects: dict[str, str] = field(default_factory=dict)  # path (or glob) → subject role
    sample_rows: int = DEFAULT_SAMPLE_ROWS
    full: bool = False
    detector_files: list[str] = field(default_factory=list)
    detectors: list[Detector] | None = None
    important: list[str] = field(default_factory=list)
    not_important: list[str] = field(default_factory=list)
    ledger: str | None = None
    ledger_key_file: str | None = None
    record: bool = False
    transfer_id: str | None = None
    recipient: str | None = None
    purpose: str | None = None
    exempt: str | None = None
    decisions: Any = None  # a path to a decisions file, or a scanner.review.decisions.Decisions
    state: str | None = None  # incremental state file
    storage_options: dict[str, Any] = field(default_factory=dict)  # fsspec / Delta options for URLs
    sensitive_areas: str | None = None  # GeoJSON of military zones, government sites...
    spark_master: str | None = None  # --engine spark
    rescan: bool = False
    keyless_policy: str = "each_row_is_a_person"
    scan_date: _dt.date | None = None
    block_size: int = 4 * 1024 * 1024
    progress: Callable[[dict[str, Any]], None] | None = None

    def context(self) -> engine.Context:
        return engine.Context(ruleset=self.ruleset, ftz=self.ftz, outside_scope=self.outside_scope,
                              ftz_source=self.ftz_source, sector=self.sector, scenario=self.scenario,
                              subject=self.subject, modality=self.modality, ciio=self.ciio,
                              year=self.year or (self.scan_date or _dt.date.today()).year)


@dataclass
class _ColumnPlan:
    """How one classified column turns into person keys and flags on every batch."""

    index: int
    name: str
    classification: ColumnClassification
    detectors: list[Detector]  # the column's entities, highest priority first
    valid_rows: int = 0
    non_null_rows: int = 0


def person_counter(options: ScanOptions, detectors: list[Detector]):
    """The person counter of a scan: identity documents are the detectors' ``identity`` fact."""
    from scanner.persons.counter import PersonCounter

    return PersonCounter(scan_date=options.scan_date, keyless_policy=options.keyless_policy,
                         identity={d.entity for d in detectors if d.identity}, not_keys=options.not_keys,
                         max_identities=options.max_identities)


def load_detectors(files: Iterable[str] = ()) -> list[Detector]:
    """Built-in detectors plus the user's (YAML files, entry points)."""
    registry = importlib.import_module("detectors.registry")
    loader = getattr(registry, "load_detectors", None)
    if loader is not None:
        return list(loader(list(files)))
    if list(files):
        raise ValueError("custom detector files are not supported by this build")
    return registry.builtin_detectors()


def _birth_date_extractors() -> dict[str, Callable[[pa.Array], pa.Array]]:
    out: dict[str, Callable[[pa.Array], pa.Array]] = {}
    for entity, module in (("CN_RESIDENT_ID", "detectors.cn_resident_id"), ("BIRTH_DATE", "detectors.birth_date")):
        try:
            fn = getattr(importlib.import_module(module), "birth_dates_array", None)
        except ImportError:
            fn = None
        if fn is not None:
            out[entity] = fn
    return out


def scan(paths: str | os.PathLike | Iterable[str | os.PathLike], options: ScanOptions | None = None, **kwargs: Any) -> Report:
    """Scan files, folders, globs or hive-partitioned datasets and return a :class:`Report`.

    >>> from scanner import scan                                       # doctest: +SKIP
    >>> report = scan(["exports/"], sector="automotive", scenario="vehicle_rd")  # doctest: +SKIP
    >>> report.verdict["path"], report.columns_frame().head()          # doctest: +SKIP
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    options = options or ScanOptions(**kwargs)
    if options.scan_date is None:
        options.scan_date = _dt.date.today()
    context = options.context()
    notes = engine.check_context(context)  # an unknown sector or scenario fails before any reading
    detectors = options.detectors or load_detectors(options.detector_files)
    decisions = _load_decisions(options.decisions)
    counter = person_counter(options, detectors)
    report = Report(ruleset=context.deciding_ruleset(), context=context.to_dict())

    sources = discover_inputs(report, paths, options)

    started = time.monotonic()
    incremental = None
    if options.state:
        try:
            incremental = _Incremental(options, detectors)
        except _StateUnusable as exc:  # the scan goes on without it, and says so (exit status 1)
            log.error(str(exc))
            report.errors.append(str(exc))
    for i, source in enumerate(sources):
        if options.progress:
            options.progress({"event": "file", "index": i, "total": len(sources), "path": source.path,
                              "bytes": source.size, "total_bytes": sum(s.size for s in sources)})
        if incremental is not None:
            file_report = incremental.scan_source(source, options, detectors, decisions)
        else:
            file_report = scan_input(source, options, detectors, counter, decisions)
        report.files.append(file_report)
        if file_report.error:
            message = f"{source.display}: {file_report.error}"
            log.error(message)
            report.errors.append(message)
    report.extra["timing"] = {"seconds": round(time.monotonic() - started, 3),
                              "bytes": sum(s.size for s in sources)}
    if incremental is not None:
        counter = incremental.finish(report, sources)

    return conclude(report, options, context, notes, decisions, counter, sources)


def discover_inputs(report: Report, paths: Iterable[str | os.PathLike], options: ScanOptions) -> list[Source]:
    """Every input (lake URLs and Delta tables, files, folders, globs); the ones that cannot be
    scanned at all go into the report as one-line errors."""
    from scanner.sources.lake import delta_source, discover_lake

    paths = [os.fspath(p) for p in paths]
    lake_sources, errors, local_paths = discover_lake(paths, options.storage_options)
    sources, local_errors = discover(local_paths, lambda path: delta_source(path, options.storage_options)) \
        if local_paths else ([], [])
    inputs = [display_path(p) for p in paths]
    for message in errors + local_errors:
        log.error(message)
        report.errors.append(message)
        path, reason = _split_error(message, inputs)
        report.files.append(FileReport(path=path, error=reason))
    return lake_sources + sources


def conclude(report: Report, options: ScanOptions, context: engine.Context, notes: list[dict[str, str]],
             decisions, counter, sources: list[Source]) -> Report:
    """From the files' findings and the persons counted to the verdict: the year to date (with a
    ledger), important-data candidates, the rule engine, notes and decisions. ``counter`` is a
    :class:`~scanner.persons.counter.PersonCounter` or anything with its ``result()`` and
    ``person_table(hasher)`` (the incremental state's and the Spark engine's persons)."""
    counts = counter.result()
    report.persons = PersonsReport(
        personal=counts.personal, sensitive=counts.sensitive, by_subject=dict(counts.by_subject),
        by_entity=dict(counts.by_entity), keyless_rows=counts.keyless_rows,
        keyless_policy=counts.keyless_policy, minors=getattr(counts, "minors", 0),
        linking=dict(getattr(counts, "linking", None) or {}),
    )
    judged = engine.Counts(personal=counts.personal, sensitive=counts.sensitive,
                           by_entity=dict(counts.by_entity), by_subject=dict(counts.by_subject))

    if options.ledger is not None or options.record:
        judged = _apply_ledger(report, options, counter, context, sources) or judged

    entities = {e for f in report.files for c in f.columns for e in c.entities}
    entities |= {t["entity"] for f in report.files for t in f.tables if t.get("entity")}
    # Masked identifiers are still personal; sci-notation ones were destroyed by the export.
    for note in masked.notes_for([(f"{f.path}: {c.name}", c.entity, c.samples) for f in report.files
                                  for c in f.columns if c.entity]):
        report.extra.setdefault("notes", []).append(note)
    if context.modality is None and context.sector == "ai_training":
        inferred = _infer_modality(report, entities)
        if inferred is not None:
            context.modality = inferred
            report.context["modality"] = inferred
            report.extra.setdefault("notes", []).append({
                "zh": f"未指定 --modality：根据数据推断为 {inferred}", "en": f"--modality not given: inferred as {inferred} from the data"})
    # Every column header is evidence for important data (a remote-control or ECU column is not
    # personal, yet it is what automotive.5 names); the entity is given where one was found.
    columns = [(f.path, c.name, c.entity) for f in report.files for c in f.columns]
    candidates = engine.important_candidates(context, columns, counts=judged)
    candidates = _table_candidates(candidates, report, context)
    candidates = _review_candidates(candidates, options, decisions)
    report.important_data = [c.to_dict() for c in candidates]
    assessment = engine.assess(context, judged, entities, candidates)
    apply_assessment(report, assessment)
    report.ruleset = getattr(assessment, "ruleset", None) or report.ruleset
    if notes:
        report.extra.setdefault("notes", [])
        report.extra["notes"] = notes + [n for n in report.extra["notes"] if n not in notes]
    if decisions is not None:
        from scanner.review.decisions import apply_to_report

        apply_to_report(report, decisions)
    return report


class _StateUnusable(Exception):
    """The state file cannot be used at all (one line naming it)."""


class _Incremental:
    """Scans with a state file: unchanged files come from the state, the others are read and
    stored; persons of all files are linked through keyed hashes (same key as the ledger)."""

    def __init__(self, options: ScanOptions, detectors: list[Detector]):
        from scanner.engines import incremental as state
        from scanner.persons import ledger

        self._state_mod = state
        self.errors: list[str] = []
        try:
            key = ledger.load_key(options.state, options.ledger_key_file, create=True)
        except ledger.LedgerError as exc:
            raise _StateUnusable(f"{str(exc).splitlines()[0]}; the scan went on without its state") from None
        self.hasher = lambda namespace, keys: ledger.hash_keys(key, namespace, keys)
        try:
            # Paths are kept as keyed hashes: a file named after a person is not written raw.
            self.state = state.ScanState(options.state, ledger.key_id(key), path_key=key)
        except state.StateError as exc:
            self.state = None
            self._broken(exc)
        self._state_path = options.state
        self.max_identities = options.max_identities
        self.tables = []
        self.cached = 0
        self.scanned = 0
        self._options_signature = _options_signature(options, detectors)

    def scan_source(self, source: Source, options: ScanOptions, detectors: list[Detector], decisions) -> FileReport:
        signature = hashlib.blake2b(json.dumps([self._options_signature, _subject_for(source, options),
                                                _decisions_signature(decisions)]).encode(), digest_size=16).hexdigest()
        from scanner.sources.lake import lake_fingerprint

        try:
            fp = lake_fingerprint(source) or self._state_mod.fingerprint(source.path)
        except OSError:
            fp = None
        if fp is not None and not options.rescan and self.state is not None:
            try:
                hit = self.state.get(source.path, fp, signature)
            except self._state_mod.StateError as exc:
                hit = self._broken(exc)
            if hit is not None:
                file_report, table = hit
                self.tables.append(table)
                self.cached += 1
                return file_report
        counter = person_counter(options, detectors)
        file_report = scan_input(source, options, detectors, counter, decisions)
        table = counter.person_table(self.hasher)
        self.tables.append(table)
        self.scanned += 1
        if fp is not None and file_report.error is None and self.state is not None:
            try:
                self.state.put(source.path, fp, signature, file_report, table)
            except self._state_mod.StateError as exc:
                self._broken(exc)
        return file_report

    def _broken(self, exc: Exception) -> None:
        """The state file failed: the scan goes on without it (every file read), and says so."""
        self.errors.append(f"{exc}; the scan went on without it")
        if self.state is not None:
            self.state.close()
            self.state = None

    def finish(self, report: Report, sources: list[Source]):
        removed = 0
        if self.state is not None:
            try:
                removed = self.state.forget_missing({s.path for s in sources})
                self.state.close()
            except self._state_mod.StateError as exc:
                self._broken(exc)
        for message in self.errors:
            log.error(message)
            report.errors.append(message)
        report.extra["incremental"] = {"state": display_path(self._state_path), "cached_files": self.cached,
                                       "scanned_files": self.scanned, "forgotten_files": removed}
        return self._state_mod.TablePersons(self.tables, self.tables[-1].keyless_policy if self.tables else "each_row_is_a_person",
                                            self.max_identities)


def _options_signature(options: ScanOptions, detectors: list[Detector]) -> str:
    """What shapes one file's result: a change to any of it rescans the file."""
    from scanner import __version__

    parts = {
        "version": __version__,
        "detectors": sorted((d.entity, d.pattern or "", d.priority, d.min_share, d.person_key) for d in detectors),
        "sample_rows": options.sample_rows, "full": options.full, "person_keys": sorted(options.person_keys),
        "not_keys": sorted(options.not_keys), "max_identities": options.max_identities,
        "keyless_policy": options.keyless_policy, "sensitive_areas": _file_digest(getattr(options, "sensitive_areas", None)),
    }
    return hashlib.blake2b(json.dumps(parts, default=str).encode(), digest_size=16).hexdigest()


def _decisions_signature(decisions) -> str | None:
    return None if decisions is None else hashlib.blake2b(decisions.dumps().encode(), digest_size=16).hexdigest()


def _file_digest(path: str | None) -> str | None:
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            return hashlib.blake2b(fh.read(), digest_size=16).hexdigest()
    except OSError:
        return None


def _infer_modality(report: Report, entities: set[str]) -> str | None:
    """The AI-training modality from the files' own findings, else from the entities seen."""
    found = [t["modality"] for f in report.files for t in f.tables if t.get("kind") == "modality" and t.get("modality")]
    if found:
        rank = ["video", "audio", "image", "text"]  # the strictest reading first
        return min(found, key=lambda m: rank.index(m) if m in rank else len(rank))
    from detectors.media import modality_of

    return modality_of(entities)


def _table_candidates(candidates: list[engine.ImportantCandidate], report: Report,
                      context: engine.Context) -> list[engine.ImportantCandidate]:
    """Table-level findings that point at an important-data item (points inside a sensitive
    area, labelled audio, cockpit-voice media) become candidates of that item, with evidence."""
    by_item = {c.item: c for c in candidates}
    for f in report.files:
        for t in f.tables:
            item = t.get("item_candidate")
            if not item or not item.startswith(context.sector + "."):
                continue
            what = t.get("area") or ", ".join(t.get("columns") or []) or t.get("kind", "")
            line = f"{f.path}: {t.get('kind', 'finding')} ({what})"
            rule = f"table:{t.get('kind', 'finding')}"  # the table-level finding that raised it
            if item in by_item:
                if line not in by_item[item].evidence:
                    by_item[item].evidence.append(line)
                if rule not in by_item[item].rules:
                    by_item[item].rules.append(rule)
            else:
                by_item[item] = engine.ImportantCandidate(item=item, evidence=[line], rules=[rule])
    return list(by_item.values())


def _split_error(message: str, inputs: list[str]) -> tuple[str, str]:
    """``path: reason`` back into its parts, even when the path itself holds ": "."""
    for candidate in sorted(inputs, key=len, reverse=True):
        if message.startswith(candidate + ": "):
            return candidate, message[len(candidate) + 2:]
    path, _, reason = message.partition(": ")
    return path, reason


def _load_decisions(decisions: Any):
    if decisions is None:
        return None
    from scanner.review.decisions import Decisions, load_decisions

    return decisions if isinstance(decisions, Decisions) else load_decisions(decisions)


def _review_candidates(candidates: list[engine.ImportantCandidate], options: ScanOptions,
                       decisions) -> list[engine.ImportantCandidate]:
    """The user's word on important data: flags on this run win over the decisions file."""
    important, not_important = list(options.important), list(options.not_important)
    if decisions is not None:
        flagged = set(important) | set(not_important)
        for c in candidates:
            d = decisions.important(c.item)
            if d is not None and c.item not in flagged:
                (important if d.status == "confirmed" else not_important).append(c.item)
    return engine.apply_review(candidates, important=important, not_important=not_important,
                               ruleset=options.context().deciding_ruleset())


def _apply_ledger(report: Report, options: ScanOptions, counter, context: engine.Context, sources: list[Source]) -> engine.Counts:
    from scanner.persons import ledger as ledger_mod

    ctx = dict(context.to_dict(), ruleset=context.deciding_ruleset())
    year = context.year
    real = {s.display: s.path for s in sources}  # reports show paths masked; the files are at the real ones
    files = [{"path": f.path, "size": f.size_bytes, "rows": f.rows, "fingerprint": _fingerprint(real.get(f.path, f.path))}
             for f in report.files if f.error is None and f.size_bytes is not None]
    try:
        ledger = ledger_mod.open_ledger(options.ledger, key_file=options.ledger_key_file)
        try:
            if options.record:
                ytd = ledger.record(counter, ctx, year, transfer_id=options.transfer_id, recipient=options.recipient,
                                    purpose=options.purpose, files=files, exempt=options.exempt)
            else:
                ytd = ledger.year_to_date(counter, ctx, year, exempt=options.exempt)
        finally:
            ledger.close()
    except ledger_mod.FAULTS as exc:
        # A damaged, read-only or busy ledger: the scan itself stands and its report is written;
        # the failure is one line (exit status 1) and the verdict rests on this transfer alone.
        message = ledger_mod.fault_message(options.ledger, exc) + "; the verdict rests on this transfer alone"
        log.error(message)
        report.errors.append(message)
        return None
    report.persons.year_to_date = ytd
    every = ytd.get("all_transfers")  # the baseline's count: every export of the year
    return engine.Counts(personal=ytd.get("personal", 0), sensitive=ytd.get("sensitive", 0),
                         by_entity=dict(ytd.get("by_entity", {})), by_subject=dict(ytd.get("by_subject", {})),
                         all_transfers=None if every is None else engine.Counts(
                             personal=every.get("personal", 0), sensitive=every.get("sensitive", 0),
                             by_entity=dict(every.get("by_entity", {})), by_subject=dict(every.get("by_subject", {}))))


def _fingerprint(path: str) -> str | None:
    """Content fingerprint of a file: BLAKE2 of its size, first and last MiB."""
    import hashlib

    try:
        size = os.path.getsize(path)
        h = hashlib.blake2b(str(size).encode(), digest_size=16)
        with open(path, "rb") as f:
            h.update(f.read(1 << 20))
            if size > 2 << 20:
                f.seek(-(1 << 20), os.SEEK_END)
                h.update(f.read(1 << 20))
        return h.hexdigest()
    except OSError:
        return None


# --- one file -----------------------------------------------------------------------------------

def scan_input(source: Source, options: ScanOptions, detectors: list[Detector], counter, decisions=None) -> FileReport:
    """Scan one input, local or in a lake; remote text is read through a private local copy.

    ``counter`` is anything with ``add_batch(keys, flags, birth_dates=, subject=, source=)``: a
    :class:`~scanner.persons.counter.PersonCounter`, or the Spark engine's hashing sink."""
    if source.kind != "remote-csv":
        return _scan_source(source, options, detectors, counter, decisions)
    from scanner.sources.lake import local_copy

    try:
        with local_copy(source) as local:
            file_report = _scan_source(local, options, detectors, counter, decisions, subject_of=source)
    except SourceError as exc:
        return FileReport(path=source.display, size_bytes=source.size, error=str(exc).split(": ", 1)[-1])
    file_report.path = source.path
    return file_report


def _open_input(source: Source, block_size: int):
    if type(source) is Source:
        stream = open_source(source, block_size=block_size)
    else:
        from scanner.sources.lake import open_lake

        stream = open_lake(source, block_size)
    if any(pa.types.is_struct(f.type) for f in stream.schema):
        # Identifiers nested in structs (Parquet groups) are examined as ``parent.child`` columns.
        stream.schema = _flatten(stream.schema.empty_table()).schema
        stream.batches = (_flatten_batch(b) for b in stream.batches)
    return stream


def _flatten(table: pa.Table) -> pa.Table:
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table


def _flatten_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    table = _flatten(pa.Table.from_batches([batch]))
    return table.combine_chunks().to_batches()[0] if table.num_rows else pa.RecordBatch.from_pylist([], schema=table.schema)


def _subject_for(source: Source, options: ScanOptions) -> str | None:
    import fnmatch

    for pattern, role in options.subjects.items():
        if source.path == pattern or fnmatch.fnmatch(source.path, pattern) or source.path.endswith("/" + pattern):
            return role
    return options.subject


def _scan_source(source: Source, options: ScanOptions, detectors: list[Detector], counter, decisions=None,
                 subject_of: Source | None = None) -> FileReport:
    file_report = FileReport(path=source.display, size_bytes=source.size, subject=_subject_for(subject_of or source, options))
    try:
        before = file_state(source)
        sample, meta = _read_sample(source, options)
        file_report.format = meta.format
        file_report.encoding = meta.encoding
        file_report.delimiter = meta.delimiter
        schema = meta.schema
        plans, classifications = _classify(schema, sample, detectors, options)
        decided = _apply_column_decisions(source.path, plans, classifications, detectors, decisions)
        key_columns = _user_key_columns(schema, options.person_keys)
        profiles = {f.name: ColumnProfile(f.name, str(f.type)) for f in schema}
        table = _table_analyzer(schema, sample, classifications, options)
        _count_rows(source, options, plans, key_columns, profiles, counter, file_report, table)
        check_unchanged(source, before)  # a file written to between the two reads is not counted short
        if table is not None:
            file_report.tables = table.finish()
    except SourceError as exc:
        file_report.error = str(exc).removeprefix(f"{source.display}: ")
        return file_report
    except (pa.ArrowException, OSError, UnicodeDecodeError, EOFError, ValueError, MemoryError) as exc:
        file_report.error = describe_read_error(exc)
        log.debug("read failure in %s: %s", source.display, type(exc).__name__)
        return file_report
    except Exception as exc:  # noqa: BLE001 - one file's surprise must not stop the others
        # A fault of ours, not of the file: the message may quote a value, so only the type and
        # the place are told; the file is reported failed, never silently counted short.
        where = _innermost_frame(exc)
        file_report.error = f"internal error while scanning ({type(exc).__name__} at {where}); please report it"
        log.debug("internal error in %s: %s at %s", source.display, type(exc).__name__, where)
        return file_report

    plan_by_name = {p.name: p for p in plans}
    for f in schema:
        c = classifications[f.name]
        prof = profiles[f.name]
        plan = plan_by_name.get(f.name)
        match_rate = c.match_rate
        if plan is not None and options.full and plan.non_null_rows:
            match_rate = round(plan.valid_rows / plan.non_null_rows, 4)
        file_report.columns.append(ColumnReport(
            name=f.name, entity=c.entity, entities=list(c.entities), sensitive=c.sensitive, category=c.category,
            confidence=c.confidence, match_rate=match_rate, samples=list(c.samples), type=str(f.type),
            rows=prof.rows, nulls=prof.nulls, distinct_estimate=prof.distinct_estimate,
            min_length=prof.min_length, max_length=prof.max_length, evidence=c.evidence,
            decision=decided.get(f.name),
        ))
        if f.name in key_columns and c.entity is None:
            file_report.columns[-1].evidence = "named as a person key (--person-key)"
        if meta.too_long.get(f.name):
            file_report.columns[-1].evidence += (f"; {meta.too_long[f.name]:,} sampled values longer than "
                                                 f"{limits.max_cell_bytes() >> 10:,} KB were too long to classify "
                                                 f"(their rows are read and counted)")
    return file_report


@dataclass
class _Meta:
    schema: pa.Schema
    format: str
    encoding: str | None
    delimiter: str | None
    too_long: dict[str, int] = field(default_factory=dict)  # per column, sampled cells past the cell limit


def _read_sample(source: Source, options: ScanOptions) -> tuple[pa.Table, _Meta]:
    """A sample of rows spread over the input, for classification."""
    stream = _open_input(source, options.block_size)
    meta = _Meta(stream.schema, stream.format, stream.encoding, stream.delimiter)
    target = FULL_SAMPLE_CAP if options.full else options.sample_rows
    batches: list[pa.RecordBatch] = []
    rows = 0
    stride = 1
    try:
        if options.full:
            # Every row is looked at; what is kept for the decision is thinned evenly so that
            # memory stays bounded on any size of file.
            held_bytes = 0  # kept up to date, never summed again per batch: linear in the batches
            for batch in stream.batches:
                batch = batch.take(pa.array(np.arange(0, batch.num_rows, stride))) if stride > 1 else batch
                batches.append(batch)
                rows += batch.num_rows
                held_bytes += batch.nbytes
                while rows > target or (rows > 1 and held_bytes > 2 * SAMPLE_MAX_BYTES):
                    stride *= 2
                    table = pa.Table.from_batches(batches, schema=stream.schema)
                    table = table.take(pa.array(np.arange(0, table.num_rows, 2)))
                    batches = table.combine_chunks().to_batches()
                    rows = table.num_rows
                    held_bytes = sum(b.nbytes for b in batches)
        elif source.kind == "parquet" and stream.num_rows and stream.num_rows > target:
            batches = [b.rename_columns(stream.schema.names) for b in _parquet_spread(source, target)]
        else:
            kept_bytes = 0
            for batch in stream.batches:
                batches.append(batch)
                rows += batch.num_rows
                kept_bytes += batch.nbytes
                # Bounded by bytes too: 5,000 rows of very wide or very long values are not small.
                if rows >= target or kept_bytes >= SAMPLE_MAX_BYTES:
                    break
            if source.kind == "csv" and source.compression is None and source.size > options.block_size \
                    and stream.encoding not in ("utf-16",):
                batches.extend(_csv_spread(source, stream, options))
    finally:
        close = getattr(stream.batches, "close", None)
        if close:
            close()
    table = pa.Table.from_batches(batches, schema=stream.schema) if batches else stream.schema.empty_table()
    if table.num_rows > target:
        table = table.take(pa.array(np.linspace(0, table.num_rows - 1, target).astype(np.int64)))
    return _without_long_cells(table, meta), meta


def _without_long_cells(table: pa.Table, meta: _Meta) -> pa.Table:
    """The sample without values past the cell limit: too long to classify (they are counted
    per column in ``meta.too_long`` and said in the report; the count pass reads their rows)."""
    limit = limits.max_cell_bytes()
    for i, f in enumerate(table.schema):
        if not (pa.types.is_string(f.type) or pa.types.is_binary(f.type)):
            continue
        column = table.column(i)
        long_ = pc.fill_null(pc.greater(pc.binary_length(column), limit), False)
        n = pc.sum(long_).as_py() or 0
        if n:
            meta.too_long[f.name] = n
            table = table.set_column(i, f, pc.if_else(long_, pa.scalar(None, f.type), column))
    return table


def _parquet_spread(source: Source, target: int) -> list[pa.RecordBatch]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(source.path, pre_buffer=False)
    groups = pf.num_row_groups
    picks = sorted(set(np.linspace(0, groups - 1, min(groups, 8)).astype(int).tolist()))
    per_group = max(1, target // len(picks))
    out = []
    for g in picks:
        for batch in pf.iter_batches(batch_size=per_group, row_groups=[g]):
            out.append(batch)
            break
    pf.close()
    return out


def _csv_spread(source: Source, stream, options: ScanOptions) -> list[pa.RecordBatch]:
    """Rows from evenly spaced chunks of an uncompressed text file, read by seeking.

    Each chunk is cut to whole lines and parsed with the file's header; a chunk that does not
    parse (a quoted newline straddling the cut) is skipped. Costs a few MB of reading.
    """
    out: list[pa.RecordBatch] = []
    names = stream.schema.names
    encoding = stream.encoding or "utf-8"
    with open(source.path, "rb") as f:
        for k in range(1, SPREAD_CHUNKS + 1):
            offset = int(source.size * k / (SPREAD_CHUNKS + 1))
            f.seek(offset)
            chunk = f.read(SPREAD_CHUNK_BYTES)
            first, last = chunk.find(b"\n"), chunk.rfind(b"\n")
            if first < 0 or last <= first:
                continue
            body = chunk[first + 1: last + 1]
            try:
                text = body.decode(encoding.replace("utf-8-sig", "utf-8"))
                table = pacsv.read_csv(
                    io.BytesIO(text.encode("utf-8")),
                    read_options=pacsv.ReadOptions(column_names=names),
                    parse_options=pacsv.ParseOptions(delimiter=stream.delimiter or ","),
                    convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                         strings_can_be_null=True),
                )
            except (pa.ArrowInvalid, UnicodeDecodeError):
                continue
            out.extend(table.to_batches())
    return out


def _classify(schema: pa.Schema, sample: pa.Table, detectors: list[Detector],
              options: ScanOptions) -> tuple[list[_ColumnPlan], dict[str, ColumnClassification]]:
    by_entity = {d.entity: d for d in detectors}
    plans: list[_ColumnPlan] = []
    classifications: dict[str, ColumnClassification] = {}
    for index, f in enumerate(schema):
        column = sample.column(index) if sample.num_rows else pa.array([], f.type)
        c = classify_column(f.name, column, detectors)
        classifications[f.name] = c
        if c.entity is None:
            continue
        # The column's own entity claims its rows first, so that persons by entity name what the
        # column table shows (a 社保卡号 column whose numbers also fit a passport's shape).
        dets = sorted((by_entity[e] for e in c.entities if e in by_entity),
                      key=lambda d, main=c.entity: (d.entity != main, -d.priority))
        if dets:
            plans.append(_ColumnPlan(index=index, name=f.name, classification=c, detectors=dets))
    return plans, classifications


def _innermost_frame(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"


def _apply_column_decisions(path: str, plans: list[_ColumnPlan], classifications: dict[str, ColumnClassification],
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
        d = decisions.column(path, name)
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
        plans.append(_ColumnPlan(index=index, name=name, classification=new, detectors=[det]))
    return decided


def _user_key_columns(schema: pa.Schema, person_keys: list[str]) -> dict[str, int]:
    names = schema.names
    return {k: names.index(k) for k in person_keys if k in names}


def _is_personal(det: Detector) -> bool:
    """An organisation's identifier (USCC) or a photo with no face says nothing of a person."""
    return getattr(det, "personal", True) and det.category not in NON_PERSONAL_CATEGORIES


def _table_analyzer(schema: pa.Schema, sample: pa.Table, classifications: dict[str, ColumnClassification],
                    options: ScanOptions):
    """Table-level findings (trajectories...) from ``scanner.detect.tables``, when the table has any.

    The analyzer sees every batch with the rows' keys and flags and may add flags (a row that
    is part of a trajectory is sensitive); ``finish()`` returns the findings for the report.
    """
    try:
        tables = importlib.import_module("scanner.detect.tables")
    except ModuleNotFoundError:
        return None
    return tables.analyze_table(schema, sample, classifications, options)


def _count_rows(source: Source, options: ScanOptions, plans: list[_ColumnPlan], key_columns: dict[str, int],
                profiles: dict[str, ColumnProfile], counter, file_report: FileReport, table=None) -> None:
    """Stream every row once: profile, turn classified columns into keys and flags, count."""
    stream = _open_input(source, options.block_size)
    birth_fns = _birth_date_extractors()
    subject = file_report.subject
    rows = 0
    # Columns are profiled and checked in worker threads, on both cores: Arrow and numpy
    # kernels release the GIL. One batch is in flight at a time, which bounds the memory.
    pool = ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2)), thread_name_prefix="chujing")
    # The profiles are updated by one thread, batch after batch: two batches' updates of the
    # same sketch must never run at once.
    profiler = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chujing-profile")
    pending = None  # the previous batch: counted here while the workers check the next one
    # Lists and maps of values: each value is a cell of its own, counted apart from its row.
    listed = [p for p in plans if is_list_like(stream.schema.field(p.index).type)]
    plans = [p for p in plans if p not in listed]
    try:
        for batch in stream.batches:
            rows += batch.num_rows
            work = (batch, profiler.submit(_profile_batch, profiles, batch),
                    [pool.submit(_column_rows, plan, batch.column(plan.index), options.full) for plan in plans],
                    [pool.submit(_list_rows, plan, batch.column(plan.index), options.full) for plan in listed])
            if pending is not None:
                _finish_batch(pending, plans, key_columns, birth_fns, subject, source, counter, table, options, listed)
            pending = work
        if pending is not None:
            _finish_batch(pending, plans, key_columns, birth_fns, subject, source, counter, table, options, listed)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        profiler.shutdown(wait=True, cancel_futures=True)
    file_report.rows = rows


def _finish_batch(work, plans, key_columns, birth_fns, subject, source, counter, table, options, listed=()) -> None:
    batch, profiled, columns, lists = work
    if plans or key_columns:
        _count_batch(batch, batch.num_rows, plans, [c.result() for c in columns], key_columns, birth_fns, subject,
                     source, counter, table)
    for plan, done in zip(listed, lists, strict=True):
        values, result = done.result()
        if len(values):
            _count_batch(pa.record_batch([values], names=[plan.name]), len(values), [plan], [result], {}, birth_fns,
                         subject, source, counter, None)
    profiled.result()
    if options.progress:
        options.progress({"event": "rows", "path": source.path, "rows": batch.num_rows, "bytes": batch.nbytes})


def _list_rows(plan: _ColumnPlan, column: pa.Array, validate_all: bool):
    """The values of a list (or map) column, one after the other, and their column work."""
    values = list_values(column)
    return values, _column_rows(plan, values, validate_all)


def _profile_batch(profiles: dict[str, ColumnProfile], batch: pa.RecordBatch) -> None:
    for i, f in enumerate(batch.schema):
        if f.name in profiles:
            profiles[f.name].add(batch.column(i))


@dataclass
class _EntityRows:
    """One entity of one column in one batch: the rows holding it and their values."""

    detector: Detector
    rows: np.ndarray  # bool per row
    values: pa.Array | None = None  # normalised valid values at their rows (null elsewhere)
    keys: pa.Array | None = None  # canonical person keys at their rows (null elsewhere)


def _column_rows(plan: _ColumnPlan, column: pa.Array, validate_all: bool) -> tuple[int, int, list[_EntityRows]]:
    """The per-column work of a batch (runs in a worker thread): no shared state is touched."""
    text = _text_of(column)
    if text is None:
        present = column.is_valid().to_numpy(zero_copy_only=False)
        count = int(present.sum())
        return count, count, [_EntityRows(plan.detectors[0], present)]
    trimmed = strip_whitespace(text)
    present = pc.and_(pc.is_valid(trimmed), pc.not_equal(trimmed, "")).fill_null(False).to_numpy(zero_copy_only=False)
    claimed = np.zeros(len(present), bool)
    out = []
    # One utterance can hold a phone *and* a plate: in prose no entity hides another.
    exclusive = plan.classification.entity != FREE_TEXT
    for det, ok, normalised in _entity_rows(plan, trimmed, present, validate_all):
        if exclusive:
            ok &= ~claimed
        claimed |= ok
        found = _EntityRows(det, ok)
        if ok.any() and (det.person_key or det.entity in SECONDARY_KEY_ENTITIES or det.entity in _BIRTH_ENTITIES):
            selected = normalised.filter(pa.array(ok))
            found.values = _scatter(selected, ok)
            if det.person_key:
                found.keys = _scatter(det.canonical_keys(selected), ok)
        out.append(found)
    return int(present.sum()), int(claimed.sum()), out


def _count_batch(batch: pa.RecordBatch, n: int, plans: list[_ColumnPlan], results, key_columns: dict[str, int],
                 birth_fns, subject, source: Source, counter, table) -> None:
    """Turn one batch's column results into person keys and row flags, and count them."""
    keys: dict[str, pa.Array] = {}
    secondary: dict[str, pa.Array] = {}
    flags: dict[str, np.ndarray] = {"personal": np.zeros(n, bool), "sensitive": np.zeros(n, bool)}
    birth: pa.Array | None = None
    for plan, (non_null, valid, found) in zip(plans, results, strict=True):
        plan.non_null_rows += non_null
        plan.valid_rows += valid
        for f in found:
            det = f.detector
            _flag(flags, det, f.rows)
            if f.values is None:
                continue
            values = f.values
            if f.keys is not None:
                ns = det.entity
                suffix = 2
                while ns in keys:
                    ns = f"{det.entity}#{suffix}"
                    suffix += 1
                keys[ns] = values = f.keys
            elif det.entity in SECONDARY_KEY_ENTITIES and det.entity not in secondary:
                secondary[det.entity] = values
            if det.entity in birth_fns:
                dates = _birth(birth_fns[det.entity], values)
                birth = dates if birth is None else pc.coalesce(birth, dates)
    for name, index in key_columns.items():
        text = as_text(batch.column(index))
        if text is None:
            continue
        trimmed = pc.utf8_upper(strip_whitespace(text))
        trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
        keys[f"user:{name}"] = trimmed
        flags["personal"] |= trimmed.is_valid().to_numpy(zero_copy_only=False)
    _secondary_keys(keys, secondary)
    if table is not None:
        table.add_batch(batch, keys, flags)
    counter.add_batch(keys, flags, birth_dates=birth, subject=subject, source=source.path)


FREE_TEXT = "FREE_TEXT"
_BIRTH_ENTITIES = ("CN_RESIDENT_ID", "BIRTH_DATE")
# Vehicle and device identifiers are not person keys (cars and phones are shared: linking on
# them would merge people and undercount), but a row with no person key and a VIN is the
# vehicle's owner or driver: such rows are grouped by vehicle or device instead of each being a
# person of its own. Rows that have a person key are never linked through them.
SECONDARY_KEY_ENTITIES = ("CN_VIN", "CN_LICENSE_PLATE", "CN_VEHICLE_LICENCE_NO", "DEVICE_SERIAL", "IMEI",
                          "MAC_ADDRESS", "ICCID", "IMSI")


def _secondary_keys(keys: dict[str, pa.Array], secondary: dict[str, pa.Array]) -> None:
    if not secondary:
        return
    n = len(next(iter(secondary.values())))
    keyed = np.zeros(n, bool)
    for values in keys.values():
        keyed |= values.is_valid().to_numpy(zero_copy_only=False)
    if keyed.all():
        return
    keyless = pa.array(~keyed)
    for entity in SECONDARY_KEY_ENTITIES:
        if entity in secondary:
            keys[f"keyless_by:{entity}"] = pc.if_else(keyless, secondary[entity], pa.scalar(None, pa.string()))


def _entity_rows(plan: _ColumnPlan, trimmed: pa.Array, present: np.ndarray, validate_all: bool = False):
    """For each of a column's entities: which rows hold it, and the normalised values.

    Structured columns are matched whole; in free text each entity is searched inside the prose
    (digit-bounded, since ``\\b`` does not separate digits from Han characters) and the first
    valid value of the row is kept, so that a phone or an ID in a complaint is a person key.

    Values that become person keys (or vehicle/device keys, or birth dates) are validated on
    every row: a malformed ID must not become a person. In a column classified as one entity
    that is none of these (a name, an address, a password hash), every non-empty value counts
    as that entity: the stricter reading, and it spares the per-row check (``--full`` keeps it,
    to measure the exact share).
    """
    by_value = validate_all or len(plan.detectors) > 1
    for det in plan.detectors:
        if det.entity == FREE_TEXT:
            continue
        if plan.classification.entity == FREE_TEXT:
            if det.pattern is None:
                continue
            ok, normalised = entities_in_text(det, trimmed)
            yield det, ok, normalised
        elif plan.classification.row_rule == NON_NULL or det.pattern is None:
            yield det, present.copy(), det.normalise(trimmed)
        elif not (by_value or det.person_key or det.entity in SECONDARY_KEY_ENTITIES or det.entity in _BIRTH_ENTITIES):
            yield det, present.copy(), trimmed
        else:
            ok, normalised = det.valid_mask(trimmed)
            yield det, ok, normalised


def _text_of(column: pa.Array) -> pa.Array | None:
    """``as_text`` with a fast path for plain string columns (most CSV columns)."""
    if pa.types.is_string(column.type) and not pc.any(pc.ends_with(column, ".0")).as_py():
        return column
    return as_text(column)


def _scatter(subset: pa.Array, mask: np.ndarray) -> pa.Array:
    """Put the values of ``subset`` (one per True of ``mask``) back at their rows; null elsewhere."""
    positions = np.zeros(len(mask), dtype=np.int64)
    positions[mask] = np.arange(int(mask.sum()))
    return pc.if_else(pa.array(mask), subset.take(pa.array(positions)), pa.scalar(None, subset.type))


def _flag(flags: dict[str, np.ndarray], det: Detector, ok: np.ndarray) -> None:
    if not _is_personal(det):
        return
    flags["personal"] |= ok
    if det.sensitive:
        flags["sensitive"] |= ok
    key = f"entity:{det.entity}"
    flags[key] = flags[key] | ok if key in flags else ok.copy()


def _birth(fn: Callable[[pa.Array], pa.Array], values: pa.Array) -> pa.Array:
    """Birth dates for the rows holding a value; nulls elsewhere (date32)."""
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    if not valid.any():
        return pa.nulls(len(values), pa.date32())
    return _scatter(fn(values.filter(pa.array(valid))).cast(pa.date32()), valid)
