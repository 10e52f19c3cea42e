"""Incremental scans: a state file remembers each file's fingerprint and its results.

A scheduled job over a data lake re-reads only what changed. For every scanned file the state
keeps its fingerprint (size, modification time, and a BLAKE2 hash of its first and last 64 KiB —
which covers a Parquet footer), the options that shaped its result, its part of the report, and
its persons as a :class:`~scanner.persons.PersonTable`: keyed hashes of the person keys, never a
raw value, under the same key as the ledger. Persons are then linked across cached and freshly
scanned files exactly as within one scan, so the counts stay exact.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
from dataclasses import asdict
from typing import Any

import numpy as np
import pyarrow as pa

from scanner.persons import HASH_BYTES, PersonCounts, PersonTable, _components, union_counts
from scanner.report import ColumnReport, FileReport

FORMAT = "chujing.state/1"
EDGE_BYTES = 64 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    signature TEXT NOT NULL,
    report TEXT NOT NULL,
    persons BLOB,
    scanned_at TEXT NOT NULL DEFAULT (datetime('now'))
);
"""


class StateError(Exception):
    """A one-line reason the state file cannot be used."""


def fingerprint(path: str) -> str:
    """Size, mtime and a hash of the first and last 64 KiB of a file (or of a dataset's files)."""
    paths = [path] if not os.path.isdir(path) else sorted(
        os.path.join(root, f) for root, _, files in os.walk(path) for f in files)
    h = hashlib.blake2b(digest_size=16)
    for p in paths:
        st = os.stat(p)
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\0".encode("utf-8", "surrogateescape"))
        with open(p, "rb") as f:
            h.update(f.read(EDGE_BYTES))
            if st.st_size > 2 * EDGE_BYTES:
                f.seek(-EDGE_BYTES, os.SEEK_END)
                h.update(f.read(EDGE_BYTES))
    return h.hexdigest()


class ScanState:
    """The state file of incremental scans (SQLite). Use as a context manager."""

    def __init__(self, path: str, key_id: str):
        self.path = path
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self._conn = sqlite3.connect(path, timeout=60, isolation_level=None)
            self._conn.executescript(_SCHEMA)
            meta = dict(self._conn.execute("SELECT name, value FROM meta").fetchall())
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"{path}: cannot open the state file ({exc})") from None
        if meta.get("format") not in (None, FORMAT) or meta.get("key_id") not in (None, key_id):
            # Another format or another key: hashes would not link. Start afresh (a full scan).
            self._conn.execute("DELETE FROM files")
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?), ('key_id', ?)", (FORMAT, key_id))

    def __enter__(self) -> ScanState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def get(self, path: str, fp: str, signature: str) -> tuple[FileReport, PersonTable] | None:
        row = self._conn.execute("SELECT fingerprint, signature, report, persons FROM files WHERE path = ?",
                                 (path,)).fetchone()
        if row is None or row[0] != fp or row[1] != signature:
            return None
        try:
            return _file_report(json.loads(row[2])), _load_table(row[3])
        except (ValueError, KeyError, TypeError):
            return None  # damaged entry: scan the file again

    def put(self, path: str, fp: str, signature: str, report: FileReport, table: PersonTable) -> None:
        self._conn.execute("INSERT OR REPLACE INTO files (path, fingerprint, signature, report, persons) "
                           "VALUES (?, ?, ?, ?, ?)",
                           (path, fp, signature, json.dumps(report.to_dict(), ensure_ascii=False), _dump_table(table)))

    def forget_missing(self, present: set[str]) -> int:
        gone = [p for (p,) in self._conn.execute("SELECT path FROM files") if p not in present]
        self._conn.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in gone])
        return len(gone)


def _file_report(d: dict[str, Any]) -> FileReport:
    columns = [ColumnReport(**c) for c in d.pop("columns", [])]
    return FileReport(**d, columns=columns)


