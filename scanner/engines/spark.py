"""The scan inside Apache Spark: the same detectors and the same person count, on many machines.

``chujing scan --engine spark`` gives the report the local engine gives, figure for figure, by
running the local engine's own code where the data is:

1. **One Spark task per input** (file, Delta table or hive dataset), largest first. The task runs the
   pipeline's per-file scan (:func:`scanner.engines.local.scan_source`: sample, classify, apply the
   column decisions, stream every row, profile, table-level findings) with our own sources
   module, so GB18030, compressed CSV, ragged rows and every error message are the local ones.
   Instead of the local :class:`~scanner.persons.counter.PersonCounter` the scan feeds a
   :class:`_HashingSink`, which selects the rows exactly as the counter does and emits one
   record per row with personal data: its keys as **keyed BLAKE2b-128 hashes** (hashed in the
   task, before anything is shuffled, cached or spilled; raw identifiers never leave the
   Python worker), its sensitive/minor bits and its entities. The file's report (columns,
   profiles, errors) comes back as one more record.
2. **Distinct persons in Spark**, by the rules of :mod:`scanner.persons.linking` (identity documents
   always link; contacts only when not shared and not joining two identities of one kind;
   placeholders are dropped in the task). Rows sharing an identity or group key hash are
   linked first: each row joins its other such keys to its first (a star per row); the
   connected components of that key graph are found with the *large-star / small-star* label
   propagation of Kiveris et al. (2014, "Connected Components in MapReduce and Beyond"),
   O(log² n) rounds of window minima and de-duplication, no GraphFrames jar; below 2 M edges
   the edges (hashes only) are linked on the driver with scipy instead. A row's *node* is that
   component, or the row itself when it holds contacts only. Contacts held by one node are left
   in Spark; the holdings of the others (node and contact hashes, row counts, masked values)
   are linked on the driver by the local engine's own function, and each node's person comes
   back as a broadcast join. A row without a key is a person by itself or is left out, as
   ``keyless_policy`` says. Persons, sensitive persons, minors, persons per entity and per
   subject role are aggregated in Spark; only those figures reach the driver.
3. The driver assembles the report and applies the rules (ledger, important data, verdict)
   with the same code as :func:`scanner.engines.local.scan`.

Why 128-bit keyed BLAKE2b and not Spark's ``xxhash64``: keys are hashed inside the Python task
anyway (the raw values must not enter Spark), BLAKE2b runs at ~2 M keys/s there, and with 128
bits a collision (two persons merged) among 10⁹ distinct keys has probability ~10⁻²¹, where a
64-bit hash gives ~3 %. The hash key is random for each run (or the ledger's key, so that the
hashes are the ones the ledger stores): a hash seen in a Spark UI, a log or a spilled block
cannot be tested against a guessed phone number.

>>> from scanner.engines.spark import scan_spark                    # doctest: +SKIP
>>> report = scan_spark(["sample_data/"], ScanOptions(sector="automotive"))   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import pickle
import queue
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mappings import engine
from scanner.engines import local as pipeline
from scanner.engines.local import ScanOptions
from scanner.persons.counter import (
    CONTACT_KIND,
    EACH_ROW_IS_A_PERSON,
    HASH_BYTES,
    KEYLESS_POLICIES,
    MINOR,
    SENSITIVE,
    PersonCounter,
    PersonCounts,
    PersonTable,
    linking_summary,
    tally_placeholders,
)
from scanner.persons.keyed_hash import DEFAULT_SCHEME, hash_keys
from scanner.persons.linking import DEFAULT_MAX_IDENTITIES, link_contacts, mask_keys
from scanner.report.model import FileReport, Report
from scanner.review.decisions import as_decisions
from scanner.sources.files import Source, describe_read_error
from scanner.verdict import conclude

log = logging.getLogger("chujing")

__all__ = ["scan_spark", "spark_session", "SparkScanError", "DEFAULT_MASTER"]

DEFAULT_MASTER = "local[2]"
# Below this many distinct key–key edges the components are found on the driver (scipy)
# instead of by rounds of Spark joins: the edges are 32 bytes each, so 2 M edges are 64 MB.
DRIVER_COMPONENTS_MAX_EDGES = 2_000_000
# Round limit of the label propagation: it needs a handful of rounds in practice (O(log² n)
# at worst); never converging within this many means a bug, reported as such.
MAX_ROUNDS = 200
# Inputs beyond this many share tasks (a task scans its inputs one after the other).
MAX_TASKS = 10_000


# What a task emits. kind 0: one row with personal data; kind 1: the file's report.
_ROW, _FILE = 0, 1
_TASK_SCHEMA = pa.schema([
    ("kind", pa.int8()), ("file", pa.int32()), ("row", pa.int64()), ("flags", pa.int8()),
    ("entities", pa.list_(pa.string())), ("keys", pa.list_(pa.binary())), ("blob", pa.binary()),
    # Per key: its kind (scanner.persons.counter: -1 contact, 0 group, > 0 identity) and, for a contact,
    # its namespace and masked value ("CN_MOBILE_PHONE\x1f139****5670") for the shared-contact list.
    ("kinds", pa.list_(pa.int32())), ("masks", pa.list_(pa.string())),
])
_TASK_DDL = ("kind byte, file int, row long, flags byte, entities array<string>, keys array<binary>, "
             "blob binary, kinds array<int>, masks array<string>")
_ROW_BITS = 40  # row id = file << 40 | row number within the file's rows with personal data


# --- the session ---------------------------------------------------------------------------------

def spark_session(master: str | None = None, app_name: str = "chujing scan"):
    """A SparkSession for the scan: ``local[2]`` unless told otherwise, Arrow on, few partitions.

    Under ``spark-submit`` the submitted master and configuration are used as they are. On a
    local master the Python workers are this interpreter (so they import this install of
    chujing) and Spark binds to 127.0.0.1.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ValueError("the Spark engine needs PySpark: pip install 'chujing[spark]'") from None
    active = SparkSession.getActiveSession()
    if active is not None:  # a notebook's or the caller's: used, and left running
        active._chujing_borrowed = True
        return active
    if "PYSPARK_GATEWAY_PORT" not in os.environ and not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        raise ValueError("the Spark engine needs a Java runtime (17 or 21) on the PATH or in JAVA_HOME; "
                         "on Debian: bash .ci/install-spark.sh")
    master = master or os.environ.get("CHUJING_SPARK_MASTER") or None
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # the JVM of spark-submit started us
    if submitted and master is None:
        return SparkSession.builder.appName(app_name).getOrCreate()
    master = master or DEFAULT_MASTER
    local = master.startswith("local")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.adaptive.enabled", "true"))
    if local:
        builder = (builder.config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.driver.host", "127.0.0.1")
                   .config("spark.driver.bindAddress", "127.0.0.1"))
    session = builder.getOrCreate()
    if local:
        session.sparkContext.setLogLevel("ERROR")
    return session


