"""Which rows are one person: identity documents, contacts, shared contacts and placeholders.

A person key is of one of three kinds:

* an **identity** document (resident ID and residence permits, passports, HK/Macao/Taiwan
  permits, foreigner PR ID, social security card, licence file number: ``Detector.identity``)
  names one person. Rows holding the same identity value are one person, always.
* a **contact** or account (mobile, landline, e-mail, bank card, WeChat or QQ, the columns a
  user names with ``--person-key``) usually names one person but is shared in real data: a
  family phone, a company switchboard, ``noreply@company.com``.
* a **group** key (``keyless_by:…``: the VIN, plate or device of rows that hold no person key)
  gathers the rows of one vehicle or device; it links unconditionally, and only rows without
  person keys hold one.

Contacts link only where linking cannot be wrong in the lenient direction:

1. A known placeholder (13800138000, 11111111111, sequential digits, ``noreply@``, example
   domains, all-zero device ids, the user's ``not_keys``) is no key at all: see
   :func:`placeholder_mask`.
2. A contact held by more than ``max_identities`` distinct identities is *shared*: it links
   nothing (a switchboard, a placeholder nobody listed).
3. Contacts that would join two different values of one identity kind (two resident ID
   numbers on one family phone, even through a chain of contacts) are *conflicting*: within
   such a cluster no identity is linked through a contact; rows without any identity are still
   linked among themselves by the contacts they share, and stand as a person of their own.

Every rule is decided on the whole set of rows (after all batches and files were read), so the
same rows in any order, split over any files, give the same persons. :func:`link_contacts` is
the one implementation used by the scan's counter and by the ledger's union of transfers.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DEFAULT_MAX_IDENTITIES",
    "components",
    "Linking",
    "link_contacts",
    "mask_key",
    "mask_keys",
    "placeholder_mask",
    "sort_order",
]

# A contact held by more than this many distinct identities is shared and links nothing.
DEFAULT_MAX_IDENTITIES = 3

# Shared contacts and placeholders listed by name in a report (the totals count them all).
LISTED = 20

# Placeholder values (one RE2 pattern, case-insensitive, a single pass over each key): repeated
# characters (11111111111, 000000000000000, ff:ff:ff:ff:ff:ff); mobiles whose last eight digits
# are one digit repeated or a run (13900000000, 13812345678); well-known ones (13800138000); any
# run of 6+ digits inside 0123456789(0…) or its reverse (12345678901, 9876543210); e-mail
# addresses no person reads (no-reply senders, test accounts, RFC 2606/6761 domains).
_REPEATED = "|".join(f"(?:{c}[-.: ]?){{3,}}{c}" for c in "0123456789abcdefx")
_MOBILE_TAIL = ("1[3-9][0-9](?:" + "|".join(c * 8 for c in "0123456789")
                + "|12345678|23456789|01234567|87654321|98765432|76543210)")
_KNOWN = ("13800138000", "13800000000", "01234567890", "4000000000", "4008000000", "123456", "na", "n/a",
          "null", "none", "unknown", "test", "nil", "-")
_UP, _DOWN = "01234567890123456789", "98765432109876543210"
_SEQUENTIAL = tuple(sorted({s[i:i + n] for s in (_UP, _DOWN) for n in range(6, 21) for i in range(0, len(s) - n + 1)}))
_MAIL_PLACEHOLDER = (r"^(?:no-?_?reply|do-?_?not-?_?reply|noreplies|test|tester|testing|example|nobody|null|none|"
                     r"invalid|unknown|dummy|fake|sample)@|@(?:[^@]*\.)?(?:example\.(?:com|net|org)|localhost)$"
                     r"|@[^@]*\.(?:example|invalid|test|localhost)$|@(?:test|example)$")
_PLACEHOLDER = ("(?i)^(?:" + "|".join([_REPEATED, _MOBILE_TAIL, *(re.escape(k) for k in _KNOWN), *_SEQUENTIAL])
                + ")$|" + _MAIL_PLACEHOLDER)
_SEPARATORS = r"[\s\-.:_]+"


def _normal(values: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(pc.utf8_lower(values), _SEPARATORS, "")


def placeholder_mask(values: pa.Array, not_keys: pa.Array | None = None) -> np.ndarray:
    """True where a key is a placeholder that names nobody (one RE2 pass: linear time).

    >>> placeholder_mask(pa.array(["13800138000", "13912345678", "13900000000", "13912345679",
    ...     "NOREPLY@shop.cn", "li.wei@example.com", "a@b.cn", "000000000000000", "12345678901",
    ...     "00:00:00:00:00:00", "FFFFFFFFFFFF", "E12345678"])).tolist()
    [True, True, True, False, True, True, False, True, True, True, True, False]
    >>> placeholder_mask(pa.array(["W1-000", "w1000"]), not_keys=normal_not_keys(["w1 000"])).tolist()
    [True, True]
    """
    if len(values) == 0:
        return np.zeros(0, bool)
    hit = pc.match_substring_regex(values, _PLACEHOLDER)
    if not_keys is not None and len(not_keys):
        hit = pc.or_(hit, pc.is_in(_normal(values), value_set=not_keys))
    return hit.fill_null(False).to_numpy(zero_copy_only=False)


# Local parts of e-mail placeholders, for addresses kept without their (common) domain.
MAIL_LOCAL_PLACEHOLDERS = ("noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "noreplies",
                           "test", "tester", "testing", "example", "nobody", "null", "none", "invalid", "unknown",
                           "dummy", "fake", "sample")


@functools.cache
def digit_placeholders(width: int) -> np.ndarray:
    """The placeholders among digit strings of ``width`` digits, as sorted uint64 (the form
    :func:`scanner.persons.counter.split_keys` keeps them in): the digit part of :func:`placeholder_mask`.

    >>> 13800138000 in digit_placeholders(11), 13912345678 in digit_placeholders(11)
    (True, True)
    """
    values = {c * width for c in "0123456789"} if width >= 4 else set()
    values |= {s for s in _SEQUENTIAL + _KNOWN if len(s) == width and s.isdigit()}
    if width == 11:
        tails = [c * 8 for c in "0123456789"] + ["12345678", "23456789", "01234567", "87654321", "98765432", "76543210"]
        values |= {f"1{a}{b}{t}" for a in "3456789" for b in "0123456789" for t in tails}
    return np.array(sorted(int(v) for v in values), dtype=np.uint64)


def normal_not_keys(values: list[str] | tuple[str, ...]) -> pa.Array:
    """The user's placeholder values in the form :func:`placeholder_mask` compares."""
    return _normal(pa.array([str(v) for v in values], pa.string()))


