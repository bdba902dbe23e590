"""Reading the roads of an OSM file: which ways a network keeps, the kept ways as flat arrays, the unsimplified
directed graph in the order osmnx builds it, and roads-only extracts for osmnx."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium

from . import settings
from .arrays import unique_ints
from .errors import InputError
from .files import atomic_path
from .measure import great_circle_m

__all__ = ["check_osm_path", "check_network_type", "highway_set", "Ways", "read_ways", "Graph", "graph_from_ways", "extract_roads"]

#: The networks :func:`gis.network.read_road_network` builds.
NETWORK_TYPES = ("drive", "walk")
OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml")
#: osmium's fixed-point coordinates: degrees times this, as int32.
COORDINATE_PRECISION = 10_000_000
MAX_LON, MAX_LAT = 180, 90
#: ``oneway`` values osmnx reads as one-way, and those meaning "against the node order".
ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
REVERSED_VALUES = frozenset({"-1", "reverse", "T"})
#: A way whose ``access`` contains this is left out, as osmnx's default filter does.
PRIVATE_ACCESS = "private"


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


def check_network_type(network_type: str) -> str:
    """``network_type`` if it is one of :data:`NETWORK_TYPES`, else an :class:`InputError`."""
    if network_type not in NETWORK_TYPES:
        raise InputError(f"unknown network type {network_type!r}; use one of {', '.join(NETWORK_TYPES)}")
    return network_type


def highway_set(network_type: str) -> frozenset[str]:
    """The ``highway`` classes a network of this type keeps."""
    return settings.WALK_HIGHWAYS if network_type == "walk" else settings.DRIVE_HIGHWAYS


def _way_filter(network_type: str) -> Callable[[osmium.osm.TagList], bool]:
    """Which ways a network keeps: its highway classes, no areas, no private or barred roads."""
    highways = highway_set(network_type)
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
class Ways:
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


def read_ways(path: Path, network_type: str) -> Ways:
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
    return Ways(
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
class Graph:
    """The unsimplified directed graph, edges in the order osmnx inserts them."""

    node_id: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    way: np.ndarray  # index into Ways
    length: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.node_id)


def graph_from_ways(ways: Ways) -> Graph:
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

    node_id = unique_ints(ways.refs[np.concatenate([tail, head])])
    u = np.searchsorted(node_id, ways.refs[tail])
    v = np.searchsorted(node_id, ways.refs[head])
    node_x = np.empty(len(node_id))
    node_y = np.empty(len(node_id))
    node_x[u], node_y[u] = ways.x[tail] / COORDINATE_PRECISION, ways.y[tail] / COORDINATE_PRECISION
    node_x[v], node_y[v] = ways.x[head] / COORDINATE_PRECISION, ways.y[head] / COORDINATE_PRECISION
    length = great_circle_m(node_x[u], node_y[u], node_x[v], node_y[v])
    return Graph(node_id=node_id, node_x=node_x, node_y=node_y, u=u, v=v, way=way, length=length)


def extract_roads(path: str | Path, out_path: str | Path, *, network_type: str = "drive") -> Path:
    """Write the ways :func:`gis.network.read_road_network` keeps, and their nodes, as a new OSM file.

    The result is what ``osmnx.graph_from_xml`` should be given to build the same network
    (osmnx keeps every way in its file). Ways of a clipped extract are cut at missing nodes,
    the pieces after the first getting fresh way ids. Written atomically; the format follows
    ``out_path``'s suffix (``.osm`` XML, ``.pbf``).
    """
    path = check_osm_path(path)
    keep = _way_filter(check_network_type(network_type))
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
