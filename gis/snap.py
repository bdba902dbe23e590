"""Placing schools on the road network: each school's nearest node and its distance; schools off the network
are dropped with a warning."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pyproj
from scipy.spatial import cKDTree

from . import settings
from .badrows import BadRow, report_bad_rows
from .coords import WGS84
from .errors import InputError
from .measure import local_utm_crs

if TYPE_CHECKING:
    from .network import RoadNetwork

__all__ = ["snap_to_nodes", "snap_schools"]


def snap_to_nodes(network: RoadNetwork, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Nearest network node (row position) of each point and its distance in metres.

    Distances are measured in the local UTM zone.
    """
    crs = local_utm_crs(network.nodes["x"].to_numpy(), network.nodes["y"].to_numpy())
    to_metric = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    node_xy = np.column_stack(to_metric.transform(network.nodes["x"].to_numpy(), network.nodes["y"].to_numpy()))
    point_xy = np.column_stack(to_metric.transform(np.asarray(lon, float), np.asarray(lat, float)))
    distance, position = cKDTree(node_xy).query(point_xy)
    return position.astype(np.int64), distance


def snap_schools(
    schools: gpd.GeoDataFrame, network: RoadNetwork, *, max_snap_m: float = settings.MAX_SNAP_M, strict: bool = False
) -> gpd.GeoDataFrame:
    """Add each school's nearest road node (``node``) and distance (``snap_m``).

    Schools farther than ``max_snap_m`` from every road are off the network: dropped with a
    warning, or an :class:`InputError` with ``strict``.
    """
    node, distance = snap_to_nodes(network, schools.geometry.x.to_numpy(), schools.geometry.y.to_numpy())
    snapped = schools.assign(node=node, snap_m=distance)
    off = snapped[snapped["snap_m"] > max_snap_m]
    bad_rows = [
        BadRow(int(row.source_row), f"{row.name} is {row.snap_m:,.0f} m from the nearest road",
               f"check its coordinates and --coords, or use an OSM extract that covers it (limit {max_snap_m:g} m)")
        for row in off.itertuples()
    ]
    report_bad_rows(bad_rows, source="schools", strict=strict)
    kept = snapped[snapped["snap_m"] <= max_snap_m].reset_index(drop=True)
    if kept.empty:
        raise InputError("no school lies within reach of the road network; check that the OSM file covers the schools")
    return kept
