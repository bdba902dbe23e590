"""学区 partition tool: the command line.

    python app.py demo [--out out/demo] [rule options]
    python app.py partition --osm FILE --schools TABLE --out DIR [rule options]

This module only wires the stages together: gis (schools, roads, travel times) -> partition
(problem, solve, territories, metrics) -> maps (map.html, report.html) and the plan files.
"""

# ruff: noqa: E402 (Ctrl-C is taken care of before the libraries load, which takes seconds)
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

INTERRUPTED = "interrupted; nothing was written"


def _end_while_loading(signum, frame) -> None:
    sys.stderr.write(f"\n{INTERRUPTED}\n")
    os._exit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, _end_while_loading)

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from data.demo import COUNTY_NAME, DEMO_NOTICE, ensure_demo
from gis.admin import COUNTY_LEVEL, TOWNSHIP_LEVEL, read_admin_areas
from gis.badrows import BadRowsWarning, write_bad_rows
from gis.cache import default_cache_dir
from gis.coords import COORDINATE_SYSTEMS
from gis.download import download_extract, place_boundary
from gis.errors import InputError
from gis.files import discard_partial_output, prepare_output_dir, staged_output_dir
from gis.interrupt import end_on_interrupt, exit_code
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
from partition.export import is_plan_folder, plan_frame, write_geojson, write_plan_csv, write_plan_json
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

console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

OUTPUT_FILES = ("map.html", "report.html", "districts.geojson", "schools.geojson", "plan.csv", "plan.json")
#: Exit codes: a bad file or impossible request; a run that failed for another reason (a full disk, a bug).
EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
#: Ranges of the numeric options: a travel limit up to a day, shares (balance, indicator band) up to
#: 10x the mean, a time limit up to a week, whole numbers that fit the solvers' 32-bit seeds.
MAX_MINUTES = 24 * 60.0
MAX_SHARE = 10.0
MAX_TIME_LIMIT_S = 7 * 24 * 3600.0
MAX_WHOLE = 2**31 - 1


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
    with console.status(escape(message) + " ..."):
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
        console.print(f"  [dim]roads from the cache in {escape(str(job.cache_dir))}[/dim]")
    with step(f"placing {len(schools)} schools on {network.n_nodes:,} road nodes"):
        schools = snap_schools(schools, network, strict=job.strict)
    with step("computing travel times between schools"):
        engine = TravelTimeEngine(network)
        seconds, _ = cached_matrix(engine, schools["node"].to_numpy(), cache_dir=job.cache_dir)
        nearest, _ = engine.nearest_source(schools["node"].to_numpy(), toward=True)
    rules = replace(job.rules, locks=planner.locks)
    neighbours = school_neighbours(nearest, network.edges["u"].to_numpy(), network.edges["v"].to_numpy(), len(schools))
    problem = Problem.from_schools(schools, seconds, rules, is_core=_cores(job, schools, seconds, planner), neighbours=neighbours)
    with step(f"solving: {len(problem.cores)} cores, {len(problem.members)} members"):
        plan = solve(problem, time_limit=job.time_limit, seed=job.seed, jobs=job.jobs)
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


def _cores(job: Job, schools, seconds: np.ndarray, planner: PlannerRules) -> np.ndarray:
    """The table's quality flag, or K cores chosen by quality and coverage (pinned ones kept)."""
    pinned = tuple(int(i) for i in np.flatnonzero(schools["school_id"].isin(planner.cores)))
    if job.cores == "given":
        flagged = schools["is_core"].to_numpy(bool).copy()
        flagged[list(pinned)] = True
        return flagged
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
        console.print(f"  {escape(str(out / name))}")


def _number(kind: type[int] | type[float], low: float, high: float, *, above: bool = False) -> Callable[[str], int | float]:
    """An argparse type: a finite ``kind`` from ``low`` (or above it) up to ``high``, else a message with the range."""
    if kind is int:
        allowed = f"a whole number from {low:,} to {high:,}"
    else:
        allowed = f"a number {'above' if above else 'from'} {low:g} {'and at most' if above else 'to'} {high:g}"

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not {'a whole number' if kind is int else 'a number'}; give {allowed}") from None
        if not (math.isfinite(value) and (low < value if above else low <= value) and value <= high):
            raise argparse.ArgumentTypeError(f"'{text}' is out of range; give {allowed}")
        return value

    parse.__name__ = kind.__name__
    return parse


_minutes = _number(float, 0, MAX_MINUTES, above=True)
_share = _number(float, 0, MAX_SHARE, above=True)
_seconds = _number(float, 0, MAX_TIME_LIMIT_S, above=True)
_count = _number(int, 0, MAX_WHOLE)
_positive_count = _number(int, 1, MAX_WHOLE)


def _members(text: str) -> tuple[int, int]:
    low, dash, high = text.partition("-")
    if not (low.strip() and dash and high.strip()):
        raise argparse.ArgumentTypeError(f"'{text}' is not a range; write it as MIN-MAX, e.g. 2-6")
    low, high = _count(low), _count(high)
    if low > high:
        raise argparse.ArgumentTypeError(f"'{text}': need MIN <= MAX")
    return low, high


def _cores_option(text: str) -> str | int:
    if text == "given":
        return text
    try:
        return _positive_count(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc}, or 'given'") from None


