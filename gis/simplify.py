"""osmnx's ``simplify_graph``, vectorised: the endpoints, the paths between them that become one edge each,
and the rings osmnx drops. :mod:`gis.network` describes what this matches and where it differs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .arrays import unique_ints
from .errors import InputError
from .ways import Graph

__all__ = ["Paths", "merged_paths", "interior_nodes", "without_rings"]


def _distinct_count(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """For each node ``i < n``, the number of distinct ``b`` paired with ``a == i``."""
    pairs = unique_ints(a * np.int64(n) + b)
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
class Paths:
    """Merged paths: path ``p`` is the edges ``edge[offsets[p]:offsets[p + 1]]``, in order."""

    edge: np.ndarray
    offsets: np.ndarray

    @property
    def count(self) -> int:
        return len(self.offsets) - 1


def _chain_paths(u: np.ndarray, v: np.ndarray, n: int, endpoint: np.ndarray, plain: np.ndarray) -> Paths:
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
    return Paths(edge=edge, offsets=np.append(first_of_path, len(edge)))


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


def _literal_paths(u: np.ndarray, v: np.ndarray, endpoint: np.ndarray, tainted: np.ndarray) -> Paths:
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
    return Paths(edge=np.array(edges, dtype=np.int64), offsets=np.array(offsets, dtype=np.int64))


def merged_paths(graph: Graph) -> Paths:
    """All paths osmnx's ``simplify_graph`` merges into single edges."""
    u, v, n = graph.u, graph.v, graph.n_nodes
    endpoint = _endpoints(u, v, n)
    interstitial = ~endpoint
    tainted = _tainted(u, v, n, interstitial, _irregular(u, v, n, interstitial))
    chains = _chain_paths(u, v, n, endpoint, interstitial & ~tainted)
    if not tainted.any():
        return chains
    literal = _literal_paths(u, v, endpoint, tainted)
    return Paths(
        edge=np.concatenate([chains.edge, literal.edge]),
        offsets=np.concatenate([chains.offsets, literal.offsets[1:] + len(chains.edge)]),
    )


def interior_nodes(paths: Paths, graph: Graph) -> np.ndarray:
    """Nodes strictly inside a merged path: osmnx removes them (and every edge touching them)."""
    inside = np.ones(len(paths.edge), dtype=bool)
    inside[paths.offsets[:-1]] = False
    removed = np.zeros(graph.n_nodes, dtype=bool)
    removed[graph.u[paths.edge[inside]]] = True
    return removed


def without_rings(u: np.ndarray, v: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """osmnx's ``_remove_rings``: of the ``alive`` nodes, those of weak components (of the edges ``u -> v``)
    that hold no endpoint are dropped."""
    n = len(alive)
    endpoint = _endpoints(u, v, n)
    adjacency = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, labels = connected_components(adjacency, directed=True, connection="weak")
    has_endpoint = np.zeros(labels.max() + 1, dtype=bool)
    has_endpoint[labels[alive & endpoint]] = True
    return alive & has_endpoint[labels]
