"""The project config file, ``chujing.toml``: what a scheduled job scans and where reports go.

A scheduled job is then ``chujing scan`` with no flags; a flag on the command line overrides
the file. Found in the working directory, or given with ``--config``.

.. code-block:: toml

    [exporter]
    ftz = "beijing"                              # registered in the Beijing FTZ: the Beijing list decides
    # outside_scope = "aircraft_manufacturing"   # a sector's note puts the exporter outside the list

    [scan]
    sources = ["exports/", "lake/members/"]      # paths, globs, hive datasets, fsspec URLs
    sector = "retail_services"
    scenario = "member_management"
    person_keys = ["member_id"]
    ledger = "~/.local/share/chujing/ledger.db"
    decisions = "chujing-decisions.yaml"
    state = ".chujing-state.db"                  # incremental: unchanged files are not read again

    [scan.subjects]                              # subject role per file (glob on the path)
    "exports/hcp_*.csv" = "hcp"

    [persons]
    not_keys = ["13912345678", "service@shop.cn"] # placeholder values of your systems: never link
    shared_contact_identities = 3                # a contact held by more identities links nothing

    [report]
    lang = "zh"                                  # every report in Chinese (default: the locale)

    [[outputs]]
    format = "json"
    path = "reports/scan.json"

    [[outputs]]
    format = "html"
    path = "reports/scan.html"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.options import CONFIG_KEYS

CONFIG_NAME = "chujing.toml"

# Keys of [scan] and the type each must have (the options table of scanner.options).
SCAN_KEYS: dict[str, type | tuple[type, ...]] = {key: kind for key, (_, kind) in CONFIG_KEYS.items()}
OUTPUT_FORMATS = ("json", "table", "md", "html")
# Keys of [persons]: how rows are linked into persons (see scanner.persons.linking).
PERSONS_KEYS: dict[str, type] = {"not_keys": list, "shared_contact_identities": int}
# Keys of [report]: how every report of the run is drawn.
REPORT_LANGS = ("en", "zh")
# Keys of [exporter]: what the exporter states about itself.
EXPORTER_KEYS = {"ftz": ("beijing",), "outside_scope": None}


@dataclass
class Output:
    format: str
    path: str | None = None
    lang: str | None = None


@dataclass
class ProjectConfig:
    path: str
    scan: dict[str, Any] = field(default_factory=dict)
    outputs: list[Output] = field(default_factory=list)
    exporter: dict[str, str] = field(default_factory=dict)
    persons: dict[str, Any] = field(default_factory=dict)
    report: dict[str, str] = field(default_factory=dict)


def find_config(explicit: str | None = None, cwd: str | None = None) -> str | None:
    """The config file to use: ``--config``, else ``chujing.toml`` in the working directory."""
    if explicit:
        return explicit
    candidate = Path(cwd or os.getcwd()) / CONFIG_NAME
    return str(candidate) if candidate.is_file() else None


def load_config(path: str) -> ProjectConfig:
    """Read and check a config file; ``ValueError("<path>: <reason>")`` on any mistake.

    Relative paths in the file are relative to the file's folder, so that a scheduled job can
    run from anywhere.
    """
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ValueError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror or 'error'})") from None
    unknown = set(data) - {"scan", "outputs", "exporter", "persons", "report"}
    if unknown:
        raise ValueError(f"{path}: unknown section(s) {', '.join(sorted(unknown))}: expected [exporter], [scan], "
                         "[persons], [report] and [[outputs]]")
    persons = data.get("persons", {})
    if not isinstance(persons, dict):
        raise ValueError(f"{path}: [persons] must be a table")
    for key, value in persons.items():
        expected = PERSONS_KEYS.get(key)
        if expected is None:
            raise ValueError(f"{path}: [persons] has an unknown key {key!r}; known keys: {', '.join(PERSONS_KEYS)}")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ValueError(f"{path}: [persons] {key} must be a {_type_name(expected)}")
    if persons.get("shared_contact_identities", 1) < 1:
        raise ValueError(f"{path}: [persons] shared_contact_identities must be at least 1")
    exporter = data.get("exporter", {})
    if not isinstance(exporter, dict):
        raise ValueError(f"{path}: [exporter] must be a table")
    for key, value in exporter.items():
        if key not in EXPORTER_KEYS:
            raise ValueError(f"{path}: [exporter] has an unknown key {key!r}; known keys: {', '.join(EXPORTER_KEYS)}")
        allowed = EXPORTER_KEYS[key]
        if not isinstance(value, str) or (allowed is not None and value not in allowed):
            raise ValueError(f"{path}: [exporter] {key} must be " + (" or ".join(f'"{a}"' for a in allowed)
                                                                      if allowed else "a string"))
    scan = dict(data.get("scan", {}))
    for key, value in scan.items():
        expected = SCAN_KEYS.get(key)
        if expected is None:
            raise ValueError(f"{path}: [scan] has an unknown key {key!r}; known keys: {', '.join(sorted(SCAN_KEYS))}")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ValueError(f"{path}: [scan] {key} must be a {_type_name(expected)}")
    base = Path(path).resolve().parent
    for key in ("ledger", "ledger_key", "decisions", "state", "sensitive_areas"):
        if key in scan:
            scan[key] = _resolve(scan[key], base)
    if "sources" in scan:
        scan["sources"] = [_resolve(str(s), base) for s in scan["sources"]]
    if "detectors" in scan:
        scan["detectors"] = [_resolve(str(s), base) for s in scan["detectors"]]
    if "subjects" in scan:
        scan["subjects"] = {_resolve(str(k), base): str(v) for k, v in scan["subjects"].items()}
    outputs = []
    raw_outputs = data.get("outputs", [])
    if not isinstance(raw_outputs, list):
        raise ValueError(f"{path}: outputs must be an array of tables ([[outputs]])")
    for i, raw in enumerate(raw_outputs, 1):
        fmt = raw.get("format")
        if fmt not in OUTPUT_FORMATS:
            raise ValueError(f"{path}: outputs #{i}: format must be one of {', '.join(OUTPUT_FORMATS)}")
        out_path = raw.get("path")
        outputs.append(Output(format=fmt, path=_resolve(out_path, base) if out_path else None, lang=raw.get("lang")))
    report = data.get("report", {})
    if not isinstance(report, dict):
        raise ValueError(f"{path}: [report] must be a table")
    for key, value in report.items():
        if key != "lang":
            raise ValueError(f"{path}: [report] has an unknown key {key!r}; known keys: lang")
        if value not in REPORT_LANGS:
            raise ValueError(f"{path}: [report] lang must be " + " or ".join(f'"{v}"' for v in REPORT_LANGS))
    for i, out in enumerate(outputs, 1):
        if out.lang is not None and out.lang not in REPORT_LANGS:
            raise ValueError(f"{path}: outputs #{i}: lang must be " + " or ".join(f'"{v}"' for v in REPORT_LANGS))
    return ProjectConfig(path=path, scan=scan, outputs=outputs, exporter=dict(exporter), persons=dict(persons),
                         report=dict(report))


def _resolve(value: str, base: Path) -> str:
    if "://" in value:
        return value  # a URL (s3://, gs://...)
    expanded = os.path.expanduser(value)
    return expanded if os.path.isabs(expanded) else str(base / expanded)


def _type_name(t: type | tuple[type, ...]) -> str:
    return {list: "list", dict: "table", str: "string", bool: "boolean (true/false)", int: "whole number"}.get(t, str(t))
