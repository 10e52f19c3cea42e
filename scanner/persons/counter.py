"""Distinct natural persons: rows that share an identifier are one person, defensibly.

Every threshold of the rules counts *natural persons after de-duplication* (以自然人为单位去重).
This module turns the rows of a scan into persons:

* Each distinct canonical key (namespace-qualified: the same phone in two columns or two files
  is one key, a phone never equals an email) links the rows that hold it, transitively across
  columns, batches and files, under the rules of :mod:`scanner.persons.linking`: identity documents
  always link; contacts (phones, e-mails, bank cards, user-named keys) link only where they do
  not join two different identity documents of one kind and are not shared by more than a few
  identities; placeholders (13800138000, ``noreply@``…) are no keys at all. The strict count is
  the one the verdict uses; :meth:`PersonCounter.linking_report` says how sure it is.
* Memory is per distinct key, not per row and key: each key is kept once in exact fixed-width
  form (digit strings as uint64, other keys as their bytes, see :func:`split_keys`) in sorted
  runs with one int32 label. Identity keys join rows as they arrive (a union-find over row
  labels); a contact keeps its first row and a (row, contact) pair per later holder, and is
  linked once every row is in, so the order of rows and files never matters. Every step works
  on whole batches with numpy; there is no Python loop over rows or keys.
* A row with personal data but no key cannot be linked: by default it is a person by itself
  (the conservative reading); ``keyless_policy="ignore_keyless"`` leaves such rows out. Both
  report how many such rows there were.
* A person is sensitive when any of their rows holds sensitive personal information, or when
  they are under 14 on the scan date (PIPL Art 28), from a birth-date column or the birth date
  inside a resident ID.

>>> import datetime, numpy as np, pyarrow as pa
>>> counter = PersonCounter(datetime.date(2026, 6, 1), identity={"CN_RESIDENT_ID"})
>>> counter.add_batch(
...     keys={"CN_MOBILE_PHONE": pa.array(["13912340001", "13912340001", None, None]),
...           "EMAIL": pa.array([None, "a@example.cn", "a@example.cn", None])},
...     flags={"personal": np.array([True, True, True, True]),
...            "sensitive": np.array([False, False, True, False])})
>>> counts = counter.result()
>>> counts.personal, counts.sensitive, counts.keyless_rows
(2, 1, 1)

Two resident IDs on one family phone are two persons; a placeholder phone links nobody:

>>> counter = PersonCounter(datetime.date(2026, 6, 1), identity={"CN_RESIDENT_ID"})
>>> counter.add_batch(
...     keys={"CN_RESIDENT_ID": pa.array(["11010519491231002X", "110105194912310037", None]),
...           "CN_MOBILE_PHONE": pa.array(["13912340001", "13912340001", "13800138000"])},
...     flags={"personal": np.array([True, True, True])})
>>> counts = counter.result()
>>> counts.personal, counts.linking["conflicts"], counts.linking["placeholders"]
(3, 1, [{'entity': 'CN_MOBILE_PHONE', 'value': '138****8000', 'rows': 1}])

For the year-to-date ledger, :meth:`PersonCounter.person_table` gives the same persons with
each key replaced by a keyed hash (see :mod:`scanner.persons.ledger`); :func:`union_counts` links
several such tables (several transfers) the same way.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.registry import builtin_detectors
from scanner.persons.linking import (
    DEFAULT_MAX_IDENTITIES,
    LISTED,
    MAIL_LOCAL_PLACEHOLDERS,
    Linking,
    components,
    digit_placeholders,
    distinct,
    link_contacts,
    mask_keys,
    normal_not_keys,
    placeholder_mask,
    sort_order,
)

__all__ = [
    "KEYLESS_POLICIES",
    "PersonCounter",
    "PersonCounts",
    "PersonTable",
    "KeyHasher",
    "union_counts",
    "union_table",
]

EACH_ROW_IS_A_PERSON = "each_row_is_a_person"
IGNORE_KEYLESS = "ignore_keyless"
KEYLESS_POLICIES = (EACH_ROW_IS_A_PERSON, IGNORE_KEYLESS)

# Bits of a facet's flags (a facet is what one person shows in one subject role).
SENSITIVE = 1
MINOR = 2
_KEYED = 4  # a counted row's own flag: it holds a key (so it has a label)

# The personal information of a child under this age is sensitive (PIPL Art 28): a birth date
# less than this many years before the scan date, or an age below it, makes a row a minor's.
MINOR_AGE = 14
# The row flag (beside "personal", "sensitive" and "entity:<ENTITY>") of rows that say their
# person is under MINOR_AGE without a date to tell it from: an age (``scanner.persons.keys``).
MINOR_FLAG = "minor"

# Identifier namespaces whose canonical key holds the birth date at characters 7–14 (read here
# from the key's fixed-width form; ``scanner.persons.keys`` parses no birth date from them).
BIRTH_DATE_IN_KEY = tuple(d.entity for d in builtin_detectors() if d.birth_date_in_key)

# Keys of the batches wait (as fixed-width values and row labels, ~12 bytes each) until this
# many are pending, then are folded into their spaces at once: each fold sorts them and looks
# them up once, instead of once per batch (a lookup is a binary search per sorted run).
_COMPACT_AT = 1 << 20

HASH_BYTES = 16
KeyHasher = Callable[[str, pa.Array], np.ndarray]
"""``hasher(namespace, keys)`` → ``(len(keys), HASH_BYTES)`` uint8 keyed digests."""


@dataclass
class PersonCounts:
    """Distinct persons of a scan (or of a year, for the ledger): the one vocabulary of person
    counts. Its views: :meth:`judged` (what the rule engine reads, ``mappings.engine.Counts``:
    ``mappings`` never imports the scanner) and the report's ``PersonsReport`` (these counts as
    reported, with the year to date beside them), made in ``scanner.verdict``."""

    personal: int = 0
    sensitive: int = 0
    by_entity: dict[str, int] = field(default_factory=dict)
    # subject role → {"personal": n, "sensitive": m, "by_entity": {...}}
    by_subject: dict[str, dict[str, Any]] = field(default_factory=dict)
    keyless_rows: int = 0
    keyless_policy: str = EACH_ROW_IS_A_PERSON
    minors: int = 0
    rows: int = 0  # rows with personal data that were counted
    # How contacts linked rows: merges resting on contacts alone, shared contacts (masked),
    # placeholders ignored, conflicts kept apart, and the range the count could take.
    linking: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def judged(self):
        """What the rule engine judges of these counts (a ``mappings.engine.Counts``)."""
        from mappings import engine

        return engine.Counts(personal=self.personal, sensitive=self.sensitive, by_entity=dict(self.by_entity),
                             by_subject=dict(self.by_subject))


@dataclass
class PersonTable:
    """Persons in a form that can be stored and linked again later: no raw identifier.

    The "persons" of a table are *pieces* of persons (``n_persons`` of them): an identity group,
    or rows without any identity linked among themselves. Contacts between pieces are linked
    again by :func:`union_counts`, with every other transfer's pieces, under the same rules.

    * ``key_hash[i]`` (HASH_BYTES bytes) is a keyed hash of one namespace-qualified canonical
      key, held by person ``key_person[i]``.
    * A *facet* is what one person shows under one subject role: ``facet_person``,
      ``facet_subject`` (index into ``subjects``, -1 for none) and ``facet_flags``
      (``SENSITIVE`` | ``MINOR``).
    * ``entity_facets[E]`` lists the facets in which entity E was present.
    * ``key_kind[i]``: ``CONTACT_KIND`` (-1) for a contact (a shared contact is kept once per
      person holding it, so that a later union sees who shares it), ``GROUP_KIND`` (0) for a
      vehicle or device grouping keyless rows, otherwise the identity kind's code (> 0, see
      :func:`identity_code`): two different keys of one code are two persons.

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
    key_kind: np.ndarray | None = None  # int32 per key; None (an older ledger): every key a contact

    def kinds(self) -> np.ndarray:
        if self.key_kind is None:
            return np.full(len(self.key_person), CONTACT_KIND, np.int32)
        return self.key_kind


CONTACT_KIND, GROUP_KIND = -1, 0
GROUP_PREFIX = "keyless_by:"


def identity_code(namespace: str) -> int:
    """A stable positive int32 naming an identity kind (its namespace) in stored tables."""
    return (zlib.crc32(namespace.encode("utf-8")) & 0x7FFFFFFF) | 1


