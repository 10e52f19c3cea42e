"""The JSON report's text is the standard library's ``json.dumps(..., ensure_ascii=False,
indent=2, default=str)``, byte for byte, written by the faster ``json_text``."""

from __future__ import annotations

import datetime
import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.engines.local import scan
from scanner.report.json_text import json_text

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                    st.sampled_from(["", "张伟", "a\"b\\c", "\n\t\u2028", "\x00\x1f", "😀", "é"]),
                    st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2030, 1, 1)))
KEYS = st.one_of(st.text(max_size=6), st.integers(-5, 5), st.booleans(), st.none(),
                 st.floats(allow_nan=False, allow_infinity=True))
DOCUMENTS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.tuples(inner, inner),
                                                          st.dictionaries(KEYS, inner, max_size=4)),
                         max_leaves=40)


def _standard(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


@settings(max_examples=400, deadline=None)
@given(DOCUMENTS)
def test_any_document_is_written_as_the_standard_library_writes_it(data):
    assert json_text(data) == _standard(data)


def test_special_floats_and_keys():
    data = {7: math.nan, 2.5: math.inf, True: -math.inf, None: -0.0, "x": [[], {}, ()], False: 1e-05}
    assert json_text(data) == _standard(data)


def test_a_real_report_is_the_same_text(tmp_path):
    report = scan(["sample_data/retail_services", "sample_data/handwritten"])
    assert report.to_json() == _standard(report.to_dict())
    assert len(report.files) > 2
