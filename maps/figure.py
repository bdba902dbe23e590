"""The printed 学区划分图示: the plan as an A4 landscape figure (map.pdf, and map.png at 300 dpi).

Drawn with matplotlib and geopandas in the plan's UTM zone (metres, north up): territories in
the colours of the interactive map, township borders, main roads, members and starred cores
with their keys, a title and the data notice, a legend (key, 学区, core school), a scale bar, a
north arrow and the data source. Chinese text needs a CJK font: one is looked up with
matplotlib's font manager (Debian's ``fonts-noto-cjk``); without one the figure warns and
falls back to Latin text (keys and school ids), never to empty boxes. The same plan gives the
same bytes: no dates or versions are written into the files.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager, patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrow, Patch, Rectangle

from gis.coords import WGS84
from gis.files import write_bytes_atomic
from gis.network import local_utm_crs
from maps.basemaps import OSM_ATTRIBUTION
from maps.colours import UNASSIGNED_COLOR
from maps.layers import ROAD_WEIGHTS
from maps.text import labels

__all__ = [
    "A4_LANDSCAPE_IN",
    "CJK_FONTS",
    "PNG_DPI",
    "cjk_font_name",
    "figure_bytes",
    "render_plan_figure",
    "save_figure",
]

#: A4 landscape in inches (297 × 210 mm).
A4_LANDSCAPE_IN = (297 / 25.4, 210 / 25.4)
#: Resolution of map.png.
PNG_DPI = 300
#: CJK font families tried in order (Simplified Chinese forms first).
CJK_FONTS = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Noto Sans CJK TC", "Noto Sans CJK JP", "Droid Sans Fallback",
)  # fmt: skip
LATIN_FONT = "DejaVu Sans"

# Layout in figure fractions: the map on the left, the legend on the right.
_MAP_BOX = (0.025, 0.075, 0.63, 0.79)
_LEGEND_BOX = (0.675, 0.075, 0.305, 0.79)
_TITLE_Y, _NOTICE_Y, _FOOTER_Y = 0.955, 0.905, 0.03
_MAP_MARGIN = 0.03  # of the plan's extent, around it
_TERRITORY_ALPHA = 0.5
_EDGE_COLOR = "#333333"
_ROAD_COLOR = "#7f7766"
_TOWNSHIP_STYLE = {"color": "#4d4d4d", "linewidth": 0.6, "linestyle": (0, (4, 2.5))}
_ROAD_WIDTH_PER_PX = 0.3  # line width (pt) per pixel of the interactive map's road weight
_MEMBER_SIZE, _CORE_SIZE = 9, 70  # scatter marker areas (pt²)
_KEY_FONT_SIZE, _LEGEND_FONT_SIZE, _SMALL_FONT_SIZE = 5.5, 6.5, 6
_LEGEND_ROWS_PER_COLUMN = 46
_LEGEND_MAX_COLUMNS = 3
_LEGEND_SYMBOL_ROWS = 6
_SCALE_FRACTION = 0.22  # the scale bar's length, of the map's width, at most
_NICE_STEPS = (1, 2, 5)
# One weight of the CJK font: embedding a second (bold) face doubles the time PDF subsetting takes.
_HALO = [patheffects.withStroke(linewidth=1.6, foreground="white")]
# No dates, versions or tool names in the files: the same plan gives the same bytes.
_PDF_METADATA = {"Creator": None, "Producer": None, "CreationDate": None}
_PNG_METADATA = {"Software": None}


def cjk_font_name() -> str | None:
    """The first of :data:`CJK_FONTS` matplotlib's font manager knows, or None."""
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _has_cjk(text: str) -> bool:
    return any(ord(char) > 0x2E7F for char in text)


class _Text:
    """The figure's words, in CJK or (without a CJK font) in Latin with ids for names."""

    def __init__(self, lang: str):
        self.font = cjk_font_name()
        if self.font is None:
            warnings.warn(
                "no CJK font found (install fonts-noto-cjk): map.png and map.pdf use English labels "
                "and school ids instead of Chinese names",
                stacklevel=3,
            )
            lang = "en"
        self.words = labels(lang)

    @property
    def family(self) -> list[str]:
        return [self.font, LATIN_FONT] if self.font else [LATIN_FONT]

    def name(self, text: object, fallback: object) -> str:
        """``text``, or ``fallback`` when it needs a CJK font that is missing."""
        text = "" if pd.isna(text) else str(text)
        return str(fallback) if self.font is None and _has_cjk(text) else text


