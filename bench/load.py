"""Road loading: our reader (cold and cached) against the plain osmnx route, in the same run.

Generates the demo county at ``--scale`` (or reuses ``--work-dir``), writes its drivable roads as
a roads-only OSM XML file (:func:`gis.network.extract_roads`), then times on that file

* osmnx: ``graph_from_xml(simplify=True, retain_all=True)``, ``largest_component(strongly=True)``,
  ``add_edge_speeds(hwy_speeds=<our table>)``, ``add_edge_travel_times``;
* ours, cold: ``read_road_network(simplify=True, cache_dir=<empty folder>)`` (parse, prepare, store);
* ours, cached: the same call again (hash the file, load the stored arrays).

It checks that both give the same nodes, the same ``(u, v, key)`` edges and the same lengths and
travel times (within :data:`TOLERANCE_S`), prints the times and the ratios ours/osmnx, and exits 1 if
the results differ. It asserts nothing about time.

    python bench/load.py [--scale 4] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from a checkout

import networkx as nx
import osmnx as ox

from data.demo import OSM_FILENAME, generate_demo
from gis import settings
from gis.network import RoadNetwork, extract_roads, read_road_network

__all__ = ["TOLERANCE_S", "osmnx_reference", "differences", "main"]

#: Largest travel-time (s) or length (m) difference counted as equal.
TOLERANCE_S = 1e-6
DEFAULT_SCALE = 4.0
ROADS_FILENAME = "roads_drive.osm"
#: Differences listed before "... and N more".
SHOWN_DIFFERENCES = 5


def osmnx_reference(
    path: str | Path, *, network_type: str = "drive", simplify: bool = True, speeds_kph: dict[str, float] | None = None
) -> nx.MultiDiGraph:
    """The plain osmnx route on a roads-only file: build, (simplify,) strongest component, speeds, times."""
    graph = ox.graph_from_xml(path, bidirectional=network_type == "walk", simplify=simplify, retain_all=True)
    graph = ox.truncate.largest_component(graph, strongly=True)
    if network_type == "walk":
        nx.set_edge_attributes(graph, settings.WALK_SPEED_KPH, "speed_kph")
    else:
        table = {**settings.HIGHWAY_SPEEDS_KPH, **(speeds_kph or {})}
        graph = ox.add_edge_speeds(graph, hwy_speeds=table, fallback=settings.FALLBACK_SPEED_KPH)
    return ox.add_edge_travel_times(graph)


def differences(network: RoadNetwork, graph: nx.MultiDiGraph, *, tolerance: float = TOLERANCE_S) -> list[str]:
    """What differs between our network and an osmnx graph: nodes, (u, v, key) edges, lengths, times."""
    ids = network.nodes.index.to_numpy().tolist()
    found = []
    ours_nodes, their_nodes = set(ids), set(graph.nodes)
    if ours_nodes != their_nodes:
        found.append(_set_difference("nodes", ours_nodes, their_nodes))
    edges = network.edges
    ours = {
        (ids[u], ids[v], key): (length, seconds)
        for u, v, key, length, seconds in zip(
            edges["u"].tolist(), edges["v"].tolist(), edges["key"].tolist(), edges["length"].tolist(), edges["travel_time"].tolist()
        )
    }
    theirs = {(u, v, k): (d["length"], d["travel_time"]) for u, v, k, d in graph.edges(keys=True, data=True)}
    if ours.keys() != theirs.keys():
        found.append(_set_difference("edges", set(ours), set(theirs)))
    for edge in sorted(ours.keys() & theirs.keys()):
        (length, seconds), (their_length, their_seconds) = ours[edge], theirs[edge]
        if abs(length - their_length) > tolerance or abs(seconds - their_seconds) > tolerance:
            found.append(f"edge {edge}: length {length} vs {their_length} m, travel_time {seconds} vs {their_seconds} s")
    return found


def _set_difference(what: str, ours: set, theirs: set) -> str:
    only_ours, only_theirs = sorted(ours - theirs)[:SHOWN_DIFFERENCES], sorted(theirs - ours)[:SHOWN_DIFFERENCES]
    return f"{what}: {len(ours)} ours, {len(theirs)} osmnx; only ours {only_ours}, only osmnx {only_theirs}"


def _timed(step: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = step()
    return result, time.perf_counter() - start


def _demo_osm(scale: float, work_dir: Path) -> Path:
    osm = work_dir / OSM_FILENAME
    if not osm.exists():
        generate_demo(work_dir, scale=scale)
    return osm


def _print_table(rows: list[tuple[str, float]], reference: float) -> None:
    print(f"{'step':<44}{'seconds':>10}{'ours/osmnx':>12}")
    for label, seconds in rows:
        ratio = "" if seconds is reference else f"{seconds / reference:>12.3f}"
        print(f"{label:<44}{seconds:>10.3f}{ratio}")


def run(scale: float, work_dir: Path) -> int:
    """Run the benchmark in ``work_dir``; return the exit status (1 if the results differ)."""
    roads = extract_roads(_demo_osm(scale, work_dir), work_dir / ROADS_FILENAME)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # osmnx warns about its own XML reader
        graph, osmnx_s = _timed(lambda: osmnx_reference(roads))
    with tempfile.TemporaryDirectory(prefix="xuequ-cache-") as cache_dir:
        cold, cold_s = _timed(lambda: read_road_network(roads, simplify=True, cache_dir=cache_dir))
        cached, cached_s = _timed(lambda: read_road_network(roads, simplify=True, cache_dir=cache_dir))
    if cold.from_cache or not cached.from_cache:
        print("the cache did not behave: expected a miss, then a hit")
        return 1
    print(f"demo county, scale {scale:g}: {roads.stat().st_size / 2**20:.1f} MiB roads-only XML, "
          f"{cold.n_nodes:,} nodes and {len(cold.edges):,} edges after simplification "
          f"({cold.dropped_nodes:,} nodes outside the largest strongly connected component)")
    _print_table(
        [
            ("osmnx graph_from_xml+simplify+SCC+speeds", osmnx_s),
            ("ours, cold (parse, prepare, write cache)", cold_s),
            ("ours, cached (hash file, load arrays)", cached_s),
        ],
        osmnx_s,
    )
    found = differences(cold, graph) + [f"cached: {d}" for d in differences(cached, graph)]
    if found:
        print(f"DIFFERENT from osmnx ({len(found)}):", *found[:SHOWN_DIFFERENCES], sep="\n  ")
        return 1
    print(f"identical to osmnx: nodes, (u, v, key) edges, lengths and travel times within {TOLERANCE_S:g}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE, help="demo county scale (4: county-sized, 20: prefecture)")
    parser.add_argument("--work-dir", type=Path, help="keep the demo and roads files here and reuse them on later runs")
    args = parser.parse_args(argv)
    if args.work_dir is not None:
        args.work_dir.mkdir(parents=True, exist_ok=True)
        return run(args.scale, args.work_dir)
    with tempfile.TemporaryDirectory(prefix="xuequ-bench-") as work_dir:
        return run(args.scale, Path(work_dir))


if __name__ == "__main__":
    sys.exit(main())
