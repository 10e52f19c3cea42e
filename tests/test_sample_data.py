"""The committed sample set: reproducible, fully described by truth.json, and format-valid.

The checksum functions below are written again on purpose (not imported from the generator or
from ``detectors``), so that a bug in either cannot hide itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import importlib.util
import io
import json
import re
import sys
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
TRUTH = json.loads((SAMPLE / "truth.json").read_text(encoding="utf-8"))
FILES = sorted(TRUTH["files"])


def _load_generator():
    spec = importlib.util.spec_from_file_location("sample_data_generate", SAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve string annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return _load_generator()


@pytest.fixture(scope="module")
def regenerated(generator, tmp_path_factory):
    out = tmp_path_factory.mktemp("samples")
    generator.write_samples(out, TRUTH["seed"])
    return out


# --------------------------------------------------------------------------------------------
# Independent validators
# --------------------------------------------------------------------------------------------
def resident_id_ok(value: str) -> bool:
    v = value.strip().upper()
    if re.fullmatch(r"\d{15}", v):
        born = "19" + v[6:12]
    elif re.fullmatch(r"\d{17}[\dX]", v):
        total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(v[:17]))
        if "10X98765432"[total % 11] != v[17]:
            return False
        born = v[6:14]
    else:
        return False
    try:
        dt.date(int(born[:4]), int(born[4:6]), int(born[6:8]))
    except ValueError:
        return False
    return True


def luhn(number: str) -> bool:
    digits = [int(c) for c in number]
    odd = digits[-1::-2]
    even = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]
    return (sum(odd) + sum(even)) % 10 == 0


def bank_card_ok(value: str) -> bool:
    v = value.replace(" ", "")
    if not re.fullmatch(r"\d{16,19}", v):
        return False
    return (v.startswith("62") and luhn(v)) or v.startswith("9558")  # legacy accounts under a 银行账号 header


def vin_ok(value: str) -> bool:
    if not re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", value):
        return False
    translit = {c: v for v, cs in enumerate(("0", "1AJ", "2BKS", "3CLT", "4DMU", "5ENV", "6FW", "7GPX", "8HY", "9RZ"))
                for c in cs}
    weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
    r = sum(translit[c] * w for c, w in zip(value, weights, strict=True)) % 11
    return value[8] == ("X" if r == 10 else str(r))


def uscc_ok(value: str) -> bool:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}", value):
        return False
    s = sum(alphabet.index(c) * pow(3, i, 31) for i, c in enumerate(value[:17]))
    return alphabet[(31 - s % 31) % 31] == value[17]


def mobile_ok(value: str) -> bool:
    v = re.sub(r"[\s-]", "", str(value))
    v = re.sub(r"^(\+86|0086|86)", "", v)
    if v.endswith(".0"):
        v = v[:-2]
    return re.fullmatch(r"1[3-9]\d{9}", v) is not None


VALIDATORS = {
    "CN_RESIDENT_ID": resident_id_ok,
    "CN_BANK_CARD": bank_card_ok,
    "CN_VIN": vin_ok,
    "CN_USCC": uscc_ok,
    "CN_MOBILE_PHONE": mobile_ok,
    "IMEI": lambda v: re.fullmatch(r"\d{15}", v) is not None and luhn(v),
    "ICCID": lambda v: re.fullmatch(r"8986\d{16}", v) is not None and luhn(v),
    "IMSI": lambda v: re.fullmatch(r"460\d{12}", v) is not None,
    "CN_PASSPORT": lambda v: re.fullmatch(r"E\d{8}|E[A-F]\d{7}", v) is not None,
    "CN_HK_MACAO_PERMIT": lambda v: re.fullmatch(r"[HM]\d{8}(\d{2})?", v) is not None,
    "CN_TAIWAN_PERMIT": lambda v: re.fullmatch(r"\d{8}", v) is not None,
    "CN_EXIT_ENTRY_PERMIT": lambda v: re.fullmatch(r"C[A-HJ-NP-Z]\d{7}", v) is not None,
    "CN_FOREIGNER_PR_ID": lambda v: (re.fullmatch(r"9\d{17}", v) is not None and resident_id_ok(v))
    or re.fullmatch(r"[A-Z]{3}\d{12}", v) is not None,
    "CN_DRIVING_LICENCE_FILE_NO": lambda v: re.fullmatch(r"\d{12}", v) is not None,
    "CN_VEHICLE_LICENCE_NO": lambda v: re.fullmatch(r"\d{12}", v) is not None,
    "CN_SOCIAL_SECURITY_CARD": lambda v: re.fullmatch(r"[A-Z0-9]\d{8}", v) is not None,
    "EMAIL": lambda v: re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", v) is not None,
    "CN_LICENSE_PLATE": lambda v: re.fullmatch(
        r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·\s]?[A-HJ-NP-Z0-9]{5,6}", v) is not None,
}


# --------------------------------------------------------------------------------------------
# Reading the files back
# --------------------------------------------------------------------------------------------
def read_columns(path: str) -> dict[str, list[str | None]]:
    """Column name -> values as text (None for empty cells / nulls)."""
    entry = TRUTH["files"][path]
    raw = (SAMPLE / path).read_bytes()
    if entry["format"] == "parquet":
        table = pq.read_table(io.BytesIO(raw))
        out = {}
        for name in table.column_names:
            out[name] = [None if v is None else str(v) for v in table.column(name).to_pylist()]
        return out
    if entry.get("compression") == "gzip":
        raw = gzip.decompress(raw)
    if entry.get("bom"):
        assert raw.startswith(b"\xef\xbb\xbf")
        raw = raw[3:]
    text = raw.decode(entry["encoding"])
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=entry["delimiter"]))
    header, body = rows[0], rows[1:]
    assert all(len(r) == len(header) for r in body), path
    return {h: [r[i] or None for r in body] for i, h in enumerate(header)}


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------
def test_regeneration_is_byte_identical(regenerated):
    for path in FILES + ["truth.json"]:
        assert (regenerated / path).read_bytes() == (SAMPLE / path).read_bytes(), f"{path} differs after regeneration"


def test_every_data_file_is_in_truth():
    on_disk = {str(p.relative_to(SAMPLE)) for p in SAMPLE.rglob("*") if p.is_file()
               and p.name not in ("generate.py", "README.md", "truth.json") and "__pycache__" not in p.parts}
    assert on_disk == set(FILES)
    assert sum((SAMPLE / f).stat().st_size for f in FILES) < 6_000_000


@pytest.mark.parametrize("path", FILES)
def test_truth_lists_every_column(path):
    entry = TRUTH["files"][path]
    columns = read_columns(path)
    assert list(columns) == list(entry["columns"])
    assert entry["rows"] == len(next(iter(columns.values())))
    media = path.endswith(("camera_frames.parquet", "speech_clips.parquet"))
    assert 200 <= entry["rows"] <= 2000 or path.startswith("handwritten/") or (media and entry["rows"] >= 30)
    assert set(entry["decoys"]) <= set(entry["columns"])
    assert 0 <= entry["sensitive_persons"] <= entry["persons"] <= entry["rows"]


@pytest.mark.parametrize("path", FILES)
def test_values_validate_except_the_documented_invalid_few(path):
    entry = TRUTH["files"][path]
    for name, values in read_columns(path).items():
        check = VALIDATORS.get(entry["columns"][name])
        if check is None:
            continue
        filled = [v for v in values if v is not None]
        bad = [v for v in filled if not check(v)]
        assert len(bad) == entry["invalid_values"].get(name, 0), (path, name, bad[:5])
        assert len(bad) <= 0.03 * len(filled) + 1, (path, name)


@pytest.mark.parametrize("path", FILES)
def test_decoys_are_not_personal_identifiers(path):
    entry = TRUTH["files"][path]
    columns = read_columns(path)
    for name in entry["decoys"]:
        values = [v for v in columns[name] if v is not None]
        low = name.lower()
        if "订单" in name or "order" in low or "htbh" == name or "shipment" in low:
            assert all(len(v) == 18 and not resident_id_ok(v) for v in values), name
        if "time_ms" in low or name in ("c9", "qcsj"):
            assert all(re.fullmatch(r"1\d{12}", v) for v in values), name
        if "运单" in name or "快递" in name or "waybill" in low:
            assert all(re.fullmatch(r"\d{16,19}", v) and not v.startswith("62") for v in values), name
            assert sum(luhn(v) for v in values) < 0.2 * len(values), name
        if "批次" in name or "batch" in low:
            assert all(re.fullmatch(r"1\d{10}", v) for v in values), name
        if entry["columns"][name] == "CN_USCC":
            assert all(uscc_ok(v) for v in values), name


def test_every_entity_appears_in_two_files():
    wanted = {"CN_RESIDENT_ID", "CN_PASSPORT", "CN_HK_MACAO_PERMIT", "CN_TAIWAN_PERMIT", "CN_EXIT_ENTRY_PERMIT",
              "CN_FOREIGNER_PR_ID", "CN_DRIVING_LICENCE_FILE_NO", "CN_VEHICLE_LICENCE_NO", "CN_SOCIAL_SECURITY_CARD",
              "CN_BANK_CARD", "CN_MOBILE_PHONE", "CN_LANDLINE", "EMAIL", "PERSON_NAME", "CN_ADDRESS", "BIRTH_DATE",
              "GENDER", "ETHNICITY", "CN_LICENSE_PLATE", "CN_VIN", "IP_ADDRESS", "MAC_ADDRESS", "IMEI", "IMSI", "ICCID",
              "DEVICE_SERIAL", "CREDENTIAL", "CN_USCC", "FREE_TEXT"}
    files_of: dict[str, set[str]] = {}
    for path, entry in TRUTH["files"].items():
        for entity in entry["columns"].values():
            files_of.setdefault(entity, set()).add(path)
    assert {e for e in wanted if len(files_of.get(e, ())) >= 2} == wanted


def test_formats_required_by_the_brief():
    entries = TRUTH["files"].values()
    assert any(e.get("encoding") == "gb18030" for e in entries)
    assert any(e.get("bom") for e in entries)
    assert any(e.get("delimiter") == "\t" for e in entries)
    assert any(e.get("delimiter") == "|" for e in entries)
    assert any(e.get("compression") == "gzip" for e in entries)
    assert sum(e["format"] == "parquet" for e in entries) >= 3


def test_handwritten_ids_carry_historic_codes():
    ids = read_columns("handwritten/customers_handwritten.csv")["身份证号码"]
    regions = {v[:6] for v in ids if v}
    assert {"110103", "310103", "440102", "510202"} <= regions  # abolished county codes, valid on old cards
    assert any(v and len(v) == 15 for v in ids) and any(v and v.endswith("x") for v in ids)


def test_big_mode_counts_persons_exactly(generator, tmp_path):
    out = tmp_path / "big.csv"
    result = generator.write_big(out, size=None, rows=30_000, fmt="csv", ncols=10, chunk_rows=7_000)
    table = pacsv.read_csv(out)
    assert table.num_rows == result["rows"] == 30_000
    ids = table.column("id_number").cast("string").to_pylist()
    assert len(set(ids)) == result["persons"] < 30_000
    assert len(set(table.column("mobile").cast("string").to_pylist())) == result["persons"]
    assert len(set(table.column("email").to_pylist())) == result["persons"]
    assert all(resident_id_ok(v) for v in ids[:2000])
    assert all(bank_card_ok(str(v)) for v in table.column("bank_card").to_pylist()[:2000])
    assert not any(resident_id_ok(str(v)) for v in table.column("order_no").to_pylist()[:2000])


def test_rich_content_files():
    """Trajectories, media, biometrics, medical and genetic data, each with its truth."""
    files = TRUTH["files"]
    tracks = files["automotive/vehicle_tracks.parquet"]
    assert tracks["trajectory_persons"] == 60 and tracks["persons"] == 66
    table = pq.read_table(SAMPLE / "automotive/vehicle_tracks.parquet")
    points = table.group_by("vin").aggregate([("gps_time", "count")]).column("gps_time_count").to_pylist()
    assert sum(1 for n in points if n >= 2) == tracks["trajectory_persons"]
    frames = pq.read_table(SAMPLE / "automotive/camera_frames.parquet").column("image").to_pylist()
    assert all(f[:3] == b"\xff\xd8\xff" or f[:4] == b"\x89PNG" for f in frames)
    assert files["automotive/camera_frames.parquet"]["images_with_faces"] == files["automotive/camera_frames.parquet"]["persons"]
    clips = pq.read_table(SAMPLE / "ai_training/speech_clips.parquet").column("audio").to_pylist()
    assert all(c[:4] == b"RIFF" and c[8:12] == b"WAVE" for c in clips)
    vectors = pq.read_table(SAMPLE / "retail_services/face_pay_enrolments.parquet").column("face_embedding").to_pylist()
    assert {len(v) for v in vectors} == {128}
    entities = {e for entry in files.values() for e in entry["columns"].values()}
    assert {"GEO_LATITUDE", "GEO_LONGITUDE", "GEO_POINT", "FACE_IMAGE", "AUDIO", "VIDEO", "BIOMETRIC", "MEDICAL",
            "GENETIC"} <= entities
