"""Rich content: coordinates and trajectories, media and faces, biometrics, medical and genetic
data, entities inside prose."""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from detectors.classify import classify_column
from detectors.registry import builtin_detectors, by_entity

DETECTORS = builtin_detectors()


def entity(name: str, values) -> str | None:
    return classify_column(name, values if isinstance(values, pa.Array) else pa.array(values), DETECTORS).entity


# --- coordinates ----------------------------------------------------------------------------------

def test_coordinates_by_header_range_and_shape():
    rng = np.random.default_rng(1)
    assert entity("纬度", 30 + rng.random(200)) == "GEO_LATITUDE"
    assert entity("lon", 110 + rng.random(200)) == "GEO_LONGITUDE"
    assert entity("c3", 110 + rng.random(200)) == "GEO_LONGITUDE"  # China's range, 6+ decimals
    assert entity("amount", np.round(rng.random(200) * 500, 2)) is None
    assert entity("location", [f"{116 + x:.6f},{39 + x:.6f}" for x in rng.random(200)]) == "GEO_POINT"
    assert entity("geom", [f"POINT({121 + x:.5f} {31 + x:.5f})" for x in rng.random(200)]) == "GEO_POINT"
    geojson = [json.dumps({"type": "Point", "coordinates": [round(113 + x, 6), round(23 + x, 6)]}) for x in rng.random(50)]
    assert entity("shape", geojson) == "GEO_POINT"
    assert entity("version", ["5.2.1", "5.3.0", "6.0.2"] * 50) is None


def test_coordinates_are_not_personal_by_themselves():
    dets = by_entity(DETECTORS)
    assert not dets["GEO_LATITUDE"].personal and not dets["GEO_POINT"].personal


# --- media, biometrics ----------------------------------------------------------------------------

def _jpeg_with_face() -> bytes:
    from PIL import Image
    from skimage import data, transform

    face = (transform.resize(data.astronaut()[0:260, 100:330], (64, 64)) * 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(face).save(out, "JPEG")
    return out.getvalue()


def _png_plain() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 120, np.uint8)).save(out, "PNG")
    return out.getvalue()


def test_images_by_magic_bytes_and_faces():
    pytest.importorskip("skimage")
    face, plain = _jpeg_with_face(), _png_plain()
    c = classify_column("blob", pa.array([face] * 3 + [plain] * 5, pa.binary()), DETECTORS)
    assert c.entity == "FACE_IMAGE" and c.sensitive and c.row_rule == "non_null"
    assert c.samples[0] == "JPEG 64×64, 1 face"
    assert entity("blob", pa.array([plain] * 8, pa.binary())) == "IMAGE"
    assert entity("blob", pa.array([b"\x00\x01 not media"] * 8, pa.binary())) is None


def test_audio_video_and_paths():
    wav = b"RIFF" + struct.pack("<I", 44) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8) + b"data" + bytes(8)
    c = classify_column("x", pa.array([wav] * 10, pa.binary()), DETECTORS)
    assert c.entity == "AUDIO" and c.samples[0].startswith("WAV")
    mp4 = b"\x00\x00\x00\x18ftypisom" + bytes(20)
    assert entity("x", pa.array([mp4] * 10, pa.binary())) == "VIDEO"
    assert entity("photo_url", [f"https://cdn.example.cn/a/{i}.jpg?w=64" for i in range(50)]) == "IMAGE"
    assert entity("人脸照片", [f"/data/faces/{i}.png" for i in range(50)]) == "FACE_IMAGE"
    assert entity("recording", [f"oss://calls/{i}.amr" for i in range(50)]) == "AUDIO"
    samples = classify_column("人脸照片", pa.array([f"/faces/13800138000_{i}.png" for i in range(50)]), DETECTORS).samples
    assert all("138" not in s for s in samples)  # paths are masked to their file type


def test_biometric_vectors_and_templates():
    rng = np.random.default_rng(2)
    vectors = pa.array([list(rng.random(128).astype(np.float32)) for _ in range(30)], pa.list_(pa.float32()))
    assert entity("face_embedding", vectors) == "BIOMETRIC"
    assert entity("声纹特征", vectors) == "BIOMETRIC"
    assert entity("scores", vectors) is None  # a header must name a biometric
    ragged = pa.array([list(rng.random(k)) for k in rng.integers(1, 5, 30)], pa.list_(pa.float64()))
    assert entity("feature", ragged) is None
    templates = pa.array([b"FMR\x00 20\x00" + bytes(rng.integers(0, 255, 64, dtype=np.uint8)) for _ in range(20)])
    assert entity("blob", templates) == "BIOMETRIC"
    assert entity("指纹模板", ["Rk1SACAyMAA" + "A" * 80] * 20) == "BIOMETRIC"
    assert entity("features", ["天窗", "自适应巡航", "座椅加热"] * 20) is None


# --- medical and genetic --------------------------------------------------------------------------

