"""Tests of the plan map: offline HTML, determinism, escaping, and what a browser shows."""

from __future__ import annotations

import itertools
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from gis.coords import wgs84_to_gcj02
from maps.assets import LEAFLET_VERSION, OfflineAssetError, offline_html, offline_map, save_map
from maps.colours import GREY_CONTRAST, lightness, territory_adjacency
from maps.layers import decode_ring, encode_polygons
from maps.plugins import Fullscreen
from maps.render import PALETTE, UNASSIGNED_COLOR, district_colors, plan_colors, render_plan_map

TITLE = "示范县 学区划分方案 A"
NOTICE = "示例数据（虚构） / synthetic demo data"
HOSTILE_NAME = "<script>window.__pwned=1</script>"
DISTRICT_NAMES = {"D01": "小东学区", "D02": "示范县第一实验小学学区", "D03": "西城<i>学区</i>"}
CORES = {"D01": "s01", "D02": "s05", "D03": "s08"}
MINUTES_TO_CORE = 12.5
VIEWPORT = {"width": 1280, "height": 800}
MIN_SCREENSHOT_COLOURS = 40
MIN_SCREENSHOT_BYTES = 20_000
BROWSER_TIMEOUT_MS = 10_000

# school_id, name, level, enrollment, district, lon, lat
SCHOOL_ROWS = [
    ("s01", "小东中学", "junior", 1500, "D01", 117.05, 36.65),
    ("s02", "小东第二小学", "primary", 600, "D01", 117.02, 36.68),
    ("s03", HOSTILE_NAME, "primary", 500, "D01", 117.08, 36.62),
    ("s04", "东岭小学", "primary", 600, "D01", 117.03, 36.61),
    ("s05", "示范县第一实验小学", "primary", 1500, "D02", 117.15, 36.63),
    ("s06", "北坡初中", "junior", 600, "D02", 117.16, 36.68),
    ("s07", "南湾小学", "primary", 400, "D02", 117.18, 36.61),
    ("s08", "西城九年一贯制学校", "nine_year", 1000, "D03", 117.10, 36.57),
    ("s09", "河口小学", "primary", 400, "D03", 117.17, 36.53),
    ("s10", "孤山教学点", "other", 40, "", 116.995, 36.69),
]


def _territories() -> list:
    """One plain polygon, one multipolygon, one polygon with a hole."""
    plain = box(117.00, 36.60, 117.10, 36.70)
    split = MultiPolygon([box(117.10, 36.60, 117.20, 36.66), box(117.12, 36.665, 117.20, 36.70)])
    holed = Polygon(
        [(117.00, 36.50), (117.20, 36.50), (117.20, 36.60), (117.00, 36.60)],
        [[(117.02, 36.52), (117.05, 36.52), (117.05, 36.55), (117.02, 36.55)]],
    )
    return [plain, split, holed]


