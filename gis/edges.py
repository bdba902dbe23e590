"""The edges of the prepared network: the original and the merged edges with osmnx's keys and attributes,
the largest strongly connected component, and the final edge table."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .arrays import cumcount
from .simplify import Paths
from .speeds import edge_speeds, maxspeed_codes, path_highway, path_maxspeed_kph, travel_time_s
from .ways import Graph, Ways

__all__ = ["Edges", "original_edges", "merged_edges", "concat_edges", "largest_strong_component", "edge_order", "edge_table"]


@dataclass(frozen=True)
class Edges:
    """Edges of the prepared graph before the component rule."""

    u: np.ndarray
    v: np.ndarray
    key: np.ndarray
    osmid: np.ndarray
    highway: np.ndarray
    length: np.ndarray
    speed_kph: np.ndarray
    path: np.ndarray  # merged path index, -1 for an original edge

    def take(self, index: np.ndarray) -> Edges:
        return Edges(*(getattr(self, f.name)[index] for f in fields(self)))


def original_edges(graph: Graph, ways: Ways, network_type: str, speeds: dict[str, float]) -> Edges:
    """The edges of the unsimplified graph, with their keys, way ids, classes, lengths and speeds."""
    codes, _, kph = maxspeed_codes(ways)
    way_kph = np.append(kph, np.nan)[codes]  # code -1 (untagged) picks the appended NaN
    highway = ways.highway[graph.way]
    return Edges(
        u=graph.u,
        v=graph.v,
        key=cumcount(graph.u, graph.v, graph.n_nodes),
        osmid=ways.way_id[graph.way],
        highway=highway,
        length=graph.length,
        speed_kph=edge_speeds(highway, way_kph[graph.way], network_type, speeds),
        path=np.full(len(graph.u), -1, dtype=np.int64),
    )


def merged_edges(graph: Graph, paths: Paths, ways: Ways, network_type: str, speeds: dict[str, float]) -> Edges:
    """One edge per merged path, with osmnx's attributes and its key after the original edges."""
    n_paths = paths.count
    path_of = np.repeat(np.arange(n_paths), np.diff(paths.offsets))
    segment_way = graph.way[paths.edge]
    first = paths.edge[paths.offsets[:-1]]
    u, v = graph.u[first], graph.v[paths.edge[paths.offsets[1:] - 1]]
    highway = path_highway(segment_way, path_of, paths.offsets, ways)
    maxspeed_kph = path_maxspeed_kph(segment_way, path_of, n_paths, ways)
    # Python's sum over the segments in path order, as osmnx: bincount adds in input order
    length = np.bincount(path_of, weights=graph.length[paths.edge], minlength=n_paths)
    return Edges(
        u=u,
        v=v,
        key=_merged_keys(graph, u, v, first),
        osmid=ways.way_id[segment_way[paths.offsets[:-1]]],
        highway=highway,
        length=length,
        speed_kph=edge_speeds(highway, maxspeed_kph, network_type, speeds),
        path=np.arange(n_paths, dtype=np.int64),
    )


def _merged_keys(graph: Graph, u: np.ndarray, v: np.ndarray, first: np.ndarray) -> np.ndarray:
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
    rank[by_first] = cumcount(u[by_first], v[by_first], n)
    return earlier + rank


def concat_edges(a: Edges, b: Edges) -> Edges:
    """The edges of ``a``, then those of ``b``."""
    return Edges(*(np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(a)))


def largest_strong_component(edges: Edges, alive: np.ndarray) -> np.ndarray:
    """The ``alive`` nodes in the largest strongly connected component of ``edges``."""
    n = len(alive)
    adjacency = coo_matrix((np.ones(len(edges.u)), (edges.u, edges.v)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    sizes = np.bincount(labels[alive], minlength=labels.max() + 1)
    return alive & (labels == np.argmax(sizes))


def edge_order(edges: Edges, keep: np.ndarray) -> np.ndarray:
    """Edges sorted by (u, v, key); node positions count only the kept nodes."""
    position = np.cumsum(keep) - 1
    return np.lexsort((edges.key, position[edges.v], position[edges.u]))


def edge_table(edges: Edges, keep: np.ndarray) -> pd.DataFrame:
    """:attr:`gis.network.RoadNetwork.edges` of the ``keep`` nodes: sorted, node positions renumbered, travel times added."""
    position = np.cumsum(keep) - 1
    edges = edges.take(edge_order(edges, keep))
    return pd.DataFrame(
        {
            "u": position[edges.u],
            "v": position[edges.v],
            "key": edges.key,
            "osmid": edges.osmid,
            "highway": edges.highway.astype(object),
            "length": edges.length,
            "speed_kph": edges.speed_kph,
            "travel_time": travel_time_s(edges.length, edges.speed_kph),
        }
    )
