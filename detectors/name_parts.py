"""姓 + 名 (a person's name split over two columns: surname and given name).

CRM and HR exports often hold ``first_name`` + ``last_name`` (or 姓 + 名) instead of one 姓名
column. Either part alone has the shape of any short word, so only a header labels a column:

* ``PERSON_SURNAME`` (姓, 姓氏, surname, last_name, family_name): a Chinese surname from the
  surname list (张, 欧阳), its pinyin (Zhang, OUYANG), or a Latin-letter surname (Smith).
* ``PERSON_GIVEN_NAME`` (名, given_name, first_name): one to three Chinese characters, or one or
  two words in Latin letters (Wei, Xiaoming, Mary Ann).

Both are personal information of the same kind as ``PERSON_NAME`` (a name, not a key: two
people share one). Values that contradict the header (numbers, long phrases) are not labelled.

>>> import pyarrow as pa
>>> SURNAME.valid_mask(pa.array(["张", "欧阳", "Zhang", "Smith", "苹果手机", "123"]))[0].tolist()
[True, True, True, True, False, False]
>>> GIVEN_NAME.valid_mask(pa.array(["伟", "小明", "Xiaoming", "Mary Ann", "一二三四五", "A1"]))[0].tolist()
[True, True, True, True, False, False]
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors import resources
from detectors.base import Detector, strip_whitespace

CATEGORY = "identity"
LATIN_WORD = r"[A-Za-z][A-Za-z'\-]{0,29}"


@cache
def _surname_set() -> pa.Array:
    return pa.array(sorted(resources.single_surnames() | resources.compound_surnames()))


def normalise(values: pa.Array) -> pa.Array:
    return strip_whitespace(values)


def validate_surname(values: pa.Array) -> np.ndarray:
    """Chinese surnames must be on the list; Latin-letter ones (pinyin or foreign) pass by shape."""
    han = pc.match_substring_regex(values, r"^\p{Han}").to_numpy(zero_copy_only=False)
    known = pc.is_in(values, value_set=_surname_set()).fill_null(False).to_numpy(zero_copy_only=False)
    return ~han | known


def mask(value: str) -> str:
    return value[:1] + "*" * max(1, len(value) - 1) if len(value) > 1 else "*"


SURNAME = Detector(
    entity="PERSON_SURNAME",
    sensitive=False,
    category=CATEGORY,
    description="姓 — surname in a column of its own (姓, last_name; a header is needed)",
    pattern=rf"\p{{Han}}{{1,2}}|{LATIN_WORD}",
    validate=validate_surname,
    normalise=normalise,
    mask=mask,
    header_words=("姓氏", "surname", "lastname", "familyname", "xingshi"),
    header_exact=("姓", "xing", "last", "family"),
    header_negative=("姓名", "fullname", "name拼音"),
    requires_header=True,
    min_share=0.8,
    priority=21,
    examples=("张", "Zhang"),
    in_free_text=False,
)

GIVEN_NAME = Detector(
    entity="PERSON_GIVEN_NAME",
    sensitive=False,
    category=CATEGORY,
    description="名 — given name in a column of its own (名, first_name; a header is needed)",
    pattern=rf"\p{{Han}}{{1,3}}|{LATIN_WORD}(?: {LATIN_WORD})?",
    normalise=normalise,
    mask=mask,
    header_words=("givenname", "firstname", "forename", "mingzi"),
    header_exact=("名", "first", "given", "ming"),
    header_negative=("姓名", "fullname", "用户名", "username", "文件名", "filename", "域名", "domain", "名称", "排名",
                     "rank", "签名", "sign"),
    requires_header=True,
    min_share=0.8,
    priority=21,
    examples=("伟", "Wei"),
    in_free_text=False,
)

DETECTORS = (SURNAME, GIVEN_NAME)
