"""Our detectors as Presidio recognizers, for free text and for users' own Presidio analyzers.

Every detector with a text pattern becomes a :class:`DetectorRecognizer` (a Presidio
``PatternRecognizer`` for language ``zh``) whose ``validate_result`` runs the detector's own
normaliser, pattern and checksum, so the definitions live once, in the detector modules.

Two Presidio habits are fixed here:

* **No download.** The NLP engine is ``spacy.blank("zh")`` (character segmentation, no model),
  saved once to a cache directory and loaded from there by path; nothing is fetched.
* **Context that works in Chinese.** Presidio's ``LemmaContextAwareEnhancer`` compares context
  words with spaCy lemmas, which a blank Chinese pipeline leaves empty, so context never fires.
  :class:`CharWindowContextEnhancer` looks at the raw characters just before (and after) a
  match instead: ``护照号码：E12345678`` is boosted, a bare ``E12345678`` is not.

* **Names and places without a model download.** The NLP engine is ``spacy.blank("zh")`` with
  jieba segmentation and our entity component (:mod:`detectors.ner`), saved to a cache
  directory and loaded by path. Its entities reach Presidio as ``PERSON``, ``LOCATION``,
  ``ORGANIZATION`` and ``CN_ADDRESS`` through Presidio's own ``SpacyRecognizer``:

  >>> from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
  >>> from presidio_analyzer.predefined_recognizers import SpacyRecognizer
  >>> registry = RecognizerRegistry(supported_languages=["zh"])
  >>> registry.add_recognizer(SpacyRecognizer(supported_language="zh", supported_entities=list(NER_ENTITIES)))
  >>> analyzer = AnalyzerEngine(registry=registry, nlp_engine=build_nlp_engine(), supported_languages=["zh"])
  >>> text = "王建国昨天从上海回来，住北京市朝阳区建国路88号"
  >>> [(r.entity_type, text[r.start:r.end]) for r in analyzer.analyze(text, language="zh")]
  [('PERSON', '王建国'), ('LOCATION', '上海'), ('CN_ADDRESS', '北京市朝阳区建国路88号')]

  (``build_registry()`` already holds that recognizer beside ours.)

Every pattern that meets text runs on RE2 (Arrow's kernels), never on Python's backtracking
``re``: a user's pattern such as ``(a+)+b`` or a long token in prose costs linear time.

Adding our recognizers to your own analyzer::

    from presidio_analyzer import AnalyzerEngine
    from detectors.presidio import build_registry, build_nlp_engine, CharWindowContextEnhancer

    analyzer = AnalyzerEngine(registry=build_registry(), nlp_engine=build_nlp_engine(),
                              supported_languages=["zh"], context_aware_enhancer=CharWindowContextEnhancer())
    analyzer.analyze("客户手机 13800138000", language="zh")

or ``registry.add_recognizer(r)`` for each ``r`` in ``recognizers()`` in a registry you already
have (its language must be ``zh``).
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector
from detectors.prose import SCORE_THRESHOLD, context_words, prose_pattern, text_pattern

LANGUAGE = "zh"
# Matches computed for a whole batch of texts before Presidio asks for them one text at a time.
_PREFETCH = threading.local()

# spaCy labels of :mod:`detectors.ner` → Presidio entities, and Presidio entities → ours.
NER_ENTITY_MAPPING = {"PERSON": "PERSON", "ADDRESS": "CN_ADDRESS", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
NER_ENTITIES = ("PERSON", "CN_ADDRESS", "LOCATION", "ORGANIZATION")
NER_TO_DETECTOR = {"PERSON": "PERSON_NAME", "CN_ADDRESS": "CN_ADDRESS"}


def _check_value(det: Detector, value: str) -> bool:
    return bool(det.value_check(value)) if det.value_check is not None else det.is_valid(value)


def recognizers(detectors: list[Detector] | None = None) -> list:
    """One Presidio ``PatternRecognizer`` per detector that works on free text."""
    from presidio_analyzer import Pattern, PatternRecognizer

    class DetectorRecognizer(PatternRecognizer):
        """A Presidio recognizer whose validation is the detector's own."""

        def __init__(self, det: Detector, regex: str):
            self.detector = det
            super().__init__(
                supported_entity=det.entity,
                name=f"chujing_{det.entity.lower()}",
                supported_language=LANGUAGE,
                patterns=[Pattern(name=det.entity.lower(), regex=regex, score=det.text_score)],
                context=context_words(det),
            )

        def validate_result(self, pattern_text: str) -> bool | None:
            if not _check_value(self.detector, pattern_text):
                return False
            # A checksum that passes is proof (score 1.0); a bare shape keeps its score, so
            # that context decides.
            return True if self.detector.validate is not None else None

        def analyze(self, text: str, entities: list[str], nlp_artifacts=None, regex_flags=None) -> list:
            """Matches found by RE2 (linear time), validated by the detector's own check."""
            from presidio_analyzer import EntityRecognizer, RecognizerResult

            results = []
            pattern = self.patterns[0]
            prefetched = getattr(_PREFETCH, "spans", None)
            spans = prefetched.get((id(self.detector), text)) if prefetched is not None else None
            for start, end in re2_matches(self.detector, text) if spans is None else spans:
                ok = self.validate_result(text[start:end])
                if ok is False:
                    continue
                results.append(RecognizerResult(
                    entity_type=self.supported_entities[0], start=start, end=end,
                    score=EntityRecognizer.MAX_SCORE if ok else pattern.score,
                    analysis_explanation=self.build_regex_explanation(self.name, pattern.name, pattern.regex,
                                                                      pattern.score, ok, 0),
                    recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                          RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}))
            return results

    if detectors is None:
        from detectors.registry import builtin_detectors
        detectors = builtin_detectors()
    out = []
    for det in detectors:
        regex = text_pattern(det)
        if regex is not None:
            out.append(DetectorRecognizer(det, regex))
    return out


