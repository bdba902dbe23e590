"""The plan's formats on disk: plan.csv, plan.json and GeoJSON, all written atomically.

One key everywhere: the ``district`` column of plan.csv is the ``district`` property of the
features in schools.geojson and districts.geojson.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import LineString

from gis.coords import WGS84
from gis.files import atomic_path, write_text_atomic
from gis.schema import AREA_LABELS_ZH, CATEGORY_LABELS_ZH, LEVEL_LABELS_ZH, LEVELS

from .metrics import counted_minutes
from .naming import DISTRICT_SUFFIX, district_names
from .plan import UNASSIGNED, Plan, district_keys
from .problem import SECONDS_PER_MINUTE, Problem

if TYPE_CHECKING:
    from .tables import PlanTables

__all__ = [
    "plan_frame", "write_plan_csv", "write_plan_json", "write_geojson", "PLAN_COLUMNS", "SCHOOL_FEATURE_COLUMNS", "DISTRICT_SUFFIX",
    "links_frame", "summary_table", "write_gpkg", "school_list", "write_school_list", "export_plan", "EXPORT_FORMATS", "GPKG_LAYERS",
]

#: Columns of plan.csv, in order. ``minutes_counted`` is the longer of a school's two trips, the
#: figure the travel limit and the objective count: Σ enrollment × minutes_counted is plan.json's
#: ``student_minutes_longer_trip`` (to the rounding of the minutes).
PLAN_COLUMNS = [
    "school_id", "name", "level", "enrollment", "is_core", "district", "district_name", "district_head",
    "core_school_id", "core_name", "minutes_to_core", "minutes_from_core", "minutes_counted", "township", "area_type",
]
#: Properties of each school in schools.geojson.
SCHOOL_FEATURE_COLUMNS = [
    "school_id", "name", "level", "enrollment", "is_core", "district", "district_name", "district_head",
    "core_school_id", "minutes_to_core", "minutes_from_core", "minutes_counted",
]
MINUTE_DECIMALS = 2
#: Properties of each core-to-member line (links layer).
LINK_COLUMNS = ["school_id", "name", "district", "district_name", "core_school_id", "core_name", "minutes_to_core", "minutes_from_core"]
#: What ``python app.py export`` writes.
EXPORT_FORMATS = ("geojson", "gpkg", "csv", "xlsx")
#: The layers of plan.gpkg, in order (``plan`` is a table without geometry).
GPKG_LAYERS = ("districts", "schools", "links", "plan")
#: GDAL stamps a GeoPackage with the time it was written unless this option fixes the date.
GDAL_DATE_OPTION = "OGR_CURRENT_DATE"
FIXED_GPKG_DATE = "2000-01-01T00:00:00.000Z"


def plan_frame(plan: Plan, problem: Problem, schools: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The schools (in problem order) with their 学区, its name and 学区长, and the trips to and from the core.

    Districts are keyed ``D01``, ``D02``, ... in the order of their cores' positions and named by
    the plan's ``district_names`` (a given plan's labels), else by its :class:`~partition.rules.Naming`.
    The 学区长 (``district_head``) is the core's principal, blank when the table has none.
    Unassigned schools get an empty ``district``.
    """
    core_of = np.asarray(plan.core_of)
    key_of_core = district_keys(core_of)
    assigned = core_of != UNASSIGNED
    target = np.where(assigned, core_of, 0)
    rows = np.arange(len(core_of))
    names = schools["name"].to_numpy()
    principals = schools.get("principal", pd.Series("", index=schools.index)).fillna("").astype(str).to_numpy()
    frame = schools.copy()
    frame["is_core"] = core_of == rows
    frame["district"] = [key_of_core.get(int(c), "") for c in core_of]
    name_of_key = district_names(frame, plan.rules.naming, plan.rules.level)
    name_of_key.update({key_of_core[c]: name for c, name in zip(key_of_core, plan.district_names)})
    frame["district_name"] = frame["district"].map(name_of_key).fillna("")
    frame["district_head"] = np.where(assigned, principals[target], "")
    frame["core_school_id"] = np.where(assigned, schools["school_id"].to_numpy()[target], "")
    frame["core_name"] = np.where(assigned, names[target], "")
    to_core = problem.seconds[rows, target] / SECONDS_PER_MINUTE
    from_core = problem.seconds[target, rows] / SECONDS_PER_MINUTE
    frame["minutes_to_core"] = np.where(assigned, to_core, np.nan).round(MINUTE_DECIMALS)
    frame["minutes_from_core"] = np.where(assigned, from_core, np.nan).round(MINUTE_DECIMALS)
    frame["minutes_counted"] = counted_minutes(frame)  # rounding keeps order, so this is the rounded longer trip
    return frame


def write_plan_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """plan.csv: UTF-8 with BOM (so Excel reads the Chinese), one row per school."""
    columns = [c for c in PLAN_COLUMNS if c in frame] + [c for c in frame if c not in PLAN_COLUMNS and c != "geometry"]
    text = pd.DataFrame(frame[columns]).to_csv(index=False, lineterminator="\n", float_format=f"%.{MINUTE_DECIMALS}f")
    return write_text_atomic(path, text, encoding="utf-8-sig")