def _metric(frames: list[gpd.GeoDataFrame | None]) -> object:
    """The UTM zone of the plan."""
    bounds = np.array([frame.to_crs(WGS84).total_bounds for frame in frames if frame is not None and not frame.empty])
    return local_utm_crs(bounds[:, [0, 2]].ravel(), bounds[:, [1, 3]].ravel())


def _projected(frame: gpd.GeoDataFrame | None, crs) -> gpd.GeoDataFrame | None:
    if frame is None or frame.empty:
        return None
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    return (frame.set_crs(WGS84) if frame.crs is None else frame).to_crs(crs)


def _district_key(value: object) -> str:
    return "" if pd.isna(value) else str(value)


def _draw_territories(ax: Axes, districts: gpd.GeoDataFrame, colors: Mapping[str, str]) -> None:
    fills = [colors[str(key)] for key in districts["district"]]
    districts.plot(ax=ax, color=fills, alpha=_TERRITORY_ALPHA, linewidth=0, zorder=1)
    districts.boundary.plot(ax=ax, color=_EDGE_COLOR, linewidth=0.5, zorder=4)


def _draw_roads(ax: Axes, roads: gpd.GeoDataFrame | None) -> None:
    if roads is None:
        return
    for highway, line in zip(roads["highway"], roads.geometry):
        width = ROAD_WEIGHTS.get(str(highway), min(ROAD_WEIGHTS.values())) * _ROAD_WIDTH_PER_PX
        gpd.GeoSeries([line], crs=roads.crs).plot(ax=ax, color=_ROAD_COLOR, linewidth=width, zorder=2)


def _draw_townships(ax: Axes, townships: gpd.GeoDataFrame | None) -> None:
    if townships is not None:
        townships.boundary.plot(ax=ax, zorder=3, **_TOWNSHIP_STYLE)


def _draw_schools(ax: Axes, schools: gpd.GeoDataFrame, colors: Mapping[str, str], text: _Text) -> None:
    keys = schools["district"].map(_district_key)
    core = schools["is_core"].astype(bool).to_numpy() & keys.ne("").to_numpy()
    fill = [colors.get(key, UNASSIGNED_COLOR) for key in keys]
    x, y = schools.geometry.x.to_numpy(), schools.geometry.y.to_numpy()
    members = ~core
    ax.scatter(x[members], y[members], s=_MEMBER_SIZE, c=np.array(fill)[members], edgecolors="white", linewidths=0.3, zorder=5)
    ax.scatter(x[core], y[core], s=_CORE_SIZE, c=np.array(fill)[core], marker="*", edgecolors="#1a1a1a", linewidths=0.5, zorder=6)
    for key, cx, cy in zip(keys[core], x[core], y[core]):
        ax.annotate(key, (cx, cy), xytext=(3, 3), textcoords="offset points", fontsize=_KEY_FONT_SIZE,
                    fontweight="bold", path_effects=_HALO, zorder=7)


def _nice_length(limit_m: float) -> float:
    """The longest 1, 2 or 5 × 10^k metres not above ``limit_m``."""
    power = 10 ** math.floor(math.log10(limit_m))
    return max(step * power for step in _NICE_STEPS if step * power <= limit_m)


def _draw_scale_bar(ax: Axes, text: _Text) -> None:
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    length = _nice_length((x1 - x0) * _SCALE_FRACTION)
    left, bottom, height = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0), 0.008 * (y1 - y0)
    for half, color in enumerate(("#1a1a1a", "white")):
        ax.add_patch(Rectangle((left + half * length / 2, bottom), length / 2, height, facecolor=color,
                               edgecolor="#1a1a1a", linewidth=0.5, zorder=8))
    km = length / 1000
    label = f"{km:g} {text.words['km']}" if km >= 1 else f"{length:g} m"
    for offset, value in ((0, "0"), (length, label)):
        ax.text(left + offset, bottom + 2.2 * height, value, ha="center", va="bottom", fontsize=_SMALL_FONT_SIZE,
                path_effects=_HALO, zorder=8)


