"""The road network: read from a local OSM file, speeds for Chinese roads, snapping schools.

The network is held as arrays (one row per node, one per directed edge), which is what the
travel-time engine needs; :meth:`RoadNetwork.to_networkx` gives the osmnx-compatible graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pandas as pd
import pyproj
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from . import settings
from .errors import InputError
from .schools import BadRow, report_bad_rows

__all__ = [
    "RoadNetwork",
    "read_road_network",
    "parse_maxspeed",
    "great_circle_m",
    "local_utm_crs",
    "snap_to_nodes",
    "snap_schools",
]

EARTH_RADIUS_M = 6_371_009.0  # the mean radius osmnx uses, so lengths match osmnx's
MPH_TO_KPH = 1.609344
KPH_TO_MPS = 1000.0 / 3600.0
ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
ONEWAY_REVERSE = frozenset({"-1", "reverse"})
OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml")


@dataclass(frozen=True)
class RoadNetwork:
    """A directed road network.

    Attributes
    ----------
    nodes : pandas.DataFrame
        One row per node, indexed by OSM node id (sorted), with columns ``x`` (lon) and ``y`` (lat).
    edges : pandas.DataFrame
        One row per directed edge: ``u``, ``v`` (row positions in ``nodes``), ``osmid`` (way id),
        ``highway``, ``length`` (m), ``speed_kph``, ``travel_time`` (s).
    dropped_nodes : int
        Nodes left out because they were outside the largest strongly connected component.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    dropped_nodes: int = 0

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    def to_networkx(self) -> nx.MultiDiGraph:
        """Return the network as an osmnx-compatible ``MultiDiGraph`` (EPSG:4326)."""
        graph = nx.MultiDiGraph(crs="epsg:4326")
        ids = self.nodes.index.to_numpy()
        graph.add_nodes_from(
            (int(i), {"x": float(x), "y": float(y)})
            for i, x, y in zip(ids, self.nodes["x"], self.nodes["y"])
        )
        cols = ["osmid", "highway", "length", "speed_kph", "travel_time"]
        for u, v, *values in self.edges[["u", "v", *cols]].itertuples(index=False):
            graph.add_edge(int(ids[u]), int(ids[v]), **dict(zip(cols, values)))
        return graph


def parse_maxspeed(value: str | None) -> float:
    """Return a ``maxspeed`` tag in km/h, or NaN when it gives no number.

    ``"50"``, ``"50 km/h"`` and ``"30 mph"`` are read; ``"40;60"`` gives the mean;
    zone values such as ``"CN:urban"`` give NaN.
    """
    if not value:
        return float("nan")
    speeds = []
    for part in value.split(";"):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*", part)
        if match:
            speed = float(match.group(1))
            speeds.append(speed * MPH_TO_KPH if match.group(2) == "mph" else speed)
    return float(np.mean(speeds)) if speeds else float("nan")


