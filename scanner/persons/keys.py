"""Keys from rows: each batch's classified columns turned into person keys (identity documents,
contacts, user-named keys, vehicle and device keys for keyless rows), row flags (personal,
sensitive, minor by age, per entity) and birth dates, then handed to the person counter."""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.alnum_text import value_bytes
from detectors.base import Detector, MatchParts, concat_text, strip_whitespace
from detectors.classify import NON_NULL, as_text, list_values
from detectors.free_text import entities_in_text
from detectors.registry import builtin_detectors
from scanner.detect.columns import FREE_TEXT, ColumnPlan, is_personal
from scanner.persons.counter import BIRTH_DATE_IN_KEY, MINOR_AGE, MINOR_FLAG
from scanner.sources.files import Source

# Which values carry a birth date or an age, and which identify a vehicle or a device rather
# than a person, are facts of each detector (``Detector.birth_dates``, ``birth_date_in_key``,
# ``ages``, ``thing_key``), read from the detector that classified the column: the scan's own
# registry, a user's YAML or entry-point detectors included (one named like a built-in replaces
# it, facts and all).
#
# Vehicle and device identifiers are not person keys (cars and phones are shared: linking on
# them would merge people and undercount), but a row with no person key and a VIN is the
# vehicle's owner or driver: such rows are grouped by vehicle or device instead of each being a
# person of its own. Rows that have a person key are never linked through them. The keys of the
# namespaces that hold their holder's birth date (``counter.BIRTH_DATE_IN_KEY``) are read by the
# person counter from the key itself (its fixed-width form, by integer arithmetic), so no birth
# date is parsed from them here.
#
# An age is no date: whether it is under 14 does not depend on the scan date (an age of 10 is a
# child's whichever day the export is scanned), so ages reach the counter as a row flag
# (``MINOR_FLAG``), not as birth dates made up from the scan date.


def birth_dates_of(det: Detector) -> Callable[[pa.Array], pa.Array] | None:
    """What reads birth dates from a detector's values: its own ``birth_dates``; for a user's
    detector that replaces a built-in of its name without one (YAML cannot give a function), the
    built-in's: a re-declared ID number still tells a minor (the stricter reading)."""
    return det.birth_dates if det.birth_dates is not None else _builtin_birth_dates().get(det.entity)


@functools.cache
def _builtin_birth_dates() -> dict[str, Callable[[pa.Array], pa.Array]]:
    return {d.entity: d.birth_dates for d in builtin_detectors() if d.birth_dates is not None}


def ages_of(det: Detector) -> Callable[[pa.Array], pa.Array] | None:
    """What reads ages from a detector's values: its own ``ages``; for a user's detector that
    replaces a built-in of its name without one, the built-in's (as :func:`birth_dates_of`)."""
    return det.ages if det.ages is not None else _builtin_ages().get(det.entity)


@functools.cache
def _builtin_ages() -> dict[str, Callable[[pa.Array], pa.Array]]:
    return {d.entity: d.ages for d in builtin_detectors() if d.ages is not None}


def keeps_values(det: Detector) -> bool:
    """Whether a detector's values are kept beyond its rows: they become person keys, vehicle or
    device keys, birth dates or ages (so every row is validated, never taken on the column's word)."""
    return det.person_key or det.thing_key is not None or birth_dates_of(det) is not None or ages_of(det) is not None


def birth_date_extractors() -> dict[str, Callable[[pa.Array], pa.Array]]:
    """Birth dates from the values of each built-in detector whose values carry one (what the
    scan's rows are read with is each column's own detector's ``birth_dates``)."""
    return {d.entity: d.birth_dates for d in builtin_detectors() if d.birth_dates is not None}


@dataclass
class EntityRows:
    """One entity of one column in one batch: the rows holding it and their values."""

    detector: Detector
    rows: np.ndarray  # bool per row
    values: pa.Array | None = None  # normalised valid values at their rows (null elsewhere)
    keys: pa.Array | None = None  # canonical person keys at their rows (null elsewhere)


