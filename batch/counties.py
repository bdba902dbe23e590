"""Batches: many counties planned side by side on Dask, one summary for all.

``COUNTIES`` is a folder with one subfolder per county (an OSM file, optionally a school table and
a rules file), or a YAML file listing them::

    counties:
      - name: 甲县
        osm: jia/roads.osm.pbf        # paths relative to the YAML file
        schools: jia/schools.xlsx     # optional: without it, the schools mapped in OpenStreetMap
        rules: jia/rules.yaml         # optional: the planner's rules file (fixed, together, apart, cores)
        coords: gcj02                 # optional: coordinate system of the table

Every county is one task; a county that fails (a bad file, no plan under the rules) is reported
with its message and the others go on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from distributed import Client

from gis.coords import COORDINATE_SYSTEMS
from gis.errors import InputError
from gis.files import write_csv_atomic
from gis.inputs import CountyFiles
from maps.summary_page import save_overview_map, save_summary_page
from partition.rules import Rules
from partition.solve import DEFAULT_TIME_LIMIT_S

from .cluster import run_tasks
from .tables import SUMMARY_TABLE, Summary, county_table
from .tasks import ERROR, plan_county

__all__ = ["County", "read_counties", "run_counties", "OSM_SUFFIXES", "TABLE_SUFFIXES", "RULES_SUFFIXES"]

#: What a county folder's files are, by the end of their names.
OSM_SUFFIXES = (".osm", ".osm.pbf", ".osm.bz2", ".pbf")
TABLE_SUFFIXES = (".csv", ".xlsx", ".geojson", ".gpkg")
RULES_SUFFIXES = (".yaml", ".yml")
LISTING_KEYS = ("name", "osm", "schools", "rules", "coords")
#: Characters a county's name may not bring into its folder's name.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class County:
    """One county of a batch: its name, files and rules file; ``problem`` says why it cannot be read at all."""

    name: str
    files: CountyFiles | None
    rules_file: Path | None = None
    problem: str | None = None

    @property
    def folder(self) -> str:
        """Its output folder's name: the county's name, made safe for a file system."""
        return _UNSAFE.sub("_", self.name).strip(". ") or "county"


def read_counties(path: str | Path, *, defaults: CountyFiles | None = None) -> list[County]:
    """The counties of a folder of county folders, or of a YAML listing.

    ``defaults`` gives the reading options (network, cache, strictness) every county shares.

    Raises
    ------
    gis.errors.InputError
        When the path lists no county, or the listing cannot be read.
    """
    path = Path(path)
    defaults = defaults or CountyFiles(osm=Path())
    if path.is_dir():
        counties = [_county_of_folder(folder, defaults) for folder in sorted(path.iterdir()) if folder.is_dir()]
    elif path.suffix.lower() in RULES_SUFFIXES + (".json",) and path.is_file():
        counties = _counties_of_listing(path, defaults)
    else:
        raise InputError(f"{path}: give a folder with one subfolder per county, or a YAML file listing them")
    if not counties:
        raise InputError(f"{path}: no county in it; add one subfolder per county with an OSM file and a school table")
    folders = [county.folder for county in counties]
    if len(set(folders)) < len(folders):
        doubled = sorted({f for f in folders if folders.count(f) > 1})
        raise InputError(f"{path}: two counties share the name {', '.join(doubled)}; give each its own")
    return counties


def run_counties(
    client: Client, counties: Sequence[County], out: str | Path, *, rules: Rules | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S, seed: int = 0, map_options: Mapping[str, object] | None = None,
    inputs: Mapping[str, dict] | None = None, on_done: Callable[[County, dict], None] | None = None,
) -> Summary:
    """Plan every county on the cluster of ``client``; write ``out/<county>/`` and the batch's summaries.

    Parameters
    ----------
    client : distributed.Client
    counties : sequence of County
        From :func:`read_counties`.
    out : path
        The folder: one plan folder per county, ``summary.csv``, ``summary.html`` and ``overview.html``.
    rules : Rules, optional
        The rules every county keeps (its rules file adds its locks and 学区 names).
    time_limit, seed
        Of each county's solve.
    map_options : mapping, optional
        The options of :func:`maps.write_plan_files` but the title (lang, source, basemap, basemap_key).
    inputs : mapping, optional
        What each county's plan.json records of its inputs, by county name.
    on_done : callable, optional
        Called with each county and its row as it ends.
    """
    out = Path(out)
    rules = Rules() if rules is None else rules
    unreadable = {county.name: {"status": ERROR, "reason": county.problem} for county in counties if county.problem}
    readable = [county for county in counties if county.problem is None]
    if on_done is not None:
        for county in (county for county in counties if county.problem):
            on_done(county, unreadable[county.name])
    calls = [((county.name, county.files, rules, out / county.folder),
              dict(rules_file=county.rules_file, time_limit=time_limit, seed=seed, inputs=(inputs or {}).get(county.name),
                   **(map_options or {}))) for county in readable]
    done = run_tasks(client, plan_county, calls,
                     on_done=None if on_done is None else lambda k, row: on_done(readable[k], row))
    planned = {county.name: row for county, row in zip(readable, done)}
    rows = [planned.get(county.name) or unreadable[county.name] for county in counties]
    table = county_table([county.name for county in counties], rows)
    territories = {county.name: row["territories"] for county, row in zip(counties, rows) if "territories" in row}
    files = {SUMMARY_TABLE: write_csv_atomic(table, out / SUMMARY_TABLE),
             "overview.html": save_overview_map(territories, out / "overview.html")}
    files["summary.html"] = save_summary_page(table, out / "summary.html", overview=files["overview.html"].name)
    return Summary(table, files)


def _county_of_folder(folder: Path, defaults: CountyFiles) -> County:
    """A county folder: one OSM file, at most one school table and one rules file."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    osm = [p for p in files if p.name.lower().endswith(OSM_SUFFIXES)]
    tables = [p for p in files if p.suffix.lower() in TABLE_SUFFIXES]
    rules = [p for p in files if p.suffix.lower() in RULES_SUFFIXES]
    problem = None
    if len(osm) != 1:
        problem = (f"{folder}: {'no OSM file' if not osm else 'several OSM files'} ({', '.join(OSM_SUFFIXES)}); "
                   "put exactly one in the county's folder")
    elif len(tables) > 1 or len(rules) > 1:
        problem = f"{folder}: several school tables or rules files; keep one of each in the county's folder"
    if problem:
        return County(folder.name, None, problem=problem)
    return County(folder.name, replace(defaults, osm=osm[0], schools=tables[0] if tables else None),
                  rules_file=rules[0] if rules else None)


