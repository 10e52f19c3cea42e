"""自由文本 (free text: comments, notes, chat, complaints) that holds entities of its own.

Not recognised by a pattern: :func:`detectors.classify.classify_column` calls a column prose
when its values are long, hold Chinese characters and read as sentences, then analyses a sample
with the Presidio recognizers of the other detectors (:mod:`detectors.presidio`). The column's
``entities`` list what was found; its sensitivity follows them.

>>> DETECTOR.mask("客户说他的手机号是13800138000")
'客户说***'
"""

from __future__ import annotations

from detectors.base import Detector

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
