"""学区 partition tool: the command line.

    python app.py demo [--out out/demo] [--plan FILE] [rule options]
    python app.py partition --osm FILE --schools TABLE --out DIR [--plan FILE] [rule options]
    python app.py batch COUNTIES --out DIR [rule options]
    python app.py rerun PLAN_JSON --out DIR
    python app.py compare PLAN PLAN... --out DIR
    python app.py export PLAN --format geojson|gpkg|csv|xlsx --out PATH
    python app.py serve [--host 127.0.0.1] [--port 8000] [--data-dir DIR]

A comma list in a rule option (``--max-minutes 20,25,30 --balance 0.15,0.25``) makes the run a
sweep over every combination, on Dask.

This module only reads the options, the inputs and the rules file, hands them to
:func:`partition.plan_districts` (or :func:`partition.score_plan` for a given plan, :func:`batch.run_sweep`
and :func:`batch.run_counties` for many), writes the files with :func:`maps.write_plan_files`, and shows
progress and messages; ``compare`` and ``export`` read plan folders and call
:func:`partition.compare_plans` and :func:`partition.export_plan`. Every step of the work is in the
packages. plan.json records every input of the run (:func:`inputs_record`), so ``rerun`` makes the
same plan from it alone (:func:`job_from_plan`).
"""

# ruff: noqa: E402 (Ctrl-C is taken care of before the libraries load, which takes seconds)
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import traceback
import warnings
from collections import Counter
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

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from batch import SWEEPABLE, Cell, County, dask_client, is_batch_folder, read_counties, rule_grid, run_counties, run_sweep
from batch.grid import option_name
from data.demo import COUNTY_NAME, DEMO_NOTICE, ensure_demo
from gis.badrows import BadRowsWarning, write_bad_rows
from gis.cache import default_cache_dir, file_sha256
from gis.coords import COORDINATE_SYSTEMS, coordinate_systems_text
from gis.download import download_extract, place_boundary
from gis.errors import InputError
from gis.files import discard_partial_output, prepare_output_dir
from gis.inputs import CountyFiles, read_county
from gis.interrupt import end_on_interrupt, exit_code
from gis.network import road_settings_sha256
from gis.progress import STEP_SECONDS, STEP_STARTED, logged_step
from maps.basemaps import BASEMAPS, OSM_ATTRIBUTION
from maps.compare import is_compare_folder, write_compare_files
from maps.outputs import DEFAULT_TITLE, write_plan_files
from maps.pages import table_rows
from maps.text import LANGUAGES
from partition.compare import Comparison, compare_plans
from partition.export import EXPORT_FORMATS, GPKG_LAYERS, export_plan, is_plan_folder
from partition.pipeline import Result, plan_districts
from partition.plan import GIVEN, PLAN_SCHEMA_VERSION, STUDENT_MINUTES, STUDENT_MINUTES_LABEL, tool_version
from partition.planfile import plan_file
from partition.ruleoptions import (
    LOCKS_OPTION,
    RULE_OPTIONS,
    SOLVE_OPTIONS,
    RuleOption,
    option_of_field,
    read_positive_count,
    rules_from_options,
)
from partition.rules import GIVEN_CORES, RuleError, Rules
from partition.rulesfile import apply_rules_file
from partition.scoring import score_plan
from partition.solve import DEFAULT_TIME_LIMIT_S, available_cores
from partition.tables import read_plan_folder
from web.settings import DEFAULT_HOST, DEFAULT_PORT, default_data_dir

console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
logger = logging.getLogger("app")
#: The loggers whose progress the command line shows: one per package.
PROGRESS_LOGGERS = ("app", "gis", "partition", "maps")
#: Exit codes: a bad file or impossible request; a run that failed for another reason (a full disk, a bug).
EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


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
    sweep: tuple[Cell, ...] = ()
    scheduler: str | None = None
    workers: int | None = None


