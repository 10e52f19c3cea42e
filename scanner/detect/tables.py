"""Table-level findings: what no single column shows.

* **Trajectories (行踪轨迹).** A table where a person or vehicle key has a time-ordered series of
  coordinates is a trajectory table: decided from the sample (a key column, a time column,
  coordinates, several points per key), then every row with a key and coordinates is flagged
  sensitive in the full pass, and the persons or vehicles with 2+ points are counted exactly
  with bounded memory (64-bit hashes of the keys, merged with numpy; no Python set of keys).
* **Sensitive areas.** With ``--sensitive-areas areas.geojson`` (polygons of military zones,
  government sites...), points inside them are counted per area: candidates for automotive
  item 1. GCJ-02 / BD-09 columns (told by their header) are moved back to WGS-84 first.
* **Faces.** In a ``FACE_IMAGE`` column of image bytes every image is checked (up to
  :data:`MAX_FACE_CHECKS` per file): frames without a face are not personal information.
* **Media context.** The AI-training modality of the file (audio, image, video, text), audio
  labels the AI list names (省份, 民族, 性别), cockpit voice or flight-recorder media.

``analyze_table`` is called by :mod:`scanner.engines.local` after the columns are classified;
``add_batch`` sees every batch's keys and flags (and may change them) before they are counted;
``finish`` returns the findings for ``files[].tables``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, normalise_header
from detectors.classify import ColumnClassification, as_text
from detectors.registry import by_entity

TRAJECTORY = "TRAJECTORY"
MAX_FACE_CHECKS = 5000
# A key has a trajectory from this many points on.
MIN_POINTS = 2

TIME_WORDS = ("time", "timestamp", "datetime", "时间", "时刻", "日期", "定位时间", "采集时间", "上报时间", "gpstime", "ts",
              "date", "shijian", "sj")
KEY_WORDS = ("userid", "uid", "driverid", "memberid", "customerid", "personid", "vehicleid", "carid", "deviceid",
             "terminalid", "tboxid", "用户", "司机", "驾驶员", "会员", "车辆", "设备", "终端", "vin", "plate", "车牌", "imei")
AUDIO_LABEL_WORDS = {"省份": "province", "省": "province", "province": "province", "地区": "region", "region": "region",
                     "方言": "dialect", "dialect": "dialect", "民族": "ethnicity", "ethnicity": "ethnicity",
                     "性别": "gender", "gender": "gender", "sex": "gender", "年龄": "age", "age": "age"}
COCKPIT_WORDS = ("驾驶舱", "舱音", "陆空通话", "座舱", "cockpit", "cvr", "atc", "airground", "机组通话")
FLIGHT_RECORDER_WORDS = ("飞行数据记录", "快速存取记录", "黑匣子", "fdr", "qar", "flightdata", "flightrecorder")


# --- small helpers --------------------------------------------------------------------------------

def _header_has(name: str, words: tuple[str, ...], exact: tuple[str, ...] = ()) -> bool:
    h = normalise_header(name)
    return h in exact or any(w in h for w in words if len(w) >= 3 or not w.isascii())


def _is_time_column(f: pa.Field) -> bool:
    t = f.type
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return True
    h = normalise_header(f.name)
    return h in ("ts", "sj", "time", "date") or any(w in h for w in TIME_WORDS if len(w) >= 4 or not w.isascii())


def hash_keys(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of non-empty string values (vectorised) and the rows they belong to.

    A polynomial hash over the UTF-8 bytes, with the length mixed in; for 10 million distinct
    keys the chance of any collision is about 3e-6.

    >>> h, rows = hash_keys(pa.array(["LSVAB", None, "LSVAB", "LSVAC"]))
    >>> rows.tolist(), bool(h[0] == h[1]), bool(h[0] == h[2])
    ([0, 2, 3], True, False)
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    lengths = pc.binary_length(values).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    rows = np.flatnonzero(lengths > 0)
    if not len(rows):
        return np.zeros(0, np.uint64), rows
    present = values.take(pa.array(rows))
    present = pa.concat_arrays([present]) if present.offset else present
    buffers = present.buffers()
    n = len(present)
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=n + 1).astype(np.int64)
    data = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0]:offsets[-1]].astype(np.uint64)
    starts = offsets[:-1] - offsets[0]
    sizes = np.diff(offsets)
    position = np.arange(len(data), dtype=np.int64) - np.repeat(starts, sizes)
    powers = _powers(int(sizes.max()))
    with np.errstate(over="ignore"):
        mixed = (data + np.uint64(1)) * powers[position]
        h = np.add.reduceat(mixed, starts)
        h ^= sizes.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(31)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(29)
    return h, rows


_POWERS = np.ones(1, dtype=np.uint64)


def _powers(n: int) -> np.ndarray:
    global _POWERS
    if len(_POWERS) < n:
        p = np.ones(n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for i in range(1, n):
                p[i] = p[i - 1] * np.uint64(1099511628211)
        _POWERS = p
    return _POWERS


class KeyTally:
    """Points per distinct key, over any number of batches, in memory proportional to the keys."""

    def __init__(self) -> None:
        self._keys = np.zeros(0, np.uint64)
        self._counts = np.zeros(0, np.int64)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_size = 0

    def add(self, hashes: np.ndarray) -> np.ndarray:
        """Count the points; returns which of them make their key a series (seen before, or twice here).

        The first point of a key is only known to be part of a series once a second arrives: at
        least one point of every key with a series is marked, none of a key with one point.
        """
        if not len(hashes):
            return np.zeros(0, bool)
        keys, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
        series = (counts >= MIN_POINTS) | self._contains(keys)
        self._pending.append((keys, counts))
        self._pending_size += len(keys)
        if self._pending_size > max(1 << 20, len(self._keys)) or len(self._pending) > 32:
            self._merge()
        return series[inverse]

    def _contains(self, keys: np.ndarray) -> np.ndarray:
        found = np.zeros(len(keys), bool)
        for known in [self._keys] + [k for k, _ in self._pending]:
            if len(known):
                at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
                found |= known[at] == keys
        return found

    def _merge(self) -> None:
        if not self._pending:
            return
        keys = np.concatenate([self._keys] + [k for k, _ in self._pending])
        counts = np.concatenate([self._counts] + [c for _, c in self._pending])
        self._keys, inverse = np.unique(keys, return_inverse=True)
        self._counts = np.bincount(inverse, weights=counts, minlength=len(self._keys)).astype(np.int64)
        self._pending, self._pending_size = [], 0

    def result(self) -> tuple[int, int, int]:
        """(distinct keys, keys with MIN_POINTS+ points, points)."""
        self._merge()
        return len(self._keys), int((self._counts >= MIN_POINTS).sum()), int(self._counts.sum())


# --- coordinates ------------------------------------------------------------------------------------

def _gcj02_delta(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lng - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
            + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0)
    dlng = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
            + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
            + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - ee * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    return (dlng * 180.0) / (a / sq * np.cos(rad) * np.pi), (dlat * 180.0) / ((a * (1 - ee)) / (magic * sq) * np.pi)


def to_wgs84(lng: np.ndarray, lat: np.ndarray, datum: str) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 or BD-09 coordinates back to WGS-84 (to within a few metres)."""
    if datum == "bd09":
        x, y = lng - 0.0065, lat - 0.006
        z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * math.pi * 3000.0 / 180.0)
        theta = np.arctan2(y, x) - 0.000003 * np.cos(x * math.pi * 3000.0 / 180.0)
        lng, lat = z * np.cos(theta), z * np.sin(theta)
        datum = "gcj02"
    if datum == "gcj02":
        dlng, dlat = _gcj02_delta(lng, lat)
        return lng - dlng, lat - dlat
    return lng, lat


