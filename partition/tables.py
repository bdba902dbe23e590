"""A plan as the tables its files hold: from a :class:`~partition.pipeline.Result`, or read from a plan folder.

Comparisons and exports read these tables, so they work alike on a plan just made and on one a
run wrote earlier (``python app.py demo``, ``partition``, either with ``--plan``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from gis.errors import InputError

from .planfile import PLAN_TABLE

if TYPE_CHECKING:
    from .pipeline import Result

__all__ = ["PlanTables", "plan_tables", "read_plan_folder", "INTERNAL_COLUMNS", "PLAN_JSON"]

#: Columns of the canonical table that only the pipeline uses; left out of every file.
INTERNAL_COLUMNS = ("node", "snap_m", "source_row")
PLAN_JSON = "plan.json"
SCHOOLS_GEOJSON = "schools.geojson"
DISTRICTS_GEOJSON = "districts.geojson"
#: plan.csv columns that hold text whatever they look like (ids may be all digits).
TEXT_COLUMNS = ("school_id", "name", "level", "district", "district_name", "core_school_id", "core_name", "township",
                "area_type", "category")
FLAG_COLUMNS = ("is_core", "enrollment_estimated")


@dataclass(frozen=True, eq=False)
class PlanTables:
    """One plan as tables.

    Attributes
    ----------
    name : str
        What the plan is called in a comparison (a plan folder's name).
    schools : geopandas.GeoDataFrame
        plan.csv's columns with each school's point (EPSG:4326).
    districts : geopandas.GeoDataFrame
        One territory per 学区 with its figures (districts.geojson).
    summary : dict
        plan.json's fields: rules, solver, status, objective, violations, ...
    """

    name: str
    schools: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    summary: dict

    @property
    def violations(self) -> list[dict] | None:
        """The broken rules plan.json lists (None for a plan written before they were listed)."""
        return self.summary.get("violations")


def plan_tables(result: Result, *, name: str = "plan", **extra) -> PlanTables:
    """The tables of a :class:`Result`; ``extra`` fields join its summary (as plan.json records them)."""
    schools = result.schools.drop(columns=[c for c in INTERNAL_COLUMNS if c in result.schools])
    summary = {**result.plan.summary(), "violations": [v.to_dict() for v in result.violations], **extra}
    return PlanTables(name, schools, result.districts, summary)


def read_plan_folder(path: str | os.PathLike, *, name: str | None = None) -> PlanTables:
    """The tables of a plan folder written by this tool (or of its plan.csv's folder).

    Raises :class:`~gis.errors.InputError` naming the missing or unreadable file.
    """
    folder = Path(path)
    folder = folder.parent if folder.name == PLAN_TABLE and folder.is_file() else folder
    missing = [f for f in (PLAN_TABLE, PLAN_JSON, SCHOOLS_GEOJSON, DISTRICTS_GEOJSON) if not (folder / f).is_file()]
    if missing:
        raise InputError(f"{folder}: not a plan folder written by this tool (no {', '.join(missing)}); "
                         "give the --out folder of a demo or partition run")
    try:
        summary = json.loads((folder / PLAN_JSON).read_text(encoding="utf-8"))
        table = pd.read_csv(folder / PLAN_TABLE, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        points = gpd.read_file(folder / SCHOOLS_GEOJSON, engine="pyogrio", columns=["school_id"])
        districts = gpd.read_file(folder / DISTRICTS_GEOJSON, engine="pyogrio")
    except Exception as exc:  # json, pandas and pyogrio raise several types for a damaged file
        raise InputError(f"{folder}: cannot read the plan's files ({exc}); run the plan again") from None
    if not isinstance(summary, dict) or "rules" not in summary:
        raise InputError(f"{folder / PLAN_JSON}: not a plan.json written by this tool; run the plan again")
    location = points.assign(school_id=points["school_id"].astype(str)).set_index("school_id").geometry
    table = _typed(table)
    unplaced = sorted(set(table["school_id"]) - set(location.index))
    if unplaced:
        raise InputError(f"{folder / SCHOOLS_GEOJSON}: no point for school(s) {', '.join(unplaced)}; run the plan again")
    schools = gpd.GeoDataFrame(table, geometry=location.loc[table["school_id"]].to_numpy(), crs="EPSG:4326")
    districts["district"] = districts["district"].astype(str)
    return PlanTables(name or folder.resolve().name, schools, districts, summary)


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """plan.csv's text as the values it was written from: flags, numbers, text."""
    typed = {}
    for column in table.columns:
        text = table[column]
        if column in FLAG_COLUMNS:
            typed[column] = text.eq("True")
        elif column in TEXT_COLUMNS:
            typed[column] = text
        else:
            numbers = pd.to_numeric(text.replace("", None), errors="coerce")
            parses = numbers.notna() | text.eq("")
            typed[column] = numbers if parses.all() else text
    return pd.DataFrame(typed).astype({"enrollment": "int64"})
