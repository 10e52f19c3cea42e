"""How a detector's values look inside prose: the unanchored pattern, the context words, the
score a match needs. Shared by the vectorised pass over free-text columns
(:mod:`detectors.free_text`) and the Presidio recognizers (:mod:`detectors.presidio`)."""

from __future__ import annotations

from detectors.base import Detector, digits_text_pattern

# Scores at or above this are reported (a bare 8-digit-like passport scores 0.3 and needs a
# context word to pass).
SCORE_THRESHOLD = 0.4
_BOUNDARY_BEFORE = "(?<![0-9A-Za-z])"
_BOUNDARY_AFTER = "(?![0-9A-Za-z])"


def text_pattern(det: Detector) -> str | None:
    """The unanchored pattern a detector uses in prose (None when it stays out of free text)."""
    if not det.in_free_text or (det.pattern is None and det.text_pattern is None):
        return None
    return det.text_pattern or digits_text_pattern(det.pattern)


def context_words(det: Detector) -> list[str]:
    words = det.context_words or tuple(w for w in det.header_words if len(w) >= 2)
    return sorted({w.lower() for w in words})


def prose_pattern(det: Detector) -> str | None:
    """The detector's prose shape as RE2 (separators and prefixes allowed), without look-arounds.

    ``+86 138 0013 8000`` and ``6222 0212 3456 7890 128`` match here; the value is then
    normalised and validated like a column value. Falls back to the value pattern when the
    prose pattern needs look-arounds RE2 cannot run.
    """
    if det.entity == "FREE_TEXT" or (det.pattern is None and det.text_pattern is None):
        return None
    regex = text_pattern(det) if det.in_free_text else None
    if regex is None:
        return det.pattern
    if regex.startswith(_BOUNDARY_BEFORE):
        regex = regex[len(_BOUNDARY_BEFORE):]
    if regex.endswith(_BOUNDARY_AFTER):
        regex = regex[: -len(_BOUNDARY_AFTER)]
    if "(?<" in regex or "(?=" in regex or "(?!" in regex:
        return det.pattern
    return regex
