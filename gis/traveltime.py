"""The travel-time engine: shortest road travel times over a sparse (CSR) matrix.

Built once from a :class:`~gis.network.RoadNetwork`, it answers school-by-school matrices in
both directions and each node's nearest school (the network Voronoi), with scipy's Dijkstra.
Times are in seconds.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterator

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from . import cache
from .network import RoadNetwork

__all__ = ["TravelTimeEngine", "cached_matrix", "MATRIX_CACHE_PREFIX"]

#: File name prefix of cached school-by-school matrices.
MATRIX_CACHE_PREFIX = "times"

#: Memory budget (bytes) for one batch of Dijkstra rows; bounds memory on large networks.
BATCH_BYTES = 256 * 2**20


class TravelTimeEngine:
    """Shortest travel times on a road network.

    Parameters
    ----------
    network : RoadNetwork
        The network; its ``travel_time`` edge attribute (seconds) is the weight. Of parallel
        edges between two nodes the fastest counts.
    """

    def __init__(self, network: RoadNetwork):
        n = network.n_nodes
        edges = network.edges
        fastest = edges.groupby(["u", "v"], sort=True)["travel_time"].min()
        u = fastest.index.get_level_values(0).to_numpy()
        v = fastest.index.get_level_values(1).to_numpy()
        self.n_nodes = n
        self.graph_ = csr_matrix((fastest.to_numpy(), (u, v)), shape=(n, n))
        self.reverse_graph_ = self.graph_.T.tocsr()
        self.fingerprint_ = _fingerprint(u, v, fastest.to_numpy())

    def times_from(self, sources: np.ndarray, targets: np.ndarray, *, cutoff: float | None = None) -> np.ndarray:
        """Travel times (s) from each source node to each target node, shape (sources, targets).

        Pairs beyond ``cutoff`` seconds, and unreachable pairs, are ``inf``.
        """
        targets = np.asarray(targets, dtype=np.int64)
        rows = self._row_batches(self.graph_, sources, cutoff)
        return np.concatenate([batch[:, targets] for batch in rows]) if len(sources) else np.empty((0, len(targets)))

    def reachable(self, sources: np.ndarray, limit: float, *, both_ways: bool = True) -> np.ndarray:
        """Which nodes each source reaches within ``limit`` seconds, shape (sources, nodes), bool.

        With ``both_ways`` a node counts only when the trip back to the source is within the
        limit too (the longer direction counts, as in the 学区 rules).
        """
        out = np.zeros((len(sources), self.n_nodes), dtype=bool)
        start = 0
        for batch in self._row_batches(self.graph_, sources, limit):
            out[start : start + len(batch)] = batch <= limit
            start += len(batch)
        if both_ways:
            start = 0
            for batch in self._row_batches(self.reverse_graph_, sources, limit):
                out[start : start + len(batch)] &= batch <= limit
                start += len(batch)
        return out

    def _row_batches(self, graph: csr_matrix, sources: np.ndarray, cutoff: float | None) -> Iterator[np.ndarray]:
        """Dijkstra rows (s) from ``sources`` over ``graph``, a memory-bounded batch at a time."""
        sources = np.asarray(sources, dtype=np.int64)
        batch = max(1, BATCH_BYTES // (8 * max(self.n_nodes, 1)))
        limit = np.inf if cutoff is None else cutoff
        for start in range(0, len(sources), batch):
            yield np.atleast_2d(dijkstra(graph, directed=True, indices=sources[start : start + batch], limit=limit))

    def matrix(self, nodes: np.ndarray, *, cutoff: float | None = None) -> np.ndarray:
        """Square travel-time matrix (s) between the given nodes: ``[i, j]`` is i -> j."""
        return self.times_from(nodes, nodes, cutoff=cutoff)

    def nearest_source(self, sources: np.ndarray, *, toward: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """For every node, the closest of ``sources`` (its position in ``sources``) and the time.

        With ``toward=True`` the time is travelled from the node to the source (a pupil going
        to school); otherwise from the source to the node. One multi-source Dijkstra run.
        Ties go to the source listed first; unreachable nodes get label -1.
        """
        sources = np.asarray(sources, dtype=np.int64)
        graph = self.reverse_graph_ if toward else self.graph_
        first_position = {}
        for position, node in enumerate(sources.tolist()):
            first_position.setdefault(node, position)
        unique_nodes = np.fromiter(first_position, dtype=np.int64)
        times, _, origin = dijkstra(graph, directed=True, indices=unique_nodes, min_only=True, return_predecessors=True)
        position_of_node = np.full(self.n_nodes, -1, dtype=np.int64)
        position_of_node[unique_nodes] = np.fromiter(first_position.values(), dtype=np.int64)
        label = np.where(origin >= 0, position_of_node[np.maximum(origin, 0)], -1)
        return label, times


def _fingerprint(*arrays: np.ndarray) -> str:
    """SHA-256 of the graph's arrays: equal for equal graphs, whatever file they came from."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def cached_matrix(engine: TravelTimeEngine, nodes: np.ndarray, *, cache_dir: str | os.PathLike | None) -> tuple[np.ndarray, bool]:
    """:meth:`TravelTimeEngine.matrix` of ``nodes``, kept on disk keyed by the graph and the nodes.

    Returns the matrix and whether it came from the cache. Re-running a partition with other
    rules then skips the routing. ``cache_dir=None`` computes without the cache.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    if cache_dir is None:
        return engine.matrix(nodes), False
    key = cache.cache_key(engine.fingerprint_, {"nodes": _fingerprint(nodes)})
    path = cache.cache_file(cache_dir, key, prefix=MATRIX_CACHE_PREFIX)
    stored = cache.load_arrays(path)
    if stored is not None and stored.get("seconds", np.empty(0)).shape == (len(nodes), len(nodes)):
        return stored["seconds"], True
    seconds = engine.matrix(nodes)
    try:
        cache.save_arrays(path, {"seconds": seconds})
    except OSError as exc:
        warnings.warn(f"{path}: cannot write the travel-time cache ({exc}); check the folder or use --no-cache", stacklevel=2)
    return seconds, False
