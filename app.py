"""学区 partition tool: the command line.

    python app.py demo [--out out/demo] [--plan FILE] [rule options]
    python app.py partition --osm FILE --schools TABLE --out DIR [--plan FILE] [rule options]
    python app.py rerun PLAN_JSON --out DIR
    python app.py compare PLAN PLAN... --out DIR
    python app.py export PLAN --format geojson|gpkg|csv|xlsx --out PATH

This module only reads the options, the inputs and the rules file, hands them to
:func:`partition.plan_districts` (or :func:`partition.score_plan` for a given plan), writes the
files with :func:`maps.write_plan_files`, and shows progress and messages; ``compare`` and
``export`` read plan folders and call :func:`partition.compare_plans` and
:func:`partition.export_plan`. Every step of the work is in the packages. plan.json records every
input of the run (:func:`inputs_record`), so ``rerun`` makes the same plan from it alone
(:func:`job_from_plan`).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from data.demo import COUNTY_NAME, DEMO_NOTICE, ensure_demo
from gis.cache import default_cache_dir, file_sha256
from gis.coords import COORDINATE_SYSTEMS, coordinate_systems_text
from gis.download import download_extract, place_boundary
from gis.errors import InputError
from gis.match import match_schools
from gis.network import read_road_network, road_settings_sha256
from gis.osm_schools import read_osm_schools
from gis.progress import STEP_SECONDS, STEP_STARTED, logged_step
from gis.schema import INDICATORS
from gis.schools import read_school_table
from maps.basemaps import BASEMAPS, OSM_ATTRIBUTION
from maps.compare import write_compare_files
from maps.outputs import DEFAULT_TITLE, write_plan_files
from maps.text import LANGUAGES
from partition.compare import Comparison, compare_plans
from partition.export import EXPORT_FORMATS, GPKG_LAYERS, export_plan
from partition.pipeline import Result, plan_districts
from partition.plan import GIVEN, PLAN_SCHEMA_VERSION, STUDENT_MINUTES, STUDENT_MINUTES_LABEL, tool_version
from partition.planfile import plan_file
from partition.rules import (
    DEFAULT_BALANCE,
    DEFAULT_MAX_MINUTES,
    DEFAULT_MEMBERS,
    GIVEN_CORES,
    LEVEL_CHOICES,
    NAME_SCHEMES,
    Naming,
    RuleError,
    Rules,
)
from partition.rulesfile import apply_rules_file
from partition.scoring import score_plan
from partition.solve import DEFAULT_TIME_LIMIT_S, available_cores
from partition.tables import read_plan_folder

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
    boundary: BaseGeometry | None = None
    lang: str = "zh"
    basemap: str = "none"
    basemap_key: str | None = None
    source: str = OSM_ATTRIBUTION
    verbose: bool = False
    plan: Path | None = None
    core_swaps: tuple[tuple[str, str], ...] = ()
    closed: tuple[str, ...] = ()


def run(job: Job) -> Result:
    """Run the whole pipeline for ``job`` (or score its given plan), write its files and return the result."""
    rules = apply_rules_file(job.rules, job.rules_file) if job.rules_file else job.rules
    osm, boundary = _osm_source(job)
    schools = _read_schools(job, osm)
    with logged_step(logger, f"reading roads from {osm.name}"):
        roads = read_road_network(osm, network_type=job.network_type, cache_dir=job.cache_dir)
    if roads.from_cache:
        logger.info("roads from the cache in %s", job.cache_dir)
    if job.plan is None:
        result = plan_districts(schools, roads, rules, boundary=boundary, time_limit=job.time_limit, seed=job.seed,
                                jobs=job.jobs, strict=job.strict, cache_dir=job.cache_dir, verbose=job.verbose)
    else:
        with logged_step(logger, f"scoring the plan in {job.plan}"):
            result = score_plan(job.plan, schools, roads, rules, boundary=boundary, strict=job.strict, cache_dir=job.cache_dir,
                                core_swaps=job.core_swaps, close=job.closed)
    inputs = inputs_record(replace(job, osm=osm, boundary=boundary))
    with logged_step(logger, f"writing files to {job.out}"):
        files = write_plan_files(result, job.out, title=job.title, notice=job.notice, lang=job.lang, source=job.source,
                                 basemap=job.basemap, basemap_key=job.basemap_key, inputs=inputs, jobs=job.jobs)
    _print_summary(result, files)
    return result


def _osm_source(job: Job) -> tuple[Path, BaseGeometry | None]:
    """The OSM file to read (downloaded for ``--place``) and the area's outline when known."""
    if job.osm is not None:
        return job.osm, job.boundary
    with logged_step(logger, f"downloading OpenStreetMap data for {job.place}"):
        boundary = place_boundary(job.place)
        return download_extract(boundary, job.cache_dir or Path(tempfile.mkdtemp(prefix="xuequ-"))), boundary


