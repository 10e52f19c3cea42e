"""经纬度坐标 (latitude, longitude and points), WGS-84, GCJ-02 or BD-09.

A latitude is a decimal in [-90, 90], a longitude in [-180, 180]. From values alone a column is
only taken for coordinates when they fall inside China's bounding box (latitude 3.8–53.6,
longitude 73.5–135.1; the GCJ-02 and BD-09 offsets used by Chinese maps move a point by a few
hundred metres only, so offset coordinates are still in it) and carry the precision of a
position (4+ decimals, about 10 m); under a header that names them (``lat``, ``lng``, ``lon``,
``经度``, ``纬度``, ``wd``/``jd``) any value of that range with 3+ decimals counts.

A point column holds both: ``"116.397128,39.916527"`` (lng,lat or lat,lng), WKT
``POINT(116.397128 39.916527)`` or a GeoJSON point ``{"type":"Point","coordinates":[lng,lat]}``.

Coordinates are not personal by themselves (a charging pile has a position too): a person's or
vehicle's time series of them is a trajectory (行踪轨迹), decided per table by
:mod:`scanner.detect.tables`.

>>> is_latitude("39.916527"), is_latitude("139.9"), is_longitude("116.397128")
(True, False, True)
>>> point_of("POINT(116.397128 39.916527)")
(116.397128, 39.916527)
>>> point_of('{"type": "Point", "coordinates": [121.4737, 31.2304]}')
(121.4737, 31.2304)
>>> point_of("39.916527,116.397128")   # lat,lng order: the longitude is the one past 73
(116.397128, 39.916527)
>>> mask_coordinate("39.916527")
'39.9*****'
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.base import Detector, strip_whitespace

CATEGORY = "location"

# China's bounding box (incl. GCJ-02 / BD-09 offsets, which stay within ~0.01°).
CHINA_LAT = (3.8, 53.6)
CHINA_LNG = (73.4, 135.1)

_DECIMAL = r"[+\-]?\d{1,3}\.\d{4,15}"
_LOOSE_DECIMAL = r"[+\-]?\d{1,3}\.\d{3,15}"
_NUM = r"[+\-]?\d{1,3}\.\d{3,15}"
# "lng,lat" with an optional space; WKT POINT; GeoJSON point (keys in either order are rare: the
# canonical writer order is type, coordinates).
POINT_PATTERN = (
    rf"{_NUM}\s?[,，]\s?{_NUM}"
    rf"|(?i:POINT)\s?\(\s?{_NUM}\s{_NUM}\s?\)"
    rf"|\{{\s?\"type\"\s?:\s?\"Point\"\s?,\s?\"coordinates\"\s?:\s?\[\s?{_NUM}\s?,\s?{_NUM}\s?\]\s?\}}"
)

LAT_WORDS = ("纬度", "latitude", "lat", "weidu", "gpslat", "y坐标")
LNG_WORDS = ("经度", "longitude", "lng", "lon", "long", "jingdu", "gpslng", "gpslon", "x坐标")
POINT_WORDS = ("坐标", "位置", "定位", "经纬度", "gps", "coordinate", "coordinates", "location", "geom", "geometry",
               "point", "latlng", "lnglat", "lonlat", "position", "zuobiao", "weizhi")


def _floats(values: pa.Array) -> np.ndarray:
    return pc.cast(values, pa.float64(), safe=False).to_numpy(zero_copy_only=False)


def _in(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return (values >= bounds[0]) & (values <= bounds[1])


def is_latitude(value: str) -> bool:
    return re.fullmatch(_DECIMAL, value.strip()) is not None and CHINA_LAT[0] <= float(value) <= CHINA_LAT[1]


def is_longitude(value: str) -> bool:
    return re.fullmatch(_DECIMAL, value.strip()) is not None and CHINA_LNG[0] <= float(value) <= CHINA_LNG[1]


def mask_coordinate(value: str) -> str:
    """Keep the degree and one decimal (about 10 km): never a precise position."""
    whole, _, frac = value.partition(".")
    return f"{whole}.{frac[:1]}{'*' * max(0, len(frac) - 1)}" if frac else "*" * len(value)


_NUMBERS = re.compile(r"[+\-]?\d{1,3}\.\d+")


def point_of(value: str) -> tuple[float, float] | None:
    """(longitude, latitude) of a point string, or None. The order is told by China's ranges."""
    numbers = [float(x) for x in _NUMBERS.findall(value)]
    if len(numbers) != 2:
        return None
    a, b = numbers
    if CHINA_LNG[0] <= a <= CHINA_LNG[1] and CHINA_LAT[0] <= b <= CHINA_LAT[1]:
        return a, b
    if CHINA_LNG[0] <= b <= CHINA_LNG[1] and CHINA_LAT[0] <= a <= CHINA_LAT[1]:
        return b, a
    return None


