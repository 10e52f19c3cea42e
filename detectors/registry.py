"""All detectors, in one list: the built-ins, then the user's own.

Adding a built-in entity is adding one module with a ``DETECTOR`` and one line here. Users add
their own through a YAML file (``--detectors FILE``, see :mod:`detectors.custom`) or the
``chujing.detectors`` entry point group.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike

from detectors import (
    age,
    biometric,
    birth_date,
    cn_address,
    cn_bank_card,
    cn_driving_licence,
    cn_exit_entry_permit,
    cn_foreigner_pr_id,
    cn_hk_macao_permit,
    cn_landline,
    cn_license_plate,
    cn_mobile_phone,
    cn_passport,
    cn_resident_id,
    cn_social_security_card,
    cn_taiwan_permit,
    cn_uscc,
    cn_vehicle_licence,
    cn_vin,
    credential,
    device_serial,
    email,
    ethnicity,
    free_text,
    gender,
    genetic,
    geo,
    iccid,
    imei,
    imsi,
    ip_address,
    mac_address,
    masked,
    media,
    medical,
    name_parts,
    person_name,
    qq_number,
    religion,
    wechat_id,
)
from detectors.base import Detector

BUILTIN_MODULES = (
    # documents
    cn_resident_id,
    cn_foreigner_pr_id,
    cn_passport,
    cn_hk_macao_permit,
    cn_taiwan_permit,
    cn_exit_entry_permit,
    cn_driving_licence,
    cn_vehicle_licence,
    cn_social_security_card,
    # identifiers partly masked or destroyed by the export (never person keys)
    masked,
    # contact and finance
    cn_mobile_phone,
    cn_landline,
    email,
    cn_bank_card,
    wechat_id,
    qq_number,
    # people
    person_name,
    name_parts,
    cn_address,
    birth_date,
    age,
    gender,
    ethnicity,
    religion,
    # vehicles and devices
    cn_license_plate,
    cn_vin,
    ip_address,
    mac_address,
    imei,
    imsi,
    iccid,
    device_serial,
    # credentials
    credential,
    # organisations (recognised so that they are not taken for persons)
    cn_uscc,
    # locations (a person's or vehicle's series of them is a trajectory: see scanner.detect.tables)
    geo,
    # media, biometrics, health and genes
    media,
    biometric,
    medical,
    genetic,
    # prose, analysed with the recognizers above
    free_text,
)


def _module_detectors(module) -> tuple[Detector, ...]:
    """A module's detectors: ``DETECTORS`` for a family of several (geo, media), else ``DETECTOR``."""
    return tuple(module.DETECTORS) if hasattr(module, "DETECTORS") else (module.DETECTOR,)


def builtin_detectors() -> list[Detector]:
    """The built-in detectors, highest priority first."""
    return sorted((d for m in BUILTIN_MODULES for d in _module_detectors(m)), key=lambda d: -d.priority)


def load_detectors(detector_files: Iterable[str | PathLike] = (), entry_points: bool = True) -> list[Detector]:
    """Built-ins, plus the detectors declared in YAML files and by installed entry points.

    A user's detector with the entity name of a built-in replaces it. Raises ``ValueError`` with
    a one-line message naming the file and the reason when a file cannot be used.
    """
    from detectors import custom

    found: dict[str, Detector] = {d.entity: d for d in builtin_detectors()}
    if entry_points:
        for det in custom.from_entry_points():
            found[det.entity] = det
    for path in detector_files:
        for det in custom.from_yaml(path):
            found[det.entity] = det
    return sorted(found.values(), key=lambda d: -d.priority)


def by_entity(detectors: list[Detector] | None = None) -> dict[str, Detector]:
    return {d.entity: d for d in (detectors or builtin_detectors())}