def build_registry(detectors: list[Detector] | None = None):
    """A ``RecognizerRegistry`` for ``zh`` holding our recognizers only (no generic ones)."""
    from presidio_analyzer import RecognizerRegistry
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    for recognizer in recognizers(detectors):
        registry.add_recognizer(recognizer)
    if detectors is None or any(d.entity in NER_TO_DETECTOR.values() for d in detectors):
        registry.add_recognizer(SpacyRecognizer(supported_language=LANGUAGE, supported_entities=list(NER_ENTITIES),
                                                name="chujing_zh_ner"))
    return registry


def _cache_dir() -> Path:
    base = os.environ.get("CHUJING_CACHE_DIR")
    if base:
        return Path(base)
    try:
        from platformdirs import user_cache_dir
        return Path(user_cache_dir("chujing"))
    except ImportError:
        return Path(tempfile.gettempdir()) / "chujing-cache"


# Bump when the pipeline's make-up changes, so that an old saved one is not loaded.
PIPELINE_VERSION = 2


def blank_zh_model_path() -> Path:
    """A saved ``spacy.blank("zh")`` pipeline with jieba segmentation and :mod:`detectors.ner`'s
    entity component, written on first use (never downloaded)."""
    import spacy

    from detectors.ner import register_spacy_component

    register_spacy_component()
    target = _cache_dir() / f"spacy-zh-jieba-ner-{PIPELINE_VERSION}-{spacy.__version__}"
    if (target / "config.cfg").exists():
        return target
    nlp = spacy.blank(LANGUAGE, config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.add_pipe("chujing_zh_ner")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".blank-zh-"))
    except OSError:  # read-only home: a private temporary directory
        target = Path(tempfile.mkdtemp(prefix="chujing-blank-zh-"))
        nlp.to_disk(target)
        return target
    nlp.to_disk(tmp)
    try:
        tmp.rename(target)
    except OSError:  # another process won the race: use theirs
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def build_nlp_engine():
    """Presidio's spaCy engine over the saved Chinese pipeline (jieba + :mod:`detectors.ner`)."""
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": LANGUAGE, "model_name": str(blank_zh_model_path())}],
              "ner_model_configuration": {"model_to_presidio_entity_mapping": NER_ENTITY_MAPPING,
                                          "labels_to_ignore": [], "low_score_entity_names": ["ORGANIZATION"]}}
    return NlpEngineProvider(nlp_configuration=config).create_engine()