def make_plan() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return (schools, districts) of a small hand-made plan: 3 districts, 10 schools."""
    core_ids = set(CORES.values())
    schools = gpd.GeoDataFrame(
        {
            "school_id": [row[0] for row in SCHOOL_ROWS],
            "name": [row[1] for row in SCHOOL_ROWS],
            "level": [row[2] for row in SCHOOL_ROWS],
            "enrollment": [row[3] for row in SCHOOL_ROWS],
            "is_core": [row[0] in core_ids for row in SCHOOL_ROWS],
            "district": [row[4] for row in SCHOOL_ROWS],
            "district_name": [DISTRICT_NAMES.get(row[4], "") for row in SCHOOL_ROWS],
            "core_school_id": [CORES.get(row[4], "") for row in SCHOOL_ROWS],
            "minutes_to_core": [
                math.nan if row[0] in core_ids or not row[4] else MINUTES_TO_CORE
                for row in SCHOOL_ROWS
            ],
            "township": ["小东街道<b>"] * len(SCHOOL_ROWS),
            "area_type": [
                "urban",
                "urban",
                "town",
                "rural",
                "urban",
                "town",
                "rural",
                "urban",
                "rural",
                "rural",
            ],
        },
        geometry=[Point(row[5], row[6]) for row in SCHOOL_ROWS],
        crs="EPSG:4326",
    )
    members = schools[schools["district"] != ""]
    by_district = members.groupby("district")
    districts = gpd.GeoDataFrame(
        {
            "district": sorted(DISTRICT_NAMES),
            "district_name": [DISTRICT_NAMES[key] for key in sorted(DISTRICT_NAMES)],
            "core_name": [
                schools.set_index("school_id").at[CORES[key], "name"]
                for key in sorted(DISTRICT_NAMES)
            ],
            "n_schools": [int(by_district.size()[key]) for key in sorted(DISTRICT_NAMES)],
            "enrollment": [
                int(by_district["enrollment"].sum()[key]) for key in sorted(DISTRICT_NAMES)
            ],
        },
        geometry=_territories(),
        crs="EPSG:4326",
    )
    return schools, districts


ISOCHRONE_MINUTES = 30.0


def make_context(districts: gpd.GeoDataFrame) -> dict:
    """Roads, townships and isochrones around the hand-made plan."""
    roads = gpd.GeoDataFrame(
        {"highway": ["primary", "tertiary"]},
        geometry=[LineString([(116.99, 36.62), (117.21, 36.62)]), LineString([(117.05, 36.51), (117.05, 36.71)])],
        crs="EPSG:4326",
    )
    townships = gpd.GeoDataFrame(
        {"name": ["小东街道", "西城镇"]},
        geometry=[box(117.00, 36.60, 117.20, 36.70), box(117.00, 36.50, 117.20, 36.60)],
        crs="EPSG:4326",
    )
    cores = [Point(117.05, 36.65).buffer(0.04), Point(117.15, 36.63).buffer(0.04), Point(117.10, 36.57).buffer(0.03)]
    isochrones = gpd.GeoDataFrame(
        {"district": sorted(DISTRICT_NAMES), "minutes": ISOCHRONE_MINUTES}, geometry=cores, crs="EPSG:4326"
    )
    return {"roads": roads, "townships": townships, "isochrones": isochrones}


def render_demo(**options) -> folium.Map:
    """Render the hand-made plan with the demo title and notice, and its context layers."""
    schools, districts = make_plan()
    return render_plan_map(schools, districts, title=TITLE, notice=NOTICE, **make_context(districts), **options)


def page_data(page: str) -> dict:
    """The plan data a saved page draws from."""
    match = re.search(r'<script type="application/json" id="xq-plan-data">(.*?)</script>', page, re.S)
    return json.loads(match[1])


class _AssetLinks(HTMLParser):
    """Collect the ``src`` of scripts and the ``href`` of links in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        self.urls.extend(value or "" for name, value in attrs if name == wanted)


def asset_urls(page: str) -> list[str]:
    """Return every script ``src`` and link ``href`` of a page."""
    parser = _AssetLinks()
    parser.feed(page)
    return parser.urls


# --- without a browser ---------------------------------------------------------------------


def test_two_renders_are_byte_identical():
    first = offline_html(render_demo())
    second = offline_html(render_demo())
    assert first == second


def test_rendering_one_map_twice_gives_the_same_page():
    m = render_demo()
    assert offline_html(m) == offline_html(m)


def test_offline_page_links_no_remote_script_or_stylesheet():
    page = offline_html(render_demo())
    assert asset_urls(page) == []
    assert f'version="{LEAFLET_VERSION}"' in page  # Leaflet itself is inlined


def test_every_plugin_is_inlined():
    page = offline_html(render_demo())
    for marker in ("L.Control.Search", "L.Control.Measure", "fullscreen", "xuequ.drawPlan"):
        assert marker in page
    assert "data:image/svg+xml;base64," in page  # the full-screen icon
    assert "jsdelivr" not in page


def test_osm_basemap_adds_a_tile_layer_but_still_no_remote_assets():
    page = offline_html(render_demo(basemap="osm"))
    assert "tile.openstreetmap.org" in page
    assert not [url for url in asset_urls(page) if url.startswith(("http:", "https:", "//"))]
    assert page_data(offline_html(render_demo())) == page_data(page)  # the overlay is not moved


