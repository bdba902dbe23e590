"""学区 partition tool: the command line.

    python app.py demo [--out out/demo] [rule options]
    python app.py partition --osm FILE --schools TABLE --out DIR [rule options]

This module only wires the stages together: gis (schools, roads, travel times) -> partition
(problem, solve, territories, metrics) -> maps (map.html, report.html) and the plan files.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from data.demo import COUNTY_NAME, DEMO_NOTICE, ensure_demo
from gis.admin import COUNTY_LEVEL, TOWNSHIP_LEVEL, read_admin_areas
from gis.cache import default_cache_dir
from gis.coords import COORDINATE_SYSTEMS
from gis.download import download_extract, place_boundary
from gis.errors import InputError
from gis.files import staged_output_dir
from gis.match import match_schools
from gis.network import read_road_network, snap_schools
from gis.osm_schools import assign_townships, read_osm_schools
from gis.schema import INDICATORS
from gis.schools import read_school_table
from gis.traveltime import TravelTimeEngine, cached_matrix
from maps.assets import save_map
from maps.render import render_plan_map
from maps.report import render_report, save_report
from partition.cores import choose_cores
from partition.export import plan_frame, write_geojson, write_plan_csv, write_plan_json
from partition.levels import schools_for_level
from partition.metrics import between_district_cv, district_costs, district_summary, indicator_cv_table
from partition.problem import (
    DEFAULT_BALANCE,
    DEFAULT_MAX_MINUTES,
    DEFAULT_MEMBERS,
    LEVEL_CHOICES,
    SECONDS_PER_MINUTE,
    Problem,
    Rules,
)
from partition.rulesfile import PlannerRules, read_rules_file
from partition.solve import DEFAULT_TIME_LIMIT_S, available_cores, solve
from partition.standards import CV_LIMITS
from partition.territory import school_neighbours, territory_polygons

console = Console(stderr=True, highlight=False, soft_wrap=True)

OUTPUT_FILES = ("map.html", "report.html", "districts.geojson", "schools.geojson", "plan.csv", "plan.json")


@dataclass(frozen=True)
class Job:
    """One run: where the data comes from, the rules, and where the files go."""

    osm: Path | None
    schools: Path | None
    out: Path
    rules: Rules
    title: str
    place: str | None = None
    osm_schools: bool = False
    network_type: str = "drive"
    cache_dir: Path | None = None
    notice: str | None = None
    seed: int = 0
    time_limit: float = DEFAULT_TIME_LIMIT_S
    jobs: int = 1
    strict: bool = False
    coords: str = "wgs84"
    cores: str | int = "given"
    rules_file: Path | None = None


@contextmanager
def step(message: str) -> Iterator[None]:
    """Show a step while it runs and how long it took."""
    start = time.perf_counter()
    with console.status(message + " ..."):
        yield
    console.print(f"[green]✓[/green] {escape(message)} [dim]({time.perf_counter() - start:.1f} s)[/dim]")


def run(job: Job) -> dict[str, Path]:
    """Run the whole pipeline for ``job`` and write its files; return them by name."""
    osm, boundary = _osm_source(job)
    schools, planner = _load_schools(job, osm)
    with step(f"reading roads from {osm.name}"):
        network = read_road_network(osm, network_type=job.network_type, cache_dir=job.cache_dir)
        if boundary is None:
            county = read_admin_areas(osm, levels=(COUNTY_LEVEL,))
            boundary = county.geometry.union_all() if len(county) else None
    if network.from_cache:
        console.print(f"  [dim]roads from the cache in {job.cache_dir}[/dim]")
    with step(f"placing {len(schools)} schools on {network.n_nodes:,} road nodes"):
        schools = snap_schools(schools, network, strict=job.strict)
    with step("computing travel times between schools"):
        engine = TravelTimeEngine(network)
        nodes = schools["node"].to_numpy()
        sources = np.flatnonzero(_given_cores(schools, planner)) if job.cores == "given" else None  # K cores: all
        seconds, _ = cached_matrix(engine, nodes, sources=sources, cutoff=job.rules.horizon_s, cache_dir=job.cache_dir)
        nearest, _ = engine.nearest_source(nodes, toward=True)
    rules = replace(job.rules, locks=planner.locks)
    neighbours = school_neighbours(nearest, network.edges["u"].to_numpy(), network.edges["v"].to_numpy(), len(schools))
    problem = Problem.from_schools(schools, seconds, rules, is_core=_cores(job, schools, seconds, planner), neighbours=neighbours,
                                   horizon_s=job.rules.horizon_s)
    with step(f"solving: {len(problem.cores)} cores, {len(problem.members)} members"):
        plan = solve(problem, time_limit=job.time_limit, seed=job.seed, jobs=job.jobs,
                     all_times=lambda: cached_matrix(engine, nodes, sources=problem.cores, cache_dir=job.cache_dir)[0])
    with step("drawing territories and scoring the plan"):
        frame = plan_frame(plan, problem, schools)
        districts = _territories(frame, network, nearest, boundary)
        summary = district_summary(frame).merge(district_costs(frame), on="district")
        cv_table = indicator_cv_table(frame)
    with step(f"writing files to {job.out}"), staged_output_dir(job.out) as stage:
        _write_outputs(stage, job, plan, frame, districts, summary, cv_table)
    _print_summary(plan, frame, summary, job.out)
    return {name: job.out / name for name in OUTPUT_FILES}


def _osm_source(job: Job) -> tuple[Path, object]:
    """The OSM file to read (downloaded for ``--place``) and the area's outline when known."""
    if job.place is None:
        return job.osm, None
    with step(f"downloading OpenStreetMap data for {job.place}"):
        boundary = place_boundary(job.place)
        return download_extract(boundary, job.cache_dir or Path(tempfile.mkdtemp(prefix="xuequ-"))), boundary


