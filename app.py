"""学区 partition tool: the command line.

    python app.py demo [--out out/demo] [rule options]
    python app.py partition --osm FILE --schools TABLE --out DIR [rule options]

This module only wires the stages together: gis (schools, roads, travel times) -> partition
(problem, solve, territories, metrics) -> maps (map.html, report.html) and the plan files.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from data.demo import COUNTY_NAME, DEMO_NOTICE, ensure_demo
from gis.admin import COUNTY_LEVEL, read_admin_areas
from gis.coords import COORDINATE_SYSTEMS
from gis.errors import InputError
from gis.files import staged_output_dir
from gis.network import read_road_network, snap_schools
from gis.schools import read_school_table
from gis.traveltime import TravelTimeEngine
from maps.assets import save_map
from maps.render import render_plan_map
from maps.report import render_report, save_report
from partition.export import plan_frame, write_geojson, write_plan_csv, write_plan_json
from partition.metrics import district_summary, indicator_cv_table
from partition.problem import DEFAULT_BALANCE, DEFAULT_MAX_MINUTES, DEFAULT_MEMBERS, Problem, Rules
from partition.solve import DEFAULT_TIME_LIMIT_S, solve
from partition.standards import CV_LIMITS
from partition.territory import territory_polygons

console = Console(stderr=True, highlight=False, soft_wrap=True)

OUTPUT_FILES = ("map.html", "report.html", "districts.geojson", "schools.geojson", "plan.csv", "plan.json")


@dataclass(frozen=True)
class Job:
    """One run: where the data comes from, the rules, and where the files go."""

    osm: Path
    schools: Path
    out: Path
    rules: Rules
    title: str
    notice: str | None = None
    seed: int = 0
    time_limit: float = DEFAULT_TIME_LIMIT_S
    strict: bool = False
    coords: str = "wgs84"


@contextmanager
def step(message: str) -> Iterator[None]:
    """Show a step while it runs and how long it took."""
    start = time.perf_counter()
    with console.status(message + " ..."):
        yield
    console.print(f"[green]✓[/green] {escape(message)} [dim]({time.perf_counter() - start:.1f} s)[/dim]")


def run(job: Job) -> dict[str, Path]:
    """Run the whole pipeline for ``job`` and write its files; return them by name."""
    with step(f"reading schools from {job.schools.name}"):
        schools = read_school_table(job.schools, coords=job.coords, strict=job.strict)
    with step(f"reading roads from {job.osm.name}"):
        network = read_road_network(job.osm)
        county = read_admin_areas(job.osm, levels=(COUNTY_LEVEL,))
    with step(f"placing {len(schools)} schools on {network.n_nodes:,} road nodes"):
        schools = snap_schools(schools, network, strict=job.strict)
    with step("computing travel times between schools"):
        engine = TravelTimeEngine(network)
        nodes = schools["node"].to_numpy()
        problem = Problem(
            school_ids=tuple(schools["school_id"]),
            enrollment=schools["enrollment"].to_numpy(),
            is_core=schools["is_core"].to_numpy(),
            seconds=engine.matrix(nodes),
            rules=job.rules,
            names=tuple(schools["name"]),
        )
    with step(f"solving: {int(problem.is_core.sum())} cores, {len(problem.members)} members"):
        plan = solve(problem, time_limit=job.time_limit, seed=job.seed)
    with step("drawing territories and scoring the plan"):
        frame = plan_frame(plan, problem, schools)
        districts = _territories(frame, network, engine, county)
        summary = district_summary(frame)
        cv_table = indicator_cv_table(frame)
    with step(f"writing files to {job.out}"), staged_output_dir(job.out) as stage:
        _write_outputs(stage, job, plan, frame, districts, summary, cv_table)
    _print_summary(plan, summary, job.out)
    return {name: job.out / name for name in OUTPUT_FILES}


def _territories(frame, network, engine: TravelTimeEngine, county):
    """学区 polygons: every road node goes with the school it reaches first."""
    nearest, _ = engine.nearest_source(frame["node"].to_numpy(), toward=True)
    district = frame["district"].to_numpy()
    points = np.vstack([np.column_stack([frame.geometry.x, frame.geometry.y]), network.nodes[["x", "y"]].to_numpy()])
    labels = np.concatenate([district, district[nearest]])
    assigned = labels != ""
    boundary = county.geometry.union_all() if len(county) else None
    territories = territory_polygons(points[assigned], labels[assigned], boundary=boundary)
    names = frame[frame["is_core"]].set_index("district")
    return territories.join(names[["district_name", "core_name"]], on="district")


def _write_outputs(stage: Path, job: Job, plan, frame, districts, summary, cv_table) -> None:
    described = districts.merge(summary[["district", "n_schools", "enrollment"]], on="district")
    write_plan_csv(frame.drop(columns=["node", "snap_m", "source_row"]), stage / "plan.csv")
    write_plan_json(plan, stage / "plan.json", title=job.title, notice=job.notice, n_schools=len(frame))
    write_geojson(frame[["school_id", "name", "level", "enrollment", "is_core", "district", "district_name",
                         "core_school_id", "minutes_to_core", "minutes_from_core", "geometry"]], stage / "schools.geojson")
    write_geojson(described, stage / "districts.geojson")
    save_map(render_plan_map(frame, described, title=job.title, notice=job.notice), stage / "map.html")
    named = summary.merge(districts[["district", "district_name", "core_name"]], on="district")
    report = render_report(title=job.title, plan=plan.summary(), districts=named, schools=frame,
                           cv_table=cv_table, cv_limits=CV_LIMITS, notice=job.notice)
    save_report(report, stage / "report.html")


def _print_summary(plan, summary, out: Path) -> None:
    table = Table(title=f"{len(summary)} 学区 — {plan.status}, gap {plan.gap:.4%}")
    for column in ("学区", "schools", "enrollment", "deviation", "max min"):
        table.add_column(column, justify="right")
    for row in summary.itertuples():
        table.add_row(row.district, str(row.n_schools), f"{row.enrollment:,}", f"{row.deviation:+.1%}", f"{row.max_minutes:.1f}")
    console.print(table)
    for name in OUTPUT_FILES:
        console.print(f"  {out / name}")


def _members(text: str) -> tuple[int, int]:
    try:
        low, high = (int(x) for x in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a range; write it as MIN-MAX, e.g. 2-6") from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError(f"'{text}': need 0 <= MIN <= MAX")
    return low, high


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    rules = parser.add_argument_group("rules")
    rules.add_argument("--max-minutes", type=float, default=DEFAULT_MAX_MINUTES,
                       help="travel limit between a member and its core, both directions (default %(default)s)")
    rules.add_argument("--members", type=_members, default=DEFAULT_MEMBERS, metavar="MIN-MAX",
                       help="member schools per core, the core not counted (default 2-6)")
    rules.add_argument("--balance", type=float, default=DEFAULT_BALANCE,
                       help="each 学区's enrollment within ±this share of the mean (default %(default)s)")
    rules.add_argument("--seed", type=int, default=0, help="solver seed (default %(default)s)")
    rules.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S,
                       help="seconds the exact solver may run (default %(default)s)")
    rules.add_argument("--strict", action="store_true", help="stop at the first bad row instead of dropping it")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="app.py", description="Group schools into balanced 学区 around core schools.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run on the embedded synthetic demo county")
    demo.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder (default %(default)s)")
    _add_rule_options(demo)
    part = commands.add_parser("partition", help="run on your own OSM file and school table")
    part.add_argument("--osm", type=Path, required=True, help="local OSM file (.osm, .osm.bz2, .osm.pbf)")
    part.add_argument("--schools", type=Path, required=True, help="school table (.csv or .xlsx)")
    part.add_argument("--out", type=Path, required=True, help="output folder")
    part.add_argument("--coords", choices=COORDINATE_SYSTEMS, default="wgs84",
                      help="coordinate system of the table: gcj02 for Amap/Tencent, bd09 for Baidu (default %(default)s)")
    part.add_argument("--title", default="学区划分方案", help="title of the map and report")
    _add_rule_options(part)
    return parser


def job_from_args(args: argparse.Namespace) -> Job:
    """Turn parsed arguments into a :class:`Job`."""
    for name in ("max_minutes", "balance", "time_limit"):
        if getattr(args, name) <= 0:
            raise InputError(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    rules = Rules(max_minutes=args.max_minutes, members=args.members, balance=args.balance)
    common = dict(out=args.out, rules=rules, seed=args.seed, time_limit=args.time_limit, strict=args.strict)
    if args.command == "demo":
        with step("preparing the demo county"):
            files = ensure_demo()
        return Job(osm=files.osm, schools=files.schools, title=f"{COUNTY_NAME}学区划分方案", notice=DEMO_NOTICE, **common)
    return Job(osm=args.osm, schools=args.schools, title=args.title, coords=args.coords, **common)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    console.print(f"[yellow]warning:[/yellow] {escape(str(message))}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        run(job_from_args(args))
    except InputError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