def mask_key(value: str) -> str:
    """A key as a report may show it: never whole.

    >>> mask_key("13800138000"), mask_key("noreply@company.com"), mask_key("W1234"), mask_key("ab")
    ('138****8000', 'n******@company.com', 'W1***', '**')
    """
    if "@" in value:
        local, _, domain = value.rpartition("@")
        return (local[:1] + "*" * max(len(local) - 1, 1)) + "@" + domain
    n = len(value)
    if n >= 10:
        return value[:3] + "*" * (n - 7) + value[-4:]
    if n >= 4:
        return value[:2] + "*" * (n - 2)
    return "*" * n


def mask_keys(values: pa.Array) -> pa.Array:
    """:func:`mask_key` on a whole array (Arrow kernels, no loop per value).

    >>> keys = ["13800138000", "noreply@company.com", "W1234", "ab", "张三@例子.中国", "a@b@c.cn", ""]
    >>> mask_keys(pa.array(keys)).to_pylist() == [mask_key(k) for k in keys]
    True
    """
    values = values.cast(pa.string()) if not pa.types.is_string(values.type) else values
    n = pc.utf8_length(values)
    star = pa.scalar("*")
    parts = pc.split_pattern(values, "@", max_splits=1, reverse=True)
    mail = pc.greater(pc.list_value_length(parts), 1)
    local = pc.list_element(pc.if_else(mail, parts, pa.array([["", ""]] * len(values), parts.type)), 0)
    domain = pc.list_element(pc.if_else(mail, parts, pa.array([["", ""]] * len(values), parts.type)), 1)
    local_stars = pc.binary_repeat(star, pc.max_element_wise(pc.subtract(pc.utf8_length(local), 1), 1))
    masked_mail = pc.binary_join_element_wise(pc.utf8_slice_codeunits(local, 0, 1), local_stars, "@", domain, "")
    long_ = pc.binary_join_element_wise(pc.utf8_slice_codeunits(values, 0, 3),
                                        pc.binary_repeat(star, pc.max_element_wise(pc.subtract(n, 7), 0)),
                                        pc.utf8_slice_codeunits(values, -4), "")
    middle = pc.binary_join_element_wise(pc.utf8_slice_codeunits(values, 0, 2),
                                         pc.binary_repeat(star, pc.max_element_wise(pc.subtract(n, 2), 0)), "")
    short = pc.binary_repeat(star, n)
    plain = pc.if_else(pc.greater_equal(n, 10), long_, pc.if_else(pc.greater_equal(n, 4), middle, short))
    return pc.if_else(mail, masked_mail, plain)


