"""The names of the codes chujing's rules and reports use, in Chinese and English.

One table (``mappings/names.yaml``) for the entities, the categories of personal information,
the modalities, the keyless policies, the review statuses and the table-level findings. The
rule engine's Chinese reasons name entities and modalities by it; the reports show these names
instead of the codes when drawn in Chinese. Sectors, scenarios and subject roles are named in
the rule files next to their items.

>>> name("entities", "CN_RESIDENT_ID")
'居民身份证号'
>>> name("entities", "CN_RESIDENT_ID", "en")
'resident ID number'
>>> name("entities", "MY_OWN_ID")   # a user's own detector: the code itself
'MY_OWN_ID'
>>> join_names("entities", ["MAC_ADDRESS", "DEVICE_SERIAL"])
'MAC地址、设备序列号'
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources

import yaml

KINDS = ("entities", "categories", "modalities", "keyless_policies", "statuses", "findings")


@cache
def table() -> dict[str, dict[str, tuple[str, str]]]:
    """Every kind's ``code -> (zh, en)``, read once from ``mappings/names.yaml``."""
    where = "mappings/names.yaml"
    data = yaml.safe_load((resources.files("mappings") / "names.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("schema") != "chujing.names/1":
        raise ValueError(f"{where}: schema must be chujing.names/1")
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for kind in KINDS:
        entries = data.get(kind)
        if not isinstance(entries, dict):
            raise ValueError(f"{where}: {kind} must be a mapping of codes to {{zh, en}}")
        out[kind] = {}
        for code, text in entries.items():
            if not isinstance(text, dict) or not text.get("zh") or not text.get("en"):
                raise ValueError(f"{where}: {kind}.{code} needs both zh and en")
            out[kind][str(code)] = (str(text["zh"]), str(text["en"]))
    return out


def names(kind: str, code: str) -> tuple[str, str] | None:
    """``(zh, en)`` of ``code``, or ``None`` when the table has no name for it."""
    return table()[kind].get(code)


def name(kind: str, code: str, lang: str = "zh") -> str:
    """The name of ``code`` in ``lang`` (``zh`` or ``en``); the code itself when it has none."""
    found = names(kind, code)
    if found is None:
        return code
    return found[0] if lang == "zh" else found[1]


def join_names(kind: str, codes: Iterable[str], lang: str = "zh") -> str:
    """Several names as one phrase: ``、`` between Chinese names, ``, `` between English ones."""
    return ("、" if lang == "zh" else ", ").join(name(kind, c, lang) for c in codes)