def _indicator_band(text: str) -> tuple[str, float]:
    name, colon, share = text.partition(":")
    if name not in INDICATORS:
        raise argparse.ArgumentTypeError(f"'{name}' is not an indicator; use one of {', '.join(INDICATORS)}")
    if not colon:
        raise argparse.ArgumentTypeError(f"'{text}': write INDICATOR:X, e.g. {INDICATORS[0]}:0.2")
    return name, _share(share)


def _out_dir(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("the output folder has no name; give one (. for the current folder)")
    return Path(text)


def _add_output_options(parser: argparse.ArgumentParser, **out) -> None:
    parser.add_argument("--out", type=_out_dir, **out)
    parser.add_argument("--overwrite", action="store_true",
                        help="write into a folder that holds files this tool did not write (they are kept, "
                             "except those named like the plan files)")


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    rules = parser.add_argument_group("rules")
    rules.add_argument("--max-minutes", type=_minutes, default=DEFAULT_MAX_MINUTES,
                       help="travel limit between a member and its core, both directions (default %(default)s)")
    rules.add_argument("--members", type=_members, default=DEFAULT_MEMBERS, metavar="MIN-MAX",
                       help="member schools per core, the core not counted (default 2-6)")
    rules.add_argument("--balance", type=_share, default=DEFAULT_BALANCE,
                       help="each 学区's enrollment within ±this share of the mean (default %(default)s)")
    rules.add_argument("--level", choices=LEVEL_CHOICES, default="all",
                       help="plan all schools together, or the primary or junior schools alone (default %(default)s)")
    rules.add_argument("--cores", type=_cores_option, default="given", metavar="given|K",
                       help="cores from the table's 是否优质 flag, or K cores chosen by quality and coverage")
    rules.add_argument("--allow-unassigned", action="store_true",
                       help="leave out (and list) the schools that reach no core instead of failing")
    rules.add_argument("--min-rural", type=_positive_count, default=None, metavar="N",
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
    rules.add_argument("--seed", type=_count, default=0, help="solver seed (default %(default)s)")
    rules.add_argument("--time-limit", type=_seconds, default=DEFAULT_TIME_LIMIT_S,
                       help="seconds the exact solver may run (default %(default)s)")
    rules.add_argument("--jobs", type=_positive_count, default=available_cores(),
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
    _add_output_options(demo, default=Path("out/demo"), help="output folder (default %(default)s)")
    _add_rule_options(demo)
    part = commands.add_parser("partition", help="run on your own OSM data and school table")
    roads = part.add_mutually_exclusive_group(required=True)
    roads.add_argument("--osm", type=Path, help="local OSM file (.osm, .osm.bz2, .osm.pbf) covering the schools")
    roads.add_argument("--place", help="download OpenStreetMap data for a named place (needs the internet)")
    part.add_argument("--schools", type=Path, help="school table (.csv, .xlsx, .geojson, .gpkg); "
                      "without it, the schools mapped in OpenStreetMap are used")
    part.add_argument("--osm-schools", action="store_true",
                      help="also read the schools mapped in OpenStreetMap and match them with the table")
    _add_output_options(part, required=True, help="output folder")
    part.add_argument("--coords", choices=COORDINATE_SYSTEMS, default="wgs84",
                      help="coordinate system of the table: gcj02 for Amap/Tencent, bd09 for Baidu (default %(default)s)")
    part.add_argument("--title", default="学区划分方案", help="title of the map and report")
    _add_rule_options(part)
    return parser


def job_from_args(args: argparse.Namespace) -> Job:
    """Turn parsed arguments into a :class:`Job`."""
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


def _show_warning(dropped: list, message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning on one line; keep the rows a :class:`BadRowsWarning` dropped."""
    if isinstance(message, BadRowsWarning):
        dropped.extend(message.rows)
    console.print(f"[yellow]warning:[/yellow] {escape(str(message))}")


def _say_interrupted(signum: int) -> None:
    console.show_cursor(True)
    console.print(f"\n{INTERRUPTED}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and what is wrong (or the help)
        return exc.code
    dropped: list = []
    warnings.showwarning = partial(_show_warning, dropped)
    with end_on_interrupt(_say_interrupted):
        try:
            prepare_output_dir(args.out, overwrite=args.overwrite, is_ours=is_plan_folder)
            run(job_from_args(args))
            write_bad_rows(dropped, args.out)
        except InputError as exc:
            console.print(f"[red]error:[/red] {escape(str(exc))}")
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:  # only where the watcher could not be set up (not the main thread)
            discard_partial_output()
            _say_interrupted(signal.SIGINT)
            return exit_code(signal.SIGINT)
        except OSError as exc:
            console.print(f"[red]error:[/red] {escape(_os_error_text(exc))}")
            return EXIT_FAILED
        except Exception as exc:  # a bug: one line here, the traceback in a file for the report
            console.print(f"[red]internal error:[/red] {escape(f'{type(exc).__name__}: {exc}')}; "
                          f"please report it with the command you ran and {escape(_save_traceback())}")
            return EXIT_FAILED
    return 0


def _os_error_text(exc: OSError) -> str:
    """What the system refused, on which file: "out/plan.csv: No space left on device"."""
    where = ": ".join(str(name) for name in (exc.filename, exc.filename2) if name is not None)
    return f"{where}: {exc.strerror or exc}" if where else str(exc)


def _save_traceback() -> str:
    with tempfile.NamedTemporaryFile("w", prefix="xuequ-error-", suffix=".txt", delete=False) as file:
        file.write(traceback.format_exc())
    return file.name


if __name__ == "__main__":
    sys.exit(main())
