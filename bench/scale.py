"""Benchmark: the whole tool against an expert's osmnx + scipy + HiGHS script, at prefecture scale.

    python bench/scale.py [--schools 1500] [--nodes 90000] [--cores 150] [--work-dir DIR] [--repeat 1]
                          [--max-minutes 30] [--members 2-12] [--balance 1.0] [--warm-members 3-12 --warm-balance 0.8]
                          [--time-limit S]

Generates the case: the demo county at the scale that gives about ``--nodes`` road nodes
(:func:`data.demo.generate_demo`), its drivable roads written as a roads-only OSM XML file
(:func:`gis.network.extract_roads`, what osmnx should be given), and its school table brought to
``--schools`` rows (random member schools dropped, or new ones added near random member schools on a
road node 0.5-3 km away, copying their attributes) with exactly ``--cores`` quality flags (the demo's
flagged schools: a greedy set cover so that every school reaches a core well within the limit, then
more spread out, the city getting its share by students). Then, each as its own process, in the same run:

* ``expert``: bench/expert.py, osmnx loading, scipy Dijkstra from the cores with the limit as cutoff on
  the graph and its transpose, one highspy MILP with the member and balance rows stopped at 0.1% gap;
* ``tool, cold``: ``app.py partition ... --no-cache`` (all files: map, report, GeoJSON, CSV, JSON);
* ``tool, warm``: the tool once with a cache folder (not timed), then again with other rules
  (``--warm-members``, ``--warm-balance``), timed.

``--repeat N`` runs the three N times in turn and shows the fastest of each (the peak memory is the
largest seen).

It prints each run's wall time, its ratio to the expert's, the peak memory (the sum of the resident
sets of the process and its children, sampled every :data:`SAMPLE_S` s, and the largest single
process from ``wait4``), the objectives (student-minutes; the tool's rules are stricter: a tie-break
and an imbalance term, so its figure may be higher) with status and proven gap, and the tool's own
step times. It asserts nothing about time; on a shared machine, compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from a checkout

from data.demo import DEMO_SEED, generate_demo  # noqa: E402
from gis.network import RoadNetwork, extract_roads, read_road_network, snap_to_nodes  # noqa: E402
from gis.schema import AREA_LABELS_ZH, TABLE_HEADERS_ZH  # noqa: E402
from gis.traveltime import TravelTimeEngine, cached_matrix  # noqa: E402
from partition.problem import SECONDS_PER_MINUTE  # noqa: E402

__all__ = ["make_case", "measure", "main"]

#: Road nodes of the demo county per unit of scale (86,660 at scale 8).
NODES_PER_SCALE = 10_830
#: Every school reaches a core within this share of the limit (the expert's simplified graph places
#: schools on the nearest intersection, a minute or so off).
COVER_SHARE = 0.9
#: New schools sit on a road node this far (m) from the school they copy.
NEW_SCHOOL_RANGE_M = (500.0, 3000.0)
METRES_PER_DEGREE = 111_320.0
SAMPLE_S = 0.05
YES, NO = "是", "否"
STEP_LINE = re.compile(r"✓ (.+) \((\d+(?:\.\d+)?) s\)")


@dataclass(frozen=True)
class Case:
    """The benchmark's input files."""

    roads: Path
    schools: Path
    n_schools: int
    n_cores: int


@dataclass
class Run:
    """One process's wall time, peak memory and output."""

    seconds: float
    peak_tree_mb: float
    peak_process_mb: float
    returncode: int
    stdout: str
    stderr: str
    steps: list[tuple[str, float]] = field(default_factory=list)


# --- the case -------------------------------------------------------------------------------------------


