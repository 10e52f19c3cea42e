"""Incremental scans: a state file remembers each file's fingerprint and its results.

A scheduled job over a data lake re-reads only what changed. For every scanned file the state
keeps its fingerprint (size, modification time, and a BLAKE2 hash of its first and last 64 KiB —
which covers a Parquet footer), the options that shaped its result, its part of the report, and
its persons as a :class:`~scanner.persons.counter.PersonTable`: keyed hashes of the person keys, never a
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

from scanner.persons.counter import PersonCounts, PersonTable, union_counts, union_table
from scanner.persons.linking import DEFAULT_MAX_IDENTITIES
from scanner.report.model import ColumnReport, FileReport
from scanner.sources.files import content_fingerprint

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
    return content_fingerprint(path, EDGE_BYTES, names_and_times=True)


def _fault(path: str, exc: BaseException) -> StateError:
    """One line naming the state file, what is wrong with it and what to do (no traceback)."""
    from scanner.sources.files import display_path

    name = display_path(path)
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    low = text.lower()
    if isinstance(exc, PermissionError) or "readonly" in low or "read-only" in low or "permission" in low:
        return StateError(f"{name}: the state file cannot be written there ({text}); give --state a file in a "
                          f"folder you can write to")
    if isinstance(exc, OSError) or "unable to open" in low:
        return StateError(f"{name}: cannot create or open the state file ({text}); give --state a file in a "
                          f"folder that exists and you can write to")
    if "not a database" in low or "malformed" in low or "no such table" in low or "corrupt" in low:
        return StateError(f"{name}: not a usable chujing state file ({text}); delete it (or give --state another "
                          f"file): the next scan reads every file again")
    return StateError(f"{name}: the state file failed ({text}); delete it to start afresh (the next scan reads "
                      f"every file again)")


class ScanState:
    """The state file of incremental scans (SQLite). Use as a context manager.

    Files are kept under a keyed hash of their path (``path_key``, the ledger's key): a file or
    folder named after a person never stands raw in the state. Any SQLite fault (a file that is
    not SQLite, damaged pages, a folder that cannot be written) is a :class:`StateError` of one
    line naming the file and what to do.
    """

    def __init__(self, path: str, key_id: str, path_key: bytes | None = None):
        self.path = path
        self._path_key = path_key
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self._conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise _fault(path, exc) from None
        try:
            self._conn.executescript(_SCHEMA)
            meta = dict(self._conn.execute("SELECT name, value FROM meta").fetchall())
            if meta.get("format") not in (None, FORMAT) or meta.get("key_id") not in (None, key_id):
                # Another format or another key: hashes would not link. Start afresh (a full scan).
                self._conn.execute("DELETE FROM files")
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?), ('key_id', ?)", (FORMAT, key_id))
        except (OSError, sqlite3.Error) as exc:
            self._conn.close()
            raise _fault(path, exc) from None

    def _id(self, path: str) -> str:
        if self._path_key is None:
            return path
        digest = hashlib.blake2b(path.encode("utf-8", "surrogateescape"), key=self._path_key[:64], digest_size=16)
        return "h:" + digest.hexdigest()

    def __enter__(self) -> ScanState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def get(self, path: str, fp: str, signature: str) -> tuple[FileReport, PersonTable] | None:
        try:
            row = self._conn.execute("SELECT fingerprint, signature, report, persons FROM files WHERE path = ?",
                                     (self._id(path),)).fetchone()
        except sqlite3.Error as exc:
            raise _fault(self.path, exc) from None
        if row is None or row[0] != fp or row[1] != signature:
            return None
        try:
            return _file_report(json.loads(row[2])), _load_table(row[3])
        except (ValueError, KeyError, TypeError):
            return None  # damaged entry: scan the file again

    def put(self, path: str, fp: str, signature: str, report: FileReport, table: PersonTable) -> None:
        try:
            self._conn.execute("INSERT OR REPLACE INTO files (path, fingerprint, signature, report, persons) "
                               "VALUES (?, ?, ?, ?, ?)",
                               (self._id(path), fp, signature, json.dumps(report.to_dict(), ensure_ascii=False),
                                _dump_table(table)))
        except sqlite3.Error as exc:
            raise _fault(self.path, exc) from None

    def forget_missing(self, present: set[str]) -> int:
        """Forget the files not among ``present`` (and entries a version that kept raw paths left)."""
        keep = {self._id(p) for p in present}
        try:
            gone = [p for (p,) in self._conn.execute("SELECT path FROM files") if p not in keep]
            self._conn.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in gone])
        except sqlite3.Error as exc:
            raise _fault(self.path, exc) from None
        return len(gone)


def _file_report(d: dict[str, Any]) -> FileReport:
    columns = [ColumnReport(**c) for c in d.pop("columns", [])]
    return FileReport(**d, columns=columns)


def _dump_table(t: PersonTable) -> bytes:
    arrays = {"key_hash": t.key_hash, "key_person": t.key_person, "facet_person": t.facet_person,
              "facet_subject": t.facet_subject, "facet_flags": t.facet_flags, "key_kind": t.kinds()}
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
                           key_kind=data["key_kind"] if "key_kind" in data.files else None,
                           entity_facets=entity, **meta)


def merge_tables(tables: list[PersonTable], max_identities: int = DEFAULT_MAX_IDENTITIES) -> PersonTable:
    """One table of persons from several, linked as a scan links them (for the ledger)."""
    return union_table(tables, max_identities)


class TablePersons:
    """Persons of a scan made of per-file tables: what the ledger needs from a counter."""

    def __init__(self, tables: list[PersonTable], keyless_policy: str, max_identities: int = DEFAULT_MAX_IDENTITIES):
        self.tables = tables
        self.keyless_policy = keyless_policy
        self.max_identities = max_identities

    def result(self) -> PersonCounts:
        counts = union_counts(self.tables, self.keyless_policy, self.max_identities)
        counts.keyless_policy = self.keyless_policy
        return counts

    def person_table(self, hasher=None) -> PersonTable:
        # Already hashed, with the ledger's key (checked through the state's key id).
        return merge_tables(self.tables, self.max_identities)