@dataclass
class Linking:
    """How contacts linked the nodes (rows, or persons of several transfers)."""

    label: np.ndarray  # per node: the smallest node of its person
    contact_merges: int = 0  # persons fewer than if no contact linked
    conflicts: int = 0  # clusters of contacts holding two values of one identity kind: kept apart
    shared: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # shared contact codes
    shared_identities: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    shared_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    lenient_label: np.ndarray | None = None  # per node, when every contact links (shared, conflicting)
    # Per node, the *piece* it belongs to: an identity group alone, or nodes without identity
    # linked among themselves. A later transfer can join pieces but never needs to split one
    # (conflicts never split identity-free nodes), so the ledger stores pieces, not persons.
    piece_label: np.ndarray | None = None

    def summary(self) -> dict[str, Any]:
        return {"contact_merges": self.contact_merges, "conflicts": self.conflicts,
                "shared_contacts_total": len(self.shared)}


def link_contacts(id_root: np.ndarray, has_identity: np.ndarray, ns_node: np.ndarray, ns_code: np.ndarray,
                  c_node: np.ndarray, c_code: np.ndarray, c_rows: np.ndarray | None = None,
                  max_identities: int = DEFAULT_MAX_IDENTITIES) -> Linking:
    """Link nodes through contacts under the rules of this module.

    ``id_root[i]``: the node's identity component (the smallest node linked to it by identity
    and group keys; ``id_root[r] == r`` for a root). ``has_identity[r]``: root ``r`` holds an
    identity document. ``(ns_node, ns_code)``: each identity kind a root holds (distinct pairs).
    ``(c_node, c_code)``: contact holdings (node, contact code); duplicates are allowed, and a
    contact held by one node only may be left out. ``c_rows``: rows behind each holding (for
    the report; defaults to one). Returns each node's person label (a node number).

    >>> root = np.arange(5); ident = np.array([1, 1, 0, 1, 0], bool)
    >>> # nodes 0 and 1 hold different resident IDs (kind 7) and one phone (code 0);
    >>> # node 2 has that phone only; node 3 (passport, kind 8) and 4 share e-mail 1.
    >>> L = link_contacts(root, ident, np.array([0, 1, 3]), np.array([7, 7, 8]),
    ...                   np.array([0, 1, 2, 3, 4]), np.array([0, 0, 0, 1, 1]))
    >>> L.label.tolist(), L.conflicts, L.contact_merges
    ([0, 1, 2, 3, 3], 1, 1)
    """
    n = len(id_root)
    label = id_root.astype(np.int32)  # node numbers fit in int32 (the counter's labels do)
    out = Linking(label=label, lenient_label=label, piece_label=label)
    if not len(c_node):
        return out
    codes, code = distinct(c_code, return_inverse=True)
    n_codes = len(codes)
    # Holdings are many (a row per contact held by several): temporaries are made one at a time.
    if c_rows is None:
        rows_of = np.bincount(code, minlength=n_codes).astype(np.int64)
    else:
        rows_of = np.bincount(code, weights=np.asarray(c_rows, np.float64), minlength=n_codes).astype(np.int64)
    pair = code
    del code
    pair *= n
    pair += id_root[c_node]
    pair = distinct(pair)
    p_code, p_node = pair // n, pair % n
    del pair
    holders = np.bincount(p_code, minlength=n_codes)
    identities = np.bincount(p_code[has_identity[p_node]], minlength=n_codes)
    shared = identities > max_identities
    out.shared = codes[shared]
    out.shared_identities = identities[shared]
    out.shared_rows = rows_of[shared]
    links = holders >= 2
    keep = links[p_code]
    p_code, p_node = p_code[keep], p_node[keep]
    if not len(p_node):
        return out
    # Work on the nodes that take part only: compact them to 0..k-1, contacts after them.
    nodes, local = distinct(p_node, return_inverse=True)
    k = len(nodes)
    contact_local = k + p_code

    def persons(use: np.ndarray) -> np.ndarray:
        comp = components(k + n_codes, local[use], contact_local[use])[:k]
        # Name each component by its smallest node (a stable, order-free name).
        smallest = np.full(k + n_codes, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(smallest, comp, nodes)
        return smallest[comp]

    # Labels are decided for the roots in play, then every node follows its root.
    lenient = label.copy()
    lenient[nodes] = persons(np.ones(len(p_node), bool))
    out.lenient_label = lenient[label]
    strict_use = ~shared[p_code]
    piece = label.copy()
    piece[nodes] = persons(strict_use & ~has_identity[p_node])
    out.piece_label = piece[label]
    cluster = persons(strict_use)
    # Conflicts: a cluster with two roots holding the same identity kind.
    node_cluster = np.full(n, -1, np.int64)
    node_cluster[nodes] = cluster
    in_play = node_cluster[ns_node] >= 0
    if in_play.any():
        n_kinds = int(ns_code.max()) + 1
        cluster_kind, per = np.unique(node_cluster[ns_node[in_play]] * n_kinds + ns_code[in_play], return_counts=True)
        bad = distinct(cluster_kind[per >= 2] // n_kinds)
    else:
        bad = np.zeros(0, np.int64)
    out.conflicts = len(bad)
    if len(bad):
        conflicted = np.isin(cluster, bad)
        # In a conflicted cluster, identities are not linked through contacts; identity-free
        # nodes are still linked among themselves.
        drop = conflicted[local] & has_identity[p_node]
        cluster = persons(strict_use & ~drop)
    final = label.copy()
    final[nodes] = cluster
    out.label = final[label]
    out.contact_merges = int(len(nodes) - len(distinct(cluster)))
    return out


def distinct(values: np.ndarray, return_inverse: bool = False):
    """``np.unique`` of an integer array, sorted; with ``return_inverse``, also each value's
    position among them.

    numpy 2.3+ answers a plain ``np.unique`` through a hash set that is ~50 times slower than a
    sort on millions of integers (14 s against 0.3 s for 5 M values here), and ``return_inverse``
    through a stable argsort. Values in a range not much wider than their number (labels, codes,
    node numbers: nearly always here) are marked in a bool table instead (linear time); others
    are sorted.

    >>> distinct(np.array([5, 3, 5, 9]))
    array([3, 5, 9])
    >>> [a.tolist() for a in distinct(np.array([5, 3, 5, -9]), return_inverse=True)]
    [[-9, 3, 5], [2, 1, 2, 0]]
    """
    values = np.asarray(values).reshape(-1)
    if len(values) == 0:
        empty = values[:0].copy()
        return (empty, np.zeros(0, np.int64)) if return_inverse else empty
    low, high = values.min(), values.max()
    span = int(high) - int(low) + 1
    if span <= 2 * len(values) + (1 << 20):
        shifted = values - low if low != 0 else values
        mark = np.zeros(span, bool)
        mark[shifted] = True
        found = np.flatnonzero(mark)
        out = (found + low).astype(values.dtype, copy=False) if low != 0 else found.astype(values.dtype, copy=False)
        if not return_inverse:
            return out
        rank = np.cumsum(mark, dtype=np.int64) - 1
        return out, rank[shifted]
    if not return_inverse:
        ordered = np.sort(values)
        keep = np.empty(len(ordered), bool)
        keep[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
        return ordered[keep]
    order = sort_order(values)
    ordered = values[order]
    start = np.empty(len(ordered), bool)
    start[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=start[1:])
    inverse = np.empty(len(values), np.int64)
    inverse[order] = np.cumsum(start) - 1
    return ordered[start], inverse


def sort_order(values: np.ndarray) -> np.ndarray:
    """An order that sorts ``values``. Unsigned (or non-negative) integers that leave room for
    their position's bits (phones, labels, codes) are packed with their position and sorted by
    numpy's vectorised sort of plain integers, about twice as fast as ``np.argsort`` here;
    other values (18-digit IDs: a two-pass radix of that kind measured no faster) by
    ``np.argsort``.

    >>> v = np.array([10**18 - 1, 5, 10**17, 5, 0], np.uint64)
    >>> sort_order(v).tolist(), sort_order(v[1:4]).tolist()
    ([4, 1, 3, 2, 0], [0, 2, 1])
    """
    n = len(values)
    if values.dtype == np.int64 and n and values.min() >= 0:
        values = values.view(np.uint64)
    if values.dtype != np.uint64 or n < 2:
        return np.argsort(values)
    bits = (n - 1).bit_length()
    if int(values.max()) >> (64 - bits):
        return np.argsort(values)
    packed = np.sort((values << np.uint64(bits)) | np.arange(n, dtype=np.uint64))
    return (packed & np.uint64((1 << bits) - 1)).astype(np.int64)


def components(n_nodes: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Connected-component label of each node of an undirected graph given by its edges."""
    if n_nodes == 0:
        return np.zeros(0, np.int64)
    if len(src) == 0:
        return np.arange(n_nodes, dtype=np.int64)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n_nodes, n_nodes)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="weak")
    return labels.astype(np.int64, copy=False)