def _draw_north_arrow(ax: Axes, text: _Text) -> None:
    ax.add_patch(FancyArrow(0.95, 0.86, 0, 0.07, width=0.008, head_width=0.03, head_length=0.035,
                            length_includes_head=True, transform=ax.transAxes, color="#1a1a1a", zorder=8))
    ax.text(0.95, 0.95, text.words["north"], transform=ax.transAxes, ha="center", va="bottom",
            fontsize=9, path_effects=_HALO, zorder=8)


def _legend_rows(districts: gpd.GeoDataFrame, colors: Mapping[str, str], text: _Text) -> list[tuple[str, str]]:
    """(colour, "D01  name · core school") for each district."""
    rows = []
    for district in districts.sort_values("district").itertuples():
        key = str(district.district)
        name = text.name(district.district_name, key)
        core = text.name(district.core_name, "")
        rows.append((colors[key], f"{key}  {name}" + (f" · {core}" if core else "")))
    return rows


def _draw_legend(ax: Axes, districts: gpd.GeoDataFrame, colors: Mapping[str, str], text: _Text,
                 roads: bool, townships: bool) -> None:
    ax.set_axis_off()
    words = text.words
    rows = _legend_rows(districts, colors, text)
    capacity = _LEGEND_ROWS_PER_COLUMN * _LEGEND_MAX_COLUMNS
    shown, hidden = rows[:capacity], len(rows) - capacity
    columns = max(1, math.ceil(len(shown) / _LEGEND_ROWS_PER_COLUMN))
    step = 1 / (_LEGEND_ROWS_PER_COLUMN + _LEGEND_SYMBOL_ROWS + 3)
    ax.text(0, 1, f"{words['districts']}（{words['key']} · {words['district']} · {words['core_school']}）"
            if text.font else f"{words['districts']} ({words['key']} · {words['district']} · {words['core_school']})",
            fontsize=_LEGEND_FONT_SIZE + 1, va="top", transform=ax.transAxes)
    width = 1 / columns
    for index, (color, label) in enumerate(shown):
        column, row = divmod(index, _LEGEND_ROWS_PER_COLUMN)
        x, y = column * width, 1 - (row + 2) * step
        ax.add_patch(Rectangle((x, y - step * 0.35), 0.025, step * 0.7, facecolor=color, alpha=_TERRITORY_ALPHA + 0.2,
                               edgecolor=_EDGE_COLOR, linewidth=0.4, transform=ax.transAxes))
        ax.text(x + 0.035, y, label, fontsize=_LEGEND_FONT_SIZE if columns == 1 else _SMALL_FONT_SIZE - 1,
                va="center", transform=ax.transAxes, clip_on=True)
    if hidden > 0:
        ax.text(0, 1 - (_LEGEND_ROWS_PER_COLUMN + 2) * step, words["more_districts"].format(count=hidden),
                fontsize=_LEGEND_FONT_SIZE, style="italic", va="center", transform=ax.transAxes)
    _draw_symbol_key(ax, text, roads=roads, townships=townships)


def _draw_symbol_key(ax: Axes, text: _Text, *, roads: bool, townships: bool) -> None:
    words = text.words
    handles = [
        Line2D([], [], marker="*", linestyle="", markersize=9, markerfacecolor="#bbbbbb", markeredgecolor="#1a1a1a",
               markeredgewidth=0.5, label=words["core_school"]),
        Line2D([], [], marker="o", linestyle="", markersize=4, markerfacecolor="#bbbbbb", markeredgecolor="white",
               label=words["member_school"]),
    ]
    if roads:
        handles.append(Line2D([], [], color=_ROAD_COLOR, linewidth=1.2, label=words["roads"]))
    if townships:
        handles.append(Line2D([], [], label=words["townships"], **_TOWNSHIP_STYLE))
    handles.append(Patch(facecolor=UNASSIGNED_COLOR, edgecolor=_EDGE_COLOR, linewidth=0.4, label=words["unassigned"]))
    ax.legend(handles=handles, loc="lower left", ncols=2, fontsize=_LEGEND_FONT_SIZE, frameon=False,
              borderaxespad=0, handletextpad=0.5, columnspacing=1.5)