def test_medical():
    assert entity("诊断", ["2型糖尿病", "原发性高血压", "慢性胃炎", "支气管哮喘"] * 30) == "MEDICAL"
    assert entity("c5", ["E11.900", "I10.X00", "J45.900", "K29.700", "C34.900"] * 30) == "MEDICAL"
    assert entity("过敏史", ["无", "青霉素过敏", "否认药物过敏史", "无"] * 30) == "MEDICAL"
    assert entity("seat", ["A12", "B03", "A14", "C01"] * 30) is None  # codes alone need chapters and subdivisions
    assert entity("故障诊断码", ["P0301", "U0100", "B1318"] * 30) is None  # a vehicle's diagnosis is not medical


def test_genetic():
    rng = np.random.default_rng(3)
    assert entity("read", ["".join(rng.choice(list("ACGT"), 50)) for _ in range(60)]) == "GENETIC"
    assert entity("rs1801133", ["CT", "CC", "TT"] * 40) == "GENETIC"
    assert entity("snp_id", ["rs4988235", "rs1801133", "rs429358"] * 40) == "GENETIC"
    assert entity("variant", ["chr7:117559590:G:A", "17-43094464-C-T"] * 40) == "GENETIC"
    assert entity("grade", ["AA", "AB", "BB", "CC"] * 40) is None  # genotype-like calls need a genotype header


# --- entities in prose ----------------------------------------------------------------------------

def test_entities_in_text_vectorised():
    from detectors.free_text import entities_in_text

    dets = by_entity(DETECTORS)
    texts = pa.array(["电话+86 138 0013 8000，地址不详", "订单号20261103001234567，卡号6222 0212 3456 7890 128",
                      "快递单号7712345678901234567已签收", "身份证11010519491231002x申请", None,
                      "先打13800138001不通，再打13900139000"])
    ok, values = entities_in_text(dets["CN_MOBILE_PHONE"], texts)
    assert values.to_pylist() == ["13800138000", None, None, None, None, "13800138001"]
    ok, values = entities_in_text(dets["CN_BANK_CARD"], texts)
    assert ok.tolist() == [False, True, False, False, False, False]  # a waybill is not a card in prose
    ok, values = entities_in_text(dets["CN_RESIDENT_ID"], texts)
    assert values[3].as_py() == "11010519491231002X"
    ok, _ = entities_in_text(dets["CN_PASSPORT"], pa.array(["型号E12345678", "护照号码：E12345678"]))
    assert ok.tolist() == [False, True]  # no checksum: a context word is needed


# --- table level ----------------------------------------------------------------------------------

def _tracks(tmp_path, key_name="driver_id", keys=("d1", "d2", "d3"), single="d9"):
    rows = []
    for k, key in enumerate(keys):
        for i in range(5):
            rows.append((key, 1_790_000_000 + 30 * i, 116.30 + 0.01 * k + 0.001 * i, 39.90 + 0.001 * i))
    rows.append((single, 1_790_000_000, 116.5, 39.95))
    table = pa.table({key_name: [r[0] for r in rows], "gps_time": pa.array([r[1] for r in rows], pa.timestamp("s")),
                      "lng": [r[2] + 1e-7 for r in rows], "lat": [r[3] + 1e-7 for r in rows]})
    path = tmp_path / "tracks.parquet"
    pq.write_table(table, path)
    return path


def test_trajectory_with_an_opaque_key(tmp_path):
    from scanner.engines.local import scan

    report = scan([str(_tracks(tmp_path))], sector="automotive")
    found = [t for t in report.files[0].tables if t["kind"] == "trajectory"]
    assert found and found[0]["persons"] == 3 and found[0]["key"] == "driver_id"
    # the driver ids become keys: three persons with a trajectory, all sensitive; d9 has one point
    assert report.persons.sensitive == 3


def test_sensitive_areas(tmp_path):
    from scanner.engines.local import ScanOptions, scan

    areas = tmp_path / "areas.geojson"
    areas.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "某军事管理区"},
        "geometry": {"type": "Polygon", "coordinates": [[[116.295, 39.895], [116.306, 39.895], [116.306, 39.91],
                                                         [116.295, 39.91], [116.295, 39.895]]]}}]}), encoding="utf-8")
    options = ScanOptions(sector="automotive")
    options.sensitive_areas = str(areas)  # a field the pipeline adds; read with getattr
    report = scan([str(_tracks(tmp_path))], options)
    hits = [t for t in report.files[0].tables if t["kind"] == "sensitive_area"]
    assert hits and hits[0]["item_candidate"] == "automotive.1" and hits[0]["points"] == 5 and hits[0]["keys"] == 1


def test_key_tally_is_exact_and_marks_series():
    from scanner.detect.tables import KeyTally, hash_keys

    tally = KeyTally()
    h, _ = hash_keys(pa.array(["a", "b", "a", "c"]))
    assert tally.add(h).tolist() == [True, False, True, False]
    h, _ = hash_keys(pa.array(["b", "d"]))
    assert tally.add(h).tolist() == [True, False]  # b's second point arrives in a later batch
    assert tally.result() == (4, 2, 6)


def test_gcj02_back_to_wgs84():
    from scanner.detect.tables import _gcj02_delta, to_wgs84

    lng, lat = np.array([116.397128]), np.array([39.916527])
    dlng, dlat = _gcj02_delta(lng, lat)
    back_lng, back_lat = to_wgs84(lng + dlng, lat + dlat, "gcj02")
    assert abs(back_lng[0] - lng[0]) < 2e-5 and abs(back_lat[0] - lat[0]) < 2e-5