def test_gaode_basemap_shifts_the_overlay_to_gcj02():
    page = offline_html(render_demo(basemap="gaode"))
    assert "autonavi.com" in page
    schools = page_data(page)["schools"]
    lon, lat = wgs84_to_gcj02([row[5] for row in SCHOOL_ROWS], [row[6] for row in SCHOOL_ROWS])
    shown = dict(zip(schools["name"], zip(schools["lon"], schools["lat"])))
    for row, x, y in zip(SCHOOL_ROWS, lon, lat):
        assert shown[row[1]] == pytest.approx((x, y), abs=2e-6)
        assert abs(shown[row[1]][0] - row[5]) > 1e-3  # a few hundred metres east of WGS-84


def test_tianditu_basemap_needs_a_key():
    with pytest.raises(ValueError, match="key"):
        render_demo(basemap="tianditu")
    assert "tianditu.gov.cn" in offline_html(render_demo(basemap="tianditu", basemap_key="abc123"))


def test_a_folium_plugin_without_an_offline_copy_is_refused():
    m = offline_map()
    folium.plugins.Fullscreen().add_to(m)
    with pytest.raises(OfflineAssetError, match="leaflet.fullscreen"):
        offline_html(m)
    ours = offline_map()
    Fullscreen().add_to(ours)
    assert asset_urls(offline_html(ours)) == []


def test_offline_html_refuses_a_map_that_needs_cdn_files():
    with pytest.raises(OfflineAssetError, match="jquery"):
        offline_html(folium.Map(tiles=None))


def test_data_strings_are_escaped_in_the_page():
    page = offline_html(render_demo())
    assert HOSTILE_NAME not in page
    assert "<i>学区</i>" not in page
    assert "&lt;title&gt;" not in page  # the <title> holds escaped text, not markup
    data = re.search(r'id="xq-plan-data">(.*?)</script>', page, re.S)[1]
    assert "<" not in data and ">" not in data  # JSON cannot close its <script> element
    assert HOSTILE_NAME in page_data(page)["schools"]["name"]  # and still carries the name exactly


def test_save_map_writes_the_page_atomically(tmp_path):
    target = tmp_path / "out" / "map.html"
    written = save_map(render_demo(), target)
    assert written == target
    assert target.read_bytes() == offline_html(render_demo()).encode("utf-8")
    assert [path.name for path in target.parent.iterdir()] == ["map.html"]


def test_district_colors_follow_sorted_keys():
    assert district_colors(["D02", "D01", ""]) == {"D01": PALETTE[0], "D02": PALETTE[1]}
    assert UNASSIGNED_COLOR not in PALETTE
    assert len(PALETTE) <= 10


def grid_districts(n: int = 6) -> gpd.GeoDataFrame:
    """``n`` × ``n`` square territories, keys in reading order."""
    cells = [box(x, y, x + 1, y + 1) for y in range(n) for x in range(n)]
    return gpd.GeoDataFrame({"district": [f"D{i:02d}" for i in range(len(cells))]}, geometry=cells)


def test_adjacency_counts_shared_borders_not_corners():
    adjacency = territory_adjacency(grid_districts(3))
    assert adjacency["D04"] == {"D01", "D03", "D05", "D07"}  # the centre: four sides, four corners left out
    assert adjacency["D00"] == {"D01", "D03"}


def test_touching_districts_never_share_a_colour():
    districts = grid_districts()
    adjacency = territory_adjacency(districts)
    colors = district_colors(districts["district"], adjacency)
    pairs = [(a, b) for a in adjacency for b in adjacency[a] if a < b]
    assert pairs and all(colors[a] != colors[b] for a, b in pairs)
    assert len(set(colors.values())) >= 5  # the palette is spread, not two colours in a checkerboard
    flat = sum(abs(lightness(colors[a]) - lightness(colors[b])) < GREY_CONTRAST for a, b in pairs)
    assert flat <= len(pairs) // 10  # neighbours mostly differ in grey-scale too
    assert district_colors(districts["district"], adjacency) == colors  # deterministic


def test_the_hand_made_plan_colours_differ_across_borders():
    schools, districts = make_plan()
    colors = plan_colors(schools, districts)
    for (a, ga), (b, gb) in itertools.combinations(zip(districts["district"], districts.geometry), 2):
        if ga.intersection(gb).length > 0:
            assert colors[a] != colors[b], (a, b)