def _datum(*names: str) -> str:
    h = "".join(normalise_header(n) for n in names)
    if "bd09" in h or "baidu" in h or "百度" in h:
        return "bd09"
    if "gcj" in h or "火星" in h or "高德" in h or "amap" in h:
        return "gcj02"
    return "wgs84"


@dataclass
class Area:
    name: str
    rings: list[np.ndarray]  # each (n, 2) lng, lat; holes are not distinguished (rare in geofences)
    bbox: tuple[float, float, float, float]

    def contains(self, lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
        lo_x, lo_y, hi_x, hi_y = self.bbox
        inside = np.zeros(len(lng), dtype=bool)
        near = np.flatnonzero((lng >= lo_x) & (lng <= hi_x) & (lat >= lo_y) & (lat <= hi_y))
        if not len(near):
            return inside
        x, y = lng[near], lat[near]
        hit = np.zeros(len(near), dtype=bool)
        for ring in self.rings:
            odd = np.zeros(len(near), dtype=bool)
            x1, y1 = ring[:-1, 0], ring[:-1, 1]
            x2, y2 = ring[1:, 0], ring[1:, 1]
            for a, b, c, d in zip(x1, y1, x2, y2, strict=True):  # edges of a ring: vectorised over points
                crosses = ((b > y) != (d > y)) & (x < (c - a) * (y - b) / ((d - b) or 1e-300) + a)
                odd ^= crosses
            hit |= odd
        inside[near] = hit
        return inside


def load_areas(path: str) -> list[Area]:
    """Polygons and multipolygons of a GeoJSON file (FeatureCollection, Feature or geometry)."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
    areas: list[Area] = []
    for i, feat in enumerate(features or []):
        geom = feat.get("geometry", feat)
        props = feat.get("properties") or {}
        polys = ([geom["coordinates"]] if geom.get("type") == "Polygon"
                 else geom.get("coordinates", []) if geom.get("type") == "MultiPolygon" else [])
        rings = [np.asarray(ring, dtype=np.float64)[:, :2] for poly in polys for ring in poly]
        if not rings:
            continue
        allp = np.concatenate(rings)
        name = str(props.get("name") or props.get("名称") or props.get("id") or f"area {i + 1}")
        areas.append(Area(name, rings, (allp[:, 0].min(), allp[:, 1].min(), allp[:, 0].max(), allp[:, 1].max())))
    if not areas:
        raise ValueError(f"{path}: no polygon in this GeoJSON file")
    return areas


# --- the plan ---------------------------------------------------------------------------------------

@dataclass
class _Coordinates:
    lng: str | None = None
    lat: str | None = None
    point: str | None = None
    datum: str = "wgs84"

    def columns(self) -> list[str]:
        return [c for c in (self.lng, self.lat, self.point) if c]

    def read(self, batch: pa.RecordBatch | pa.Table) -> tuple[np.ndarray, np.ndarray]:
        """(lng, lat) float arrays in WGS-84, NaN where a row has no coordinate."""
        if self.lng and self.lat:
            lng = _floats(batch.column(self.lng))
            lat = _floats(batch.column(self.lat))
        else:
            from detectors.geo import points_array
            text = as_text(batch.column(self.point))
            lng, lat = points_array(text) if text is not None else (np.full(batch.num_rows, np.nan),) * 2
        ok = np.isfinite(lng) & np.isfinite(lat)
        lng, lat = np.where(ok, lng, np.nan), np.where(ok, lat, np.nan)
        return to_wgs84(lng, lat, self.datum)


def _floats(column: pa.Array) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type) or pa.types.is_decimal(column.type)):
        text = as_text(column)
        column = pc.cast(pc.utf8_trim_whitespace(text), pa.float64(), safe=False) if text is not None else pa.nulls(len(column), pa.float64())
    return pc.cast(column, pa.float64(), safe=False).fill_null(np.nan).to_numpy(zero_copy_only=False)


def _coordinates(classifications: dict[str, ColumnClassification]) -> _Coordinates | None:
    lng = next((n for n, c in classifications.items() if c.entity == "GEO_LONGITUDE"), None)
    lat = next((n for n, c in classifications.items() if c.entity == "GEO_LATITUDE"), None)
    if lng and lat:
        return _Coordinates(lng=lng, lat=lat, datum=_datum(lng, lat))
    point = next((n for n, c in classifications.items() if c.entity == "GEO_POINT"), None)
    if point:
        return _Coordinates(point=point, datum=_datum(point))
    return None


def _key_column(schema: pa.Schema, classifications: dict[str, ColumnClassification],
                user_keys: list[str], detectors: dict[str, Detector]) -> tuple[str, str] | None:
    """(column, kind) of the key whose series of points makes a trajectory: person, vehicle, device or id.

    A person key first (an identity document before a contact, then the stricter detector),
    then a vehicle's, then a device's (the detectors' ``person_key``, ``identity`` and
    ``thing_key`` facts); a user-named key; a column whose header names an id.
    """
    keyed = [(n, detectors[c.entity]) for n, c in classifications.items() if c.entity in detectors]
    people = sorted((d for d in keyed if d[1].person_key), key=lambda d: (not d[1].identity, -d[1].priority))
    if people:
        return people[0][0], "person"
    for kind in ("vehicle", "device"):
        things = sorted((d for d in keyed if d[1].thing_key == kind), key=lambda d: -d[1].priority)
        if things:
            return things[0][0], kind
    for name in user_keys:
        if name in schema.names:
            return name, "person"
    for f in schema:
        c = classifications.get(f.name)
        if c is not None and c.entity is None and _header_has(f.name, KEY_WORDS) and not _is_time_column(f) \
                and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type) or pa.types.is_integer(f.type)):
            return f.name, "id"
    return None


def _trajectory_plan(schema: pa.Schema, sample: pa.Table, classifications: dict[str, ColumnClassification],
                     user_keys: list[str], detectors: dict[str, Detector]) -> tuple[_Coordinates, str, str, str, dict[str, Any]] | None:
    coords = _coordinates(classifications)
    if coords is None:
        return None
    key = _key_column(schema, classifications, user_keys, detectors)
    time_col = next((f.name for f in schema if _is_time_column(f) and f.name not in coords.columns()), None)
    if key is None or time_col is None or sample.num_rows == 0:
        return None
    lng, _ = coords.read(sample)
    hashes, rows = hash_keys(as_text(sample.column(key[0])) or pa.nulls(sample.num_rows, pa.string()))
    with_point = ~np.isnan(lng[rows])
    tally = KeyTally()
    tally.add(hashes[with_point])
    keys, series, points = tally.result()
    evidence = {"sample_rows": sample.num_rows, "sample_keys": keys, "sample_keys_with_series": series,
                "sample_points": points}
    if series < 2 or points < 1.5 * keys:
        return None
    return coords, key[0], key[1], time_col, evidence


# --- the analyzer -----------------------------------------------------------------------------------

@dataclass
class TableAnalyzer:
    coords: _Coordinates | None = None
    key: str | None = None
    key_kind: str | None = None
    time_column: str | None = None
    trajectory: bool = False
    evidence: dict[str, Any] = field(default_factory=dict)
    add_key: bool = False
    areas: list[Area] = field(default_factory=list)
    face_columns: list[str] = field(default_factory=list)
    sensitive_entities: frozenset[str] = frozenset()
    notes: list[dict[str, Any]] = field(default_factory=list)
    _tally: KeyTally = field(default_factory=KeyTally)
    _rows: int = 0
    _area_points: dict[str, int] = field(default_factory=dict)
    _area_keys: dict[str, set[int]] = field(default_factory=dict)
    _faces: dict[str, list[int]] = field(default_factory=dict)  # column -> [checked, with face, faces]
    _face_budget: int = MAX_FACE_CHECKS

    def add_batch(self, batch: pa.RecordBatch, keys: dict[str, pa.Array], flags: dict[str, np.ndarray]) -> None:
        n = batch.num_rows
        self._rows += n
        if self.face_columns:
            self._check_faces(batch, keys, flags)
        if self.coords is None:
            return
        lng, lat = self.coords.read(batch)
        has_point = ~np.isnan(lng)
        key_hashes = np.zeros(n, np.uint64)
        has_key = np.zeros(n, bool)
        if self.key is not None:
            text = as_text(batch.column(self.key))
            if text is not None:
                h, rows = hash_keys(pc.utf8_upper(pc.utf8_trim_whitespace(text)))
                key_hashes[rows] = h
                has_key[rows] = True
        if self.trajectory:
            on_track = has_point & has_key
            series = np.zeros(n, bool)
            series[on_track] = self._tally.add(key_hashes[on_track])
            for name in ("personal", "sensitive", f"entity:{TRAJECTORY}"):
                flags[name] = flags[name] | series if name in flags else series.copy()
            if self.add_key:
                text = as_text(batch.column(self.key))
                keys[f"trajectory:{self.key}"] = pc.if_else(pa.array(on_track), pc.utf8_trim_whitespace(text),
                                                             pa.scalar(None, pa.string()))
        for area in self.areas:
            inside = area.contains(np.where(has_point, lng, 0.0), np.where(has_point, lat, 0.0)) & has_point
            if inside.any():
                self._area_points[area.name] = self._area_points.get(area.name, 0) + int(inside.sum())
                seen = self._area_keys.setdefault(area.name, set())
                if len(seen) < 100_000:
                    seen.update(np.unique(key_hashes[inside & has_key]).tolist())

    def _check_faces(self, batch: pa.RecordBatch, keys: dict[str, pa.Array], flags: dict[str, np.ndarray]) -> None:
        """Frames without a face are no one's personal information: take them out of the count."""
        from detectors.media import faces_in

        for name in self.face_columns:
            tally = self._faces.setdefault(name, [0, 0, 0])
            column = batch.column(name)
            if self._face_budget < len(column):
                continue  # past the budget the column-level decision stands (every image counts)
            self._face_budget -= len(column)
            faces = faces_in(column)
            checked = faces >= 0
            tally[0] += int(checked.sum())
            tally[1] += int((faces > 0).sum())
            tally[2] += int(faces[faces > 0].sum())
            no_face = checked & (faces == 0)
            entity = "entity:FACE_IMAGE"
            if entity in flags:
                flags[entity] = flags[entity] & ~no_face
            if not no_face.any():
                continue
            others = [k for k in flags if k.startswith("entity:") and k != entity]
            personal = np.zeros(len(no_face), bool)
            sensitive = np.zeros(len(no_face), bool)
            for k in others:
                personal |= flags[k]
                if k.split(":", 1)[1] in self.sensitive_entities:
                    sensitive |= flags[k]
            for k, v in keys.items():
                if k.startswith("user:"):
                    personal |= v.is_valid().to_numpy(zero_copy_only=False)
            flags["personal"] = np.where(no_face, personal, flags["personal"])
            flags["sensitive"] = np.where(no_face, sensitive, flags["sensitive"])

    def finish(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self.coords is not None and self.trajectory:
            keys, series, points = self._tally.result()
            subject = {"person": "persons", "vehicle": "vehicles", "device": "devices", "id": "subjects"}[self.key_kind or "id"]
            out.append({
                "kind": "trajectory", "entity": TRAJECTORY, "sensitive": True,
                "key": self.key, "key_kind": self.key_kind, "time": self.time_column,
                "coordinates": self.coords.columns(), "datum": self.coords.datum,
                "persons": series, "keys": keys, "points": points,
                "summary": f"{series} {subject} with a time-ordered series of {MIN_POINTS}+ points (行踪轨迹) "
                           f"over {points} points; each is counted as a sensitive person",
                "evidence": self.evidence,
            })
        elif self.coords is not None:
            out.append({"kind": "locations", "coordinates": self.coords.columns(), "datum": self.coords.datum,
                        "summary": "coordinates without a person or vehicle key and time series: not a trajectory"})
        for area in self.areas:
            points = self._area_points.get(area.name, 0)
            if points:
                out.append({"kind": "sensitive_area", "area": area.name,
                            "points": points, "keys": len(self._area_keys.get(area.name, ())),
                            "coordinates": self.coords.columns() if self.coords else [],
                            "summary": f"{points} points inside the sensitive area {area.name}"})
        for name, (checked, with_face, faces) in self._faces.items():
            out.append({"kind": "faces", "column": name, "images_checked": checked, "images_with_faces": with_face,
                        "faces": faces, "summary": f"{with_face} of {checked} images show a face ({faces} faces)"})
        return out + self.notes


def analyze_table(schema: pa.Schema, sample: pa.Table, classifications: dict[str, ColumnClassification],
                  options: Any) -> TableAnalyzer | None:
    """The table-level analysis of one file, or None when it has nothing to look at."""
    user_keys = list(getattr(options, "person_keys", []) or [])
    coords = _coordinates(classifications)
    # The detectors are looked up only for a table with coordinates (most tables have none).
    detectors = by_entity(getattr(options, "detectors", None)) if coords is not None else {}
    analyzer = TableAnalyzer()
    plan = _trajectory_plan(schema, sample, classifications, user_keys, detectors)
    if plan is not None:
        analyzer.coords, analyzer.key, analyzer.key_kind, analyzer.time_column, analyzer.evidence = plan
        analyzer.trajectory = True
        analyzer.add_key = analyzer.key_kind == "id"
    elif coords is not None:
        analyzer.coords = coords
        key = _key_column(schema, classifications, user_keys, detectors)
        analyzer.key = key[0] if key else None
    areas_path = getattr(options, "sensitive_areas", None)
    if areas_path and analyzer.coords is not None:
        analyzer.areas = load_areas(areas_path)
    binary = {f.name for f in schema if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type)}
    analyzer.face_columns = [n for n, c in classifications.items() if c.entity == "FACE_IMAGE" and n in binary]
    if analyzer.face_columns:
        from detectors.registry import builtin_detectors
        analyzer.sensitive_entities = frozenset(d.entity for d in builtin_detectors() if d.sensitive) | {TRAJECTORY}
    analyzer.notes = _media_notes(schema, classifications)
    if analyzer.coords is None and not analyzer.face_columns and not analyzer.notes:
        return None
    return analyzer


def _media_notes(schema: pa.Schema, classifications: dict[str, ColumnClassification]) -> list[dict[str, Any]]:
    """Modality of AI training data, audio labels, cockpit voice and flight-recorder media."""
    from detectors.media import modality_of

    entities = {e for c in classifications.values() for e in ([c.entity] if c.entity else [])}
    notes: list[dict[str, Any]] = []
    media_columns = [n for n, c in classifications.items() if c.entity in ("AUDIO", "VIDEO", "IMAGE", "FACE_IMAGE")]
    modality = modality_of(entities)
    if modality and (media_columns or "FREE_TEXT" in entities):
        notes.append({"kind": "modality", "modality": modality, "columns": media_columns or
                      [n for n, c in classifications.items() if c.entity == "FREE_TEXT"],
                      "summary": f"AI training data of modality {modality} (the --modality default)"})
    audio = [n for n, c in classifications.items() if c.entity == "AUDIO"]
    if audio:
        labels = {}
        for f in schema:
            h = normalise_header(f.name)
            c = classifications.get(f.name)
            label = next((v for k, v in AUDIO_LABEL_WORDS.items() if k == h or (len(k) >= 3 and k in h) or (not k.isascii() and k in h)), None)
            if c is not None and c.entity in ("ETHNICITY", "GENDER"):
                label = {"ETHNICITY": "ethnicity", "GENDER": "gender"}[c.entity]
            if label:
                labels[f.name] = label
        if labels:
            notes.append({"kind": "audio_labels", "columns": audio, "labels": labels,
                          "summary": "audio with labels of specific groups or regions (" + ", ".join(sorted(set(labels.values())))
                                     + "): the AI list names 省份, 民族, 性别 as audio label data"})
    for f in schema:
        c = classifications.get(f.name)
        if c is None or c.entity not in ("AUDIO", "VIDEO", "IMAGE", "FACE_IMAGE"):
            continue
        if _header_has(f.name, COCKPIT_WORDS, ("cvr", "atc")):
            notes.append({"kind": "cockpit_voice", "columns": [f.name],
                          "summary": f"{c.entity.lower()} of the cockpit or air-ground communications"})
        elif _header_has(f.name, FLIGHT_RECORDER_WORDS, ("fdr", "qar")):
            notes.append({"kind": "flight_recorder", "columns": [f.name],
                          "summary": f"{c.entity.lower()} of a flight data recorder"})
    return notes