# --- the scan ------------------------------------------------------------------------------------

def scan_spark(paths: list[str], options: ScanOptions, spark=None) -> Report:
    """Scan ``paths`` in Spark and return the same :class:`Report` as :func:`scanner.engines.local.scan`.

    ``spark``: a SparkSession to use; otherwise the active one, or one made for
    ``options.spark_master`` (an attribute the CLI sets), ``$CHUJING_SPARK_MASTER`` or
    ``local[2]``. A session made here is stopped at the end; a given or active one is left running.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    options = options or ScanOptions()
    if options.scan_date is None:
        options.scan_date = _dt.date.today()
    if options.keyless_policy not in KEYLESS_POLICIES:
        raise ValueError(f"unknown keyless policy {options.keyless_policy!r}: use one of {', '.join(KEYLESS_POLICIES)}")
    context = options.context()
    notes = engine.check_context(context)  # an unknown sector or scenario fails before any reading
    decisions = as_decisions(options.decisions)
    report = Report(ruleset=options.ruleset, context=context.to_dict())

    sources = pipeline.discover_inputs(report, paths, options)

    # With a ledger, its key and hash scheme: the hashes computed in Spark are the ones it stores.
    secret, scheme = _ledger_key(options) or (os.urandom(32), DEFAULT_SCHEME)
    started = time.monotonic()
    stats = _SparkStats()
    persons = _Persons(keyless_policy=options.keyless_policy, max_identities=options.max_identities,
                       user_not_keys=len(options.not_keys))
    if sources:
        owned = False
        if spark is None:
            spark = spark_session(getattr(options, "spark_master", None))
            owned = not getattr(spark, "_chujing_borrowed", False)  # stop only a session made here
        try:
            file_reports = _run(spark, sources, options, decisions, secret, persons, stats,
                                want_table=options.ledger is not None or options.record, scheme=scheme)
        finally:
            if owned:
                spark.stop()
        for source, file_report in zip(sources, file_reports, strict=True):
            report.files.append(file_report)
            if file_report.error:
                message = f"{source.path}: {file_report.error}"
                log.error(message)
                report.errors.append(message)
    report.extra["timing"] = {"seconds": round(time.monotonic() - started, 3),
                              "bytes": sum(s.size for s in sources), "engine": "spark", **stats.as_dict()}

    persons.check_hasher_key = secret  # the ledger checks that it hashes with the same key
    persons.check_hasher_scheme = scheme
    return conclude(report, options, context, notes, decisions, persons, sources)


def _scan_one_input(source: Source, options: ScanOptions, detectors: list, sink, decisions) -> FileReport:
    """The pipeline's scan of one input (remote text through a private local copy)."""
    return pipeline.scan_input(source, options, detectors, sink, decisions)


def _ledger_key(options: ScanOptions) -> tuple[bytes, str] | None:
    """The ledger's hashing key and scheme, when the scan is judged against a ledger (else None)."""
    if options.ledger is None and not options.record:
        return None
    from scanner.persons import ledger as ledger_mod

    ledger = ledger_mod.open_ledger(options.ledger, key_file=options.ledger_key_file)
    try:
        return ledger._key, ledger.hash_scheme
    finally:
        ledger.close()


@dataclass
class _SparkStats:
    master: str = ""
    tasks: int = 0
    components: str = ""
    rounds: int = 0
    edges: int = 0
    scan_seconds: float = 0.0
    count_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"spark": {"master": self.master, "tasks": self.tasks, "components": self.components,
                          "rounds": self.rounds, "edges": self.edges,
                          "scan_seconds": round(self.scan_seconds, 3), "count_seconds": round(self.count_seconds, 3)}}


