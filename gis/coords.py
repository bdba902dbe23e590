"""Chinese web-map coordinates: WGS-84 <-> GCJ-02 (国测局, used by Amap/Tencent) <-> BD-09 (Baidu).

Bureau spreadsheets often copy coordinates from a Chinese web map. GCJ-02 shifts WGS-84 by a
published obfuscation polynomial (a few hundred metres); BD-09 adds a further rotation and offset.
The inverses are found by fixed-point iteration, so a round trip is good to millimetres.
CGCS2000 agrees with WGS-84 to centimetres, so it passes through unchanged.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "WGS84", "to_wgs84", "wgs84_to_gcj02", "gcj02_to_wgs84", "gcj02_to_bd09", "bd09_to_gcj02", "COORDINATE_SYSTEMS",
    "COORDINATE_SYSTEM_SOURCES", "coordinate_systems_text",
]

#: The CRS of every geometry the tool reads, computes and writes: WGS-84 longitude and latitude.
WGS84 = "EPSG:4326"
#: Coordinate systems a table may be in, and where such coordinates come from (the command line's
#: help and the README list them from here).
COORDINATE_SYSTEM_SOURCES = {
    "wgs84": "GPS, OpenStreetMap, Google Earth",
    "cgcs2000": "China's national datum, 天地图 and survey data; equal to WGS-84 within centimetres",
    "gcj02": "Amap (高德) and Tencent maps",
    "bd09": "Baidu maps",
}
COORDINATE_SYSTEMS = tuple(COORDINATE_SYSTEM_SOURCES)

_KRASOVSKY_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02
_KRASOVSKY_EE = 0.00669342162296594323  # its first eccentricity squared
_BD_X_PI = np.pi * 3000.0 / 180.0
_BD_OFFSET = (0.0065, 0.006)
_INVERSE_ITERATIONS = 8
#: GCJ-02 shifts only points inside this lon/lat box (mainland China); others pass through.
_CHINA_BOX = (72.004, 137.8347, 0.8293, 55.8271)


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    west, east, south, north = _CHINA_BOX
    return (lon > west) & (lon < east) & (lat > south) & (lat < north)


def _shift_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    s = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    s += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    s += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    s += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return s


def _shift_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    s = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    s += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    s += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    s += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return s


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 to GCJ-02 (degrees); points outside China are returned unchanged."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    d_lat = _shift_lat(lon - 105.0, lat - 35.0)
    d_lon = _shift_lon(lon - 105.0, lat - 35.0)
    rad = np.radians(lat)
    magic = 1 - _KRASOVSKY_EE * np.sin(rad) ** 2
    d_lat = d_lat * 180.0 / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * np.sqrt(magic)) * np.pi)
    d_lon = d_lon * 180.0 / (_KRASOVSKY_A / np.sqrt(magic) * np.cos(rad) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + d_lon, lon), np.where(inside, lat + d_lat, lat)


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to BD-09 (degrees)."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    return z * np.cos(theta) + _BD_OFFSET[0], z * np.sin(theta) + _BD_OFFSET[1]


def _invert(forward, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(x) = (lon, lat)`` by fixed-point iteration from ``x = (lon, lat)``."""
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    x, y = lon.copy(), lat.copy()
    for _ in range(_INVERSE_ITERATIONS):
        fx, fy = forward(x, y)
        x, y = x - (fx - lon), y - (fy - lat)
    return x, y


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 to WGS-84 (degrees), accurate to millimetres."""
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 to GCJ-02 (degrees), accurate to millimetres."""
    return _invert(gcj02_to_bd09, lon, lat)


def coordinate_systems_text() -> str:
    """The coordinate systems and their sources as one line: ``wgs84 (GPS, ...), cgcs2000 (...), ...``."""
    return ", ".join(f"{name} ({source})" for name, source in COORDINATE_SYSTEM_SOURCES.items())


def to_wgs84(lon, lat, system: str) -> tuple[np.ndarray, np.ndarray]:
    """Convert coordinates in ``system`` (one of :data:`COORDINATE_SYSTEMS`) to WGS-84."""
    if system in ("wgs84", "cgcs2000"):
        return np.asarray(lon, float), np.asarray(lat, float)
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise ValueError(f"unknown coordinate system '{system}'; use one of {', '.join(COORDINATE_SYSTEMS)}")
