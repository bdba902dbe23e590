"""The reference for bench/scale.py: the script an expert writes with osmnx, scipy and HiGHS.

    python bench/expert.py ROADS.osm SCHOOLS.csv OUT.csv --max-minutes 30 --members 2-12 --balance 1.0

It reads the roads with ``osmnx.graph_from_xml`` (simplified, strongest component, the project's
speed table, travel times), snaps the schools to their nearest nodes, runs scipy's Dijkstra from
the cores with the travel limit as cutoff on the graph (core -> member) and on its transpose
(member -> core), and solves one MILP with highspy: a binary per (member, core) pair within the
limit (the longer direction counts), each member to one core, MIN-MAX members per core, each
学区's enrollment within ±balance of the mean, least student-minutes, stopped at 0.1% gap. It writes
the assignment as CSV and prints one JSON line (objective, gap, status, pairs, step times). It is
deliberately plain: no cache, no map, no explanation when there is no plan.
"""

from __future__ import annotations

import argparse
import json
import time

import highspy
import numpy as np
import osmnx as ox
import pandas as pd
from scipy.sparse import csc_matrix, csr_matrix, vstack
from scipy.sparse.csgraph import dijkstra

#: The project's highway-class speeds (gis/settings.py), so both sides route on the same roads.
from gis.settings import FALLBACK_SPEED_KPH, HIGHWAY_SPEEDS_KPH

MIP_GAP = 1e-3
TIME_LIMIT_S = 600.0


def load_graph(path: str):
    """osmnx's route: XML -> simplified graph -> strongest component -> speeds and travel times."""
    graph = ox.graph_from_xml(path, simplify=True, retain_all=True)
    graph = ox.truncate.largest_component(graph, strongly=True)
    graph = ox.add_edge_speeds(graph, hwy_speeds=HIGHWAY_SPEEDS_KPH, fallback=FALLBACK_SPEED_KPH)
    return ox.add_edge_travel_times(graph)


def to_csr(graph) -> tuple[csr_matrix, dict]:
    """The graph as a CSR matrix of travel times (the fastest of parallel edges) and node -> row."""
    index = {node: i for i, node in enumerate(graph.nodes)}
    edges = pd.DataFrame([(index[u], index[v], d["travel_time"]) for u, v, d in graph.edges(data=True)], columns=["u", "v", "t"])
    fastest = edges.groupby(["u", "v"])["t"].min().reset_index()
    n = len(index)
    return csr_matrix((fastest["t"], (fastest["u"], fastest["v"])), shape=(n, n)), index


def pair_minutes(matrix: csr_matrix, core_nodes: np.ndarray, member_nodes: np.ndarray, limit_s: float) -> np.ndarray:
    """Minutes between each member (rows) and core (columns), the longer direction; inf beyond the limit."""
    out = dijkstra(matrix, indices=core_nodes, limit=limit_s)[:, member_nodes]
    back = dijkstra(matrix.T.tocsr(), indices=core_nodes, limit=limit_s)[:, member_nodes]
    return np.maximum(out, back).T / 60.0


def solve(minutes: np.ndarray, member_students: np.ndarray, core_students: np.ndarray, members: tuple[int, int], balance: float):
    """The assignment MILP with highspy; the chosen core column of each member, objective, gap, status."""
    rows, cols = np.nonzero(np.isfinite(minutes))
    n_pairs, n_members, n_cores = len(rows), len(member_students), len(core_students)
    mean = (member_students.sum() + core_students.sum()) / n_cores
    assign = csc_matrix((np.ones(n_pairs), (rows, np.arange(n_pairs))), shape=(n_members, n_pairs))
    count = csc_matrix((np.ones(n_pairs), (cols, np.arange(n_pairs))), shape=(n_cores, n_pairs))
    load = csc_matrix((member_students[rows].astype(float), (cols, np.arange(n_pairs))), shape=(n_cores, n_pairs))
    a = vstack([assign, count, load]).tocsc()
    lower = np.concatenate([np.ones(n_members), np.full(n_cores, members[0]), (1 - balance) * mean - core_students])
    upper = np.concatenate([np.ones(n_members), np.full(n_cores, members[1]), (1 + balance) * mean - core_students])
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_pairs, a.shape[0]
    lp.col_cost_ = member_students[rows] * minutes[rows, cols]
    lp.col_lower_, lp.col_upper_ = np.zeros(n_pairs), np.ones(n_pairs)
    lp.row_lower_, lp.row_upper_ = lower, upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_pairs, a.shape[0]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_pairs
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", MIP_GAP)
    h.setOptionValue("time_limit", TIME_LIMIT_S)
    h.passModel(lp)
    h.run()
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value) > 0.5
    chosen = np.full(n_members, -1)
    chosen[rows[x]] = cols[x]
    return chosen, info.objective_function_value, info.mip_gap, h.modelStatusToString(h.getModelStatus())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("roads")
    parser.add_argument("schools")
    parser.add_argument("out")
    parser.add_argument("--max-minutes", type=float, default=30.0)
    parser.add_argument("--members", default="2-6")
    parser.add_argument("--balance", type=float, default=0.25)
    args = parser.parse_args()
    steps, start = {}, time.perf_counter()

    def lap(name: str) -> None:
        nonlocal start
        steps[name] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()

    graph = load_graph(args.roads)
    matrix, index = to_csr(graph)
    lap("load roads")
    schools = pd.read_csv(args.schools, encoding="utf-8-sig", dtype={"学校标识码": str})
    nodes = ox.distance.nearest_nodes(graph, X=schools["经度"], Y=schools["纬度"])
    node_row = np.array([index[n] for n in nodes])
    is_core = (schools["是否优质"] == "是").to_numpy()
    lap("snap schools")
    minutes = pair_minutes(matrix, node_row[is_core], node_row[~is_core], args.max_minutes * 60.0)
    lap("travel times")
    low, high = (int(x) for x in args.members.split("-"))
    students = schools["在校生数"].to_numpy(float)
    chosen, objective, gap, status = solve(minutes, students[~is_core], students[is_core], (low, high), args.balance)
    lap("solve")
    core_ids = schools.loc[is_core, "学校标识码"].to_numpy()
    out = schools.loc[~is_core, ["学校标识码", "学校名称"]].assign(core=np.where(chosen >= 0, core_ids[np.maximum(chosen, 0)], ""))
    out.to_csv(args.out, index=False)
    lap("write")
    print(json.dumps({"objective": objective, "gap": gap, "status": status, "pairs": int(np.isfinite(minutes).sum()),
                      "nodes": len(index), "steps": steps}))


if __name__ == "__main__":
    main()
