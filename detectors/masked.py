"""Masked and damaged identifiers: ``451023********2854``, ``131****0212``, ``4.50100E+17``.

Exports often hide the middle of an identifier with stars. That is de-identification, not
anonymisation: PIPL Art 73 separates the two, and Art 4 keeps de-identified information inside
personal information (the person stays identifiable with other data; the visible digits of an
ID still give region, birth date or sex). So a masked column is labelled, as the *masked* form of
its base entity (``CN_RESIDENT_ID_MASKED``...), with the base's sensitivity and category (an
ID number that keeps its region and last digits is still 身份证件 information: the strict reading).

A masked value cannot tell two persons apart (``131****0212`` fits 10,000 numbers), so masked
entities are never person keys: their rows are counted by the keyless policy.

Excel turns long digit runs into floats and writes them in scientific notation
(``4.50100E+17``): the digits past the 6th are gone. Under a header that names the identifier,
such values are labelled as the masked form too, and the report says what happened
(:func:`notes_for`): the export destroyed them and must be redone with the column as text. The
same holds for a column stored as floats past 2**53 (an .xlsx or Parquet written from Excel):
:func:`detectors.classify.classify_column` relabels it, since two IDs rounded to one float would
otherwise merge two persons.

>>> import pyarrow as pa
>>> ID_MASKED.valid_mask(pa.array(["451023********2854", "110101********123X", "4510231990****2854", "451023199001012854"]))[0].tolist()
[True, True, True, False]
>>> PHONE_MASKED.valid_mask(pa.array(["131****0212", "138 **** 1234", "+86 139****5678", "1310000212"]))[0].tolist()
[True, True, True, False]
>>> ID_MASKED.valid_mask(pa.array(["4.50100E+17", "1.10101e+17"]), header_named=True)[0].tolist()
[True, True]
>>> ID_MASKED.valid_mask(pa.array(["4.50100E+17"]))[0].tolist()    # without the header: any 18-digit number
[False]
>>> is_scientific("4.50100E+17"), is_scientific("451023********2854")
(True, False)
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors import cn_bank_card, cn_mobile_phone, cn_resident_id
from detectors.base import Detector, replace_regex, replace_regexes, strip_whitespace

STAR = "*"
_PROVINCE = r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[1-3]|91)"


def scientific(exponents: str) -> str:
    """An Excel float in scientific notation with one of ``exponents`` (``4.50100E+17``)."""
    return rf"[1-9](?:\.\d{{1,15}})?E\+?(?:{exponents})"


def is_scientific(value: str) -> bool:
    return re.fullmatch(r"[1-9](?:\.\d{1,15})?[eE]\+?\d{1,2}", value.strip()) is not None


def normalise(values: pa.Array) -> pa.Array:
    """Stars of any width become ``*``; spaces and dashes go; an e-notation's ``e`` is upper case."""
    return pc.utf8_upper(replace_regexes(strip_whitespace(values), _REWRITES))


_REWRITES = (("[＊●•×]", STAR), (r"^(?:\+86|0086)[\s\-]?", ""), (r"[\s\-]", ""))


def _validator(min_digits: int) -> object:
    def validate(values: pa.Array) -> np.ndarray:
        """At least 3 stars in a row and ``min_digits`` digits still visible."""
        stars = pc.match_substring(values, STAR * 3).to_numpy(zero_copy_only=False)
        digits = pc.utf8_length(replace_regex(values, r"[^0-9]", "")).to_numpy(zero_copy_only=False)
        return stars & (digits >= min_digits)
    return validate


def _mask_with(base_mask):
    def mask(value: str) -> str:
        """Sci-notation values keep 2 digits; masked ones are masked again as the base entity
        masks (a masked ID that shows its birth date is shown without it)."""
        if is_scientific(value):
            mantissa, _, exponent = value.upper().partition("E")
            return mantissa[:4] + "**E" + exponent
        return base_mask(value)
    return mask


def _masked(base: Detector, pattern: str, header_pattern: str, min_digits: int, example: str) -> Detector:
    return Detector(
        entity=f"{base.entity}_MASKED",
        sensitive=base.sensitive,
        category=base.category,
        description=f"{base.description.split(' — ')[0]}, masked or destroyed by the export ({example}); not a person key",
        pattern=pattern,
        validate=_validator(min_digits),
        normalise=normalise,
        mask=_mask_with(base.mask),
        header_words=base.header_words,
        header_exact=base.header_exact,
        header_negative=base.header_negative,
        header_pattern=header_pattern,
        person_key=False,  # a masked value fits many persons: counted by the keyless policy
        min_share=0.8,
        priority=base.priority - 1,
        examples=(),
        in_free_text=False,
    )


ID_MASKED = _masked(
    cn_resident_id.DETECTOR,
    pattern=rf"{_PROVINCE}[0-9*]{{15}}[0-9X*]|{_PROVINCE}[0-9*]{{13}}",
    header_pattern=scientific("17|14"),
    min_digits=4,
    example="451023********2854, 4.50100E+17",
)
PHONE_MASKED = _masked(
    cn_mobile_phone.DETECTOR,
    pattern=r"1[3-9][0-9*]{9}",
    header_pattern=scientific("10"),
    min_digits=5,
    example="131****0212",
)
BANK_CARD_MASKED = _masked(
    cn_bank_card.DETECTOR,
    pattern=r"(?:62|60|4\d|5[1-5]|3[457]|9\d)[0-9*]{13,17}",
    header_pattern=rf"\*{{4,15}}\d{{4}}|{scientific('14|15|16|17|18')}",
    min_digits=6,
    example="622202******0128",
)

DETECTORS = (ID_MASKED, PHONE_MASKED, BANK_CARD_MASKED)
MASKED_ENTITIES = frozenset(d.entity for d in DETECTORS)


def notes_for(columns: list[tuple[str, str, list[str]]]) -> list[dict[str, str]]:
    """Report notes for ``(where, entity, masked samples)`` of masked columns, in both languages.

    >>> notes_for([("a.csv: 身份证号", "CN_RESIDENT_ID_MASKED", ["4.50**E+17"])])[0]["en"][:60]
    'ID numbers in scientific notation: the export destroyed them'
    """
    destroyed = [where for where, entity, samples in columns
                 if entity in MASKED_ENTITIES and any("E+" in s or "E1" in s for s in samples)]
    masked = [where for where, entity, samples in columns
              if entity in MASKED_ENTITIES and where not in destroyed]
    notes = []
    if destroyed:
        notes.append({
            "zh": f"科学计数法的证件/号码（{', '.join(destroyed)}）：导出时已被破坏（Excel 丢失了后几位），请将该列设为文本后重新导出",
            "en": f"ID numbers in scientific notation: the export destroyed them; re-export as text ({', '.join(destroyed)})",
        })
    if masked:
        notes.append({
            "zh": f"部分遮盖的标识符（{', '.join(masked)}）仍属个人信息（《个人信息保护法》第四条、第七十三条：去标识化不是匿名化）；"
                  "无法区分不同的人，按无键行规则计数",
            "en": f"Partly masked identifiers ({', '.join(masked)}) are still personal information (PIPL Art 4 and 73: "
                  "de-identified is not anonymised); they cannot tell persons apart, so their rows count by the keyless policy",
        })
    return notes
