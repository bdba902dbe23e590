"""Isochrones: the area within a travel-time limit of a road node, as polygons.

A place belongs to the road node nearest to it (its Voronoi cell among the network's nodes),
as territories do; a source's isochrone is the union of the cells of the nodes it reaches,
and is reached from, within the limit. What no isochrone covers is the gap in the coverage.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from .network import CRS, RoadNetwork, local_utm_crs
from .traveltime import TravelTimeEngine

__all__ = ["isochrone_polygons", "coverage_union", "REGION_MARGIN_M"]

#: Margin (m) around the road nodes that bounds the outer cells when no boundary is given.
REGION_MARGIN_M = 1000.0


def isochrone_polygons(
    engine: TravelTimeEngine,
    network: RoadNetwork,
    sources: np.ndarray,
    limit_s: float,
    *,
    boundary: BaseGeometry | None = None,
    both_ways: bool = True,
) -> gpd.GeoDataFrame:
    """The area within ``limit_s`` seconds of each source node.

    Parameters
    ----------
    engine : TravelTimeEngine
        The engine built on ``network``.
    network : RoadNetwork
        The road network whose nodes ``sources`` index.
    sources : numpy.ndarray
        Node positions, one isochrone each.
    limit_s : float
        The travel-time limit in seconds.
    boundary : shapely geometry, optional
        The county (EPSG:4326); cells are clipped to it. Default: the nodes' hull plus
        :data:`REGION_MARGIN_M`.
    both_ways : bool, default True
        Count a node only when the trip back is within the limit too.

    Returns
    -------
    geopandas.GeoDataFrame
        Column ``source`` (the position in ``sources``) and a (Multi)Polygon ``geometry``
        (EPSG:4326, empty when a source reaches no cell), one row per source.
    """
    x, y = network.nodes["x"].to_numpy(), network.nodes["y"].to_numpy()
    crs = local_utm_crs(x, y)
    to_metric = pyproj.Transformer.from_crs(CRS, crs, always_xy=True)
    xy = np.column_stack(to_metric.transform(x, y))
    places, place_of_node = np.unique(xy, axis=0, return_inverse=True)
    cells, place_of_cell = _place_cells(places, _region(xy, boundary, to_metric))
    reach = engine.reachable(np.asarray(sources, dtype=np.int64), limit_s, both_ways=both_ways)
    reached = np.zeros((len(reach), len(places)), dtype=bool)  # [source, place]
    for row, nodes in zip(reached, reach):
        row[place_of_node.ravel()[nodes]] = True
    pieces, covers = _pieces(cells, reached[:, place_of_cell])
    polygons = [coverage_union(pieces[cover]) for cover in covers]
    return gpd.GeoDataFrame({"source": np.arange(len(polygons))}, geometry=polygons, crs=crs).to_crs(CRS)


def _pieces(cells: np.ndarray, reached: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells merged into pieces that the same sources reach, and which pieces each source reaches.

    Isochrones overlap: merging every source's cells apart would merge most cells many times over.
    Cells reached by the same set of sources are merged once instead, and each isochrone is the
    union of its few pieces (the same area: the pieces are a coverage of the reached cells).
    """
    some = reached.any(axis=0)  # cells no source reaches are left out
    cells, reached = cells[some], reached[:, some]
    reached_by = np.packbits(reached, axis=0).T  # one row of bits per cell
    signatures, piece_of_cell = np.unique(reached_by, axis=0, return_inverse=True)
    piece_of_cell = piece_of_cell.ravel()
    order = np.argsort(piece_of_cell, kind="stable")
    starts = np.searchsorted(piece_of_cell[order], np.arange(len(signatures)))
    groups = np.split(cells[order], starts[1:]) if len(signatures) else []
    pieces = np.array([coverage_union(group) for group in groups], dtype=object)
    covers = np.unpackbits(signatures, axis=1, count=reached.shape[0]).T.astype(bool)  # [source, piece]
    return pieces, covers


def _region(xy: np.ndarray, boundary: BaseGeometry | None, to_metric: pyproj.Transformer) -> BaseGeometry:
    """The area the cells fill, in metres."""
    if boundary is None:
        return shapely.convex_hull(shapely.multipoints(xy)).buffer(REGION_MARGIN_M)
    metric = shapely.transform(boundary, lambda c: np.column_stack(to_metric.transform(c[:, 0], c[:, 1])))
    return shapely.make_valid(metric)


def _place_cells(places: np.ndarray, region: BaseGeometry) -> tuple[np.ndarray, np.ndarray]:
    """The polygons of the places' Voronoi cells inside ``region``, and the place of each."""
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(places), extend_to=region, ordered=True))
    shapely.prepare(region)
    crossing = ~shapely.contains_properly(region, cells)  # only the cells at the edge need cutting
    cells[crossing] = shapely.intersection(cells[crossing], region)
    parts, place_of_part = shapely.get_parts(cells, return_index=True)
    is_polygon = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    return parts[is_polygon], place_of_part[is_polygon]


def coverage_union(cells: np.ndarray) -> BaseGeometry:
    """The union of non-overlapping cells (neighbours share their edges exactly: Voronoi cells, or
    unions of them) as one valid (Multi)Polygon; empty for no cells."""
    if not len(cells):
        return shapely.Polygon()
    merged = shapely.coverage_union_all(cells)
    return merged if shapely.is_valid(merged) else shapely.make_valid(shapely.union_all(cells))
