"""Distinct natural persons: rows that share any identifier are one person.

Every threshold of the rules counts *natural persons after de-duplication* (以自然人为单位去重).
This module turns the rows of a scan into persons:

* Each distinct canonical key (namespace-qualified: the same phone in two columns or two files
  is one key, a phone never equals an email) is a node of a graph; the keys found on one row
  are joined by edges. A person is a connected component of that graph, so linking is
  transitive across columns, batches and files (a row with phone A and ID B, a row with phone
  A only and a row with ID B and phone C are one person).
* Keys are Arrow-dictionary-encoded into integer codes as batches arrive (only the distinct
  keys are kept as strings); the components come from ``scipy.sparse.csgraph``. There is no
  Python loop over rows.
* A row with personal data but no key cannot be linked: by default it is a person by itself
  (the conservative reading); ``keyless_policy="ignore_keyless"`` leaves such rows out. Both
  report how many such rows there were.
* A person is sensitive when any of their rows holds sensitive personal information, or when
  they are under 14 on the scan date (PIPL Art 28), from a birth-date column or the birth date
  inside a resident ID.

>>> import datetime, numpy as np, pyarrow as pa
>>> counter = PersonCounter(datetime.date(2026, 6, 1))
>>> counter.add_batch(
...     keys={"CN_MOBILE_PHONE": pa.array(["13800138000", "13800138000", None, None]),
...           "EMAIL": pa.array([None, "a@example.cn", "a@example.cn", None])},
...     flags={"personal": np.array([True, True, True, True]),
...            "sensitive": np.array([False, False, True, False])})
>>> counts = counter.result()
>>> counts.personal, counts.sensitive, counts.keyless_rows
(2, 1, 1)

For the year-to-date ledger, :meth:`PersonCounter.person_table` gives the same persons with
each key replaced by a keyed hash (see :mod:`scanner.ledger`); :func:`union_counts` links
several such tables (several transfers) the same way.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = [
    "KEYLESS_POLICIES",
    "PersonCounter",
    "PersonCounts",
    "PersonTable",
    "KeyHasher",
    "union_counts",
]

EACH_ROW_IS_A_PERSON = "each_row_is_a_person"
IGNORE_KEYLESS = "ignore_keyless"
KEYLESS_POLICIES = (EACH_ROW_IS_A_PERSON, IGNORE_KEYLESS)

# Bits of a facet's flags (a facet is what one person shows in one subject role).
SENSITIVE = 1
MINOR = 2

# Identifier namespaces whose canonical key holds the birth date at characters 7–14.
_BIRTH_DATE_IN_KEY = ("CN_RESIDENT_ID",)

# Pending keys of a namespace are folded into its dictionary once they reach this many values
# (or twice the dictionary's size, whichever is larger): memory stays near one copy of each
# distinct key plus two int32 per (row, key), and each key is hashed about twice at most.
_COMPACT_AT = 4 << 20

HASH_BYTES = 16
KeyHasher = Callable[[str, pa.Array], np.ndarray]
"""``hasher(namespace, keys)`` → ``(len(keys), HASH_BYTES)`` uint8 keyed digests."""


@dataclass
class PersonCounts:
    """Distinct persons of a scan (or of a year, for the ledger)."""

    personal: int = 0
    sensitive: int = 0
    by_entity: dict[str, int] = field(default_factory=dict)
    # subject role → {"personal": n, "sensitive": m, "by_entity": {...}}
    by_subject: dict[str, dict[str, Any]] = field(default_factory=dict)
    keyless_rows: int = 0
    keyless_policy: str = EACH_ROW_IS_A_PERSON
    minors: int = 0
    rows: int = 0  # rows with personal data that were counted

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PersonTable:
    """Persons in a form that can be stored and linked again later: no raw identifier.

    * ``key_hash[i]`` (HASH_BYTES bytes) is a keyed hash of one namespace-qualified canonical
      key, held by person ``key_person[i]``.
    * A *facet* is what one person shows under one subject role: ``facet_person``,
      ``facet_subject`` (index into ``subjects``, -1 for none) and ``facet_flags``
      (``SENSITIVE`` | ``MINOR``).
    * ``entity_facets[E]`` lists the facets in which entity E was present.

    Persons without keys (keyless rows, under the default policy) have facets and no key.
    """

    n_persons: int
    key_hash: np.ndarray  # (n_keys, HASH_BYTES) uint8
    key_person: np.ndarray  # int32
    facet_person: np.ndarray  # int32
    facet_subject: np.ndarray  # int16
    facet_flags: np.ndarray  # uint8
    entity_facets: dict[str, np.ndarray]  # int32 facet indices
    subjects: list[str]
    keyless_rows: int = 0
    keyless_policy: str = EACH_ROW_IS_A_PERSON
    rows: int = 0


@dataclass
class RowFacts:
    """The counted rows of one batch: see :meth:`PersonCounter.row_facts`. Row numbers are
    positions among the counted rows (0 .. rows-1)."""

    rows: int
    flags: np.ndarray  # uint8 per row: SENSITIVE | MINOR
    keys: list[tuple[str, np.ndarray, pa.Array]]  # (namespace, rows, canonical keys)
    entities: list[tuple[str, np.ndarray]]  # (entity, rows)


class _KeySpace:
    """The distinct keys of one namespace, as integer codes in order of first appearance.

    Most person keys are digits (resident IDs, phones, bank cards): those are packed exactly
    into int64 (:func:`pack_numeric_keys`) and encoded with a fast integer hash table; the
    other keys (emails, member IDs...) stay strings in an Arrow dictionary. A key is numeric or
    not by its content alone, so the two never hold the same key.
    """

    def __init__(self, numeric: bool) -> None:
        self.numeric = numeric
        self.dictionary: Any = np.zeros(0, np.int64) if numeric else pa.array([], pa.large_string())
        self._pending_rows: list[np.ndarray] = []
        self._pending_keys: list[Any] = []
        self._pending_len = 0
        self.rows: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []

    def add(self, rows: np.ndarray, keys: Any) -> None:
        self._pending_rows.append(rows)
        self._pending_keys.append(keys if self.numeric else keys.cast(pa.large_string()))
        self._pending_len += len(keys)
        if self._pending_len >= max(_COMPACT_AT, 2 * len(self.dictionary)):
            self.compact()

    def compact(self) -> None:
        if not self._pending_keys:
            return
        # The dictionary goes first and is already distinct, so its codes do not change.
        if self.numeric:
            import pandas as pd  # its integer hash table is several times faster than Arrow's here

            indices, self.dictionary = pd.factorize(np.concatenate([self.dictionary, *self._pending_keys]))
            indices = indices.astype(np.int32)
        else:
            encoded = pa.chunked_array([self.dictionary, *self._pending_keys], pa.large_string()).dictionary_encode()
            if encoded.num_chunks:
                self.dictionary = encoded.chunk(0).dictionary
            indices = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks]).astype(np.int32)
        start = len(indices) - self._pending_len
        for rows in self._pending_rows:
            self.rows.append(rows)
            self.codes.append(indices[start:start + len(rows)])
            start += len(rows)
        self._pending_rows, self._pending_keys, self._pending_len = [], [], 0

    def canonical_strings(self) -> pa.Array:
        """The distinct keys as canonical strings, in code order."""
        self.compact()
        return unpack_numeric_keys(self.dictionary) if self.numeric else self.dictionary


# Packing: a string of 1 to 18 ASCII digits d becomes int("1" + d) (< 2·10^18: the leading 1
# keeps leading zeros and the length); 17 digits and a final X (resident IDs) become
# 2·10^18 + int(first 17). Both fit an int64 and never meet.
_X_BASE = 2 * 10**18


def pack_numeric_keys(keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Which keys pack exactly into an int64, and their packed values (0 where they don't).

    >>> ok, packed = pack_numeric_keys(pa.array(["0138", "11010519491231002X", "a@b.cn"]))
    >>> ok.tolist(), unpack_numeric_keys(packed[ok]).to_pylist()
    ([True, True, False], ['0138', '11010519491231002X'])
    """
    keys = _as_string(keys)
    length = pc.binary_length(keys)
    plain = pc.and_kleene(pc.ascii_is_decimal(keys), pc.less_equal(length, 18)).fill_null(False)
    head = pc.utf8_slice_codeunits(keys, 0, 17)
    with_x = pc.and_kleene(pc.and_kleene(pc.equal(length, 18), pc.ends_with(keys, "X")),
                           pc.ascii_is_decimal(head)).fill_null(False)
    ok_plain = plain.to_numpy(zero_copy_only=False)
    ok_x = with_x.to_numpy(zero_copy_only=False)
    packed = np.zeros(len(keys), np.int64)
    if ok_plain.any():
        digits = pc.binary_join_element_wise("1", keys.filter(plain), "")
        packed[ok_plain] = pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)
    if ok_x.any():
        packed[ok_x] = pc.cast(head.filter(with_x), pa.int64()).to_numpy(zero_copy_only=False) + _X_BASE
    return ok_plain | ok_x, packed


