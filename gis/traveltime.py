"""The travel-time engine: shortest road travel times over a sparse (CSR) matrix.

Built once from a :class:`~gis.network.RoadNetwork`, it answers school-by-school matrices in
both directions and each node's nearest school (the network Voronoi), with scipy's Dijkstra.
Times are in seconds. :func:`cached_matrix` computes only what a plan needs (the rows and columns of
the cores, up to a cutoff) and keeps it on disk.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

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

    def times_from(self, sources: np.ndarray, targets: np.ndarray, *, cutoff: float | None = None,
                   reverse: bool = False) -> np.ndarray:
        """Travel times (s) from each source node to each target node, shape (sources, targets).

        With ``reverse=True`` the trips go the other way, from each target to each source (Dijkstra
        from the sources on the reversed graph), still shape (sources, targets). Pairs beyond
        ``cutoff`` seconds, and unreachable pairs, are ``inf``; a pair within it has the same time
        as without a cutoff.
        """
        targets = np.asarray(targets, dtype=np.int64)
        graph = self.reverse_graph_ if reverse else self.graph_
        rows = self._row_batches(graph, sources, cutoff)
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


def cached_matrix(engine: TravelTimeEngine, nodes: np.ndarray, *, sources: np.ndarray | None = None,
                  cutoff: float | None = None, cache_dir: str | os.PathLike | None) -> tuple[np.ndarray, bool]:
    """Travel times (s) between ``nodes`` wherever one end is a source, kept on disk keyed by the graph and the nodes.

    Returns the square matrix (``[i, j]`` is i -> j) and whether it came from the cache. The rows and
    the columns of ``sources`` (positions in ``nodes``; all of them by default, which gives
    :meth:`TravelTimeEngine.matrix`) hold the times up to ``cutoff`` seconds; every other entry is
    ``inf``. A source's row is one Dijkstra run on the graph, its column (for the other nodes) one on
    the reversed graph, so a few sources with a cutoff are a small part of the whole matrix's work.

    The cache keeps each computed row with the cutoff it was computed with, and serves any request
    whose rows it holds with a cutoff not below the one asked for (clipped to it, so a result never
    depends on what the cache held). Re-running a partition with other rules then skips the routing.
    ``cache_dir=None`` computes without the cache.
    """
    nodes = np.asarray(nodes, dtype=np.int64)
    n = len(nodes)
    forward = np.arange(n) if sources is None else np.unique(np.asarray(sources, dtype=np.int64))
    backward = forward if len(forward) < n else forward[:0]  # with every row known, so are the columns
    limit = np.inf if cutoff is None else float(cutoff)
    path = None if cache_dir is None else cache.cache_file(
        cache_dir, cache.cache_key(engine.fingerprint_, {"nodes": _fingerprint(nodes)}), prefix=MATRIX_CACHE_PREFIX)
    arrays = None if path is None else cache.load_arrays(path)
    stored = {direction: _Rows.stored(arrays, direction, n) for direction in _DIRECTIONS}
    wanted = {"forward": forward, "backward": backward}
    hit = all(stored[d].holds(wanted[d], limit).all() for d in _DIRECTIONS)
    if not hit:
        for direction in _DIRECTIONS:
            missing = wanted[direction][~stored[direction].holds(wanted[direction], limit)]
            times = engine.times_from(nodes[missing], nodes, cutoff=limit, reverse=direction == "backward")
            stored[direction] = stored[direction].with_rows(missing, times, limit)
        if path is not None:
            _save(path, {**stored["forward"].arrays("forward"), **stored["backward"].arrays("backward")})
    seconds = np.full((n, n), np.inf)
    seconds[:, backward] = stored["backward"].rows(backward, limit).T
    seconds[forward] = stored["forward"].rows(forward, limit)
    return seconds, hit


#: The two kinds of rows: Dijkstra from a source on the graph (to the nodes) and on the reversed graph (from them).
_DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True)
class _Rows:
    """Dijkstra rows of some sources (positions, ascending) to all the nodes, each with the cutoff it was computed with."""

    sources: np.ndarray
    cutoff: np.ndarray
    seconds: np.ndarray

    @classmethod
    def stored(cls, arrays: dict[str, np.ndarray] | None, direction: str, n: int) -> "_Rows":
        """The rows of one direction a cache file holds, or none when it holds no usable ones."""
        try:
            rows = cls(*(arrays[f"{direction}_{name}"] for name in ("sources", "cutoff", "seconds")))
        except (TypeError, KeyError):
            rows = None
        if rows is None or rows.seconds.shape != (len(rows.sources), n) or len(rows.cutoff) != len(rows.sources):
            return cls(np.empty(0, np.int64), np.empty(0), np.empty((0, n)))
        return rows

    def arrays(self, direction: str) -> dict[str, np.ndarray]:
        return {f"{direction}_sources": self.sources, f"{direction}_cutoff": self.cutoff, f"{direction}_seconds": self.seconds}

    def holds(self, positions: np.ndarray, limit: float) -> np.ndarray:
        """Which of ``positions`` have a row computed with a cutoff of at least ``limit``."""
        if not len(self.sources):
            return np.zeros(len(positions), bool)
        where = np.searchsorted(self.sources, positions).clip(max=len(self.sources) - 1)
        return (self.sources[where] == positions) & (self.cutoff[where] >= limit)

    def with_rows(self, positions: np.ndarray, seconds: np.ndarray, limit: float) -> "_Rows":
        """These rows with new ones for ``positions`` (replacing older ones)."""
        keep = ~np.isin(self.sources, positions)
        sources = np.concatenate([self.sources[keep], positions])
        order = np.argsort(sources, kind="stable")
        return _Rows(sources[order], np.concatenate([self.cutoff[keep], np.full(len(positions), limit)])[order],
                     np.concatenate([self.seconds[keep], seconds])[order])

    def rows(self, positions: np.ndarray, limit: float) -> np.ndarray:
        """The rows of ``positions`` (all held) with every time beyond ``limit`` set to ``inf``."""
        chosen = self.seconds[np.searchsorted(self.sources, positions)]
        return np.where(chosen <= limit, chosen, np.inf)


def _save(path: os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    try:
        cache.save_arrays(path, arrays)
    except OSError as exc:
        warnings.warn(f"{path}: cannot write the travel-time cache ({exc}); check the folder or use --no-cache", stacklevel=3)