@dataclass
class RowFacts:
    """The counted rows of one batch: see :meth:`PersonCounter.row_facts`. Row numbers are
    positions among the counted rows (0 .. rows-1)."""

    rows: int
    flags: np.ndarray  # uint8 per row: SENSITIVE | MINOR
    keys: list[tuple[str, np.ndarray, pa.Array]]  # (namespace, rows, canonical keys)
    entities: list[tuple[str, np.ndarray]]  # (entity, rows)
    placeholders: list[tuple[str, pa.Array]] = field(default_factory=list)  # (namespace, values) dropped
    splits: list[list] = field(default_factory=list)  # per entry of keys: its split_keys groups


# Large arrays are worked through in slices of this many values (bounded temporaries).
_SLICE = 1 << 20

# Two sorted runs are merged only while the result stays under this many keys (8–16 MB of keys
# and labels) or an eighth of the space, whichever is more: the copy made by a merge is then at
# most an eighth of what the space holds, and a space has O(log n) runs.
RUN_KEYS = 1 << 20


class _SortedKeys:
    """The distinct keys of one key space with a label each, as sorted runs.

    A key space holds fixed-width values (see :func:`split_keys`): uint64, or byte strings of
    one length. New keys arrive as a sorted run; runs are merged like a binary counter (a small
    log-structured merge), so that there are few of them and each key is copied O(log n) times.
    Memory is the keys themselves plus one int32 label each; a batch is looked up with one
    binary search per run.
    """

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """The label of each key (sorted, distinct), -1 where the key is new."""
        out = np.full(len(keys), -1, dtype=np.int32)
        for run_keys, run_labels in self.runs:
            at = np.minimum(np.searchsorted(run_keys, keys), len(run_keys) - 1)
            hit = run_keys[at] == keys
            out[hit] = run_labels[at[hit]]
        return out

    def insert(self, keys: np.ndarray, labels: np.ndarray, refresh: Callable[[np.ndarray], None]) -> None:
        """Add new keys (sorted, distinct, none already held). ``refresh`` points labels at
        their roots in place; merged runs are refreshed, which keeps later lookups' finds short.
        Merges are bounded (see ``RUN_KEYS``): the copy a merge makes is a memory peak."""
        if not len(keys):
            return
        runs = self.runs
        runs.append((keys, labels))
        self.size += len(keys)
        limit = max(RUN_KEYS, self.size // 8)
        while len(runs) > 1 and len(runs[-2][0]) <= 2 * len(runs[-1][0]) \
                and len(runs[-2][0]) + len(runs[-1][0]) <= limit:
            new_keys, new_labels = runs.pop()
            old_keys, old_labels = runs.pop()
            at = np.searchsorted(old_keys, new_keys)
            merged_keys = np.insert(old_keys, at, new_keys)
            del old_keys
            merged_labels = np.insert(old_labels, at, new_labels)
            refresh(merged_labels)
            runs.append((merged_keys, merged_labels))

    def items(self) -> tuple[np.ndarray, np.ndarray]:
        """All keys and their labels (one run)."""
        if not self.runs:
            return np.zeros(0, np.uint64), np.zeros(0, np.int32)
        keys = np.concatenate([k for k, _ in self.runs])
        labels = np.concatenate([v for _, v in self.runs])
        return keys, labels


# Keys are compared as fixed-width values, each in the space of its (kind, width):
# "d" a string of 1..19 ASCII digits as a uint64 (the width keeps leading zeros), "x" a resident
# ID ending in X as the uint64 of its first 17 digits, "s" any other key as its UTF-8 bytes
# (numpy S<width>), "s@qq.com" an address at a common mail domain as the bytes before it. Two
# keys are equal exactly when they fall in the same space with the same value; a key's space
# depends on its content alone.
DIGITS, ID_WITH_X, BYTES = "d", "x", "s"
COMMON_MAIL_DOMAINS = tuple("@" + d for d in (
    "qq.com", "163.com", "126.com", "sina.com", "sina.cn", "sohu.com", "foxmail.com", "139.com", "189.cn",
    "yeah.net", "aliyun.com", "vip.qq.com", "vip.163.com", "gmail.com", "hotmail.com", "outlook.com", "icloud.com",
    "yahoo.com"))
_MAIL_DOMAINS = pa.array([d[1:] for d in COMMON_MAIL_DOMAINS])


def split_keys(keys: pa.Array) -> list[tuple[tuple[str, int], np.ndarray, np.ndarray]]:
    """``[((kind, width), positions, values)]``: the keys in exact fixed-width form.

    >>> [(space, pos.tolist(), join_keys(space, v).to_pylist())
    ...  for space, pos, v in split_keys(pa.array(["0138", "11010519491231002X", "a@b.cn", "9", "ab@qq.com"]))]
    [(('d', 1), [3], ['9']), (('d', 4), [0], ['0138']), (('s', 6), [2], ['a@b.cn']), (('s@qq.com', 2), [4], ['ab@qq.com']), (('x', 18), [1], ['11010519491231002X'])]
    """
    keys = _as_string(keys)
    n = len(keys)
    one_width = _digits_of_one_width(keys)
    if one_width is not None:  # the common column of ID numbers or phones: no search, little gathering
        width, with_x = one_width
        if with_x is None:
            return [((DIGITS, width), np.arange(n), pc.cast(keys, pa.uint64()).to_numpy(zero_copy_only=False))]
        ends_x = pa.array(with_x)
        heads = pc.utf8_slice_codeunits(keys.filter(ends_x), 0, 17)
        groups = [((DIGITS, width), np.flatnonzero(~with_x), keys.filter(pc.invert(ends_x))),
                  ((ID_WITH_X, width), np.flatnonzero(with_x), heads)]
        return [(space, where, pc.cast(part, pa.uint64()).to_numpy(zero_copy_only=False))
                for space, where, part in groups if len(where)]
    length = pc.binary_length(keys).fill_null(0).to_numpy(zero_copy_only=False)
    digits = pc.ascii_is_decimal(keys).fill_null(False).to_numpy(zero_copy_only=False) & (length <= 19)
    # Each group: (kind, positions, their values' source, their widths); sources are sliced and
    # taken for the group's own positions only.
    everything = np.arange(n)
    groups = [(DIGITS, everything[digits], keys if digits.all() else keys.take(pa.array(everything[digits])),
               length[digits])]
    candidates = np.flatnonzero((length == 18) & ~digits)
    with_x = np.zeros(n, bool)
    if len(candidates):
        sub = keys.take(pa.array(candidates))
        head = pc.utf8_slice_codeunits(sub, 0, 17)
        ok = (pc.ends_with(sub, "X").to_numpy(zero_copy_only=False)
              & pc.ascii_is_decimal(head).to_numpy(zero_copy_only=False))
        with_x[candidates[ok]] = True
        groups.append((ID_WITH_X, candidates[ok], head.filter(pa.array(ok)), np.full(int(ok.sum()), 18)))
    text = ~(digits | with_x)
    if text.any():
        # Emails of the common mail domains are kept without their domain (the space says it).
        plain = text & ~pc.match_substring(keys, "@").to_numpy(zero_copy_only=False)
        mail = np.flatnonzero(text & ~plain)
        if len(mail):
            mails = keys.take(pa.array(mail))
            domain = pc.list_element(pc.split_pattern(mails, "@", max_splits=1, reverse=True), 1)
            common = pc.index_in(domain, value_set=_MAIL_DOMAINS).fill_null(-1).to_numpy(zero_copy_only=False)
            plain[mail[common < 0]] = True
            for code in distinct(common[common >= 0]).tolist():
                suffix = COMMON_MAIL_DOMAINS[code]
                at = np.flatnonzero(common == code)
                whole = length[mail[at]] <= len(suffix)
                plain[mail[at[whole]]] = True  # "@qq.com" alone stays whole
                at = at[~whole]
                if len(at):
                    groups.append((BYTES + suffix, mail[at],
                                   pc.utf8_slice_codeunits(mails.take(pa.array(at)), 0, -len(suffix)),
                                   length[mail[at]] - len(suffix)))
        where = np.flatnonzero(plain)
        groups.append((BYTES, where, keys.take(pa.array(where)), length[where]))
    out = []
    for kind, positions, source, width_of in groups:
        if not len(positions):
            continue
        widths = distinct(width_of).tolist()
        for width in widths:
            if len(widths) == 1:
                where, part = positions, source
            else:
                chosen = np.flatnonzero(width_of == width)
                where, part = positions[chosen], source.take(pa.array(chosen))
            if kind.startswith(BYTES):
                out.append(((kind, width), where, _fixed_width(part, width)))
            else:
                out.append(((kind, width), where, pc.cast(part, pa.uint64()).to_numpy(zero_copy_only=False)))
    return sorted(out, key=lambda group: group[0])


def _digits_of_one_width(keys: pa.Array) -> tuple[int, np.ndarray | None] | None:
    """``(width, ends_in_x)`` when every key is 1 to 19 ASCII digits, all of one width, or 18
    characters of which the first 17 are digits and the last a digit or ``X`` (``ends_in_x``:
    which keys end in X, None when none does); else None. Asked of the offsets and of the
    bytes in place.

    >>> _digits_of_one_width(pa.array(["0138", "1234"])), _digits_of_one_width(pa.array(["0138", "123"]))
    ((4, None), None)
    >>> _digits_of_one_width(pa.array(["12X4"])), _digits_of_one_width(pa.array(["1", None]))
    (None, None)
    >>> _digits_of_one_width(pa.array(["11010519491231002X", "110105201501010018"]))
    (18, array([ True, False]))
    """
    n = len(keys)
    if not n or keys.null_count or type(keys) is not pa.StringArray:
        return None
    offsets = np.frombuffer(keys.buffers()[1], np.int32)[keys.offset:keys.offset + n + 1]
    width = int(offsets[1] - offsets[0])
    if not 1 <= width <= 19 or int(offsets[-1] - offsets[0]) != n * width or (np.diff(offsets) != width).any():
        return None
    raw = np.frombuffer(keys.buffers()[2], np.uint8)[int(offsets[0]):int(offsets[-1])]
    if int(raw.min()) >= ord("0") and int(raw.max()) <= ord("9"):
        return width, None
    if width != 18:
        return None
    matrix = raw.reshape(n, width)
    head, last = matrix[:, :17], matrix[:, 17]
    ends_x = last == ord("X")
    if int(head.min()) < ord("0") or int(head.max()) > ord("9") or not ((last <= ord("9")) & (last >= ord("0")) | ends_x).all():
        return None
    return width, ends_x


def join_keys(space: tuple[str, int], values: np.ndarray) -> pa.Array:
    """The canonical strings of one space's values (the inverse of :func:`split_keys`)."""
    kind, width = space
    if kind.startswith(BYTES):
        offsets = np.arange(len(values) + 1, dtype=np.int64) * width
        text = pa.LargeStringArray.from_buffers(len(values), pa.py_buffer(offsets), pa.py_buffer(values.tobytes()))
        if kind == BYTES:
            return text
        empty = pa.scalar("", pa.large_string())
        return pc.binary_join_element_wise(text, pa.scalar(kind[len(BYTES):], pa.large_string()), empty)
    text = pc.utf8_lpad(pa.array(values, pa.uint64()).cast(pa.large_string()), 17 if kind == ID_WITH_X else width, "0")
    if kind == ID_WITH_X:
        return pc.binary_join_element_wise(text, pa.scalar("X", pa.large_string()), pa.scalar("", pa.large_string()))
    return text


def _fixed_width(strings: pa.Array, width: int) -> np.ndarray:
    """Strings that all have ``width`` bytes, as numpy ``S<width>`` (exact: within one width,
    numpy's handling of trailing NUL bytes cannot make two different values equal)."""
    binary = strings.cast(pa.large_binary())
    offsets = np.frombuffer(binary.buffers()[1], dtype=np.int64)[binary.offset:binary.offset + len(binary) + 1]
    data = np.frombuffer(binary.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    return data.view(f"S{width}")


class _EntityRows(Mapping):
    """Entity → a bool per counted row, read from the rows' entity bits one entity at a time."""

    def __init__(self, bit_of: dict[str, int], bits: list[np.ndarray]) -> None:
        self._bit_of = dict(sorted(bit_of.items()))
        self._bits = bits

    def __getitem__(self, entity: str) -> np.ndarray:
        bit = self._bit_of[entity]
        byte, mask = bit // 8, np.uint8(1 << (bit % 8))
        return _cat([(b[:, byte] & mask) != 0 if b.shape[1] > byte else np.zeros(len(b), bool) for b in self._bits],
                    bool)

    def __iter__(self):
        return iter(self._bit_of)

    def __len__(self) -> int:
        return len(self._bit_of)


class PersonCounter:
    """Count distinct natural persons over the record batches of one scan.

    Call :meth:`add_batch` once per record batch of each file, then :meth:`result`.
    """

    def __init__(self, scan_date: _dt.date, keyless_policy: str = EACH_ROW_IS_A_PERSON,
                 identity: Collection[str] = (), not_keys: Sequence[str] = (),
                 max_identities: int = DEFAULT_MAX_IDENTITIES) -> None:
        """``identity``: the key namespaces that are identity documents (the detectors'
        ``identity`` fact); every other person key is a contact (see :mod:`scanner.persons.linking`).
        ``not_keys``: the user's placeholder values, never keys. ``max_identities``: a contact
        held by more identities than this is shared and links nothing."""
        if keyless_policy not in KEYLESS_POLICIES:
            raise ValueError(f"unknown keyless policy {keyless_policy!r}: use one of {', '.join(KEYLESS_POLICIES)}")
        self.scan_date = scan_date
        self.keyless_policy = keyless_policy
        if int(max_identities) < 1:
            raise ValueError(f"max_identities must be at least 1, not {max_identities}")
        self.identity = frozenset(identity)
        self.not_keys = tuple(str(v) for v in not_keys)
        self.max_identities = int(max_identities)
        self._not_keys = normal_not_keys(self.not_keys)
        self._scan_ymd = _ymd(scan_date)
        self._minor_after_ymd = _ymd(_years_before(scan_date, MINOR_AGE))
        self._rows = 0
        # Union-find over labels: every counted row with a key gets the next label, and each
        # distinct key keeps the label of the first row that held it.
        self._parent = np.zeros(1 << 16, dtype=np.int32)
        self._labels = 0
        self._spaces: dict[tuple[str, str, int], _SortedKeys] = {}  # (namespace, kind, width)
        self._flags: list[np.ndarray] = []
        self._subject_runs: list[tuple[int, int]] = []  # (number of rows, subject code)
        self._subjects: list[str] = []
        self._entity_bit: dict[str, int] = {}
        self._entity_bits: list[np.ndarray] = []  # per batch: (rows, bytes) uint8, bit i = entity i
        self._row_root: np.ndarray | None = None
        # Contacts are not joined as they arrive (whether one links depends on every row): each
        # distinct contact has a code and the label of its first row; later holders are kept as
        # (row label, code) pairs and linked at the end (scanner.persons.linking).
        self._first_label = np.zeros(1 << 12, dtype=np.int32)
        self._contacts = 0
        self._pair_labels: list[np.ndarray] = []
        self._pair_codes: list[np.ndarray] = []
        self._placeholders: dict[tuple[str, str], int] = {}  # (namespace, masked value) → rows
        self._placeholder_rows = 0
        self._linking: Linking | None = None
        self._counts: PersonCounts | None = None
        # Keys not yet folded into their space: space → (values, row labels) of some batches.
        self._pending: dict[tuple[str, str, int], tuple[list[np.ndarray], list[np.ndarray]]] = {}
        self._pending_keys = 0

    # -- input -----------------------------------------------------------------------------

    def add_batch(self, keys: dict[str, pa.Array], flags: dict[str, np.ndarray],
                  birth_dates: pa.Array | None = None, subject: str | None = None, source: str = "") -> None:
        """Add one record batch.

        ``keys``: namespace (``"CN_MOBILE_PHONE"``, ``"CN_MOBILE_PHONE#2"``, ``"user:会员号"``)
        → canonical key per row, null where the row has none. ``flags``: ``"personal"``,
        ``"sensitive"``, ``"minor"`` (:data:`MINOR_FLAG`: under 14 by an age) and
        ``"entity:<ENTITY>"`` boolean arrays. ``birth_dates``: date32 per
        row (null = unknown). ``subject``: the subject role of the rows, or None. ``source`` is
        only used in error messages.
        """
        facts = self.row_facts(keys, flags, birth_dates, source)
        if facts is None:
            return
        m = facts.rows
        if self._rows + m >= np.iinfo(np.int32).max // 2:
            raise ValueError("too many rows with personal data for one person count (more than 1 billion)")
        self._row_root = None
        keyed = np.zeros(m, dtype=bool)
        for _, rows, _ in facts.keys:
            keyed[rows] = True
        row_label = np.full(m, -1, dtype=np.int32)
        row_label[keyed] = self._new_labels(int(keyed.sum()))
        self._linking = None
        self._counts = None
        self._tally_placeholders(facts.placeholders)
        # Keys wait in the space's pending list and are folded into it a few million at a
        # time: one sort and one lookup per fold rather than per batch.
        for space_id, rows, values in self._key_groups(facts):
            pending = self._pending.setdefault(space_id, ([], []))
            pending[0].append(values)
            pending[1].append(row_label[rows])
            self._pending_keys += len(values)
        if self._pending_keys >= _COMPACT_AT:
            self._fold()
        bits = np.zeros((m, 0), dtype=np.uint8)
        for entity, hit in facts.entities:
            bit = self._entity_bit.setdefault(entity, len(self._entity_bit))
            if bits.shape[1] <= bit // 8:
                bits = np.concatenate([bits, np.zeros((m, bit // 8 + 1 - bits.shape[1]), np.uint8)], axis=1)
            bits[hit, bit // 8] |= np.uint8(1 << (bit % 8))
        self._entity_bits.append(bits)

        code = -1
        if subject is not None:
            if subject not in self._subjects:
                self._subjects.append(subject)
            code = self._subjects.index(subject)
        self._subject_runs.append((m, code))
        self._flags.append(facts.flags | np.where(keyed, np.uint8(_KEYED), np.uint8(0)))
        self._rows += m

    def _fold(self) -> None:
        """Fold the pending keys into their spaces: identity and group keys join their rows
        (union-find), a contact keeps the label of its first row and a pair per later holder.

        The spaces are independent until the union: each space's sort and look-up, then its
        insert, run two spaces at a time (:func:`_in_pairs`: numpy's sorts and binary searches
        release the interpreter's lock, and the main thread is the full scan's critical path).
        New contacts take their codes in between, in the spaces' order: every code is the one a
        fold of one space after the other gives."""
        spaces = sorted(self._pending)
        for space_id in spaces:
            if space_id not in self._spaces:
                self._spaces[space_id] = _SortedKeys()
        pending: list = [self._pending[space_id] for space_id in spaces]
        self._pending = {}
        self._pending_keys = 0

        def look_up(k: int):
            parts, label_parts = pending[k]
            pending[k] = None
            values = parts[0] if len(parts) == 1 else np.concatenate(parts)
            own = label_parts[0] if len(label_parts) == 1 else np.concatenate(label_parts)
            unique_values, first, inverse = _unique_rows(values)
            del values
            labels = self._spaces[spaces[k]].lookup(unique_values)
            new = labels < 0
            return own, unique_values, own[first[new]], inverse, labels, new

        sizes = [sum(len(v) for v in parts) for parts, _ in pending]
        found: list = _in_pairs(look_up, sizes)
        for space_id, (_, _, first_labels, _, labels, new) in zip(spaces, found, strict=True):
            labels[new] = self._new_contacts(first_labels) if self.kind(space_id[0]) == CONTACT_KIND else first_labels

        def settle(k: int):
            own, unique_values, _, inverse, labels, new = found[k]
            found[k] = None
            contact = self.kind(spaces[k][0]) == CONTACT_KIND
            self._spaces[spaces[k]].insert(unique_values[new], labels[new], _unchanged if contact else self._shorten)
            key_label = labels[inverse]
            # A contact's later holders become pairs; an identity key's holders are joined.
            other = self._first_label[key_label] != own if contact else key_label != own
            return contact, own[other], key_label[other]

        linked: list[np.ndarray] = []
        holders: list[np.ndarray] = []
        contact_labels: list[np.ndarray] = []
        contact_codes: list[np.ndarray] = []
        for contact, rows, keys in _in_pairs(settle, sizes):
            (contact_labels if contact else linked).append(rows)
            (contact_codes if contact else holders).append(keys)
        if linked:
            self._union(np.concatenate(linked), np.concatenate(holders))
        if contact_labels:
            self._pair_labels.append(np.concatenate(contact_labels))
            self._pair_codes.append(np.concatenate(contact_codes))

    @staticmethod
    def _key_groups(facts: RowFacts):
        """(space, rows, values) for each key space met in a batch's keys."""
        for (namespace, rows, _), groups in zip(facts.keys, facts.splits, strict=True):
            for space, where, values in groups:
                yield (namespace, *space), rows[where], values

    def kind(self, namespace: str) -> int:
        """``CONTACT_KIND``, ``GROUP_KIND`` or the identity code of a key namespace."""
        if namespace.startswith(GROUP_PREFIX):
            return GROUP_KIND
        if namespace in self.identity:
            return identity_code(namespace)
        return CONTACT_KIND

    def _new_contacts(self, first_labels: np.ndarray) -> np.ndarray:
        start, n = self._contacts, len(first_labels)
        if start + n > len(self._first_label):
            grown = np.zeros(max(len(self._first_label) * 5 // 4, start + n), dtype=np.int32)
            grown[:start] = self._first_label[:start]
            self._first_label = grown
        self._first_label[start:start + n] = first_labels
        self._contacts += n
        return np.arange(start, start + n, dtype=np.int32)

    def _tally_placeholders(self, placeholders: list[tuple[str, pa.Array]]) -> None:
        self._placeholder_rows += tally_placeholders(self._placeholders, placeholders)

    def _new_labels(self, n: int) -> np.ndarray:
        start = self._labels
        if start + n > len(self._parent):
            grown = np.zeros(max(len(self._parent) * 5 // 4, start + n), dtype=np.int32)
            grown[:start] = self._parent[:start]
            self._parent = grown
        labels = np.arange(start, start + n, dtype=np.int32)
        self._parent[start:start + n] = labels
        self._labels += n
        return labels

    def _find(self, labels: np.ndarray) -> np.ndarray:
        """The root of each label (a component's root is its smallest label)."""
        parent = self._parent
        roots = parent[labels]
        while True:
            up = parent[roots]
            if np.array_equal(up, roots):
                return roots
            roots = up

    def _shorten(self, labels: np.ndarray) -> None:
        """Point stored labels at their roots, in place, a slice at a time (bounded memory)."""
        for start in range(0, len(labels), _SLICE):
            part = labels[start:start + _SLICE]
            part[:] = self._find(part)

    def _union(self, a: np.ndarray, b: np.ndarray) -> None:
        """Join the components of each pair of labels: each round hooks every larger root to
        the smallest root it meets, until every pair shares a root."""
        touched = np.concatenate([a, b])
        while len(a):
            ra, rb = self._find(a), self._find(b)
            differ = ra != rb
            a, b = np.maximum(ra[differ], rb[differ]), np.minimum(ra[differ], rb[differ])
            np.minimum.at(self._parent, a, b)
        self._parent[touched] = self._find(touched)  # path compression

    def row_facts(self, keys: dict[str, pa.Array], flags: dict[str, np.ndarray],
                  birth_dates: pa.Array | None = None, source: str = "") -> RowFacts | None:
        """What a batch says of its counted rows, before any key is stored or hashed.

        The rows counted are those flagged ``personal`` (or, without that flag, those holding
        any entity or key); for them: the flags (sensitive; minor from a birth date, from the
        date inside a resident-ID key or from an age), each namespace's present keys, and each
        entity's rows. Shared by this counter and the Spark engine, so that both count the same
        rows alike.
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
        minor = flags.get(MINOR_FLAG)
        if minor is not None:
            row_flags[_bool(minor, n, MINOR_FLAG, source)[selected]] |= MINOR
        present_keys: list[tuple[str, np.ndarray, pa.Array]] = []
        placeholders: list[tuple[str, pa.Array]] = []
        splits: list[list] = []
        holding: dict[str, np.ndarray] = {}  # per identity namespace, the rows holding one so far
        documents: list[tuple[str, np.ndarray]] = []  # (entity, rows) of rows split off for a document
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
            kept = column if present_np.all() else column.filter(present)
            rows = np.flatnonzero(present_np)
            groups = split_keys(kept)
            fake = _placeholders(kept, groups, self._not_keys)
            if fake.any():
                placeholders.append((namespace, kept.filter(pa.array(fake))))
                kept, rows = kept.filter(pa.array(~fake)), rows[~fake]
                if not len(rows):
                    continue
                groups = _drop(groups, fake)
            if namespace in self.identity:
                held = holding.setdefault(namespace, np.zeros(m, bool))
                second = held[rows]
                held[rows] = True
                if second.any():
                    # A second identity document of one kind in a row (a policyholder's, an
                    # insured's and a beneficiary's ID numbers on one row): each names a person
                    # of its own, counted as a row of its own after the batch's rows, with the
                    # row's sensitivity (a minor by its own number's date only) and its own
                    # entity. Two columns holding the same number are joined again by it.
                    own = np.arange(len(row_flags), len(row_flags) + int(second.sum()))
                    row_flags = np.concatenate([row_flags, row_flags[rows[second]] & ~np.uint8(MINOR)])
                    if f"entity:{namespace}" in flags:
                        documents.append((namespace, own))
                    rows = rows.copy()
                    rows[second] = own
            if namespace in BIRTH_DATE_IN_KEY:
                row_flags[rows[self._minor_from_groups(kept, groups)]] |= MINOR
            present_keys.append((namespace, rows, kept))
            splits.append(groups)
        entities = []
        for name, values in flags.items():
            if name.startswith("entity:"):
                hit = np.flatnonzero(_bool(values, n, name, source)[selected])
                extra = [own for entity, own in documents if entity == name[len("entity:"):]]
                if extra:
                    hit = np.concatenate([hit, *extra])
                if len(hit):
                    entities.append((name[len("entity:"):], hit))
        return RowFacts(len(row_flags), row_flags, present_keys, entities, placeholders, splits)

    def _minor_from_dates(self, birth_dates: pa.Array, n: int, source: str) -> np.ndarray:
        dates = birth_dates.combine_chunks() if isinstance(birth_dates, pa.ChunkedArray) else birth_dates
        if len(dates) != n:
            raise ValueError(f"{source or 'batch'}: birth_dates has {len(dates)} values, expected {n}")
        if not pa.types.is_date(dates.type):
            dates = dates.cast(pa.date32())
        ymd = pc.add(pc.add(pc.multiply(pc.year(dates), 10000), pc.multiply(pc.month(dates), 100)), pc.day(dates))
        return self._minor_ymd(ymd)

    def _minor_from_groups(self, ids: pa.Array, groups: list) -> np.ndarray:
        """Under 14 from the birth date inside resident-ID keys: read from the 18-digit keys'
        fixed-width form (digits 7–14 of the number) by integer arithmetic, from the text for
        any other key."""
        minor = np.zeros(len(ids), bool)
        rest = np.ones(len(ids), bool)
        for (kind, width), where, values in groups:
            if width == 18 and kind in (DIGITS, ID_WITH_X):
                # ``values`` holds all 18 digits (DIGITS) or the first 17 (ID_WITH_X).
                ymd = (values // np.uint64(10**4 if kind == DIGITS else 10**3)) % np.uint64(10**8)
                ymd = ymd.astype(np.int64)
                minor[where] = (ymd > self._minor_after_ymd) & (ymd <= self._scan_ymd)
                rest[where] = False
        if rest.any():
            at = np.flatnonzero(rest)
            minor[at] = self._minor_from_keys(ids.take(pa.array(at)))
        return minor

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

    def _roots(self) -> np.ndarray:
        """Each label's root under identity and group keys (full path compression, in place)."""
        parent = self._parent[:self._labels]
        # A slice at a time: a label's parent is smaller than the label, so once the slices
        # before it point at roots, one slice settles on its own.
        for start in range(0, len(parent), _SLICE):
            part = parent[start:start + _SLICE]
            while True:
                up = parent[part]
                if np.array_equal(up, part):
                    break
                part[:] = up
        return parent

    def _link(self) -> Linking:
        """Contacts linked under the rules of :mod:`scanner.persons.linking`, over every row added."""
        if self._linking is not None:
            return self._linking
        self._fold()
        roots = self._roots()
        # Which identity kinds each root holds: one mark per (root, kind), read back in the
        # order of roots then kinds (linear: no sort of the pairs).
        kind_codes: dict[int, int] = {}
        held_by: list[tuple[int, _SortedKeys]] = []
        for (namespace, _, _), space in self._spaces.items():
            kind = self.kind(namespace)
            if kind > 0:
                held_by.append((kind_codes.setdefault(kind, len(kind_codes)), space))
        n_kinds = max(len(kind_codes), 1)
        holds = np.zeros((self._labels, n_kinds), bool)
        for code, space in held_by:
            for _, labels in space.runs:
                holds[roots[labels], code] = True
        has_identity = holds.any(axis=1)
        ns = np.flatnonzero(holds)
        del holds
        pair_labels, pair_codes = _cat(self._pair_labels, np.int32), _cat(self._pair_codes, np.int32)
        repeated = distinct(pair_codes)
        self._linking = link_contacts(
            roots, has_identity, ns // n_kinds, ns % n_kinds,
            np.concatenate([pair_labels, self._first_label[repeated]]), np.concatenate([pair_codes, repeated]),
            max_identities=self.max_identities)
        return self._linking

    def _row_roots(self, node_label: np.ndarray | None = None) -> np.ndarray:
        """The person label of every counted row: its person's label for a row with a key;
        for a row without one, a label of its own (or -1 when the policy leaves it out).
        ``node_label`` (per label) replaces the linking's labels (for the range of the count)."""
        if self._row_root is not None and node_label is None:
            return self._row_root
        link = self._link()
        keyed = (self._row_flags() & _KEYED) != 0
        row_root = np.full(self._rows, -1, dtype=np.int32)
        # labels were handed out to keyed rows in row order
        row_root[keyed] = (link.label if node_label is None else node_label)[self._parent[:self._labels]]
        if self.keyless_policy == EACH_ROW_IS_A_PERSON:
            keyless = ~keyed
            row_root[keyless] = self._labels + np.arange(int(keyless.sum()), dtype=np.int32)
        if node_label is None:
            self._row_root = row_root
        return row_root

    def _quick_counts(self, *node_labels: np.ndarray | None) -> list[tuple[int, int]]:
        """Distinct persons and sensitive persons when each label's person is
        ``node_label[root]`` (the linking's labels for None), for each of ``node_labels``, from
        one array per label: keyed rows were given labels in row order, so no labelling of
        every row is made. Labellings that give every label the same person count once."""
        flags = self._row_flags()
        keyed = (flags & _KEYED) != 0
        flagged = (flags[keyed] & (SENSITIVE | MINOR)) != 0
        alone_personal = alone_sensitive = 0
        if self.keyless_policy == EACH_ROW_IS_A_PERSON:  # each keyless row a person of its own
            alone = flags[~keyed]
            alone_personal, alone_sensitive = len(alone), int(np.count_nonzero(alone & (SENSITIVE | MINOR)))
        roots = self._parent[:self._labels]
        mark = np.zeros(max(self._labels, 1), bool)
        out: list[tuple[int, int]] = []
        done: list[tuple[np.ndarray, tuple[int, int]]] = []
        for node_label in node_labels:
            person = (self._link().label if node_label is None else node_label)[roots]
            same = next((counts for seen, counts in done if np.array_equal(seen, person)), None)
            if same is None:
                mark[:] = False
                mark[person] = True
                personal = int(mark.sum())
                mark[:] = False
                mark[person[flagged]] = True
                same = (personal + alone_personal, int(mark.sum()) + alone_sensitive)
                done.append((person, same))
            out.append(same)
        return out

    def linking_report(self) -> dict[str, Any]:
        """How contacts linked the rows: see :class:`PersonCounts`'s ``linking``."""
        link = self._link()
        values = self._contact_values(link.shared)
        shared = [{"entity": values[c][0], "value": values[c][1], "identities": int(i), "rows": int(r)}
                  for c, i, r in zip(link.shared.tolist(), link.shared_identities.tolist(),
                                     link.shared_rows.tolist(), strict=True)]
        strict, lenient, apart = self._quick_counts(None, link.lenient_label, np.arange(self._labels, dtype=np.int32))
        return linking_summary(
            max_identities=self.max_identities, contact_merges=link.contact_merges, conflicts=link.conflicts,
            shared=shared, placeholders=self._placeholders, placeholder_rows=self._placeholder_rows,
            user_not_keys=len(self.not_keys), strict=strict, lenient=lenient, apart=apart)

    def _contact_values(self, codes: np.ndarray) -> dict[int, tuple[str, str]]:
        """Namespace and masked value of some contact codes."""
        found: dict[int, tuple[str, str]] = {}
        if not len(codes):
            return found
        for (namespace, kind, width), space in self._spaces.items():
            if self.kind(namespace) != CONTACT_KIND:
                continue
            for run_keys, run_labels in space.runs:
                hit = np.isin(run_labels, codes)
                if hit.any():
                    masked = mask_keys(join_keys((kind, width), run_keys[hit])).to_pylist()
                    for code, value in zip(run_labels[hit].tolist(), masked, strict=True):
                        found[code] = (namespace, value)
        return found

    def _label_count(self) -> int:
        """Labels of keyed rows (one per keyed row), then one per keyless row counted alone."""
        return self._labels + (self._rows - self._labels if self.keyless_policy == EACH_ROW_IS_A_PERSON else 0)

    def _row_subjects(self) -> np.ndarray:
        if not self._subject_runs:
            return np.zeros(0, np.int16)
        sizes = np.array([m for m, _ in self._subject_runs], dtype=np.int64)
        codes = np.array([c for _, c in self._subject_runs], dtype=np.int16)
        return np.repeat(codes, sizes)

    def _row_flags(self) -> np.ndarray:
        """The flags of every counted row (joined once, then kept joined)."""
        if len(self._flags) != 1:
            self._flags = [_cat(self._flags, np.uint8)]
        return self._flags[0]

    def _row_entities(self) -> Mapping[str, np.ndarray]:
        """Per entity, a bool per counted row: the row holds it (made when asked for)."""
        return _EntityRows(self._entity_bit, self._entity_bits)

    def result(self) -> PersonCounts:
        """The distinct persons of everything added so far (a copy: kept until a batch is added,
        since the verdict and the ledger both ask)."""
        if self._counts is None:
            self._counts = self._count()
        return copy.deepcopy(self._counts)

    def _count(self) -> PersonCounts:
        counts = _aggregate(self._row_roots(), self._label_count(),
                            self._row_subjects() if self._subjects else np.zeros(0, np.int16), self._row_flags(),
                            self._subjects, self._row_entities())
        counts.keyless_rows = self._rows - self._labels
        counts.keyless_policy = self.keyless_policy
        counts.rows = self._rows
        counts.linking = self.linking_report()
        return counts

    def person_table(self, hasher: KeyHasher) -> PersonTable:
        """The persons with each distinct key replaced by ``hasher(namespace, keys)``.

        One facet per (piece, subject role) with the OR of its rows' flags; the raw keys never
        leave this object. A piece is an identity group, or rows without identity linked among
        themselves; :func:`union_counts` links pieces into the persons :meth:`result` counts.
        The keys are hashed a million at a time in worker threads (Arrow's kernels and numpy
        release the GIL), while the facets are made.
        """
        from concurrent.futures import ThreadPoolExecutor

        # The table holds pieces (see Linking.piece_label): the union of tables links them into
        # persons as this counter does, and a later transfer never needs to split one. Pieces
        # are numbered 0..n-1 in order of their labels, from one array per label (labels were
        # handed out to keyed rows in row order); rows counted alone without a key come after.
        label_piece = self._link().piece_label[self._parent[:self._labels]]
        used = np.zeros(self._labels, dtype=bool)
        used[label_piece] = True
        new_id = np.cumsum(used, dtype=np.int32)
        del used
        new_id -= 1
        n_keyed = int(new_id[-1]) + 1 if self._labels else 0
        label_person = new_id[label_piece]
        del new_id, label_piece
        alone = self._rows - self._labels if self.keyless_policy == EACH_ROW_IS_A_PERSON else 0
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="chujing-table") as pool:
            facets = pool.submit(self._table_facets, label_person, n_keyed, alone)
            # Which keys are kept and by whom (integers only); then each space's distinct keys
            # are hashed straight into their rows of one block, and a contact's later holders
            # copy their rows from there: the digests are never held twice.
            kept, owners, kinds = self._table_keys(label_person)
            key_hash = np.empty((sum(len(o) for o in owners), HASH_BYTES), np.uint8)
            hashing, start = [], 0
            for (namespace, kind, width), extra in kept:
                keys, _ = self._spaces[(namespace, kind, width)].items()
                for lo in range(0, len(keys), _HASH_KEYS):
                    hashing.append(pool.submit(_hash_into, hasher, namespace, (kind, width), keys[lo:lo + _HASH_KEYS],
                                               key_hash[start + lo:start + min(lo + _HASH_KEYS, len(keys))]))
                start += len(keys) + (0 if extra is None else len(extra))
            facet_person, facet_subject, facet_flags, entity_facets = facets.result()
            for done in hashing:
                done.result()
        items = key_hash.view(np.dtype("V16")).reshape(-1)  # a row as one item: gathers 8 times faster
        start = 0
        for (namespace, kind, width), extra in kept:
            n = len(self._spaces[(namespace, kind, width)])
            if extra is not None:
                np.take(items[start:start + n], extra, out=items[start + n:start + n + len(extra)])
                n += len(extra)
            start += n
        return PersonTable(
            n_persons=n_keyed + alone,
            key_hash=key_hash,
            key_person=(np.concatenate(owners) if owners else np.zeros(0)).astype(np.int32),
            facet_person=facet_person,
            facet_subject=facet_subject,
            facet_flags=facet_flags,
            entity_facets=entity_facets,
            subjects=list(self._subjects),
            keyless_rows=self._rows - self._labels,
            keyless_policy=self.keyless_policy,
            rows=self._rows,
            key_kind=_cat(kinds, np.int32),
        )

    def _table_facets(self, label_person: np.ndarray, n_keyed: int,
                      alone: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """The person table's facets: person, subject, flags and, per entity, the facets holding
        it. Without subject roles a person's one facet is the person itself (every person has a
        row), so no facet numbering of the rows is made."""
        flags = self._row_flags()
        keyed = (flags & _KEYED) != 0
        n_persons = n_keyed + alone
        row_facet = np.full(self._rows, -1, dtype=np.int32)  # the person of each row, then its facet
        row_facet[keyed] = label_person
        if alone:
            row_facet[~keyed] = np.arange(n_keyed, n_persons, dtype=np.int32)
        del keyed
        if not self._subjects:
            facet_person = np.arange(n_persons, dtype=np.int32)
            facet_subject = np.full(n_persons, -1, dtype=np.int16)
        else:
            n_subjects = len(self._subjects) + 1
            facet_code = row_facet.astype(np.int64) * n_subjects + (self._row_subjects().astype(np.int64) + 1)
            facet_code[row_facet < 0] = -1
            unique_codes, row_facet = distinct(facet_code, return_inverse=True)
            del facet_code
            if len(unique_codes) and unique_codes[0] == -1:  # rows left out by the policy
                unique_codes = unique_codes[1:]
                row_facet -= 1
            facet_person = (unique_codes // n_subjects).astype(np.int32)
            facet_subject = ((unique_codes % n_subjects) - 1).astype(np.int16)
        facet_flags = np.zeros(len(facet_person), dtype=np.uint8)
        for bit in (SENSITIVE, MINOR):
            f = row_facet[(flags & bit) != 0]
            facet_flags[f[f >= 0]] |= bit
        entity_facets = {}
        for entity, rows in self._row_entities().items():
            f = row_facet[rows]
            entity_facets[entity] = distinct(f[f >= 0]).astype(np.int32)
        return facet_person, facet_subject, facet_flags, entity_facets

    def _table_keys(self, label_person: np.ndarray):
        """Which keys the person table keeps, space by space in order, and by whom: ``(space,
        extra)``, the owners and the kinds. Each distinct key is kept once, in its space's order;
        a contact is kept once more for each other person holding it (a shared one by each of
        them): ``extra`` says which of the space's keys those rows repeat (None: no repeat).
        Later holders are found by code, through one array per contact code (codes are 0..n-1)."""
        pair_labels, pair_codes = _cat(self._pair_labels, np.int32), _cat(self._pair_codes, np.int32)
        space_ids = sorted(self._spaces)
        contact = [s for s in space_ids if self.kind(s[0]) == CONTACT_KIND]
        space_of = np.full(self._contacts, -1, dtype=np.int32)
        place = np.zeros(self._contacts, dtype=np.int32)
        for number, space_id in enumerate(contact):
            codes = _cat([v for _, v in self._spaces[space_id].runs], np.int32)
            space_of[codes] = number
            place[codes] = np.arange(len(codes), dtype=np.int32)
        # The pairs grouped by their contact's space.
        pair_space = space_of[pair_codes]
        by_space = np.argsort(pair_space, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(pair_space, minlength=len(contact)))])
        del pair_space, space_of
        kept: list[tuple[tuple[str, str, int], np.ndarray | None]] = []
        owners, kinds = [], []
        number = 0
        for space_id in space_ids:
            labels = _cat([v for _, v in self._spaces[space_id].runs], np.int32)
            key_kind = self.kind(space_id[0])
            if key_kind != CONTACT_KIND:
                kept.append((space_id, None))
                owners.append(label_person[labels])
                kinds.append(np.full(len(labels), key_kind, np.int32))
                continue
            owner = label_person[self._first_label[labels]]
            pairs = by_space[bounds[number]:bounds[number + 1]]
            number += 1
            extra = None
            at, holder = place[pair_codes[pairs]], label_person[pair_labels[pairs]]
            other = owner[at] != holder  # most later holders are the first holder's person
            if other.any():
                held = _distinct_pairs(at[other], holder[other])
                extra, owner = held[0], np.concatenate([owner, held[1]])
            kept.append((space_id, extra))
            owners.append(owner)
            kinds.append(np.full(len(owner), CONTACT_KIND, np.int32))
        return kept, owners, kinds


# Keys hashed at a time by one task of the person table (bounded text and digest temporaries).
_HASH_KEYS = 1 << 20


def _hash_into(hasher: KeyHasher, namespace: str, space: tuple[str, int], values: np.ndarray, out: np.ndarray) -> None:
    """Hash some of a space's keys (as canonical text) into ``out``, their rows of the table."""
    kind, width = space
    if kind == DIGITS and int(values.min()) >= 10 ** (width - 1):  # no leading zero to pad (phones, IDs)
        canonical = pa.array(values, pa.uint64()).cast(pa.large_string())
    else:
        canonical = join_keys(space, values)
    digest = np.asarray(hasher(namespace, canonical), dtype=np.uint8)
    if digest.shape != (len(canonical), HASH_BYTES):
        raise ValueError(f"key hasher returned shape {digest.shape}, expected ({len(canonical)}, {HASH_BYTES})")
    out[:] = digest

@dataclass
class _United:
    """Persons of several tables linked together (see :func:`_unite`)."""

    tables: list[PersonTable]
    person_offsets: np.ndarray
    labels: np.ndarray  # per person of the tables: the label of the person it is part of
    codes: np.ndarray  # per key of the tables: the code of its hash
    owners: np.ndarray  # per key: its person (offset)
    kinds: np.ndarray  # per key
    unique_hashes: np.ndarray  # per code
    link: Linking


def _unite(tables: list[PersonTable], max_identities: int) -> _United:
    tables = [t for t in tables if t is not None]
    n_persons = sum(t.n_persons for t in tables)
    person_offsets = np.cumsum([0] + [t.n_persons for t in tables])
    # Key hashes → integer codes (one code per distinct hash, in byte order), from one sort of
    # plain integers (Arrow's hash kernel on 16-byte values was slower: 11.3 s of CPU against
    # 10.1 s for this whole union of two 8 M-key tables).
    from scanner.persons.keyed_hash import hash_order

    all_hashes = np.concatenate([t.key_hash for t in tables]) if tables else np.zeros((0, HASH_BYTES), np.uint8)
    all_hashes = np.ascontiguousarray(all_hashes, dtype=np.uint8).reshape(-1, HASH_BYTES)
    n_keys = len(all_hashes)
    codes, n_codes, unique_hashes = np.zeros(0, np.int64), 0, np.zeros((0, HASH_BYTES), np.uint8)
    if n_keys:
        order = hash_order(all_hashes)
        ordered = all_hashes.view(np.dtype("V16")).reshape(-1)[order]  # a hash as one item: fast gathers
        words = ordered.view(np.uint64).reshape(-1, 2)
        first = np.empty(n_keys, bool)
        first[0] = True
        np.not_equal(words[1:, 0], words[:-1, 0], out=first[1:])
        first[1:] |= words[1:, 1] != words[:-1, 1]
        codes = np.empty(n_keys, np.int64)
        codes[order] = np.cumsum(first) - 1
        unique_hashes = ordered[first].view(np.uint8).reshape(-1, HASH_BYTES)
        n_codes = len(unique_hashes)
        del order, ordered, words, first
    owners = np.concatenate([t.key_person.astype(np.int64) + off for t, off in zip(tables, person_offsets, strict=False)]) \
        if tables else np.zeros(0, np.int64)
    kinds = _cat([t.kinds() for t in tables], np.int32)
    linked = kinds != CONTACT_KIND
    comp = components(n_persons + n_codes, owners[linked], codes[linked] + n_persons)[:n_persons]
    id_root = np.full(len(comp) and int(comp.max()) + 1, n_persons, np.int64)  # smallest person of each
    np.minimum.at(id_root, comp, np.arange(n_persons, dtype=np.int64))
    id_root = id_root[comp]
    identity = kinds > 0
    has_identity = np.zeros(n_persons, bool)
    has_identity[id_root[owners[identity]]] = True
    kind_values, kind_code = distinct(kinds[identity], return_inverse=True)
    width = max(len(kind_values), 1)
    ns = distinct(id_root[owners[identity]] * width + kind_code)
    contact = ~linked
    link = link_contacts(id_root, has_identity, ns // width, ns % width, owners[contact], codes[contact],
                         max_identities=max_identities)
    return _United(tables, person_offsets, link.label, codes, owners, kinds, unique_hashes, link)


def union_counts(tables: list[PersonTable], keyless_policy: str | None = None,
                 max_identities: int = DEFAULT_MAX_IDENTITIES) -> PersonCounts:
    """Distinct persons over several tables (transfers), linked by the rules of a scan
    (:mod:`scanner.persons.linking`): persons sharing an identity or group key hash are one; contacts
    link unless shared by more than ``max_identities`` identities or joining two identities of
    one kind. Tables without key kinds (older ledgers) hold contacts only.

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
    united = _unite(tables, max_identities)
    tables, labels = united.tables, united.labels
    subjects: list[str] = []
    facet_labels, facet_subjects, facet_flags = [], [], []
    entity_facets: dict[str, list[np.ndarray]] = {}
    facet_offset = 0
    for t, off in zip(tables, united.person_offsets, strict=False):
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
    counts.linking = {"max_identities": max_identities, **united.link.summary()}
    if keyless_policy is not None:
        counts.keyless_policy = keyless_policy
    elif tables:
        counts.keyless_policy = tables[-1].keyless_policy
    return counts


def union_table(tables: list[PersonTable], max_identities: int = DEFAULT_MAX_IDENTITIES) -> PersonTable:
    """One table of the persons of several, linked as :func:`union_counts` links them (each
    distinct key hash kept once per person holding it, with its kind)."""
    united = _unite(tables, max_identities)
    tables = united.tables
    _, person = distinct(united.link.piece_label, return_inverse=True)
    n_persons = int(person.max()) + 1 if len(person) else 0
    key_person = person[united.owners] if len(united.owners) else np.zeros(0, np.int64)
    held = _distinct_pairs(united.codes, key_person)
    kind_of_code = np.zeros(len(united.unique_hashes), np.int32)
    kind_of_code[united.codes] = united.kinds
    subjects: list[str] = []
    facet_person, facet_subject, facet_flags = [], [], []
    entity_facets: dict[str, list[np.ndarray]] = {}
    facet_offset = 0
    for t, off in zip(tables, united.person_offsets, strict=False):
        remap = np.array([_index_of(subjects, s) for s in t.subjects] + [-1], dtype=np.int16)
        facet_person.append(person[t.facet_person.astype(np.int64) + off])
        facet_subject.append(remap[t.facet_subject])
        facet_flags.append(t.facet_flags)
        for e, idx in t.entity_facets.items():
            entity_facets.setdefault(e, []).append(idx.astype(np.int64) + facet_offset)
        facet_offset += len(t.facet_person)
    return PersonTable(
        n_persons=n_persons, key_hash=united.unique_hashes[held[0]].copy(), key_person=held[1].astype(np.int32),
        facet_person=_cat(facet_person, np.int64).astype(np.int32), facet_subject=_cat(facet_subject, np.int16),
        facet_flags=_cat(facet_flags, np.uint8),
        entity_facets={e: np.concatenate(p).astype(np.int32) for e, p in entity_facets.items()},
        subjects=subjects, keyless_rows=sum(t.keyless_rows for t in tables),
        keyless_policy=tables[-1].keyless_policy if tables else EACH_ROW_IS_A_PERSON,
        rows=sum(t.rows for t in tables), key_kind=kind_of_code[held[0]])


# -- helpers ------------------------------------------------------------------------------------


def tally_placeholders(tally: dict[tuple[str, str], int], placeholders: list[tuple[str, pa.Array]]) -> int:
    """Add a batch's placeholder values to ``tally`` ((namespace, masked value) → rows; at most
    a few dozen values are kept by name) and return how many there were."""
    rows = 0
    for namespace, values in placeholders:
        rows += len(values)
        counts = pc.value_counts(values)
        order = pa.array(np.argsort(-counts.field(1).to_numpy(zero_copy_only=False), kind="stable")[:LISTED])
        masked = mask_keys(counts.field(0).take(order)).to_pylist()
        for value, n in zip(masked, counts.field(1).take(order).to_pylist(), strict=True):
            key = (namespace.split("#", 1)[0], value)
            if key in tally or len(tally) < 4 * LISTED:
                tally[key] = tally.get(key, 0) + int(n)
    return rows


def linking_summary(*, max_identities: int, contact_merges: int, conflicts: int, shared: list[dict[str, Any]],
                    placeholders: dict[tuple[str, str], int], placeholder_rows: int, user_not_keys: int,
                    strict: tuple[int, int], lenient: tuple[int, int], apart: tuple[int, int]) -> dict[str, Any]:
    """``persons.linking`` of a report, in one order whichever engine counted."""
    listed = sorted(shared, key=lambda s: (-s["identities"], -s["rows"], s["entity"], s["value"]))[:LISTED]
    held = sorted(placeholders.items(), key=lambda kv: (-kv[1], kv[0]))[:LISTED]
    return {
        "max_identities": max_identities,
        "contact_merges": int(contact_merges),
        "conflicts": int(conflicts),
        "shared_contacts": listed,
        "shared_contacts_total": len(shared),
        "placeholders": [{"entity": e, "value": v, "rows": n} for (e, v), n in held],
        "placeholder_rows": int(placeholder_rows),
        "user_not_keys": user_not_keys,
        "range": {"personal": [int(lenient[0]), int(apart[0])], "sensitive": [int(lenient[1]), int(apart[1])]},
        "strict": {"personal": int(strict[0]), "sensitive": int(strict[1])},
    }


def _placeholders(keys: pa.Array, groups: list, not_keys: pa.Array) -> np.ndarray:
    """Which keys are placeholders (see :func:`scanner.persons.linking.placeholder_mask`), decided on
    their fixed-width form: digit strings by a lookup among the few placeholders of their width,
    addresses at a common mail domain by their local part, only other text by the pattern."""
    fake = np.zeros(len(keys), bool)
    for (kind, width), where, values in groups:
        if kind == DIGITS:
            fake[where] = _among_digit_placeholders(values, width)
        elif kind.startswith(BYTES + "@"):
            fake[where] = np.isin(values, np.array([p.encode() for p in MAIL_LOCAL_PLACEHOLDERS if len(p) == width],
                                                   dtype=f"S{width}"))
        elif kind == BYTES:
            fake[where] = placeholder_mask(keys.take(pa.array(where)))
    if len(not_keys):
        fake |= placeholder_mask(keys, not_keys)
    return fake


@functools.cache
def _digit_placeholder_table(width: int) -> tuple[np.ndarray, np.ndarray]:
    """The placeholders of ``width`` digits (sorted) and a bool per hash slot: slots that hold one."""
    table = digit_placeholders(width)
    slots = np.zeros(1 << 16, bool)
    slots[_slot16(table)] = True
    return table, slots


def _slot16(values: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return ((values * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(48)).astype(np.intp)


def _among_digit_placeholders(values: np.ndarray, width: int) -> np.ndarray:
    """Which digit keys (uint64) are placeholders: a hash slot rules out nearly every real key
    at once; the few left are looked up among the placeholders."""
    table, slots = _digit_placeholder_table(width)
    fake = np.zeros(len(values), bool)
    if not len(table):
        return fake
    maybe = np.flatnonzero(slots[_slot16(values)])
    if len(maybe):
        candidates = values[maybe]
        fake[maybe] = table[np.minimum(np.searchsorted(table, candidates), len(table) - 1)] == candidates
    return fake


def _drop(groups: list, fake: np.ndarray) -> list:
    """``split_keys`` groups without the keys marked ``fake`` (positions renumbered)."""
    position = np.cumsum(~fake) - 1
    out = []
    for space, where, values in groups:
        keep = ~fake[where]
        if keep.any():
            out.append((space, position[where[keep]], values[keep]))
    return out


def _unchanged(labels: np.ndarray) -> None:
    """A contact space's values are codes, not union-find labels: nothing to refresh."""


def _aggregate(facet_label: np.ndarray, n_labels: int, facet_subject: np.ndarray, facet_flags: np.ndarray,
               subjects: list[str], entity_facets: Mapping[str, np.ndarray]) -> PersonCounts:
    """Counts from facets (rows, or per-person-per-subject records) labelled by person.

    ``facet_label`` < 0 marks a facet that is not counted. ``entity_facets`` gives, per entity,
    the facets holding it: as indices, or as a bool per facet.
    """
    def persons(where: np.ndarray | None = None) -> np.ndarray:
        # A slice at a time, so that no temporary is as large as the facets.
        mark = np.zeros(n_labels, dtype=bool)
        size = len(facet_label) if where is None or where.dtype == bool else len(where)
        for start in range(0, size, _SLICE):
            if where is None:
                labels = facet_label[start:start + _SLICE]
            elif where.dtype == bool:
                labels = facet_label[start:start + _SLICE][where[start:start + _SLICE]]
            else:
                labels = facet_label[where[start:start + _SLICE]]
            mark[labels[labels >= 0]] = True
        return mark

    everyone = persons()
    minor = persons((facet_flags & MINOR) != 0)
    sensitive = persons((facet_flags & SENSITIVE) != 0) | minor
    roles = [facet_subject == code for code in range(len(subjects))]
    by_entity: dict[str, int] = {}
    role_entities: list[dict[str, int]] = [{} for _ in subjects]
    for e, idx in entity_facets.items():  # each entity's facets are made once (they may be computed)
        by_entity[e] = int(persons(idx).sum())
        for code, in_role in enumerate(roles):
            role_entities[code][e] = int(persons(_where(idx, in_role)).sum())
    by_subject: dict[str, dict[str, Any]] = {}
    for code, name in enumerate(subjects):
        in_role = roles[code]
        role_persons = persons(in_role)
        role_sensitive = (persons(in_role & ((facet_flags & SENSITIVE) != 0)) | minor) & role_persons
        by_subject[name] = {
            "personal": int(role_persons.sum()),
            "sensitive": int(role_sensitive.sum()),
            "by_entity": role_entities[code],
        }
    return PersonCounts(personal=int(everyone.sum()), sensitive=int(sensitive.sum()), by_entity=by_entity,
                        by_subject=by_subject, minors=int(minor.sum()))


def _where(facets: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Those of ``facets`` (indices, or a bool per facet) where ``mask`` (a bool per facet) holds."""
    return facets & mask if facets.dtype == bool else facets[mask[facets]]


# A fold's spaces run two at a time only when at least two hold this many keys (a thread costs
# more than a small space's work).
_PAIR_KEYS = 1 << 16


def _in_pairs(work: Callable[[int], Any], sizes: list[int]) -> list:
    """``[work(k) for k in range(len(sizes))]``, two at a time in threads when two or more of
    the sizes are large (see ``_PAIR_KEYS``); the results in order either way."""
    if sum(size >= _PAIR_KEYS for size in sizes) < 2:
        return [work(k) for k in range(len(sizes))]
    from concurrent.futures import ThreadPoolExecutor

    order = sorted(range(len(sizes)), key=lambda k: -sizes[k])  # the largest first: the two threads end together
    out: list = [None] * len(sizes)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="chujing-fold") as pool:
        for k, result in zip(order, pool.map(work, order), strict=True):
            out[k] = result
    return out


def _unique_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct values (sorted), a position holding each, and each value's index among
    them: ``np.unique(values, return_index=True, return_inverse=True)`` through one unstable
    sort (the position is *a* holder, not the first: any holder will do for the counter)."""
    order = sort_order(values)
    ordered = values[order]
    start = np.empty(len(values), bool)
    start[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=start[1:])
    inverse = np.empty(len(values), np.int32)
    inverse[order] = np.cumsum(start) - 1
    return ordered[start], order[start], inverse


def _distinct_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The distinct pairs ``(a[i], b[i])`` of two non-negative integer arrays, as a (2, n)
    array sorted by ``a`` then ``b`` (``np.unique(np.stack([a, b]), axis=1)``, without its
    row-wise sort)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    if not len(a):
        return np.zeros((2, 0), np.int64)
    width = int(b.max()) + 1
    pairs = distinct(a * width + b)
    return np.stack([pairs // width, pairs % width])


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