def run(job: Job) -> Result:
    """Run the whole pipeline for ``job`` (or score its given plan), write its files and return the result."""
    rules = apply_rules_file(job.rules, job.rules_file) if job.rules_file else job.rules
    osm, boundary = _osm_source(job)
    schools, roads = read_county(_county_files(job, osm))
    if job.plan is None:
        result = plan_districts(schools, roads, rules, boundary=boundary, time_limit=job.time_limit, seed=job.seed,
                                jobs=job.jobs, strict=job.strict, cache_dir=job.cache_dir, verbose=job.verbose)
    else:
        with logged_step(logger, f"scoring the plan in {job.plan}"):
            result = score_plan(job.plan, schools, roads, rules, boundary=boundary, strict=job.strict, cache_dir=job.cache_dir,
                                core_swaps=job.core_swaps, close=job.closed)
    inputs = inputs_record(replace(job, osm=osm, boundary=boundary))
    with logged_step(logger, f"writing files to {job.out}"):
        files = write_plan_files(result, job.out, title=job.title, notice=job.notice, inputs=inputs, jobs=job.jobs,
                                 **_map_options(job))
    _print_summary(result, files)
    return result


def run_sweep_job(job: Job) -> int:
    """Plan every combination of ``job.sweep`` on Dask and write the sweep; the exit code."""
    rules_file = job.rules_file
    cells = [replace(cell, rules=apply_rules_file(cell.rules, rules_file)) for cell in job.sweep] if rules_file else job.sweep
    osm, boundary = _osm_source(job)
    try:
        recorded = inputs_record(replace(job, osm=osm, boundary=boundary, jobs=1))
    except OSError as exc:  # hashed before the sweep reads them
        raise InputError(f"{exc.filename}: cannot read this file ({exc.strerror}); check the path") from None
    inputs = {cell.folder: {**recorded, "rules": given.rules.to_dict()} for cell, given in zip(cells, job.sweep)}
    with dask_client(job.scheduler, workers=job.workers) as client, _task_progress(len(cells), "plans") as advance:
        found = run_sweep(client, _county_files(job, osm), cells, job.out, boundary=boundary, time_limit=job.time_limit,
                          seed=job.seed, title=job.title, notice=job.notice, map_options=_map_options(job), inputs=inputs,
                          on_done=advance)
    _print_rows(found.table, [name for name, _ in cells[0].values], found.files)
    return 0 if found.failed.empty else 1


def run_batch(args: argparse.Namespace) -> int:
    """Plan every county of ``args.counties`` on Dask and write the batch; the exit code."""
    _check_run_options(args)
    cells = cells_from_args(args)
    if len(cells) > 1 or args.rules_file:
        raise InputError("batch takes one value per rule option and no --rules (a county's rules file goes in its folder); "
                         "sweep the rules of one county with `partition`")
    shared = Job(osm=None, schools=None, out=args.out, rules=cells[0].rules, title=DEFAULT_TITLE, seed=args.seed,
                 time_limit=args.time_limit, strict=args.strict, network_type=args.network_type,
                 cache_dir=None if args.no_cache else args.cache_dir, lang=args.lang, basemap=args.basemap,
                 basemap_key=args.tianditu_key)
    counties = read_counties(args.counties, defaults=_county_files(shared, Path()))
    inputs = {county.name: _county_inputs(shared, county) for county in counties if county.files}
    with dask_client(args.scheduler, workers=args.workers) as client, _task_progress(len(counties), "counties") as advance:
        found = run_counties(client, counties, args.out, rules=shared.rules, time_limit=shared.time_limit, seed=shared.seed,
                             map_options=_map_options(shared), inputs=inputs, on_done=advance)
    _print_rows(found.table, ["county"], found.files)
    for row in found.without_plan.itertuples():
        console.print(f"[red]{escape(row.county)}:[/red] {escape(str(row.reason))}")
    return 0 if found.without_plan.empty else 1


def _county_inputs(shared: Job, county: County) -> dict | None:
    """What a batch county's plan.json records, as a run on its files alone would; None when a file cannot
    be read (its task reports it)."""
    files = county.files
    job = replace(shared, osm=files.osm, schools=files.schools, coords=files.coords, rules_file=county.rules_file)
    try:
        return inputs_record(job)
    except OSError:
        return None


def _map_options(job: Job) -> dict:
    """The options of :func:`maps.write_plan_files` besides the title, notice and inputs."""
    return dict(lang=job.lang, source=job.source, basemap=job.basemap, basemap_key=job.basemap_key)


def _county_files(job: Job, osm: Path) -> CountyFiles:
    """The county's files, with the OSM file to read."""
    return CountyFiles(osm=osm, schools=job.schools, osm_schools=job.osm_schools, coords=job.coords,
                       network_type=job.network_type, cache_dir=job.cache_dir, strict=job.strict)