def points_array(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`point_of`: (lng, lat) float arrays, NaN where there is no point."""
    first = pc.extract_regex(values, r"(?P<a>[+\-]?\d{1,3}\.\d+)[^0-9.+\-]+(?P<b>[+\-]?\d{1,3}\.\d+)")
    a = _floats(pc.struct_field(first, "a"))
    b = _floats(pc.struct_field(first, "b"))
    a = np.where(np.isnan(a), np.inf, a)
    b = np.where(np.isnan(b), np.inf, b)
    lng_first = _in(a, CHINA_LNG) & _in(b, CHINA_LAT)
    lat_first = _in(b, CHINA_LNG) & _in(a, CHINA_LAT)
    lng = np.where(lng_first, a, np.where(lat_first, b, np.nan))
    lat = np.where(lng_first, b, np.where(lat_first, a, np.nan))
    return lng, lat


def _validate_lat(values: pa.Array) -> np.ndarray:
    return _in(_floats(values), CHINA_LAT)


def _validate_lng(values: pa.Array) -> np.ndarray:
    return _in(_floats(values), CHINA_LNG)


def _validate_point(values: pa.Array) -> np.ndarray:
    lng, _ = points_array(values)
    return ~np.isnan(lng)


def _precise(valid: pa.Array) -> float:
    """A position, not a measurement: many distinct values with 4+ decimals.

    >>> _precise(pa.array([f"39.{i:06d}" for i in range(50)]))
    1.0
    >>> _precise(pa.array(["39.5000"] * 50))
    0.0
    """
    if len(valid) == 0:
        return 0.0
    distinct = len(pc.unique(valid)) / len(valid)
    return 1.0 if distinct >= 0.2 or len(valid) < 20 else 0.0


def _trim(values: pa.Array) -> pa.Array:
    return strip_whitespace(values)


LATITUDE = Detector(
    entity="GEO_LATITUDE",
    sensitive=False,
    category=CATEGORY,
    description="纬度 — latitude (WGS-84, GCJ-02, BD-09); a trajectory when a person or vehicle has a series",
    pattern=_DECIMAL,
    validate=_validate_lat,
    normalise=_trim,
    mask=mask_coordinate,
    header_words=LAT_WORDS,
    header_exact=("wd", "y"),
    header_negative=("经纬度", "latlng", "lnglat"),
    header_pattern=r"[+\-]?(?:90(?:\.0+)?|[1-8]?\d\.\d{3,15})",
    min_share=0.9,
    priority=12,
    examples=("39.916527",),
    column_check=_precise,
    in_free_text=False,
    personal=False,
)

LONGITUDE = Detector(
    entity="GEO_LONGITUDE",
    sensitive=False,
    category=CATEGORY,
    description="经度 — longitude (WGS-84, GCJ-02, BD-09); a trajectory when a person or vehicle has a series",
    pattern=_DECIMAL,
    validate=_validate_lng,
    normalise=_trim,
    mask=mask_coordinate,
    header_words=LNG_WORDS,
    header_exact=("jd", "x"),
    header_negative=("经纬度", "latlng", "lnglat", "longtext", "longdesc", "belong"),
    header_pattern=r"[+\-]?(?:180(?:\.0+)?|(?:1[0-7]\d|\d{1,2})\.\d{3,15})",
    min_share=0.9,
    priority=12,
    examples=("116.397128",),
    column_check=_precise,
    in_free_text=False,
    personal=False,
)

POINT = Detector(
    entity="GEO_POINT",
    sensitive=False,
    category=CATEGORY,
    description="坐标点 — \"lng,lat\" strings, WKT POINT or GeoJSON points inside China",
    pattern=POINT_PATTERN,
    validate=_validate_point,
    normalise=_trim,
    mask=lambda v: re.sub(r"(\d+\.\d)\d+", lambda m: m.group(1) + "***", v),
    header_words=POINT_WORDS,
    min_share=0.9,
    priority=13,
    examples=("116.397128,39.916527", "POINT(116.397128 39.916527)"),
    in_free_text=False,
    personal=False,
)

DETECTORS = (LATITUDE, LONGITUDE, POINT)
DETECTOR = POINT
GEO_ENTITIES = frozenset(d.entity for d in DETECTORS)


def fractional_floats(values: pa.Array) -> pa.Array | None:
    """A float column whose values are mostly not whole numbers, as text (coordinates are).

    Identifiers read as floats are whole numbers; a column of fractions can only hold
    coordinates among our entities. None when the column is not such a column.

    >>> fractional_floats(pa.array([39.916527, 31.2304, None])).to_pylist()
    ['39.916527', '31.2304', None]
    >>> fractional_floats(pa.array([13800138000.0])) is None
    True
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_floating(values.type) or len(values) == 0:
        return None
    data = values.to_numpy(zero_copy_only=False)
    finite = np.isfinite(data)
    if not finite.any():
        return None
    fractional = finite & (np.floor(np.where(finite, data, 0)) != np.where(finite, data, 0))
    if fractional.sum() < 0.5 * finite.sum():
        return None
    return values.cast(pa.string())  # shortest round-trip form: 39.916527
