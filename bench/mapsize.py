"""Benchmark: the size of map.html for a county of about 2,000 schools (the budget is 5 MB).

    python bench/mapsize.py [--size 2000] [--work-dir DIR] [--seed 20261123]

The demo county scaled to ``--size`` schools goes through the real loading code
(``generate_demo``, ``read_school_table``, ``read_road_network``, ``snap_schools``, the travel-time
engine); a fifth of the schools are cores and every member joins its nearest core (the solver's
plan would have the same number of schools, districts and territories, and takes minutes). The
territories, main roads, townships and 30-minute isochrones are drawn as ``app.py`` draws them.
It prints the page's size against the budget, what each part of the plan's data takes, and the
same plan without its context layers as the reference; and the time each step took. It asserts
nothing about time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from a checkout

from bench.partition import county_tables, fifth_as_cores, nearest_core_plan  # noqa: E402
from data.demo import DEMO_SEED, generate_demo  # noqa: E402
from gis.admin import COUNTY_LEVEL, TOWNSHIP_LEVEL, read_admin_areas  # noqa: E402
from gis.isochrones import isochrone_polygons  # noqa: E402
from gis.network import read_road_network  # noqa: E402
from gis.roads import main_roads  # noqa: E402
from gis.traveltime import TravelTimeEngine  # noqa: E402
from maps.assets import offline_html  # noqa: E402
from maps.render import render_plan_map  # noqa: E402
from partition.problem import DEFAULT_MAX_MINUTES, SECONDS_PER_MINUTE, Problem, Rules  # noqa: E402
from partition.territory import territory_polygons  # noqa: E402

BUDGET_BYTES = 5 * 2**20
DATA_PARTS = ("districts", "schools", "roads", "townships", "isochrones")


class Clock:
    """Seconds per step, in the order they ran."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []

    def time(self, name: str, work, *args, **kwargs):
        start = time.perf_counter()
        result = work(*args, **kwargs)
        self.steps.append((name, time.perf_counter() - start))
        return result


def greedy_plan(schools, seconds):
    """The schools with a nearest-core plan in the columns the map reads."""
    problem = Problem.from_schools(schools, seconds, Rules(), is_core=fifth_as_cores(schools))
    core_of = nearest_core_plan(problem)
    cores = np.unique(core_of)
    key = {core: f"D{rank + 1:03d}" for rank, core in enumerate(cores)}
    names = schools["name"].to_numpy()
    minutes = np.maximum(seconds, seconds.T)[np.arange(len(schools)), core_of] / SECONDS_PER_MINUTE
    frame = schools.assign(
        district=[key[c] for c in core_of],
        district_name=[f"{names[c]}学区" for c in core_of],
        core_name=names[core_of],
        core_school_id=schools["school_id"].to_numpy()[core_of],
        is_core=np.isin(np.arange(len(schools)), cores),
        minutes_to_core=np.where(np.isin(np.arange(len(schools)), cores), np.nan, minutes),
    )
    return frame


def territories(frame, network, nearest, boundary):
    """One polygon per district, as app.py draws them (network Voronoi clipped to the county)."""
    district = frame["district"].to_numpy()
    points = np.vstack([np.column_stack([frame.geometry.x, frame.geometry.y]), network.nodes[["x", "y"]].to_numpy()])
    labels = np.concatenate([district, district[nearest]])
    polygons = territory_polygons(points, labels, boundary=boundary)
    summary = frame.groupby("district").agg(n_schools=("school_id", "size"), enrollment=("enrollment", "sum"))
    names = frame[frame["is_core"]].set_index("district")[["district_name", "core_name"]]
    return polygons.join(names, on="district").join(summary, on="district")


def data_part_sizes(page: str) -> dict[str, int]:
    """Bytes of each part of the page's JSON plan data."""
    start = page.index('id="xq-plan-data">') + len('id="xq-plan-data">')
    data = json.loads(page[start : page.index("</script>", start)])
    return {part: len(json.dumps(data[part], ensure_ascii=False, separators=(",", ":")).encode()) for part in DATA_PARTS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2000, help="schools (default %(default)s)")
    parser.add_argument("--work-dir", type=Path, default=None, help="keep generated counties and caches here")
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    args = parser.parse_args()
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="xuequ-mapsize-"))
    clock = Clock()

    schools, seconds = clock.time("county, roads, travel times", county_tables, args.size, work_dir, args.seed)
    osm = generate_demo(work_dir / f"county-{args.size}-{args.seed}", seed=args.seed, scale=round(args.size / 129, 2)).osm
    network = read_road_network(osm, cache_dir=work_dir / "cache")
    engine = TravelTimeEngine(network)
    frame = clock.time("nearest-core plan", greedy_plan, schools, seconds)
    nearest, _ = engine.nearest_source(frame["node"].to_numpy(), toward=True)
    boundary = read_admin_areas(osm, levels=(COUNTY_LEVEL,)).geometry.union_all()
    districts = clock.time("territories", territories, frame, network, nearest, boundary)
    roads = clock.time("main roads", main_roads, network)
    townships = clock.time("townships", read_admin_areas, osm, levels=(TOWNSHIP_LEVEL,))
    cores = frame[frame["is_core"]]
    isochrones = clock.time(
        "isochrones", isochrone_polygons, engine, network, cores["node"].to_numpy(), DEFAULT_MAX_MINUTES * SECONDS_PER_MINUTE,
        boundary=boundary,
    ).assign(district=cores["district"].to_numpy(), minutes=DEFAULT_MAX_MINUTES)

    title = f"{len(frame):,} schools"
    full = clock.time("render map.html", lambda: offline_html(render_plan_map(
        frame, districts, title=title, roads=roads, townships=townships, isochrones=isochrones)))
    plain = clock.time("render, plan only", lambda: offline_html(render_plan_map(frame, districts, title=title)))

    size, reference = len(full.encode()), len(plain.encode())
    print(f"{len(frame):,} schools, {len(districts)} districts, {network.n_nodes:,} road nodes (the machine may be shared)")
    print(f"map.html: {size / 2**20:.2f} MB = {size / BUDGET_BYTES:.0%} of the 5 MB budget "
          f"({'within' if size <= BUDGET_BYTES else 'OVER'})")
    print(f"  the plan alone (no roads, townships, isochrones): {reference / 2**20:.2f} MB; "
          f"the full page is {size / reference:.2f}x that")
    print("  the page's data by part:")
    for part, part_size in data_part_sizes(full).items():
        print(f"    {part:<11} {part_size / 2**20:6.2f} MB  {part_size / size:5.1%}")
    print("time per step:")
    for name, seconds_taken in clock.steps:
        print(f"  {name:<28} {seconds_taken:7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