@contextmanager
def _task_progress(total: int, what: str) -> Iterator[Callable[..., None]]:
    """A progress bar over ``total`` Dask tasks; yields the callback that advances it."""
    columns = (TextColumn(f"solving {what}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(what, total=total)
        yield lambda *_: progress.advance(task)


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


def _print_rows(table, keys: list[str], files: dict[str, Path]) -> None:
    """The rows of a sweep or batch: their keys, status and main figures; then the files."""
    shown = Table(title=f"{len(table)} plans")
    for column in (*keys, "status", "student-min", "longest", "deviation"):
        shown.add_column(column, justify="right")
    for row in table_rows(table):
        figures = ("", "", "") if row["folder"] is None else (
            f"{row['student_minutes']:,.0f}", f"{row['longest_trip_min']:.1f}", f"{row['max_deviation']:.1%}")
        mark = " ◆" if row.get("pareto") else ""
        shown.add_row(*(escape(str(row[k])) for k in keys), f"{row['status']}{mark}", *figures)
    console.print(shown)
    for path in files.values():
        console.print(f"  {escape(str(path))}")


def _core_swap(text: str) -> tuple[str, str]:
    old, _, new = text.partition("=")
    if not old.strip() or not new.strip():
        raise argparse.ArgumentTypeError(f"'{text}': write OLD=NEW, the current core's and the new core's 学校标识码")
    return old.strip(), new.strip()


def _argparse_type(read: Callable[[str], object]) -> Callable[[str], object]:
    """A reader of :mod:`partition.ruleoptions` as an argparse type: its message (naming the fix) shown as it is."""
    def convert(text: str):
        try:
            return read(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = read.__name__  # argparse names the type in its message: "invalid float value"
    return convert


_positive_count = _argparse_type(read_positive_count)


def _listed(convert: Callable[[str], object]) -> Callable[[str], tuple]:
    """An option type taking one value, or a comma list of values (a sweep): the values as a tuple."""
    def parse(text: str) -> tuple:
        items = [item.strip() for item in text.split(",")]
        if not all(items):
            raise argparse.ArgumentTypeError(f"'{text}' has an empty value; write one value or a comma list, e.g. 20,25,30")
        return tuple(convert(item) for item in items)
    parse.__name__ = convert.__name__  # argparse names the type in its message: "invalid float value"
    return parse


def _add_option(group, option: RuleOption, **extra) -> None:
    """One :class:`RuleOption` as a command-line option; a sweepable rule takes a comma list too."""
    if option.switch:
        group.add_argument(option.flag, action="store_true", help=option.help, **extra)
        return
    default = f" (default {option.text(option.default)})" if option.default is not None else ""
    convert = _argparse_type(option.parse)
    if option.name in SWEEPABLE:
        group.add_argument(option.flag, type=_listed(convert), default=(option.default,), metavar=option.metavar,
                           help=option.help + default, **extra)
    else:
        group.add_argument(option.flag, type=convert, default=option.default, metavar=option.metavar,
                           help=option.help + default, **extra)


def _out_dir(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("the output folder has no name; give one (. for the current folder)")
    return Path(text)


def _add_output_options(parser: argparse.ArgumentParser, **out) -> None:
    parser.add_argument("--out", type=_out_dir, **out)
    parser.add_argument("--overwrite", action="store_true",
                        help="write into a folder that holds files this tool did not write (they are kept, "
                             "except those named like its own files)")


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    rules = parser.add_argument_group("rules (a comma list of values, e.g. --max-minutes 20,25,30, makes a sweep over every combination)")
    for option in RULE_OPTIONS:
        _add_option(rules, option)
    rules.add_argument(LOCKS_OPTION.flag, type=Path, default=None, dest="rules_file", metavar=LOCKS_OPTION.metavar,
                       help=LOCKS_OPTION.help)
    for option in SOLVE_OPTIONS:
        _add_option(rules, option)
    rules.add_argument("--jobs", type=_positive_count, default=available_cores(),
                       help="CPU cores for the independent parts of a large plan (default: all %(default)s here; "
                            "each plan of a sweep or batch has one)")
    rules.add_argument("--strict", action="store_true", help="stop at the first bad row instead of dropping it")
    data = parser.add_argument_group("data")
    data.add_argument("--network", choices=("drive", "walk"), default="drive", dest="network_type",
                      help="travel by road vehicle or on foot (default %(default)s)")
    _add_run_options(data)
    dask = parser.add_argument_group("Dask (sweeps and batches)")
    dask.add_argument("--scheduler", metavar="tcp://HOST:8786",
                      help="send the plans to a running Dask cluster (`dask scheduler`, `dask worker`) instead of a local one")
    dask.add_argument("--workers", type=_positive_count, default=None, metavar="N",
                      help="worker processes of the local cluster, one core each (default: all cores)")


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
    _add_output_options(demo, default=Path("out/demo"), help="output folder (default %(default)s)")
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
    _add_output_options(part, required=True, help="output folder")
    part.add_argument("--coords", choices=COORDINATE_SYSTEMS, default="wgs84",
                      help=f"coordinate system of the table, converted to WGS-84: {coordinate_systems_text()} (default %(default)s)")
    part.add_argument("--title", default=DEFAULT_TITLE, help="title of the map and report")
    _add_rule_options(part)
    _add_plan_options(part)
    _add_map_options(part)
    many = commands.add_parser("batch", help="plan many counties at once, on Dask, with one summary")
    many.add_argument("counties", type=Path, metavar="COUNTIES",
                      help="a folder with one subfolder per county (an OSM file, a school table, optionally a rules "
                           "YAML), or a YAML file listing them")
    _add_output_options(many, required=True, help="output folder: one folder per county and the summary")
    _add_rule_options(many)
    _add_map_options(many)
    again = commands.add_parser("rerun", help="make a plan again from its plan.json (the same inputs, rules and seed)")
    again.add_argument("plan_json", type=Path, metavar="PLAN_JSON", help="the plan.json of a plan this tool wrote")
    _add_output_options(again, required=True, help="output folder")
    _add_run_options(again)
    compare = commands.add_parser("compare", help="compare plan folders: figures, moved schools, a two-plan map")
    compare.add_argument("plans", type=Path, nargs="+", metavar="PLAN", help="plan folders; the first is the reference")
    _add_output_options(compare, required=True, help="folder for compare.html, compare.csv, moves.csv, compare.json")
    export = commands.add_parser("export", help="write a plan folder as GeoJSON, GeoPackage, CSV or XLSX")
    export.add_argument("plan", type=Path, metavar="PLAN", help="a plan folder")
    export.add_argument("--format", choices=EXPORT_FORMATS, required=True, help="geojson, gpkg, or the school list as csv/xlsx")
    export.add_argument("--layer", choices=GPKG_LAYERS[:3], default="districts", help="GeoJSON: which layer (default %(default)s)")
    export.add_argument("--out", type=Path, required=True, help="the file to write")
    web = commands.add_parser("serve", help="the web application for planners, in the browser")
    web.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default %(default)s: this machine only)")
    web.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on (default %(default)s)")
    web.add_argument("--data-dir", type=Path, default=default_data_dir(),
                     help="folder of the database (xuequ.sqlite) and the studies' files (default %(default)s)")
    return parser


def cells_from_args(args: argparse.Namespace) -> list[Cell]:
    """The rules of the options: one :class:`~batch.grid.Cell`, or one per combination of listed values.

    A bad value raises :class:`InputError` naming its option.
    """
    try:
        base = rules_from_options({o.name: getattr(args, o.name) for o in RULE_OPTIONS if o.name not in SWEEPABLE})
        return rule_grid({name: getattr(args, name) for name in SWEEPABLE}, base)
    except RuleError as exc:
        raise InputError(f"--{option_name(option_of_field(exc.field))} {exc.detail}") from None


def _check_run_options(args: argparse.Namespace) -> None:
    """The basemap has its key (the numbers are checked by their argparse types)."""
    if args.basemap == "tianditu" and not args.tianditu_key:
        raise InputError("--basemap tianditu needs --tianditu-key KEY (a free key from the Tianditu site)")


def _check_plan_options(args: argparse.Namespace, cells: list[Cell]) -> None:
    """The options of a given plan go with --plan, one value each."""
    if args.plan is None and (args.core_swap or args.close):
        raise InputError("--core-swap and --close edit a given plan; add --plan FILE")
    if args.plan is not None and args.cores != (GIVEN_CORES,):
        raise InputError("--cores chooses cores for the solver; a given plan has its own, so drop --cores")
    if args.plan is not None and len(cells) > 1:
        raise InputError("--plan scores one plan against one set of rules; give each rule option one value")


def job_from_args(args: argparse.Namespace) -> Job:
    """Turn parsed arguments into a :class:`Job`."""
    if args.command == "rerun":
        job = job_from_plan(args.plan_json, args.out, cache_dir=None if args.no_cache else args.cache_dir)
        return replace(job, verbose=args.verbose)
    _check_run_options(args)
    cells = cells_from_args(args)
    _check_plan_options(args, cells)
    common = dict(out=args.out, rules=cells[0].rules, seed=args.seed, time_limit=args.time_limit, jobs=args.jobs,
                  strict=args.strict, rules_file=args.rules_file, network_type=args.network_type, verbose=args.verbose,
                  cache_dir=None if args.no_cache else args.cache_dir, plan=args.plan,
                  core_swaps=tuple(args.core_swap), closed=tuple(args.close), lang=args.lang, basemap=args.basemap,
                  basemap_key=args.tianditu_key, sweep=tuple(cells) if len(cells) > 1 else (), scheduler=args.scheduler,
                  workers=args.workers)
    if args.command == "demo":
        with logged_step(logger, "preparing the demo county"):
            files = ensure_demo()
        return Job(osm=files.osm, schools=files.schools, title=f"{COUNTY_NAME}学区划分方案", notice=DEMO_NOTICE,
                   source=DEMO_NOTICE, **common)
    return Job(osm=args.osm, schools=args.schools, title=args.title, coords=args.coords, place=args.place,
               osm_schools=args.osm_schools, **common)


def _show_warning(dropped: list, message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning; keep the rows a :class:`BadRowsWarning` dropped (for dropped_rows.csv)."""
    if isinstance(message, BadRowsWarning):
        dropped.extend(message.rows)
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


def _say_interrupted(signum: int) -> None:
    console.show_cursor(True)
    console.print(f"\n{INTERRUPTED}")


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


def _prepare_out(args: argparse.Namespace) -> None:
    """Check the output folder before any work (``export`` writes one file, atomically)."""
    if args.command == "compare":
        prepare_output_dir(args.out, overwrite=args.overwrite, is_ours=is_compare_folder)
    elif args.command != "export":
        prepare_output_dir(args.out, overwrite=args.overwrite, is_ours=_is_our_folder)


def _is_our_folder(folder: Path) -> bool:
    """A plan folder, or a sweep's or batch's: this tool wrote it, so a new run may replace its files."""
    return is_plan_folder(folder) or is_batch_folder(folder)


def run_command(args: argparse.Namespace, dropped: list) -> int:
    """Run one parsed command; return its exit code (1: a sweep or batch without some plan, or ``--strict``
    and the given plan breaks a rule)."""
    if args.command == "compare":
        run_compare(args)
        return 0
    if args.command == "export":
        run_export(args)
        return 0
    if args.command == "batch":
        return run_batch(args)
    job = job_from_args(args)
    if job.sweep:
        return run_sweep_job(job)
    result = run(job)
    write_bad_rows(dropped, args.out)
    return EXIT_FAILED if job.strict and result.violations else 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (2: bad input, nothing written; 1: failed, or ``--strict``
    and the given plan breaks a rule, its files written; 128 + signal: interrupted, nothing written)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and what is wrong (or the help)
        return exc.code
    if args.command == "serve":
        from web import serve  # the web application's packages load only for it

        serve(host=args.host, port=args.port, data_dir=args.data_dir)
        return 0
    dropped: list = []
    warnings.showwarning = partial(_show_warning, dropped)
    with end_on_interrupt(_say_interrupted):
        try:
            _prepare_out(args)
            with console_progress():
                return run_command(args, dropped)
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
    """Write the traceback being handled to a file; say where (or that it could not be written)."""
    try:
        with tempfile.NamedTemporaryFile("w", prefix="xuequ-error-", suffix=".txt", delete=False) as file:
            file.write(traceback.format_exc())
    except OSError:
        return "no traceback file (the temporary folder is not writable)"
    return f"the traceback in {file.name}"


if __name__ == "__main__":
    sys.exit(main())
