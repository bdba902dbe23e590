"""学区 territories: the network Voronoi of their schools, as polygons.

Every road node belongs to the 学区 of the school it reaches first (就近入学). The polygon of a
学区 is the union of the planar Voronoi cells of its road nodes and of its schools, clipped to
the county, so territories never overlap and each contains its own schools.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gis.coords import WGS84
from gis.measure import local_utm_crs

__all__ = ["territory_polygons", "school_neighbours", "DEFAULT_MARGIN_M"]

#: Margin around the points when no boundary is given, and around schools just outside it (m).
DEFAULT_MARGIN_M = 1000.0
#: Coordinates closer than this (m) count as one generator.
COINCIDENT_M = 0.01


def territory_polygons(
    point_lonlat: np.ndarray,
    point_district: np.ndarray,
    *,
    boundary: BaseGeometry | None = None,
) -> gpd.GeoDataFrame:
    """One (Multi)Polygon per district from labelled points (EPSG:4326).

    Parameters
    ----------
    point_lonlat : numpy.ndarray, shape (n, 2)
        The generators: schools first, then road nodes (earlier points win at coincident places).
    point_district : numpy.ndarray, shape (n,)
        District key of each point.
    boundary : shapely geometry, optional
        The county (EPSG:4326); cells are clipped to it (widened to hold every point).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``district`` and ``geometry``, sorted by district.
    """
    crs = local_utm_crs(point_lonlat[:, 0], point_lonlat[:, 1])
    to_metric = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    xy = np.column_stack(to_metric.transform(point_lonlat[:, 0], point_lonlat[:, 1]))
    _, first = np.unique(np.round(xy / COINCIDENT_M), axis=0, return_index=True)
    first.sort()
    xy, labels = xy[first], np.asarray(point_district)[first]
    region = _clip_region(xy, boundary, to_metric)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=region, ordered=True))
    cells = shapely.intersection(cells, region)
    keys = sorted(set(labels.tolist()))
    polygons = [_union_cells(cells[labels == key]) for key in keys]
    return gpd.GeoDataFrame({"district": keys}, geometry=polygons, crs=crs).to_crs(WGS84)


def _clip_region(xy: np.ndarray, boundary: BaseGeometry | None, to_metric: pyproj.Transformer) -> BaseGeometry:
    points = shapely.multipoints(xy)
    if boundary is None:
        return shapely.convex_hull(points).buffer(DEFAULT_MARGIN_M)
    metric_boundary = shapely.make_valid(
        shapely.transform(boundary, lambda c: np.column_stack(to_metric.transform(c[:, 0], c[:, 1])))
    )
    # Only points outside, or within the margin of the edge, widen the region: buffering all of a
    # large county's road nodes takes minutes and adds nothing.
    inner = shapely.buffer(metric_boundary, -DEFAULT_MARGIN_M / 10)
    shapely.prepare(inner)
    near_edge = xy[~shapely.contains_xy(inner, xy[:, 0], xy[:, 1])]
    return shapely.union(metric_boundary, shapely.multipoints(near_edge).buffer(DEFAULT_MARGIN_M / 10))


def _union_cells(cells: np.ndarray) -> BaseGeometry:
    """Union of Voronoi cells into a valid (Multi)Polygon."""
    polygons = shapely.get_parts(cells)
    polygons = polygons[shapely.get_type_id(polygons) == shapely.GeometryType.POLYGON]
    merged = shapely.coverage_union_all(polygons)
    if not shapely.is_valid(merged):
        merged = shapely.make_valid(shapely.union_all(polygons))
    parts = shapely.get_parts(merged)
    return shapely.multipolygons(parts) if len(parts) > 1 else parts[0]


def school_neighbours(node_school: np.ndarray, edge_u: np.ndarray, edge_v: np.ndarray, n_schools: int) -> tuple[tuple[int, ...], ...]:
    """Schools whose network-Voronoi territories touch: a road runs from one into the other.

    ``node_school`` is each road node's nearest school (-1 for none); ``edge_u``/``edge_v`` the
    road edges as node positions.
    """
    a, b = node_school[edge_u], node_school[edge_v]
    crossing = (a != b) & (a >= 0) & (b >= 0)
    pairs = np.unique(np.concatenate([np.column_stack([a, b])[crossing], np.column_stack([b, a])[crossing]]), axis=0)
    starts = np.searchsorted(pairs[:, 0], np.arange(n_schools + 1))
    return tuple(tuple(int(j) for j in pairs[starts[i] : starts[i + 1], 1]) for i in range(n_schools))