def inputs_record(job: Job) -> dict:
    """What plan.json records of a run besides what the plan itself records (the rules it keeps, the
    seed, the tool's version): the input files with their SHA-256, the rules as given, the settings of
    the roads and of the solver; :func:`job_from_plan` makes the same run from it."""
    return {
        "roads": _file_record(job.osm),
        "place": job.place,
        "boundary": mapping(job.boundary) if job.place and job.boundary is not None else None,
        "schools": _file_record(job.schools) if job.schools else None,
        "osm_schools": job.osm_schools,
        "coords": job.coords,
        "rules_file": _file_record(job.rules_file) if job.rules_file else None,
        "rules": job.rules.to_dict(),
        "network_type": job.network_type,
        "road_settings_sha256": road_settings_sha256(job.network_type),
        "time_limit_s": job.time_limit,
        "jobs": job.jobs,
        "strict": job.strict,
        "plan": _file_record(plan_file(job.plan)) if job.plan else None,
        "core_swaps": [list(pair) for pair in job.core_swaps],
        "closed": list(job.closed),
        "lang": job.lang,
        "basemap": job.basemap,
        "source": job.source,
    }


def _file_record(path: Path) -> dict:
    return {"path": str(Path(path).resolve()), "sha256": file_sha256(path)}


def job_from_plan(plan_json: Path, out: Path, *, cache_dir: Path | None = None) -> Job:
    """The :class:`Job` that made ``plan_json`` (written by this tool), writing into ``out``.

    Every input file must still be where it was, with the same SHA-256, and the road settings the
    same; else an :class:`InputError` names what changed. A different tool version only warns.
    """
    record = _read_plan_json(plan_json)
    try:
        return _job_from_record(record, plan_json, out, cache_dir)
    except InputError:
        raise
    except (KeyError, TypeError, ValueError) as exc:  # a plan.json edited by hand; RuleError is a ValueError
        raise InputError(f"{plan_json}: its record of the run is incomplete or damaged ({type(exc).__name__}: {exc}); "
                         "rerun only a plan.json as the tool wrote it") from None


def _job_from_record(record: dict, plan_json: Path, out: Path, cache_dir: Path | None) -> Job:
    inputs = record["inputs"]
    files = {name: _checked_file(name, inputs[name], plan_json) for name in ("roads", "schools", "rules_file", "plan")
             if inputs[name]}
    if inputs["road_settings_sha256"] != road_settings_sha256(inputs["network_type"]):
        raise InputError(f"{plan_json}: the road settings (highway classes and speeds in gis/settings.py) changed "
                         "since this plan was made; restore them to rerun it")
    if record["tool_version"] != tool_version():
        warnings.warn(f"{plan_json} was made by version {record['tool_version']} of the tool, this is {tool_version()}; "
                      "the plan may differ", stacklevel=3)
    return Job(osm=files["roads"], schools=files.get("schools"), out=out, rules=Rules.from_dict(inputs["rules"]),
               title=record["title"], notice=record["notice"], place=inputs["place"], osm_schools=inputs["osm_schools"],
               network_type=inputs["network_type"], cache_dir=cache_dir, seed=record["seed"],
               time_limit=inputs["time_limit_s"], jobs=inputs["jobs"], strict=inputs["strict"], coords=inputs["coords"],
               rules_file=files.get("rules_file"), boundary=shape(inputs["boundary"]) if inputs["boundary"] else None,
               plan=files.get("plan"), core_swaps=tuple(tuple(pair) for pair in inputs["core_swaps"]),
               closed=tuple(inputs["closed"]), lang=inputs["lang"], basemap=_rerun_basemap(inputs["basemap"]),
               source=inputs["source"])