def _dump_table(t: PersonTable) -> bytes:
    arrays = {"key_hash": t.key_hash, "key_person": t.key_person, "facet_person": t.facet_person,
              "facet_subject": t.facet_subject, "facet_flags": t.facet_flags}
    arrays.update({f"entity:{e}": a for e, a in t.entity_facets.items()})
    buffer = io.BytesIO()
    meta = {k: v for k, v in asdict(t).items() if k not in arrays and k != "entity_facets"}
    np.savez(buffer, __meta__=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
    return buffer.getvalue()


def _load_table(blob: bytes) -> PersonTable:
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        meta = json.loads(bytes(data["__meta__"]).decode())
        entity = {k[len("entity:"):]: data[k] for k in data.files if k.startswith("entity:")}
        return PersonTable(key_hash=data["key_hash"], key_person=data["key_person"], facet_person=data["facet_person"],
                           facet_subject=data["facet_subject"], facet_flags=data["facet_flags"],
                           entity_facets=entity, **meta)


def merge_tables(tables: list[PersonTable]) -> PersonTable:
    """One table of persons from several, persons sharing a key hash merged (for the ledger)."""
    tables = [t for t in tables if t is not None]
    offsets = np.cumsum([0] + [t.n_persons for t in tables])
    n = int(offsets[-1])
    hashes = np.concatenate([t.key_hash for t in tables]) if tables else np.zeros((0, HASH_BYTES), np.uint8)
    owners = np.concatenate([t.key_person.astype(np.int64) + o for t, o in zip(tables, offsets, strict=False)]) \
        if tables else np.zeros(0, np.int64)
    if len(hashes):
        fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(HASH_BYTES), len(hashes),
                                                     [None, pa.py_buffer(np.ascontiguousarray(hashes).tobytes())])
        encoded = fixed.dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        unique_hashes = np.frombuffer(encoded.dictionary.buffers()[1], dtype=np.uint8)[: len(encoded.dictionary) * HASH_BYTES]
        unique_hashes = unique_hashes.reshape(-1, HASH_BYTES)
    else:
        codes, unique_hashes = np.zeros(0, np.int64), np.zeros((0, HASH_BYTES), np.uint8)
    labels = _components(n + len(unique_hashes), owners, codes + n)[:n]
    _, person = np.unique(labels, return_inverse=True)
    person = person.astype(np.int32)
    key_person = np.zeros(len(unique_hashes), np.int32)
    key_person[codes] = person[owners]
    subjects: list[str] = []
    facet_person, facet_subject, facet_flags = [], [], []
    entity_facets: dict[str, list[np.ndarray]] = {}
    facet_offset = 0
    for t, o in zip(tables, offsets, strict=False):
        remap = np.array([subjects.index(s) if s in subjects else (subjects.append(s) or len(subjects) - 1)
                          for s in t.subjects] + [-1], dtype=np.int16)
        facet_person.append(person[t.facet_person.astype(np.int64) + o])
        facet_subject.append(remap[t.facet_subject])
        facet_flags.append(t.facet_flags)
        for e, idx in t.entity_facets.items():
            entity_facets.setdefault(e, []).append(idx.astype(np.int32) + facet_offset)
        facet_offset += len(t.facet_person)

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    return PersonTable(
        n_persons=int(person.max()) + 1 if len(person) else 0, key_hash=unique_hashes.copy(), key_person=key_person,
        facet_person=cat(facet_person, np.int32), facet_subject=cat(facet_subject, np.int16),
        facet_flags=cat(facet_flags, np.uint8), entity_facets={e: cat(p, np.int32) for e, p in entity_facets.items()},
        subjects=subjects, keyless_rows=sum(t.keyless_rows for t in tables),
        keyless_policy=tables[-1].keyless_policy if tables else "each_row_is_a_person",
        rows=sum(t.rows for t in tables))


class TablePersons:
    """Persons of a scan made of per-file tables: what the ledger needs from a counter."""

    def __init__(self, tables: list[PersonTable], keyless_policy: str):
        self.tables = tables
        self.keyless_policy = keyless_policy

    def result(self) -> PersonCounts:
        counts = union_counts(self.tables, self.keyless_policy)
        counts.keyless_policy = self.keyless_policy
        return counts

    def person_table(self, hasher=None) -> PersonTable:
        # Already hashed, with the ledger's key (checked through the state's key id).
        return merge_tables(self.tables)
