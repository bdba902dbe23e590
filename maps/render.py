"""Draw one 学区 plan on an interactive folium map.

Territories are coloured so that touching 学区 never share a colour (:mod:`maps.colours`);
members take their 学区's colour and cores are labelled stars. Main roads, township borders and
the travel-time isochrones around each core give context; links join members to their core.
The map opens fitted to the plan, shrinks members and hides crowded core labels until zoomed in,
highlights a 学区 when its legend row is clicked, finds schools by part of their name, and has a
full-screen button and a measuring tool. It needs no network (see :mod:`maps.assets`); every
string from the data is escaped where it reaches HTML (``static/planmap.js`` draws from JSON).
"""

from __future__ import annotations

import functools
import html
import importlib.resources
import json

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from gis.coords import WGS84
from maps.assets import offline_map
from maps.basemaps import OSM_ATTRIBUTION, tile_layers, to_basemap_datum
from maps.colours import PALETTE, UNASSIGNED_COLOR, district_colors, territory_adjacency
from maps.layers import plan_data
from maps.plugins import Fullscreen, MeasureControl, SchoolSearch
from maps.text import labels

__all__ = [
    "DISTRICT_COLUMNS",
    "PALETTE",
    "SCHOOL_COLUMNS",
    "UNASSIGNED_COLOR",
    "district_colors",
    "plan_colors",
    "render_plan_map",
]

SCHOOL_COLUMNS = (
    "school_id", "name", "level", "enrollment", "is_core", "district", "district_name",
    "core_school_id", "minutes_to_core", "township", "area_type",
)  # fmt: skip
DISTRICT_COLUMNS = ("district", "district_name", "core_name", "n_schools", "enrollment")
ISOCHRONE_COLUMNS = ("district", "minutes")
ROAD_COLUMNS = ("highway",)

_ZOOM_SNAP = 0.25  # fit the data closely instead of to the next whole zoom level
_DATA_ELEMENT_ID = "xq-plan-data"
_STATIC = ("static", "planmap.js", "planmap.css")
# JSON inside <script>: no "<", ">" or "&" may close the element or start markup.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


class _Header(MacroElement):
    """Our own stylesheet and script in the page head (after Leaflet)."""

    _template = Template(
        "{% macro header(this, kwargs) %}<style>{{ this.css }}</style><script>{{ this.js }}</script>{% endmacro %}"
    )

    def __init__(self, css: str, js: str):
        super().__init__()
        self._name = "PlanMapHeader"
        self.css, self.js = css, js


class _PlanLayers(MacroElement):
    """The plan's data as a JSON element, drawn into the layer groups by ``xuequ.drawPlan``."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}<script type="application/json" id="{{ this.element_id }}">{{ this.json }}</script>{% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = xuequ.drawPlan(
                {{ this._parent.get_name() }},
                { {% for key, group in this.groups.items() %}{{ key }}: {{ group.get_name() }}, {% endfor %} },
                JSON.parse(document.getElementById("{{ this.element_id }}").textContent)
            );
        {% endmacro %}
        """
    )

    def __init__(self, groups: dict[str, folium.FeatureGroup], data: dict):
        super().__init__()
        self._name = "PlanLayers"
        self.groups = groups
        self.element_id = _DATA_ELEMENT_ID
        self.json = _script_json(data)


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


def _script_json(data: dict) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(str.maketrans(_JSON_ESCAPES))


@functools.lru_cache(maxsize=1)
def _static_files() -> tuple[str, str]:
    """``planmap.js`` and ``planmap.css``."""
    folder, js, css = _STATIC
    root = importlib.resources.files("maps").joinpath(folder)
    return root.joinpath(js).read_text(encoding="utf-8"), root.joinpath(css).read_text(encoding="utf-8")


def _text(value: object) -> str:
    """Escape a data value for HTML."""
    return html.escape(str(value), quote=True)