def _enhancer_class():
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    class CharWindowContextEnhancer(LemmaContextAwareEnhancer):
        """Context from the raw characters around a match (Chinese has no usable lemmas here)."""

        def __init__(self, window_before: int = 12, window_after: int = 4, **kwargs):
            super().__init__(**kwargs)
            self.window_before = window_before
            self.window_after = window_after

        def _extract_surrounding_words(self, nlp_artifacts, word: str, start: int) -> list[str]:
            doc = getattr(nlp_artifacts, "tokens", None)
            text = getattr(doc, "text", None)
            if not text:
                return [""]
            end = start + len(word)
            before = text[max(0, start - self.window_before):start]
            after = text[end:end + self.window_after]
            # Substring matching against one lower-cased window string: 护照 in "持卡人护照号码："
            return [re.sub(r"\s+", "", before + "|" + after).lower()]

    return CharWindowContextEnhancer


def __getattr__(name: str):
    if name == "CharWindowContextEnhancer":
        return _enhancer_class()
    raise AttributeError(name)


def build_analyzer(detectors: list[Detector] | None = None):
    """An ``AnalyzerEngine`` for Chinese: our registry, the blank zh engine, character context."""
    from presidio_analyzer import AnalyzerEngine

    return AnalyzerEngine(
        registry=build_registry(detectors),
        nlp_engine=build_nlp_engine(),
        supported_languages=[LANGUAGE],
        context_aware_enhancer=_enhancer_class()(),
    )


@cache
def _default_analyzer():
    return build_analyzer()


def analyze_texts(texts: list[str], detectors: list[Detector] | None = None,
                  score_threshold: float = SCORE_THRESHOLD) -> list[list[tuple[str, int, int, float]]]:
    """(entity, start, end, score) for what our recognizers find in each text."""
    analyzer = _default_analyzer() if detectors is None else _analyzer_for(tuple(detectors))
    out: list[list[tuple[str, int, int, float]]] = [[] for _ in texts]
    present = [i for i, t in enumerate(texts) if t]
    # Each recognizer's pattern runs once over all texts (one RE2 call, not one per text).
    batch = [texts[i] for i in present]
    spans: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for recognizer in analyzer.registry.recognizers:
        det = getattr(recognizer, "detector", None)
        if det is not None:
            for text, found in zip(batch, re2_matches_batch(det, batch), strict=True):
                spans[(id(det), text)] = found
    _PREFETCH.spans = spans
    try:
        return _analyze_prefetched(analyzer, texts, present, out, score_threshold)
    finally:
        _PREFETCH.spans = None


def _analyze_prefetched(analyzer, texts, present, out, score_threshold):
    # The NLP pass runs over the whole batch (spaCy's pipe: one address pass for all texts).
    artifacts = analyzer.nlp_engine.process_batch([texts[i] for i in present], language=LANGUAGE, batch_size=256)
    for i, (text, nlp_artifacts) in zip(present, artifacts, strict=True):
        results = analyzer.analyze(text=text, language=LANGUAGE, score_threshold=score_threshold,
                                   nlp_artifacts=nlp_artifacts)
        hits = []
        for r in results:
            entity = NER_TO_DETECTOR.get(r.entity_type, r.entity_type)
            if r.entity_type in ("LOCATION", "ORGANIZATION"):
                continue  # a place or a company is not a person's data
            hits.append((entity, r.start, r.end, round(r.score, 3)))
        out[i] = sorted(hits)
    return out