def test_polygons_survive_the_delta_encoding():
    holed = make_plan()[1].geometry.iloc[2]
    (exterior, hole), = encode_polygons(holed)
    np.testing.assert_allclose(decode_ring(exterior), [(y, x) for x, y in holed.exterior.coords], atol=1e-5)
    np.testing.assert_allclose(decode_ring(hole), [(y, x) for x, y in holed.interiors[0].coords], atol=1e-5)


def test_english_labels():
    page = offline_html(render_demo(lang="en"))
    words = page_data(page)["words"]
    assert words["districts"] == "Districts" and words["isochrones"] == "Within 30 min of a core"
    assert '"Main roads"' in page  # the layer switcher
    with pytest.raises(ValueError, match="zh, en"):
        render_demo(lang="fr")


def test_missing_column_is_named():
    schools, districts = make_plan()
    with pytest.raises(ValueError, match="minutes_to_core"):
        render_plan_map(schools.drop(columns="minutes_to_core"), districts, title=TITLE)


# --- in a real browser ---------------------------------------------------------------------

FIND_MAP_JS = "Object.values(window).find((value) => value instanceof L.Map)"
TAG_HOSTILE_MARKER_JS = f"""() => {{
    const map = {FIND_MAP_JS};
    map.eachLayer((layer) => {{
        const popup = layer.getPopup && layer.getPopup();
        if (popup && String(popup.getContent()).includes("__pwned")) {{
            layer.getElement().setAttribute("data-test", "hostile");
        }}
    }});
}}"""
ADD_DEFAULT_MARKER_JS = f"""() => {{
    const map = {FIND_MAP_JS};
    return L.marker(map.getCenter()).addTo(map).getElement().src;
}}"""


class OpenedMap:
    """A saved map opened in Chromium, with everything the page asked of the network."""

    def __init__(self, browser, path: Path):
        self.url = path.as_uri()
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.failed_requests: list[str] = []
        self.page = browser.new_page(viewport=VIEWPORT)
        self.page.set_default_timeout(BROWSER_TIMEOUT_MS)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("requestfailed", lambda request: self.failed_requests.append(request.url))
        self.page.goto(self.url, wait_until="load")

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def network_requests(self) -> list[str]:
        """Requests other than inline ``data:`` URIs."""
        return [url for url in self.requests if not url.startswith("data:")]


@pytest.fixture
def opened_map(browser, tmp_path):
    path = save_map(render_demo(), tmp_path / "plan.html")
    opened = OpenedMap(browser, path)
    yield opened
    opened.page.close()


@pytest.mark.browser
def test_page_loads_without_errors_or_network(opened_map):
    opened_map.page.wait_for_timeout(300)
    assert opened_map.console_errors == []
    assert opened_map.failed_requests == []
    assert opened_map.network_requests() == [opened_map.url]


@pytest.mark.browser
def test_leaflet_map_is_built(opened_map):
    page = opened_map.page
    assert page.evaluate("typeof window.L") == "object"
    assert page.locator(".leaflet-container").count() == 1
    assert page.evaluate("typeof window.jQuery") == "undefined"


@pytest.mark.browser
def test_every_district_and_school_is_drawn(opened_map):
    schools, districts = make_plan()
    page = opened_map.page
    assert page.locator(".leaflet-overlay-pane path").count() == len(districts)
    assert page.locator("path.xq-territory").count() == len(districts)
    assert page.locator("path.xq-school").count() == len(schools)
    assert page.locator("path.xq-core").count() == int(schools["is_core"].sum())
    assert page.locator("path.xq-link").count() == len(districts)


@pytest.mark.browser
def test_layer_switcher_lists_the_layers(opened_map):
    labels = opened_map.page.locator(".leaflet-control-layers-overlays").inner_text()
    for layer in ("主要道路", "乡镇/街道界", "学区范围", "30 分钟可达范围", "学校", "连线"):
        assert layer in labels