def _counties_of_listing(path: Path, defaults: CountyFiles) -> list[County]:
    """The counties a YAML file lists (paths relative to the file)."""
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]}); fix the syntax") from None
    entries = content.get("counties") if isinstance(content, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("name") and e.get("osm") for e in entries):
        raise InputError(f"{path}: list the counties under 'counties:', each with a 'name' and an 'osm' file "
                         f"(and optionally {', '.join(LISTING_KEYS[2:])})")
    counties = []
    for entry in entries:
        unknown = set(entry) - set(LISTING_KEYS)
        if unknown or entry.get("coords", "wgs84") not in COORDINATE_SYSTEMS:
            raise InputError(f"{path}: county '{entry['name']}' has unknown key(s) or coords "
                             f"{', '.join(sorted(map(str, unknown))) or entry.get('coords')}; keys: {', '.join(LISTING_KEYS)}")
        files = replace(defaults, osm=_beside(path, entry["osm"]), schools=_beside(path, entry.get("schools")),
                        coords=entry.get("coords", defaults.coords))
        counties.append(County(str(entry["name"]), files, rules_file=_beside(path, entry.get("rules"))))
    return counties


def _beside(listing: Path, value) -> Path | None:
    """A path the listing names, relative to the listing's folder."""
    return None if value is None else listing.parent / str(value)
