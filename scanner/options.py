"""What a scan needs beyond its paths: :class:`ScanOptions`, built by the CLI, the config file,
Spark submit and the Python API alike."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from detectors.base import Detector
from mappings import engine

DEFAULT_SAMPLE_ROWS = 5000


@dataclass
class ScanOptions:
    """Everything a scan needs beyond the paths. The CLI and the Python API both build one."""

    ruleset: str | None = None  # None: the national baseline, or the zone's list with ftz
    ftz: str | None = None  # "beijing": the exporter states it is registered in the Beijing FTZ
    outside_scope: str | None = None  # a sector note's statement that puts the exporter outside the list
    ftz_source: str | None = None
    sector: str = "other"
    scenario: str = "other"
    subject: str | None = None
    modality: str | None = None
    ciio: bool = False
    year: int | None = None
    person_keys: list[str] = field(default_factory=list)
    not_keys: list[str] = field(default_factory=list)  # placeholder values that name nobody
    max_identities: int = 3  # a contact held by more identities is shared and links nothing
    subjects: dict[str, str] = field(default_factory=dict)  # path (or glob) → subject role
    sample_rows: int = DEFAULT_SAMPLE_ROWS
    full: bool = False
    detector_files: list[str] = field(default_factory=list)
    detectors: list[Detector] | None = None
    important: list[str] = field(default_factory=list)
    not_important: list[str] = field(default_factory=list)
    ledger: str | None = None
    ledger_key_file: str | None = None
    record: bool = False
    transfer_id: str | None = None
    recipient: str | None = None
    purpose: str | None = None
    exempt: str | None = None
    decisions: Any = None  # a path to a decisions file, or a scanner.review.decisions.Decisions
    state: str | None = None  # incremental state file
    storage_options: dict[str, Any] = field(default_factory=dict)  # fsspec / Delta options for URLs
    sensitive_areas: str | None = None  # GeoJSON of military zones, government sites...
    spark_master: str | None = None  # --engine spark
    rescan: bool = False
    keyless_policy: str = "each_row_is_a_person"
    scan_date: _dt.date | None = None
    block_size: int = 4 * 1024 * 1024
    progress: Callable[[dict[str, Any]], None] | None = None

    def context(self) -> engine.Context:
        return engine.Context(ruleset=self.ruleset, ftz=self.ftz, outside_scope=self.outside_scope,
                              ftz_source=self.ftz_source, sector=self.sector, scenario=self.scenario,
                              subject=self.subject, modality=self.modality, ciio=self.ciio,
                              year=self.year or (self.scan_date or _dt.date.today()).year)


# The options a config file's ``[scan]`` table may hold, one row each: key → (the
# :class:`ScanOptions` field it sets, or None for what belongs to the run rather than to one
# scan: the inputs, the engine, the exit status; the type its value must have). The CLI's options
# carry the field's name; ``chujing.toml`` (:mod:`scanner.config`) and Spark submit read this.
CONFIG_KEYS: dict[str, tuple[str | None, type | tuple[type, ...]]] = {
    "sources": (None, list), "ruleset": ("ruleset", str), "sector": ("sector", str), "scenario": ("scenario", str),
    "subject": ("subject", str), "modality": ("modality", str), "ciio": ("ciio", bool), "year": ("year", int),
    "person_keys": ("person_keys", list), "subjects": ("subjects", dict), "sample_rows": ("sample_rows", int),
    "full": ("full", bool), "detectors": ("detector_files", list), "important": ("important", list),
    "not_important": ("not_important", list), "ledger": ("ledger", str), "ledger_key": ("ledger_key_file", str),
    "decisions": ("decisions", str), "state": ("state", str), "fail_on": (None, str), "engine": (None, str),
    "spark_master": ("spark_master", str), "sensitive_areas": ("sensitive_areas", str),
    "keyless_policy": ("keyless_policy", str), "storage_options": ("storage_options", dict),
}


def options_from_config(scan: dict[str, Any]) -> ScanOptions:
    """A :class:`ScanOptions` from a config file's ``[scan]`` table (already checked by
    :func:`scanner.config.load_config`); the run's own keys are left out."""
    values = {}
    for key, value in scan.items():
        if key not in CONFIG_KEYS:
            raise ValueError(f"[scan] {key} is not an option of a scan")
        name = CONFIG_KEYS[key][0]
        if name is None:
            continue
        values[name] = list(value) if isinstance(value, tuple) else value
    return ScanOptions(**values)