def _load_schools(job: Job, osm: Path):
    """The schools of the plan (table, OSM, or both matched) and the planner's rules file."""
    source = job.schools.name if job.schools else f"OpenStreetMap ({osm.name})"
    with step(f"reading schools from {source}"):
        table = read_school_table(job.schools, coords=job.coords, strict=job.strict) if job.schools else None
        mapped = read_osm_schools(osm, strict=job.strict) if job.osm_schools or table is None else None
        if table is not None and mapped is not None:
            matched = match_schools(table, mapped)
            console.print(f"  [dim]{escape(matched.summary())}[/dim]")
            schools = matched.schools
        else:
            schools = table if table is not None else mapped
        schools = assign_townships(schools, read_admin_areas(osm, levels=(TOWNSHIP_LEVEL,)))
        schools = schools_for_level(schools, job.rules.level)
        planner = read_rules_file(job.rules_file, set(schools["school_id"])) if job.rules_file else PlannerRules()
        _check_indicator(job.rules, schools)
    return schools, planner


def _check_indicator(rules: Rules, schools) -> None:
    if rules.indicator_band and (rules.indicator_band[0] not in schools or schools[rules.indicator_band[0]].isna().all()):
        raise InputError(f"--indicator-band: the table has no values for '{rules.indicator_band[0]}'; "
                         f"use one of {', '.join(c for c in INDICATORS if c in schools)}")


def _given_cores(schools, planner: PlannerRules) -> np.ndarray:
    """The table's quality flag, with the rules file's pinned cores."""
    return schools["is_core"].to_numpy(bool) | schools["school_id"].isin(planner.cores).to_numpy()


def _cores(job: Job, schools, seconds: np.ndarray, planner: PlannerRules) -> np.ndarray:
    """The table's quality flag, or K cores chosen by quality and coverage (pinned ones kept)."""
    if job.cores == "given":
        return _given_cores(schools, planner)
    pinned = tuple(int(i) for i in np.flatnonzero(schools["school_id"].isin(planner.cores)))
    if job.cores > len(schools):
        raise InputError(f"--cores {job.cores}: there are only {len(schools)} schools; choose fewer cores")
    minutes = np.maximum(seconds, seconds.T) / SECONDS_PER_MINUTE
    return choose_cores(schools, minutes, job.cores, max_minutes=job.rules.max_minutes, pinned=pinned)


def _territories(frame, network, nearest: np.ndarray, boundary):
    """学区 polygons: every road node goes with the school it reaches first, clipped to ``boundary``."""
    district = frame["district"].to_numpy()
    points = np.vstack([np.column_stack([frame.geometry.x, frame.geometry.y]), network.nodes[["x", "y"]].to_numpy()])
    labels = np.concatenate([district, district[nearest]])
    assigned = labels != ""
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
                           cv_table=cv_table, between_cv=between_district_cv(frame), cv_limits=CV_LIMITS,
                           notice=job.notice)
    save_report(report, stage / "report.html")


def _print_summary(plan, frame, summary, out: Path) -> None:
    table = Table(title=f"{len(summary)} 学区 — {plan.status}, gap {plan.gap:.4%}")
    for column in ("学区", "schools", "enrollment", "deviation", "max min"):
        table.add_column(column, justify="right")
    for row in summary.itertuples():
        table.add_row(row.district, str(row.n_schools), f"{row.enrollment:,}", f"{row.deviation:+.1%}", f"{row.max_minutes:.1f}")
    console.print(table)
    left_out = frame[frame["district"] == ""]
    if len(left_out):
        console.print(f"[yellow]{len(left_out)} school(s) reach no core and are left out:[/yellow] "
                      + escape(", ".join(left_out["name"])))
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


def _cores_option(text: str) -> str | int:
    if text == "given":
        return text
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise argparse.ArgumentTypeError(f"'{text}': write 'given' or a number of cores, e.g. 24")


