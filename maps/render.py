"""Draw one 学区 plan on an interactive folium map.

Every district gets a colour, its territory polygon, its member schools (cores bigger, on top)
and thin links from each member to its core; a title bar, a legend and a layer switcher frame
the map. The map needs no network (see :mod:`maps.assets`), and every string that comes from
the data is HTML-escaped before it reaches the page.

(About 570 lines, kept together: the Leaflet elements, the CSS and the HTML of popups, title bar and
legend all style one page, and change together.)
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.template import Template
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from gis.coords import WGS84
from gis.schema import AREA_LABELS_ZH, LEVEL_LABELS_ZH
from maps.assets import offline_map

__all__ = [
    "LINK_LAYER",
    "PALETTE",
    "SCHOOL_LAYER",
    "TERRITORY_LAYER",
    "TILE_LAYER",
    "UNASSIGNED_COLOR",
    "district_colors",
    "render_plan_map",
]

#: Qualitative palette (Tableau 10 without its grey, then Kelly's contrast colours);
#: districts take colours in order of their sorted keys and wrap around past the end.
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#875692",
    "#008856", "#be0032", "#0067a5", "#f6a600", "#604e97",
    "#8db600", "#882d17", "#e68fac", "#2b3d26", "#c2b280",
)  # fmt: skip
#: Colour of schools that belong to no district.
UNASSIGNED_COLOR = "#9e9e9e"

#: Names of the overlays in the layer switcher.
TERRITORY_LAYER = "学区范围 territories"
SCHOOL_LAYER = "学校 schools"
LINK_LAYER = "连线 links"
TILE_LAYER = "OpenStreetMap 底图"

SCHOOL_COLUMNS = (
    "school_id", "name", "level", "enrollment", "is_core", "district", "district_name",
    "core_school_id", "minutes_to_core", "township", "area_type",
)  # fmt: skip
DISTRICT_COLUMNS = ("district", "district_name", "core_name", "n_schools", "enrollment")

# CSS classes on the SVG paths, for styling and for tests that count what is drawn.
_CLASS_TERRITORY = "xq-territory"
_CLASS_LINK = "xq-link"
_CLASS_MEMBER = "xq-school"
_CLASS_CORE = "xq-school xq-core"
_CLASS_UNASSIGNED = "xq-school xq-unassigned"

# Leaflet panes: territories in the built-in overlay pane (z-index 400), links and schools
# in panes above it, so toggling a layer never buries the schools under the polygons.
_LINK_PANE = ("xqLinks", 410)
_SCHOOL_PANE = ("xqSchools", 420)

_TERRITORY_STYLE = {"weight": 2, "opacity": 0.9, "fillOpacity": 0.22}
_LINK_STYLE = {"weight": 1.5, "opacity": 0.7, "interactive": False}
_MEMBER_STYLE = {"radius": 5, "weight": 1, "color": "#ffffff", "fillOpacity": 0.95}
_CORE_STYLE = {"radius": 9, "weight": 3, "color": "#222222", "fillOpacity": 1.0}
_UNASSIGNED_STYLE = {**_MEMBER_STYLE, "fillColor": UNASSIGNED_COLOR}

_POPUP_OPTIONS = {"maxWidth": 320, "autoPanPaddingTopLeft": [12, 110]}  # clear of the title bar
_ZOOM_SNAP = 0.25  # fit the data closely instead of to the next whole zoom level
_COORD_DECIMALS = 6  # about 0.1 m: plenty for a map, and keeps the page small
_MINUTES_DECIMALS = 1
_FIT_PADDING_PX = (24, 24)
_UNASSIGNED_LABEL = "未分配 unassigned"
_CORE_LABEL = "核心校"

_STYLESHEET = """
.leaflet-container { background: #f2efe9; }
.leaflet-container, .xq-title, .xq-legend, .leaflet-popup-content {
    font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
        "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
}
.xq-box { background: rgba(255, 255, 255, 0.94); border-radius: 6px;
    box-shadow: 0 1px 5px rgba(0, 0, 0, 0.35); padding: 8px 12px; color: #222; }
.xq-title h1 { font-size: 17px; margin: 0; line-height: 1.4; }
.xq-notice { margin-top: 6px; padding: 3px 8px; font-size: 13px; font-weight: bold;
    color: #7a4500; background: #fff3cd; border: 1px solid #e0b252; border-radius: 4px; }
.xq-legend { font-size: 13px; line-height: 1.5; max-height: 60vh; overflow-y: auto; }
.xq-legend h2 { font-size: 14px; margin: 0 0 4px 0; }
.xq-legend ul { list-style: none; margin: 0; padding: 0; }
.xq-swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px;
    vertical-align: -1px; border: 1px solid rgba(0, 0, 0, 0.4); border-radius: 2px; }
.xq-dot { display: inline-block; border-radius: 50%; margin-right: 6px;
    vertical-align: middle; background: #bbbbbb; }
.xq-dot-core { width: 12px; height: 12px; border: 3px solid #222222; }
.xq-dot-member { width: 9px; height: 9px; border: 1px solid #ffffff; margin-left: 3px;
    margin-right: 9px; box-shadow: 0 0 0 1px #888888; }
.xq-popup th { text-align: left; padding-right: 10px; color: #555; font-weight: normal; }
.xq-popup b { font-size: 14px; }
"""


class _StyleSheet(MacroElement):
    """A ``<style>`` element in the page head."""

    _template = Template(
        "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}"
    )

    def __init__(self, css: str):
        super().__init__()
        self._name = "StyleSheet"
        self.css = css


class _LeafletVector(MacroElement):
    """A Leaflet vector layer (``polygon``, ``polyline`` or ``circleMarker``) with exact options.

    folium's own vector classes drop options such as ``pane`` and ``interactive``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.{{ this.factory }}(
                {{ this.latlngs|tojson }},
                {{ this.options|tojson }}
            ).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, factory: str, latlngs: list, options: Mapping[str, object]):
        super().__init__()
        self._name = "LeafletVector"
        self.factory = factory
        self.latlngs = latlngs
        self.options = dict(options)


class _BoundContent(MacroElement):
    """Popup or tooltip HTML bound to the parent layer; the HTML travels as a JSON string."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.{{ this.method }}(
                {{ this.content|tojson }},
                {{ this.options|tojson }}
            );
        {% endmacro %}
        """
    )

    def __init__(self, method: str, content: str, options: Mapping[str, object] | None = None):
        super().__init__()
        self._name = "BoundContent"
        self.method = method
        self.content = content
        self.options = dict(options or {})


class _HtmlControl(MacroElement):
    """A Leaflet control box showing a fixed piece of HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({ position: {{ this.position|tojson }} });
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.content|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, content: str, *, position: str, css_class: str):
        super().__init__()
        self._name = "HtmlControl"
        self.content = content
        self.position = position
        self.css_class = css_class


def _text(value: object) -> str:
    """Escape a data value for HTML."""
    return html.escape(str(value), quote=True)


def _is_missing(value: object) -> bool:
    """True for None, NaN and the empty string."""
    if value is None or value == "":
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _require_columns(frame: gpd.GeoDataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a ValueError naming the columns ``frame`` lacks."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {', '.join(missing)}; add them before drawing")


def _to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` in EPSG:4326 (a frame without CRS is taken to be in it already)."""
    if frame.crs is None or frame.crs.equals(WGS84):
        return frame
    return frame.to_crs(WGS84)


def _district_key(value: object) -> str:
    """Return a district key as a string, "" for unassigned."""
    return "" if _is_missing(value) else str(value)


def district_colors(keys: Iterable[str]) -> dict[str, str]:
    """Give each district key a palette colour, in sorted key order.

    Parameters
    ----------
    keys : iterable of str
        District keys; empty keys (unassigned) are ignored.

    Returns
    -------
    dict
        Key -> ``#rrggbb`` colour.
    """
    ordered = sorted({key for key in keys if key})
    return {key: PALETTE[index % len(PALETTE)] for index, key in enumerate(ordered)}


def _latlng(point: BaseGeometry) -> list[float]:
    """Return ``[lat, lon]`` of a point, rounded."""
    return [round(point.y, _COORD_DECIMALS), round(point.x, _COORD_DECIMALS)]


def _ring_latlngs(coords: Iterable[Sequence[float]]) -> list[list[float]]:
    """Return a ring's ``(lon, lat)`` coordinates as rounded ``[lat, lon]`` pairs."""
    return [[round(y, _COORD_DECIMALS), round(x, _COORD_DECIMALS)] for x, y, *_ in coords]


def _polygons_in(geometry: BaseGeometry) -> list[Polygon]:
    """Return the non-empty polygons in a geometry, looking inside multi-parts and collections."""
    if isinstance(geometry, Polygon):
        return [] if geometry.is_empty else [geometry]
    return [polygon for part in getattr(geometry, "geoms", ()) for polygon in _polygons_in(part)]


def _polygon_parts(geometry: BaseGeometry) -> list[Polygon]:
    """Return the polygons of a territory; raise if it has none."""
    parts = _polygons_in(geometry)
    if not parts:
        raise ValueError(
            f"district territory must be a Polygon or MultiPolygon, not {geometry.geom_type}"
        )
    return parts


def _polygon_latlngs(geometry: BaseGeometry) -> list[list[list[list[float]]]]:
    """Return a (multi)polygon as Leaflet's nested ``[polygon][ring][point]`` latlngs."""
    return [
        [
            _ring_latlngs(part.exterior.coords),
            *(_ring_latlngs(hole.coords) for hole in part.interiors),
        ]
        for part in _polygon_parts(geometry)
    ]


def _format_count(value: object) -> str:
    """Format an integer count with thousands separators."""
    return "—" if _is_missing(value) else f"{int(value):,}"


def _minutes_text(school: pd.Series) -> str:
    """Describe a school's travel time to its core."""
    if bool(school["is_core"]):
        return _CORE_LABEL
    minutes = school["minutes_to_core"]
    if _is_missing(minutes) or not math.isfinite(float(minutes)):
        return "—"
    return f"{float(minutes):.{_MINUTES_DECIMALS}f} 分钟"


def _rows_html(rows: Sequence[tuple[str, str]]) -> str:
    """Return a two-column table; labels are ours, values must already be escaped."""
    cells = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return f"<table>{cells}</table>"


def _school_popup_html(school: pd.Series) -> str:
    """Return the escaped popup HTML of one school."""
    level = LEVEL_LABELS_ZH.get(school["level"], school["level"])
    area = AREA_LABELS_ZH.get(school["area_type"], school["area_type"])
    unassigned = not _district_key(school["district"])
    district = _UNASSIGNED_LABEL if unassigned else school["district_name"]
    rows = [
        ("学段", _text(level)),
        ("在校生", f"{_format_count(school['enrollment'])} 人"),
        ("学区", _text(district)),
        ("到核心校", "—" if unassigned else _text(_minutes_text(school))),
        ("乡镇/街道", _text(school["township"])),
        ("城乡类型", _text(area)),
    ]
    return f'<div class="xq-popup"><b>{_text(school["name"])}</b>{_rows_html(rows)}</div>'


def _school_tooltip_html(school: pd.Series) -> str:
    """Return the escaped hover label of one school."""
    suffix = f"（{_CORE_LABEL}）" if bool(school["is_core"]) else ""
    return f"{_text(school['name'])}{suffix}"


def _territory_tooltip_html(district: pd.Series) -> str:
    """Return the escaped hover label of one district territory."""
    rows = [
        ("核心校", _text(district["core_name"])),
        ("学校数", _format_count(district["n_schools"])),
        ("在校生", f"{_format_count(district['enrollment'])} 人"),
    ]
    return (
        f'<div class="xq-popup"><b>{_text(district["district_name"])}</b>{_rows_html(rows)}</div>'
    )


def _title_html(title: str, notice: str | None) -> str:
    """Return the escaped title bar HTML."""
    notice_html = "" if notice is None else f'<div class="xq-notice">{_text(notice)}</div>'
    return f"<h1>{_text(title)}</h1>{notice_html}"


def _swatch_item(color: str, label_html: str) -> str:
    """Return one legend row: a colour swatch and an already escaped label."""
    return f'<li><span class="xq-swatch" style="background:{color}"></span>{label_html}</li>'


def _legend_html(names: Mapping[str, str], colors: Mapping[str, str], has_unassigned: bool) -> str:
    """Return the escaped legend HTML: one row per district, then the marker key."""
    rows = [_swatch_item(colors[key], _text(names[key])) for key in sorted(names)]
    if has_unassigned:
        rows.append(_swatch_item(UNASSIGNED_COLOR, _UNASSIGNED_LABEL))
    symbols = (
        f'<li><span class="xq-dot xq-dot-core"></span>{_CORE_LABEL} core school</li>'
        '<li><span class="xq-dot xq-dot-member"></span>成员校 member school</li>'
    )
    return f"<h2>学区 districts</h2><ul>{''.join(rows)}</ul><hr><ul>{symbols}</ul>"


def _district_names(schools: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> dict[str, str]:
    """Map every district key (from territories or schools) to its display name."""
    names = {
        _district_key(key): str(name)
        for key, name in zip(schools["district"], schools["district_name"], strict=True)
        if _district_key(key)
    }
    names.update(
        (str(key), str(name))
        for key, name in zip(districts["district"], districts["district_name"], strict=True)
    )
    return names


def _add_territories(
    layer: folium.FeatureGroup, districts: gpd.GeoDataFrame, colors: Mapping[str, str]
) -> None:
    """Draw each district's territory, filled in its colour, with a hover summary."""
    for _, district in districts.sort_values("district").iterrows():
        if district.geometry is None or district.geometry.is_empty:
            continue
        color = colors[str(district["district"])]
        options = {
            **_TERRITORY_STYLE,
            "color": color,
            "fillColor": color,
            "className": _CLASS_TERRITORY,
        }
        polygon = _LeafletVector("polygon", _polygon_latlngs(district.geometry), options)
        polygon.add_child(
            _BoundContent("bindTooltip", _territory_tooltip_html(district), {"sticky": True})
        )
        layer.add_child(polygon)


def _core_locations(schools: gpd.GeoDataFrame) -> dict[str, list[float]]:
    """Map each core school's id to its ``[lat, lon]``."""
    cores = schools[schools["is_core"].astype(bool)]
    return {
        str(school_id): _latlng(point)
        for school_id, point in zip(cores["school_id"], cores.geometry, strict=True)
    }


def _add_links(
    layer: folium.FeatureGroup, schools: gpd.GeoDataFrame, colors: Mapping[str, str]
) -> None:
    """Draw one multi-line per district joining each member school to its core."""
    cores = _core_locations(schools)
    segments: dict[str, list[list[list[float]]]] = {}
    for _, school in schools.iterrows():
        key = _district_key(school["district"])
        core = cores.get(str(school["core_school_id"]))
        if not key or bool(school["is_core"]) or core is None:
            continue
        segments.setdefault(key, []).append([_latlng(school.geometry), core])
    for key in sorted(segments):
        options = {
            **_LINK_STYLE,
            "color": colors[key],
            "pane": _LINK_PANE[0],
            "className": _CLASS_LINK,
        }
        layer.add_child(_LeafletVector("polyline", segments[key], options))


def _school_marker(school: pd.Series, colors: Mapping[str, str]) -> _LeafletVector:
    """Return one school's circle marker with its popup and hover label."""
    key = _district_key(school["district"])
    if not key:
        style, css_class = _UNASSIGNED_STYLE, _CLASS_UNASSIGNED
    elif bool(school["is_core"]):
        style, css_class = {**_CORE_STYLE, "fillColor": colors[key]}, _CLASS_CORE
    else:
        style, css_class = {**_MEMBER_STYLE, "fillColor": colors[key]}, _CLASS_MEMBER
    options = {**style, "fill": True, "pane": _SCHOOL_PANE[0], "className": css_class}
    marker = _LeafletVector("circleMarker", _latlng(school.geometry), options)
    marker.add_child(_BoundContent("bindTooltip", _school_tooltip_html(school)))
    marker.add_child(_BoundContent("bindPopup", _school_popup_html(school), _POPUP_OPTIONS))
    return marker


def _drawing_order(schools: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Sort schools so unassigned come first and cores last (drawn on top), stably by id."""
    assigned = schools["district"].map(_district_key).ne("").astype(int)
    core = schools["is_core"].astype(bool).astype(int)
    ordered = schools.assign(_rank=assigned + core, _id=schools["school_id"].astype(str))
    return ordered.sort_values(["_rank", "_id"], kind="stable")


def _add_schools(
    layer: folium.FeatureGroup, schools: gpd.GeoDataFrame, colors: Mapping[str, str]
) -> None:
    """Draw every school as a circle marker in its district colour, cores on top."""
    for _, school in _drawing_order(schools).iterrows():
        if school.geometry is None or school.geometry.is_empty:
            continue
        layer.add_child(_school_marker(school, colors))


def _data_bounds(schools: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> list[list[float]]:
    """Return ``[[south, west], [north, east]]`` around all schools and territories."""
    frames = [frame.geometry for frame in (schools, districts) if not frame.empty]
    if not frames:
        raise ValueError("nothing to draw: both the school and the district tables are empty")
    west, south, east, north = gpd.GeoSeries(pd.concat(frames), crs=WGS84).total_bounds
    return [[float(south), float(west)], [float(north), float(east)]]


def _base_map(bounds: list[list[float]], title: str) -> folium.Map:
    """Create the offline map centred on ``bounds``, with the panes our layers use."""
    (south, west), (north, east) = bounds
    m = offline_map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_control="bottomleft",
        control_scale=True,
        zoom_snap=_ZOOM_SNAP,
    )
    m.get_root().title = _text(title)
    m.add_child(_StyleSheet(_STYLESHEET))
    for pane_name, z_index in (_LINK_PANE, _SCHOOL_PANE):
        m.add_child(folium.map.CustomPane(pane_name, z_index=z_index, pointer_events=True))
    return m


def _add_tiles(m: folium.Map) -> None:
    """Add OpenStreetMap as an optional overlay (needs the network; nothing depends on it)."""
    tiles = folium.TileLayer("OpenStreetMap", name=TILE_LAYER, overlay=True, control=True)
    tiles.add_to(m)


def _fit_without_animation(m: folium.Map, bounds: list[list[float]]) -> None:
    """Fit the view to ``bounds`` at once: a zoom animation on opening moves every marker."""
    fit = folium.map.FitBounds(bounds, padding=_FIT_PADDING_PX)
    fit.options["animate"] = False
    m.add_child(fit)


def render_plan_map(
    schools: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    *,
    title: str,
    notice: str | None = None,
    tiles: bool = False,
) -> folium.Map:
    """Draw one 学区 plan: territories, schools, member-to-core links, legend and title.

    Parameters
    ----------
    schools : geopandas.GeoDataFrame
        One Point per school with the plan's columns (see ``SCHOOL_COLUMNS``); schools whose
        ``district`` is "" are drawn grey as unassigned.
    districts : geopandas.GeoDataFrame
        One (Multi)Polygon territory per district (see ``DISTRICT_COLUMNS``).
    title : str
        Title bar text.
    notice : str, optional
        A warning shown under the title, e.g. that the data are synthetic.
    tiles : bool, default False
        Add an OpenStreetMap background layer (needs the network when the page is opened).

    Returns
    -------
    folium.Map
        Save it with :func:`maps.assets.save_map` for a standalone offline page.
    """
    _require_columns(schools, SCHOOL_COLUMNS, "the school table")
    _require_columns(districts, DISTRICT_COLUMNS, "the district table")
    schools, districts = _to_wgs84(schools), _to_wgs84(districts)
    names = _district_names(schools, districts)
    colors = district_colors(names)
    bounds = _data_bounds(schools, districts)

    m = _base_map(bounds, title)
    if tiles:
        _add_tiles(m)
    # Listed in this order in the layer switcher; the panes decide what is drawn on top.
    territories = folium.FeatureGroup(name=TERRITORY_LAYER).add_to(m)
    school_layer = folium.FeatureGroup(name=SCHOOL_LAYER).add_to(m)
    links = folium.FeatureGroup(name=LINK_LAYER).add_to(m)
    _add_territories(territories, districts, colors)
    _add_links(links, schools, colors)
    _add_schools(school_layer, schools, colors)

    has_unassigned = schools["district"].map(_district_key).eq("").any()
    m.add_child(
        _HtmlControl(_title_html(title, notice), position="topleft", css_class="xq-box xq-title")
    )
    m.add_child(
        _HtmlControl(
            _legend_html(names, colors, has_unassigned),
            position="bottomright",
            css_class="xq-box xq-legend",
        )
    )
    folium.LayerControl(collapsed=False).add_to(m)
    _fit_without_animation(m, bounds)
    return m
