"""学区 partition tool: the command line.

    python app.py demo [--out out/demo] [rule options]
    python app.py partition --osm FILE --schools TABLE --out DIR [rule options]

This module only reads the options, the inputs and the rules file, hands them to
:func:`partition.plan_districts`, writes the files with :func:`maps.write_plan_files`, and shows
progress and messages. Every step of the work is in the packages.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from data.demo import COUNTY_NAME, DEMO_NOTICE, ensure_demo
from gis.cache import default_cache_dir
from gis.coords import COORDINATE_SYSTEMS
from gis.download import download_extract, place_boundary
from gis.errors import InputError
from gis.match import match_schools
from gis.network import read_road_network
from gis.osm_schools import read_osm_schools
from gis.progress import STEP_SECONDS, STEP_STARTED, logged_step
from gis.schema import INDICATORS
from gis.schools import read_school_table
from maps.outputs import DEFAULT_TITLE, write_plan_files
from partition.pipeline import Result, plan_districts
from partition.rules import DEFAULT_BALANCE, DEFAULT_MAX_MINUTES, DEFAULT_MEMBERS, GIVEN_CORES, LEVEL_CHOICES, RuleError, Rules
from partition.rulesfile import read_rules_file
from partition.solve import DEFAULT_TIME_LIMIT_S, available_cores

console = Console(stderr=True, highlight=False, soft_wrap=True)
logger = logging.getLogger("app")
#: The loggers whose progress the command line shows: one per package.
PROGRESS_LOGGERS = ("app", "gis", "partition", "maps")


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
    rules_file: Path | None = None
    verbose: bool = False


def run(job: Job) -> dict[str, Path]:
    """Run the whole pipeline for ``job`` and write its files; return them by name."""
    rules = replace(job.rules, locks=read_rules_file(job.rules_file)) if job.rules_file else job.rules
    osm, boundary = _osm_source(job)
    schools = _read_schools(job, osm)
    with logged_step(logger, f"reading roads from {osm.name}"):
        roads = read_road_network(osm, network_type=job.network_type, cache_dir=job.cache_dir)
    if roads.from_cache:
        logger.info("roads from the cache in %s", job.cache_dir)
    result = plan_districts(schools, roads, rules, boundary=boundary, time_limit=job.time_limit, seed=job.seed,
                            jobs=job.jobs, strict=job.strict, cache_dir=job.cache_dir, verbose=job.verbose)
    with logged_step(logger, f"writing files to {job.out}"):
        files = write_plan_files(result, job.out, title=job.title, notice=job.notice)
    _print_summary(result, files)
    return files


def _osm_source(job: Job) -> tuple[Path, object]:
    """The OSM file to read (downloaded for ``--place``) and the area's outline when known."""
    if job.place is None:
        return job.osm, None
    with logged_step(logger, f"downloading OpenStreetMap data for {job.place}"):
        boundary = place_boundary(job.place)
        return download_extract(boundary, job.cache_dir or Path(tempfile.mkdtemp(prefix="xuequ-"))), boundary


def _read_schools(job: Job, osm: Path):
    """The schools: the bureau's table, the schools mapped in OSM, or both matched."""
    source = job.schools.name if job.schools else f"OpenStreetMap ({osm.name})"
    with logged_step(logger, f"reading schools from {source}"):
        table = read_school_table(job.schools, coords=job.coords, strict=job.strict) if job.schools else None
        mapped = read_osm_schools(osm, strict=job.strict) if job.osm_schools or table is None else None
    if table is None or mapped is None:
        return table if table is not None else mapped
    matched = match_schools(table, mapped)
    logger.info("%s", matched.summary())
    return matched.schools


def _print_summary(result: Result, files: dict[str, Path]) -> None:
    plan = result.plan
    table = Table(title=f"{len(result.districts)} 学区 — {plan.status}, gap {plan.gap:.4%}")
    for column in ("学区", "schools", "enrollment", "deviation", "max min"):
        table.add_column(column, justify="right")
    for row in result.districts.itertuples():
        table.add_row(row.district, str(row.n_schools), f"{row.enrollment:,}", f"{row.deviation:+.1%}", f"{row.max_minutes:.1f}")
    console.print(table)
    left_out = result.unassigned
    if len(left_out):
        console.print(f"[yellow]{len(left_out)} school(s) reach no core and are left out:[/yellow] "
                      + escape(", ".join(left_out["name"])))
    for path in files.values():
        console.print(f"  {escape(str(path))}")


