"""One county's inputs from its files: the schools (the bureau's table, OpenStreetMap, or both matched) and the roads.

:class:`CountyFiles` names the files and how to read them; it is small and holds only paths, so it
travels to another process (a Dask worker) that reads the county there with :func:`read_county`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from .match import match_schools
from .network import RoadNetwork, read_road_network
from .osm_schools import read_osm_schools
from .progress import logged_step
from .schools import read_school_table

__all__ = ["CountyFiles", "read_county"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CountyFiles:
    """Where a county's data is and how to read it.

    Attributes
    ----------
    osm : Path
        The OSM file (.osm, .osm.bz2, .osm.pbf) with the roads, and the schools when there is no table.
    schools : Path or None
        The bureau's school table; without it the compulsory schools mapped in OpenStreetMap.
    osm_schools : bool
        Also read the schools mapped in OpenStreetMap and match them with the table.
    coords : str
        Coordinate system of the table (``wgs84``, ``gcj02``, ``bd09``).
    network_type : str
        ``drive`` or ``walk``.
    cache_dir : Path or None
        Where prepared road networks are kept; None reads without a cache.
    strict : bool
        Stop at the first bad row instead of dropping it with a warning.
    """

    osm: Path
    schools: Path | None = None
    osm_schools: bool = False
    coords: str = "wgs84"
    network_type: str = "drive"
    cache_dir: Path | None = None
    strict: bool = False


def read_county(files: CountyFiles) -> tuple[gpd.GeoDataFrame, RoadNetwork]:
    """The county's canonical school table and road network.

    Raises
    ------
    gis.errors.InputError
        When a file cannot be used, with a message naming the fix.
    """
    schools = _read_schools(files)
    with logged_step(logger, f"reading roads from {files.osm.name}"):
        roads = read_road_network(files.osm, network_type=files.network_type, cache_dir=files.cache_dir)
    if roads.from_cache:
        logger.info("roads from the cache in %s", files.cache_dir)
    return schools, roads


def _read_schools(files: CountyFiles) -> gpd.GeoDataFrame:
    """The schools: the bureau's table, the schools mapped in OSM, or both matched."""
    source = files.schools.name if files.schools else f"OpenStreetMap ({files.osm.name})"
    with logged_step(logger, f"reading schools from {source}"):
        table = read_school_table(files.schools, coords=files.coords, strict=files.strict) if files.schools else None
        mapped = read_osm_schools(files.osm, strict=files.strict) if files.osm_schools or table is None else None
    if table is None or mapped is None:
        return table if table is not None else mapped
    matched = match_schools(table, mapped)
    logger.info("%s", matched.summary())
    return matched.schools
