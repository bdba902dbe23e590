"""The road network: read from a local OSM file, speeds for Chinese roads, snapping schools.

The network is held as arrays (one row per node, one per directed edge), which is what the
travel-time engine needs; :meth:`RoadNetwork.to_networkx` gives the osmnx-compatible graph.
This module assembles it and keeps it in the cache; the steps live in their own modules:
:mod:`gis.ways` (reading the ways), :mod:`gis.simplify` (osmnx's simplification),
:mod:`gis.speeds` (speeds and travel times), :mod:`gis.edges` (the edge table) and
:mod:`gis.snap` (placing schools), whose public names are importable from here too.

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
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from . import cache, settings
from .arrays import ranges
from .coords import WGS84
from .edges import concat_edges, edge_order, edge_table, largest_strong_component, merged_edges, original_edges
from .errors import InputError
from .measure import great_circle_m, local_utm_crs
from .simplify import Paths, interior_nodes, merged_paths, without_rings
from .snap import snap_schools, snap_to_nodes
from .speeds import parse_maxspeed, speed_table
from .ways import NETWORK_TYPES, Graph, check_osm_path, extract_roads, graph_from_ways, highway_set, read_ways

if TYPE_CHECKING:
    import networkx as nx

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
    "road_settings_sha256",
]

#: Bump when the prepared network changes for the same file and settings: old cache files then miss.
NETWORK_VERSION = 2
CRS = WGS84.lower()  # as osmnx spells it on its graphs
EDGE_ATTRIBUTES = ("osmid", "highway", "length", "speed_kph", "travel_time")
CACHE_PREFIX = "roads"


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
        import networkx as nx  # here, not above: only this needs it, and it takes a tenth of the start-up

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
    network = _cached_or_built_network(path, network_type, simplify, speed_table(network_type, speeds_kph), cache_dir)
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


def road_settings_sha256(network_type: str = "drive", *, simplify: bool = False, speeds_kph: Mapping[str, float] | None = None) -> str:
    """SHA-256 of the settings that turn an OSM file into travel times: the highway classes kept, the
    speed table, the walking speed and the loader's version (plan.json records it, so a rerun can
    tell that they changed)."""
    params = _cache_params(network_type, simplify, speed_table(network_type, speeds_kph))
    return cache.cache_key("", params)  # the settings alone: no file's hash


def _cache_params(network_type: str, simplify: bool, speeds: dict[str, float]) -> dict[str, object]:
    return {
        "version": NETWORK_VERSION,
        "network_type": network_type,
        "simplify": bool(simplify),
        "highways": sorted(highway_set(network_type)),
        "speeds_kph": sorted(speeds.items()),
        "fallback_kph": settings.FALLBACK_SPEED_KPH,
        "walk_kph": settings.WALK_SPEED_KPH,
    }


def _build_network(path: Path, network_type: str, simplify: bool, speeds: dict[str, float]) -> RoadNetwork:
    ways = read_ways(path, network_type)
    graph = graph_from_ways(ways)
    if len(graph.u) == 0:
        kind = "walkable" if network_type == "walk" else "drivable"
        raise InputError(f"{path}: no {kind} roads (highway=*) found; check that this is the right OSM extract")
    edges = original_edges(graph, ways, network_type, speeds)
    paths = None
    alive = np.ones(graph.n_nodes, dtype=bool)
    if simplify:
        paths = merged_paths(graph)
        alive = ~interior_nodes(paths, graph)
        edges = concat_edges(edges, merged_edges(graph, paths, ways, network_type, speeds))
        edges = edges.take(np.flatnonzero(alive[edges.u] & alive[edges.v]))
        alive = without_rings(edges.u, edges.v, alive)
    keep = largest_strong_component(edges, alive)
    kept = edges.take(np.flatnonzero(keep[edges.u] & keep[edges.v]))
    return RoadNetwork(
        nodes=pd.DataFrame(
            {"x": graph.node_x[keep], "y": graph.node_y[keep]}, index=pd.Index(graph.node_id[keep], name="osmid")
        ),
        edges=edge_table(kept, keep),
        dropped_nodes=int(alive.sum() - keep.sum()),
        dropped_edges=len(edges.u) - len(kept.u),
        network_type=network_type,
        simplified=simplify,
        paths=_edge_paths(graph, paths, kept.take(edge_order(kept, keep)).path) if simplify else None,
    )


def _edge_paths(graph: Graph, paths: Paths, edge_path: np.ndarray) -> EdgePaths:
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
    node = path_nodes[ranges(starts, counts)]
    return EdgePaths(offsets=np.concatenate([[0], np.cumsum(counts)]), x=graph.node_x[node], y=graph.node_y[node])


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
