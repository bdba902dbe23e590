"""Administrative areas (county, 乡镇/街道) from the boundary relations of a local OSM file."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import shapely

from . import cache
from .coords import WGS84
from .errors import InputError
from .ways import check_osm_path

__all__ = ["read_admin_areas", "COUNTY_LEVEL", "TOWNSHIP_LEVEL"]

#: OSM ``admin_level`` of a county (县/区) and of a township or subdistrict (乡镇/街道) in China.
COUNTY_LEVEL = 6
TOWNSHIP_LEVEL = 8


def read_admin_areas(path: str | Path, levels: tuple[int, ...] = (COUNTY_LEVEL, TOWNSHIP_LEVEL), *,
                     cache_dir: str | os.PathLike | None = None) -> gpd.GeoDataFrame:
    """``boundary=administrative`` areas of the given levels: ``osm_id``, ``name``, ``admin_level``, geometry.

    Sorted by level then OSM id; an empty table when the file has none. With ``cache_dir`` they are
    kept on disk keyed by the file's bytes, so a rerun does not read the file again.
    """
    path = check_osm_path(path)
    if cache_dir is None:
        return _read_areas(path, levels)
    stored = cache.cache_file(cache_dir, cache.cache_key(cache.file_sha256(path), {"admin_levels": list(levels)}), prefix=CACHE_PREFIX)
    arrays = cache.load_arrays(stored)
    if arrays is not None and set(arrays) == set(_ARRAY_NAMES):
        return _areas_from_arrays(arrays)
    areas = _read_areas(path, levels)
    try:
        cache.save_arrays(stored, _areas_to_arrays(areas))
    except OSError as exc:
        warnings.warn(f"{stored}: cannot write the boundary cache ({exc}); check the folder or turn the cache off", stacklevel=2)
    return areas


#: File name prefix of cached areas, and the arrays a cache file holds.
CACHE_PREFIX = "admin"
_ARRAY_NAMES = ("osm_id", "name", "admin_level", "wkb", "wkb_offsets")
_DTYPES = {"osm_id": "int64", "name": "str", "admin_level": "int64"}


def _areas_to_arrays(areas: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """The areas as plain arrays (no pickles): the geometries as one WKB byte string and its offsets."""
    wkb = [bytes(b) for b in shapely.to_wkb(areas.geometry.to_numpy())]
    return {"osm_id": areas["osm_id"].to_numpy(np.int64), "name": np.array(areas["name"].tolist(), dtype=str),
            "admin_level": areas["admin_level"].to_numpy(np.int64), "wkb": np.frombuffer(b"".join(wkb), dtype=np.uint8),
            "wkb_offsets": np.cumsum([0, *map(len, wkb)]).astype(np.int64)}


def _areas_from_arrays(arrays: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    blob, offsets = arrays["wkb"].tobytes(), arrays["wkb_offsets"]
    geometry = shapely.from_wkb([blob[a:b] for a, b in zip(offsets[:-1], offsets[1:])]) if len(offsets) > 1 else []
    areas = gpd.GeoDataFrame({"osm_id": arrays["osm_id"], "name": arrays["name"].tolist(), "admin_level": arrays["admin_level"]},
                             geometry=gpd.GeoSeries(geometry, crs=WGS84), crs=WGS84)
    return areas.astype(_DTYPES)


def _read_areas(path: Path, levels: tuple[int, ...]) -> gpd.GeoDataFrame:
    wkb = osmium.geom.WKBFactory()
    rows = []
    try:
        processor = osmium.FileProcessor(str(path)).with_areas(osmium.filter.TagFilter(("boundary", "administrative")))
        for obj in processor.with_filter(osmium.filter.EntityFilter(osmium.osm.AREA)):
            tags = obj.tags
            level = tags.get("admin_level", "")
            if tags.get("boundary") != "administrative" or not level.isdigit() or int(level) not in levels:
                continue
            rows.append(
                {
                    "osm_id": obj.orig_id(),
                    "name": tags.get("name:zh") or tags.get("name", ""),
                    "admin_level": int(level),
                    "geometry": shapely.from_wkb(wkb.create_multipolygon(obj)),
                }
            )
    except RuntimeError as exc:
        raise InputError(f"{path}: cannot read boundaries from this OSM file ({exc}); check that it is not corrupt") from None
    areas = gpd.GeoDataFrame(rows, columns=["osm_id", "name", "admin_level", "geometry"], geometry="geometry", crs=WGS84)
    return areas.astype(_DTYPES).sort_values(["admin_level", "osm_id"]).reset_index(drop=True)