def _rerun_basemap(basemap: str) -> str:
    """The recorded basemap; one that needs an API key (never recorded) is left out, with a warning."""
    if basemap == "tianditu":
        warnings.warn("the plan's map used Tianditu tiles, whose key plan.json does not keep; the map is drawn without them",
                      stacklevel=2)
        return "none"
    return basemap


def _read_plan_json(path: Path) -> dict:
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; give the plan.json of a plan this tool wrote") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable plan.json ({exc}); give the plan.json of a plan this tool wrote") from None
    if not isinstance(record, dict) or record.get("schema_version") != PLAN_SCHEMA_VERSION or "inputs" not in record:
        raise InputError(f"{path}: not a plan.json of schema {PLAN_SCHEMA_VERSION} with the run's inputs; "
                         "only plans written by this version of the command line can be rerun")
    return record


def _checked_file(name: str, recorded: dict, plan_json: Path) -> Path:
    """The recorded input file, if it is still there with the same bytes."""
    path = Path(recorded["path"])
    if not path.is_file():
        raise InputError(f"{plan_json}: its {name} input {path} is missing; put the file back there to rerun the plan")
    if file_sha256(path) != recorded["sha256"]:
        raise InputError(f"{plan_json}: its {name} input {path} changed since the plan was made (SHA-256 differs); "
                         "restore the original file to rerun the plan")
    return path


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


#: Columns of the console summary (the longest trip is the longer direction of each member's two).
SUMMARY_COLUMNS = ("学区", "name", "学区长", "schools", "enrollment", "deviation", "longest trip (min)")


def _print_summary(result: Result, files: dict[str, Path]) -> None:
    plan = result.plan
    status = f"{plan.status}, gap {plan.gap:.4%}" if plan.gap is not None else plan.status
    table = Table(title=f"{len(result.districts)} 学区 — {status}")
    for column in SUMMARY_COLUMNS:
        table.add_column(column, justify="left" if column in ("name", "学区长") else "right")
    for row in result.districts.itertuples():
        table.add_row(row.district, escape(row.district_name), escape(row.district_head), str(row.n_schools),
                      f"{row.enrollment:,}", f"{row.deviation:+.1%}", f"{row.max_minutes:.1f}")
    console.print(table)
    total = plan.summary()[STUDENT_MINUTES]
    console.print(f"{STUDENT_MINUTES_LABEL}: {'—' if total is None else f'{total:,.1f}'}")
    left_out = result.unassigned
    if len(left_out):
        console.print(f"[yellow]{len(left_out)} school(s) reach no core and are left out:[/yellow] "
                      + escape(", ".join(left_out["name"])))
    if plan.status == GIVEN:
        _print_violations(result)
    for path in files.values():
        console.print(f"  {escape(str(path))}")


def _print_violations(result: Result) -> None:
    broken = Counter(v.rule for v in result.violations)
    if not broken:
        console.print("[green]the given plan keeps every rule[/green]")
        return
    by_rule = ", ".join(f"{n} {rule}" for rule, n in broken.items())
    console.print(f"[yellow]the given plan breaks {len(result.violations)} rule(s):[/yellow] {by_rule} (listed in report.html and plan.json)")


def _print_comparison(comparison: Comparison, files: dict[str, Path]) -> None:
    for pair in comparison.pairs:
        console.print(f"{escape(pair['second'])} against {escape(pair['first'])}: ARI {pair['adjusted_rand_index']}, "
                      f"NMI {pair['normalized_mutual_info']}, {pair['moves']} school(s) moved ({pair['students_moved']:,} students)")
        for key, where in (("only_in_first", pair["first"]), ("only_in_second", pair["second"])):
            if pair[key]:
                console.print(f"[yellow]{len(pair[key])} school(s) only in {escape(where)}:[/yellow] {escape(', '.join(pair[key]))}")
    for path in files.values():
        console.print(f"  {escape(str(path))}")


def _core_swap(text: str) -> tuple[str, str]:
    old, _, new = text.partition("=")
    if not old.strip() or not new.strip():
        raise argparse.ArgumentTypeError(f"'{text}': write OLD=NEW, the current core's and the new core's 学校标识码")
    return old.strip(), new.strip()


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


