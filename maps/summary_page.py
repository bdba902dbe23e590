"""The pages of a batch: summary.html (one row per county) and overview.html (every county's 学区 on one map).

The overview is a folium map that opens offline (:mod:`maps.assets`): each county's territories in
the palette's colours, its outline drawn dark, the county and 学区 in a tooltip, a layer per county.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

from gis.coords import WGS84
from gis.files import write_text_atomic
from partition.standards import CV_LIMITS

from .assets import offline_map, save_map
from .pages import render_page, table_rows
from .render import PALETTE

__all__ = ["overview_map", "save_overview_map", "render_summary_page", "save_summary_page"]

COUNTY_OUTLINE = {"color": "#222222", "weight": 3, "fill": False}
TERRITORY_STYLE = {"color": "#ffffff", "weight": 1, "fillOpacity": 0.55}
#: View of a map without any territory (every county failed): the whole of China.
EMPTY_VIEW = {"location": [35.0, 105.0], "zoom_start": 4}


def overview_map(territories: Mapping[str, gpd.GeoDataFrame]) -> folium.Map:
    """Every county's 学区 territories (``district``, ``district_name``, geometry) on one map, by county name."""
    m = offline_map(**({} if territories else EMPTY_VIEW))
    bounds = []
    for k, (county, frame) in enumerate(territories.items()):
        frame = frame.to_crs(WGS84)
        layer = folium.FeatureGroup(name=html.escape(county))
        shown = gpd.GeoDataFrame({
            "county": html.escape(county), "district": frame["district"].map(html.escape),
            "name": frame["district_name"].astype(str).map(html.escape),
            "fill": [PALETTE[(k * 7 + j) % len(PALETTE)] for j in range(len(frame))],
        }, geometry=frame.geometry.to_numpy(), crs=WGS84)
        folium.GeoJson(
            shown.to_json(), style_function=lambda feature: {**TERRITORY_STYLE, "fillColor": feature["properties"]["fill"]},
            tooltip=folium.GeoJsonTooltip(fields=["county", "district", "name"], aliases=["县", "学区", ""]),
        ).add_to(layer)
        outline = gpd.GeoSeries([frame.geometry.union_all()], crs=WGS84)
        folium.GeoJson(outline.to_json(), style_function=lambda _: COUNTY_OUTLINE, interactive=False).add_to(layer)
        layer.add_to(m)
        west, south, east, north = frame.total_bounds
        bounds += [[south, west], [north, east]]
    if bounds:
        folium.LayerControl(collapsed=False).add_to(m)
        m.fit_bounds([[min(b[0] for b in bounds), min(b[1] for b in bounds)], [max(b[0] for b in bounds), max(b[1] for b in bounds)]])
    return m


def save_overview_map(territories: Mapping[str, gpd.GeoDataFrame], path: str | Path) -> Path:
    """Write :func:`overview_map` as an offline page, atomically."""
    return save_map(overview_map(territories), path)


def render_summary_page(table: pd.DataFrame, *, overview: str, title: str = "学区划分汇总 batch summary") -> str:
    """summary.html: the batch's table (:func:`batch.tables.county_table`) and its overview map (a file beside it)."""
    rows = table_rows(table)
    planned = sum(1 for row in rows if row["folder"])
    return render_page("summary.html.j2", title=title, notice=None, rows=rows, overview=overview, planned=planned,
                       failed=len(rows) - planned, cv_limits=CV_LIMITS)


def save_summary_page(table: pd.DataFrame, path: str | Path, **options) -> Path:
    """Write :func:`render_summary_page` atomically."""
    return write_text_atomic(path, render_summary_page(table, **options))
