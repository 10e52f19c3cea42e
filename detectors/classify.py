"""Deciding what a column holds, from the share of its values that validate and its header.

A column is never labelled from a single hit: the share of non-null values that validate must
reach the detector's ``min_share`` (or, under a header naming the entity, half of it), values
claimed by a stricter detector are not counted again by a looser one (an ID number that happens
to pass Luhn is an ID, not a bank card), a header never labels values that contradict it, and a
detector's ``column_check`` can refuse values that pass one by one but not together
(consecutive batch codes that look like phone numbers, order dates that look like births).

Columns of prose are ``FREE_TEXT``: a sample of their values is analysed by the Presidio
recognizers built from the same detectors (:mod:`detectors.presidio`), and ``entities`` lists
what was found there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.alnum_text import value_bytes
from detectors.base import (
    WORD_MARK,
    Detector,
    MatchParts,
    concat_text,
    marked_header,
    normalise_header,
    replace_regex,
    strip_whitespace,
)

# How a column's rows are judged once the column is classified.
VALID = "valid"  # rows whose value validates for the entity
NON_NULL = "non_null"  # every non-empty value (header-led entities whose values cannot be checked)

FREE_TEXT = "FREE_TEXT"
FREE_TEXT_SAMPLE = 200


@dataclass
class EntityShare:
    entity: str
    valid: int
    share: float


@dataclass
class ColumnClassification:
    """What one column holds. ``entity`` is None when nothing personal was found."""

    name: str
    entity: str | None
    entities: list[str]
    sensitive: bool
    category: str | None
    confidence: float
    match_rate: float
    samples: list[str]
    non_null: int
    evidence: str = ""
    row_rule: str = VALID
    header_entity: str | None = None
    shares: list[EntityShare] = field(default_factory=list)
    # The header names the entity: rows are judged with ``valid_mask(values, header_named=True)``.
    header_named: bool = False


def header_matches(name: str, detector: Detector) -> int:
    """1 when the header names the detector's entity, -1 when it vetoes it, else 0.

    >>> from detectors.cn_mobile_phone import DETECTOR as phone
    >>> header_matches("联系电话", phone), header_matches("sjh", phone), header_matches("批次号", phone)
    (1, 1, -1)

    A vetoing word written in ASCII letters counts as whole words only (``ip`` is not in
    ``shipping_address``, nor ``file`` in ``profileName``); one in brackets qualifies the header
    and vetoes nothing (``手机号(订单)``). A header whose last words name the entity after a
    vetoing word says both (``订单手机号``, ``order.shipTo.phone``: the head word comes last, but
    ``bank_name`` is no person's name): 0, the values decide alone, with no help from the
    header. One that names it before a vetoing word is vetoed (``旅客类型``, a passenger *type*):

    >>> from detectors.cn_address import DETECTOR as address
    >>> from detectors.person_name import DETECTOR as name
    >>> [header_matches(h, address) for h in ("shipping_address", "ip", "ip_address")]
    [1, -1, 0]
    >>> [header_matches(h, phone) for h in ("手机号(订单)", "订单手机号", "order.shipTo.phone", "手机型号")]
    [1, 0, 0, -1]
    >>> [header_matches(h, name) for h in ("证件姓名", "旅客类型", "联系人电话", "用户名", "user.profile.realName")]
    [0, -1, -1, -1, 1]
    """
    return int(header_hits([name], [detector])[0, 0])


@cache
def _header_vocabulary(negative: tuple[str, ...], exact: tuple[str, ...], words: tuple[str, ...]):
    norm = [tuple(w for w in (normalise_header(x) for x in group) if w) for group in (negative, exact, words)]
    veto = _veto_pattern(norm[0])
    return (veto, None if veto is None else f"^.*(?:{veto})", frozenset(norm[1]),
            tuple(w for w in norm[2] if len(w) >= 2), norm[0])


def _veto_pattern(negative: tuple[str, ...]) -> str | None:
    """One RE2 pattern for a detector's vetoing words in a marked header
    (:func:`~detectors.base.marked_header`): a word of ASCII letters and digits from a word mark
    to a word mark (it may span words: ``featureflag`` is ``feature`` and ``flag``), any other
    word anywhere."""
    if not negative:
        return None
    mark = re.escape(WORD_MARK)
    forms = []
    for word in negative:
        spread = f"{mark}?".join(re.escape(c) for c in word)
        forms.append(f"{mark}{spread}{mark}" if word.isascii() and word.isalnum() else spread)
    return "|".join(f"(?:{f})" for f in forms)


# A bracketed part of a header (one level; a character class each side: linear).
_BRACKETED = re.compile(r"[(（\[【][^()（）\[\]【】]*[)）\]】]")


def _unbracketed(name: str) -> str:
    """The header without its bracketed parts, unless nothing else is left."""
    rest = _BRACKETED.sub(" ", str(name))
    return rest if normalise_header(rest) else str(name)


# Up to this many distinct headers are matched by substring tests in Python; more in one Arrow
# call per detector and word list, so that 20,000 columns cost a few dozen calls, not a million tests.
_HEADERS_IN_PYTHON = 32


def header_hits(names: Sequence[str], detectors: Sequence[Detector]) -> np.ndarray:
    """:func:`header_matches` for every name and detector at once: an int8 matrix (names x detectors).

    >>> from detectors.cn_mobile_phone import DETECTOR as phone
    >>> header_hits(["联系电话", "sjh", "批次号", ""], [phone]).ravel().tolist()
    [1, 1, -1, 0]
    """
    keys = [(normalise_header(n), marked_header(_unbracketed(n))) for n in names]
    unique = list(dict.fromkeys(keys))
    row_of = {k: i for i, k in enumerate(unique)}
    out = np.zeros((len(unique), len(detectors)), dtype=np.int8)
    if not unique:
        return out[[row_of[k] for k in keys]]
    plains = [plain for plain, _ in unique]
    text = pa.array(plains, pa.string())  # normalise_header's form
    outside = pa.array([marked for _, marked in unique], pa.string())  # marked, brackets aside
    empty = np.array([not plain for plain in plains])
    few = len(unique) <= _HEADERS_IN_PYTHON
    for j, det in enumerate(detectors):
        veto, up_to_last_veto, exact, words, negative = _header_vocabulary(det.header_negative, det.header_exact,
                                                                           det.header_words)
        if few:  # plain substrings (no pattern): in Python, cheaper than a call per detector
            named = np.array([p in exact or any(w in p for w in words) for p in plains], dtype=bool)
        else:
            named = _contains_any(text, words)
            if exact:
                named |= pc.is_in(text, value_set=pa.array(sorted(exact), pa.string())).to_numpy(zero_copy_only=False)
        if det.header_regex is not None:
            # RE2, like every pattern that meets data (a header is data)
            named |= pc.match_substring_regex(text, f"^(?:{det.header_regex})$").to_numpy(zero_copy_only=False)
        vetoed = np.zeros(len(unique), bool)
        if veto is not None:
            # A vetoing word is in a header's plain form wherever the pattern finds it: the
            # pattern runs only where a substring test says it may.
            maybe = np.flatnonzero([any(w in p for w in negative) for p in plains]) if few else np.arange(len(unique))
            if len(maybe):
                vetoed[maybe] = pc.match_substring_regex(outside.take(pa.array(maybe)), veto) \
                    .to_numpy(zero_copy_only=False)
        if vetoed.any():
            # Vetoed, unless the words after the last vetoing one name the entity: then the
            # header says both, and the values decide alone (0).
            where = np.flatnonzero(vetoed)
            tails = pc.replace_substring_regex(outside.take(pa.array(where)), up_to_last_veto, "")
            named[where] = False
            vetoed[where[_contains_any(pc.replace_substring(tails, WORD_MARK, ""), words)]] = False
        out[:, j] = np.where(empty, 0, np.where(named, 1, np.where(vetoed, -1, 0)))
    return out[[row_of[k] for k in keys]]


def _contains_any(text: pa.Array, words: tuple[str, ...]) -> np.ndarray:
    if not words:
        return np.zeros(len(text), dtype=bool)
    return pc.match_substring_regex(text, _literal_alternation(words)).to_numpy(zero_copy_only=False)


@cache
def _literal_alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in words)


def as_text(values: pa.Array) -> pa.Array | None:
    """Values as strings for pattern work; None for types no identifier can hide in.

    Integers are formatted as digits; floats that are whole numbers (a phone read as float) and
    strings such as ``13800138000.0`` lose their ``.0``; dates become ``YYYY-MM-DD`` and
    timestamps at midnight too.

    >>> as_text(pa.array([13800138000.0, None])).to_pylist()
    ['13800138000', None]
    """
    text = _text_of_type(values)
    return None if text is None else without_trailing_zeros(text)


def without_trailing_zeros(text: pa.Array) -> pa.Array:
    """``13800138000.0`` (a number once read as float) as ``13800138000``; other values as they are."""
    return replace_regex(text, pattern=r"^(\d{5,})\.0+$", replacement=r"\1")


def _text_of_type(values: pa.Array) -> pa.Array | None:
    """:func:`as_text` but for the trailing ``.0`` (which no integer, float, date or timestamp
    formatted here has): wide tables remove it from all their columns in one call."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    t = values.type
    if pa.types.is_dictionary(t):
        values = values.cast(t.value_type)
        t = values.type
    if pa.types.is_string(t):
        return values  # a CSV's every column: no cast (a fixed cost per column, per small file)
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return values.cast(pa.string())
    if pa.types.is_integer(t) or pa.types.is_decimal(t):
        return values.cast(pa.string())
    if pa.types.is_floating(t):
        finite = pc.is_finite(values).fill_null(False)
        whole = pc.and_(finite, pc.equal(pc.floor(values), values).fill_null(False))
        as_int = pc.if_else(whole, values, pa.scalar(None, t))
        # through decimal: a 20-digit ICCID read as float is beyond int64
        return pc.cast(as_int, pa.decimal128(38, 0), safe=False).cast(pa.string())
    if pa.types.is_date(t):
        return pc.strftime(values.cast(pa.timestamp("s")), format="%Y-%m-%d")
    if pa.types.is_timestamp(t):
        text = pc.strftime(values, format="%Y-%m-%d %H:%M:%S")
        return replace_regex(text, pattern=r" 00:00:00$", replacement="")
    if _binary_like(t):
        # Older Hive/Impala writers store strings as BINARY: bytes that are UTF-8 text are text.
        text = decoded_text(values)
        return _text_of_type(text) if text is not None else None
    return None


def decoded_text(values: pa.Array) -> pa.Array | None:
    """Binary values as strings when every one of them is UTF-8 text (no NUL byte), else None.

    >>> decoded_text(pa.array([b"13800138000", None])).to_pylist()
    ['13800138000', None]
    >>> decoded_text(pa.array([b"\\xff\\xd8\\xff\\xe0"])) is None
    True
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    try:
        if pa.types.is_fixed_size_binary(values.type) or pa.types.is_binary_view(values.type):
            values = values.cast(pa.binary())
        text = values.cast(pa.large_string() if pa.types.is_large_binary(values.type) else pa.string())
        if pa.types.is_large_string(text.type):
            text = text.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if len(text) and pc.any(pc.match_substring(text, "\x00")).as_py():
        return None
    return text


def is_list_like(t: pa.DataType) -> bool:
    """A list or map of plain values (not of structs or further lists)."""
    if pa.types.is_map(t):
        return not pa.types.is_nested(t.item_type)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return not pa.types.is_nested(t.value_type)
    return False


def values_counted_apart(t: pa.DataType, entity: str | None) -> bool:
    """Whether a column's list values are each counted as a cell of their own: every list or map
    (:func:`is_list_like`) but a feature vector, which is one value of its row (a face's 128
    numbers are one person's biometric, not 128 rows)."""
    from detectors.biometric import ENTITY as BIOMETRIC

    return is_list_like(t) and entity != BIOMETRIC


def list_values(values: pa.Array) -> pa.Array:
    """The values held in a list column (a map's values), one after the other: each is read
    and counted like a cell of its own."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_map(values.type):
        return pc.list_flatten(pa.ListArray.from_arrays(values.offsets, values.items))
    return pc.list_flatten(values)


def float_lost_digits(values: pa.Array) -> bool:
    """A float column holding numbers past 2**53: their last digits (and checksums) are lost."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_floating(values.type) or len(values) == 0:
        return False
    biggest = pc.max(pc.abs(values)).as_py()
    return biggest is not None and biggest >= 2**53


def looks_like_prose(values: pa.Array, present: np.ndarray) -> bool:
    """Long values with Chinese characters and sentence punctuation or spaces: free text."""
    sample = values.filter(pa.array(present))
    if len(sample) == 0:
        return False
    lengths = pc.utf8_length(sample).to_numpy(zero_copy_only=False)
    cjk = pc.match_substring_regex(sample, r"\p{Han}").to_numpy(zero_copy_only=False)
    punct = pc.match_substring_regex(sample, r"[，。！？；、,.!?;:：]|\p{Han} |\S \S").to_numpy(zero_copy_only=False)
    return bool(np.median(lengths) >= 12 and cjk.mean() >= 0.3 and (punct.mean() >= 0.3 or np.median(lengths) >= 30))


def classify_column(name: str, values: pa.Array, detectors: list[Detector], max_samples: int = 3,
                    free_text: bool = True) -> ColumnClassification:
    """Classify one column from a sample of its values."""
    return classify_columns([(name, values)], detectors, max_samples, free_text)[0]


# Columns are matched together, one detector at a time, in chunks of at most this much text
# (and this many values): few pattern compilations per table, bounded memory per chunk.
CHUNK_BYTES = 8 << 20
CHUNK_VALUES = 1 << 18


@dataclass
class _Pending:
    """A column whose values are to be matched as text, with what its type said."""

    name: str
    values: pa.Array  # the values as text (before trimming and :func:`without_trailing_zeros`)
    detectors: list[Detector]
    free_text: bool
    suffixes: list[str]  # evidence added by the typed paths it went through (innermost first)
    lossy: bool = False
    trimmed: pa.Array | None = None
    present: np.ndarray | None = None
    non_null: int = 0
    ordered: list[Detector] = field(default_factory=list)
    by_entity: dict[str, Detector] = field(default_factory=dict)

    @property
    def entities(self) -> frozenset[str]:
        if self._entities is None:
            self._entities = frozenset(d.entity for d in self.detectors)
        return self._entities

    _entities: frozenset[str] | None = None


def classify_columns(columns: Sequence[tuple[str, pa.Array]], detectors: list[Detector], max_samples: int = 3,
                     free_text: bool = True, matches: list[dict[str, MatchParts]] | None = None,
                     ) -> list[ColumnClassification]:
    """Classify many columns (of one table or of many) from samples of their values.

    The same as :func:`classify_column` on each, but each detector's patterns run once over
    all the columns put end to end (in chunks of :data:`CHUNK_BYTES`): Arrow compiles a
    pattern on every call, which would otherwise be paid per column (about 70 ms a column for
    the built-in detectors, minutes on a wide table or a folder of small files).

    ``matches``: a list that receives, per column, each detector's :class:`MatchParts` over the
    column's values as text (the detectors that matched any value): a column sampled whole is
    then counted without matching it again.
    """
    results: list[ColumnClassification | None] = [None] * len(columns)
    kept: list[dict[str, MatchParts]] = [{} for _ in columns]
    pending: list[tuple[int, _Pending]] = []
    for i, (name, values) in enumerate(columns):
        prepared = _prepare(name, values, detectors, max_samples, free_text, [])
        if isinstance(prepared, ColumnClassification):
            results[i] = prepared
        else:
            pending.append((i, prepared))
    # Items share their detector lists: one index per list, one entity set per list.
    indexes: dict[int, dict[str, Detector]] = {}
    entity_sets: dict[int, frozenset[str]] = {}
    for _, item in pending:
        item.by_entity = indexes.setdefault(id(item.detectors), {d.entity: d for d in item.detectors})
        item._entities = entity_sets.setdefault(id(item.detectors), frozenset(item.by_entity))
    if pending:
        hits = header_hits([p.name for _, p in pending], detectors)
        column_of = {d.entity: j for j, d in enumerate(detectors)}
        # Per detector list: its entities and their columns of ``hits`` (a folder of small files
        # has thousands of columns, each looked up in one call rather than once per detector).
        lookup: dict[int, tuple[list[str], np.ndarray]] = {}
        orders: dict[tuple, list[Detector]] = {}  # _ordered, per detector list and header hits
        chunk: list[tuple[int, _Pending, np.ndarray]] = []
        size = rows = 0
        for k, (i, item) in enumerate(pending):
            if id(item.detectors) not in lookup:
                lookup[id(item.detectors)] = ([d.entity for d in item.detectors],
                                              np.array([column_of[d.entity] for d in item.detectors], np.intp))
            entities, where = lookup[id(item.detectors)]
            item_hits = dict(zip(entities, hits[k][where].tolist(), strict=True))
            chunk.append((i, item, item_hits))
            size += item.values.nbytes
            rows += len(item.values)
            if size >= CHUNK_BYTES or rows >= CHUNK_VALUES:
                _classify_chunk(chunk, detectors, max_samples, results, kept if matches is not None else None, orders)
                chunk, size, rows = [], 0, 0
        if chunk:
            _classify_chunk(chunk, detectors, max_samples, results, kept if matches is not None else None, orders)
    if matches is not None:
        matches.extend(kept)
    return results  # type: ignore[return-value]


def _prepare(name: str, values: pa.Array, detectors: list[Detector], max_samples: int, free_text: bool,
             suffixes: list[str]) -> ColumnClassification | _Pending:
    """What a column's Arrow type decides at once, or its text to be matched with the others."""
    typed = _classify_typed(name, values, detectors, max_samples, free_text, suffixes)
    if typed is not None:
        return typed
    text = _text_of_type(values)
    if text is None:
        return _with_suffixes(ColumnClassification(name, None, [], False, None, 0.0, 0.0, [], 0,
                                                   "type holds no identifiers"), suffixes)
    return _Pending(name, text, detectors, free_text, suffixes, lossy=float_lost_digits(values))


def _with_suffixes(c: ColumnClassification, suffixes: list[str]) -> ColumnClassification:
    for suffix in suffixes:
        c.evidence = f"{c.evidence}{suffix}"
    return c


def _classify_chunk(chunk: list[tuple[int, _Pending, dict[str, int]]], detectors: list[Detector], max_samples: int,
                    results: list[ColumnClassification | None], kept: list[dict[str, MatchParts]] | None = None,
                    orders: dict[tuple, list[Detector]] | None = None) -> None:
    """Match every detector once over the chunk's columns end to end, then judge each column.
    ``orders``: :func:`_ordered` already worked out, by detector list and header hits."""
    raw, offsets = concat_text([item.values for _, item, _ in chunk])
    text = strip_whitespace(without_trailing_zeros(raw))
    present = pc.and_(pc.is_valid(text), pc.not_equal(text, "")).fill_null(False).to_numpy(zero_copy_only=False)
    starts, lengths = offsets[:-1], np.diff(offsets)
    for k, (_, item, item_hits) in enumerate(chunk):
        a, n = int(starts[k]), int(lengths[k])
        item.trimmed, item.present = text.slice(a, n), present[a: a + n]
        item.non_null = int(item.present.sum())
        if orders is None:
            item.ordered = _ordered(item, item_hits)
        else:
            key = (id(item.detectors), tuple(item_hits.values()))
            if key not in orders:
                orders[key] = _ordered(item, item_hits)
            item.ordered = orders[key]
    found: list[dict[str, MatchParts]] = [{} for _ in chunk]
    used = {d.entity for _, item, _ in chunk if item.non_null for d in item.detectors}
    named = {e for _, _, item_hits in chunk for e, hit in item_hits.items() if hit == 1}
    # A detector that needs its header (ages, surnames) runs only where a header names it: its
    # matches elsewhere would label nothing.
    running_detectors = [det for det in detectors if det.entity in used and (
        det.pattern is not None or (det.entity in named and det.header_pattern is not None))
        and (not det.requires_header or det.entity in named)]
    # The header shape is read only in the columns whose header names the entity.
    named_rows: dict[str, np.ndarray] = {}
    for k, (_, _, item_hits) in enumerate(chunk):
        for entity, hit in item_hits.items():
            if hit == 1:
                rows = named_rows.setdefault(entity, np.zeros(len(text), bool))
                rows[int(starts[k]): int(starts[k]) + int(lengths[k])] = True
    for det, parts in zip(running_detectors, _match_all(running_detectors, text, named_rows), strict=True):
        if parts is None:
            continue
        running = np.concatenate([[0], np.cumsum(parts.any_candidate() & present, dtype=np.int64)])
        for k in np.flatnonzero(running[offsets[1:]] - running[starts]):
            if det.entity in chunk[k][1].entities:
                found[k][det.entity] = parts.slice(int(starts[k]), int(lengths[k]))
        del parts
    prose_needed = []
    for k, (i, item, item_hits) in enumerate(chunk):
        if not item.non_null:
            results[i] = _with_suffixes(ColumnClassification(item.name, None, [], False, None, 0.0, 0.0, [], 0,
                                                             "no values", header_entity=_header_entity(item, item_hits)),
                                        item.suffixes)
            continue
        c = _judge(item, item_hits, found[k], max_samples)
        if c is None:
            prose_needed.append((k, i, item, item_hits))
        else:
            results[i] = _with_suffixes(c, item.suffixes)
    prose = _looks_like_prose_many([(item.trimmed, item.present) for _, _, item, _ in prose_needed])
    for (k, i, item, item_hits), is_prose in zip(prose_needed, prose, strict=True):
        header_entity = _header_entity(item, item_hits)
        shares = _shares(item, item_hits, found[k])[0]
        if item.free_text and is_prose:
            c = _classify_free_text(item.name, item.trimmed, item.present, item.detectors, header_entity, shares,
                                    max_samples)
        else:
            c = ColumnClassification(item.name, None, [], False, None, 0.0, 0.0, [], item.non_null,
                                     "no detector reached its share", header_entity=header_entity, shares=shares)
        results[i] = _with_suffixes(c, item.suffixes)
    if kept is not None:
        # Only what the column's entities need is kept for its count.
        for k, (i, _, _) in enumerate(chunk):
            entities = set(results[i].entities) if results[i] is not None else set()
            kept[i] = {e: parts for e, parts in found[k].items() if e in entities}


# A chunk at least this long has its detectors run two at a time (Arrow's kernels release the
# GIL); a smaller one in this thread, where a thread would cost more than it saves.
PARALLEL_VALUES = 1 << 15


def _match_all(detectors: list[Detector], text: pa.Array, named_rows: dict[str, np.ndarray]):
    """Each detector's compacted matches over ``text``, in the detectors' order; the header
    shape only on the rows ``named_rows`` gives for its entity."""
    def match(det: Detector) -> MatchParts | None:
        return _compact(det.match_parts(text, header_shape=named_rows.get(det.entity, False)))

    if len(text) < PARALLEL_VALUES or len(detectors) < 2:
        yield from map(match, detectors)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="chujing-classify") as pool:
        yield from pool.map(match, detectors)


def _compact(parts: MatchParts) -> MatchParts | None:
    """``parts`` with only the normalised values some reading accepts (the others are never
    looked at again): what is held per detector is the size of its matches, not of the chunk.
    None when nothing matched."""
    keep = parts.any_candidate()
    if not keep.any():
        return None
    if not keep.all():
        parts.normalised = pc.if_else(pa.array(keep), parts.normalised, pa.scalar(None, parts.normalised.type))
    return parts


def _ordered(item: _Pending, item_hits: dict[str, int]) -> list[Detector]:
    # Where the header names one of several valid readings, the header's wins: a 15-digit
    # Luhn-valid Amex number under 银行卡号 is a card, although an IMEI has the same shape. The
    # detectors the header names go first, and claim the values they validate strictly.
    return sorted(item.detectors, key=lambda d: (item_hits[d.entity] == 1, d.priority), reverse=True)


def _header_entity(item: _Pending, item_hits: dict[str, int]) -> str | None:
    return next((d.entity for d in item.ordered if item_hits[d.entity] == 1), None)


def _shares(item: _Pending, item_hits: dict[str, int], found: dict[str, MatchParts]):
    """Each detector's share of the column, stricter detectors claiming values first."""
    lossy, non_null = item.lossy, item.non_null
    claimed = ~item.present  # values already explained by a stricter detector
    shares: list[EntityShare] = []
    valid_masks: dict[str, np.ndarray] = {}
    plausible: dict[str, bool] = {}
    loose_used: dict[str, bool] = {}
    for det in item.ordered:
        if det.entity not in found:  # matched none of the column's values
            continue
        header = item_hits[det.entity]
        if det.pattern is None and (det.header_pattern is None or header != 1):
            continue
        if header < 0 and not det.digit_checksum:
            continue  # a header that reads as something else (批次号): values that only look right
        # Values that pass a check digit are judged on their own under any header: an 订单号
        # column of valid ID numbers holds ID numbers (the header cannot make them less personal).
        parts = found.get(det.entity)
        if parts is None:
            continue
        ok = parts.ok(header_named=header == 1, check=not (lossy and det.digit_checksum))
        ok &= ~claimed
        count = int(ok.sum())
        if not count:
            continue
        valid_masks[det.entity] = ok
        shares.append(EntityShare(det.entity, count, count / non_null))
        strict = ok
        if header == 1 and det.header_pattern is not None:
            strict = parts.ok(header_named=False) & ok
            loose_used[det.entity] = bool((ok & ~strict).any())
        if lossy and det.digit_checksum:
            loose_used[det.entity] = True  # rows cannot be checked either: judge them by presence
        plausible[det.entity] = True
        if det.column_check is not None and (header != 1 or det.column_check_under_header):
            plausible[det.entity] = det.column_check(parts.normalised.filter(pa.array(ok))) >= 0.5
        # Only a convincing detector claims values: a stray match in a column of something
        # else must not hide those values from the detector that really explains them. Values
        # of the header's looser shape only are left to a detector that validates them.
        if count / non_null >= 0.5 * det.min_share and plausible[det.entity] and not (det.requires_header and header != 1):
            claimed |= strict if header == 1 else ok
    return shares, valid_masks, plausible, loose_used


def _judge(item: _Pending, item_hits: dict[str, int], found: dict[str, MatchParts],
           max_samples: int) -> ColumnClassification | None:
    """One column's verdict from its detectors' matches; None when only prose could explain it."""
    name, lossy, non_null, trimmed, present = item.name, item.lossy, item.non_null, item.trimmed, item.present
    header_entity = _header_entity(item, item_hits)
    shares, valid_masks, plausible, loose_used = _shares(item, item_hits, found)

    by_entity = item.by_entity
    candidates: list[tuple[float, bool, int, str, str, str]] = []
    for s in shares:
        det = by_entity[s.entity]
        header = item_hits[s.entity]
        if det.requires_header and header < 1:
            continue
        if not plausible[s.entity]:
            continue
        threshold = det.min_share * (0.5 if header == 1 else 1.0)
        if s.share >= threshold:
            confidence = min(0.99, 0.5 + 0.5 * s.share + (0.2 if header == 1 else 0.0) - (0.1 if loose_used.get(s.entity) else 0.0))
            why = f"{s.share:.0%} of values valid" + (", header names it" if header == 1 else "")
            if header < 0:
                why += "; the header reads as something else: the values' check digits decide"
            if lossy:
                why += "; float column past 2**53, checked by shape only"
            rule = NON_NULL if loose_used.get(s.entity) else VALID
            candidates.append((confidence, header == 1, det.priority, s.entity, why, rule))
    if not candidates and header_entity is not None:
        det = by_entity[header_entity]
        # Only an entity with nothing to check is labelled by its header alone.
        if det.pattern is None and det.header_pattern is None:
            candidates.append((0.6, True, det.priority, header_entity, "header names it; values cannot be checked", NON_NULL))
        # A person key under its own header, too often malformed or masked to reach its share:
        # the values that pass its checksum still name persons, and are counted one by one
        # (the column is not left unseen, which would count those persons short).
        elif det.person_key and det.digit_checksum and plausible.get(header_entity, True):
            s = next((s for s in shares if s.entity == header_entity), None)
            if s is not None and s.valid >= 2:
                candidates.append((0.4, True, det.priority, header_entity,
                                   f"header names it; only {s.share:.0%} of values valid: those are counted", VALID))

    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1], c[2]), reverse=True)
    confidence, _, _, entity, why, rule = candidates[0]
    det = by_entity[entity]
    main_share = next((s.share for s in shares if s.entity == entity), 0.0)
    entities = [entity] + [s.entity for s in shares if s.entity != entity and s.share >= 0.05 and s.valid >= 2
                           and plausible.get(s.entity, True)
                           and (item_hits[s.entity] == 1 or not by_entity[s.entity].requires_header)]
    sensitive = any(by_entity[e].sensitive for e in entities)
    normalised = found[entity].normalised if entity in found else None
    samples = _masked_samples(det, valid_masks.get(entity), normalised, trimmed, present, max_samples)
    destroyed = by_entity.get(f"{entity}_MASKED")
    if lossy and det.digit_checksum and det.person_key and destroyed is not None:
        # A float past 2**53 (Excel's 4.50100E+17) has lost the last digits: no value can name a
        # person any more. The column is the identifier destroyed by the export, counted keyless.
        samples = [destroyed.mask(f"{v[0]}.{v[1:6]}E+{len(v) - 1:02d}") for v in
                   normalised.filter(pa.array(valid_masks[entity])).to_pylist()[:max_samples]]
        entities = [destroyed.entity] + [e for e in entities if e != entity]
        entity, det, rule = destroyed.entity, destroyed, NON_NULL
        why += "; the digits past the 15th are lost: destroyed by the export (re-export as text)"
        sensitive = any(by_entity[e].sensitive for e in entities)
    return ColumnClassification(
        name=name, entity=entity, entities=entities, sensitive=sensitive, category=det.category,
        confidence=round(confidence, 3), match_rate=round(main_share, 4), samples=samples, non_null=non_null,
        evidence=why, row_rule=rule, header_entity=header_entity, shares=shares,
        header_named=item_hits.get(entity) == 1 or item_hits.get(entity.removesuffix("_MASKED")) == 1,
    )


