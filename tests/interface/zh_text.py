"""What a Chinese report must not show, and the text a reader sees of each format (shared by the
tests of the Chinese reports)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from detectors.registry import load_detectors
from mappings import engine
from mappings import names as vocabulary
from scanner.persons.counter import KEYLESS_POLICIES

# --- the vocabularies -------------------------------------------------------------------------

def rule_entities() -> set[str]:
    """Every entity a shipped rule file names (thresholds, data types, sectors, candidates)."""
    found: set[str] = set()

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            if key.endswith("entities"):
                found.update(v for v in node if isinstance(v, str))
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and node.startswith("entity:") and not node.endswith("*"):
            found.add(node[len("entity:"):])

    for name in engine.available_rulesets():
        walk(engine.load_ruleset(name).model_dump())
    for name in engine.available_rulesets():
        for sector in engine.load_ruleset(name).sectors.values():
            for ents in [*sector.modalities.values(), *sector.out_of_scope_modalities.values()]:
                found.update(ents)
    return found


def vocabularies() -> dict[str, set[str]]:
    detectors = load_detectors([])
    rulesets = [engine.load_ruleset(n) for n in engine.available_rulesets()]
    sectors = {k: s for rs in rulesets for k, s in rs.sectors.items()}
    return {
        "entity": {d.entity for d in detectors} | rule_entities(),
        "category": {d.category for d in detectors} | {i.category for rs in rulesets for i in rs.items},
        "sector": set(sectors) | {"other"},
        "scenario": {c for s in sectors.values() for c in s.scenarios},
        "subject": {c for s in sectors.values() for c in s.subjects},
        "modality": {m for s in sectors.values() for m in [*s.modalities, *s.out_of_scope_modalities]},
        "policy": set(KEYLESS_POLICIES),
        "status": {"unreviewed", "confirmed", "dismissed"},
        "path": {i.path for rs in rulesets for i in rs.items} | {"none"},
    }


def code_words() -> set[str]:
    """The codes a Chinese report must not show. Sector keys are left out: they are part of
    every item id (``automotive.11``), which the reports show as the list's numbering."""
    words = set().union(*(v for k, v in vocabularies().items() if k != "sector"))
    return words | set(vocabulary.table()["findings"])


# --- the reports ----------------------------------------------------------------------------------

_FLAG = re.compile(r"--[a-z][a-z-]*(?:[ =][A-Za-z0-9_.,=/-]+)?")


def codes_in(text: str, codes: set[str]) -> list[str]:
    text = _FLAG.sub(" ", text)  # a flag to type (--subject other, --modality) is not prose
    words = re.findall(r"(?<![A-Za-z0-9_.#:-])[A-Za-z][A-Za-z0-9_]*(?![A-Za-z0-9_]|\.\d|#)", text)
    return sorted({w for w in words if w in codes})


def data_strings(report: dict) -> list[str]:
    """What the report shows from the data: paths, column names, samples, evidence lines."""
    out = []
    for f in report["files"]:
        out.append(f["path"])
        for c in f["columns"]:
            out.append(c["name"])
            out += c["samples"]
    for c in report["important_data"]:
        out += [line.split(": ", 1)[0] for line in c.get("evidence") or []]
        out += [part for line in c.get("evidence") or [] for part in line.split(": ", 1)[-1].split(", ")]
    return sorted({s for s in out if s}, key=len, reverse=True)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = False

    def handle_starttag(self, tag, attrs):
        self._skip = tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible(fmt: str, text: str) -> str:
    if fmt == "html":
        parser = _Text()
        parser.feed(text)
        return "\n".join(parser.parts)
    if fmt == "md":
        return text.replace("\\", "")
    return text


def human_text_of_json(report: dict) -> str:
    """The JSON's human text in Chinese: every ``zh`` of a bilingual text, and the Chinese fields."""
    out = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "zh" and isinstance(v, str) or k.endswith("_zh") and isinstance(v, str):
                    out.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(report)
    return "\n".join(out)