def list_rows(plan: ColumnPlan, column: pa.Array, validate_all: bool, matches: Matches | None = None):
    """The values of a list (or map) column, one after the other, and their column work."""
    values = list_values(column)
    return values, column_rows(plan, values, validate_all, matches)


class Matches(dict):
    """Detectors' matches (entity → :class:`~detectors.base.MatchParts`) already run over a
    column's very values, with other columns' (Arrow compiles a pattern on every call: a wide
    table or a folder of small files would otherwise pay it per column). ``complete``: every
    detector that matched any value is here (the classification of a file read whole), so an
    absent one matched nothing; otherwise an absent one is matched here."""

    def __init__(self, parts: dict | None = None, complete: bool = False):
        super().__init__(parts or {})
        self.complete = complete
        self._waiting: dict[str, tuple[Future, int, int]] = {}

    def wait_for(self, entity: str, future: Future, start: int, length: int) -> None:
        """``entity``'s parts are the slice ``start:start+length`` of what ``future`` returns."""
        self._waiting[entity] = (future, start, length)

    def parts(self, entity: str) -> MatchParts | None:
        if entity not in self and entity in self._waiting:
            future, start, length = self._waiting.pop(entity)
            self[entity] = future.result().slice(start, length)
        return self.get(entity)


def column_rows(plan: ColumnPlan, column: pa.Array, validate_all: bool,
                matches: Matches | None = None) -> tuple[int, int, list[EntityRows]]:
    """The per-column work of a batch (runs in a worker thread): no shared state is touched.
    ``matches``: detectors already run over these values (see :class:`Matches`)."""
    text = text_of(column)
    if text is None:
        present = column.is_valid().to_numpy(zero_copy_only=False)
        count = int(present.sum())
        return count, count, [EntityRows(plan.detectors[0], present)]
    trimmed = strip_whitespace(text)
    present = pc.and_(pc.is_valid(trimmed), pc.not_equal(trimmed, "")).fill_null(False).to_numpy(zero_copy_only=False)
    claimed = np.zeros(len(present), bool)
    out = []
    # One utterance can hold a phone *and* a plate: in prose no entity hides another.
    exclusive = plan.classification.entity != FREE_TEXT
    for det, ok, normalised in entity_rows(plan, trimmed, present, validate_all, matches):
        if exclusive:
            ok &= ~claimed
        claimed |= ok
        found = EntityRows(det, ok)
        if ok.any() and keeps_values(det):
            selected = normalised if ok.all() else normalised.filter(pa.array(ok))
            found.values = scatter(selected, ok)
            if det.person_key:
                found.keys = scatter(det.canonical_keys(selected), ok)
        out.append(found)
    return int(present.sum()), int(claimed.sum()), out


def count_batch(batch: pa.RecordBatch, n: int, plans: list[ColumnPlan], results, key_columns: dict[str, int],
                 birth_fns, subject, source: Source, counter, table) -> None:
    """Turn one batch's column results into person keys and row flags, and count them.

    Birth dates are read as each column's detector reads them (:func:`birth_dates_of`;
    ``birth_fns`` is no longer consulted: it named the built-ins' only)."""
    keys: dict[str, pa.Array] = {}
    secondary: dict[str, pa.Array] = {}
    flags: dict[str, np.ndarray] = {"personal": np.zeros(n, bool), "sensitive": np.zeros(n, bool)}
    birth: pa.Array | None = None
    for plan, (non_null, valid, found) in zip(plans, results, strict=True):
        plan.non_null_rows += non_null
        plan.valid_rows += valid
        for f in found:
            det = f.detector
            flag_rows(flags, det, f.rows)
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
            elif det.thing_key is not None and det.entity not in secondary:
                secondary[det.entity] = values
            read_birth = birth_dates_of(det)
            if read_birth is not None and not (f.keys is not None and det.entity in BIRTH_DATE_IN_KEY):
                dates = birth_dates_at(read_birth, values)
                birth = dates if birth is None else pc.coalesce(birth, dates)
            flag_minors(flags, det, values)
    for name, index in key_columns.items():
        add_user_key(keys, flags, name, batch.column(index))
    secondary_keys(keys, secondary)
    if table is not None:
        table.add_batch(batch, keys, flags)
    counter.add_batch(keys, flags, birth_dates=birth, subject=subject, source=source.path)


