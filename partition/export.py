"""The plan's formats on disk: plan.csv, plan.json and GeoJSON, all written atomically.

One key everywhere: the ``district`` column of plan.csv is the ``district`` property of the
features in schools.geojson and districts.geojson.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from gis.coords import WGS84
from gis.files import atomic_path, write_text_atomic

from .plan import UNASSIGNED, Plan
from .problem import SECONDS_PER_MINUTE, Problem

__all__ = [
    "plan_frame", "write_plan_csv", "write_plan_json", "write_geojson", "PLAN_COLUMNS", "SCHOOL_FEATURE_COLUMNS", "DISTRICT_SUFFIX",
]

#: Columns of plan.csv, in order.
PLAN_COLUMNS = [
    "school_id", "name", "level", "enrollment", "is_core", "district", "district_name",
    "core_school_id", "core_name", "minutes_to_core", "minutes_from_core", "township", "area_type",
]
#: Properties of each school in schools.geojson.
SCHOOL_FEATURE_COLUMNS = [
    "school_id", "name", "level", "enrollment", "is_core", "district", "district_name",
    "core_school_id", "minutes_to_core", "minutes_from_core",
]
#: A 学区 is named after its core school: 示范县第一实验小学 -> 示范县第一实验小学学区.
DISTRICT_SUFFIX = "学区"
MINUTE_DECIMALS = 2


def plan_frame(plan: Plan, problem: Problem, schools: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The schools (in problem order) with their 学区 and travel minutes to and from the core.

    Districts are keyed ``D01``, ``D02``, ... in the order of their cores' positions.
    Unassigned schools get an empty ``district``.
    """
    core_of = np.asarray(plan.core_of)
    cores = np.flatnonzero(core_of == np.arange(len(core_of)))
    key_of_core = {int(c): f"D{k + 1:02d}" for k, c in enumerate(cores)}
    assigned = core_of != UNASSIGNED
    target = np.where(assigned, core_of, 0)
    rows = np.arange(len(core_of))
    names = schools["name"].to_numpy()
    frame = schools.copy()
    frame["is_core"] = core_of == rows
    frame["district"] = [key_of_core.get(int(c), "") for c in core_of]
    frame["district_name"] = np.where(assigned, [f"{names[c]}{DISTRICT_SUFFIX}" for c in target], "")
    frame["core_school_id"] = np.where(assigned, schools["school_id"].to_numpy()[target], "")
    frame["core_name"] = np.where(assigned, names[target], "")
    to_core = problem.seconds[rows, target] / SECONDS_PER_MINUTE
    from_core = problem.seconds[target, rows] / SECONDS_PER_MINUTE
    frame["minutes_to_core"] = np.where(assigned, to_core, np.nan).round(MINUTE_DECIMALS)
    frame["minutes_from_core"] = np.where(assigned, from_core, np.nan).round(MINUTE_DECIMALS)
    return frame


def write_plan_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """plan.csv: UTF-8 with BOM (so Excel reads the Chinese), one row per school."""
    columns = [c for c in PLAN_COLUMNS if c in frame] + [c for c in frame if c not in PLAN_COLUMNS and c != "geometry"]
    text = pd.DataFrame(frame[columns]).to_csv(index=False, lineterminator="\n", float_format=f"%.{MINUTE_DECIMALS}f")
    return write_text_atomic(path, text, encoding="utf-8-sig")


def write_plan_json(plan: Plan, path: str | Path, **extra) -> Path:
    """plan.json: the rules, solver, status, objective, bound, gap, seed and input hash."""
    record = {**plan.summary(), **extra}
    return write_text_atomic(path, json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_geojson(frame: gpd.GeoDataFrame, path: str | Path) -> Path:
    """RFC 7946 GeoJSON (EPSG:4326, right-hand winding, 7 decimals), written atomically."""
    frame = frame.to_crs(WGS84)
    with atomic_path(path) as tmp:
        tmp.unlink()
        frame.to_file(tmp, driver="GeoJSON", engine="pyogrio", layer=Path(path).stem, layer_options={"RFC7946": "YES"})
    return Path(path)
