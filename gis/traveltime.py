"""The travel-time engine: shortest road travel times over a sparse (CSR) matrix.

Built once from a :class:`~gis.network.RoadNetwork`, it answers school-by-school matrices in
both directions and each node's nearest school (the network Voronoi), with scipy's Dijkstra.
Times are in seconds.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from .network import RoadNetwork

__all__ = ["TravelTimeEngine"]

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

    def times_from(self, sources: np.ndarray, targets: np.ndarray, *, cutoff: float | None = None) -> np.ndarray:
        """Travel times (s) from each source node to each target node, shape (sources, targets).

        Pairs beyond ``cutoff`` seconds, and unreachable pairs, are ``inf``.
        """
        sources = np.asarray(sources, dtype=np.int64)
        targets = np.asarray(targets, dtype=np.int64)
        out = np.empty((len(sources), len(targets)))
        batch = max(1, BATCH_BYTES // (8 * max(self.n_nodes, 1)))
        limit = np.inf if cutoff is None else cutoff
        for start in range(0, len(sources), batch):
            rows = dijkstra(self.graph_, directed=True, indices=sources[start : start + batch], limit=limit)
            out[start : start + batch] = rows[:, targets]
        return out

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
