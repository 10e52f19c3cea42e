"""All built-in detectors, in one list.

Adding an entity is adding one module with a ``DETECTOR`` and one line here. Users add their own
through a YAML file (``--detectors FILE``) or the ``chujing.detectors`` entry point.
"""

from __future__ import annotations

from detectors import cn_bank_card, cn_mobile_phone, cn_resident_id
from detectors.base import Detector

BUILTIN_MODULES = (
    cn_resident_id,
    cn_mobile_phone,
    cn_bank_card,
)


def builtin_detectors() -> list[Detector]:
    """The built-in detectors, highest priority first."""
    return sorted((m.DETECTOR for m in BUILTIN_MODULES), key=lambda d: -d.priority)


def by_entity(detectors: list[Detector] | None = None) -> dict[str, Detector]:
    return {d.entity: d for d in (detectors or builtin_detectors())}