def _run(spark, sources: list[Source], options: ScanOptions, decisions, secret: bytes, persons: _Persons,
         stats: _SparkStats, want_table: bool, scheme: str = DEFAULT_SCHEME) -> list[FileReport]:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    stats.master = spark.sparkContext.master
    # Largest inputs first, dealt round-robin to at most MAX_TASKS tasks: with one task per
    # input (the usual case) this is the longest-first schedule.
    order = sorted(range(len(sources)), key=lambda i: (-sources[i].size, i))
    n_tasks = min(len(order), MAX_TASKS)
    schedule = [order[t::n_tasks] for t in range(n_tasks)]
    stats.tasks = n_tasks
    if options.state:
        log.warning("the Spark engine reads every input: the incremental state file is not used")
    task = _Task(sources=sources, schedule=schedule,
                 options=replace(options, progress=None, decisions=None),
                 detectors=options.detectors, decisions=decisions, secret=secret, scheme=scheme)
    if options.progress:
        total_bytes = sum(s.size for s in sources)
        for i, source in enumerate(sources):
            options.progress({"event": "file", "index": i, "total": len(sources), "path": source.path,
                                  "display": source.display,
                              "bytes": source.size, "total_bytes": total_bytes})
    spark.sparkContext.setJobDescription("chujing: scan inputs")
    scanned = (spark.range(n_tasks, numPartitions=n_tasks)
               .mapInArrow(task, _TASK_DDL)
               .persist(StorageLevel.MEMORY_AND_DISK))
    try:
        started = time.monotonic()
        try:
            collected = scanned.where(F.col("kind") == _FILE).select("file", "blob").collect()
        except Exception as exc:  # Py4J / PySpark errors carry the whole worker traceback
            raise SparkScanError(_task_failure(exc)) from None
        summaries = {r["file"]: pickle.loads(r["blob"]) for r in collected}
        file_reports = [summaries[i]["report"] for i in range(len(sources))]
        if options.progress:  # for schedulers, as the local engine: each file, once its task has read it
            for i, (source, file_report) in enumerate(zip(sources, file_reports, strict=True)):
                options.progress({"event": "file_done", "index": i, "total": len(sources), "path": source.path,
                                  "display": source.display,
                                  "bytes": source.size, "rows": file_report.rows, "error": bool(file_report.error),
                                  "cached": False, "rescan": False})
        rows = scanned.where(F.col("kind") == _ROW).select(
            "file", "row", F.col("flags").cast("int").alias("flags"), "entities", "keys", "kinds", "masks")
        stats.scan_seconds = time.monotonic() - started
        started = time.monotonic()
        persons.count(spark, rows, [summaries[i] for i in range(len(sources))], stats, want_table)
        stats.count_seconds = time.monotonic() - started
    finally:
        scanned.unpersist()
        spark.sparkContext.setJobDescription(None)
    return file_reports


class SparkScanError(RuntimeError):
    """The Spark job failed; the message names the input and the reason, never a value."""


def _task_failure(exc: BaseException) -> str:
    """One line for a failed Spark job: our task's own scrubbed reason when it gave one."""
    for line in reversed(str(exc).splitlines()):
        if "failed in the Spark task:" in line:
            return line.split("RuntimeError: ", 1)[-1].strip()
    return f"the Spark job failed ({type(exc).__name__}); see the Spark logs"


# --- inside a task -------------------------------------------------------------------------------

@dataclass
class _Task:
    """What a Spark task needs to scan one input: pickled once, shipped with the closure."""

    sources: list[Source]
    schedule: list[list[int]]  # the inputs of each task, by task number
    options: ScanOptions
    detectors: list | None
    decisions: Any
    secret: bytes
    scheme: str = DEFAULT_SCHEME

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for task_number in batch.column(0).to_pylist():
                for index in self.schedule[task_number]:
                    yield from self.scan_file(index)

    def scan_file(self, index: int) -> Iterator[pa.RecordBatch]:
        """Run the pipeline's scan of one input in a thread, streaming the hashed rows out."""
        source = self.sources[index]
        detectors = self.detectors or _detectors(tuple(self.options.detector_files))
        out: queue.Queue = queue.Queue(maxsize=4)
        stop = threading.Event()
        sink = _HashingSink(index, self.secret, pipeline.person_counter(self.options, detectors), out, stop,
                            self.scheme)
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                result["report"] = _scan_one_input(source, self.options, detectors, sink, self.decisions)
            except BaseException as exc:  # re-raised in the task, without the data (below)
                result["error"] = exc
            finally:
                _put(out, None, stop)

        thread = threading.Thread(target=work, name=f"chujing-scan-{index}", daemon=True)
        thread.start()
        try:
            while (item := out.get()) is not None:
                yield item
        finally:
            stop.set()
            thread.join(timeout=5)
        if "error" in result:
            exc = result["error"]
            # An exception message may quote a value; Spark logs task failures, so only the type
            # and a scrubbed reason travel.
            raise RuntimeError(f"input #{index} failed in the Spark task: {type(exc).__name__}: "
                               f"{describe_read_error(exc)}") from None
        summary = {"report": result["report"], **sink.summary()}
        yield _file_record(index, pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL))


_DETECTORS: dict[tuple[str, ...], list] = {}


def _detectors(files: tuple[str, ...]) -> list:
    """Detectors, loaded once per Python worker (workers are reused between tasks)."""
    if files not in _DETECTORS:
        _DETECTORS[files] = pipeline.load_detectors(list(files))
    return _DETECTORS[files]


