"""A planner's plan from a file: a 学区 list, a plan folder, school points or 学区 polygons.

:func:`read_plan` reads the file into a :class:`GivenPlan`; :meth:`GivenPlan.assign` finds each
school's 学区 and each 学区's core in the school table. Whatever cannot be resolved (a school id
the table lacks, a school in no 学区, a 学区 without a core or with two) raises one
:class:`~gis.errors.InputError` naming the 学区 or the schools and the fix.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gis.errors import InputError
from gis.schools import GEO_SUFFIXES, HEADER_ALIASES, as_text, find_header, read_geo_file, read_text_table

from .plan import UNASSIGNED

__all__ = ["GivenPlan", "Assignment", "read_plan", "plan_file", "DISTRICT_HEADERS", "CORE_HEADERS", "PLAN_TABLE"]

#: Headers of the planner's 学区 label, in order of preference (plan.csv has both a key and a name).
DISTRICT_HEADERS = ("学区名称", "学区", "district_name", "district")
#: Headers of the core school's id.
CORE_HEADERS = ("核心校标识码", "核心校代码", "core_school_id", "core_id")
#: A polygon layer may also name its 学区 in a plain name field (what QGIS users type).
AREA_NAME_HEADERS = (*DISTRICT_HEADERS, "name", "名称")
#: The table a plan folder holds.
PLAN_TABLE = "plan.csv"
#: The layer read from a GeoPackage with several (this tool's exports have districts, schools, links, plan).
SCHOOL_LAYER = "schools"
SPREADSHEET_SUFFIXES = (".xlsx", ".xls")
POLYGON_TYPES = ("Polygon", "MultiPolygon")
#: How many schools or 学区 an error message names before "and N more".
LISTED = 8
WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Assignment:
    """Each school's 学区 and each 学区's core, by school id, as a plan file gives them.

    Attributes
    ----------
    district_of : dict
        School id -> the planner's 学区 label ("" for a school left out).
    core_of : dict
        学区 label -> its core's school id.
    named : bool
        Whether the labels are names the planner gave (else they are core ids, and each 学区
        is named after its core).
    """

    district_of: dict[str, str]
    core_of: dict[str, str]
    named: bool = True

    def core_positions(self, school_ids) -> np.ndarray:
        """Each school's core as a position in ``school_ids`` (:data:`UNASSIGNED` when left out)."""
        position = {s: i for i, s in enumerate(school_ids)}
        return np.array([position[self.core_of[d]] if d else UNASSIGNED for d in map(self.district_of.get, school_ids)],
                        dtype=np.int64)

    def district_names(self, school_ids) -> tuple[str, ...]:
        """The 学区 labels in the order of their cores' positions in ``school_ids`` (empty when unnamed)."""
        if not self.named:
            return ()
        label_of_core = {core: label for label, core in self.core_of.items()}
        return tuple(label_of_core[s] for s in school_ids if s in label_of_core)