def make_case(work_dir: Path, *, n_schools: int, n_nodes: int, n_cores: int, max_minutes: float,
              seed: int = DEMO_SEED) -> Case:
    """Generate (or reuse) the demo county at about ``n_nodes`` road nodes and a table of ``n_schools``
    schools with ``n_cores`` cores that every school reaches within ``max_minutes``."""
    scale = max(0.5, n_nodes / NODES_PER_SCALE)
    demo_dir = work_dir / f"demo-{scale:.3f}-{seed}"
    roads = demo_dir / "roads.osm"
    if not roads.exists():
        files = generate_demo(demo_dir, seed=seed, scale=scale)
        extract_roads(files.osm, roads)
    path = work_dir / f"schools-{scale:.3f}-{seed}-{n_schools}-{n_cores}-{max_minutes:g}.csv"
    if not path.exists():
        table = pd.read_csv(demo_dir / "demo_schools.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
        network = read_road_network(roads)
        table = _resize(table, n_schools, network.nodes[["x", "y"]].to_numpy(), np.random.default_rng(seed))
        _flag_cores(table, n_cores, network, max_minutes).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return Case(roads=roads, schools=path, n_schools=n_schools, n_cores=n_cores)


def _metric(lonlat: np.ndarray) -> np.ndarray:
    """Local equirectangular metres: good enough to place and spread schools."""
    lat0 = np.radians(lonlat[:, 1].mean())
    return np.column_stack([lonlat[:, 0] * np.cos(lat0), lonlat[:, 1]]) * METRES_PER_DEGREE


def _lonlat(table: pd.DataFrame) -> np.ndarray:
    return table[[TABLE_HEADERS_ZH["lon"], TABLE_HEADERS_ZH["lat"]]].astype(float).to_numpy()


def _resize(table: pd.DataFrame, n: int, road_lonlat: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """The table with random member schools dropped, or copies of them added nearby, to ``n`` rows."""
    flag = TABLE_HEADERS_ZH["is_core"]
    members = np.flatnonzero(table[flag].to_numpy() != YES)
    if n <= len(table):
        drop = rng.choice(members, size=len(table) - n, replace=False)
        return table.drop(index=table.index[drop]).reset_index(drop=True)
    templates = rng.choice(members, size=n - len(table))
    road_xy = _metric(np.vstack([road_lonlat, _lonlat(table)]))[: len(road_lonlat)]
    school_xy = _metric(np.vstack([road_lonlat, _lonlat(table)]))[len(road_lonlat):]
    tree = cKDTree(road_xy)
    low, high = NEW_SCHOOL_RANGE_M
    added = table.iloc[templates].copy().reset_index(drop=True)
    for k, template in enumerate(templates):
        near = np.asarray(tree.query_ball_point(school_xy[template], high))
        far_enough = near[np.hypot(*(road_xy[near] - school_xy[template]).T) >= low]
        lon, lat = road_lonlat[rng.choice(far_enough if len(far_enough) else near)]
        added.loc[k, TABLE_HEADERS_ZH["lon"]] = f"{lon:.7f}"
        added.loc[k, TABLE_HEADERS_ZH["lat"]] = f"{lat:.7f}"
        added.loc[k, TABLE_HEADERS_ZH["school_id"]] = f"3799{k + 1:06d}"
        added.loc[k, TABLE_HEADERS_ZH["name"]] = f"{added.loc[k, TABLE_HEADERS_ZH['name']]}分校{k + 1}"
    return pd.concat([table, added], ignore_index=True)


def _flag_cores(table: pd.DataFrame, n_cores: int, network: RoadNetwork, max_minutes: float) -> pd.DataFrame:
    """Exactly ``n_cores`` quality flags, so that every school reaches one well within ``max_minutes``
    (:data:`COVER_SHARE` of it, so that the expert's coarser graph agrees): a greedy set cover by the
    flagged schools (a school no flagged one reaches becomes a core itself), then more flagged schools
    spread out by farthest-point sampling, every other one in the city (城区) until it has its share of the
    cores by students (with fewer, its big 学区 cannot keep the balance band)."""
    flag = TABLE_HEADERS_ZH["is_core"]
    flagged = table[flag].to_numpy() == YES
    lonlat = _lonlat(table)
    nodes, _ = snap_to_nodes(network, lonlat[:, 0], lonlat[:, 1])
    within = COVER_SHARE * max_minutes * SECONDS_PER_MINUTE
    seconds, _ = cached_matrix(TravelTimeEngine(network), nodes, sources=np.flatnonzero(flagged), cutoff=within, cache_dir=None)
    reaches = np.maximum(seconds, seconds.T) <= within  # [school, core]
    chosen, covered = [], np.zeros(len(table), bool)
    while True:
        gain = np.where(flagged, (reaches & ~covered[:, None]).sum(axis=0), 0)
        if gain.max() == 0:
            break
        chosen.append(int(np.argmax(gain)))
        covered |= reaches[:, chosen[-1]]
    chosen += np.flatnonzero(~covered).tolist()
    if len(chosen) > n_cores:
        sys.exit(f"{len(chosen)} cores are needed for every school to reach one within {max_minutes:g} min; ask for more")
    students = table[TABLE_HEADERS_ZH["enrollment"]].astype(float).to_numpy()
    urban = (table[TABLE_HEADERS_ZH["area_type"]] == AREA_LABELS_ZH["urban"]).to_numpy()
    urban_share = round(n_cores * students[urban].sum() / students.sum())  # so that the city's 学区 can balance
    xy = _metric(lonlat)
    distance = np.min([np.hypot(*(xy - xy[c]).T) for c in chosen], axis=0)
    for turn in range(n_cores - len(chosen)):
        city_turn = urban[chosen].sum() < urban_share and turn % 2 == 0
        pools = (flagged & (urban if city_turn else ~urban), flagged, np.ones(len(table), bool))
        pool = next(p for p in pools if (p & (distance > 0)).any()) & (distance > 0)
        chosen.append(int(np.argmax(np.where(pool, distance, -1.0))))
        distance = np.minimum(distance, np.hypot(*(xy - xy[chosen[-1]]).T))
    out = table.copy()
    out[flag] = NO
    out.loc[chosen, flag] = YES
    return out


# --- measuring ------------------------------------------------------------------------------------------


def _tree_rss_kb(root: int) -> int:
    """Resident memory (kB) of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stream:
                stat = stream.read()
            with open(f"/proc/{entry}/statm") as stream:
                pages = int(stream.read().split()[1])
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE") // 1024
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(command: list[str]) -> Run:
    """Run ``command`` from the checkout; its wall time, sampled peak tree memory, ``wait4`` maxrss and output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, env={**os.environ, "COLUMNS": "200"})
        peak, done = [0], threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _tree_rss_kb(process.pid))
                done.wait(SAMPLE_S)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stderr = err.read()
        steps = [(m.group(1), float(m.group(2))) for m in STEP_LINE.finditer(stderr)]
        return Run(seconds, peak[0] / 1024, usage.ru_maxrss / 1024, process.returncode, out.read(), stderr, steps)


