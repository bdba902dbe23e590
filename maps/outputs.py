"""What a person gets from a :class:`partition.pipeline.Result`: the map, the printed figure, the report, the files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
from matplotlib.figure import Figure

from gis.files import staged_output_dir
from gis.isochrones import isochrone_polygons
from gis.roads import main_roads
from gis.traveltime import TravelTimeEngine
from partition.export import SCHOOL_FEATURE_COLUMNS, write_geojson, write_plan_csv, write_plan_json
from partition.pipeline import Result
from partition.problem import SECONDS_PER_MINUTE
from partition.standards import CV_LIMITS

from .assets import save_map
from .basemaps import OSM_ATTRIBUTION
from .figure import render_plan_figure, save_figure
from .render import plan_colors, render_plan_map
from .report import render_report, save_report

__all__ = [
    "DEFAULT_TITLE", "OUTPUT_FILES", "MapContext", "map_context", "plan_figure", "plan_map", "plan_report", "write_plan_files",
]  # fmt: skip

#: The files :func:`write_plan_files` writes, in the order they are listed to a person.
OUTPUT_FILES = ("map.html", "map.png", "map.pdf", "report.html", "districts.geojson", "schools.geojson", "plan.csv", "plan.json")
DEFAULT_TITLE = "学区划分方案"
#: Columns of the canonical table that only the pipeline uses; left out of plan.csv.
INTERNAL_COLUMNS = ("node", "snap_m", "source_row")


@dataclass(frozen=True)
class MapContext:
    """What the maps draw around a plan: main roads, 乡镇/街道 areas, each core's isochrone."""

    roads: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame | None


def map_context(result: Result) -> MapContext:
    """The main roads and townships of the plan's OSM data, and the area within the travel limit of each core."""
    cores = result.schools[result.schools["is_core"] & (result.schools["district"] != "")]
    isochrones = None
    if result.rules.max_minutes is not None and len(cores):
        limit_s = result.rules.max_minutes * SECONDS_PER_MINUTE
        areas = isochrone_polygons(TravelTimeEngine(result.roads), result.roads, cores["node"].to_numpy(), limit_s,
                                   boundary=result.boundary)
        isochrones = areas.assign(district=cores["district"].to_numpy(), minutes=result.rules.max_minutes)
    return MapContext(roads=main_roads(result.roads), townships=result.townships, isochrones=isochrones)


def plan_map(
    result: Result, *, title: str = DEFAULT_TITLE, notice: str | None = None, lang: str = "zh",
    source: str | None = OSM_ATTRIBUTION, basemap: str = "none", basemap_key: str | None = None,
    context: MapContext | None = None,
) -> folium.Map:
    """The interactive map of the plan (see :func:`maps.render.render_plan_map` for the options).

    Shows inline in Jupyter; save it with :func:`maps.save_map` for a page that opens offline.
    ``context`` (from :func:`map_context`) saves computing the roads and isochrones again.
    """
    context = map_context(result) if context is None else context
    return render_plan_map(
        result.schools, result.districts, title=title, notice=notice, roads=context.roads, townships=context.townships,
        isochrones=context.isochrones, basemap=basemap, basemap_key=basemap_key, lang=lang, source=source,
    )


def plan_figure(
    result: Result, *, title: str = DEFAULT_TITLE, notice: str | None = None, lang: str = "zh",
    source: str | None = OSM_ATTRIBUTION, context: MapContext | None = None,
) -> Figure:
    """The printed 学区划分图示 of the plan, in the map's colours; save it with :func:`maps.save_figure`."""
    context = map_context(result) if context is None else context
    return render_plan_figure(
        result.schools, result.districts, plan_colors(result.schools, result.districts), title=title, notice=notice,
        roads=context.roads, townships=context.townships, lang=lang, source=source,
    )


def plan_report(result: Result, *, title: str = DEFAULT_TITLE, notice: str | None = None) -> str:
    """report.html of the plan: the rules, the solver's status, one row per 学区, the 差异系数 table."""
    return render_report(
        title=title, plan=result.plan.summary(), districts=result.districts.drop(columns="geometry"),
        schools=result.schools, cv_table=result.cv_table, between_cv=result.between_cv, cv_limits=CV_LIMITS, notice=notice,
    )


def write_plan_files(
    result: Result, out: str | os.PathLike, *, title: str = DEFAULT_TITLE, notice: str | None = None, lang: str = "zh",
    source: str | None = OSM_ATTRIBUTION, basemap: str = "none", basemap_key: str | None = None,
) -> dict[str, Path]:
    """Write :data:`OUTPUT_FILES` into the folder ``out``; return their paths by name.

    The files appear together or not at all: they are written into a staging folder beside
    ``out`` and moved in when every one is complete. The options are :func:`plan_map`'s.
    """
    out = Path(out)
    schools = result.schools
    context = map_context(result)
    shared = {"title": title, "notice": notice, "lang": lang, "source": source, "context": context}
    with staged_output_dir(out) as stage:
        write_plan_csv(schools.drop(columns=[c for c in INTERNAL_COLUMNS if c in schools]), stage / "plan.csv")
        write_plan_json(result.plan, stage / "plan.json", title=title, notice=notice, n_schools=len(schools))
        write_geojson(schools[[c for c in SCHOOL_FEATURE_COLUMNS if c in schools] + ["geometry"]], stage / "schools.geojson")
        write_geojson(result.districts, stage / "districts.geojson")
        save_map(plan_map(result, basemap=basemap, basemap_key=basemap_key, **shared), stage / "map.html")
        figure = plan_figure(result, **shared)
        save_figure(figure, stage / "map.png")
        save_figure(figure, stage / "map.pdf")
        save_report(plan_report(result, title=title, notice=notice), stage / "report.html")
    return {name: out / name for name in OUTPUT_FILES}