@pytest.mark.browser
def test_context_layers_are_drawn(opened_map):
    page = opened_map.page
    assert page.locator("path.xq-road").count() == 2  # one line per road class
    assert page.locator("path.xq-township").count() == 1
    assert page.locator("path.xq-isochrone").count() == 0  # off until switched on
    page.locator(".leaflet-control-layers-overlays label", has_text="30 分钟可达范围").click()
    assert page.locator("path.xq-isochrone").count() == len(DISTRICT_NAMES)
    assert page.locator("path.xq-gap").count() == 1  # the corners of the county no core reaches
    attribution = page.locator(".leaflet-control-attribution")
    assert "© OpenStreetMap contributors" in attribution.inner_text()  # where OSM data shows
    for layer in ("主要道路", "乡镇/街道界"):
        page.locator(".leaflet-control-layers-overlays label", has_text=layer).click()
    assert "OpenStreetMap" not in attribution.inner_text()
    assert opened_map.console_errors == []


@pytest.mark.browser
def test_legend_lists_every_district(opened_map):
    legend = opened_map.page.locator(".xq-legend")
    assert legend.is_visible()
    text = legend.inner_text()
    for name in DISTRICT_NAMES.values():
        assert name in text
    assert "未分配" in text
    schools, districts = make_plan()
    rows = opened_map.page.locator(".xq-legend-row")
    assert rows.count() == len(districts)
    for row, district in zip(rows.all(), districts.itertuples()):
        cells = [cell.inner_text() for cell in row.locator("td").all()]
        assert cells[1:] == [district.district, district.district_name, str(district.n_schools), f"{district.enrollment:,}"]


BOUNDS_JS = f"""() => {{
    const b = ({FIND_MAP_JS}).getBounds();
    return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()];
}}"""


@pytest.mark.browser
def test_clicking_a_legend_row_highlights_and_zooms_to_its_district(opened_map):
    page = opened_map.page
    page.locator(".xq-legend-row[data-key=D03]").click()
    highlighted = page.locator("path.xq-territory.xq-highlight")
    assert highlighted.count() == 1
    assert highlighted.get_attribute("fill-opacity") == "0.5"
    others = page.locator("path.xq-territory:not(.xq-highlight)")
    assert {others.nth(i).get_attribute("fill-opacity") for i in range(others.count())} == {"0.06"}
    south, west, north, east = page.evaluate(BOUNDS_JS)
    d03 = make_plan()[1].set_index("district").geometry["D03"].bounds
    assert west <= d03[0] and south <= d03[1] and east >= d03[2] and north >= d03[3]
    assert north - south < 0.5  # zoomed in from the whole county
    page.get_by_role("button", name="显示全部").click()
    assert page.locator("path.xq-territory.xq-highlight").count() == 0
    assert opened_map.console_errors == []


def search(page, text: str) -> list[str]:
    """Type ``text`` into the search box; return the matches it lists."""
    page.locator(".leaflet-control-search input").fill(text)
    tips = page.locator(".search-tip")
    tips.first.wait_for(state="visible")
    return [tip.inner_text() for tip in tips.all()]


@pytest.mark.browser
def test_search_finds_a_school_by_part_of_its_name(opened_map):
    page = opened_map.page
    assert search(page, "九年") == ["西城九年一贯制学校"]
    page.locator(".search-tip").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    assert "西城九年一贯制学校" in popup.inner_text()
    assert opened_map.console_errors == []


@pytest.mark.browser
def test_search_shows_a_hostile_name_as_text(opened_map):
    page = opened_map.page
    assert search(page, "pwned") == [HOSTILE_NAME]
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.locator(".leaflet-control-search input").fill("(")  # not a regular expression: no error
    page.wait_for_timeout(200)
    assert opened_map.console_errors == []


SCRIPT_BREAKER = "</script><script>alert(1)</script>"


@pytest.mark.browser
def test_a_name_that_closes_the_script_shows_as_text(browser, tmp_path):
    schools, districts = make_plan()
    schools.loc[schools["school_id"] == "s04", "name"] = SCRIPT_BREAKER
    page_html = offline_html(render_plan_map(schools, districts, title=SCRIPT_BREAKER, notice=SCRIPT_BREAKER))
    assert SCRIPT_BREAKER not in page_html
    path = tmp_path / "plan.html"
    path.write_text(page_html, encoding="utf-8")
    opened = OpenedMap(browser, path)
    dialogs = []
    opened.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        assert search(opened.page, "alert(1)") == [SCRIPT_BREAKER]
        opened.page.locator(".search-tip").first.click()
        assert SCRIPT_BREAKER in opened.page.locator(".leaflet-popup-content").inner_text()
        assert opened.page.title() == SCRIPT_BREAKER
        assert opened.page.locator(".xq-title").inner_text().count(SCRIPT_BREAKER) == 2  # title and notice
        assert dialogs == [] and opened.console_errors == []
    finally:
        opened.page.close()


