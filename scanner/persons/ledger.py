"""The year-to-date ledger: persons already sent abroad since 1 January.

The thresholds of the rules count natural persons *cumulatively since 1 January*, after
de-duplication. The ledger is one SQLite file that remembers, per calendar year, every
recorded transfer and the persons it carried, so that a new export is judged on what the year
will hold once it is sent: the same person sent in February and again in May counts once.

What the file holds (and what it never holds):

* ``transfers``: one row per transfer: id, year, time, recipient, purpose, the context
  (ruleset, sector, scenario, subject...), the exemption reason if any (an exempt transfer is
  kept for the record and not counted), the transfer's own counts, and its files (path, size,
  content fingerprint, rows) in ``transfer_files``.
* ``person_arrays``: the transfer's persons, as packed little-endian arrays (see
  :class:`scanner.persons.counter.PersonTable`): a 16-byte keyed hash of each
  namespace-qualified canonical key (AES-CMAC, computed for whole arrays; BLAKE2b in ledgers
  made before it, see :mod:`scanner.persons.keyed_hash`) with the person it belongs to, and per
  person and subject
  role the flags (sensitive, under 14) and entities present. Never a raw identifier: without
  the key, a hash cannot be tested against a guessed phone number or ID.
* ``log``: every record and every removal (a correction), with time and reason.
* ``meta``: the format, the key hash scheme (``key_hash``; absent in older ledgers: BLAKE2b),
  how a transfer recorded without an id is named (``transfer_id``: ``hash-sum``; absent in
  older ledgers: ``sorted-hashes``, see ``Ledger._default_transfer_id``), and a check
  value derived from the key, so that a wrong key is refused rather than silently counting
  everyone twice.

The key is kept apart from the database: ``CHUJING_LEDGER_KEY`` (hex) or a key file (mode
0600, created on first use beside the user data directory, or ``CHUJING_LEDGER_KEY_FILE``).

Counting over the year links persons again, from the hashes, with the same connected-components
algorithm as within a scan (:func:`scanner.persons.counter.union_counts`); a removed transfer simply
drops out. Every write is one SQLite transaction (``BEGIN IMMEDIATE``): two processes recording
at once are serialised, and a process killed mid-way leaves the ledger as it was.

    >>> import datetime, os, tempfile, numpy as np, pyarrow as pa
    >>> from scanner.persons.counter import PersonCounter
    >>> tmp = tempfile.mkdtemp()
    >>> os.environ["CHUJING_LEDGER_KEY"] = "00" * 32
    >>> ledger = open_ledger(os.path.join(tmp, "ledger.sqlite"))
    >>> counter = PersonCounter(datetime.date(2026, 3, 1))
    >>> counter.add_batch({"CN_MOBILE_PHONE": pa.array(["13912340001", "13912340002"])},
    ...                   {"personal": np.array([True, True])})
    >>> context = {"sector": "other", "scenario": "other", "ruleset": "cac-2024"}
    >>> ledger.record(counter, context, 2026, "feb-1", "Acme GmbH", None, [], None)["personal"]
    2
    >>> ledger.year_to_date(counter, context, 2026)["personal"]  # the same persons again
    2
    >>> ledger.close(); del os.environ["CHUJING_LEDGER_KEY"]
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from scanner.persons.counter import HASH_BYTES, PersonCounter, PersonCounts, PersonTable, union_counts
from scanner.persons.keyed_hash import DEFAULT_SCHEME, LEGACY_SCHEME, SCHEMES, hash_order
from scanner.persons.keyed_hash import hash_keys as _hash_keys
from scanner.persons.linking import DEFAULT_MAX_IDENTITIES

__all__ = [
    "EXEMPT_REASONS",
    "Ledger",
    "LedgerError",
    "open_ledger",
    "default_ledger_path",
    "default_key_file",
]

FORMAT = "chujing.ledger/1"
KEY_ENV = "CHUJING_LEDGER_KEY"
KEY_FILE_ENV = "CHUJING_LEDGER_KEY_FILE"
# Test hook: when set to a path, ``record`` creates that file inside its transaction and then
# waits (60 s, or CHUJING_LEDGER_TEST_PAUSE_SECONDS), so that a test can kill the process
# mid-transaction or make another writer wait.
PAUSE_ENV = "CHUJING_LEDGER_TEST_PAUSE_IN_RECORD"
PAUSE_SECONDS_ENV = "CHUJING_LEDGER_TEST_PAUSE_SECONDS"
LOCK_SECONDS_ENV = "CHUJING_LEDGER_LOCK_SECONDS"

# Provisions on Promoting and Regulating Cross-Border Data Flows (2024): transfers exempt from
# the three paths, which are recorded but not counted.
EXEMPT_REASONS: dict[str, dict[str, str]] = {
    "art3": {"zh": "第三条：国际贸易、跨境运输、学术合作、跨国生产制造和市场营销等活动中的数据，不含个人信息或重要数据",
             "en": "Art 3: trade, transport, academic, manufacturing or marketing data with no personal information or important data"},
    "art4": {"zh": "第四条：境外收集、境内处理后向境外提供，未引入境内个人信息或重要数据",
             "en": "Art 4: personal information collected abroad, processed in China and sent back"},
    "art5_1": {"zh": "第五条第一项：订立、履行个人作为一方当事人的合同所必需",
               "en": "Art 5(1): necessary to conclude or perform a contract with the individual"},
    "art5_2": {"zh": "第五条第二项：实施跨境人力资源管理所必需",
               "en": "Art 5(2): necessary for cross-border human-resources management"},
    "art5_3": {"zh": "第五条第三项：紧急情况下保护自然人的生命健康和财产安全所必需",
               "en": "Art 5(3): necessary to protect life, health or property in an emergency"},
    "art6": {"zh": "第六条：自由贸易试验区负面清单外的数据",
             "en": "Art 6: data not on the free trade zone's negative list"},
}

# How a transfer recorded without an id is named (see Ledger._default_transfer_id): ledgers made
# now digest the sum of the key hashes, ledgers made before the hashes in byte order.
TRANSFER_ID_SCHEME = "hash-sum"
LEGACY_TRANSFER_ID_SCHEME = "sorted-hashes"
TRANSFER_ID_SCHEMES = (TRANSFER_ID_SCHEME, LEGACY_TRANSFER_ID_SCHEME)

_PART_BYTES = 16 << 20
# SQLite's page size for a new ledger: a transfer's arrays are written as 16 MB blobs, whose
# pages are chained; 64 KiB pages write 5 M persons' arrays (~250 MB) in about half the time of
# the default 4 KiB and read them faster. A ledger made before keeps its pages (SQLite reads any size).
_PAGE_SIZE = 65536
_HASH_SLICE = 1 << 20  # hashes fed to the transfer id's digest at a time
_ID_PATTERN = re.compile(r"^[\w.:@+-]{1,128}$")
_ARRAY_DTYPES = {"key_hash": np.uint8, "key_person": "<i4", "facet_person": "<i4", "facet_subject": "<i2",
                 "facet_flags": np.uint8}
_ENTITY_DTYPE = "<i4"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transfers (
    id TEXT PRIMARY KEY,
    year INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    recipient TEXT,
    purpose TEXT,
    exempt TEXT,
    ruleset TEXT,
    sector TEXT NOT NULL,
    scenario TEXT NOT NULL,
    subject TEXT,
    context TEXT NOT NULL,
    counts TEXT NOT NULL,
    subjects TEXT NOT NULL,
    n_persons INTEGER NOT NULL,
    removed_at TEXT,
    removed_reason TEXT
);
CREATE INDEX IF NOT EXISTS transfers_by_year ON transfers (year, sector, scenario);
CREATE TABLE IF NOT EXISTS transfer_files (
    transfer_id TEXT NOT NULL REFERENCES transfers (id),
    path TEXT,
    size INTEGER,
    fingerprint TEXT,
    rows INTEGER
);
CREATE INDEX IF NOT EXISTS transfer_files_by_transfer ON transfer_files (transfer_id);
CREATE TABLE IF NOT EXISTS person_arrays (
    transfer_id TEXT NOT NULL REFERENCES transfers (id),
    name TEXT NOT NULL,
    part INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (transfer_id, name, part)
);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    transfer_id TEXT,
    detail TEXT
);
"""