def _put(out: queue.Queue, item: Any, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            out.put(item, timeout=0.5)
            return
        except queue.Full:
            continue


def _file_record(index: int, blob: bytes) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([
        pa.array([_FILE], pa.int8()), pa.array([index], pa.int32()), pa.array([0], pa.int64()),
        pa.array([0], pa.int8()), pa.array([[]], pa.list_(pa.string())), pa.array([[]], pa.list_(pa.binary())),
        pa.array([blob], pa.binary()), pa.array([[]], pa.list_(pa.int32())), pa.array([[]], pa.list_(pa.string())),
    ], schema=_TASK_SCHEMA)


class _HashingSink:
    """Takes the place of :class:`~scanner.persons.counter.PersonCounter` in a task's scan.

    Selects the rows the counter would count (the ``personal`` flag), computes the same
    per-row facts (sensitive; minor from birth dates and resident-ID keys; entities; which keys
    are present) and emits them with each key replaced by its keyed hash. Counting happens
    later, in Spark, over every input at once.
    """

    def __init__(self, file: int, secret: bytes, counter: PersonCounter, out: queue.Queue, stop: threading.Event,
                 scheme: str = DEFAULT_SCHEME) -> None:
        self.file = file
        self.out = out
        self.stop = stop
        self._counter = counter  # only its row selection (row_facts) and key kinds are used
        self.placeholders: dict[tuple[str, str], int] = {}
        self.placeholder_rows = 0
        self._secret = secret
        self._scheme = scheme
        self.rows = 0
        self.keyless_rows = 0
        self.entities: set[str] = set()
        self.subject: str | None = None

    def summary(self) -> dict[str, Any]:
        return {"rows": self.rows, "keyless_rows": self.keyless_rows, "entities": sorted(self.entities),
                "subject": self.subject, "placeholders": dict(self.placeholders),
                "placeholder_rows": self.placeholder_rows}

    def add_batch(self, keys: dict[str, pa.Array], flags: dict[str, np.ndarray],
                  birth_dates: pa.Array | None = None, subject: str | None = None, source: str = "") -> None:
        facts = self._counter.row_facts(keys, flags, birth_dates, source)
        if facts is None:
            return
        self.placeholder_rows += tally_placeholders(self.placeholders, facts.placeholders)
        m, row_flags = facts.rows, facts.flags
        key_rows = [rows for _, rows, _ in facts.keys]
        key_hashes = [self._hash(namespace, present) for namespace, _, present in facts.keys]
        kinds = [self._counter.kind(namespace) for namespace, _, _ in facts.keys]
        key_kinds = [np.full(len(rows), kind, np.int32) for kind, rows in zip(kinds, key_rows, strict=True)]
        key_masks = [pc.binary_join_element_wise(pa.scalar(namespace + "\x1f"), mask_keys(present), "")
                     if kind == CONTACT_KIND else pa.array([""] * len(present), pa.string())
                     for kind, (namespace, _, present) in zip(kinds, facts.keys, strict=True)]
        entity_rows: list[np.ndarray] = []
        entity_codes: list[np.ndarray] = []
        entity_names: list[str] = []
        for entity, hit in facts.entities:
            entity_rows.append(hit)
            entity_codes.append(np.full(len(hit), len(entity_names), np.int32))
            entity_names.append(entity)
        self.entities.update(entity_names)
        if subject is not None and self.subject is None:
            self.subject = subject

        keys_list, has_key = _lists(m, key_rows, key_hashes)
        kinds_list = _parallel_list(m, key_rows, pa.array(np.concatenate(key_kinds)) if key_kinds else pa.array([], pa.int32()))
        masks_list = _parallel_list(m, key_rows, pa.concat_arrays([a.cast(pa.string()) for a in key_masks])
                                    if key_masks else pa.array([], pa.string()))
        entities_list = _entity_lists(m, entity_rows, entity_codes, entity_names)
        row_ids = (np.int64(self.file) << _ROW_BITS) + self.rows + np.arange(m, dtype=np.int64)
        self.rows += m
        self.keyless_rows += int(m - has_key.sum())
        batch = pa.RecordBatch.from_arrays([
            pa.array(np.zeros(m, np.int8)), pa.array(np.full(m, self.file, np.int32)), pa.array(row_ids),
            pa.array(row_flags.astype(np.int8)), entities_list, keys_list, pa.nulls(m, pa.binary()),
            kinds_list, masks_list,
        ], schema=_TASK_SCHEMA)
        _put(self.out, batch, self.stop)

    def _hash(self, namespace: str, keys: pa.Array) -> np.ndarray:
        """The ledger's keyed hash of namespace + key (scanner.persons.keyed_hash), each distinct key
        of the batch hashed once, all of them in one bulk call."""
        encoded = keys.dictionary_encode()
        table = hash_keys(self._secret, namespace, encoded.dictionary, self._scheme)
        return table[encoded.indices.to_numpy(zero_copy_only=False)]


def _lists(m: int, rows: list[np.ndarray], hashes: list[np.ndarray]) -> tuple[pa.Array, np.ndarray]:
    """Per row, the list of its key hashes (in key order), and which rows have any."""
    if not rows:
        return pa.array([[]] * m, pa.list_(pa.binary())), np.zeros(m, bool)
    all_rows = np.concatenate(rows)
    all_hashes = np.concatenate(hashes)
    order = np.argsort(all_rows, kind="stable")
    counts = np.bincount(all_rows, minlength=m)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    k = len(all_rows)
    data = np.ascontiguousarray(all_hashes[order]).tobytes()
    value_offsets = np.arange(0, HASH_BYTES * (k + 1), HASH_BYTES, dtype=np.int32)
    values = pa.BinaryArray.from_buffers(pa.binary(), k, [None, pa.py_buffer(value_offsets.tobytes()), pa.py_buffer(data)])
    return pa.ListArray.from_arrays(pa.array(offsets), values), counts > 0


def _parallel_list(m: int, rows: list[np.ndarray], values: pa.Array) -> pa.Array:
    """Per row, a list of ``values`` (one per key, in the order of :func:`_lists`)."""
    if not rows:
        return pa.array([[]] * m, pa.list_(values.type))
    all_rows = np.concatenate(rows)
    order = np.argsort(all_rows, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(all_rows, minlength=m))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(order)))