def _seat(text: str) -> tuple[float, float]:
    try:
        return Naming(seat=tuple(float(x) for x in text.split(","))).seat
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a position; write it as LON,LAT in degrees, e.g. 117.60,36.10") from None


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
                       help=f"sum: least {STUDENT_MINUTES_LABEL}; max: least longest trip first, then least {STUDENT_MINUTES_LABEL}")
    rules.add_argument("--names", choices=NAME_SCHEMES, default="core",
                       help="name each 学区 after its core school (X学区), by direction from the county seat (小东学区, "
                       "中南学区, 城区学区) or by number (第一学区); a rules file's 'names' override (default %(default)s)")
    rules.add_argument("--seat", type=_seat, default=None, metavar="LON,LAT",
                       help="the county seat for --names direction (default: the centroid of the urban schools)")
    rules.add_argument("--seed", type=int, default=0, help="solver seed (default %(default)s)")
    rules.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S,
                       help="seconds the exact solver may run (default %(default)s)")
    rules.add_argument("--jobs", type=int, default=available_cores(),
                       help="CPU cores for the independent parts of a large plan (default: all %(default)s here)")
    rules.add_argument("--strict", action="store_true", help="stop at the first bad row instead of dropping it")
    data = parser.add_argument_group("data")
    data.add_argument("--network", choices=("drive", "walk"), default="drive", dest="network_type",
                      help="travel by road vehicle or on foot (default %(default)s)")
    _add_run_options(data)


def _add_run_options(group) -> None:
    """Options that never change the plan: the cache and the solvers' logs."""
    group.add_argument("--cache-dir", type=Path, default=default_cache_dir(),
                       help="where prepared road networks and travel times are kept (default %(default)s)")
    group.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    group.add_argument("--verbose", action="store_true", help="show the solvers' own logs (HiGHS, CP-SAT)")


def _add_plan_options(parser: argparse.ArgumentParser) -> None:
    given = parser.add_argument_group("a given plan")
    given.add_argument("--plan", type=Path, default=None, metavar="FILE",
                       help="score this plan instead of solving: a 学区 list (.csv/.xlsx), a plan folder, "
                            "school points or 学区 polygons (.geojson/.gpkg); --strict exits 1 when it breaks a rule")
    given.add_argument("--core-swap", type=_core_swap, action="append", default=[], metavar="OLD=NEW",
                       help="with --plan: school NEW becomes the core of OLD's 学区 (repeatable)")
    given.add_argument("--close", action="append", default=[], metavar="SCHOOL",
                       help="with --plan: close SCHOOL; its students go to the nearest open school of its level (repeatable)")


def _add_map_options(parser: argparse.ArgumentParser) -> None:
    maps = parser.add_argument_group("map")
    maps.add_argument("--lang", choices=LANGUAGES, default="zh", help="language of the maps' labels (default %(default)s)")
    maps.add_argument("--basemap", choices=BASEMAPS, default="none",
                      help="online tiles under map.html, shown only with the internet (default %(default)s)")
    maps.add_argument("--tianditu-key", default=None, metavar="KEY", help="the API key --basemap tianditu needs")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(description="Group schools into balanced 学区 around core schools.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run on the embedded synthetic demo county")
    demo.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder (default %(default)s)")
    _add_rule_options(demo)
    _add_plan_options(demo)
    _add_map_options(demo)
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
                      help=f"coordinate system of the table, converted to WGS-84: {coordinate_systems_text()} (default %(default)s)")
    part.add_argument("--title", default=DEFAULT_TITLE, help="title of the map and report")
    _add_rule_options(part)
    _add_plan_options(part)
    _add_map_options(part)
    again = commands.add_parser("rerun", help="make a plan again from its plan.json (the same inputs, rules and seed)")
    again.add_argument("plan_json", type=Path, metavar="PLAN_JSON", help="the plan.json of a plan this tool wrote")
    again.add_argument("--out", type=Path, required=True, help="output folder")
    _add_run_options(again)
    compare = commands.add_parser("compare", help="compare plan folders: figures, moved schools, a two-plan map")
    compare.add_argument("plans", type=Path, nargs="+", metavar="PLAN", help="plan folders; the first is the reference")
    compare.add_argument("--out", type=Path, required=True, help="folder for compare.html, compare.csv, moves.csv, compare.json")
    export = commands.add_parser("export", help="write a plan folder as GeoJSON, GeoPackage, CSV or XLSX")
    export.add_argument("plan", type=Path, metavar="PLAN", help="a plan folder")
    export.add_argument("--format", choices=EXPORT_FORMATS, required=True, help="geojson, gpkg, or the school list as csv/xlsx")
    export.add_argument("--layer", choices=GPKG_LAYERS[:3], default="districts", help="GeoJSON: which layer (default %(default)s)")
    export.add_argument("--out", type=Path, required=True, help="the file to write")
    return parser