def _frame_extent(ax: Axes, frames: list[gpd.GeoDataFrame]) -> None:
    """Show the plan's extent with a margin, at equal scale, widened to the axes' shape."""
    bounds = np.array([frame.total_bounds for frame in frames if frame is not None and not frame.empty])
    west, south = bounds[:, :2].min(axis=0)
    east, north = bounds[:, 2:].max(axis=0)
    margin = _MAP_MARGIN * max(east - west, north - south)
    width, height = east - west + 2 * margin, north - south + 2 * margin
    box = ax.get_position()
    fig_width, fig_height = ax.figure.get_size_inches()
    shape = (box.width * fig_width) / (box.height * fig_height)
    width, height = max(width, height * shape), max(height, width / shape)
    centre_x, centre_y = (west + east) / 2, (south + north) / 2
    ax.set_xlim(centre_x - width / 2, centre_x + width / 2)
    ax.set_ylim(centre_y - height / 2, centre_y + height / 2)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)


def _draw_header_footer(fig: Figure, title: str, notice: str | None, source: str | None, crs, text: _Text) -> None:
    fig.text(0.5, _TITLE_Y, text.name(title, "School districts"), ha="center", va="center", fontsize=17)
    if notice:
        fig.text(0.5, _NOTICE_Y, text.name(notice, notice.encode("ascii", "ignore").decode().strip(" /") or "Notice"),
                 ha="center", va="center", fontsize=9, color="#7a4500",
                 bbox={"boxstyle": "round,pad=0.3", "facecolor": "#fff3cd", "edgecolor": "#e0b252", "linewidth": 0.6})
    parts = [f"{text.words['source']}: {text.name(source, OSM_ATTRIBUTION)}"] if source else []
    parts.append(f"{crs.name}")
    fig.text(_MAP_BOX[0], _FOOTER_Y, "    ".join(parts), fontsize=_SMALL_FONT_SIZE, color="#444444", va="center")


def render_plan_figure(
    schools: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    colors: Mapping[str, str],
    *,
    title: str,
    notice: str | None = None,
    roads: gpd.GeoDataFrame | None = None,
    townships: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    source: str | None = OSM_ATTRIBUTION,
) -> Figure:
    """Draw the plan as an A4 landscape figure.

    Parameters
    ----------
    schools, districts : geopandas.GeoDataFrame
        The plan, as :func:`maps.render.render_plan_map` takes it.
    colors : mapping
        District key -> colour (:func:`maps.render.plan_colors`, so the figure matches the map).
    title, notice : str
        The title, and a notice printed under it (e.g. that the data are synthetic).
    roads, townships : geopandas.GeoDataFrame, optional
        Main roads (``highway``) and 乡镇/街道 areas.
    lang : {"zh", "en"}
        The language of the figure's own words.
    source : str, optional
        The data source printed in the footer (OpenStreetMap's attribution by default).

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`save_figure`.
    """
    text = _Text(lang)
    crs = _metric([schools, districts])
    schools, districts, roads, townships = (_projected(frame, crs) for frame in (schools, districts, roads, townships))
    with matplotlib.rc_context({"font.family": text.family, "pdf.fonttype": 42, "svg.fonttype": "none"}):
        fig = Figure(figsize=A4_LANDSCAPE_IN)
        FigureCanvasAgg(fig)
        ax = fig.add_axes(_MAP_BOX)
        if districts is not None:
            _draw_territories(ax, districts, colors)
        _draw_roads(ax, roads)
        _draw_townships(ax, townships)
        if schools is not None:
            _draw_schools(ax, schools, colors, text)
        _frame_extent(ax, [schools, districts])
        _draw_scale_bar(ax, text)
        _draw_north_arrow(ax, text)
        legend = fig.add_axes(_LEGEND_BOX)
        _draw_legend(legend, districts if districts is not None else gpd.GeoDataFrame(columns=["district"]), colors, text,
                     roads=roads is not None, townships=townships is not None)
        _draw_header_footer(fig, title, notice, source, crs, text)
    return fig


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG (300 dpi) or PDF bytes, without dates or versions."""
    metadata = _PDF_METADATA if fmt == "pdf" else _PNG_METADATA
    buffer = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}):  # embed TrueType/CID fonts, not Type 3
        fig.savefig(buffer, format=fmt, dpi=PNG_DPI, metadata=metadata, facecolor="white")
    return buffer.getvalue()


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Write the figure atomically as PNG or PDF, as the suffix of ``path`` says.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    fmt = Path(path).suffix.lstrip(".").lower()
    if fmt not in ("png", "pdf"):
        raise ValueError(f"{path}: save the figure as .png or .pdf")
    return write_bytes_atomic(path, figure_bytes(fig, fmt))
