"""Our detectors as Presidio recognizers: offline blank zh engine, and context that works."""

from __future__ import annotations

import pytest

pytest.importorskip("presidio_analyzer")

from detectors import presidio  # noqa: E402


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory):
    import os
    os.environ["CHUJING_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    return presidio.build_analyzer()


def found(analyzer, text):
    return {(r.entity_type, text[r.start:r.end]) for r in analyzer.analyze(text=text, language="zh", score_threshold=0.4)}


def test_registry_is_ours_only():
    registry = presidio.build_registry()
    names = {r.name for r in registry.recognizers}
    assert names and all(n.startswith("chujing_") for n in names)
    assert all(r.supported_language == "zh" for r in registry.recognizers)


def test_finds_identifiers_in_chinese_prose(analyzer):
    text = "客户张伟的手机号是13800138000，身份证11010519491231002X，银行卡6222021234567890128。"
    hits = found(analyzer, text)
    assert ("CN_MOBILE_PHONE", "13800138000") in hits
    assert ("CN_RESIDENT_ID", "11010519491231002X") in hits
    assert ("CN_BANK_CARD", "6222021234567890128") in hits


def test_checksum_failures_are_dropped(analyzer):
    assert not any(e == "CN_RESIDENT_ID" for e, _ in found(analyzer, "身份证110105194912310021"))


def test_context_words_boost_in_chinese(analyzer):
    bare = analyzer.analyze(text="编号E12345678已登记", language="zh")
    with_context = analyzer.analyze(text="护照号码：E12345678", language="zh")
    bare_score = max((r.score for r in bare if r.entity_type == "CN_PASSPORT"), default=0)
    context_score = max(r.score for r in with_context if r.entity_type == "CN_PASSPORT")
    assert context_score > bare_score and context_score >= 0.6
    assert presidio.analyze_texts(["编号E12345678已登记"]) == [[]]
    assert [h[0] for h in presidio.analyze_texts(["护照号码：E12345678"])[0]] == ["CN_PASSPORT"]


def test_blank_model_is_saved_and_reused(analyzer):
    path = presidio.blank_zh_model_path()
    assert (path / "config.cfg").exists()
    assert presidio.blank_zh_model_path() == path


def test_plain_fallback_agrees_on_checksummed_entities():
    texts = ["手机13800138000，身份证11010519491231002X"]
    plain = {h[0] for h in presidio.analyze_texts_plain(texts)[0]}
    assert {"CN_MOBILE_PHONE", "CN_RESIDENT_ID"} <= plain