def rules_from_args(args: argparse.Namespace) -> Rules:
    """The :class:`Rules` of the options; a bad value raises :class:`InputError` naming its option."""
    try:
        return Rules(
            max_minutes=args.max_minutes, members=args.members, balance=args.balance, level=args.level,
            allow_unassigned=args.allow_unassigned, min_rural=args.min_rural, indicator_band=args.indicator_band,
            keep_township=args.keep_township, contiguity=args.contiguity, objective=args.objective, cores=args.cores,
            naming=Naming(scheme=args.names, seat=args.seat),
        )
    except RuleError as exc:
        raise InputError(f"--{exc.field.replace('_', '-')} {exc.detail}") from None


def job_from_args(args: argparse.Namespace) -> Job:
    """Turn parsed arguments into a :class:`Job`."""
    if args.command == "rerun":
        job = job_from_plan(args.plan_json, args.out, cache_dir=None if args.no_cache else args.cache_dir)
        return replace(job, verbose=args.verbose)
    for name in ("time_limit", "jobs"):
        if getattr(args, name) <= 0:
            raise InputError(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    if args.plan is None and (args.core_swap or args.close):
        raise InputError("--core-swap and --close edit a given plan; add --plan FILE")
    if args.plan is not None and args.cores != GIVEN_CORES:
        raise InputError("--cores chooses cores for the solver; a given plan has its own, so drop --cores")
    if args.basemap == "tianditu" and not args.tianditu_key:
        raise InputError("--basemap tianditu needs --tianditu-key KEY (a free key from the Tianditu site)")
    common = dict(out=args.out, rules=rules_from_args(args), seed=args.seed, time_limit=args.time_limit, jobs=args.jobs,
                  strict=args.strict, rules_file=args.rules_file, network_type=args.network_type, verbose=args.verbose,
                  cache_dir=None if args.no_cache else args.cache_dir, plan=args.plan,
                  core_swaps=tuple(args.core_swap), closed=tuple(args.close), lang=args.lang, basemap=args.basemap,
                  basemap_key=args.tianditu_key)
    if args.command == "demo":
        with logged_step(logger, "preparing the demo county"):
            files = ensure_demo()
        return Job(osm=files.osm, schools=files.schools, title=f"{COUNTY_NAME}学区划分方案", notice=DEMO_NOTICE,
                   source=DEMO_NOTICE, **common)
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


def run_compare(args: argparse.Namespace) -> Comparison:
    """``compare``: read the plan folders, compare them with the first and write the four files."""
    if len(args.plans) < 2:
        raise InputError("compare needs at least two plan folders, the reference first")
    comparison = compare_plans([read_plan_folder(path) for path in args.plans])
    with logged_step(logger, f"writing the comparison to {args.out}"):
        files = write_compare_files(comparison, args.out)
    _print_comparison(comparison, files)
    return comparison


def run_export(args: argparse.Namespace) -> Path:
    """``export``: write the plan folder in the chosen format."""
    with logged_step(logger, f"writing {args.plan} as {args.format}"):
        path = export_plan(read_plan_folder(args.plan), args.format, args.out, layer=args.layer)
    console.print(f"  {escape(str(path))}")
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (2: bad input, nothing written; 1: ``--strict`` and
    the given plan breaks a rule, its files written)."""
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        with console_progress():
            if args.command == "compare":
                run_compare(args)
            elif args.command == "export":
                run_export(args)
            else:
                job = job_from_args(args)
                result = run(job)
                if job.strict and result.violations:
                    return 1
    except InputError as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