class LedgerError(Exception):
    """A one-line, user-facing reason the ledger cannot be used; never holds an identifier."""


def default_ledger_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("chujing")) / "ledger.sqlite"


def default_key_file() -> Path:
    """The key lives apart from the ledger: in the user's config directory, not the data one."""
    env = os.environ.get(KEY_FILE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("chujing")) / "ledger.key"


def open_ledger(path: str | os.PathLike | None = None, key_file: str | os.PathLike | None = None) -> Ledger:
    """Open the ledger at ``path`` (default under the user data directory), creating it if new.

    The key comes from ``CHUJING_LEDGER_KEY`` (hex), else ``key_file``, else
    ``CHUJING_LEDGER_KEY_FILE``, else the default key file; a new key file is created (mode
    0600) only for a new ledger. A key that does not match the ledger raises
    :class:`LedgerError`.
    """
    return Ledger(Path(path) if path is not None else default_ledger_path(), key_file)


class Ledger:
    """One ledger file. Use :func:`open_ledger`; close it (or use ``with``) when done."""

    def __init__(self, path: Path, key_file: str | os.PathLike | None = None) -> None:
        self.path = path
        if path.is_dir():
            raise LedgerError(f"{path}: is a folder, not a ledger file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._conn = sqlite3.connect(str(path), timeout=_lock_seconds(), isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise LedgerError(f"{path}: cannot open the ledger ({_reason(exc)})") from None
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(_lock_seconds() * 1000)}")
            self._conn.execute(f"PRAGMA page_size = {_PAGE_SIZE}")  # a new file's only: set before its first table
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            meta = self._read_meta()
            self._key = _load_key(path, key_file, new_ledger=not meta.get("key_check"))
            if not meta.get("key_check"):
                meta = self._initialise()
            if meta.get("format") != FORMAT:
                raise LedgerError(f"{path}: ledger format {meta.get('format')!r} is not {FORMAT!r}; "
                                  "this version of chujing cannot read it")
            if not hmac.compare_digest(meta["key_check"], _key_check(self._key)):
                raise LedgerError(f"{path}: the ledger key does not match this ledger (it was created with "
                                  f"another key: set {KEY_ENV} or the key file to the one it was created with)")
            # Ledgers made before the bulk hash say nothing of their scheme: they keep BLAKE2b
            # (their hashes cannot be converted without the raw keys, which were never kept).
            self.hash_scheme = meta.get("key_hash", LEGACY_SCHEME)
            if self.hash_scheme not in SCHEMES:
                raise LedgerError(f"{path}: the ledger hashes keys with {self.hash_scheme!r}, which this version "
                                  "of chujing does not know; use the version that created it")
            # Ledgers made before name a transfer by its hashes in byte order: they keep doing so,
            # so that a transfer they recorded is recognised when it is recorded again.
            self.transfer_id_scheme = meta.get("transfer_id", LEGACY_TRANSFER_ID_SCHEME)
            if self.transfer_id_scheme not in TRANSFER_ID_SCHEMES:
                raise LedgerError(f"{path}: the ledger names transfers by {self.transfer_id_scheme!r}, which this "
                                  "version of chujing does not know; use the version that created it")
        except LedgerError:
            self._conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise LedgerError(f"{path}: not a chujing ledger ({_reason(exc)})") from None

    # -- opening -----------------------------------------------------------------------------

    def _read_meta(self) -> dict[str, str]:
        tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return {}
        if "meta" not in tables or "transfers" not in tables:
            raise LedgerError(f"{self.path}: not a chujing ledger (an SQLite file with other tables)")
        return dict(self._conn.execute("SELECT name, value FROM meta").fetchall())

    def _initialise(self) -> dict[str, str]:
        with self._write():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._conn.execute(statement)
            # Another process may have created the ledger meanwhile: the first key wins.
            for name, value in (("format", FORMAT), ("key_check", _key_check(self._key)),
                                ("key_hash", DEFAULT_SCHEME), ("transfer_id", TRANSFER_ID_SCHEME),
                                ("created_at", _now())):
                self._conn.execute("INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)", (name, value))
        return dict(self._conn.execute("SELECT name, value FROM meta").fetchall())

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, taking the write lock at once (writers queue, never deadlock)."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(f"{self.path}: the ledger is busy or read-only ({_reason(exc)})") from None
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[None]:
        """A consistent snapshot for several reads."""
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    # -- hashing -----------------------------------------------------------------------------

    def hash_keys(self, namespace: str, keys: pa.Array) -> np.ndarray:
        """The keyed hash (16 bytes) of ``namespace`` + canonical key, one row per key, in
        this ledger's scheme (see :mod:`scanner.persons.keyed_hash`)."""
        return hash_keys(self._key, namespace, keys, self.hash_scheme)

    @property
    def key_id(self) -> str:
        """A check value of the key (not the key): two stores hashed alike have the same one."""
        return _key_check(self._key)

    # -- counting ----------------------------------------------------------------------------

    def year_to_date(self, counter: PersonCounter, context: dict[str, Any], year: int,
                     exempt: str | None = None) -> dict[str, Any]:
        """Counts since 1 January of ``year`` if this transfer were sent; nothing is written.

        Same keys as :class:`PersonCounts`, plus ``transfers`` (transfers counted, this one
        included), ``year``, ``scope`` and ``this_transfer_counted``.
        """
        year = _check_year(year)
        exempt = check_exempt(exempt)
        context = _check_context(context)
        with self._read():
            tables = self._tables_in_scope(year, context)
            every = self._every_transfer(year, context)
        own = counter.person_table(self.hash_keys) if exempt is None and (tables or every) else None
        counts = self._union(tables, own, counter, exempt is None)
        result = _ytd_dict(counts, len(tables) + (exempt is None), year, context, exempt is None)
        if every is not None:
            result["all_transfers"] = self._all_transfers(every, own, counter, exempt is None)
        return result

    def record(self, counter: PersonCounter, context: dict[str, Any], year: int, transfer_id: str | None = None,
               recipient: str | None = None, purpose: str | None = None, files: list[dict[str, Any]] | None = None,
               exempt: str | None = None) -> dict[str, Any]:
        """Record this transfer, atomically; returns the year-to-date counts with it included.

        Re-recording a transfer id that is already in the ledger changes nothing
        (``already_recorded`` is then True). An exempt transfer is recorded without its persons
        and is not counted.
        """
        year = _check_year(year)
        exempt = check_exempt(exempt)
        context = _check_context(context)
        files = [_check_file(f) for f in (files or [])]
        own = counter.result()
        table = counter.person_table(self.hash_keys) if exempt is None else None
        if transfer_id is None:
            transfer_id = self._default_transfer_id(year, context, files, table, own)
        transfer_id = _check_transfer_id(transfer_id)
        with self._write():
            existing = self._conn.execute("SELECT removed_at FROM transfers WHERE id = ?", (transfer_id,)).fetchone()
            if existing is not None and not self._same_transfer(transfer_id, files, own):
                # Taken for the transfer recorded before, these persons would never be counted.
                raise LedgerError(f"transfer {transfer_id} is already recorded with other files or persons; "
                                  f"record this one under a new --transfer-id (or none: one is derived from "
                                  f"its content)")
            tables = self._tables_in_scope(year, context)
            if existing is not None:
                counts = union_counts(tables, counter.keyless_policy, _max_identities(counter)) if tables else _empty(counter)
                result = _ytd_dict(counts, len(tables), year, context, False)
                result.update(transfer_id=transfer_id, already_recorded=True, removed=existing[0] is not None)
                return result
            if table is not None:
                counts = union_counts([*tables, table], counter.keyless_policy, _max_identities(counter)) if tables else own
            else:
                counts = union_counts(tables, counter.keyless_policy, _max_identities(counter)) if tables else _empty(counter)
            every = self._every_transfer(year, context)
            self._insert_transfer(transfer_id, year, context, recipient, purpose, exempt, own, files, table)
            self._log("record", transfer_id, {"year": year, "exempt": exempt, "personal": own.personal,
                                              "sensitive": own.sensitive})
            _pause_for_tests()
        result = _ytd_dict(counts, len(tables) + (exempt is None), year, context, exempt is None)
        if every is not None:
            result["all_transfers"] = self._all_transfers(every, table, counter, table is not None)
        result.update(transfer_id=transfer_id, already_recorded=False, removed=False)
        return result

    def _same_transfer(self, transfer_id: str, files: list[dict[str, Any]], own: PersonCounts) -> bool:
        """Whether the transfer recorded under ``transfer_id`` is this one: the same files (sizes
        and content fingerprints), or, where either side names no file, the same persons counted."""
        # A file whose content could not be read for its fingerprint (None) sorts as "".
        stored = sorted((size or 0, fingerprint or "") for size, fingerprint in self._conn.execute(
            "SELECT size, fingerprint FROM transfer_files WHERE transfer_id = ?", (transfer_id,)))
        given = sorted((f["size"] or 0, f["fingerprint"] or "") for f in files)
        if stored and given:
            return stored == given
        counts = self._conn.execute("SELECT counts FROM transfers WHERE id = ?", (transfer_id,)).fetchone()[0]
        return json.loads(counts) == json.loads(json.dumps(own.to_dict(), sort_keys=True))

    def _union(self, tables: list[PersonTable], own: PersonTable | None, counter: PersonCounter,
               this_counted: bool) -> PersonCounts:
        """The year's persons over ``tables``, with this transfer's (``own``) when it counts."""
        if not this_counted:
            return union_counts(tables, counter.keyless_policy, _max_identities(counter)) if tables else _empty(counter)
        if not tables:
            return counter.result()
        return union_counts([*tables, own if own is not None else counter.person_table(self.hash_keys)],
                            counter.keyless_policy, _max_identities(counter))

    def _every_transfer(self, year: int, context: dict[str, Any]) -> list[PersonTable] | None:
        """The year's transfers of every sector and scenario, when the context's scope is narrower:
        the national baseline counts every export of the processor since 1 January, a list's
        items only their own sector and scenario. Call inside a read or write transaction."""
        if context.get("ruleset") == BASELINE_RULESET:
            return None
        return self._tables_in_scope(year, {"ruleset": BASELINE_RULESET})

    def _all_transfers(self, every: list[PersonTable], own: PersonTable | None, counter: PersonCounter,
                       this_counted: bool) -> dict[str, Any]:
        counts = self._union(every, own, counter, this_counted)
        return {**counts.to_dict(), "transfers": len(every) + this_counted, "scope": "all"}

    def _default_transfer_id(self, year: int, context: dict[str, Any], files: list[dict[str, Any]],
                             table: PersonTable | None, own: PersonCounts) -> str:
        """Same export, same context → same id, so that recording it twice changes nothing.

        A keyed digest of the year, the context, the files, the transfer's key hashes and its
        counts. The key hashes enter as their sum (``hash-sum``: the hashes read as 128-bit
        integers, added modulo 2**128, with their number), which is the same in any order and
        needs no sort; a ledger made before this scheme (``sorted-hashes``) digests every hash
        in byte order, as it always did, so that the transfers it recorded keep their ids.
        """
        h = hashlib.blake2b(key=self._key, digest_size=8, person=b"chujing.transfer")
        h.update(json.dumps([year, context.get("sector"), context.get("scenario"), context.get("subject"),
                             sorted((f["path"], f["size"], f["fingerprint"], f["rows"]) for f in files)],
                            sort_keys=True, default=str).encode())
        if table is not None:
            hashes = np.ascontiguousarray(table.key_hash, dtype=np.uint8).reshape(-1, HASH_BYTES)
            if self.transfer_id_scheme == TRANSFER_ID_SCHEME:
                h.update(b"key hash sum" + len(hashes).to_bytes(8, "little") + _hash_sum(hashes).to_bytes(16, "little"))
            else:
                _digest_in_byte_order(h, hashes)
        h.update(json.dumps(own.to_dict(), sort_keys=True).encode())
        return f"{year}-{h.hexdigest()}"

    def _insert_transfer(self, transfer_id: str, year: int, context: dict[str, Any], recipient: str | None,
                         purpose: str | None, exempt: str | None, own: PersonCounts, files: list[dict[str, Any]],
                         table: PersonTable | None) -> None:
        self._conn.execute(
            "INSERT INTO transfers (id, year, recorded_at, recipient, purpose, exempt, ruleset, sector, scenario,"
            " subject, context, counts, subjects, n_persons) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (transfer_id, year, _now(), recipient, purpose, exempt, context.get("ruleset"), context["sector"],
             context["scenario"], context.get("subject"), json.dumps(context, sort_keys=True, default=str),
             json.dumps(own.to_dict(), sort_keys=True), json.dumps(table.subjects if table else []),
             table.n_persons if table else 0))
        self._conn.executemany(
            "INSERT INTO transfer_files (transfer_id, path, size, fingerprint, rows) VALUES (?, ?, ?, ?, ?)",
            [(transfer_id, f["path"], f["size"], f["fingerprint"], f["rows"]) for f in files])
        if table is None:
            return
        arrays: dict[str, np.ndarray] = {
            "key_hash": np.ascontiguousarray(table.key_hash, dtype=np.uint8),
            "key_person": table.key_person, "facet_person": table.facet_person,
            "facet_subject": table.facet_subject, "facet_flags": table.facet_flags,
            "key_kind": table.kinds(),
        }
        arrays.update({f"entity:{e}": idx for e, idx in table.entity_facets.items()})
        rows = []
        for name, values in arrays.items():
            # Parts are views of the array, not copies: the table is held once while it is written.
            data = memoryview(np.ascontiguousarray(values, dtype=_ARRAY_DTYPES.get(name, _ENTITY_DTYPE))
                              .reshape(-1).view(np.uint8))  # bytes, also of an empty array
            for part, start in enumerate(range(0, max(len(data), 1), _PART_BYTES)):
                rows.append((transfer_id, name, part, data[start:start + _PART_BYTES]))
        self._conn.executemany("INSERT INTO person_arrays (transfer_id, name, part, data) VALUES (?, ?, ?, ?)", rows)

    def _tables_in_scope(self, year: int, context: dict[str, Any]) -> list[PersonTable]:
        where, params = _scope_sql(year, context)
        ids = [r[0] for r in self._conn.execute(f"SELECT id FROM transfers WHERE {where} ORDER BY rowid",
                                                params)]
        return [self._load_table(t) for t in ids]

    def _load_table(self, transfer_id: str) -> PersonTable:
        row = self._conn.execute("SELECT subjects, n_persons, counts FROM transfers WHERE id = ?",
                                 (transfer_id,)).fetchone()
        chunks: dict[str, list[bytes]] = {}
        for name, data in self._conn.execute(
                "SELECT name, data FROM person_arrays WHERE transfer_id = ? ORDER BY name, part", (transfer_id,)):
            chunks.setdefault(name, []).append(data)
        arrays = {name: np.frombuffer(b"".join(parts), dtype=_ARRAY_DTYPES.get(name, _ENTITY_DTYPE))
                  for name, parts in chunks.items()}
        counts = json.loads(row[2])
        try:
            key_hash = arrays["key_hash"].reshape(-1, HASH_BYTES)
            table = PersonTable(
                n_persons=int(row[1]), key_hash=key_hash, key_person=arrays["key_person"].astype(np.int32),
                facet_person=arrays["facet_person"].astype(np.int32),
                facet_subject=arrays["facet_subject"].astype(np.int16), facet_flags=arrays["facet_flags"],
                entity_facets={n[len("entity:"):]: a.astype(np.int32) for n, a in arrays.items()
                               if n.startswith("entity:")},
                key_kind=arrays["key_kind"].astype(np.int32) if "key_kind" in arrays else None,
                subjects=json.loads(row[0]), keyless_rows=int(counts.get("keyless_rows", 0)),
                keyless_policy=counts.get("keyless_policy", ""), rows=int(counts.get("rows", 0)))
            if len(table.key_person) != len(key_hash) or len(table.facet_subject) != len(table.facet_person) \
                    or len(table.kinds()) != len(key_hash):
                raise ValueError
            if len(table.key_person) and int(table.key_person.max()) >= table.n_persons:
                raise ValueError
        except (KeyError, ValueError):
            raise LedgerError(f"{self.path}: transfer {transfer_id} is damaged in the ledger "
                              "(its person arrays do not fit together)") from None
        return table

    # -- reading and correcting ---------------------------------------------------------------

    def transfers(self, year: int | None = None) -> list[dict[str, Any]]:
        """Recorded transfers (of ``year``, or all), oldest first, with their own counts."""
        sql = "SELECT * FROM transfers" + (" WHERE year = ?" if year is not None else "") + " ORDER BY rowid"
        with self._read():
            rows = self._conn.execute(sql, (year,) if year is not None else ()).fetchall()
            names = [d[0] for d in self._conn.execute("SELECT * FROM transfers LIMIT 0").description]
            files = {}
            for tid, n, total_rows in self._conn.execute(
                    "SELECT transfer_id, COUNT(*), SUM(rows) FROM transfer_files GROUP BY transfer_id"):
                files[tid] = (n, total_rows)
        out = []
        for row in rows:
            d = dict(zip(names, row, strict=True))
            out.append(_transfer_summary(d, files.get(d["id"], (0, 0))))
        return out

    def transfer(self, transfer_id: str) -> dict[str, Any]:
        """One transfer with its files and its log."""
        with self._read():
            cursor = self._conn.execute("SELECT * FROM transfers WHERE id = ?", (transfer_id,))
            row = cursor.fetchone()
            if row is None:
                raise LedgerError(f"{self.path}: no transfer {transfer_id!r} in the ledger")
            d = dict(zip([c[0] for c in cursor.description], row, strict=True))
            file_rows = self._conn.execute(
                "SELECT path, size, fingerprint, rows FROM transfer_files WHERE transfer_id = ?", (transfer_id,)).fetchall()
            log = self._conn.execute("SELECT at, action, detail FROM log WHERE transfer_id = ? ORDER BY id",
                                     (transfer_id,)).fetchall()
        summary = _transfer_summary(d, (len(file_rows), sum(r[3] or 0 for r in file_rows)))
        summary["context"] = json.loads(d["context"])
        summary["counts"] = json.loads(d["counts"])
        summary["files"] = [{"path": p, "size": s, "fingerprint": f, "rows": r} for p, s, f, r in file_rows]
        summary["log"] = [{"at": at, "action": a, "detail": json.loads(x) if x else None} for at, a, x in log]
        return summary

    def remove(self, transfer_id: str, reason: str | None = None) -> dict[str, Any]:
        """Take a transfer out of the counts (a correction): its persons are deleted, the
        transfer row stays as the record of what was removed, when and why."""
        with self._write():
            row = self._conn.execute("SELECT removed_at FROM transfers WHERE id = ?", (transfer_id,)).fetchone()
            if row is None:
                raise LedgerError(f"{self.path}: no transfer {transfer_id!r} in the ledger")
            if row[0] is not None:
                raise LedgerError(f"{self.path}: transfer {transfer_id!r} was already removed on {row[0]}")
            at = _now()
            self._conn.execute("UPDATE transfers SET removed_at = ?, removed_reason = ? WHERE id = ?",
                               (at, reason, transfer_id))
            self._conn.execute("DELETE FROM person_arrays WHERE transfer_id = ?", (transfer_id,))
            self._log("remove", transfer_id, {"reason": reason})
        return {"transfer_id": transfer_id, "removed_at": at, "reason": reason}

    def status(self, year: int, ruleset: str | None = None) -> dict[str, Any]:
        """Year-to-date counts per context (sector, scenario) and over all contexts, with each
        applicable item of the rule set: its threshold, the count it is judged on and the
        headroom left (``ruleset`` defaults to the one the context's last transfer used)."""
        year = _check_year(year)
        with self._read():
            groups = self._conn.execute(
                "SELECT sector, scenario, COUNT(*), MAX(recorded_at) FROM transfers"
                " WHERE year = ? AND removed_at IS NULL AND exempt IS NULL"
                " GROUP BY sector, scenario ORDER BY sector, scenario", (year,)).fetchall()
            exempt = self._conn.execute("SELECT COUNT(*) FROM transfers WHERE year = ? AND removed_at IS NULL"
                                        " AND exempt IS NOT NULL", (year,)).fetchone()[0]
            removed = self._conn.execute("SELECT COUNT(*) FROM transfers WHERE year = ? AND removed_at IS NOT NULL",
                                         (year,)).fetchone()[0]
            contexts = []
            for sector, scenario, n, last in groups:
                used = ruleset or self._conn.execute(
                    "SELECT ruleset FROM transfers WHERE year = ? AND sector = ? AND scenario = ? AND recorded_at = ?",
                    (year, sector, scenario, last)).fetchone()[0]
                context = {"sector": sector, "scenario": scenario, "ruleset": used}
                tables = self._tables_in_scope(year, {"sector": sector, "scenario": scenario})
                contexts.append({"sector": sector, "scenario": scenario, "ruleset": used, "transfers": n,
                                 **_status_counts(union_counts(tables), context, year)})
            everything = self._tables_in_scope(year, {"ruleset": "cac-2024"})
        baseline = {"sector": "other", "scenario": "other", "ruleset": "cac-2024"}
        return {"year": year, "contexts": contexts,
                "all_contexts": {"ruleset": "cac-2024", "transfers": len(everything),
                                 **_status_counts(union_counts(everything), baseline, year)},
                "exempt_transfers": exempt, "removed_transfers": removed}

    def export(self, year: int) -> dict[str, Any]:
        """Counts only: the year's status and each transfer's own counts, no hash, no file path."""
        status = self.status(year)
        transfers = self.transfers(year)
        return {"schema": "chujing.ledger-export/1", "ledger_format": FORMAT, "exported_at": _now(),
                "year": year, "status": status, "transfers": transfers}

    def _log(self, action: str, transfer_id: str | None, detail: dict[str, Any]) -> None:
        self._conn.execute("INSERT INTO log (at, action, transfer_id, detail) VALUES (?, ?, ?, ?)",
                           (_now(), action, transfer_id, json.dumps(detail, sort_keys=True)))