def _indicator_band(text: str) -> tuple[str, float]:
    name, _, share = text.partition(":")
    if name not in INDICATORS:
        raise argparse.ArgumentTypeError(f"'{name}' is not an indicator; use one of {', '.join(INDICATORS)}")
    try:
        return name, float(share)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': write INDICATOR:X, e.g. {INDICATORS[0]}:0.2") from None


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    rules = parser.add_argument_group("rules")
    rules.add_argument("--max-minutes", type=float, default=DEFAULT_MAX_MINUTES,
                       help="travel limit between a member and its core, both directions (default %(default)s)")
    rules.add_argument("--members", type=_members, default=DEFAULT_MEMBERS, metavar="MIN-MAX",
                       help="member schools per core, the core not counted (default 2-6)")
    rules.add_argument("--balance", type=float, default=DEFAULT_BALANCE,
                       help="each 学区's enrollment within ±this share of the mean (default %(default)s)")
    rules.add_argument("--level", choices=LEVEL_CHOICES, default="all",
                       help="plan all schools together, or the primary or junior schools alone (default %(default)s)")
    rules.add_argument("--cores", type=_cores_option, default="given", metavar="given|K",
                       help="cores from the table's 是否优质 flag, or K cores chosen by quality and coverage")
    rules.add_argument("--allow-unassigned", action="store_true",
                       help="leave out (and list) the schools that reach no core instead of failing")
    rules.add_argument("--min-rural", type=int, default=None, metavar="N",
                       help="each 学区 holds at least N town/rural schools where it can reach them (城乡联建)")
    rules.add_argument("--indicator-band", type=_indicator_band, default=None, metavar="INDICATOR:X",
                       help="each 学区's enrollment-weighted mean of INDICATOR within ±X of the county's")
    rules.add_argument("--keep-township", action="store_true", help="keep each 乡镇/街道's schools in one 学区")
    rules.add_argument("--contiguity", action="store_true",
                       help="grow 学区 outward from their core through touching territories")
    rules.add_argument("--rules", type=Path, default=None, dest="rules_file", metavar="FILE",
                       help="YAML/JSON file of fixed assignments, keep-together/apart pairs and pinned cores")
    rules.add_argument("--objective", choices=("sum", "max"), default="sum",
                       help="sum: least student-minutes; max: least longest trip first, then least student-minutes")
    rules.add_argument("--seed", type=int, default=0, help="solver seed (default %(default)s)")
    rules.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S,
                       help="seconds the exact solver may run (default %(default)s)")
    rules.add_argument("--jobs", type=int, default=available_cores(),
                       help="CPU cores for the independent parts of a large plan (default: all %(default)s here)")
    rules.add_argument("--strict", action="store_true", help="stop at the first bad row instead of dropping it")
    data = parser.add_argument_group("data")
    data.add_argument("--network", choices=("drive", "walk"), default="drive", dest="network_type",
                      help="travel by road vehicle or on foot (default %(default)s)")
    data.add_argument("--cache-dir", type=Path, default=default_cache_dir(),
                      help="where prepared road networks and travel times are kept (default %(default)s)")
    data.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="app.py", description="Group schools into balanced 学区 around core schools.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run on the embedded synthetic demo county")
    demo.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder (default %(default)s)")
    _add_rule_options(demo)
    part = commands.add_parser("partition", help="run on your own OSM data and school table")
    roads = part.add_mutually_exclusive_group(required=True)
    roads.add_argument("--osm", type=Path, help="local OSM file (.osm, .osm.bz2, .osm.pbf) covering the schools")
    roads.add_argument("--place", help="download OpenStreetMap data for a named place (needs the internet)")
    part.add_argument("--schools", type=Path, help="school table (.csv, .xlsx, .geojson, .gpkg); "
                      "without it, the schools mapped in OpenStreetMap are used")
    part.add_argument("--osm-schools", action="store_true",
                      help="also read the schools mapped in OpenStreetMap and match them with the table")
    part.add_argument("--out", type=Path, required=True, help="output folder")
    part.add_argument("--coords", choices=COORDINATE_SYSTEMS, default="wgs84",
                      help="coordinate system of the table: gcj02 for Amap/Tencent, bd09 for Baidu (default %(default)s)")
    part.add_argument("--title", default="学区划分方案", help="title of the map and report")
    _add_rule_options(part)
    return parser


def job_from_args(args: argparse.Namespace) -> Job:
    """Turn parsed arguments into a :class:`Job`."""
    for name in ("max_minutes", "balance", "time_limit", "jobs"):
        if getattr(args, name) <= 0:
            raise InputError(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    rules = Rules(
        max_minutes=args.max_minutes, members=args.members, balance=args.balance, level=args.level,
        allow_unassigned=args.allow_unassigned, min_rural=args.min_rural, indicator_band=args.indicator_band,
        keep_township=args.keep_township, contiguity=args.contiguity, objective=args.objective,
    )
    common = dict(out=args.out, rules=rules, seed=args.seed, time_limit=args.time_limit, jobs=args.jobs, strict=args.strict,
                  cores=args.cores, rules_file=args.rules_file, network_type=args.network_type,
                  cache_dir=None if args.no_cache else args.cache_dir)
    if args.command == "demo":
        with step("preparing the demo county"):
            files = ensure_demo()
        return Job(osm=files.osm, schools=files.schools, title=f"{COUNTY_NAME}学区划分方案", notice=DEMO_NOTICE, **common)
    return Job(osm=args.osm, schools=args.schools, title=args.title, coords=args.coords, place=args.place,
               osm_schools=args.osm_schools, **common)


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
