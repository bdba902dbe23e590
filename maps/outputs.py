"""What a person gets from a :class:`partition.pipeline.Result`: the map, the printed figure, the report, the files."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
from matplotlib.figure import Figure

from gis.files import staged_output_dir, write_bytes_atomic
from gis.isochrones import isochrone_polygons
from gis.roads import main_roads
from gis.traveltime import TravelTimeEngine
from partition.export import SCHOOL_FEATURE_COLUMNS, write_geojson, write_gpkg, write_plan_csv, write_plan_json
from partition.pipeline import Result
from partition.problem import SECONDS_PER_MINUTE
from partition.tables import plan_tables
from partition.violations import RULE_LABELS

from .assets import save_map
from .basemaps import OSM_ATTRIBUTION
from .figure import figure_bytes, render_plan_figure
from .render import plan_colors, render_plan_map
from .report import render_report, save_report

__all__ = [
    "DEFAULT_TITLE", "OUTPUT_FILES", "MapContext", "map_context", "plan_figure", "plan_map", "plan_report", "write_plan_files",
]  # fmt: skip

#: The files :func:`write_plan_files` writes, in the order they are listed to a person.
OUTPUT_FILES = (
    "map.html", "map.png", "map.pdf", "report.html", "districts.geojson", "schools.geojson", "plan.csv", "plan.json", "plan.gpkg",
)
DEFAULT_TITLE = "学区划分方案"


@dataclass(frozen=True)
class MapContext:
    """What the maps draw around a plan: main roads, 乡镇/街道 areas, each core's isochrone."""

    roads: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame | None


def map_context(result: Result, *, roads: gpd.GeoDataFrame | None = None) -> MapContext:
    """The main roads and townships of the plan's OSM data, and the area within the travel limit of each core
    (``roads``: :func:`gis.roads.main_roads` of the plan's roads, when they are drawn already)."""
    cores = result.schools[result.schools["is_core"] & (result.schools["district"] != "")]
    isochrones = None
    if result.rules.max_minutes is not None and len(cores):
        limit_s = result.rules.max_minutes * SECONDS_PER_MINUTE
        areas = isochrone_polygons(TravelTimeEngine(result.roads), result.roads, cores["node"].to_numpy(), limit_s,
                                   boundary=result.boundary)
        isochrones = areas.assign(district=cores["district"].to_numpy(), minutes=result.rules.max_minutes)
    roads = main_roads(result.roads) if roads is None else roads
    return MapContext(roads=roads, townships=result.townships, isochrones=isochrones)


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
    roads, townships = (main_roads(result.roads), result.townships) if context is None else (context.roads, context.townships)
    return render_plan_figure(
        result.schools, result.districts, plan_colors(result.schools, result.districts), title=title, notice=notice,
        roads=roads, townships=townships, lang=lang, source=source,
    )


def _figure_files(*args, **kwargs) -> tuple[bytes, bytes]:
    """map.png and map.pdf of :func:`maps.figure.render_plan_figure`'s figure."""
    figure = render_plan_figure(*args, **kwargs)
    return figure_bytes(figure, "png"), figure_bytes(figure, "pdf")


def _figure_files_meanwhile(result: Result, roads: gpd.GeoDataFrame, stack: ExitStack, *, jobs: int, **options) -> Future:
    """map.png and map.pdf drawn in a second process when ``jobs`` allows (the figure does not need
    the map's isochrones), else here; the same bytes either way."""
    args = (result.schools, result.districts, plan_colors(result.schools, result.districts))
    kwargs = {"roads": roads, "townships": result.townships, **options}
    if jobs < 2:
        done = Future()
        done.set_result(_figure_files(*args, **kwargs))
        return done
    second_core = stack.enter_context(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")))
    return second_core.submit(_figure_files, *args, **kwargs)


def plan_report(result: Result, *, title: str = DEFAULT_TITLE, notice: str | None = None) -> str:
    """report.html of the plan: the rules it breaks, the solver's status, one row per 学区, the balance standards, the school list."""
    return render_report(
        title=title, plan=result.plan.summary(), districts=result.districts.drop(columns="geometry"), schools=result.schools,
        cv_table=result.cv_table, standards=result.standards, between_cv=result.between_cv, notice=notice,
        violations=_violation_rows(result), rule_labels=RULE_LABELS,
    )


def _violation_rows(result: Result) -> list[dict]:
    """Each violation with the school's and its 学区's names, as the report lists them."""
    names = dict(zip(result.schools["school_id"], result.schools["name"]))
    districts = dict(zip(result.districts["district"], result.districts["district_name"]))
    return [{**v.to_dict(), "school": names[v.school_id], "district_name": districts.get(v.district, "")} for v in result.violations]


def write_plan_files(
    result: Result, out: str | os.PathLike, *, title: str = DEFAULT_TITLE, notice: str | None = None, lang: str = "zh",
    source: str | None = OSM_ATTRIBUTION, basemap: str = "none", basemap_key: str | None = None,
    inputs: Mapping[str, object] | None = None, jobs: int = 1,
) -> dict[str, Path]:
    """Write :data:`OUTPUT_FILES` into the folder ``out``; return their paths by name.

    The options are :func:`plan_map`'s. ``inputs`` (JSON-ready) is recorded in plan.json as what,
    besides the rules and seed, shaped the plan: the command line records its input files and
    settings there, so that ``python app.py rerun plan.json`` makes the same plan. With ``jobs``
    above 1 the printed figure (map.png, map.pdf) is drawn in a second process while the map is
    made (the same bytes; a script calling it then needs the ``if __name__ == "__main__":``
    guard, as for :func:`partition.plan_districts`). The files appear together or not at all:
    they are written into a staging folder beside ``out`` and moved in when every one is complete.
    """
    out = Path(out)
    about = {"title": title, "notice": notice, "n_schools": len(result.schools), **({"inputs": dict(inputs)} if inputs else {})}
    tables = plan_tables(result, **about)
    schools = tables.schools
    options = {"title": title, "notice": notice, "lang": lang, "source": source}
    with ExitStack() as stack, staged_output_dir(out) as stage:
        roads = main_roads(result.roads)
        figures = _figure_files_meanwhile(result, roads, stack, jobs=jobs, **options)
        context = map_context(result, roads=roads)
        write_plan_csv(schools, stage / "plan.csv")
        write_plan_json(result.plan, stage / "plan.json", violations=tables.summary["violations"], **about)
        write_geojson(schools[[c for c in SCHOOL_FEATURE_COLUMNS if c in schools] + ["geometry"]], stage / "schools.geojson")
        write_geojson(result.districts, stage / "districts.geojson")
        write_gpkg(schools, result.districts, tables.summary, stage / "plan.gpkg")
        save_map(plan_map(result, basemap=basemap, basemap_key=basemap_key, context=context, **options), stage / "map.html")
        for name, data in zip(("map.png", "map.pdf"), figures.result()):
            write_bytes_atomic(stage / name, data)
        save_report(plan_report(result, title=title, notice=notice), stage / "report.html")
    return {name: out / name for name in OUTPUT_FILES}