@dataclass(frozen=True, eq=False)
class GivenPlan:
    """A plan as read from a file, not yet matched with the school table.

    Attributes
    ----------
    source : str
        The file it came from (named in every message).
    rows : pandas.DataFrame or None
        One row per school: ``school_id``, ``district`` (the planner's label, "" for none) and
        ``core_school_id`` ("" where the file names no core).
    areas : geopandas.GeoDataFrame or None
        For a plan drawn as 学区 polygons: ``district``, ``core_school_id`` and the polygons.
    named : bool
        Whether the file names its 学区 (a file with only a core column does not).
    """

    source: str
    rows: pd.DataFrame | None = None
    areas: gpd.GeoDataFrame | None = None
    named: bool = True

    def assign(self, schools: pd.DataFrame, *, known_ids=None, allow_unassigned: bool = False) -> Assignment:
        """Each school's 学区 and each 学区's core among ``schools`` (a canonical school table).

        Parameters
        ----------
        schools : pandas.DataFrame
            The schools the plan must cover: ``school_id``, ``name``, ``is_core`` (是否优质) and,
            for polygons, the point geometry.
        known_ids : collection of str, optional
            Every school id of the whole table: a plan's school among them but not in ``schools``
            (another level, or dropped as off the roads) is left out with a warning. By default
            the ids of ``schools``.
        allow_unassigned : bool
            Leave the schools in no 学区 out instead of refusing the plan.

        Raises
        ------
        gis.errors.InputError
            Naming the schools or 学区 that cannot be resolved, and the fix.
        """
        rows = self.rows if self.areas is None else self._contained(schools)
        known = set(schools["school_id"]) if known_ids is None else set(known_ids)
        resolver = _Resolver(self.source, schools, known, allow_unassigned, polygons=self.areas is not None)
        return resolver.resolve(rows, named=self.named)

    def _contained(self, schools: pd.DataFrame) -> pd.DataFrame:
        """The schools inside each polygon; a school on a border counts for the polygon holding it inside."""
        points = gpd.GeoDataFrame(schools[["school_id"]], geometry=schools.geometry.values, crs=WGS84)
        joined = gpd.sjoin(points, self.areas, how="inner", predicate="intersects")
        several = joined["school_id"].duplicated(keep=False).to_numpy()
        if several.any():
            polygons = shapely.contains(self.areas.geometry.to_numpy()[joined["index_right"].to_numpy()], joined.geometry.to_numpy())
            kept = joined[~several | polygons]
            counts = kept["school_id"].value_counts()
            unclear = sorted(s for s in set(joined.loc[several, "school_id"]) if counts.get(s, 0) != 1)
            if unclear:
                names = _labels(schools)
                raise InputError(f"{self.source}: school(s) inside two 学区 polygons or on their border: "
                                 f"{_listing(names[s] for s in unclear)}; redraw the polygons so each school lies inside one")
            joined = kept
        return pd.DataFrame({"school_id": joined["school_id"], "district": joined["district"],
                             "core_school_id": joined["core_school_id"]}).reset_index(drop=True)


def _labels(schools: pd.DataFrame) -> dict[str, str]:
    """School id -> "name (id)", as messages name a school."""
    return {s: f"{n} ({s})" for s, n in zip(schools["school_id"], schools["name"])}


def _listing(items) -> str:
    items = list(items)
    more = f" and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return ", ".join(items[:LISTED]) + more


