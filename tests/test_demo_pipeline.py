"""The demo end to end through the command line: every rule holds in the files it writes."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import app
from data.demo import ensure_demo
from maps.outputs import OUTPUT_FILES
from partition.plan import PLAN_SCHEMA_VERSION, STUDENT_MINUTES
from partition.problem import DEFAULT_BALANCE, DEFAULT_MAX_MINUTES, DEFAULT_MEMBERS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def plan(demo_out) -> pd.DataFrame:
    return pd.read_csv(demo_out / "plan.csv", encoding="utf-8-sig", dtype={"school_id": str, "core_school_id": str, "district": str})


def test_writes_every_file(demo_out):
    assert sorted(p.name for p in demo_out.iterdir()) == sorted(OUTPUT_FILES)
    assert (demo_out / "plan.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_every_school_exactly_once(plan):
    table = pd.read_csv(ensure_demo().schools, encoding="utf-8-sig", dtype=str)
    assert sorted(plan["school_id"]) == sorted(table["学校标识码"])
    assert plan["school_id"].is_unique
    for column in ("school_id", "name", "level", "enrollment", "is_core", "district", "core_school_id",
                   "minutes_to_core", "minutes_from_core"):
        assert column in plan


def test_members_within_the_limit_both_ways(plan):
    members = plan[~plan["is_core"]]
    assert (members["minutes_to_core"] <= DEFAULT_MAX_MINUTES).all()
    assert (members["minutes_from_core"] <= DEFAULT_MAX_MINUTES).all()
    assert (members["minutes_to_core"] > 0).all()


def test_member_counts_and_balance(plan):
    assert (plan["district"].notna()).all()
    counts = plan[~plan["is_core"]].groupby("district").size()
    cores = plan[plan["is_core"]].set_index("district")
    assert set(counts.index) == set(cores.index)
    assert counts.between(*DEFAULT_MEMBERS).all()
    enrollment = plan.groupby("district")["enrollment"].sum()
    assert ((enrollment / enrollment.mean() - 1).abs() <= DEFAULT_BALANCE + 1e-9).all()
    # each school's core is the core of its district
    assert (plan["core_school_id"] == cores.loc[plan["district"], "school_id"].to_numpy()).all()


def test_plan_json_records_the_rules(demo_out):
    record = json.loads((demo_out / "plan.json").read_text(encoding="utf-8"))
    rules = record["rules"]
    assert (rules["max_minutes"], rules["members"], rules["balance"]) == (DEFAULT_MAX_MINUTES, list(DEFAULT_MEMBERS), DEFAULT_BALANCE)
    assert rules["level"] == "all" and rules["keep_township"] is False
    assert record["status"] in ("optimal", "feasible") and 0 <= record["gap"] <= 1
    assert record["objective"] >= record["bound"] - 1e-6
    minutes = record[STUDENT_MINUTES]
    assert minutes <= record["objective"] <= minutes + 0.01 * record["imbalance_students"] + 1
    assert len(record["input_hash"]) == 64 and record["schema_version"] == PLAN_SCHEMA_VERSION
    assert "HiGHS" in record["solver"] and "seed" in record


def test_districts_geojson_is_a_valid_partition_holding_its_schools(demo_out, plan):
    raw = json.loads((demo_out / "districts.geojson").read_text(encoding="utf-8"))
    assert "crs" not in raw  # RFC 7946: WGS-84 implied, no crs member
    districts = gpd.read_file(demo_out / "districts.geojson")
    schools = gpd.read_file(demo_out / "schools.geojson")
    assert districts.crs.to_epsg() == 4326
    assert set(districts.geom_type) <= {"Polygon", "MultiPolygon"} and districts.is_valid.all()
    assert sorted(districts["district"]) == sorted(plan["district"].unique())
    assert sorted(schools["district"]) == sorted(plan["district"])
    metric = districts.to_crs(districts.estimate_utm_crs())
    for a, b in itertools.combinations(metric.geometry, 2):
        assert a.intersection(b).area < 1.0
    territory = districts.set_index("district").geometry
    for row in schools.itertuples():
        assert territory[row.district].covers(row.geometry), row.name


def test_outputs_name_the_synthetic_data(demo_out):
    assert "示例数据（虚构）" in (demo_out / "report.html").read_text(encoding="utf-8")
    assert "synthetic demo data" in (demo_out / "map.html").read_text(encoding="utf-8")
    assert "synthetic demo data" in json.loads((demo_out / "plan.json").read_text(encoding="utf-8"))["notice"]


def map_data(demo_out: Path) -> dict:
    page = (demo_out / "map.html").read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="xq-plan-data">(.*?)</script>', page, re.S)[1])


def test_touching_districts_have_different_colours_on_the_map(demo_out):
    districts = gpd.read_file(demo_out / "districts.geojson")
    colours = {row["key"]: row["color"] for row in map_data(demo_out)["districts"]}
    assert set(colours) == set(districts["district"])
    touching = [
        (a.district, b.district)
        for a, b in itertools.combinations(districts.itertuples(), 2)
        if a.geometry.intersection(b.geometry).length > 0  # a shared stretch of border
    ]
    assert len(touching) >= len(districts)  # a real map, not islands
    assert [(a, b) for a, b in touching if colours[a] == colours[b]] == []
    assert len(set(colours.values())) <= 10


def test_map_draws_roads_townships_and_isochrones(demo_out):
    data = map_data(demo_out)
    assert [road["highway"] for road in data["roads"]] == ["trunk", "primary", "secondary", "tertiary"]
    assert len(data["townships"]) > 10
    assert data["isochrones"]["minutes"] == DEFAULT_MAX_MINUTES
    assert sorted(area["district"] for area in data["isochrones"]["areas"]) == list(range(len(data["districts"])))
    assert data["source"] == "示例数据（虚构） / synthetic demo data"  # the demo's roads are no OSM data


def test_printed_figure_files(demo_out):
    from PIL import Image

    with Image.open(demo_out / "map.png") as image:
        assert image.size == (3508, 2480) or image.size == (3507, 2480)
        small = image.convert("L").resize((image.width // 10, image.height // 10))
        assert len(small.getcolors(maxcolors=256)) > 50  # drawn, not blank
    pdf = (demo_out / "map.pdf").read_bytes()
    width, height = (float(v) for v in re.search(rb"/MediaBox \[ *0 0 ([\d.]+) ([\d.]+) *\]", pdf).groups())
    assert (round(width), round(height)) == (842, 595)  # A4 landscape in points
    assert re.search(rb"/BaseFont /[A-Z]{6}\+NotoSansCJK", pdf) and b"/FontFile2" in pdf


def test_rerun_is_byte_identical(demo_out, tmp_path):
    again = tmp_path / "again"
    assert app.main(["demo", "--out", str(again)]) == 0
    for name in OUTPUT_FILES:
        assert (again / name).read_bytes() == (demo_out / name).read_bytes(), name


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], capture_output=True, text=True, cwd=ROOT)


def test_impossible_limit_exits_non_zero_and_writes_nothing(tmp_path):
    out = tmp_path / "never"
    result = run_cli("demo", "--out", str(out), "--max-minutes", "2")
    assert result.returncode != 0
    assert "reaches no core within 2 min" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_bad_table_exits_with_one_clear_message(tmp_path):
    table = tmp_path / "schools.csv"
    table.write_text("学校名称,在校生数\n一小,100\n", encoding="utf-8")
    result = run_cli("partition", "--osm", str(ensure_demo().osm), "--schools", str(table), "--out", str(tmp_path / "o"))
    assert result.returncode != 0
    assert "no coordinate columns" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow  # three whole demo runs; tests/test_cache.py checks each cache in the default run
def test_cache_makes_the_second_run_reuse_roads_and_times(tmp_path):
    cache = tmp_path / "cache"
    first = run_cli("demo", "--out", str(tmp_path / "a"), "--cache-dir", str(cache))
    second = run_cli("demo", "--out", str(tmp_path / "b"), "--cache-dir", str(cache), "--balance", "0.3")
    assert first.returncode == 0 and second.returncode == 0
    assert "roads from the cache" not in first.stderr and "roads from the cache" in second.stderr
    assert sorted(p.name.split("-")[0] for p in cache.iterdir()) == ["admin", "roads", "times"]
    none = run_cli("demo", "--out", str(tmp_path / "c"), "--cache-dir", str(tmp_path / "unused"), "--no-cache")
    assert none.returncode == 0 and not (tmp_path / "unused").exists()
    assert (tmp_path / "c" / "plan.csv").read_bytes() == (tmp_path / "a" / "plan.csv").read_bytes()


# --- the demo map in a real browser ---------------------------------------------------------


@pytest.fixture
def demo_page(browser, demo_out):
    from tests.test_maps import OpenedMap

    opened = OpenedMap(browser, demo_out / "map.html")
    yield opened
    opened.page.close()


@pytest.mark.browser
def test_demo_map_opens_offline_with_every_district_and_school(demo_page, plan):
    page = demo_page.page
    page.wait_for_timeout(300)
    assert demo_page.console_errors == []
    assert demo_page.network_requests() == [demo_page.url]
    assert page.locator("path.xq-territory").count() == plan["district"].nunique()
    assert page.locator("path.xq-school").count() == len(plan)
    assert page.locator("path.xq-core").count() == int(plan["is_core"].sum())
    assert page.locator(".xq-legend-row").count() == plan["district"].nunique()


@pytest.mark.browser
def test_demo_map_tooltip_legend_and_search(demo_page, plan):
    page = demo_page.page
    x, y = page.evaluate(LONE_MEMBER_JS)
    page.mouse.move(x, y)
    tooltip = page.locator(".leaflet-tooltip:not(.xq-core-label)")
    tooltip.first.wait_for(state="visible")
    assert tooltip.first.inner_text() in set(plan["name"])
    page.locator(".xq-legend-row[data-key=D05]").click()
    assert page.locator("path.xq-territory.xq-highlight").count() == 1
    core = plan[plan["is_core"] & (plan["district"] == "D05")]["name"].iloc[0]
    part = core[3:7]  # a piece from the middle of the name
    page.locator(".leaflet-control-search input").press_sequentially(part)
    tips = page.locator(".search-tip")
    tips.first.wait_for(state="visible")
    assert core in [tip.inner_text() for tip in tips.all()]
    page.locator(".search-tip", has_text=core).first.click()
    assert core in page.locator(".leaflet-popup-content").inner_text()
    assert demo_page.console_errors == []


# The screen point of a member school in view with no other school within 30 px.
LONE_MEMBER_JS = """() => {
    const map = Object.values(window).find((value) => value instanceof L.Map);
    const state = map.xuequ, size = map.getSize();
    const points = state.members.concat(state.cores).map((m) => map.latLngToContainerPoint(m.getLatLng()));
    const lone = state.members.findIndex((_, i) => {
        const p = points[i];
        const inside = p.x > 60 && p.y > 160 && p.x < size.x / 2 && p.y < size.y - 60;
        return inside && points.every((q, j) => j === i || p.distanceTo(q) > 30);
    });
    return [points[lone].x, points[lone].y];
}"""