def _tool(case: Case, out: Path, rules: list[str], cache: list[str]) -> list[str]:
    return [sys.executable, "app.py", "partition", "--osm", str(case.roads), "--schools", str(case.schools),
            "--out", str(out), *rules, *cache]


def _rules(max_minutes: float, members: str, balance: float) -> list[str]:
    return ["--max-minutes", f"{max_minutes:g}", "--members", members, "--balance", f"{balance:g}"]


def _check(run: Run, name: str) -> Run:
    if run.returncode != 0:
        sys.exit(f"{name} failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
    return run


def _plan_figures(out: Path) -> str:
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    return f"{plan['student_minutes_longer_trip']:,.0f} student-min (longer trip), {plan['status']}, gap {plan['gap']:.4%}"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=1500)
    parser.add_argument("--nodes", type=int, default=90_000)
    parser.add_argument("--cores", type=int, default=None, help="quality schools (default: a tenth of the schools)")
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    parser.add_argument("--max-minutes", type=float, default=30.0)
    parser.add_argument("--members", default="2-12")
    parser.add_argument("--balance", type=float, default=1.0)
    parser.add_argument("--warm-members", default="3-12", help="the warm run's other rules")
    parser.add_argument("--warm-balance", type=float, default=0.8)
    parser.add_argument("--time-limit", type=float, default=None, help="the tool's --time-limit (default: its own)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the three runs; the fastest of each is shown")
    parser.add_argument("--work-dir", type=Path, help="keep the generated case here and reuse it")
    args = parser.parse_args(argv)
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="xuequ-scale-"))
    work_dir.mkdir(parents=True, exist_ok=True)
    case = make_case(work_dir, n_schools=args.schools, n_nodes=args.nodes, n_cores=args.cores or args.schools // 10,
                     max_minutes=args.max_minutes, seed=args.seed)
    rules = _rules(args.max_minutes, args.members, args.balance)
    warm_rules = _rules(args.max_minutes, args.warm_members, args.warm_balance)
    limit = [] if args.time_limit is None else ["--time-limit", f"{args.time_limit:g}"]
    print(f"case: {case.roads.stat().st_size / 2**20:.1f} MiB roads-only OSM XML, {case.n_schools:,} schools, "
          f"{case.n_cores} cores; rules {' '.join(rules)}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="xuequ-scale-run-") as scratch:
        scratch = Path(scratch)
        cache = ["--cache-dir", str(scratch / "cache")]
        commands = {
            "expert": [sys.executable, "bench/expert.py", str(case.roads), str(case.schools), str(scratch / "expert.csv"), *rules],
            "tool, cold": _tool(case, scratch / "cold", [*rules, *limit], ["--no-cache"]),
            "tool, warm": _tool(case, scratch / "warm", [*warm_rules, *limit], cache),
        }
        _check(measure(_tool(case, scratch / "prime", [*rules, *limit], cache)), "tool, filling the cache")
        rounds = [{name: _check(measure(command), name) for name, command in commands.items()} for _ in range(args.repeat)]
        runs = {name: min((r[name] for r in rounds), key=lambda run: run.seconds) for name in commands}
        peaks = {name: max(r[name].peak_tree_mb for r in rounds) for name in commands}
        expert = json.loads(runs["expert"].stdout.strip().splitlines()[-1])
        figures = {
            "expert": f"{expert['objective']:,.0f} student-min, {expert['status']}, gap {expert['gap']:.4%}",
            "tool, cold": _plan_figures(scratch / "cold"),
            "tool, warm": _plan_figures(scratch / "warm") + f" ({' '.join(warm_rules)})",
        }
    print(f"{expert['nodes']:,} road nodes in the expert's simplified graph; {expert['pairs']:,} pairs within the limit; "
          f"fastest of {args.repeat} round(s), load {os.getloadavg()[0]:.1f} at the end\n")
    reference = runs["expert"].seconds
    print(f"{'run':<12}{'seconds':>9}{'/expert':>9}{'peak MB':>9}{'1 proc MB':>11}  result")
    for name, run in runs.items():
        print(f"{name:<12}{run.seconds:>9.1f}{run.seconds / reference:>9.3f}{peaks[name]:>9.0f}"
              f"{run.peak_process_mb:>11.0f}  {figures[name]}")
    print("\nexpert steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in expert["steps"].items()))
    for name in ("tool, cold", "tool, warm"):
        print(f"{name} steps:")
        for label, seconds in runs[name].steps:
            print(f"  {seconds:>6.1f}  {label}")
        print(f"  {runs[name].seconds - sum(s for _, s in runs[name].steps):>6.1f}  start-up (imports), OSM boundaries, summary")
    return 0


if __name__ == "__main__":
    sys.exit(main())
