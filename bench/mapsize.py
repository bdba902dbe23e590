"""Benchmark: the size of map.html for a county of about 2,000 schools (the budget is 5 MB).

    python bench/mapsize.py [--size 2000] [--work-dir DIR] [--seed 20261123]

The demo county scaled to ``--size`` schools goes through the real pipeline up to the solve
(``generate_demo``, ``read_school_table``, ``read_road_network``, :func:`partition.pipeline.prepare`);
a fifth of the schools are cores and every member joins its nearest core (the solver's plan has
the same schools, districts and territories, and takes minutes), then
:meth:`~partition.pipeline.Prepared.result` draws the territories and :mod:`maps.outputs` the
roads, townships and 30-minute isochrones as every run does. It prints the page's size against
the budget, what each part of the page's data takes, and the plan alone (no context layers) as
the reference measured in the same run; then the time each step took, the printed figure's
included. It asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from a checkout

from bench.partition import SCHOOLS_PER_SCALE, fifth_as_cores, nearest_core_plan  # noqa: E402
from data.demo import DEMO_SEED, generate_demo  # noqa: E402
from gis.network import read_road_network  # noqa: E402
from gis.schools import read_school_table  # noqa: E402
from maps.assets import offline_html  # noqa: E402
from maps.figure import figure_bytes  # noqa: E402
from maps.outputs import map_context, plan_figure, plan_map  # noqa: E402
from maps.render import render_plan_map  # noqa: E402
from partition.pipeline import prepare  # noqa: E402
from partition.plan import Plan  # noqa: E402
from partition.rules import Rules  # noqa: E402

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


def nearest_core_result(size: int, work_dir: Path, seed: int, clock: Clock):
    """The :class:`partition.Result` of a nearest-core plan on a demo county of about ``size`` schools."""
    files = clock.time("generate the county", generate_demo, work_dir / f"county-{size}-{seed}", seed=seed,
                       scale=round(size / SCHOOLS_PER_SCALE, 2))
    schools = read_school_table(files.schools)
    roads = clock.time("read roads", read_road_network, files.osm, cache_dir=work_dir / "cache")
    schools = schools.assign(is_core=fifth_as_cores(schools))
    prepared = clock.time("prepare (snap, travel times)", prepare, schools, roads, Rules(), cache_dir=work_dir / "cache")
    problem = prepared.problem
    plan = Plan.from_assignment(problem, nearest_core_plan(problem), solver="nearest core", status="feasible",
                                objective=0.0, bound=0.0, gap=1.0, seed=seed)
    return clock.time("territories and figures", prepared.result, plan)


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

    result = nearest_core_result(args.size, work_dir, args.seed, clock)
    context = clock.time("roads, townships, isochrones", map_context, result)
    title = f"{len(result.schools):,} schools"
    full = clock.time("render map.html", lambda: offline_html(plan_map(result, title=title, context=context)))
    plain = clock.time("render, plan only", lambda: offline_html(render_plan_map(result.schools, result.districts, title=title)))
    figure = clock.time("draw the figure", plan_figure, result, title=title, context=context)
    clock.time("map.png", figure_bytes, figure, "png")
    clock.time("map.pdf", figure_bytes, figure, "pdf")

    size, reference = len(full.encode()), len(plain.encode())
    print(f"{len(result.schools):,} schools, {len(result.districts)} districts, {result.roads.n_nodes:,} road nodes "
          "(the machine may be shared)")
    print(f"map.html: {size / 2**20:.2f} MB = {size / BUDGET_BYTES:.0%} of the 5 MB budget "
          f"({'within' if size <= BUDGET_BYTES else 'OVER'})")
    print(f"  the plan alone (no roads, townships, isochrones): {reference / 2**20:.2f} MB; "
          f"the full page is {size / reference:.2f}x that")
    print("  the page's data by part:")
    for part, part_size in data_part_sizes(full).items():
        print(f"    {part:<11} {part_size / 2**20:6.2f} MB  {part_size / size:5.1%}")
    print("time per step:")
    for name, seconds_taken in clock.steps:
        print(f"  {name:<30} {seconds_taken:7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