def _entity_lists(m: int, rows: list[np.ndarray], codes: list[np.ndarray], names: list[str]) -> pa.Array:
    if not rows:
        return pa.array([[]] * m, pa.list_(pa.string()))
    all_rows = np.concatenate(rows)
    order = np.argsort(all_rows, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(all_rows, minlength=m))]).astype(np.int32)
    values = pa.array(names, pa.string()).take(pa.array(np.concatenate(codes)[order]))
    return pa.ListArray.from_arrays(pa.array(offsets), values)


# --- counting persons in Spark -------------------------------------------------------------------

@dataclass
class _Persons:
    """The person figures computed in Spark, in the shape of :class:`PersonCounter`'s results.

    Also stands in for the counter where the ledger expects one (``result``,
    ``person_table``, ``keyless_policy``).
    """

    keyless_policy: str = EACH_ROW_IS_A_PERSON
    counts: PersonCounts = field(default_factory=PersonCounts)
    table: PersonTable | None = None
    check_hasher_key: bytes | None = None
    check_hasher_scheme: str = DEFAULT_SCHEME
    max_identities: int = DEFAULT_MAX_IDENTITIES
    user_not_keys: int = 0

    def result(self) -> PersonCounts:
        return self.counts

    def person_table(self, hasher) -> PersonTable:
        if self.table is None:
            raise RuntimeError("the Spark scan did not keep the person table the ledger needs")
        if self.check_hasher_key is not None:
            probe = pa.array(["chujing"])
            mine = hash_keys(self.check_hasher_key, "probe", probe, self.check_hasher_scheme)
            if not np.array_equal(np.asarray(hasher("probe", probe), dtype=np.uint8), mine):
                raise RuntimeError("the ledger hashes keys differently from the Spark scan; cannot record")
        return self.table

    def count(self, spark, rows, summaries: list[dict[str, Any]], stats: _SparkStats, want_table: bool) -> None:
        from pyspark.sql import functions as F

        # Subject roles in the order PersonCounter meets them: inputs in order, those with rows.
        subjects: list[str] = []
        for s in summaries:
            if s["rows"] and s["subject"] is not None and s["subject"] not in subjects:
                subjects.append(s["subject"])
        file_subject = {i: subjects.index(s["subject"]) if s["rows"] and s["subject"] in subjects else -1
                        for i, s in enumerate(summaries)}
        entities = sorted({e for s in summaries for e in s["entities"]})
        total_rows = sum(s["rows"] for s in summaries)
        keyless_rows = sum(s["keyless_rows"] for s in summaries)
        self.counts = PersonCounts(keyless_rows=keyless_rows, keyless_policy=self.keyless_policy, rows=total_rows,
                                   by_entity={e: 0 for e in entities},
                                   by_subject={s: {"personal": 0, "sensitive": 0, "by_entity": {e: 0 for e in entities}}
                                               for s in subjects})
        if total_rows == 0:
            return

        spark.sparkContext.setJobDescription("chujing: link keys into persons")
        keyed, linking = self._link(spark, rows, summaries, stats)
        if self.keyless_policy == EACH_ROW_IS_A_PERSON:
            keyless = rows.where(F.size("keys") == 0).select(
                "file", "row", "flags", "entities", _row_label(F.col("row")).alias("person"),
                _row_label(F.col("row")).alias("piece"))
            labelled = keyed.select(*_LABELLED).unionByName(keyless)
        else:
            labelled = keyed.select(*_LABELLED)
        if subjects:
            mapping = F.create_map(*[x for i, code in file_subject.items() for x in (F.lit(i), F.lit(code))])
            labelled = labelled.withColumn("subject", F.coalesce(mapping[F.col("file")], F.lit(-1)))
        else:
            labelled = labelled.withColumn("subject", F.lit(-1))

        spark.sparkContext.setJobDescription("chujing: count persons")
        # A facet is what one person shows under one subject role (PersonTable's sense).
        facets = (labelled.groupBy("person", "subject")
                  .agg(F.bit_or("flags").alias("f"), F.array_distinct(F.flatten(F.collect_list("entities"))).alias("ents")))
        try:
            for r in _figures(facets).collect():
                if r["what"] == "all":
                    self.counts.personal = int(r["n"])
                    self.counts.sensitive = int(r["sensitive"])
                    self.counts.minors = int(r["minors"])
                elif r["what"] == "entity":
                    self.counts.by_entity[r["entity"]] = int(r["n"])
                elif r["what"] == "role":
                    role = self.counts.by_subject[subjects[r["subject"]]]
                    role["personal"], role["sensitive"] = int(r["n"]), int(r["sensitive"])
                else:
                    self.counts.by_subject[subjects[r["subject"]]]["by_entity"][r["entity"]] = int(r["n"])
            self.counts.linking = linking(self.counts)
            if want_table:
                self.table = _person_table(labelled, keyed, subjects, self.counts)
        finally:
            keyed.unpersist()
            spark.sparkContext.setJobDescription(None)

    def _link(self, spark, rows, summaries: list[dict[str, Any]], stats: _SparkStats):
        """Each keyed row's person and piece, by the rules of :mod:`scanner.persons.linking`.

        Identity and group keys are linked in Spark (label propagation, or on the driver when
        few); a row's *node* is then its identity group, or the row itself when it holds contacts
        only. Contacts held by one node link nothing and never leave Spark; the holdings of the
        others (hashes only: node, contact, rows) are linked on the driver by the same function
        as the local engine's (:func:`scanner.persons.linking.link_contacts`). Returns the keyed rows
        (persisted) with ``person`` and ``piece``, and a function giving ``persons.linking``.
        """
        from pyspark.sql import functions as F

        zipped = F.arrays_zip(F.col("keys").alias("k"), F.col("kinds").alias("t"), F.col("masks").alias("m"))
        keyed = (rows.where(F.size("keys") > 0)
                 .withColumn("z", zipped)
                 .withColumn("links", F.transform(F.filter("z", lambda e: e["t"] != CONTACT_KIND), lambda e: e["k"]))
                 .withColumn("has_id", F.exists("kinds", lambda t: t > 0).cast("int")))
        labels = _components(spark, keyed.select(F.col("links").alias("keys")), stats)
        keyed = (keyed.join(labels.select(F.col("node").alias("lk"), F.col("label").alias("lab")),
                            F.get("links", 0) == F.col("lk"), "left")
                 .withColumn("node", F.when(F.size("links") > 0, F.coalesce("lab", F.get("links", 0)))
                             .otherwise(_row_label(F.col("row"))))
                 .drop("lk", "lab")
                 .localCheckpoint(eager=True))
        holdings = (keyed.select("node", "row", F.explode(F.filter("z", lambda e: e["t"] == CONTACT_KIND)).alias("c"))
                    .select("node", "row", F.col("c")["k"].alias("contact"), F.col("c")["m"].alias("mask")))
        per_contact = holdings.groupBy("contact").agg(F.countDistinct("node").alias("holders"))
        multi = per_contact.where(F.col("holders") >= 2).select("contact")
        pairs = (holdings.join(multi, "contact", "left_semi")
                 .groupBy("contact", "node").agg(F.countDistinct("row").alias("rows"), F.min("mask").alias("mask"))
                 .toArrow())
        nodes = pairs.column("node").combine_chunks() if pairs.num_rows else pa.array([], pa.binary())
        node_values = pc.unique(nodes)
        node_index = pc.index_in(nodes, value_set=node_values).to_numpy(zero_copy_only=False).astype(np.int64)
        k = len(node_values)
        in_play = spark.createDataFrame(pa.table({"node": node_values}))
        facts = (keyed.join(F.broadcast(in_play), "node", "left_semi")
                 .select("node", "has_id", F.explode_outer(F.filter("kinds", lambda t: t > 0)).alias("kind"))
                 .distinct().toArrow())
        fact_node = pc.index_in(facts.column("node"), value_set=node_values).to_numpy(zero_copy_only=False)
        has_identity = np.zeros(k, bool)
        has_identity[fact_node[facts.column("has_id").to_numpy(zero_copy_only=False) > 0]] = True
        kinds = facts.column("kind").to_numpy(zero_copy_only=False)
        with_kind = ~np.isnan(kinds.astype(float))
        kind_values, kind_code = np.unique(kinds[with_kind].astype(np.int64), return_inverse=True)
        width = max(len(kind_values), 1)
        ns = np.unique(fact_node[with_kind].astype(np.int64) * width + kind_code.reshape(-1))
        contacts = pairs.column("contact").combine_chunks() if pairs.num_rows else pa.array([], pa.binary())
        contact_values = pc.unique(contacts)
        contact_code = pc.index_in(contacts, value_set=contact_values).to_numpy(zero_copy_only=False).astype(np.int64)
        link = link_contacts(np.arange(k), has_identity, ns // width, ns % width, node_index, contact_code,
                             c_rows=pairs.column("rows").to_numpy(zero_copy_only=False) if pairs.num_rows else None,
                             max_identities=self.max_identities)
        mapping = pa.table({"node": node_values, "person": node_values.take(pa.array(link.label)),
                            "piece": node_values.take(pa.array(link.piece_label)),
                            "lenient": node_values.take(pa.array(link.lenient_label))})
        keyed = (keyed.join(F.broadcast(spark.createDataFrame(mapping)), "node", "left")
                 .withColumn("person", F.coalesce("person", "node")).withColumn("piece", F.coalesce("piece", "node"))
                 .withColumn("lenient", F.coalesce("lenient", "node"))
                 .persist())
        masks = pairs.column("mask").to_pylist() if pairs.num_rows else []
        mask_of = dict(zip(contact_code.tolist(), masks, strict=True))
        shared = []
        shared_codes = pc.index_in(contact_values.take(pa.array(link.shared)), value_set=contact_values)
        for code, identities, n in zip(shared_codes.to_pylist(), link.shared_identities.tolist(),
                                       link.shared_rows.tolist(), strict=True):
            entity, _, value = (mask_of.get(code) or "\x1f").partition("\x1f")
            shared.append({"entity": entity, "value": value, "identities": int(identities), "rows": int(n)})
        placeholders: dict[tuple[str, str], int] = {}
        for summary in summaries:
            for key, n in summary.get("placeholders", {}).items():
                placeholders[key] = placeholders.get(key, 0) + n
        placeholder_rows = sum(summary.get("placeholder_rows", 0) for summary in summaries)
        sensitive = (F.col("flags").bitwiseAND(SENSITIVE | MINOR) != 0)
        figures = keyed.agg(F.countDistinct("node").alias("ap"), F.countDistinct(F.when(sensitive, F.col("node"))).alias("as"),
                            F.countDistinct("lenient").alias("lp"),
                            F.countDistinct(F.when(sensitive, F.col("lenient"))).alias("ls")).first()
        alone = (rows.where(F.size("keys") == 0)
                 .agg(F.count(F.lit(1)).alias("n"), F.sum(sensitive.cast("long")).alias("s")).first())
        extra = (int(alone["n"] or 0), int(alone["s"] or 0)) if self.keyless_policy == EACH_ROW_IS_A_PERSON else (0, 0)

        def linking(counts: PersonCounts) -> dict[str, Any]:
            return linking_summary(
                max_identities=self.max_identities, contact_merges=link.contact_merges, conflicts=link.conflicts,
                shared=shared, placeholders=placeholders, placeholder_rows=placeholder_rows,
                user_not_keys=self.user_not_keys, strict=(counts.personal, counts.sensitive),
                lenient=(figures["lp"] + extra[0], figures["ls"] + extra[1]),
                apart=(figures["ap"] + extra[0], figures["as"] + extra[1]))

        return keyed, linking


