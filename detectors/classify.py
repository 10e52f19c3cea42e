"""Deciding what a column holds, from the share of its values that validate and its header.

A column is never labelled from a single hit: the share of non-null values that validate must
reach the detector's ``min_share`` (or, with a header naming the entity, half of that), and values
claimed by a stricter detector are not counted again by a looser one (an ID number that happens
to pass Luhn is an ID, not a bank card).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, normalise_header, strip_whitespace

# How a column's rows are judged once the column is classified.
VALID = "valid"  # rows whose value validates for the entity
NON_NULL = "non_null"  # every non-empty value (header-led entities with no checkable pattern)


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


def header_matches(name: str, detector: Detector) -> int:
    """1 when the header names the detector's entity, -1 when it vetoes it, else 0."""
    header = normalise_header(name)
    if not header:
        return 0
    if any(normalise_header(w) in header for w in detector.header_negative):
        return -1
    if header in {normalise_header(w) for w in detector.header_exact}:
        return 1
    if any(normalise_header(w) in header for w in detector.header_words if len(normalise_header(w)) >= 2):
        return 1
    return 0


def as_text(values: pa.Array) -> pa.Array | None:
    """Values as strings for pattern work; None for types no identifier can hide in.

    Integers are formatted as digits; floats that are whole numbers (a phone read as float)
    lose their ``.0``.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    t = values.type
    if pa.types.is_dictionary(t):
        values = values.cast(t.value_type)
        t = values.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return values.cast(pa.string())
    if pa.types.is_integer(t):
        return values.cast(pa.string())
    if pa.types.is_floating(t):
        finite = pc.is_finite(values).fill_null(False)
        whole = pc.and_(finite, pc.equal(pc.floor(values), values).fill_null(False))
        as_int = pc.if_else(whole, values, pa.scalar(None, t))
        return pc.cast(as_int, pa.int64(), safe=False).cast(pa.string())
    if pa.types.is_decimal(t):
        return values.cast(pa.string())
    return None


def classify_column(name: str, values: pa.Array, detectors: list[Detector], max_samples: int = 3) -> ColumnClassification:
    """Classify one column from a sample of its values."""
    text = as_text(values)
    if text is None:
        return ColumnClassification(name, None, [], False, None, 0.0, 0.0, [], 0, "type holds no identifiers")
    trimmed = strip_whitespace(text)
    present = pc.and_(pc.is_valid(trimmed), pc.not_equal(trimmed, "")).fill_null(False).to_numpy(zero_copy_only=False)
    non_null = int(present.sum())
    header_hits = {d.entity: header_matches(name, d) for d in detectors}
    header_entity = next((d.entity for d in detectors if header_hits[d.entity] == 1), None)
    if non_null == 0:
        return ColumnClassification(name, None, [], False, None, 0.0, 0.0, [], 0, "no values", header_entity=header_entity)

    claimed = ~present  # values already explained by a stricter detector
    shares: list[EntityShare] = []
    valid_masks: dict[str, np.ndarray] = {}
    normalised_of: dict[str, pa.Array] = {}
    for det in sorted(detectors, key=lambda d: -d.priority):
        if det.pattern is None:
            continue
        ok, normalised = det.valid_mask(trimmed)
        ok &= ~claimed
        count = int(ok.sum())
        if count:
            valid_masks[det.entity] = ok
            normalised_of[det.entity] = normalised
            shares.append(EntityShare(det.entity, count, count / non_null))
        # Only a convincing detector claims values: a stray match in a column of something
        # else must not hide those values from the detector that really explains them.
        if count / non_null >= 0.5 * det.min_share:
            claimed |= ok

    by_entity = {d.entity: d for d in detectors}
    candidates: list[tuple[float, int, str, str, str]] = []
    for s in shares:
        det = by_entity[s.entity]
        header = header_hits[s.entity]
        if header < 0:
            continue
        if det.requires_header and header < 1:
            continue
        threshold = det.min_share * (0.5 if header == 1 else 1.0)
        if s.share >= threshold:
            confidence = min(0.99, 0.5 + 0.5 * s.share + (0.2 if header == 1 else 0.0))
            why = f"{s.share:.0%} of values valid" + (", header names it" if header == 1 else "")
            candidates.append((confidence, det.priority, s.entity, why, VALID))
    if not candidates and header_entity is not None:
        det = by_entity[header_entity]
        share = next((s.share for s in shares if s.entity == header_entity), 0.0)
        # A header alone never labels a column whose values contradict it: a checkable
        # entity needs at least some values of its shape.
        if det.pattern is None:
            candidates.append((0.6, det.priority, header_entity, "header names it; values cannot be checked", NON_NULL))
        elif _looks_like(det, trimmed, present) >= 0.5 and share > 0:
            candidates.append((0.55, det.priority, header_entity, f"header names it; {share:.0%} of values pass the check", NON_NULL))

    if not candidates:
        return ColumnClassification(name, None, [], False, None, 0.0, 0.0, [], non_null, "no detector reached its share",
                                    header_entity=header_entity, shares=shares)
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    confidence, _, entity, why, rule = candidates[0]
    det = by_entity[entity]
    main_share = next((s.share for s in shares if s.entity == entity), 0.0)
    entities = [entity] + [s.entity for s in shares if s.entity != entity and s.share >= 0.05 and s.valid >= 2
                           and header_hits[s.entity] >= 0 and not by_entity[s.entity].requires_header]
    sensitive = any(by_entity[e].sensitive for e in entities)
    samples = _masked_samples(det, valid_masks.get(entity), normalised_of.get(entity), trimmed, present, max_samples)
    return ColumnClassification(
        name=name, entity=entity, entities=entities, sensitive=sensitive, category=det.category,
        confidence=round(confidence, 3), match_rate=round(main_share, 4), samples=samples, non_null=non_null,
        evidence=why, row_rule=rule, header_entity=header_entity, shares=shares,
    )


def _looks_like(det: Detector, values: pa.Array, present: np.ndarray) -> float:
    """Share of non-null values matching the pattern, before the checksum."""
    normalised = det.normalise(values)
    matched = pc.match_substring_regex(normalised, det.anchored_pattern).fill_null(False).to_numpy(zero_copy_only=False)
    return float(matched.sum() / max(1, present.sum()))


def _masked_samples(det: Detector, ok: np.ndarray | None, normalised: pa.Array | None, values: pa.Array,
                    present: np.ndarray, k: int) -> list[str]:
    source, mask = (normalised, ok) if ok is not None and ok.any() else (values, present)
    idx = np.flatnonzero(mask)
    seen: list[str] = []
    for i in idx[: k * 20]:
        v = source[int(i)].as_py()
        if v is None:
            continue
        masked = det.mask(v)
        if masked not in seen:
            seen.append(masked)
        if len(seen) >= k:
            break
    return seen
