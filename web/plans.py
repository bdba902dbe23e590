"""A plan folder as a page shows it: the solver's summary, the figures per 学区, the 差异系数 table, the broken rules.

Every plan the web application shows (a run's, a proposal version's) is a folder written by
:func:`maps.write_plan_files`; this reads it back for the templates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from maps.outputs import OUTPUT_FILES
from maps.render import plan_colors
from partition.export import SCHOOL_FEATURE_COLUMNS
from partition.metrics import indicator_cv_table
from partition.rules import Rules
from partition.tables import read_plan_folder
from partition.violations import RULE_LABELS

__all__ = [
    "PlanView", "plan_view", "map_layers", "layers_json", "violation_rows", "downloadable", "SCHOOL_LISTS", "DOWNLOAD_WORDS",
]

#: The school list per 学区, exported on demand: file name -> :func:`partition.export_plan` format.
SCHOOL_LISTS = {"school-list.csv": "csv", "school-list.xlsx": "xlsx"}
#: Each file a plan's page offers, in order, with the words (a key of :data:`web.i18n.MESSAGES`) that name it.
DOWNLOAD_WORDS = {
    "map.html": "dl_map", "map.png": "dl_png", "map.pdf": "dl_pdf", "report.html": "dl_report", "plan.gpkg": "dl_gpkg",
    "districts.geojson": "dl_districts", "schools.geojson": "dl_schools", "school-list.csv": "dl_csv",
    "school-list.xlsx": "dl_xlsx", "plan.csv": "dl_plan_csv",
}


@dataclass(frozen=True, eq=False)
class PlanView:
    """What a page shows of a plan.

    Attributes
    ----------
    summary : dict
        plan.json: rules, solver, status, gap, objective, student-minutes, ...
    districts : pandas.DataFrame
        One row per 学区 with its figures (districts.geojson's properties).
    schools : pandas.DataFrame
        plan.csv: one row per school with its 学区.
    cv_table : pandas.DataFrame
        差异系数 of each indicator per level, with the standard's limit and whether it is met.
    violations : list of dict
        The rules the plan breaks (empty for a solved plan), as :func:`violation_rows` lists them.
    downloads : list of str
        The files the plan offers (:func:`downloadable`).
    """

    summary: dict
    districts: pd.DataFrame
    schools: pd.DataFrame
    cv_table: pd.DataFrame
    violations: list
    downloads: list

    @property
    def rules(self) -> Rules:
        """The rules the plan was made (or scored) under."""
        return Rules.from_dict(self.summary["rules"])

    @property
    def unassigned(self) -> pd.DataFrame:
        """The schools in no 学区."""
        return self.schools[self.schools["district"] == ""]


def plan_view(folder: Path) -> PlanView:
    """Read the plan folder written by :func:`maps.write_plan_files` (through :func:`partition.tables.read_plan_folder`)."""
    tables = read_plan_folder(folder)
    schools, districts = pd.DataFrame(tables.schools.drop(columns="geometry")), pd.DataFrame(tables.districts.drop(columns="geometry"))
    violations = violation_rows(tables.violations or [], schools, districts)
    return PlanView(tables.summary, districts, schools, indicator_cv_table(schools), violations, downloadable(folder))


def violation_rows(violations: list[dict], schools: pd.DataFrame, districts: pd.DataFrame) -> list[dict]:
    """Each broken rule as a page lists it: the rule's label, the school's and its 学区's names, what it has and what is asked."""
    names = dict(zip(schools["school_id"], schools["name"]))
    district_names = dict(zip(districts["district"], districts["district_name"])) if len(districts) else {}
    return [{**v, "label": RULE_LABELS.get(v["rule"], v["rule"]), "school": names.get(v["school_id"], v["school_id"]),
             "district_name": district_names.get(v["district"], "")} for v in violations]


def downloadable(folder: Path) -> list[str]:
    """The files a plan folder offers: those :func:`maps.write_plan_files` wrote, and the school lists."""
    written = [name for name in OUTPUT_FILES if (folder / name).is_file()]
    return [name for name in DOWNLOAD_WORDS if name in written or name in SCHOOL_LISTS]


def map_layers(folder: Path) -> dict:
    """The plan folder's 学区 and schools for the page's map (:func:`layers_json`)."""
    tables = read_plan_folder(folder)
    return layers_json(tables.schools, tables.districts)


def layers_json(schools: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> dict:
    """The 学区 and schools as GeoJSON, with each 学区's colour as the offline map has it (:func:`maps.render.plan_colors`)."""
    points = schools[[c for c in SCHOOL_FEATURE_COLUMNS if c in schools] + ["geometry"]]
    return {"districts": json.loads(districts.to_json(drop_id=True)), "schools": json.loads(points.to_json(drop_id=True)),
            "colours": plan_colors(schools, districts)}
