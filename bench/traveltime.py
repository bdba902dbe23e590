"""Benchmark: the CSR travel-time engine against networkx on a prefecture-sized road graph.

    python bench/traveltime.py [--scale 20] [--schools 1000] [--sample 20]

Builds the demo county at ``--scale`` (a road graph of 200,000+ nodes at the default), places
``--schools`` schools on it, and times in the same run: our full school-by-school matrix, and
networkx's single-source Dijkstra on a sample of sources. Prints the time per source of each,
their ratio, and the largest difference between the two on the sampled rows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data.demo import generate_demo  # noqa: E402
from gis.network import read_road_network, snap_schools  # noqa: E402
from gis.schools import read_school_table  # noqa: E402
from gis.traveltime import TravelTimeEngine  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        files = generate_demo(Path(tmp), scale=args.scale)
        network = read_road_network(files.osm)
        schools = snap_schools(read_school_table(files.schools), network)
    rng = np.random.default_rng(args.seed)
    chosen = np.sort(rng.choice(len(schools), size=min(args.schools, len(schools)), replace=False))
    nodes = schools["node"].to_numpy()[chosen]
    print(f"road graph: {network.n_nodes:,} nodes, {len(network.edges):,} edges; {len(nodes):,} schools")

    start = time.perf_counter()
    engine = TravelTimeEngine(network)
    matrix = engine.matrix(nodes)
    ours = time.perf_counter() - start

    graph = network.to_networkx()
    ids = network.nodes.index.to_numpy()
    sample = rng.choice(len(nodes), size=min(args.sample, len(nodes)), replace=False)
    largest_difference = 0.0
    start = time.perf_counter()
    for row in sample:
        lengths = nx.single_source_dijkstra_path_length(graph, int(ids[nodes[row]]), weight="travel_time")
        theirs = np.array([lengths.get(int(ids[n]), np.inf) for n in nodes])
        largest_difference = max(largest_difference, float(np.max(np.abs(theirs - matrix[row]))))
    networkx_per_source = (time.perf_counter() - start) / len(sample)

    ours_per_source = ours / len(nodes)
    print(f"ours (CSR, scipy Dijkstra, build + full matrix): {ours:8.2f} s = {ours_per_source * 1000:8.2f} ms per source")
    print(f"networkx single_source_dijkstra ({len(sample)} sources):   {networkx_per_source * 1000:8.2f} ms per source")
    print(f"ratio networkx / ours per source: {networkx_per_source / ours_per_source:6.1f}x")
    print(f"largest difference on the sampled rows: {largest_difference:.2e} s")
    return 0 if largest_difference <= 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