def great_circle_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (haversine, osmnx's earth radius)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def local_utm_crs(lon: np.ndarray, lat: np.ndarray) -> pyproj.CRS:
    """The UTM zone (WGS-84) containing the centre of the given points, for metric measures."""
    lon0, lat0 = float(np.mean(lon)), float(np.mean(lat))
    zone = int((lon0 + 180) // 6) + 1
    return pyproj.CRS.from_epsg((32600 if lat0 >= 0 else 32700) + zone)


def read_road_network(
    path: str | Path,
    *,
    highways: frozenset[str] = settings.DRIVE_HIGHWAYS,
    speeds_kph: dict[str, float] | None = None,
) -> RoadNetwork:
    """Read the drivable roads of a local OSM file (.osm, .osm.bz2, .osm.pbf).

    Each way becomes one directed edge per consecutive node pair (two for a two-way road),
    with its great-circle ``length``, ``speed_kph`` (``maxspeed`` when tagged, otherwise the
    highway-class table :data:`gis.settings.HIGHWAY_SPEEDS_KPH`) and ``travel_time`` in seconds.
    Only the largest strongly connected component is kept, so every node reaches every other.

    Raises
    ------
    InputError
        If the file is missing, unreadable, or holds no drivable road.
    """
    path = _check_osm_path(path)
    ways = _read_highway_ways(path, highways)
    if not ways:
        raise InputError(f"{path}: no drivable roads (highway=*) found; check that this is the right OSM extract")
    nodes, edges = _edges_from_ways(ways, {**settings.HIGHWAY_SPEEDS_KPH, **(speeds_kph or {})})
    return _largest_strong_component(nodes, edges)


def _check_osm_path(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such OSM file; give the path to a .osm, .osm.bz2 or .osm.pbf file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the OSM file is empty; download or export the extract again")
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise InputError(f"{path}: not an OSM file; expected one of {', '.join(OSM_SUFFIXES)}")
    return path


def _read_highway_ways(path: Path, highways: frozenset[str]) -> list[tuple]:
    """(way id, node ids, lons, lats, highway, maxspeed, oneway) for each kept way."""
    ways = []
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            tags = way.tags
            highway = tags.get("highway")
            if highway not in highways or tags.get("area") == "yes" or len(way.nodes) < 2:
                continue
            oneway = tags.get("oneway", "yes" if tags.get("junction") == "roundabout" else "no")
            for refs, lons, lats in _located_runs(way.nodes):
                ways.append((way.id, refs, lons, lats, highway, tags.get("maxspeed"), oneway))
    except RuntimeError as exc:
        raise InputError(f"{path}: cannot read this OSM file ({exc}); check that it is complete and not corrupt") from None
    return ways


def _located_runs(way_nodes) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Split a way at nodes missing from the file (clipped extracts): runs of >= 2 located nodes."""
    located = [(n.ref, n.lon, n.lat) if n.location.valid() else None for n in way_nodes]
    runs, current = [], []
    for item in [*located, None]:
        if item is None:
            if len(current) >= 2:
                refs, lons, lats = zip(*current)
                runs.append((np.array(refs, dtype=np.int64), np.array(lons), np.array(lats)))
            current = []
        else:
            current.append(item)
    return runs


def _edges_from_ways(ways: list[tuple], speeds_kph: dict[str, float]):
    """Vectorise the ways into a node table and a directed edge table."""
    segments = []
    for way_id, refs, lons, lats, highway, maxspeed, oneway in ways:
        if oneway in ONEWAY_REVERSE:
            refs, lons, lats = refs[::-1], lons[::-1], lats[::-1]
        speed = parse_maxspeed(maxspeed)
        if np.isnan(speed):
            speed = speeds_kph.get(highway, settings.FALLBACK_SPEED_KPH)
        both = oneway not in ONEWAY_FORWARD and oneway not in ONEWAY_REVERSE
        n = len(refs) - 1
        seg = pd.DataFrame(
            {
                "u_id": refs[:-1], "v_id": refs[1:],
                "ux": lons[:-1], "uy": lats[:-1], "vx": lons[1:], "vy": lats[1:],
                "osmid": np.full(n, way_id, dtype=np.int64),
                "highway": highway, "speed_kph": speed,
            }
        )
        segments.append(seg)
        if both:
            back = seg.rename(columns={"u_id": "v_id", "v_id": "u_id", "ux": "vx", "vx": "ux", "uy": "vy", "vy": "uy"})
            segments.append(back[seg.columns])
    seg = pd.concat(segments, ignore_index=True)
    seg = seg[seg["u_id"] != seg["v_id"]]
    ends = pd.concat(
        [seg[["u_id", "ux", "uy"]].set_axis(["id", "x", "y"], axis=1), seg[["v_id", "vx", "vy"]].set_axis(["id", "x", "y"], axis=1)]
    )
    nodes = ends.drop_duplicates("id").set_index("id").sort_index()
    nodes.index.name = "osmid"
    ids = nodes.index.to_numpy()
    length = great_circle_m(seg["ux"], seg["uy"], seg["vx"], seg["vy"])
    edges = pd.DataFrame(
        {
            "u": np.searchsorted(ids, seg["u_id"].to_numpy()),
            "v": np.searchsorted(ids, seg["v_id"].to_numpy()),
            "osmid": seg["osmid"].to_numpy(),
            "highway": seg["highway"].to_numpy(),
            "length": length,
            "speed_kph": seg["speed_kph"].to_numpy(dtype=float),
        }
    )
    edges["travel_time"] = edges["length"] / (edges["speed_kph"] * KPH_TO_MPS)
    return nodes, edges


def _largest_strong_component(nodes: pd.DataFrame, edges: pd.DataFrame) -> RoadNetwork:
    n = len(nodes)
    adjacency = coo_matrix((np.ones(len(edges)), (edges["u"], edges["v"])), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    largest = np.argmax(np.bincount(labels))
    keep = labels == largest
    new_position = np.cumsum(keep) - 1
    kept_edges = edges[keep[edges["u"]] & keep[edges["v"]]].copy()
    kept_edges["u"] = new_position[kept_edges["u"]]
    kept_edges["v"] = new_position[kept_edges["v"]]
    return RoadNetwork(nodes=nodes[keep], edges=kept_edges.reset_index(drop=True), dropped_nodes=int(n - keep.sum()))


def snap_to_nodes(network: RoadNetwork, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Nearest network node (row position) of each point and its distance in metres.

    Distances are measured in the local UTM zone.
    """
    crs = local_utm_crs(network.nodes["x"].to_numpy(), network.nodes["y"].to_numpy())
    to_metric = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
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