class _Resolver:
    """The checks that turn a plan's rows into an :class:`Assignment`, each refusing with one message."""

    def __init__(self, source: str, schools: pd.DataFrame, known: set[str], allow_unassigned: bool, *, polygons: bool):
        self.source, self.known, self.allow_unassigned, self.polygons = source, known, allow_unassigned, polygons
        self.ids = list(schools["school_id"])
        self.flagged = dict(zip(schools["school_id"], schools["is_core"].astype(bool)))
        self.names = _labels(schools)

    def fail(self, message: str) -> None:
        raise InputError(f"{self.source}: {message}")

    def name(self, school_id: str) -> str:
        return self.names.get(school_id, school_id)

    def resolve(self, rows: pd.DataFrame, *, named: bool) -> Assignment:
        rows = rows[rows["school_id"] != ""]
        self.check_known(rows)
        rows = self.in_plan(rows)
        district_of = self.districts(rows)
        core_of = self.cores(rows, district_of)
        for label, core in core_of.items():
            district_of.setdefault(core, label)  # a core named only in the core column (a links layer)
        self.check_covered(district_of)
        return Assignment({s: district_of.get(s, "") for s in self.ids}, core_of, named=named)

    def check_known(self, rows: pd.DataFrame) -> None:
        listed = pd.concat([rows["school_id"], rows.loc[rows["core_school_id"] != "", "core_school_id"]])
        unknown = sorted(set(listed) - self.known)
        if unknown:
            self.fail(f"school id(s) not in the school table: {_listing(unknown)}; use the 学校标识码 of the school table")

    def in_plan(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The rows of the plan's schools; the others (another level, off the roads) left out with a warning."""
        ours = rows["school_id"].isin(self.ids)
        others = sorted(set(rows.loc[~ours, "school_id"]))
        if others:
            warnings.warn(f"{self.source}: left out {len(others)} school(s) not in this plan (another level, or "
                          f"dropped as off the roads): {_listing(others)}", stacklevel=4)
        return rows[ours]

    def districts(self, rows: pd.DataFrame) -> dict[str, str]:
        labelled = rows[rows["district"] != ""]
        labels = labelled.groupby("school_id", sort=True)["district"].unique()
        twice = labels[labels.map(len) > 1]
        if len(twice):
            listed = [f"{self.name(s)} in {' and '.join(d)}" for s, d in twice.items()]
            self.fail(f"school(s) listed in two 学区: {_listing(listed)}; keep one row per school")
        return {s: d[0] for s, d in labels.items()}

    def cores(self, rows: pd.DataFrame, district_of: dict[str, str]) -> dict[str, str]:
        listed = rows[(rows["district"] != "") & (rows["core_school_id"] != "")]
        listed_cores = listed.groupby("district", sort=True)["core_school_id"].unique()
        two = [f"{d} ({' and '.join(map(self.name, c))})" for d, c in listed_cores.items() if len(c) > 1]
        if two:
            self.fail(f"学区 with two cores listed: {_listing(two)}; give each 学区 one 核心校标识码")
        core_of = {d: c[0] for d, c in listed_cores.items()}
        led: dict[str, list[str]] = {}
        for label, core in core_of.items():
            led.setdefault(core, []).append(label)
        shared = [f"{self.name(c)} of {' and '.join(labels)}" for c, labels in led.items() if len(labels) > 1]
        if shared:
            self.fail(f"school(s) listed as the core of two 学区: {_listing(shared)}; give each 学区 its own core")
        elsewhere = [f"{self.name(c)}, core of {d}, is listed in {district_of[c]}" for d, c in core_of.items()
                     if district_of.get(c, d) != d]
        if elsewhere:
            self.fail(f"{_listing(elsewhere)}; a core belongs to its own 学区")
        absent = [f"{d} ({c})" for d, c in core_of.items() if c not in self.flagged]
        if absent:
            self.fail(f"the core of 学区 {_listing(absent)} is not among this plan's schools (another level, or off the roads); "
                      "name another core or choose --level")
        return {**core_of, **self.flagged_cores(district_of, set(core_of))}

    def flagged_cores(self, district_of: dict[str, str], have_core: set[str]) -> dict[str, str]:
        """The core of each 学区 the file names no core for: its one school flagged 是否优质."""
        members: dict[str, list[str]] = {}
        for school, label in district_of.items():
            if label not in have_core:
                members.setdefault(label, []).append(school)
        flagged = {label: [s for s in schools if self.flagged[s]] for label, schools in sorted(members.items())}
        none = [label for label, cores in flagged.items() if not cores]
        if none:
            self.fail(f"学区 {_listing(none)}: no core; none of its schools is flagged 是否优质 and the file names no core; "
                      "add a 核心校标识码 (core_school_id) column naming each 学区's core")
        two = [f"{label} ({', '.join(map(self.name, cores))})" for label, cores in flagged.items() if len(cores) > 1]
        if two:
            self.fail(f"学区 with two or more schools flagged 是否优质 and no core named: {_listing(two)}; "
                      "add a 核心校标识码 (core_school_id) column naming each 学区's core")
        return {label: cores[0] for label, cores in flagged.items()}

    def check_covered(self, district_of: dict[str, str]) -> None:
        missing = [s for s in self.ids if s not in district_of]
        if not missing or self.allow_unassigned:
            return
        where = "outside every 学区 polygon" if self.polygons else "in no 学区"
        fix = "redraw the polygons to cover them" if self.polygons else "give each a 学区"
        self.fail(f"{len(missing)} school(s) {where}: {_listing(map(self.name, missing))}; {fix}, "
                  "or pass --allow-unassigned to leave them out")


def plan_file(path: str | Path) -> Path:
    """The file a plan is read from: ``path``, or the plan.csv of a plan folder; an
    :class:`InputError` when there is none."""
    path = Path(path)
    if path.is_dir():
        if not (path / PLAN_TABLE).is_file():
            raise InputError(f"{path}: a folder without {PLAN_TABLE}; give a plan folder written by this tool, or the plan file itself")
        path = path / PLAN_TABLE
    if not path.is_file():
        raise InputError(f"{path}: no such plan file; check the path")
    return path


def read_plan(path: str | Path) -> GivenPlan:
    """Read a planner's plan: a 学区 list, a plan folder (or its plan.csv), school points or 学区 polygons.

    Parameters
    ----------
    path : str or Path
        - a CSV (UTF-8/GBK) or XLSX (every sheet) with a school id column (学校标识码/school_id) and
          a 学区 column (学区/学区名称/district_name/district) holding any labels, or a core school id
          column (核心校标识码/core_school_id), or both;
        - a plan folder written by this tool, or its plan.csv;
        - a GeoJSON or GeoPackage of school points (or links) with those properties (from a
          GeoPackage its ``schools`` layer, else its first layer with geometry);
        - a GeoJSON or GeoPackage of 学区 polygons with a name field (学区, district_name, name...)
          and optionally a core id field; the schools inside each polygon belong to it.

    Returns
    -------
    GivenPlan
        Match it with the school table through :meth:`GivenPlan.assign`.
    """
    path = plan_file(path)
    if path.suffix.lower() in GEO_SUFFIXES:
        return _read_geo_plan(path)
    return _rows_plan(_read_spreadsheet(path) if path.suffix.lower() in SPREADSHEET_SUFFIXES else read_text_table(path), path)


def _read_spreadsheet(path: Path) -> pd.DataFrame:
    """Every sheet of a workbook, one after the other (an export has one sheet per level)."""
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the plan file is empty; export it again with a header row and one row per school")
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputError(f"{path}: cannot read this spreadsheet ({exc}); save it again as .xlsx or .csv") from None
    headers = {tuple(sheet.columns) for sheet in sheets.values() if len(sheet.columns)}
    if len(headers) > 1:
        raise InputError(f"{path}: the sheets have different headers; give every sheet the same header row")
    return pd.concat(list(sheets.values()), ignore_index=True)


def _read_geo_plan(path: Path) -> GivenPlan:
    frame = read_geo_file(path, layer=_plan_layer(path), needs="one feature per school or per 学区")
    geometry = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
    if geometry is not None and geometry.notna().all() and geometry.geom_type.isin(POLYGON_TYPES).all():
        return _areas_plan(frame, path)
    return _rows_plan(as_text(pd.DataFrame(frame.drop(columns=geometry.name) if geometry is not None else frame)), path)


def _plan_layer(path: Path) -> str | None:
    """The layer a plan is read from: ``schools`` when the file has it, else its first layer with geometry."""
    try:
        spatial = [name for name, kind in pyogrio.list_layers(path) if kind is not None]
    except Exception:  # a damaged file: reading it says why
        return None
    return SCHOOL_LAYER if SCHOOL_LAYER in spatial else next(iter(spatial), None)


def _text(column: pd.Series) -> pd.Series:
    return as_text(column.to_frame()).iloc[:, 0].str.strip()


def _rows_plan(table: pd.DataFrame, path: Path) -> GivenPlan:
    school = find_header(table.columns, HEADER_ALIASES["school_id"])
    district = find_header(table.columns, DISTRICT_HEADERS)
    core = find_header(table.columns, CORE_HEADERS)
    if school is None:
        raise InputError(f"{path}: no school id column; expected 学校标识码 (or school_id) among the headers {list(table.columns)}")
    if district is None and core is None:
        raise InputError(f"{path}: no 学区 column; expected 学区 (or district) with each school's 学区, "
                         f"or 核心校标识码 (core_school_id) with its core, among the headers {list(table.columns)}")
    cores = _text(table[core]) if core else pd.Series("", index=table.index)
    rows = pd.DataFrame({"school_id": _text(table[school]), "district": _text(table[district]) if district else cores,
                         "core_school_id": cores})
    return GivenPlan(str(path), rows=rows, named=district is not None)


def _areas_plan(frame: gpd.GeoDataFrame, path: Path) -> GivenPlan:
    label = find_header(frame.columns, AREA_NAME_HEADERS)
    core = find_header(frame.columns, CORE_HEADERS)
    if label is None:
        raise InputError(f"{path}: the 学区 polygons have no name field; add a field 学区 (or district_name) with each polygon's 学区")
    names = _text(frame[label])
    if (names == "").any():
        numbers = ", ".join(str(i + 1) for i in np.flatnonzero(names == ""))
        raise InputError(f"{path}: polygon(s) {numbers} have no 学区 name; fill in the {label} field")
    frame = frame.set_crs(WGS84) if frame.crs is None else frame.to_crs(WGS84)
    areas = gpd.GeoDataFrame({"district": names, "core_school_id": _text(frame[core]) if core else ""},
                             geometry=frame.geometry.values, crs=WGS84)
    return GivenPlan(str(path), areas=areas)