_LABELLED = ("file", "row", "flags", "entities", "person", "piece")


def _figures(facets):
    """Every figure of the persons report in one aggregation (one Spark job, two shuffles).

    Each person contributes one record per figure it counts in: ``all`` (with its sensitive
    and minor bits), ``entity`` per entity it shows, ``role`` per subject role (sensitive there
    when a row in the role is, or when the person is a minor anywhere, as PersonCounter says)
    and ``role_entity`` per entity in a role.
    """
    from pyspark.sql import functions as F

    def item(what, subject, entity, sensitive, minor):
        return F.struct(F.lit(what).alias("what"), subject.cast("int").alias("subject"),
                        entity.cast("string").alias("entity"), sensitive.cast("long").alias("sensitive"),
                        minor.cast("long").alias("minor"))

    none, zero = F.lit(None), F.lit(0)
    people = facets.groupBy("person").agg(
        F.bit_or("f").alias("pf"), F.array_distinct(F.flatten(F.collect_list("ents"))).alias("pents"),
        F.collect_list(F.struct("subject", "f", "ents")).alias("roles"))
    minor = F.col("pf").bitwiseAND(MINOR) != 0
    roles = F.filter("roles", lambda r: r["subject"] >= 0)
    contributions = F.concat(
        F.array(item("all", F.lit(-1), none, F.col("pf").bitwiseAND(MINOR | SENSITIVE) != 0, minor)),
        F.transform("pents", lambda e: item("entity", F.lit(-1), e, zero, zero)),
        F.transform(roles, lambda r: item("role", r["subject"], none, (r["f"].bitwiseAND(SENSITIVE) != 0) | minor, zero)),
        F.flatten(F.transform(roles, lambda r: F.transform(r["ents"], lambda e: item("role_entity", r["subject"], e,
                                                                                        zero, zero)))),
    )
    return (people.select(F.explode(contributions).alias("c")).select("c.*")
            .groupBy("what", "subject", "entity")
            .agg(F.count(F.lit(1)).alias("n"), F.sum("sensitive").alias("sensitive"), F.sum("minor").alias("minors")))


