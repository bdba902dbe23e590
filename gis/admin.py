"""Administrative areas (county, 乡镇/街道) from the boundary relations of a local OSM file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import osmium
import shapely

from .coords import WGS84
from .errors import InputError
from .ways import check_osm_path

__all__ = ["read_admin_areas", "COUNTY_LEVEL", "TOWNSHIP_LEVEL"]

#: OSM ``admin_level`` of a county (县/区) and of a township or subdistrict (乡镇/街道) in China.
COUNTY_LEVEL = 6
TOWNSHIP_LEVEL = 8


def read_admin_areas(path: str | Path, levels: tuple[int, ...] = (COUNTY_LEVEL, TOWNSHIP_LEVEL)) -> gpd.GeoDataFrame:
    """``boundary=administrative`` areas of the given levels: ``osm_id``, ``name``, ``admin_level``, geometry.

    Sorted by level then OSM id; an empty table when the file has none.
    """
    path = check_osm_path(path)
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
    return areas.sort_values(["admin_level", "osm_id"]).reset_index(drop=True)
