"""What a person gets from a :class:`partition.pipeline.Result`: the map, the report, the plan's files."""

from __future__ import annotations

import os
from pathlib import Path

import folium

from gis.files import staged_output_dir
from partition.export import SCHOOL_FEATURE_COLUMNS, write_geojson, write_plan_csv, write_plan_json
from partition.pipeline import Result
from partition.standards import CV_LIMITS

from .assets import save_map
from .render import render_plan_map
from .report import render_report, save_report

__all__ = ["plan_map", "plan_report", "write_plan_files", "OUTPUT_FILES", "DEFAULT_TITLE"]

#: The files :func:`write_plan_files` writes, in the order they are listed to a person.
OUTPUT_FILES = ("map.html", "report.html", "districts.geojson", "schools.geojson", "plan.csv", "plan.json")
DEFAULT_TITLE = "学区划分方案"
#: Columns of the canonical table that only the pipeline uses; left out of plan.csv.
INTERNAL_COLUMNS = ("node", "snap_m", "source_row")


def plan_map(result: Result, *, title: str = DEFAULT_TITLE, notice: str | None = None) -> folium.Map:
    """The interactive map of the plan: territories, schools, member-to-core links and legend.

    Shows inline in Jupyter; save it with :func:`maps.save_map` for a page that opens offline.
    """
    return render_plan_map(result.schools, result.districts, title=title, notice=notice)


def plan_report(result: Result, *, title: str = DEFAULT_TITLE, notice: str | None = None) -> str:
    """report.html of the plan: the rules, the solver's status, one row per 学区, the 差异系数 table."""
    return render_report(
        title=title, plan=result.plan.summary(), districts=result.districts.drop(columns="geometry"),
        schools=result.schools, cv_table=result.cv_table, between_cv=result.between_cv, cv_limits=CV_LIMITS, notice=notice,
    )


def write_plan_files(
    result: Result, out: str | os.PathLike, *, title: str = DEFAULT_TITLE, notice: str | None = None
) -> dict[str, Path]:
    """Write :data:`OUTPUT_FILES` into the folder ``out``; return their paths by name.

    The files appear together or not at all: they are written into a staging folder beside
    ``out`` and moved in when every one is complete.
    """
    out = Path(out)
    schools = result.schools
    with staged_output_dir(out) as stage:
        write_plan_csv(schools.drop(columns=[c for c in INTERNAL_COLUMNS if c in schools]), stage / "plan.csv")
        write_plan_json(result.plan, stage / "plan.json", title=title, notice=notice, n_schools=len(schools))
        write_geojson(schools[[c for c in SCHOOL_FEATURE_COLUMNS if c in schools] + ["geometry"]], stage / "schools.geojson")
        write_geojson(result.districts, stage / "districts.geojson")
        save_map(plan_map(result, title=title, notice=notice), stage / "map.html")
        save_report(plan_report(result, title=title, notice=notice), stage / "report.html")
    return {name: out / name for name in OUTPUT_FILES}