def _members(text: str) -> tuple[int, int]:
    try:
        low, high = (int(x) for x in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a range; write it as MIN-MAX, e.g. 2-6") from None
    return low, high


def _cores_option(text: str) -> str | int:
    if text == GIVEN_CORES:
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': write '{GIVEN_CORES}' or a number of cores, e.g. 24") from None


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
    rules.add_argument("--cores", type=_cores_option, default=GIVEN_CORES, metavar="given|K",
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
    rules.add_argument("--verbose", action="store_true", help="show the solvers' own logs (HiGHS, CP-SAT)")
    data = parser.add_argument_group("data")
    data.add_argument("--network", choices=("drive", "walk"), default="drive", dest="network_type",
                      help="travel by road vehicle or on foot (default %(default)s)")
    data.add_argument("--cache-dir", type=Path, default=default_cache_dir(),
                      help="where prepared road networks and travel times are kept (default %(default)s)")
    data.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(description="Group schools into balanced 学区 around core schools.")
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
    part.add_argument("--title", default=DEFAULT_TITLE, help="title of the map and report")
    _add_rule_options(part)
    return parser


def rules_from_args(args: argparse.Namespace) -> Rules:
    """The :class:`Rules` of the options; a bad value raises :class:`InputError` naming its option."""
    try:
        return Rules(
            max_minutes=args.max_minutes, members=args.members, balance=args.balance, level=args.level,
            allow_unassigned=args.allow_unassigned, min_rural=args.min_rural, indicator_band=args.indicator_band,
            keep_township=args.keep_township, contiguity=args.contiguity, objective=args.objective, cores=args.cores,
        )
    except RuleError as exc:
        raise InputError(f"--{exc.field.replace('_', '-')} {exc.detail}") from None


def job_from_args(args: argparse.Namespace) -> Job:
    """Turn parsed arguments into a :class:`Job`."""
    for name in ("time_limit", "jobs"):
        if getattr(args, name) <= 0:
            raise InputError(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    common = dict(out=args.out, rules=rules_from_args(args), seed=args.seed, time_limit=args.time_limit, jobs=args.jobs,
                  strict=args.strict, rules_file=args.rules_file, network_type=args.network_type, verbose=args.verbose,
                  cache_dir=None if args.no_cache else args.cache_dir)
    if args.command == "demo":
        with logged_step(logger, "preparing the demo county"):
            files = ensure_demo()
        return Job(osm=files.osm, schools=files.schools, title=f"{COUNTY_NAME}学区划分方案", notice=DEMO_NOTICE, **common)
    return Job(osm=args.osm, schools=args.schools, title=args.title, coords=args.coords, place=args.place,
               osm_schools=args.osm_schools, **common)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    console.print(f"[yellow]warning:[/yellow] {escape(str(message))}")


class ProgressHandler(logging.Handler):
    """Shows the packages' log records on the console: a spinner while a step runs, a tick when it ends."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self._status = console.status("")

    def emit(self, record: logging.LogRecord) -> None:
        message = escape(record.getMessage())
        if getattr(record, STEP_STARTED, False):
            self._status.update(message)
            self._status.start()
        elif hasattr(record, STEP_SECONDS):
            self._status.stop()
            console.print(f"[green]✓[/green] {message}")
        else:
            console.print(f"  [dim]{message}[/dim]")

    def close(self) -> None:
        self._status.stop()
        super().close()


@contextmanager
def console_progress() -> Iterator[None]:
    """Route the packages' progress to the console while the block runs."""
    handler = ProgressHandler()
    saved = {name: logging.getLogger(name).level for name in PROGRESS_LOGGERS}
    for name in PROGRESS_LOGGERS:
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).setLevel(level)
        handler.close()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        with console_progress():
            run(job_from_args(args))
    except InputError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