def unpack_numeric_keys(packed: np.ndarray) -> pa.Array:
    """The canonical strings of packed keys (inverse of :func:`pack_numeric_keys`)."""
    packed = np.asarray(packed, dtype=np.int64)
    with_x = packed >= _X_BASE
    plain = pc.utf8_slice_codeunits(pa.array(np.where(with_x, 10, packed)).cast(pa.string()), 1)
    if not with_x.any():
        return plain.cast(pa.large_string())
    heads = pc.utf8_lpad(pa.array(packed - _X_BASE).cast(pa.string()), 17, "0")
    ided = pc.binary_join_element_wise(heads, "X", "")
    return pc.if_else(pa.array(with_x), ided, plain).cast(pa.large_string())


@dataclass
class _Components:
    row_person: np.ndarray  # int32 per counted row, -1 when the row is left out
    n_persons: int
    has_key: np.ndarray  # bool per row
    key_person: dict[tuple[str, bool], np.ndarray]  # key space → person of each distinct key


class PersonCounter:
    """Count distinct natural persons over the record batches of one scan.

    Call :meth:`add_batch` once per record batch of each file, then :meth:`result`.
    """

    def __init__(self, scan_date: _dt.date, keyless_policy: str = EACH_ROW_IS_A_PERSON) -> None:
        if keyless_policy not in KEYLESS_POLICIES:
            raise ValueError(f"unknown keyless policy {keyless_policy!r}: use one of {', '.join(KEYLESS_POLICIES)}")
        self.scan_date = scan_date
        self.keyless_policy = keyless_policy
        self._scan_ymd = _ymd(scan_date)
        self._minor_after_ymd = _ymd(_years_before(scan_date, 14))
        self._rows = 0
        self._spaces: dict[tuple[str, bool], _KeySpace] = {}
        self._flags: list[np.ndarray] = []
        self._subject_runs: list[tuple[int, int]] = []  # (number of rows, subject code)
        self._subjects: list[str] = []
        self._entity_rows: dict[str, list[np.ndarray]] = {}
        self._components: _Components | None = None

    # -- input -----------------------------------------------------------------------------

    def add_batch(self, keys: dict[str, pa.Array], flags: dict[str, np.ndarray],
                  birth_dates: pa.Array | None = None, subject: str | None = None, source: str = "") -> None:
        """Add one record batch.

        ``keys``: namespace (``"CN_MOBILE_PHONE"``, ``"CN_MOBILE_PHONE#2"``, ``"user:会员号"``)
        → canonical key per row, null where the row has none. ``flags``: ``"personal"``,
        ``"sensitive"`` and ``"entity:<ENTITY>"`` boolean arrays. ``birth_dates``: date32 per
        row (null = unknown). ``subject``: the subject role of the rows, or None. ``source`` is
        only used in error messages.
        """
        facts = self.row_facts(keys, flags, birth_dates, source)
        if facts is None:
            return
        base = self._rows
        m = facts.rows
        if base + m >= np.iinfo(np.int32).max // 2:
            raise ValueError("too many rows with personal data for one person count (more than 1 billion)")
        self._components = None
        for namespace, rows, present_keys in facts.keys:
            rows = (rows + base).astype(np.int32)
            numeric, packed = pack_numeric_keys(present_keys)
            if numeric.any():
                self._space(namespace, True).add(rows[numeric], packed[numeric])
            if not numeric.all():
                self._space(namespace, False).add(rows[~numeric], present_keys.filter(pa.array(~numeric)))
        for entity, hit in facts.entities:
            self._entity_rows.setdefault(entity, []).append((hit + base).astype(np.int32))
        row_flags = facts.flags

        code = -1
        if subject is not None:
            if subject not in self._subjects:
                self._subjects.append(subject)
            code = self._subjects.index(subject)
        self._subject_runs.append((m, code))
        self._flags.append(row_flags)
        self._rows += m

    def row_facts(self, keys: dict[str, pa.Array], flags: dict[str, np.ndarray],
                  birth_dates: pa.Array | None = None, source: str = "") -> RowFacts | None:
        """What a batch says of its counted rows, before any key is stored or hashed.

        The rows counted are those flagged ``personal`` (or, without that flag, those holding
        any entity or key); for them: the flags (sensitive; minor from a birth date or the
        date inside a resident-ID key), each namespace's present keys, and each entity's rows.
        Shared by this counter and the Spark engine, so that both count the same rows alike.
        """
        n = _batch_length(keys, flags, birth_dates)
        if n is None:
            return None
        personal = flags.get("personal")
        if personal is None:
            personal = np.zeros(n, dtype=bool)
            for name, values in flags.items():
                if name.startswith("entity:") or name == "sensitive":
                    personal |= _bool(values, n, name, source)
            for values in keys.values():
                personal |= _as_string(values).is_valid().to_numpy(zero_copy_only=False)
        personal = _bool(personal, n, "personal", source)
        selected = np.flatnonzero(personal)
        m = len(selected)
        if m == 0:
            return None
        take = None if m == n else pa.array(selected, pa.int64())
        row_flags = np.zeros(m, dtype=np.uint8)
        sensitive = flags.get("sensitive")
        if sensitive is not None:
            row_flags[_bool(sensitive, n, "sensitive", source)[selected]] |= SENSITIVE
        if birth_dates is not None:
            row_flags[self._minor_from_dates(birth_dates, n, source)[selected]] |= MINOR
        present_keys: list[tuple[str, np.ndarray, pa.Array]] = []
        for name, values in keys.items():
            namespace = name.split("#", 1)[0]
            column = _as_string(values)
            if len(column) != n:
                raise ValueError(f"{source or 'batch'}: key array {name!r} has {len(column)} values, expected {n}")
            if take is not None:
                column = column.take(take)
            present = pc.and_(column.is_valid(), pc.greater(pc.binary_length(column), 0)).fill_null(False)
            present_np = present.to_numpy(zero_copy_only=False)
            if not present_np.any():
                continue
            kept = column.filter(present)
            rows = np.flatnonzero(present_np)
            if namespace in _BIRTH_DATE_IN_KEY:
                row_flags[rows[self._minor_from_keys(kept)]] |= MINOR
            present_keys.append((namespace, rows, kept))
        entities = []
        for name, values in flags.items():
            if name.startswith("entity:"):
                hit = np.flatnonzero(_bool(values, n, name, source)[selected])
                if len(hit):
                    entities.append((name[len("entity:"):], hit))
        return RowFacts(m, row_flags, present_keys, entities)

    def _space(self, namespace: str, numeric: bool) -> _KeySpace:
        space = self._spaces.get((namespace, numeric))
        if space is None:
            space = self._spaces[(namespace, numeric)] = _KeySpace(numeric)
        return space

    def _minor_from_dates(self, birth_dates: pa.Array, n: int, source: str) -> np.ndarray:
        dates = birth_dates.combine_chunks() if isinstance(birth_dates, pa.ChunkedArray) else birth_dates
        if len(dates) != n:
            raise ValueError(f"{source or 'batch'}: birth_dates has {len(dates)} values, expected {n}")
        if not pa.types.is_date(dates.type):
            dates = dates.cast(pa.date32())
        ymd = pc.add(pc.add(pc.multiply(pc.year(dates), 10000), pc.multiply(pc.month(dates), 100)), pc.day(dates))
        return self._minor_ymd(ymd)

    def _minor_from_keys(self, ids: pa.Array) -> np.ndarray:
        digits = pc.utf8_slice_codeunits(ids, 6, 14)
        wellformed = pc.match_substring_regex(digits, "^[0-9]{8}$")
        ymd = pc.if_else(wellformed, digits, pa.scalar(None, digits.type)).cast(pa.int64())
        return self._minor_ymd(ymd)

    def _minor_ymd(self, ymd: pa.Array) -> np.ndarray:
        """Under 14 on the scan date; dates after the scan date are errors, not children."""
        values = ymd.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        return (values > self._minor_after_ymd) & (values <= self._scan_ymd)

    # -- counting --------------------------------------------------------------------------

    def _resolve(self) -> _Components:
        if self._components is not None:
            return self._components
        n_rows = self._rows
        # Nodes are the distinct keys. Each row links its other keys to the first key it holds
        # (a star per row), so rows need no node of their own and a row with a single key adds
        # no edge; the row's person is then its first key's component.
        row_node = np.full(n_rows, -1, dtype=np.int32)
        sources: list[np.ndarray] = []
        targets: list[np.ndarray] = []
        ranges: dict[tuple[str, bool], tuple[int, int]] = {}
        offset = 0
        for space in self._spaces.values():
            space.compact()
        # Hand the hash tables' memory back before the graph is built.
        pa.default_memory_pool().release_unused()
        for space_id in sorted(self._spaces):
            space = self._spaces[space_id]
            size = len(space.dictionary)
            if offset + size >= np.iinfo(np.int32).max:
                raise ValueError("too many distinct keys for one person count")
            ranges[space_id] = (offset, offset + size)
            for rows, codes in zip(space.rows, space.codes, strict=True):
                nodes = codes + np.int32(offset)
                first = row_node[rows]
                linked = first >= 0
                sources.append(first[linked])
                targets.append(nodes[linked])
                unlinked = ~linked
                row_node[rows[unlinked]] = nodes[unlinked]
            offset += size
        n_keys = offset
        src = np.concatenate(sources) if sources else np.zeros(0, np.int32)
        dst = np.concatenate(targets) if targets else np.zeros(0, np.int32)
        del sources, targets
        key_label = _components(n_keys, src, dst)
        del src, dst
        has_key = row_node >= 0
        row_label = np.full(n_rows, -1, dtype=np.int64)
        row_label[has_key] = key_label[row_node[has_key]]
        if self.keyless_policy == EACH_ROW_IS_A_PERSON:
            # A row without a key is a person by itself.
            row_label[~has_key] = n_keys + np.arange(int((~has_key).sum()), dtype=np.int64)
        del row_node
        # Every key belongs to a counted row, so relabel components to 0..n-1 in order.
        n_labels = n_keys + int((~has_key).sum())
        used = np.zeros(n_labels, dtype=bool)
        used[row_label[row_label >= 0]] = True
        new_id = (np.cumsum(used, dtype=np.int64) - 1).astype(np.int32)
        n_persons = int(used.sum())
        row_person = np.full(n_rows, -1, dtype=np.int32)
        counted = row_label >= 0
        row_person[counted] = new_id[row_label[counted]]
        key_person = {ns: new_id[key_label[a:b]] for ns, (a, b) in ranges.items()}
        self._components = _Components(row_person, n_persons, has_key, key_person)
        return self._components

    def _row_subjects(self) -> np.ndarray:
        if not self._subject_runs:
            return np.zeros(0, np.int16)
        sizes = np.array([m for m, _ in self._subject_runs], dtype=np.int64)
        codes = np.array([c for _, c in self._subject_runs], dtype=np.int16)
        return np.repeat(codes, sizes)

    def _row_flags(self) -> np.ndarray:
        return np.concatenate(self._flags) if self._flags else np.zeros(0, np.uint8)

    def _row_entities(self) -> dict[str, np.ndarray]:
        return {e: np.concatenate(parts) for e, parts in sorted(self._entity_rows.items())}

    def result(self) -> PersonCounts:
        """The distinct persons of everything added so far."""
        comp = self._resolve()
        counts = _aggregate(comp.row_person, comp.n_persons, self._row_subjects(), self._row_flags(),
                            self._subjects, self._row_entities())
        counts.keyless_rows = int(self._rows - comp.has_key.sum())
        counts.keyless_policy = self.keyless_policy
        counts.rows = self._rows
        return counts

    def person_table(self, hasher: KeyHasher) -> PersonTable:
        """The persons with each distinct key replaced by ``hasher(namespace, keys)``.

        One facet per (person, subject role) with the OR of its rows' flags; the raw keys never
        leave this object.
        """
        comp = self._resolve()
        row_person = comp.row_person
        subjects = self._row_subjects()
        flags = self._row_flags()
        counted = row_person >= 0
        n_subjects = len(self._subjects) + 1
        facet_code = row_person.astype(np.int64) * n_subjects + (subjects.astype(np.int64) + 1)
        facet_code[~counted] = -1
        unique_codes, row_facet = np.unique(facet_code, return_inverse=True)
        row_facet = row_facet.astype(np.int64)
        if len(unique_codes) and unique_codes[0] == -1:  # rows left out by the policy
            unique_codes = unique_codes[1:]
            row_facet -= 1
        n_facets = len(unique_codes)
        facet_flags = np.zeros(n_facets, dtype=np.uint8)
        for bit in (SENSITIVE, MINOR):
            rows_with_bit = (flags & bit) != 0
            facet_flags[row_facet[rows_with_bit & counted]] |= bit
        entity_facets = {}
        for entity, rows in self._row_entities().items():
            f = row_facet[rows]
            entity_facets[entity] = np.unique(f[f >= 0]).astype(np.int32)
        hashes, owners = [], []
        for space_id in sorted(self._spaces):
            canonical = self._spaces[space_id].canonical_strings()
            digest = np.asarray(hasher(space_id[0], canonical), dtype=np.uint8)
            if digest.shape != (len(canonical), HASH_BYTES):
                raise ValueError(f"key hasher returned shape {digest.shape}, expected ({len(canonical)}, {HASH_BYTES})")
            hashes.append(digest)
            owners.append(comp.key_person[space_id])
        return PersonTable(
            n_persons=comp.n_persons,
            key_hash=np.concatenate(hashes) if hashes else np.zeros((0, HASH_BYTES), np.uint8),
            key_person=(np.concatenate(owners) if owners else np.zeros(0)).astype(np.int32),
            facet_person=(unique_codes // n_subjects).astype(np.int32),
            facet_subject=((unique_codes % n_subjects) - 1).astype(np.int16),
            facet_flags=facet_flags,
            entity_facets=entity_facets,
            subjects=list(self._subjects),
            keyless_rows=int(self._rows - comp.has_key.sum()),
            keyless_policy=self.keyless_policy,
            rows=self._rows,
        )


def union_counts(tables: list[PersonTable], keyless_policy: str | None = None) -> PersonCounts:
    """Distinct persons over several tables (transfers): persons sharing a key hash are one.

    >>> import numpy as np
    >>> def table(hashes, person):
    ...     h = np.zeros((len(hashes), HASH_BYTES), np.uint8); h[:, 0] = hashes
    ...     return PersonTable(max(person) + 1, h, np.array(person, np.int32),
    ...                        np.arange(max(person) + 1, dtype=np.int32),
    ...                        np.full(max(person) + 1, -1, np.int16),
    ...                        np.zeros(max(person) + 1, np.uint8), {}, [])
    >>> union_counts([table([1, 2], [0, 1]), table([2, 3], [0, 1])]).personal
    3
    """
    tables = [t for t in tables if t is not None]
    n_persons = sum(t.n_persons for t in tables)
    person_offsets = np.cumsum([0] + [t.n_persons for t in tables])
    # Key hashes → integer codes (one code per distinct hash), through Arrow's hash kernel.
    all_hashes = np.concatenate([t.key_hash for t in tables]) if tables else np.zeros((0, HASH_BYTES), np.uint8)
    n_keys = len(all_hashes)
    if n_keys:
        buffer = pa.py_buffer(np.ascontiguousarray(all_hashes, dtype=np.uint8).tobytes())
        fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(HASH_BYTES), n_keys, [None, buffer])
        codes = fixed.dictionary_encode().indices.to_numpy(zero_copy_only=False).astype(np.int64)
        n_codes = int(codes.max()) + 1
    else:
        codes, n_codes = np.zeros(0, np.int64), 0
    owners = np.concatenate([t.key_person.astype(np.int64) + off for t, off in zip(tables, person_offsets, strict=False)]) \
        if tables else np.zeros(0, np.int64)
    labels = _components(n_persons + n_codes, owners, codes + n_persons)[:n_persons]

    subjects: list[str] = []
    facet_labels, facet_subjects, facet_flags = [], [], []
    entity_facets: dict[str, list[np.ndarray]] = {}
    facet_offset = 0
    for t, off in zip(tables, person_offsets, strict=False):
        remap = np.array([_index_of(subjects, s) for s in t.subjects] + [-1], dtype=np.int16)
        facet_labels.append(labels[t.facet_person.astype(np.int64) + off])
        facet_subjects.append(remap[t.facet_subject])  # -1 indexes the trailing -1
        facet_flags.append(t.facet_flags)
        for entity, idx in t.entity_facets.items():
            entity_facets.setdefault(entity, []).append(idx.astype(np.int64) + facet_offset)
        facet_offset += len(t.facet_person)
    counts = _aggregate(_cat(facet_labels, np.int32), len(labels) and int(labels.max()) + 1,
                        _cat(facet_subjects, np.int16), _cat(facet_flags, np.uint8), subjects,
                        {e: np.concatenate(p) for e, p in sorted(entity_facets.items())})
    counts.keyless_rows = sum(t.keyless_rows for t in tables)
    counts.rows = sum(t.rows for t in tables)
    if keyless_policy is not None:
        counts.keyless_policy = keyless_policy
    elif tables:
        counts.keyless_policy = tables[-1].keyless_policy
    return counts


