"""Distances and metric projections: great-circle metres computed as osmnx does, the local UTM zone."""

from __future__ import annotations

import numpy as np
import pyproj

__all__ = ["great_circle_m", "local_utm_crs"]

EARTH_RADIUS_M = 6_371_009.0  # the mean radius osmnx uses, so lengths match osmnx's


def great_circle_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (haversine, computed exactly as osmnx does)."""
    y1, y2 = np.deg2rad(np.asarray(lat1, dtype=float)), np.deg2rad(np.asarray(lat2, dtype=float))
    x1, x2 = np.deg2rad(np.asarray(lon1, dtype=float)), np.deg2rad(np.asarray(lon2, dtype=float))
    h = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    arc = 2 * np.arcsin(np.sqrt(np.minimum(1, h)))
    return arc * EARTH_RADIUS_M


def local_utm_crs(lon: np.ndarray, lat: np.ndarray) -> pyproj.CRS:
    """The UTM zone (WGS-84) containing the centre of the given points, for metric measures."""
    lon0, lat0 = float(np.mean(lon)), float(np.mean(lat))
    zone = int((lon0 + 180) // 6) + 1
    return pyproj.CRS.from_epsg((32600 if lat0 >= 0 else 32700) + zone)
