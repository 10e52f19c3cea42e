"""Users' own detectors: employee numbers, member IDs, contract numbers...

Declared in a YAML file loaded with ``--detectors FILE``::

    detectors:
      - name: EMPLOYEE_ID            # the entity reported for matching columns
        pattern: 'E\\d{6}'            # RE2, matched against the whole (trimmed) value
        validator: none              # one of: none, luhn, mod11-2, mod97, uscc, vin
        header_words: [工号, 员工编号, employee id, empno]
        header_exact: [gh]           # pinyin initials that must be the whole header
        sensitive: false
        category: employee
        person_key: true             # the column identifies a person (counted once)
        identity: false              # true: an identity document (two values = two persons);
                                     # false: a contact or account, which may be shared
        requires_header: false       # true: values alone never label a column
        min_share: 0.8               # share of values that must validate
        priority: 65                 # higher wins conflicts (built-ins: 15-110)
        description: 员工工号

or as Python, through the ``chujing.detectors`` entry point group. An entry point may name a
:class:`~detectors.base.Detector`, a list of them, a zero-argument function returning either, or
a :class:`DetectorSpec` subclass written like a Presidio recognizer::

    class EmployeeId(DetectorSpec):
        entity = "EMPLOYEE_ID"
        pattern = r"E\\d{6}"
        header_words = ("工号",)
        person_key = True

    # pyproject.toml of the user's package
    # [project.entry-points."chujing.detectors"]
    # employee_id = "mycompany.detectors:EmployeeId"

A pattern RE2 cannot compile is refused with a message that names the file and the detector.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import metadata
from os import PathLike
from pathlib import Path
from typing import Any

import yaml

from detectors.base import Detector, remove_separators, strip_whitespace, upper_compact
from detectors.checks import VALIDATORS

ENTRY_POINT_GROUP = "chujing.detectors"

_KEYS = {
    "name", "entity", "pattern", "validator", "header_words", "header_exact", "header_negative", "header_pattern",
    "sensitive", "category", "person_key", "identity", "requires_header", "min_share", "priority", "description", "normalise",
    "examples", "context_words",
}
_NORMALISERS = {
    "strip": strip_whitespace,
    "separators": remove_separators,
    "upper": upper_compact,
}


class DetectorSpec:
    """Declarative base for Python detectors (class attributes, as Presidio recognizers are)."""

    entity: str = ""
    pattern: str | None = None
    validator: str = "none"
    header_words: tuple[str, ...] = ()
    header_exact: tuple[str, ...] = ()
    header_negative: tuple[str, ...] = ()
    header_pattern: str | None = None
    sensitive: bool = False
    category: str = "custom"
    person_key: bool = False
    identity: bool = False
    requires_header: bool = False
    min_share: float = 0.8
    priority: int = 65
    description: str = ""

    @classmethod
    def to_detector(cls) -> Detector:
        spec = {k: getattr(cls, k) for k in dir(cls) if k in _KEYS}
        return detector_from_mapping(spec, where=f"class {cls.__name__}")


def detector_from_mapping(spec: dict[str, Any], where: str) -> Detector:
    """Build a Detector from a YAML mapping; ``where`` names its origin in error messages."""
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: each detector must be a mapping of keys, not {type(spec).__name__}")
    unknown = set(spec) - _KEYS
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known keys: {', '.join(sorted(_KEYS))}")
    entity = str(spec.get("entity") or spec.get("name") or "").strip()
    if not entity:
        raise ValueError(f"{where}: a detector needs a name")
    where = f"{where}, detector {entity}"
    validator_name = str(spec.get("validator") or "none").lower()
    if validator_name not in VALIDATORS:
        raise ValueError(f"{where}: unknown validator {validator_name!r}; use one of {', '.join(sorted(VALIDATORS))}")
    normaliser = str(spec.get("normalise") or "separators")
    if normaliser not in _NORMALISERS:
        raise ValueError(f"{where}: unknown normalise {normaliser!r}; use one of {', '.join(_NORMALISERS)}")

    def words(key: str) -> tuple[str, ...]:
        value = spec.get(key) or ()
        if isinstance(value, str):
            value = [value]
        return tuple(str(w) for w in value)

    pattern = spec.get("pattern")
    header_pattern = spec.get("header_pattern")
    if pattern is None and header_pattern is None and not words("header_words") and not words("header_exact"):
        raise ValueError(f"{where}: needs a pattern, a header_pattern or header words")
    try:
        min_share = float(spec.get("min_share", 0.8))
        priority = int(spec.get("priority", 65))
    except (TypeError, ValueError):
        raise ValueError(f"{where}: min_share must be a number and priority an integer") from None
    if not 0 < min_share <= 1:
        raise ValueError(f"{where}: min_share must be between 0 and 1")
    try:
        return Detector(
            entity=entity,
            sensitive=bool(spec.get("sensitive", False)),
            category=str(spec.get("category", "custom")),
            description=str(spec.get("description") or f"{entity} (user-defined)"),
            pattern=None if pattern is None else str(pattern),
            validate=None if validator_name == "none" else VALIDATORS[validator_name],
            digit_checksum=validator_name in ("luhn", "mod11-2", "mod97", "mod97-10"),
            normalise=_NORMALISERS[normaliser],
            header_words=words("header_words"),
            header_exact=words("header_exact"),
            header_negative=words("header_negative"),
            header_pattern=None if header_pattern is None else str(header_pattern),
            requires_header=bool(spec.get("requires_header", False)),
            person_key=bool(spec.get("person_key", False)) or bool(spec.get("identity", False)),
            identity=bool(spec.get("identity", False)),
            min_share=min_share,
            priority=priority,
            examples=words("examples"),
            context_words=words("context_words"),
        )
    except ValueError as exc:
        message = str(exc).replace(f"detector {entity}: ", "")
        raise ValueError(f"{where}: {message}") from None


def from_yaml(path: str | PathLike) -> list[Detector]:
    """The detectors declared in one YAML file (a list, or a mapping with a ``detectors`` list)."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: detector file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the detector file ({exc.__class__.__name__})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{path}: not valid YAML{at}") from None
    items = document.get("detectors") if isinstance(document, dict) else document
    if not isinstance(items, list) or not items:
        raise ValueError(f"{path}: expected a list of detectors (or a 'detectors:' key holding one)")
    out = [detector_from_mapping(item, where=f"{path} (item {i + 1})") for i, item in enumerate(items)]
    names = [d.entity for d in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{path}: detector name(s) declared twice: {', '.join(duplicates)}")
    return out


def _coerce(obj: Any, where: str) -> list[Detector]:
    if isinstance(obj, Detector):
        return [obj]
    if isinstance(obj, type) and issubclass(obj, DetectorSpec):
        return [obj.to_detector()]
    if isinstance(obj, (list, tuple)):
        return [d for item in obj for d in _coerce(item, where)]
    if callable(obj):
        return _coerce(obj(), where)
    raise ValueError(f"{where}: an entry point must give a Detector, a DetectorSpec class, a list or a function returning them")


def from_entry_points(eps: Iterable[metadata.EntryPoint] | None = None) -> list[Detector]:
    """Detectors from installed packages (entry point group ``chujing.detectors``)."""
    out: list[Detector] = []
    for ep in eps if eps is not None else metadata.entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {ep.name} ({ep.value})"
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plug-in must say which one it is
            raise ValueError(f"{where}: cannot be loaded ({exc.__class__.__name__}: {exc})") from None
        out.extend(_coerce(obj, where))
    return out


