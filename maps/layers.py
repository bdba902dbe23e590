"""The plan as compact JSON for the page: the data ``static/planmap.js`` draws its layers from.

Geometries are simplified to what a screen shows and sent as integer degrees × :data:`SCALE`,
each ring or line a flat list ``[lat0, lon0, dlat1, dlon1, ...]`` of differences from the point
before, which keeps a 2,000-school county's page to a few megabytes. Schools travel as columns.
Every string stays plain text here: the page escapes it where it reaches HTML.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from gis.coords import WGS84
from gis.network import local_utm_crs
from maps.colours import UNASSIGNED_COLOR

__all__ = [
    "SCALE",
    "SIMPLIFY_M",
    "decode_ring",
    "encode_lines",
    "encode_polygons",
    "plan_data",
]

#: Coordinates travel as integers of 1e-5 degree (about 1 m).
SCALE = 100_000
#: Douglas-Peucker tolerance (m) for territories, townships and isochrones on screen.
SIMPLIFY_M = 8.0
#: Road widths (px) by class, widest first.
ROAD_WEIGHTS = {"motorway": 3.5, "trunk": 3.0, "primary": 2.5, "secondary": 2.0, "tertiary": 1.5}
DEFAULT_ROAD_WEIGHT = 1.5

#: A member's circle radius (px) once zoomed in, and the smallest it shrinks to.
MEMBER_RADIUS_PX = 6.0
MIN_MEMBER_RADIUS_PX = 2.0
#: Members (cores) reach full size when the closest tenth of neighbouring schools (cores) are
#: this far apart (px).
MEMBER_SPACING_PX = 14.0
MEMBER_SPACING_QUANTILE = 0.1
#: A core's star (px) once zoomed in, and the smallest it shrinks to.
CORE_STAR_PX = 24.0
MIN_CORE_STAR_PX = 15.0
#: A core's label shows once the nearest other core is this far away on screen (px).
LABEL_SPACING_PX = 110.0
#: Metres per pixel at zoom 0 on the equator (Web Mercator, 256-px tiles).
METRES_PER_PIXEL_Z0 = 156_543.03392
#: Zoom levels a search jumps to, past the members' full size.
SEARCH_ZOOM_STEPS = 1.0
MAX_ZOOM = 18.0


def _parts(geometry: BaseGeometry, kind: int) -> list:
    """The non-empty parts of one geometry type inside ``geometry``."""
    if geometry is None or geometry.is_empty:
        return []
    parts = shapely.get_parts(shapely.get_parts(geometry))
    return [part for part in parts if shapely.get_type_id(part) == kind and not part.is_empty]


def _deltas(coords: np.ndarray) -> list[int]:
    """``(lon, lat)`` rows as the flat delta list ``[lat0, lon0, dlat, dlon, ...]``."""
    points = np.rint(np.asarray(coords)[:, [1, 0]] * SCALE).astype(np.int64)
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(points[1:] != points[:-1], axis=1)  # drop points rounding made equal
    points = points[keep]
    points[1:] -= points[:-1].copy()
    return points.ravel().tolist()


def decode_ring(flat: Sequence[int]) -> list[tuple[float, float]]:
    """Undo the delta encoding: ``[(lat, lon), ...]`` (what the page does, for tests)."""
    points = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0) / SCALE
    return [(float(lat), float(lon)) for lat, lon in points]


def encode_polygons(geometry: BaseGeometry) -> list[list[list[int]]]:
    """A (multi)polygon as ``[polygon][ring]`` delta lists, exterior ring first."""
    return [
        [_deltas(polygon.exterior.coords), *(_deltas(ring.coords) for ring in polygon.interiors)]
        for polygon in _parts(geometry, shapely.GeometryType.POLYGON)
    ]


def encode_lines(geometry: BaseGeometry) -> list[list[int]]:
    """The lines in ``geometry`` (polygon outlines included) as delta lists."""
    lines = _parts(geometry, shapely.GeometryType.LINESTRING)
    for polygon in _parts(geometry, shapely.GeometryType.POLYGON):
        lines += [polygon.exterior, *polygon.interiors]
    return [_deltas(line.coords) for line in lines]


class _Metric:
    """Conversions between EPSG:4326 and the local UTM zone of the plan."""

    def __init__(self, *frames: gpd.GeoDataFrame):
        bounds = np.array([frame.total_bounds for frame in frames if not frame.empty])
        west, south = bounds[:, :2].min(axis=0)
        east, north = bounds[:, 2:].max(axis=0)
        self.crs = local_utm_crs(np.array([west, east]), np.array([south, north]))
        self.latitude = (south + north) / 2

    def simplified(self, geometries: gpd.GeoSeries, tolerance_m: float, *, coverage: bool = False) -> gpd.GeoSeries:
        """Geometries simplified in metres; a coverage keeps its shared borders shared."""
        metric = geometries.to_crs(self.crs)
        values = metric.to_numpy()
        simpler = shapely.coverage_simplify(values, tolerance_m) if coverage else shapely.simplify(values, tolerance_m)
        return gpd.GeoSeries(simpler, index=geometries.index, crs=self.crs).to_crs(WGS84)

    def zoom_showing(self, metres: np.ndarray, pixels: float) -> np.ndarray:
        """The zoom at which ``metres`` on the ground take ``pixels`` on screen."""
        per_pixel_z0 = METRES_PER_PIXEL_Z0 * math.cos(math.radians(self.latitude))
        with np.errstate(divide="ignore"):
            return np.log2(pixels * per_pixel_z0 / np.asarray(metres, dtype=float))

    def xy(self, points: gpd.GeoSeries) -> np.ndarray:
        metric = points.to_crs(self.crs)
        return np.column_stack([metric.x, metric.y])


def _nearest_other_m(xy: np.ndarray) -> np.ndarray:
    """Distance (m) from each point to the nearest other one (inf when alone)."""
    if len(xy) < 2:
        return np.full(len(xy), np.inf)
    distances, _ = cKDTree(xy).query(xy, k=2)
    return distances[:, 1]


def _rounded(value: float, digits: int = 2) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def _text_column(values: pd.Series) -> list[str]:
    return ["" if pd.isna(value) else str(value) for value in values]


def _search_names(names: list[str], ids: list[str]) -> list[str]:
    """School names for the search box, made unique by the id where two schools share one."""
    counts = pd.Series(names).value_counts()
    return [f"{name} ({school_id})" if counts[name] > 1 else name for name, school_id in zip(names, ids)]


def _text_or_blank(value) -> str:
    """A value as text; "" for a missing one (a 学区长 the table does not give is never invented)."""
    return "" if value is None or pd.isna(value) else str(value)


def _district_rows(districts: gpd.GeoDataFrame, colors: Mapping[str, str], shapes: gpd.GeoSeries) -> list[dict]:
    rows = []
    for index, district in districts.iterrows():
        west, south, east, north = shapely.bounds(district.geometry).tolist()
        rows.append(
            {
                "key": str(district["district"]),
                "name": str(district["district_name"]),
                "core": str(district["core_name"]),
                "head": _text_or_blank(district.get("district_head")),
                "schools": int(district["n_schools"]),
                "enrollment": int(district["enrollment"]),
                "color": colors[str(district["district"])],
                "bounds": [[round(south, 5), round(west, 5)], [round(north, 5), round(east, 5)]],
                "shape": encode_polygons(shapes[index]),
            }
        )
    return rows


def _school_columns(schools: gpd.GeoDataFrame, district_index: Mapping[str, int], metric: _Metric) -> dict:
    keys = [("" if pd.isna(key) else str(key)) for key in schools["district"]]
    is_core = schools["is_core"].astype(bool).to_numpy()
    names = _text_column(schools["name"])
    label_zoom = metric.zoom_showing(_nearest_other_m(metric.xy(schools.geometry[is_core])), LABEL_SPACING_PX)
    label_zooms = np.full(len(schools), np.nan)
    label_zooms[is_core] = label_zoom
    return {
        "name": names,
        "search": _search_names(names, _text_column(schools["school_id"])),
        "level": _text_column(schools["level"]),
        "enrollment": [None if pd.isna(value) else int(value) for value in schools["enrollment"]],
        "district": [district_index.get(key, -1) for key in keys],
        "core": [int(flag) for flag in is_core],
        "minutes": [_rounded(value, 1) for value in pd.to_numeric(schools["minutes_to_core"], errors="coerce")],
        "township": _text_column(schools["township"]),
        "area": _text_column(schools["area_type"]),
        "lat": [round(float(y), 6) for y in schools.geometry.y],
        "lon": [round(float(x), 6) for x in schools.geometry.x],
        "labelZoom": [_rounded(value) for value in label_zooms],
    }


def _road_rows(roads: gpd.GeoDataFrame | None) -> list[dict]:
    if roads is None or roads.empty:
        return []
    return [
        {"highway": str(highway), "weight": ROAD_WEIGHTS.get(str(highway), DEFAULT_ROAD_WEIGHT), "lines": encode_lines(line)}
        for highway, line in zip(roads["highway"], roads.geometry)
    ]


def _isochrone_data(
    isochrones: gpd.GeoDataFrame | None,
    districts: gpd.GeoDataFrame,
    district_index: Mapping[str, int],
    metric: _Metric,
) -> dict | None:
    if isochrones is None or isochrones.empty:
        return None
    shapes = metric.simplified(isochrones.geometry, SIMPLIFY_M)
    covered = shapely.union_all(isochrones.geometry.to_numpy())
    gaps = shapely.difference(shapely.union_all(districts.geometry.to_numpy()), covered)
    gap_shape = metric.simplified(gpd.GeoSeries([gaps], crs=WGS84), SIMPLIFY_M).iloc[0]
    return {
        "minutes": float(isochrones["minutes"].iloc[0]),
        "areas": [
            {"district": district_index.get(str(key), -1), "shape": encode_polygons(shape)}
            for key, shape in zip(isochrones["district"], shapes)
        ],
        "gaps": encode_polygons(gap_shape),
    }


def _full_size_zoom(points: gpd.GeoSeries, metric: _Metric, size_px: float) -> float:
    """The zoom at which the closest tenth of neighbouring points are ``size_px`` apart."""
    spacing = _nearest_other_m(metric.xy(points))
    finite = spacing[np.isfinite(spacing) & (spacing > 0)]
    if not len(finite):
        return 0.0
    return float(metric.zoom_showing(np.quantile(finite, MEMBER_SPACING_QUANTILE), size_px))


def _view(schools: gpd.GeoDataFrame, metric: _Metric) -> dict:
    full_zoom = _full_size_zoom(schools.geometry, metric, MEMBER_SPACING_PX)
    cores = schools.geometry[schools["is_core"].astype(bool).to_numpy()]
    return {
        "memberRadius": MEMBER_RADIUS_PX,
        "minMemberRadius": MIN_MEMBER_RADIUS_PX,
        "fullSizeZoom": round(full_zoom, 2),
        "star": CORE_STAR_PX,
        "minStar": MIN_CORE_STAR_PX,
        "starFullSizeZoom": round(_full_size_zoom(cores, metric, CORE_STAR_PX), 2),
        "searchZoom": round(min(MAX_ZOOM, full_zoom + SEARCH_ZOOM_STEPS), 2),
        "unassignedColor": UNASSIGNED_COLOR,
    }


def plan_data(
    schools: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    colors: Mapping[str, str],
    words: Mapping[str, object],
    *,
    roads: gpd.GeoDataFrame | None = None,
    townships: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    source: str | None = None,
) -> dict:
    """Everything the page draws, as JSON-ready values (all frames in EPSG:4326).

    Parameters
    ----------
    schools, districts : geopandas.GeoDataFrame
        The plan (see :func:`maps.render.render_plan_map`); districts sorted by key.
    colors : mapping
        District key -> colour.
    words : mapping
        The labels of :func:`maps.text.labels`.
    roads, townships, isochrones : geopandas.GeoDataFrame, optional
        Main roads (``highway``), township areas, and isochrones (``district``, ``minutes``).
    source : str, optional
        Attribution of the roads and townships.
    """
    metric = _Metric(schools, districts)
    district_index = {str(key): i for i, key in enumerate(districts["district"])}
    territory_shapes = metric.simplified(districts.geometry, SIMPLIFY_M, coverage=True)
    township_lines = []
    if townships is not None and not townships.empty:
        township_lines = [line for shape in metric.simplified(townships.geometry, SIMPLIFY_M) for line in encode_lines(shape)]
    view = _view(schools, metric)
    west, south, east, north = np.array([frame.total_bounds for frame in (schools, districts) if not frame.empty]).T
    view["bounds"] = [[round(float(south.min()), 6), round(float(west.min()), 6)], [round(float(north.max()), 6), round(float(east.max()), 6)]]
    return {
        "scale": SCALE,
        "words": dict(words),
        "districts": _district_rows(districts, colors, territory_shapes),
        "schools": _school_columns(schools, district_index, metric),
        "roads": _road_rows(roads),
        "townships": township_lines,
        "isochrones": _isochrone_data(isochrones, districts, district_index, metric),
        "source": source,
        "view": view,
    }