def _row_label(row):
    """A keyless row's own person label: its 8-byte id, never equal to a 16-byte key hash."""
    from pyspark.sql import functions as F

    return F.unhex(F.lpad(F.hex(row), 16, "0"))


def _components(spark, rows, stats: _SparkStats):
    """``(node, label)`` for every key hash linked to another one: the component's smallest hash.

    Keys that are linked to nothing are their own label (the caller's ``coalesce``).
    """
    from pyspark.sql import functions as F

    edges = (rows.where(F.size("keys") > 1)
             .select(F.col("keys")[0].alias("a"), F.posexplode("keys").alias("pos", "b"))
             .where((F.col("pos") > 0) & (F.col("a") != F.col("b")))
             .select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v"))
             .distinct()
             .localCheckpoint(eager=True))
    if DRIVER_COMPONENTS_MAX_EDGES > 0:
        few = edges.limit(DRIVER_COMPONENTS_MAX_EDGES + 1).toArrow()
        stats.edges = few.num_rows
        if few.num_rows <= DRIVER_COMPONENTS_MAX_EDGES:
            stats.components = "driver"
            return _driver_components(spark, few)
    stats.edges = edges.count()
    stats.components = "spark"
    if stats.edges == 0:  # no row holds two keys: every key is its own person
        return edges.select(F.col("u").alias("node"), F.col("v").alias("label"))
    return _star_components(edges, stats)