def _looks_like_prose_many(columns: list[tuple[pa.Array, np.ndarray]]) -> list[bool]:
    """:func:`looks_like_prose` for many columns, each pattern run once over all of them."""
    if not columns:
        return []
    samples = [values.filter(pa.array(present)) for values, present in columns]
    text, offsets = concat_text(samples)
    if not len(text):
        return [False] * len(columns)
    lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    cjk = pc.match_substring_regex(text, r"\p{Han}").to_numpy(zero_copy_only=False)
    punct = pc.match_substring_regex(text, r"[，。！？；、,.!?;:：]|\p{Han} |\S \S").to_numpy(zero_copy_only=False)
    out = []
    for a, b in zip(offsets[:-1], offsets[1:], strict=True):
        if a == b:
            out.append(False)
            continue
        median = np.median(lengths[a:b])
        out.append(bool(median >= 12 and cjk[a:b].mean() >= 0.3 and (punct[a:b].mean() >= 0.3 or median >= 30)))
    return out


def _binary_like(t: pa.DataType) -> bool:
    return (pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t)
            or pa.types.is_binary_view(t))


def _classify_typed(name: str, values: pa.Array, detectors: list[Detector], max_samples: int, free_text: bool,
                    suffixes: list[str]) -> ColumnClassification | _Pending | None:
    """Columns whose Arrow type decides how to look at them: bytes, vectors, fractional floats.

    Binary values are media (by their magic bytes) or biometric templates; float vectors are
    biometric features under a header that says so; a float column of fractions can only hold
    coordinates. A column to be matched as text is returned pending (with the evidence its type
    adds); None: classify the column as text.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    t = values.type
    if pa.types.is_string(t):
        # Text (a CSV's every column), unless feature vectors written out (a JSON array per
        # value) under a header that names a biometric: looked for only where a '[' occurs.
        raw = value_bytes(values)
        if raw is not None and len(raw) and (raw == ord("[")).any():
            found = _vectors_as_text(name, values, detectors)
            if found is not None:
                return _with_suffixes(found, suffixes)
        return None
    if pa.types.is_dictionary(t):
        return None  # text, looked at as text
    by_entity = {d.entity: d for d in detectors}
    if _binary_like(t):
        found = _classify_binary(name, values, by_entity, max_samples, suffixes)
        return found if isinstance(found, _Pending) else _with_suffixes(found, suffixes)
    from detectors.biometric import is_float_vector_type
    if is_float_vector_type(t):
        return _with_suffixes(_classify_vectors(name, values, by_entity), suffixes)
    if is_list_like(t):
        numbers = _number_lists(name, values, by_entity)
        if numbers is not None:  # a JSON file's vectors, whose numbers its reader keeps as text
            return _with_suffixes(_classify_vectors(name, numbers, by_entity), suffixes)
        kind = "map" if pa.types.is_map(t) else "list"
        return _prepare(name, list_values(values), detectors, max_samples, True,
                        [f"; the values of a {kind}, each read as a cell", *suffixes])
    from detectors.geo import GEO_ENTITIES, fractional_floats
    text = fractional_floats(values)
    if text is not None:
        geo = [d for d in detectors if d.entity in GEO_ENTITIES]
        if not geo:
            return None
        return _prepare(name, text, geo, max_samples, False,
                        ["; float column of fractions (only coordinates are checked)", *suffixes])
    return None


def _classify_binary(name: str, values: pa.Array, by_entity: dict[str, Detector], max_samples: int,
                     suffixes: list[str]) -> ColumnClassification | _Pending:
    from detectors import biometric, media

    present = pc.fill_null(pc.greater(pc.binary_length(values), 0), False).to_numpy(zero_copy_only=False)
    non_null = int(present.sum())
    if not non_null:
        return ColumnClassification(name, None, [], False, None, 0.0, 0.0, [], 0, "no values")
    bio = by_entity.get(biometric.ENTITY)
    header_bio = bio is not None and header_matches(name, bio) == 1
    if bio is not None:
        kinds = biometric.template_kinds(values)
        templates = present & (kinds != "")
        if templates.sum() >= 0.8 * non_null:
            names = sorted(set(kinds[templates]))
            return _found(name, bio, non_null, float(templates.sum() / non_null), 0.95,
                          [f"ISO/ANSI {k} template" for k in names][:max_samples],
                          f"{templates.sum() / non_null:.0%} of values are ISO/ANSI biometric templates ({', '.join(names)})")
    found = media.classify_binary(values, max_samples)
    if found is not None and found.entity in by_entity:
        det = by_entity[found.entity]
        header = header_matches(name, det) == 1
        return _found(name, det, non_null, found.share, min(0.99, 0.7 + 0.25 * found.share + (0.04 if header else 0.0)),
                      found.samples, found.evidence)
    if header_bio:
        lengths = pc.binary_length(values).filter(pa.array(present))
        lo, hi = pc.min(lengths).as_py(), pc.max(lengths).as_py()
        if lo == hi and lo >= 32:
            return _found(name, bio, non_null, 1.0, 0.8, [f"{lo}-byte template"],
                          f"header names a biometric; every value is a {lo}-byte blob")
    text = decoded_text(values)
    if text is not None:
        return _prepare(name, text, list(by_entity.values()), max_samples, True,
                        ["; binary values that are UTF-8 text, read as text", *suffixes])
    return ColumnClassification(name, None, [], False, None, 0.0, 0.0, [], non_null, "binary values: no media or template found")


_NUMBER = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_NUMBER_LIST = rf"^\s*\[\s*{_NUMBER}(?:\s*,\s*{_NUMBER})*\s*\]\s*$"


def _vectors_as_text(name: str, values: pa.Array, detectors: list[Detector]) -> ColumnClassification | None:
    """A text column of feature vectors (``[0.88, -0.41, …]``: 80% of its values or more, all of
    one length from :data:`~detectors.biometric.MIN_DIM` to ``MAX_DIM``) under a header that
    names a biometric: what a typed vector column under that header is. None otherwise."""
    from detectors import biometric

    bio = next((d for d in detectors if d.entity == biometric.ENTITY), None)
    if bio is None or header_matches(name, bio) != 1:
        return None
    present = pc.fill_null(pc.greater(pc.binary_length(values), 0), False)
    non_null = pc.sum(present).as_py() or 0
    vectors = pc.fill_null(pc.match_substring_regex(values, _NUMBER_LIST), False)
    found = pc.sum(vectors).as_py() or 0
    if not non_null or found < 0.8 * non_null:
        return None
    dims = pc.add(pc.count_substring(values.filter(vectors), ","), 1)
    lo, hi = pc.min(dims).as_py(), pc.max(dims).as_py()
    if lo != hi or not biometric.MIN_DIM <= lo <= biometric.MAX_DIM:
        return None
    return _found(name, bio, non_null, found / non_null, 0.85, [f"{lo}-d vector written as text"],
                  f"header names a biometric feature; {found / non_null:.0%} of values are {lo}-d vectors "
                  f"written as text")


def _number_lists(name: str, values: pa.Array, by_entity: dict[str, Detector]) -> pa.Array | None:
    """Lists of numbers kept as text (a JSON reader's), as lists of floats, under a header that
    names a biometric (whose check of typed vectors then applies); else None."""
    from detectors import biometric

    t = values.type
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)) or not pa.types.is_string(t.value_type):
        return None
    bio = by_entity.get(biometric.ENTITY)
    if bio is None or header_matches(name, bio) != 1:
        return None
    flat = pc.list_flatten(values)
    if not len(flat) or flat.null_count or not pc.all(pc.match_substring_regex(flat, f"^{_NUMBER}$")).as_py():
        return None
    return values.cast(pa.list_(pa.float64()))


def _classify_vectors(name: str, values: pa.Array, by_entity: dict[str, Detector]) -> ColumnClassification:
    from detectors import biometric

    n, lo, hi = biometric.vector_lengths(values)
    bio = by_entity.get(biometric.ENTITY)
    if not n:
        return ColumnClassification(name, None, [], False, None, 0.0, 0.0, [], 0, "no values")
    if bio is None or header_matches(name, bio) != 1:
        return ColumnClassification(name, None, [], False, None, 0.0, 0.0, [], n,
                                    f"vectors of {lo}-{hi} values; the header names no biometric or feature")
    if lo != hi or not biometric.MIN_DIM <= lo <= biometric.MAX_DIM:
        return ColumnClassification(name, None, [], False, None, 0.0, 0.0, [], n,
                                    f"vectors of {lo}-{hi} values: not fixed-length features")
    return _found(name, bio, n, 1.0, 0.9, [biometric.describe_vectors(values, lo)],
                  f"header names a biometric feature; every value is a {lo}-d vector")


def _found(name: str, det: Detector, non_null: int, share: float, confidence: float, samples: list[str],
           evidence: str) -> ColumnClassification:
    """A column labelled by its type and content; rows are every non-empty value."""
    return ColumnClassification(
        name=name, entity=det.entity, entities=[det.entity], sensitive=det.sensitive, category=det.category,
        confidence=round(confidence, 3), match_rate=round(share, 4), samples=samples, non_null=non_null,
        evidence=evidence, row_rule=NON_NULL, header_entity=det.entity if header_matches(name, det) == 1 else None,
        header_named=header_matches(name, det) == 1,
    )


def _classify_free_text(name: str, values: pa.Array, present: np.ndarray, detectors: list[Detector],
                        header_entity: str | None, shares: list[EntityShare], max_samples: int) -> ColumnClassification:
    """Prose: what the recognizers find in an evenly spread sample of values."""
    idx = np.flatnonzero(present)
    if len(idx) > FREE_TEXT_SAMPLE:
        idx = idx[np.linspace(0, len(idx) - 1, FREE_TEXT_SAMPLE).astype(int)]
    texts = [v for v in values.take(pa.array(idx)).to_pylist() if v]
    try:
        from detectors.presidio import analyze_texts
        found = analyze_texts(texts, detectors=detectors)
        how = "Presidio"
    except ImportError:  # Presidio is an optional extra: fall back to the same patterns in plain Python
        from detectors.presidio import analyze_texts_plain
        found = analyze_texts_plain(texts, detectors=detectors)
        how = "patterns"
    by_entity = {d.entity: d for d in detectors}
    values_with: dict[str, int] = {}
    samples: list[str] = []
    for text, hits in zip(texts, found, strict=True):
        for entity in sorted({h[0] for h in hits}):
            values_with[entity] = values_with.get(entity, 0) + 1
        for entity, start, end, _ in hits:
            if len(samples) < max_samples and entity in by_entity:
                samples.append(by_entity[entity].mask(text[start:end]))
    # One hit is not evidence: an entity must appear in 2 values (or 1% of a large sample).
    need = max(2, int(0.01 * len(texts)))
    entities = sorted((e for e, n in values_with.items() if n >= need), key=lambda e: (-values_with[e], e))
    if not entities:
        return ColumnClassification(name, None, [], False, None, 0.0, 0.0, [], int(present.sum()),
                                    f"free text; {how} found no entities in {len(texts)} values",
                                    header_entity=header_entity, shares=shares)
    with_any = sum(1 for hits in found if any(h[0] in entities for h in hits))
    return ColumnClassification(
        name=name, entity=FREE_TEXT, entities=entities, sensitive=any(by_entity[e].sensitive for e in entities if e in by_entity),
        category="free_text", confidence=0.8, match_rate=round(with_any / max(1, len(texts)), 4), samples=samples,
        non_null=int(present.sum()), evidence=f"free text; {how} found {', '.join(entities)} in {len(texts)} sampled values",
        # rows are judged by what is found in each of them, never by being non-empty
        row_rule=VALID, header_entity=header_entity, shares=shares,
    )


def _masked_samples(det: Detector, ok: np.ndarray | None, normalised: pa.Array | None, values: pa.Array,
                    present: np.ndarray, k: int) -> list[str]:
    source, mask = (normalised, ok) if ok is not None and ok.any() else (values, present)
    idx = np.flatnonzero(mask)[: k * 20]
    seen: list[str] = []
    # A short column (a small file's) is read whole: cheaper than Arrow's take for a few values.
    if len(source) <= 64:
        whole = source.to_pylist()
        picked = [whole[i] for i in idx.tolist()]
    else:
        picked = source.take(pa.array(idx)).to_pylist()
    for v in picked:
        if v is None:
            continue
        masked = det.mask(v)
        if masked not in seen:
            seen.append(masked)
        if len(seen) >= k:
            break
    return seen
