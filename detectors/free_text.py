"""自由文本 (free text: comments, notes, chat, complaints) that holds entities of its own.

Not recognised by a pattern: :func:`detectors.classify.classify_column` calls a column prose
when its values are long, hold Chinese characters and read as sentences, then analyses a sample
with the Presidio recognizers of the other detectors and the Chinese entity recogniser
(:mod:`detectors.presidio`, :mod:`detectors.ner`). The column's ``entities`` list what was found
(a phone, an ID, a person's name, an address); its sensitivity follows them: a name beside a
diagnosis makes the column medical, hence sensitive.

>>> DETECTOR.mask("客户说他的手机号是13800138000")
'客户说***'
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector
from detectors.prose import SCORE_THRESHOLD, context_words, prose_pattern

ENTITY = "FREE_TEXT"


def mask(value: str) -> str:
    return value[:3] + "***"


DETECTOR = Detector(
    entity=ENTITY,
    sensitive=False,  # per content: the column is sensitive when a sensitive entity is found in it
    category="free_text",
    description="自由文本 — prose (comments, notes) analysed with the Presidio recognizers; entities listed",
    pattern=None,
    mask=mask,
    priority=0,
    in_free_text=False,
)


# --- entities inside prose, for every row (the full pass) ---------------------------------------

MAX_CANDIDATES = 4  # per row: later candidates are tried when the first ones do not validate
# Entities found in prose by :mod:`detectors.ner`, and its labels for them.
NER_LABELS = {"PERSON_NAME": "PERSON", "CN_ADDRESS": "ADDRESS"}


def entities_in_text(det: Detector, texts: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Rows whose prose holds a valid value of ``det``, and that value normalised (null elsewhere).

    Vectorised with Arrow's RE2: the n-th candidate of every row is extracted at once, checked
    with the detector's own normaliser and validator, and rows without a valid one yet try the
    next candidate (up to :data:`MAX_CANDIDATES`). Detectors without a checksum whose score in
    prose is below Presidio's threshold (a bare passport-like ``E12345678``) need one of their
    context words in the 12 characters before the value, as in :mod:`detectors.presidio`.

    >>> from detectors.cn_mobile_phone import DETECTOR as phone
    >>> ok, values = entities_in_text(phone, pa.array(["请致电+86 138 0013 8000谢谢", "订单20261103001", None]))
    >>> ok.tolist(), values.to_pylist()
    ([True, False, False], ['13800138000', None, None])
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if det.entity in NER_LABELS:
        # names and addresses are not shapes: the entity recogniser reads the sentence
        from detectors.ner import texts_with

        return texts_with(NER_LABELS[det.entity], texts)
    n = len(texts)
    found = np.zeros(n, dtype=bool)
    values = pa.nulls(n, pa.string())
    regex = prose_pattern(det)
    if regex is None or n == 0:
        return found, values
    needs_context = det.validate is None and det.text_score < SCORE_THRESHOLD
    words = [w for w in context_words(det) if w]
    candidate = f"(?:^|[^0-9A-Za-z])(?P<v>(?i:{regex}))(?:[^0-9A-Za-z]|$)"
    skip = f"(?:.*?[^0-9A-Za-z]?(?i:{regex}))"
    remaining = np.ones(n, dtype=bool)
    for k in range(MAX_CANDIDATES):
        rows = np.flatnonzero(remaining)
        if not len(rows):
            break
        subset = texts.take(pa.array(rows)) if len(rows) < n else texts
        head = f"(?s)^{skip}{{{k}}}.*?" if k else "(?s)^.*?"
        extracted = pc.extract_regex(subset, f"{head}(?P<pre>.{{0,12}}?){candidate}" if needs_context
                                     else f"{head}{candidate}")
        raw = pc.struct_field(extracted, "v")
        has = raw.is_valid().to_numpy(zero_copy_only=False)
        if not has.any():
            break
        ok, normalised = det.valid_mask(raw)
        if needs_context and words:
            before = pc.utf8_lower(pc.struct_field(extracted, "pre"))
            near = pc.match_substring_regex(before, "|".join(re.escape(w) for w in words))
            ok &= near.fill_null(False).to_numpy(zero_copy_only=False)
        if ok.any():
            hit = rows[ok]
            found[hit] = True
            mask = np.zeros(n, dtype=bool)
            mask[hit] = True
            positions = np.zeros(n, dtype=np.int64)
            positions[hit] = np.flatnonzero(ok)
            values = pc.if_else(pa.array(mask), normalised.take(pa.array(positions)), values)
        remaining[rows[ok | ~has]] = False
    return found, values