def _star_components(edges, stats: _SparkStats):
    """Large-star / small-star rounds until every component is a star around its minimum.

    Edges are kept as ``(u, v)`` with ``u > v``. Large-star joins every neighbour larger than a
    node to the node's smallest neighbour; small-star joins a node and its smaller neighbours
    to the smallest of them. Both keep the components; together they shrink the graph's
    diameter until each component is a star centred on its smallest node (Kiveris et al.).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_x, by_u = Window.partitionBy("x"), Window.partitionBy("u")
    current = edges
    for round_ in range(1, MAX_ROUNDS + 1):
        # large-star: (y, m(x)) for every neighbour y > x, m(x) = min of x and its neighbours
        both = current.select(F.col("u").alias("x"), F.col("v").alias("y")).unionByName(
            current.select(F.col("v").alias("x"), F.col("u").alias("y")))
        large = (both.withColumn("m", F.least(F.min("y").over(by_x), F.col("x")))
                 .where(F.col("y") > F.col("x")).select(F.col("y").alias("u"), F.col("m").alias("v")))
        # small-star: u and each of its smaller neighbours v to m(u) = the smallest of them
        with_m = large.withColumn("m", F.min("v").over(by_u))
        current = (with_m.select(F.col("v").alias("u"), F.col("m").alias("v")).where(F.col("u") != F.col("v"))
                   .unionByName(with_m.select("u", F.col("m").alias("v")))
                   .distinct()
                   .localCheckpoint(eager=True))
        stats.rounds = round_
        # Done when every node points to one centre and no centre points anywhere.
        several = current.withColumn("n", F.count(F.lit(1)).over(by_u)).where(F.col("n") > 1).select("u")
        centre_is_leaf = current.select(F.col("v").alias("u")).join(current.select("u"), "u", "left_semi")
        if several.limit(1).unionByName(centre_is_leaf.limit(1)).count() == 0:
            return current.select(F.col("u").alias("node"), F.col("v").alias("label")).unionByName(
                current.select(F.col("v").alias("node"), F.col("v").alias("label"))).distinct()
    raise RuntimeError(f"person linking did not converge in {MAX_ROUNDS} rounds (a bug; please report it)")


def _driver_components(spark, table: pa.Table):
    """Components of a small edge set with scipy on the driver (hashes only reach it)."""
    from pyspark.sql import functions as F

    from scanner.persons.linking import components

    if table.num_rows == 0:
        return spark.createDataFrame(pa.table({"node": pa.array([], pa.binary()), "label": pa.array([], pa.binary())}))
    u = table.column("u").combine_chunks().cast(pa.binary())
    v = table.column("v").combine_chunks().cast(pa.binary())
    encoded = pa.chunked_array([u, v]).dictionary_encode()
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks]).astype(np.int64)
    nodes = encoded.chunk(0).dictionary
    k = len(u)
    labels = components(len(nodes), codes[:k], codes[k:])
    # Any member names its component; the smallest code's hash is as good as any.
    first = np.full(int(labels.max()) + 1, len(nodes), np.int64)
    np.minimum.at(first, labels, np.arange(len(nodes)))
    result = pa.table({"node": nodes, "label": nodes.take(pa.array(first[labels]))})
    return F.broadcast(spark.createDataFrame(result))


def _person_table(labelled, keyed, subjects: list[str], counts: PersonCounts) -> PersonTable:
    """The pieces of persons as the ledger stores them (keyed hashes only), collected to the
    driver: one facet per (piece, subject role), each key with its kind, a contact once per
    piece holding it (see :class:`scanner.persons.counter.PersonTable`)."""
    from pyspark.sql import functions as F

    f = (labelled.groupBy("piece", "subject")
         .agg(F.bit_or("flags").alias("f"), F.array_distinct(F.flatten(F.collect_list("entities"))).alias("ents"))
         .toArrow())
    pieces = pc.unique(f.column("piece").combine_chunks()) if f.num_rows else pa.array([], pa.binary())
    facet_person = pc.index_in(f.column("piece"), value_set=pieces).to_numpy(zero_copy_only=False).astype(np.int32)
    facet_subject = f.column("subject").to_numpy().astype(np.int16)
    facet_flags = f.column("f").to_numpy().astype(np.uint8)
    entity_facets: dict[str, list[int]] = {}
    for i, ents in enumerate(f.column("ents").to_pylist()):
        for e in ents:
            entity_facets.setdefault(e, []).append(i)
    keys = (keyed.select("piece", F.explode(F.arrays_zip(F.col("keys").alias("k"), F.col("kinds").alias("t"))).alias("e"))
            .select("piece", F.col("e")["k"].alias("key"), F.col("e")["t"].alias("kind")).distinct().toArrow())
    key_person = pc.index_in(keys.column("piece"), value_set=pieces).fill_null(-1).to_numpy(zero_copy_only=False)
    keep = key_person >= 0  # keys of rows left out by the policy belong to no counted person
    key_hash = np.frombuffer(b"".join(keys.column("key").to_pylist()), np.uint8).reshape(-1, HASH_BYTES)[keep]
    return PersonTable(
        n_persons=len(pieces), key_hash=key_hash, key_person=key_person[keep].astype(np.int32),
        facet_person=facet_person, facet_subject=facet_subject, facet_flags=facet_flags,
        entity_facets={e: np.array(v, np.int32) for e, v in sorted(entity_facets.items())},
        subjects=list(subjects), keyless_rows=counts.keyless_rows, keyless_policy=counts.keyless_policy,
        rows=counts.rows, key_kind=keys.column("kind").to_numpy(zero_copy_only=False).astype(np.int32)[keep])