@pytest.mark.browser
def test_hovering_a_school_shows_its_name(opened_map):
    page = opened_map.page
    page.locator("path.xq-school:not(.xq-core)").last.hover(force=True)
    tooltip = page.locator(".leaflet-tooltip:not(.xq-core-label)")
    tooltip.first.wait_for(state="visible")
    names = {row[1] for row in SCHOOL_ROWS}
    assert tooltip.first.inner_text() in names


ZOOM_JS = f"""(zoom) => {{
    const map = {FIND_MAP_JS};
    map.setZoom(zoom, {{ animate: false }});
    const state = map.xuequ;
    return [
        state.members.map((m) => m.getRadius()),
        state.cores.map((c) => c.getTooltip().getElement().style.display !== "none"),
    ];
}}"""


@pytest.mark.browser
def test_members_shrink_and_core_labels_hide_when_zoomed_out(opened_map):
    page = opened_map.page
    far_radii, far_labels = page.evaluate(ZOOM_JS, 8)
    near_radii, near_labels = page.evaluate(ZOOM_JS, 16)
    assert max(far_radii) < min(near_radii)
    assert not any(far_labels) and all(near_labels)
    assert page.locator(".xq-core-label").count() == len(CORES)


@pytest.mark.browser
def test_fullscreen_and_measure_tools_are_there(opened_map):
    page = opened_map.page
    assert page.locator(".leaflet-control-zoom-fullscreen").count() == 1
    page.locator(".leaflet-control-measure").hover()
    assert page.locator(".leaflet-control-measure-interaction").is_visible()
    assert "测量" in page.locator(".leaflet-control-measure").inner_text()
    assert opened_map.console_errors == []


@pytest.mark.browser
def test_title_and_notice_are_visible(opened_map):
    page = opened_map.page
    assert page.get_by_text(TITLE).is_visible()
    assert page.get_by_text(NOTICE).is_visible()
    assert page.title() == TITLE


@pytest.mark.browser
def test_hostile_school_name_is_shown_as_text(opened_map):
    page = opened_map.page
    page.evaluate(TAG_HOSTILE_MARKER_JS)
    page.click("[data-test=hostile]")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(state="visible")
    assert HOSTILE_NAME in popup.inner_text()
    assert "小东街道<b>" in popup.inner_text()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert opened_map.console_errors == []


@pytest.mark.browser
def test_territory_tooltip_names_the_district(opened_map):
    page = opened_map.page
    area = page.locator("path.xq-territory").first.bounding_box()
    # The first territory is D01; hover inside it, away from its schools.
    page.mouse.move(area["x"] + area["width"] * 0.15, area["y"] + area["height"] * 0.5)
    tooltip = page.locator(".leaflet-tooltip:not(.xq-core-label)")
    tooltip.first.wait_for(state="visible")
    assert DISTRICT_NAMES["D01"] in tooltip.first.inner_text()


@pytest.mark.browser
def test_default_marker_icon_needs_no_network(opened_map):
    page = opened_map.page
    src = page.evaluate(ADD_DEFAULT_MARKER_JS)
    page.wait_for_timeout(200)
    assert src.startswith("data:image/png;base64,")
    assert opened_map.console_errors == []
    assert opened_map.network_requests() == [opened_map.url]


@pytest.mark.browser
def test_screenshot_is_a_real_picture(opened_map, tmp_path):
    shot = tmp_path / "plan.png"
    opened_map.page.screenshot(path=str(shot))
    try:
        from PIL import Image
    except ImportError:
        assert shot.stat().st_size > MIN_SCREENSHOT_BYTES
        return
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=VIEWPORT["width"] * VIEWPORT["height"])
    assert len(colours) > MIN_SCREENSHOT_COLOURS
