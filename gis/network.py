"""The road network: read from a local OSM file, speeds for Chinese roads, snapping schools.

The network is held as arrays (one row per node, one per directed edge), which is what the
travel-time engine needs; :meth:`RoadNetwork.to_networkx` gives the osmnx-compatible graph.

osmnx compatibility
-------------------
``read_road_network(path, simplify=True)`` gives the same nodes, the same ``(u, v, key)`` edges,
lengths and travel times as this osmnx 2.1 route on the same file (for a drivable-roads-only file,
see :func:`extract_roads`)::

    G = ox.graph_from_xml(path, simplify=True, retain_all=True)
    G = ox.truncate.largest_component(G, strongly=True)
    G = ox.add_edge_speeds(G, hwy_speeds=speed_table, fallback=settings.FALLBACK_SPEED_KPH)
    G = ox.add_edge_travel_times(G)

with ``simplify=False`` the same without simplification, and for ``network_type="walk"``
``bidirectional=True`` and every ``speed_kph`` set to :data:`gis.settings.WALK_SPEED_KPH`.
The component is taken *after* simplifying, as in that route (simplifying first keeps a node
where a dropped dead end met the road; taking the component first would merge across it).

How osmnx treats a merged edge, mirrored here: ``length`` is the sum of its segments; a tag
with one value along the path keeps it (so ``maxspeed`` tagged on part of the path applies
to all of it); several ``maxspeed`` values give their plain mean (not length-weighted);
several ``highway`` classes give a Python ``set`` whose first element picks the class speed.
That last choice depends on the process's string hashing (``PYTHONHASHSEED``), so simplified
travel times on mixed-class edges can differ between processes, in osmnx and here; the
unsimplified network (the default) has none of this. Deliberate differences from osmnx, none of
which occur in Chinese OSM data in practice: ``maxspeed`` zone codes (``DE:urban``) are
ignored rather than looked up in osmnx's foreign-country table, ``"40;60"`` gives 50 instead
of the class speed, mph use the exact factor 1.609344 (osmnx 1.60934), and zero speeds are
treated as missing. Coordinates are read at OSM's 7-decimal precision.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from numbers import Real
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from . import cache, settings
from .errors import InputError
from .files import atomic_path
from .schools import BadRow, report_bad_rows

__all__ = [
    "check_osm_path",
    "NETWORK_TYPES",
    "EdgePaths",
    "RoadNetwork",
    "read_road_network",
    "extract_roads",
    "parse_maxspeed",
    "great_circle_m",
    "local_utm_crs",
    "snap_to_nodes",
    "snap_schools",
]

#: The networks :func:`read_road_network` builds.
NETWORK_TYPES = ("drive", "walk")
#: Bump when the prepared network changes for the same file and settings: old cache files then miss.
NETWORK_VERSION = 2

CRS = "epsg:4326"
EARTH_RADIUS_M = 6_371_009.0  # the mean radius osmnx uses, so lengths match osmnx's
MPH_TO_KPH = 1.609344
SECONDS_PER_HOUR = 60 * 60
METRES_PER_KM = 1000
#: osmium's fixed-point coordinates: degrees times this, as int32.
COORDINATE_PRECISION = 10_000_000
MAX_LON, MAX_LAT = 180, 90
#: ``oneway`` values osmnx reads as one-way, and those meaning "against the node order".
ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
REVERSED_VALUES = frozenset({"-1", "reverse", "T"})
#: A way whose ``access`` contains this is left out, as osmnx's default filter does.
PRIVATE_ACCESS = "private"
OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml")
MAXSPEED_SEPARATORS = re.compile(r"[;|]")
MAXSPEED_VALUE = re.compile(r"\s*([0-9][.,0-9]*?)\s?(?:km/h|kmh|kph|mph)?\s*")
EDGE_ATTRIBUTES = ("osmid", "highway", "length", "speed_kph", "travel_time")
CACHE_PREFIX = "roads"


# --- the network ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EdgePaths:
    """The points along merged edges (osmnx's ``geometry``), as flat arrays.

    Edge ``i`` of :attr:`RoadNetwork.edges` runs through ``x[offsets[i]:offsets[i + 1]]`` (lon)
    and the same slice of ``y`` (lat). An edge that was not merged has no points, and no
    ``geometry`` in osmnx either.
    """

    offsets: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def linestrings(self) -> np.ndarray:
        """One shapely ``LineString`` per edge, None for edges that were not merged."""
        counts = np.diff(self.offsets)
        out = np.full(len(counts), None, dtype=object)
        if len(self.x):
            owner = np.repeat(np.arange(len(counts)), counts)
            shapely.linestrings(np.column_stack([self.x, self.y]), indices=owner, out=out)
        return out


@dataclass(frozen=True)
class RoadNetwork:
    """A directed road network.

    Attributes
    ----------
    nodes : pandas.DataFrame
        One row per node, indexed by OSM node id (sorted), with columns ``x`` (lon) and ``y`` (lat).
    edges : pandas.DataFrame
        One row per directed edge, sorted by ``u``, ``v``, ``key``: ``u``, ``v`` (row positions in
        ``nodes``), ``key`` (osmnx's key among parallel edges), ``osmid`` (way id; the first way
        of a merged edge), ``highway`` (the class whose speed applies), ``length`` (m),
        ``speed_kph`` and ``travel_time`` (s).
    dropped_nodes, dropped_edges : int
        Nodes and edges left out because they were outside the largest strongly connected
        component (after simplification, when simplified).
    network_type : str
        ``"drive"`` or ``"walk"``.
    simplified : bool
        Whether interstitial nodes were merged away as osmnx's ``simplify_graph`` does.
    paths : EdgePaths or None
        The shapes of merged edges (simplified networks only).
    from_cache : bool
        True when this network was loaded from the on-disk cache.
    source : Path or None
        The OSM file it was read from (its boundaries give the county and 乡镇/街道).
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    dropped_nodes: int = 0
    dropped_edges: int = 0
    network_type: str = "drive"
    simplified: bool = False
    paths: EdgePaths | None = None
    from_cache: bool = False
    source: Path | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    def to_networkx(self) -> nx.MultiDiGraph:
        """Return the network as an osmnx-compatible ``MultiDiGraph`` (EPSG:4326).

        Nodes carry ``x`` and ``y``; edges ``osmid``, ``highway``, ``length``, ``speed_kph``,
        ``travel_time`` and, for merged edges, a ``geometry`` LineString.
        """
        graph = nx.MultiDiGraph(crs=CRS, **({"simplified": True} if self.simplified else {}))
        ids = self.nodes.index.to_numpy().tolist()
        graph.add_nodes_from(
            (i, {"x": x, "y": y}) for i, x, y in zip(ids, self.nodes["x"].tolist(), self.nodes["y"].tolist())
        )
        edges = self.edges
        columns = [edges[name].tolist() for name in EDGE_ATTRIBUTES]
        lines = self.paths.linestrings() if self.paths is not None else itertools.repeat(None)
        graph.add_edges_from(
            (ids[u], ids[v], key, _edge_attributes(values, line))
            for u, v, key, line, *values in zip(edges["u"].tolist(), edges["v"].tolist(), edges["key"].tolist(), lines, *columns)
        )
        return graph


def _edge_attributes(values: list, line: shapely.LineString | None) -> dict:
    attributes = dict(zip(EDGE_ATTRIBUTES, values))
    if line is not None:
        attributes["geometry"] = line
    return attributes


# --- small measures ---------------------------------------------------------------------------------


def parse_maxspeed(value: str | None) -> float:
    """Return a ``maxspeed`` tag in km/h, or NaN when it gives no usable number.

    ``"50"``, ``"50 km/h"``, ``"7,5"`` and ``"30 mph"`` are read; lane lists (``"60|40"``) and
    alternatives (``"40;60"``) give the mean; zone values such as ``"CN:urban"``, and zero,
    give NaN (the highway-class speed then applies).
    """
    if not isinstance(value, str) or not value:
        return float("nan")
    speeds = []
    for part in MAXSPEED_SEPARATORS.split(value):
        match = MAXSPEED_VALUE.fullmatch(part)
        if match is None:
            return float("nan")
        try:
            speeds.append(float(match.group(1).replace(",", ".")))
        except ValueError:
            return float("nan")
    factor = MPH_TO_KPH if "mph" in value.lower() else 1.0
    speed = float(np.mean(speeds)) * factor
    return speed if speed > 0 else float("nan")


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


# --- reading ----------------------------------------------------------------------------------------


def read_road_network(
    path: str | Path,
    *,
    network_type: str = "drive",
    simplify: bool = False,
    speeds_kph: Mapping[str, float] | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> RoadNetwork:
    """Read the roads of a local OSM file (.osm, .osm.bz2, .osm.pbf) as a directed network.

    Each way becomes one directed edge per consecutive node pair (two for a two-way road; both
    directions on every way when walking), with its great-circle ``length``, ``speed_kph``
    (``maxspeed`` when tagged, otherwise the highway-class table
    :data:`gis.settings.HIGHWAY_SPEEDS_KPH`; :data:`gis.settings.WALK_SPEED_KPH` when walking)
    and ``travel_time`` in seconds. Only the largest strongly connected component is kept, so
    every node reaches every other; the module docstring gives the osmnx route this matches.

    Parameters
    ----------
    path
        The OSM file.
    network_type
        ``"drive"`` (highways in :data:`gis.settings.DRIVE_HIGHWAYS`) or ``"walk"``
        (:data:`gis.settings.WALK_HIGHWAYS`).
    simplify
        Merge interstitial nodes as osmnx's ``simplify_graph`` does. Off by default: schools
        snap to the nearest node, and the unsimplified network has nodes all along each road.
    speeds_kph
        Highway-class speeds overriding the defaults (driving only).
    cache_dir
        Folder of the on-disk cache (see :func:`gis.cache.default_cache_dir`); None for no cache.

    Raises
    ------
    InputError
        If the file is missing, unreadable, or holds no road of this network type.
    """
    path = check_osm_path(path)
    network = _cached_or_built_network(path, network_type, simplify, _speed_table(network_type, speeds_kph), cache_dir)
    return replace(network, source=path)


def _cached_or_built_network(
    path: Path, network_type: str, simplify: bool, speeds: dict[str, float], cache_dir: str | os.PathLike | None
) -> RoadNetwork:
    if cache_dir is None:
        return _build_network(path, network_type, simplify, speeds)
    key = cache.cache_key(cache.file_sha256(path), _cache_params(network_type, simplify, speeds))
    cache_path = cache.cache_file(cache_dir, key, prefix=CACHE_PREFIX)
    arrays = cache.load_arrays(cache_path)
    if arrays is not None:
        try:
            return _network_from_arrays(arrays)
        except (KeyError, ValueError, IndexError, TypeError):
            pass  # a damaged or foreign cache file: rebuild and overwrite it
    network = _build_network(path, network_type, simplify, speeds)
    try:
        cache.save_arrays(cache_path, _network_to_arrays(network))
    except OSError as exc:
        warnings.warn(f"{cache_path}: cannot write the road cache ({exc}); check the folder or turn the cache off", stacklevel=2)
    return network


def _check_network_type(network_type: str) -> str:
    if network_type not in NETWORK_TYPES:
        raise InputError(f"unknown network type {network_type!r}; use one of {', '.join(NETWORK_TYPES)}")
    return network_type


def _speed_table(network_type: str, speeds_kph: Mapping[str, float] | None) -> dict[str, float]:
    """The class speeds for driving: defaults overridden by ``speeds_kph``, validated."""
    if _check_network_type(network_type) == "walk":
        if speeds_kph:
            raise InputError("speeds_kph applies to driving; walking uses settings.WALK_SPEED_KPH on every road")
        return {}
    table = {**settings.HIGHWAY_SPEEDS_KPH, **(speeds_kph or {})}
    for highway, kph in table.items():
        if isinstance(kph, bool) or not (isinstance(kph, Real) and math.isfinite(kph) and kph > 0):
            raise InputError(f"speed for highway={highway} is {kph!r}; give a positive number of km/h")
    return {highway: float(kph) for highway, kph in table.items()}


def _cache_params(network_type: str, simplify: bool, speeds: dict[str, float]) -> dict[str, object]:
    return {
        "version": NETWORK_VERSION,
        "network_type": network_type,
        "simplify": bool(simplify),
        "highways": sorted(_highway_set(network_type)),
        "speeds_kph": sorted(speeds.items()),
        "fallback_kph": settings.FALLBACK_SPEED_KPH,
        "walk_kph": settings.WALK_SPEED_KPH,
    }


def check_osm_path(path: str | Path) -> Path:
    """``path`` as a Path when it names a non-empty OSM file; otherwise an :class:`InputError` naming the fix."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such OSM file; give the path to a .osm, .osm.bz2 or .osm.pbf file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the OSM file is empty; download or export the extract again")
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise InputError(f"{path}: not an OSM file; expected one of {', '.join(OSM_SUFFIXES)}")
    return path


def _highway_set(network_type: str) -> frozenset[str]:
    return settings.WALK_HIGHWAYS if network_type == "walk" else settings.DRIVE_HIGHWAYS


def _way_filter(network_type: str) -> Callable[[osmium.osm.TagList], bool]:
    """Which ways a network keeps: its highway classes, no areas, no private or barred roads."""
    highways = _highway_set(network_type)
    barred = ("foot",) if network_type == "walk" else ("motor_vehicle", "motorcar")

    def keep(tags) -> bool:
        return (
            tags.get("highway") in highways
            and tags.get("area") != "yes"
            and PRIVATE_ACCESS not in tags.get("access", "")
            and all(tags.get(key) != "no" for key in barred)
        )

    return keep


@dataclass(frozen=True)
class _Ways:
    """The kept ways, flattened: way ``i`` has nodes ``refs[offsets[i]:offsets[i + 1]]``."""

    way_id: np.ndarray
    highway: np.ndarray  # str, per way
    maxspeed: np.ndarray  # str or None, per way
    one_way: np.ndarray  # bool, per way
    reverse: np.ndarray  # bool, per way: travel against the node order
    offsets: np.ndarray
    refs: np.ndarray
    x: np.ndarray  # osmium fixed-point lon of each ref (invalid when the node is missing)
    y: np.ndarray


def _read_ways(path: Path, network_type: str) -> _Ways:
    """One pass over the file: the kept ways, their node ids and node locations."""
    keep = _way_filter(network_type)
    ids, highways, maxspeeds, oneways, junctions, counts = [], [], [], [], [], []
    refs, xs, ys = [], [], []
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    try:
        for way in processor:
            tags = way.tags
            if not keep(tags):
                continue
            nodes = way.nodes
            ids.append(way.id)
            highways.append(tags.get("highway"))
            maxspeeds.append(tags.get("maxspeed"))
            oneways.append(tags.get("oneway"))
            junctions.append(tags.get("junction"))
            counts.append(len(nodes))
            for node in nodes:
                refs.append(node.ref)
                xs.append(node.x)
                ys.append(node.y)
    except RuntimeError as exc:
        raise InputError(f"{path}: cannot read this OSM file ({exc}); check that it is complete and not corrupt") from None
    one_way = np.array([o in ONEWAY_VALUES or j == "roundabout" for o, j in zip(oneways, junctions)], dtype=bool)
    reverse = one_way & np.array([o in REVERSED_VALUES for o in oneways], dtype=bool)
    if network_type == "walk":
        one_way[:] = reverse[:] = False
    return _Ways(
        way_id=np.array(ids, dtype=np.int64),
        highway=np.array(highways, dtype=object),
        maxspeed=np.array(maxspeeds, dtype=object),
        one_way=one_way,
        reverse=reverse,
        offsets=np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]),
        refs=np.array(refs, dtype=np.int64),
        x=np.array(xs, dtype=np.int64),
        y=np.array(ys, dtype=np.int64),
    )


def _located(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """osmium's ``Location.valid()``, vectorised: False for nodes missing from a clipped extract."""
    return (np.abs(x) <= MAX_LON * COORDINATE_PRECISION) & (np.abs(y) <= MAX_LAT * COORDINATE_PRECISION)


@dataclass(frozen=True)
class _Graph:
    """The unsimplified directed graph, edges in the order osmnx inserts them."""

    node_id: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    way: np.ndarray  # index into _Ways
    length: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.node_id)


def _graph_from_ways(ways: _Ways) -> _Graph:
    """Node pairs of each way, split where a node is missing, ordered as osmnx adds them.

    osmnx adds, way by way in file order, the edges along the (possibly reversed) way and then,
    for a two-way road, the same edges reversed; keys of parallel edges follow this order.
    """
    way_of_ref = np.repeat(np.arange(len(ways.way_id)), np.diff(ways.offsets))
    located = _located(ways.x, ways.y)
    first = np.arange(max(len(ways.refs) - 1, 0))
    pair = (
        (way_of_ref[first] == way_of_ref[first + 1])
        & located[first]
        & located[first + 1]
        & (ways.refs[first] != ways.refs[first + 1])
    )
    a = first[pair]
    b = a + 1
    way = way_of_ref[a]
    run = np.cumsum(~located)[a]  # a clipped way splits into runs, each read as its own way
    flip = ways.reverse[way]
    tail, head, position = np.where(flip, b, a), np.where(flip, a, b), np.where(flip, -a, a)
    back = ~ways.one_way[way]
    tail, head = np.concatenate([tail, head[back]]), np.concatenate([head, tail[back]])
    way, run = np.concatenate([way, way[back]]), np.concatenate([run, run[back]])
    direction = np.concatenate([np.zeros(len(a), dtype=np.int8), np.ones(int(back.sum()), dtype=np.int8)])
    position = np.concatenate([position, position[back]])
    order = np.lexsort((position, direction, run, way))
    tail, head, way = tail[order], head[order], way[order]

    node_id = _unique_ints(ways.refs[np.concatenate([tail, head])])
    u = np.searchsorted(node_id, ways.refs[tail])
    v = np.searchsorted(node_id, ways.refs[head])
    node_x = np.empty(len(node_id))
    node_y = np.empty(len(node_id))
    node_x[u], node_y[u] = ways.x[tail] / COORDINATE_PRECISION, ways.y[tail] / COORDINATE_PRECISION
    node_x[v], node_y[v] = ways.x[head] / COORDINATE_PRECISION, ways.y[head] / COORDINATE_PRECISION
    length = great_circle_m(node_x[u], node_y[u], node_x[v], node_y[v])
    return _Graph(node_id=node_id, node_x=node_x, node_y=node_y, u=u, v=v, way=way, length=length)


# --- simplification (osmnx's simplify_graph, vectorised) --------------------------------------------


def _unique_ints(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: numpy 2's hashing ``np.unique`` is slower on large ids)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def _distinct_count(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """For each node ``i < n``, the number of distinct ``b`` paired with ``a == i``."""
    pairs = _unique_ints(a * np.int64(n) + b)
    return np.bincount(pairs // n, minlength=n)


def _endpoints(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """osmnx's ``_is_endpoint`` (strict mode) for every node.

    A node is an endpoint if it has a self-loop, no in-edges or no out-edges, or if it does not
    have exactly two neighbours with 2 or 4 incident edges.
    """
    out_degree = np.bincount(u, minlength=n)
    in_degree = np.bincount(v, minlength=n)
    loops = np.zeros(n, dtype=bool)
    loops[u[u == v]] = True
    neighbours = _distinct_count(np.concatenate([u, v]), np.concatenate([v, u]), n)
    degree = in_degree + out_degree
    passes_through = (neighbours == 2) & ((degree == 2) | (degree == 4))
    return loops | (in_degree == 0) | (out_degree == 0) | ~passes_through


def _irregular(u: np.ndarray, v: np.ndarray, n: int, interstitial: np.ndarray) -> np.ndarray:
    """Interstitial nodes that are neither on a plain one-way nor on a plain two-way chain.

    Plain: one edge in and one out, or one edge in from and one out to each of the two
    neighbours. Others (a doubled one-way way, say) go through the literal osmnx walk.
    """
    out_degree = np.bincount(u, minlength=n)
    in_degree = np.bincount(v, minlength=n)
    four = in_degree + out_degree == 4
    plain_two_way = (in_degree == 2) & (out_degree == 2) & (_distinct_count(v, u, n) == 2) & (_distinct_count(u, v, n) == 2)
    return interstitial & four & ~plain_two_way


def _tainted(u: np.ndarray, v: np.ndarray, n: int, interstitial: np.ndarray, irregular: np.ndarray) -> np.ndarray:
    """Interstitial nodes whose chain (connected run of interstitial nodes) holds an irregular one."""
    if not irregular.any():
        return np.zeros(n, dtype=bool)
    inner = interstitial[u] & interstitial[v]
    adjacency = coo_matrix((np.ones(int(inner.sum())), (u[inner], v[inner])), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="weak")
    return interstitial & np.isin(labels, labels[irregular])


@dataclass(frozen=True)
class _Paths:
    """Merged paths: path ``p`` is the edges ``edge[offsets[p]:offsets[p + 1]]``, in order."""

    edge: np.ndarray
    offsets: np.ndarray

    @property
    def count(self) -> int:
        return len(self.offsets) - 1


def _chain_paths(u: np.ndarray, v: np.ndarray, n: int, endpoint: np.ndarray, plain: np.ndarray) -> _Paths:
    """Paths from an endpoint through plain interstitial nodes to the next endpoint.

    Each edge into a plain interstitial node has one successor edge (onwards, not back), so the
    edges form linked lists; list ranking by pointer doubling orders every chain at once.
    Chains of interstitial nodes with no endpoint (isolated rings) are left alone, as osmnx does.
    """
    n_edges = len(u)
    by_tail = np.argsort(u, kind="stable")
    out_start = np.concatenate([[0], np.cumsum(np.bincount(u, minlength=n))])[:-1]
    into = np.flatnonzero(plain[v])
    node = v[into]
    first = by_tail[out_start[node]]
    two = np.bincount(u, minlength=n)[node] == 2
    second = by_tail[out_start[node] + two]
    successor = np.where(two & (v[first] == u[into]), second, first)

    predecessor = np.full(n_edges, -1, dtype=np.int64)
    predecessor[successor] = into
    pointer = np.where(predecessor >= 0, predecessor, np.arange(n_edges))
    rank = (predecessor >= 0).astype(np.int64)
    for _ in range(int(n_edges).bit_length() + 1):
        jumped = pointer[pointer]
        if np.array_equal(jumped, pointer):
            break
        rank += rank[pointer]
        pointer = jumped
    starts = endpoint[u] & plain[v]
    member = np.flatnonzero((plain[u] | plain[v]) & starts[pointer])
    order = np.lexsort((rank[member], pointer[member]))
    edge = member[order]
    first_of_path = np.flatnonzero(rank[edge] == 0)
    return _Paths(edge=edge, offsets=np.append(first_of_path, len(edge)))


def _osmnx_build_path(start: int, first: int, successors: dict[int, list[int]], endpoint: np.ndarray) -> list[int]:
    """osmnx's ``_build_path``, line for line, for chains through irregular nodes."""
    path = [start, first]
    on_path = {start, first}
    for candidate in successors.get(first, []):
        if candidate in on_path:
            continue
        path.append(candidate)
        on_path.add(candidate)
        node = candidate
        while not endpoint[node]:
            onward = [n for n in successors.get(node, []) if n not in on_path]
            if len(onward) == 1:
                node = onward[0]
                path.append(node)
                on_path.add(node)
            elif not onward:
                return [*path, start] if start in successors.get(node, []) else path
            else:
                raise InputError(f"cannot simplify the roads near OSM node position {node}; read without simplify")
        return path
    return path


def _literal_paths(u: np.ndarray, v: np.ndarray, endpoint: np.ndarray, tainted: np.ndarray) -> _Paths:
    """Paths into tainted chains, walked as osmnx walks them (successors in insertion order)."""
    touching = np.flatnonzero(tainted[u] | tainted[v])
    successors: dict[int, list[int]] = {}
    first_edge: dict[tuple[int, int], int] = {}
    for index, a, b in zip(touching.tolist(), u[touching].tolist(), v[touching].tolist()):
        if (a, b) not in first_edge:
            first_edge[a, b] = index
            successors.setdefault(a, []).append(b)
    edges, offsets = [], [0]
    starts = sorted({a for a in u[touching].tolist() if endpoint[a]})
    for start in starts:
        for first in successors[start]:
            if tainted[first]:
                path = _osmnx_build_path(start, first, successors, endpoint)
                edges += [first_edge[pair] for pair in itertools.pairwise(path)]
                offsets.append(len(edges))
    return _Paths(edge=np.array(edges, dtype=np.int64), offsets=np.array(offsets, dtype=np.int64))


def _merged_paths(graph: _Graph) -> _Paths:
    """All paths osmnx's ``simplify_graph`` merges into single edges."""
    u, v, n = graph.u, graph.v, graph.n_nodes
    endpoint = _endpoints(u, v, n)
    interstitial = ~endpoint
    tainted = _tainted(u, v, n, interstitial, _irregular(u, v, n, interstitial))
    chains = _chain_paths(u, v, n, endpoint, interstitial & ~tainted)
    if not tainted.any():
        return chains
    literal = _literal_paths(u, v, endpoint, tainted)
    return _Paths(
        edge=np.concatenate([chains.edge, literal.edge]),
        offsets=np.concatenate([chains.offsets, literal.offsets[1:] + len(chains.edge)]),
    )


# --- edge attributes, speeds, assembly ----------------------------------------------------------------


def _maxspeed_codes(ways: _Ways) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Per way, an index into the distinct raw ``maxspeed`` strings (-1 untagged), and their km/h."""
    values: dict[str, int] = {}
    codes = np.array([-1 if s is None else values.setdefault(s, len(values)) for s in ways.maxspeed.tolist()], dtype=np.int64)
    raw = list(values)
    return codes, raw, np.array([parse_maxspeed(s) for s in raw], dtype=float)


def _path_maxspeed_kph(segment_way: np.ndarray, path_of: np.ndarray, n_paths: int, ways: _Ways) -> np.ndarray:
    """osmnx's ``maxspeed`` of merged edges, in km/h (NaN where no segment is tagged).

    One distinct tag value along the path applies to the whole path; several give the mean of
    their speeds, taken in the order of the Python set osmnx builds.
    """
    codes, raw, kph = _maxspeed_codes(ways)
    segment_code = codes[segment_way]
    tagged = segment_code >= 0
    distinct = _unique_ints(path_of[tagged] * np.int64(len(raw) + 1) + segment_code[tagged])
    n_distinct = np.bincount(distinct // (len(raw) + 1), minlength=n_paths)
    out = np.full(n_paths, np.nan)
    single = n_distinct == 1
    if single.any():
        one = np.full(n_paths, -1, dtype=np.int64)
        one[path_of[tagged]] = segment_code[tagged]
        out[single] = kph[one[single]]
    for p in np.flatnonzero(n_distinct > 1).tolist():
        values = [raw[c] for c in segment_code[(path_of == p) & tagged].tolist()]
        speeds = np.array([parse_maxspeed(s) for s in list(set(values))])
        speeds = speeds[~np.isnan(speeds)]
        out[p] = float(np.mean(speeds)) if len(speeds) else np.nan
    return out


def _path_highway(segment_way: np.ndarray, path_of: np.ndarray, offsets: np.ndarray, ways: _Ways) -> np.ndarray:
    """The highway class osmnx uses for each merged edge: the only one, or the first of its set."""
    names, codes = np.unique(ways.highway.astype(str), return_inverse=True)
    segment_code = codes[segment_way]
    n_paths = len(offsets) - 1
    lowest = np.full(n_paths, len(names))
    highest = np.full(n_paths, -1)
    np.minimum.at(lowest, path_of, segment_code)
    np.maximum.at(highest, path_of, segment_code)
    out = names[segment_code[offsets[:-1]]].astype(object)
    for p in np.flatnonzero(lowest != highest).tolist():
        sequence = names[segment_code[offsets[p] : offsets[p + 1]]].tolist()
        out[p] = next(iter(set(sequence)))  # osmnx: list(set(values)), then [0] in add_edge_speeds
    return out


def _speeds(highway: np.ndarray, maxspeed_kph: np.ndarray, network_type: str, speeds: dict[str, float]) -> np.ndarray:
    if network_type == "walk":
        return np.full(len(highway), float(settings.WALK_SPEED_KPH))
    by_class = np.array([speeds.get(h, settings.FALLBACK_SPEED_KPH) for h in highway.tolist()], dtype=float)
    return np.where(np.isnan(maxspeed_kph), by_class, maxspeed_kph)


def _travel_time_s(length_m: np.ndarray, speed_kph: np.ndarray) -> np.ndarray:
    """Seconds, with osmnx's ``add_edge_travel_times`` arithmetic (so results agree to the bit)."""
    return (length_m / METRES_PER_KM) / (speed_kph / SECONDS_PER_HOUR)


def _cumcount(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """For each edge, how many earlier edges join the same (u, v): osmnx's edge key."""
    pair = u * np.int64(n) + v
    order = np.argsort(pair, kind="stable")
    sorted_pair = pair[order]
    group_start = np.flatnonzero(np.r_[True, sorted_pair[1:] != sorted_pair[:-1]])
    starts = np.repeat(group_start, np.diff(np.append(group_start, len(pair))))
    out = np.empty(len(pair), dtype=np.int64)
    out[order] = np.arange(len(pair)) - starts
    return out


@dataclass(frozen=True)
class _Edges:
    """Edges of the prepared graph before the component rule."""

    u: np.ndarray
    v: np.ndarray
    key: np.ndarray
    osmid: np.ndarray
    highway: np.ndarray
    length: np.ndarray
    speed_kph: np.ndarray
    path: np.ndarray  # merged path index, -1 for an original edge

    def take(self, index: np.ndarray) -> _Edges:
        return _Edges(*(getattr(self, f.name)[index] for f in fields(self)))


def _original_edges(graph: _Graph, ways: _Ways, network_type: str, speeds: dict[str, float]) -> _Edges:
    codes, _, kph = _maxspeed_codes(ways)
    way_kph = np.append(kph, np.nan)[codes]  # code -1 (untagged) picks the appended NaN
    highway = ways.highway[graph.way]
    return _Edges(
        u=graph.u,
        v=graph.v,
        key=_cumcount(graph.u, graph.v, graph.n_nodes),
        osmid=ways.way_id[graph.way],
        highway=highway,
        length=graph.length,
        speed_kph=_speeds(highway, way_kph[graph.way], network_type, speeds),
        path=np.full(len(graph.u), -1, dtype=np.int64),
    )


def _merged_edges(graph: _Graph, paths: _Paths, ways: _Ways, network_type: str, speeds: dict[str, float]) -> _Edges:
    """One edge per merged path, with osmnx's attributes and its key after the original edges."""
    n_paths = paths.count
    path_of = np.repeat(np.arange(n_paths), np.diff(paths.offsets))
    segment_way = graph.way[paths.edge]
    first = paths.edge[paths.offsets[:-1]]
    u, v = graph.u[first], graph.v[paths.edge[paths.offsets[1:] - 1]]
    highway = _path_highway(segment_way, path_of, paths.offsets, ways)
    maxspeed_kph = _path_maxspeed_kph(segment_way, path_of, n_paths, ways)
    # Python's sum over the segments in path order, as osmnx: bincount adds in input order
    length = np.bincount(path_of, weights=graph.length[paths.edge], minlength=n_paths)
    return _Edges(
        u=u,
        v=v,
        key=_merged_keys(graph, u, v, first),
        osmid=ways.way_id[segment_way[paths.offsets[:-1]]],
        highway=highway,
        length=length,
        speed_kph=_speeds(highway, maxspeed_kph, network_type, speeds),
        path=np.arange(n_paths, dtype=np.int64),
    )


def _merged_keys(graph: _Graph, u: np.ndarray, v: np.ndarray, first: np.ndarray) -> np.ndarray:
    """osmnx's keys of merged edges: after the original (u, v) edges, in the order osmnx adds them.

    All paths from one endpoint are added together, in the order of its successors (first
    inserted edge first), so among merged edges of one (u, v) the earlier first edge comes first.
    """
    n = graph.n_nodes
    original = np.sort(graph.u * np.int64(n) + graph.v)
    pair = u * np.int64(n) + v
    earlier = np.searchsorted(original, pair, side="right") - np.searchsorted(original, pair, side="left")
    by_first = np.argsort(first, kind="stable")
    rank = np.empty(len(first), dtype=np.int64)
    rank[by_first] = _cumcount(u[by_first], v[by_first], n)
    return earlier + rank


def _concat_edges(a: _Edges, b: _Edges) -> _Edges:
    return _Edges(*(np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(a)))


def _interior_nodes(paths: _Paths, graph: _Graph) -> np.ndarray:
    """Nodes strictly inside a merged path: osmnx removes them (and every edge touching them)."""
    inside = np.ones(len(paths.edge), dtype=bool)
    inside[paths.offsets[:-1]] = False
    removed = np.zeros(graph.n_nodes, dtype=bool)
    removed[graph.u[paths.edge[inside]]] = True
    return removed


def _without_rings(edges: _Edges, alive: np.ndarray) -> np.ndarray:
    """osmnx's ``_remove_rings``: nodes of weak components holding no endpoint are dropped."""
    n = len(alive)
    endpoint = _endpoints(edges.u, edges.v, n)
    adjacency = coo_matrix((np.ones(len(edges.u)), (edges.u, edges.v)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="weak")
    has_endpoint = np.zeros(labels.max() + 1, dtype=bool)
    has_endpoint[labels[alive & endpoint]] = True
    return alive & has_endpoint[labels]


def _largest_strong_component(edges: _Edges, alive: np.ndarray) -> np.ndarray:
    n = len(alive)
    adjacency = coo_matrix((np.ones(len(edges.u)), (edges.u, edges.v)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    sizes = np.bincount(labels[alive], minlength=labels.max() + 1)
    return alive & (labels == np.argmax(sizes))


def _build_network(path: Path, network_type: str, simplify: bool, speeds: dict[str, float]) -> RoadNetwork:
    ways = _read_ways(path, network_type)
    graph = _graph_from_ways(ways)
    if len(graph.u) == 0:
        kind = "walkable" if network_type == "walk" else "drivable"
        raise InputError(f"{path}: no {kind} roads (highway=*) found; check that this is the right OSM extract")
    edges = _original_edges(graph, ways, network_type, speeds)
    paths = None
    alive = np.ones(graph.n_nodes, dtype=bool)
    if simplify:
        paths = _merged_paths(graph)
        alive = ~_interior_nodes(paths, graph)
        edges = _concat_edges(edges, _merged_edges(graph, paths, ways, network_type, speeds))
        edges = edges.take(np.flatnonzero(alive[edges.u] & alive[edges.v]))
        alive = _without_rings(edges, alive)
    keep = _largest_strong_component(edges, alive)
    kept = edges.take(np.flatnonzero(keep[edges.u] & keep[edges.v]))
    return RoadNetwork(
        nodes=pd.DataFrame(
            {"x": graph.node_x[keep], "y": graph.node_y[keep]}, index=pd.Index(graph.node_id[keep], name="osmid")
        ),
        edges=_edge_table(kept, keep),
        dropped_nodes=int(alive.sum() - keep.sum()),
        dropped_edges=len(edges.u) - len(kept.u),
        network_type=network_type,
        simplified=simplify,
        paths=_edge_paths(graph, paths, kept.take(_edge_order(kept, keep)).path) if simplify else None,
    )


def _edge_order(edges: _Edges, keep: np.ndarray) -> np.ndarray:
    """Edges sorted by (u, v, key); node positions count only the kept nodes."""
    position = np.cumsum(keep) - 1
    return np.lexsort((edges.key, position[edges.v], position[edges.u]))


def _edge_table(edges: _Edges, keep: np.ndarray) -> pd.DataFrame:
    position = np.cumsum(keep) - 1
    edges = edges.take(_edge_order(edges, keep))
    return pd.DataFrame(
        {
            "u": position[edges.u],
            "v": position[edges.v],
            "key": edges.key,
            "osmid": edges.osmid,
            "highway": edges.highway.astype(object),
            "length": edges.length,
            "speed_kph": edges.speed_kph,
            "travel_time": _travel_time_s(edges.length, edges.speed_kph),
        }
    )


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised."""
    before = np.cumsum(counts) - counts
    return np.repeat(starts - before, counts) + np.arange(int(counts.sum()))


def _edge_paths(graph: _Graph, paths: _Paths, edge_path: np.ndarray) -> EdgePaths:
    """The node coordinates along each merged edge (its segments' tails, then the last head)."""
    n_paths = paths.count
    path_of = np.repeat(np.arange(n_paths), np.diff(paths.offsets))
    node_offsets = paths.offsets + np.arange(n_paths + 1)
    path_nodes = np.empty(node_offsets[-1], dtype=np.int64)
    path_nodes[np.arange(len(paths.edge)) + path_of] = graph.u[paths.edge]
    path_nodes[node_offsets[1:] - 1] = graph.v[paths.edge[paths.offsets[1:] - 1]]
    merged = edge_path >= 0
    counts = np.zeros(len(edge_path), dtype=np.int64)
    counts[merged] = np.diff(node_offsets)[edge_path[merged]]
    starts = np.zeros(len(edge_path), dtype=np.int64)
    starts[merged] = node_offsets[edge_path[merged]]
    node = path_nodes[_ranges(starts, counts)]
    return EdgePaths(offsets=np.concatenate([[0], np.cumsum(counts)]), x=graph.node_x[node], y=graph.node_y[node])


# --- cache ------------------------------------------------------------------------------------------


def _network_to_arrays(network: RoadNetwork) -> dict[str, np.ndarray]:
    edges = network.edges
    names, codes = np.unique(edges["highway"].to_numpy().astype(str), return_inverse=True)
    arrays = {
        "version": np.array(NETWORK_VERSION),
        "network_type": np.array(network.network_type),
        "simplified": np.array(network.simplified),
        "dropped": np.array([network.dropped_nodes, network.dropped_edges], dtype=np.int64),
        "node_osmid": network.nodes.index.to_numpy(dtype=np.int64),
        "node_x": network.nodes["x"].to_numpy(),
        "node_y": network.nodes["y"].to_numpy(),
        "highway_names": names,
        "edge_highway": codes.astype(np.int32),
    }
    for column in ("u", "v", "key", "osmid", "length", "speed_kph", "travel_time"):
        arrays[f"edge_{column}"] = edges[column].to_numpy()
    if network.paths is not None:
        arrays |= {"path_offsets": network.paths.offsets, "path_x": network.paths.x, "path_y": network.paths.y}
    return arrays


def _network_from_arrays(arrays: dict[str, np.ndarray]) -> RoadNetwork:
    """Rebuild a cached network; raises KeyError/ValueError/IndexError when the arrays do not fit."""
    if int(arrays["version"]) != NETWORK_VERSION:
        raise ValueError("cache written by another version")
    n_nodes, n_edges = len(arrays["node_osmid"]), len(arrays["edge_u"])
    nodes = pd.DataFrame(
        {"x": arrays["node_x"], "y": arrays["node_y"]}, index=pd.Index(arrays["node_osmid"], name="osmid")
    )
    edges = pd.DataFrame({column: arrays[f"edge_{column}"] for column in ("u", "v", "key", "osmid")})
    edges.insert(4, "highway", arrays["highway_names"][arrays["edge_highway"]].astype(object))
    for column in ("length", "speed_kph", "travel_time"):
        edges[column] = arrays[f"edge_{column}"]
    if len(nodes) != n_nodes or len(edges) != n_edges or (n_edges and max(edges["u"].max(), edges["v"].max()) >= n_nodes):
        raise ValueError("inconsistent cache arrays")
    paths = None
    if "path_offsets" in arrays:
        paths = EdgePaths(offsets=arrays["path_offsets"], x=arrays["path_x"], y=arrays["path_y"])
        if len(paths.offsets) != n_edges + 1 or paths.offsets[-1] != len(paths.x) != len(paths.y):
            raise ValueError("inconsistent cache paths")
    dropped_nodes, dropped_edges = (int(d) for d in arrays["dropped"])
    return RoadNetwork(
        nodes=nodes, edges=edges, dropped_nodes=dropped_nodes, dropped_edges=dropped_edges,
        network_type=str(arrays["network_type"]), simplified=bool(arrays["simplified"]), paths=paths, from_cache=True,
    )


# --- roads-only extracts ----------------------------------------------------------------------------


def extract_roads(path: str | Path, out_path: str | Path, *, network_type: str = "drive") -> Path:
    """Write the ways :func:`read_road_network` keeps, and their nodes, as a new OSM file.

    The result is what ``osmnx.graph_from_xml`` should be given to build the same network
    (osmnx keeps every way in its file). Ways of a clipped extract are cut at missing nodes,
    the pieces after the first getting fresh way ids. Written atomically; the format follows
    ``out_path``'s suffix (``.osm`` XML, ``.pbf``).
    """
    path = check_osm_path(path)
    keep = _way_filter(_check_network_type(network_type))
    whole, pieces, node_ids = set(), {}, set()
    highest_id = 0
    for way in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations().with_filter(
        osmium.filter.EntityFilter(osmium.osm.WAY)
    ):
        highest_id = max(highest_id, way.id)
        if "highway" not in way.tags or not keep(way.tags):
            continue
        runs = _located_runs([(n.ref, n.location.valid()) for n in way.nodes])
        node_ids.update(itertools.chain.from_iterable(runs))
        if len(runs) == 1 and len(runs[0]) == len(way.nodes):
            whole.add(way.id)
        elif runs:
            pieces[way.id] = (runs, {tag.k: tag.v for tag in way.tags})
    out_path = Path(out_path)
    file_format = "pbf" if out_path.name.lower().endswith(".pbf") else "osm"
    next_id = itertools.count(highest_id + 1)
    with atomic_path(out_path) as tmp:
        writer = osmium.SimpleWriter(osmium.io.File(str(tmp), file_format), overwrite=True)
        try:
            for item in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY):
                if item.is_node() and item.id in node_ids:
                    writer.add_node(item)
                elif item.is_way() and item.id in whole:
                    writer.add_way(item)
                elif item.is_way() and item.id in pieces:
                    runs, tags = pieces[item.id]
                    for number, run in enumerate(runs):
                        way_id = item.id if number == 0 else next(next_id)
                        writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=run, tags=tags))
        finally:
            writer.close()
    return out_path


def _located_runs(nodes: Iterable[tuple[int, bool]]) -> list[list[int]]:
    """Split a way's node ids at nodes missing from the file: runs of at least two located nodes."""
    runs, current = [], []
    for ref, valid in [*nodes, (0, False)]:
        if valid:
            current.append(ref)
            continue
        if len(current) >= 2:
            runs.append(current)
        current = []
    return runs


# --- snapping ---------------------------------------------------------------------------------------


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