_ANALYZERS: dict[tuple[str, ...], object] = {}


def _analyzer_for(detectors: tuple[Detector, ...]):
    key = tuple(sorted(d.entity for d in detectors))
    from detectors.registry import builtin_detectors
    if key == tuple(sorted(d.entity for d in builtin_detectors())):
        return _default_analyzer()
    if key not in _ANALYZERS:
        _ANALYZERS[key] = build_analyzer(list(detectors))
    return _ANALYZERS[key]


def analyze_texts_plain(texts: list[str], detectors: list[Detector] | None = None) -> list[list[tuple[str, int, int, float]]]:
    """The same patterns and checks without Presidio (used when it is not installed); no context."""
    if detectors is None:
        from detectors.registry import builtin_detectors
        detectors = builtin_detectors()
    out: list[list[tuple[str, int, int, float]]] = [[] for _ in texts]
    for det in detectors:
        regex = text_pattern(det)
        if regex is None or det.text_score < SCORE_THRESHOLD and det.validate is None:
            continue
        for i, spans in enumerate(re2_matches_batch(det, texts)):
            for start, end in spans:
                if _check_value(det, texts[i][start:end]):
                    out[i].append((det.entity, start, end, 1.0 if det.validate else det.text_score))
    return [sorted(hits) for hits in out]


# --- RE2 matching (linear time) -----------------------------------------------------------------

_BEFORE = "(?<![0-9A-Za-z])"
_AFTER = "(?![0-9A-Za-z])"


@cache
def _re2_form(det: Detector) -> tuple[str | None, bool, bool]:
    """The detector's prose pattern without look-arounds, and which boundaries to check after."""
    regex = text_pattern(det)
    if regex is None:
        return None, False, False
    before, after = regex.startswith(_BEFORE), regex.endswith(_AFTER)
    return prose_pattern(det), before, after


def re2_matches(det: Detector, text: str) -> list[tuple[int, int]]:
    """Leftmost non-overlapping matches of the detector's prose pattern in ``text`` (RE2)."""
    return re2_matches_batch(det, [text])[0]


def re2_matches_batch(det: Detector, texts: list[str]) -> list[list[tuple[int, int]]]:
    """:func:`re2_matches` over many texts in one Arrow call.

    Each match is wrapped in control characters by ``replace_substring_regex`` and read back
    in one linear scan; the digit/letter boundaries Python's look-arounds expressed are checked
    on the characters around each match.
    """
    regex, before, after = _re2_form(det)
    out: list[list[tuple[int, int]]] = [[] for _ in texts]
    if regex is None or not texts:
        return out
    arr = pa.array([t or "" for t in texts], pa.string())
    # control characters are removed first: they are the markers
    clean = pc.replace_substring_regex(arr, pattern="[\x01\x02]", replacement=" ")
    pattern = f"(?i:{regex})"
    hit = pc.match_substring_regex(clean, pattern).to_numpy(zero_copy_only=False)
    if not hit.any():
        return out
    import numpy as np

    rows = np.flatnonzero(hit)
    marked = pc.replace_substring_regex(clean.take(pa.array(rows)), pattern=f"({pattern})",
                                        replacement="\x01\\1\x02").to_pylist()
    for row, m in zip(rows.tolist(), marked, strict=True):
        text = texts[row]
        pos = removed = 0
        while (a := m.find("\x01", pos)) >= 0:
            b = m.find("\x02", a)
            start, end = a - removed, b - removed - 1
            removed += 2
            pos = b + 1
            if end <= start:
                continue
            if before and start > 0 and _is_alnum(text[start - 1]):
                continue
            if after and end < len(text) and _is_alnum(text[end]):
                continue
            out[row].append((start, end))
    return out


def _is_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()