def _require_columns(frame: gpd.GeoDataFrame | None, columns, what: str) -> None:
    """Raise a ValueError naming the columns ``frame`` lacks."""
    missing = [column for column in columns if frame is not None and column not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {', '.join(missing)}; add them before drawing")


def _to_wgs84(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Return ``frame`` in EPSG:4326 (a frame without CRS is taken to be in it already)."""
    if frame is None or frame.crs is None or frame.crs.equals(WGS84):
        return frame
    return frame.to_crs(WGS84)


def _drawable(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The rows with a non-empty geometry."""
    return frame[frame.geometry.notna() & ~frame.geometry.is_empty]


def plan_colors(schools: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> dict[str, str]:
    """Each district's colour, none shared by touching territories (districts without one count too).

    Parameters
    ----------
    schools, districts : geopandas.GeoDataFrame
        The plan, as :func:`render_plan_map` takes it.

    Returns
    -------
    dict
        District key -> ``#rrggbb``.
    """
    keys = {str(key) for key in districts["district"]}
    keys |= {str(key) for key in schools["district"] if not pd.isna(key) and str(key)}
    return district_colors(keys, territory_adjacency(_drawable(districts)))


def _title_html(title: str, notice: str | None) -> str:
    """Return the escaped title bar HTML."""
    notice_html = "" if notice is None else f'<div class="xq-notice">{_text(notice)}</div>'
    return f"<h1>{_text(title)}</h1>{notice_html}"


def _base_map(bounds: list[list[float]], title: str) -> folium.Map:
    """Create the offline map centred on ``bounds``, with our stylesheet and script."""
    (south, west), (north, east) = bounds
    m = offline_map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_control="bottomleft",
        control_scale=True,
        zoom_snap=_ZOOM_SNAP,
    )
    m.get_root().title = _text(title)
    js, css = _static_files()
    m.add_child(_Header(css, js))
    return m


def _layer_groups(m: folium.Map, words, *, roads: bool, townships: bool, isochrones: bool) -> dict:
    """The layer groups, listed in the switcher in this order (panes decide what is on top)."""
    named = [
        ("roads", words["roads"], roads, True),
        ("townships", words["townships"], townships, True),
        ("territories", words["territories"], True, True),
        ("isochrones", words["isochrones"], isochrones, False),
        ("schools", words["school_layer"], True, True),
        ("links", words["links"], True, True),
    ]
    return {key: folium.FeatureGroup(name=name, show=show).add_to(m) for key, name, wanted, show in named if wanted}


def _words(lang: str, isochrones: gpd.GeoDataFrame | None) -> dict:
    """The page's words, the isochrone ones filled with the limit."""
    words = dict(labels(lang))
    minutes = float(isochrones["minutes"].iloc[0]) if isochrones is not None and len(isochrones) else 0.0
    for key in ("isochrones", "not_reached"):
        words[key] = words[key].format(minutes=minutes)
    return words


def render_plan_map(
    schools: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    *,
    title: str,
    notice: str | None = None,
    roads: gpd.GeoDataFrame | None = None,
    townships: gpd.GeoDataFrame | None = None,
    isochrones: gpd.GeoDataFrame | None = None,
    basemap: str = "none",
    basemap_key: str | None = None,
    lang: str = "zh",
    source: str | None = OSM_ATTRIBUTION,
) -> folium.Map:
    """Draw one 学区 plan: territories, schools, links, context layers, legend, title and tools.

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
    roads : geopandas.GeoDataFrame, optional
        Main roads with a ``highway`` class (:func:`gis.roads.main_roads`), drawn quietly beneath.
    townships : geopandas.GeoDataFrame, optional
        乡镇/街道 areas (:func:`gis.admin.read_admin_areas`); their borders are drawn dashed.
    isochrones : geopandas.GeoDataFrame, optional
        The area within the travel limit of each core (:func:`gis.isochrones.isochrone_polygons`)
        with columns ``district`` and ``minutes``: a layer (off at first) outlining each and
        filling what none covers.
    basemap : {"none", "osm", "gaode", "tianditu"}
        Online tiles under the plan; for ``"gaode"`` the overlay is shifted to GCJ-02.
    basemap_key : str, optional
        The API key Tianditu needs.
    lang : {"zh", "en"}
        The language of the map's own words.
    source : str, optional
        Attribution shown while the roads or townships are (OpenStreetMap's by default).

    Returns
    -------
    folium.Map
        Save it with :func:`maps.assets.save_map` for a standalone offline page.
    """
    _require_columns(schools, SCHOOL_COLUMNS, "the school table")
    _require_columns(districts, DISTRICT_COLUMNS, "the district table")
    _require_columns(roads, ROAD_COLUMNS, "the road table")
    _require_columns(isochrones, ISOCHRONE_COLUMNS, "the isochrone table")
    words = _words(lang, isochrones)
    schools = to_basemap_datum(_drawable(_to_wgs84(schools)), basemap)
    districts = to_basemap_datum(_to_wgs84(districts).sort_values("district"), basemap)
    roads, townships, isochrones = (to_basemap_datum(_to_wgs84(frame), basemap) for frame in (roads, townships, isochrones))
    if schools.empty and _drawable(districts).empty:
        raise ValueError("nothing to draw: both the school and the district tables are empty")
    colors = plan_colors(schools, districts)
    data = plan_data(schools, _drawable(districts), colors, words, roads=roads, townships=townships,
                     isochrones=isochrones, source=source)

    m = _base_map(data["view"]["bounds"], title)
    for layer in tile_layers(basemap, name=words["basemap"], key=basemap_key):
        layer.add_to(m)
    groups = _layer_groups(
        m, words, roads=roads is not None and not roads.empty, townships=townships is not None and not townships.empty,
        isochrones=isochrones is not None and not isochrones.empty,
    )
    m.add_child(_PlanLayers(groups, data))
    m.add_child(_HtmlControl(_title_html(title, notice), position="topleft", css_class="xq-box xq-title"))
    m.add_child(SchoolSearch(groups["schools"], {"placeholder": words["search"], "notFound": words["not_found"]},
                             zoom=data["view"]["searchZoom"]))
    m.add_child(Fullscreen(position="topright", title=words["fullscreen"], title_cancel=words["exit_fullscreen"]))
    m.add_child(MeasureControl(lang, position="topright", primary_length_unit="kilometers",
                               secondary_length_unit="meters", primary_area_unit="hectares", secondary_area_unit="sqmeters"))
    folium.LayerControl(collapsed=False).add_to(m)
    return m