def write_plan_json(plan: Plan, path: str | Path, **extra) -> Path:
    """plan.json: the rules, solver, status, objective and its parts, bound, gap, seed, input hash and ``extra``."""
    record = {**plan.summary(), **extra}
    return write_text_atomic(path, json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_geojson(frame: gpd.GeoDataFrame, path: str | Path) -> Path:
    """RFC 7946 GeoJSON (EPSG:4326, right-hand winding, 7 decimals), written atomically."""
    frame = frame.to_crs(WGS84)
    with atomic_path(path) as tmp:
        tmp.unlink()
        frame.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer=Path(path).stem, layer_options={"RFC7946": "YES"})
    return Path(path)


def links_frame(schools: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One line from each member's core to the member, with both schools' ids, the 学区 and the minutes."""
    cores = schools[schools["is_core"]].set_index("school_id").geometry
    members = schools[~schools["is_core"] & (schools["district"] != "")]
    lines = [LineString([cores[core], point]) for core, point in zip(members["core_school_id"], members.geometry)]
    columns = [c for c in LINK_COLUMNS if c in members]
    return gpd.GeoDataFrame(pd.DataFrame(members[columns]).reset_index(drop=True), geometry=lines, crs=schools.crs)


def summary_table(summary: dict) -> pd.DataFrame:
    """plan.json's fields as one row (nested values as JSON text): the GeoPackage's ``plan`` table."""
    def cell(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, (dict, list, tuple)) else value

    return pd.DataFrame([{key: cell(summary[key]) for key in sorted(summary)}])


def write_gpkg(schools: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, summary: dict, path: str | Path) -> Path:
    """A GeoPackage with layers ``districts``, ``schools``, ``links`` and the non-spatial table ``plan``.

    Byte for byte the same for the same plan: GDAL's change date is fixed (``OGR_CURRENT_DATE``).
    """
    layers = dict(zip(GPKG_LAYERS, (districts, schools, links_frame(schools), summary_table(summary))))
    with atomic_path(path, suffix=".gpkg") as tmp, _fixed_gdal_date():
        tmp.unlink()
        for name, frame in layers.items():
            data = frame.to_crs("EPSG:4326") if isinstance(frame, gpd.GeoDataFrame) else frame
            pyogrio.write_dataframe(data, tmp, layer=name, driver="GPKG")
    return Path(path)


@contextmanager
def _fixed_gdal_date():
    previous = pyogrio.get_gdal_config_option(GDAL_DATE_OPTION)
    pyogrio.set_gdal_config_options({GDAL_DATE_OPTION: FIXED_GPKG_DATE})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({GDAL_DATE_OPTION: previous})


def school_list(schools: pd.DataFrame) -> pd.DataFrame:
    """The school list per 学区 as bureaus publish it (学区内学校名单及分类), one row per school.

    Each 学区 starts with its core's row (成员校 empty), then its members by id; schools in no 学区
    come last. Columns: 学区, 核心校, 成员校, 学校标识码, 核心校标识码, 学段, 城乡类型, 学校类别 (where the
    table has it), 在校生数.
    """
    order = schools.assign(_left_out=schools["district"] == "", _member=~schools["is_core"].astype(bool))
    order = order.sort_values(["_left_out", "district", "_member", "school_id"], kind="stable")
    table = pd.DataFrame({
        "学区": order["district_name"], "核心校": order["core_name"], "成员校": order["name"].where(order["_member"], ""),
        "学校标识码": order["school_id"], "核心校标识码": order["core_school_id"], "学段": order["level"].map(LEVEL_LABELS_ZH),
        "城乡类型": order["area_type"].map(AREA_LABELS_ZH).fillna("") if "area_type" in order else "",
    })
    if "category" in order and order["category"].notna().any():
        table["学校类别"] = order["category"].map(CATEGORY_LABELS_ZH).fillna("")
    table["在校生数"] = order["enrollment"]
    return table.reset_index(drop=True)


def write_school_list(schools: pd.DataFrame, path: str | Path, *, excel: bool = False) -> Path:
    """The school list per 学区: a CSV (UTF-8 with BOM), or (``excel``) an XLSX workbook with one sheet per 学段."""
    table = school_list(schools)
    if not excel:
        return write_text_atomic(path, table.to_csv(index=False, lineterminator="\n"), encoding="utf-8-sig")
    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as workbook:
        for level in (LEVEL_LABELS_ZH[level] for level in LEVELS):
            sheet = table[table["学段"] == level]
            if len(sheet):
                sheet.to_excel(workbook, sheet_name=level, index=False)
    return Path(path)


def export_plan(tables: PlanTables, fmt: str, path: str | Path, *, layer: str = "districts") -> Path:
    """Write a plan in one of :data:`EXPORT_FORMATS`: GeoJSON (one ``layer``), GeoPackage, or the school list.

    Reading the file back with :func:`partition.planfile.read_plan` gives the same plan.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if fmt == "gpkg":
        return write_gpkg(tables.schools, tables.districts, tables.summary, path)
    if fmt == "geojson":
        frames = {"districts": tables.districts, "schools": tables.schools, "links": links_frame(tables.schools)}
        if layer not in frames:
            raise ValueError(f"layer must be one of {', '.join(frames)}, got {layer!r}")
        return write_geojson(frames[layer], path)
    return write_school_list(tables.schools, path, excel=fmt == "xlsx")