# -- helpers ------------------------------------------------------------------------------------


def _components(n_nodes: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Connected-component label of each node of an undirected graph given by its edges."""
    if n_nodes == 0:
        return np.zeros(0, np.int32)
    if len(src) == 0:
        return np.arange(n_nodes, dtype=np.int32)
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n_nodes, n_nodes)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="weak")
    return labels.astype(np.int32, copy=False)


def _aggregate(facet_label: np.ndarray, n_labels: int, facet_subject: np.ndarray, facet_flags: np.ndarray,
               subjects: list[str], entity_facets: dict[str, np.ndarray]) -> PersonCounts:
    """Counts from facets (rows, or per-person-per-subject records) labelled by person.

    ``facet_label`` < 0 marks a facet that is not counted.
    """
    def persons(where: np.ndarray | None = None) -> np.ndarray:
        mark = np.zeros(n_labels, dtype=bool)
        labels = facet_label if where is None else facet_label[where]
        mark[labels[labels >= 0]] = True
        return mark

    everyone = persons()
    minor = persons((facet_flags & MINOR) != 0)
    sensitive = persons((facet_flags & SENSITIVE) != 0) | minor
    by_entity = {e: int(persons(idx).sum()) for e, idx in entity_facets.items()}
    by_subject: dict[str, dict[str, Any]] = {}
    for code, name in enumerate(subjects):
        in_role = facet_subject == code
        role_persons = persons(in_role)
        role_sensitive = (persons(in_role & ((facet_flags & SENSITIVE) != 0)) | minor) & role_persons
        by_subject[name] = {
            "personal": int(role_persons.sum()),
            "sensitive": int(role_sensitive.sum()),
            "by_entity": {e: int(persons(idx[facet_subject[idx] == code]).sum()) for e, idx in entity_facets.items()},
        }
    return PersonCounts(personal=int(everyone.sum()), sensitive=int(sensitive.sum()), by_entity=by_entity,
                        by_subject=by_subject, minors=int(minor.sum()))


def _cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _index_of(names: list[str], name: str) -> int:
    if name not in names:
        names.append(name)
    return names.index(name)


def _batch_length(keys: dict[str, pa.Array], flags: dict[str, np.ndarray], birth_dates: pa.Array | None) -> int | None:
    for values in flags.values():
        return len(values)
    for values in keys.values():
        return len(values)
    return None if birth_dates is None else len(birth_dates)


def _bool(values: Any, n: int, name: str, source: str) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        values = values.fill_null(False).to_numpy(zero_copy_only=False)
    array = np.asarray(values, dtype=bool)
    if array.shape != (n,):
        raise ValueError(f"{source or 'batch'}: flag {name!r} has shape {array.shape}, expected ({n},)")
    return array


def _as_string(values: pa.Array) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(values, pa.string())
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return values
    return values.cast(pa.string())


def _ymd(day: _dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _years_before(day: _dt.date, years: int) -> _dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