# -- helpers ----------------------------------------------------------------------------------


def check_exempt(reason: str | None) -> str | None:
    """Validate an exemption reason (``art3``, ``art4``, ``art5_1``...; ``art5(1)`` also reads)."""
    if reason is None or reason == "":
        return None
    key = re.sub(r"[\s()（）.-]+", "_", reason.strip().lower()).strip("_")
    key = {"art5_1_1": "art5_1", "art5_1_2": "art5_2", "art5_1_3": "art5_3"}.get(key, key)
    if key not in EXEMPT_REASONS:
        raise LedgerError(f"unknown exemption reason {reason!r}: use one of {', '.join(EXEMPT_REASONS)}")
    return key


BASELINE_RULESET = "cac-2024"  # counts every transfer of the year (the national rules' scope)


def _scope_sql(year: int, context: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """Which recorded transfers count with this one.

    The list's items count persons within their sector and scenario, so a transfer counts
    with the others of the same sector and scenario; under the national baseline alone
    (ruleset ``cac-2024``) every transfer of the year counts.
    """
    where = "year = ? AND removed_at IS NULL AND exempt IS NULL"
    if context.get("ruleset") == BASELINE_RULESET:
        return where, (year,)
    return where + " AND sector = ? AND scenario = ?", (year, context["sector"], context["scenario"])


def _ytd_dict(counts: PersonCounts, transfers: int, year: int, context: dict[str, Any],
              this_counted: bool) -> dict[str, Any]:
    scope = ("all" if context.get("ruleset") == "cac-2024"
             else {"sector": context["sector"], "scenario": context["scenario"]})
    return {**counts.to_dict(), "transfers": transfers, "year": year, "scope": scope,
            "this_transfer_counted": this_counted}


def _max_identities(counter: Any) -> int:
    """The scan's shared-contact rule, so that a year is linked as the scan was."""
    return int(getattr(counter, "max_identities", DEFAULT_MAX_IDENTITIES))


def _empty(counter: PersonCounter) -> PersonCounts:
    return PersonCounts(keyless_policy=counter.keyless_policy)


def _status_counts(counts: PersonCounts, context: dict[str, Any], year: int) -> dict[str, Any]:
    d: dict[str, Any] = {"personal": counts.personal, "sensitive": counts.sensitive, "minors": counts.minors,
                         "by_subject": counts.by_subject, "by_entity": counts.by_entity}
    d["items"], d["note"] = thresholds(counts, context, year)
    return d


def thresholds(counts: PersonCounts, context: dict[str, Any], year: int) -> tuple[list[dict[str, Any]], str | None]:
    """Each item of the rule set that has a threshold, judged on these counts, with the headroom.

    The thresholds are the rule set's (``mappings``): the ledger holds none of its own.
    """
    from mappings import engine

    try:
        assessment = engine.assess(
            engine.Context(ruleset=context.get("ruleset") or engine.DEFAULT_RULESET, sector=context["sector"],
                           scenario=context["scenario"], year=year),
            counts.judged())
    except (ValueError, LookupError) as exc:  # a context the rule set no longer knows
        return [], str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    items = [{"item": i.id, "path": i.path, "measure": i.measure, "count": i.count, "threshold": i.threshold,
              "headroom": i.headroom, "triggered": i.triggered}
             for i in assessment.items if i.threshold is not None and i.applies]
    return items, None


def _transfer_summary(d: dict[str, Any], files: tuple[int, int]) -> dict[str, Any]:
    counts = json.loads(d["counts"])
    return {"id": d["id"], "year": d["year"], "recorded_at": d["recorded_at"], "recipient": d["recipient"],
            "purpose": d["purpose"], "exempt": d["exempt"], "ruleset": d["ruleset"], "sector": d["sector"],
            "scenario": d["scenario"], "subject": d["subject"], "personal": counts.get("personal", 0),
            "sensitive": counts.get("sensitive", 0), "files": files[0], "rows": files[1] or 0,
            "removed_at": d["removed_at"], "removed_reason": d["removed_reason"]}


def _check_year(year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int | np.integer) or not 1900 <= int(year) <= 9999:
        raise LedgerError(f"not a calendar year: {year!r}")
    return int(year)


def _check_context(context: dict[str, Any] | None) -> dict[str, Any]:
    context = dict(context or {})
    context["sector"] = context.get("sector") or "other"
    context["scenario"] = context.get("scenario") or "other"
    return context


def _check_transfer_id(transfer_id: str) -> str:
    if not isinstance(transfer_id, str) or not _ID_PATTERN.match(transfer_id):
        raise LedgerError("a transfer id is 1 to 128 letters, digits or . _ : @ + - (no spaces)")
    return transfer_id


def _check_file(f: dict[str, Any]) -> dict[str, Any]:
    return {"path": str(f.get("path", "")), "size": _int_or_none(f.get("size")),
            "fingerprint": None if f.get("fingerprint") is None else str(f["fingerprint"]),
            "rows": _int_or_none(f.get("rows"))}


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _hash_sum(key_hash: np.ndarray) -> int:
    """The sum of 16-byte hashes read as little-endian 128-bit integers, modulo 2**128: four
    sums of 32-bit limbs (none overflows 64 bits below 2**32 hashes), carried in Python.

    >>> h = np.zeros((3, 16), np.uint8); h[:, 15] = 0x80; h[0, 0] = 1
    >>> _hash_sum(h) == (3 * 2**127 + 1) % 2**128
    True
    """
    limbs = np.ascontiguousarray(key_hash, dtype=np.uint8).reshape(-1, HASH_BYTES).view("<u4")
    total = 0
    for start in range(0, len(limbs), 1 << 30):
        part = limbs[start:start + (1 << 30)]
        # a column at a time: numpy's sum along the rows of a 4-wide array is 5 times slower
        total += sum(int(part[:, k].sum(dtype=np.uint64)) << (32 * k) for k in range(4))
    return total % (1 << 128)


def _digest_in_byte_order(h: Any, hashes: np.ndarray) -> None:
    """Feed ``h`` the hashes in byte order (the ``sorted-hashes`` transfer id), a slice at a time
    (never a sorted copy of them all), each slice gathered as 16-byte items (a gather of uint8
    rows is 8 times slower) while the slice before is digested in a thread (both release the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    order = hash_order(hashes)
    items = hashes.view(np.dtype("V16")).ravel()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chujing-transfer-id") as digest:
        fed = None
        for start in range(0, len(order), _HASH_SLICE):
            part = items[order[start:start + _HASH_SLICE]]
            if fed is not None:
                fed.result()
            fed = digest.submit(h.update, part)
        if fed is not None:
            fed.result()


def hash_keys(key: bytes, namespace: str, keys: pa.Array, scheme: str = DEFAULT_SCHEME) -> np.ndarray:
    """The keyed hash (16 bytes) of ``namespace`` + canonical key, one row per key.

    The same function hashes persons for the ledger and for the incremental scan state, so
    that both link the same person to the same hash under the same key and scheme (see
    :mod:`scanner.persons.keyed_hash`: AES-CMAC for ledgers made now, BLAKE2b for older ones).
    """
    try:
        return _hash_keys(key, namespace, keys, scheme)
    except ValueError as exc:
        raise LedgerError(str(exc)) from None


def load_key(for_path: str | os.PathLike, key_file: str | os.PathLike | None = None, create: bool = True) -> bytes:
    """The ledger key as :func:`open_ledger` resolves it (environment, key file, default)."""
    return _load_key(Path(for_path), key_file, new_ledger=create)


def key_id(key: bytes) -> str:
    return _key_check(key)


def _key_check(key: bytes) -> str:
    return hashlib.blake2b(b"chujing ledger key check", key=key, digest_size=16).hexdigest()


def _load_key(ledger_path: Path, key_file: str | os.PathLike | None, new_ledger: bool) -> bytes:
    env = os.environ.get(KEY_ENV)
    if env:
        try:
            key = bytes.fromhex(env.strip())
        except ValueError:
            raise LedgerError(f"{KEY_ENV} is not a hex string") from None
        if not 16 <= len(key) <= 64:
            raise LedgerError(f"{KEY_ENV} must hold 16 to 64 bytes (32 to 128 hex digits)")
        return key
    path = Path(key_file) if key_file is not None else default_key_file()
    if not path.exists():
        if not new_ledger:
            raise LedgerError(f"{ledger_path}: no ledger key found: set {KEY_ENV} or restore the key file {path} "
                              "it was created with")
        _create_key_file(path)
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise LedgerError(f"{path}: the ledger key file can be read by other users; run: chmod 600 {path}")
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        raise LedgerError(f"{path}: cannot read the ledger key file (it should hold one hex key)") from None
    if not 16 <= len(key) <= 64:
        raise LedgerError(f"{path}: the ledger key file should hold 32 to 128 hex digits")
    return key


def _create_key_file(path: Path) -> None:
    """Write a new random key, mode 0600, atomically: a concurrent creator's key wins."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(os.urandom(32).hex() + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    except OSError as exc:
        raise LedgerError(f"{path}: cannot create the ledger key file ({_reason(exc)})") from None
    finally:
        temporary.unlink(missing_ok=True)


def _lock_seconds() -> float:
    """How long a writer waits for another one's lock before giving up (a busy ledger is then
    one line, exit status 1, and the scan's report is still written): 120 s, or
    ``CHUJING_LEDGER_LOCK_SECONDS``."""
    try:
        seconds = float(os.environ.get(LOCK_SECONDS_ENV, "") or 120)
    except ValueError:
        seconds = 120.0
    return seconds if seconds > 0 else 120.0


def _pause_for_tests() -> None:
    marker = os.environ.get(PAUSE_ENV)
    if marker:
        Path(marker).write_text("in transaction\n")
        time.sleep(float(os.environ.get(PAUSE_SECONDS_ENV, "60")))


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# What can go wrong under a ledger that is damaged, read-only or busy, beside LedgerError.
FAULTS = (LedgerError, sqlite3.Error, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError)


def fault_message(path: str | os.PathLike | None, exc: BaseException) -> str:
    """One line naming the ledger, what is wrong with it and what to do; never a value from it.

    SQLite and JSON messages name no data, but only their first words are kept anyway.
    """
    if isinstance(exc, LedgerError):
        return str(exc).splitlines()[0]
    from scanner.sources.files import display_path

    name = display_path(os.fspath(path) if path is not None else str(default_ledger_path()))
    text = _reason(exc)[:120]
    low = text.lower()
    if isinstance(exc, PermissionError) or "readonly" in low or "read-only" in low:
        return (f"{name}: the ledger is read-only ({text}); nothing was recorded: run again with write "
                f"permission on the ledger and its folder")
    if "locked" in low or "busy" in low:
        return f"{name}: the ledger is busy (another process holds it: {text}); nothing was recorded: run again"
    if isinstance(exc, sqlite3.Error):
        return f"{name}: the ledger is damaged ({text}); restore it from a backup and run again"
    return (f"{name}: the ledger holds a record that cannot be read ({type(exc).__name__}); restore it from a "
            f"backup and run again")