def add_user_key(keys: dict[str, pa.Array], flags: dict[str, np.ndarray], name: str, column: pa.Array) -> None:
    """A ``--person-key`` column as keys ``user:<name>``: text trimmed and upper-cased; an empty
    cell is no key; a row holding one is personal."""
    text = as_text(column)
    if text is None:
        return
    trimmed = pc.utf8_upper(strip_whitespace(text))
    trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    keys[f"user:{name}"] = trimmed
    flags["personal"] |= trimmed.is_valid().to_numpy(zero_copy_only=False)


def secondary_keys(keys: dict[str, pa.Array], secondary: dict[str, pa.Array]) -> None:
    """Rows without a person key grouped by the vehicle or device keys of ``secondary``
    (entity → values, from detectors with a ``thing_key``)."""
    if not secondary:
        return
    n = len(next(iter(secondary.values())))
    keyed = np.zeros(n, bool)
    for values in keys.values():
        keyed |= values.is_valid().to_numpy(zero_copy_only=False)
    if keyed.all():
        return
    keyless = pa.array(~keyed)
    for entity, values in secondary.items():
        keys[f"keyless_by:{entity}"] = pc.if_else(keyless, values, pa.scalar(None, pa.string()))


def checked_by_value(plan: ColumnPlan, det: Detector, validate_all: bool) -> bool:
    """Whether :func:`entity_rows` checks this column's values with ``det.valid_mask``."""
    if plan.classification.entity == FREE_TEXT or plan.classification.row_rule == NON_NULL or det.pattern is None:
        return False
    by_value = validate_all or len(plan.detectors) > 1
    return by_value or keeps_values(det)


def entity_rows(plan: ColumnPlan, trimmed: pa.Array, present: np.ndarray, validate_all: bool = False,
                matches: Matches | None = None):
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
        elif not (by_value or keeps_values(det)):
            yield det, present.copy(), trimmed
        else:
            parts = matches.parts(det.entity) if matches is not None else None
            if parts is not None:  # what ``valid_mask`` says, from a match over these values
                yield det, parts.ok(), parts.normalised
            elif matches is not None and matches.complete:  # it matched none of them
                yield det, np.zeros(len(trimmed), dtype=bool), trimmed
            else:
                ok, normalised = det.valid_mask(trimmed)
                yield det, ok, normalised


def text_of(column: pa.Array) -> pa.Array | None:
    """``as_text`` with a fast path for plain string columns (most CSV columns): only a value
    ending in 0 with ``.0`` in it can lose a trailing ``.0`` (``13800138000.00`` too). Whether
    any value holds ``.0`` is first asked of the column's bytes at once (:func:`holds_point_zero`)."""
    if pa.types.is_string(column.type) and (
            not holds_point_zero(column)
            or not (pc.any(pc.ends_with(column, "0")).as_py() and pc.any(pc.match_substring(column, ".0")).as_py())):
        return column
    return as_text(column)


def holds_point_zero(column: pa.Array) -> bool:
    """Whether the bytes of a string array's values, end to end, hold ``.0`` (a null's bytes may
    be among them: True too often, never False wrongly). Asked of the bytes in place: a dot, then
    a zero after one (34 MB of addresses: 4 ms, against 75 ms to copy them and search the copy).

    >>> holds_point_zero(pa.array(["1.5", None, "2.0"])), holds_point_zero(pa.array(["1.", "0"]))
    (True, True)
    >>> holds_point_zero(pa.array(["13800138000", "1.5"]))
    False
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    raw = value_bytes(column)
    if raw is None:
        return True
    dot = raw[:-1] == ord(".")
    return bool(dot.any() and (dot & (raw[1:] == ord("0"))).any())


# A detector that checks this many columns of a batch or more matches them in one call.
SHARED_MATCH_COLUMNS = 2


def shared_matches(pool, plans: list[ColumnPlan], batch: pa.RecordBatch, validate_all: bool) -> list[Matches | None]:
    """For each detector that checks several columns of the batch: one job in ``pool`` over those
    columns end to end, whose slices the columns' :func:`column_rows` take."""
    users: dict[str, list[int]] = {}
    by_entity: dict[str, Detector] = {}
    for k, plan in enumerate(plans):
        for det in plan.detectors:
            if checked_by_value(plan, det, validate_all):
                users.setdefault(det.entity, []).append(k)
                by_entity[det.entity] = det
    out: list[Matches | None] = [None] * len(plans)
    texts: dict[int, pa.Array | None] = {}
    for entity, ks in users.items():
        if len(ks) < SHARED_MATCH_COLUMNS:
            continue
        for k in ks:
            if k not in texts:
                text = text_of(batch.column(plans[k].index))
                texts[k] = None if text is None else strip_whitespace(text)
        ks = [k for k in ks if texts[k] is not None]
        if len(ks) < SHARED_MATCH_COLUMNS:
            continue
        joined, offsets = concat_text([texts[k] for k in ks])
        future = pool.submit(by_entity[entity].match_parts, joined)
        for j, k in enumerate(ks):
            if out[k] is None:
                out[k] = Matches()
            out[k].wait_for(entity, future, int(offsets[j]), int(offsets[j + 1] - offsets[j]))
    return out


def scatter(subset: pa.Array, mask: np.ndarray) -> pa.Array:
    """Put the values of ``subset`` (one per True of ``mask``) back at their rows; null elsewhere."""
    if len(subset) == len(mask):  # every row holds one
        return subset
    positions = np.zeros(len(mask), dtype=np.int64)
    positions[mask] = np.arange(int(mask.sum()))
    return pc.if_else(pa.array(mask), subset.take(pa.array(positions)), pa.scalar(None, subset.type))


def flag_rows(flags: dict[str, np.ndarray], det: Detector, ok: np.ndarray) -> None:
    if not is_personal(det):
        return
    flags["personal"] |= ok
    if det.sensitive:
        flags["sensitive"] |= ok
    key = f"entity:{det.entity}"
    flags[key] = flags[key] | ok if key in flags else ok.copy()


def flag_minors(flags: dict[str, np.ndarray], det: Detector, values: pa.Array) -> None:
    """Flag (:data:`MINOR_FLAG`) the rows whose value is an age under 14; ``values``: the
    detector's normalised valid values at their rows, null elsewhere. A range counts by its
    lower end (``10-20`` may be a child's age: the stricter reading)."""
    read_ages = ages_of(det)
    if read_ages is None:
        return
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    if not valid.any():
        return
    young = np.zeros(len(values), bool)
    young[valid] = pc.less(read_ages(values.filter(pa.array(valid))), MINOR_AGE).fill_null(False) \
        .to_numpy(zero_copy_only=False)
    flags[MINOR_FLAG] = flags[MINOR_FLAG] | young if MINOR_FLAG in flags else young


def birth_dates_at(fn: Callable[[pa.Array], pa.Array], values: pa.Array) -> pa.Array:
    """Birth dates for the rows holding a value; nulls elsewhere (date32)."""
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    if not valid.any():
        return pa.nulls(len(values), pa.date32())
    return scatter(fn(values.filter(pa.array(valid))).cast(pa.date32()), valid)
