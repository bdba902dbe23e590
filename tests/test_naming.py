"""学区 names (by core, direction or number, or the planner's own) and the 学区长, in every output."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from osm_fixtures import SEAT, SMALL_COUNTY_CORES, SMALL_COUNTY_DIRECTIONS, write_small_county

import app
import gis
import partition
from gis.errors import InputError
from partition.naming import county_seat, district_names, zh_numeral
from partition.rules import Naming, RuleError
from partition.rulesfile import apply_rules_file

RENAMED = ("c4", "北山学区")  # the rules file names this core's 学区
HEADS = {core: head for core, _, _, _, _, head in SMALL_COUNTY_CORES}
LEGEND_JS = "() => document.querySelector('.xq-legend').innerText"
TOOLTIPS_JS = """() => {
    const map = Object.values(window).find((value) => value instanceof L.Map);
    const found = [];
    map.eachLayer((layer) => { const t = layer.getTooltip && layer.getTooltip(); if (t) found.push(String(t.getContent())); });
    return found;
}"""


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return write_small_county(tmp_path_factory.mktemp("county"), basic_indicators=True)


@pytest.fixture(scope="module")
def named_run(county, tmp_path_factory):
    """The command line on the small county: a primary plan named by direction, one 学区 renamed by the rules file."""
    osm, table = county
    folder = tmp_path_factory.mktemp("named")
    rules = folder / "rules.yaml"
    rules.write_text(f"names:\n  {RENAMED[0]}: {RENAMED[1]}\n", encoding="utf-8")
    out = folder / "out"
    assert app.main(["partition", "--osm", str(osm), "--schools", str(table), "--out", str(out), "--level", "primary",
                     "--names", "direction", "--rules", str(rules), "--no-cache"]) == 0
    return out


@pytest.fixture(scope="module")
def result(county):
    """The same county through the API, all levels, named after the cores."""
    osm, table = county
    return partition.plan_districts(gis.read_school_table(table), gis.read_road_network(osm))


def read_plan(out) -> pd.DataFrame:
    return pd.read_csv(out / "plan.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_direction_names_from_the_seat_with_a_collision_and_the_seat(named_run):
    plan = read_plan(named_run)
    names = plan.set_index("school_id")["district_name"]
    expected = {**SMALL_COUNTY_DIRECTIONS, RENAMED[0]: RENAMED[1]}  # the rules file's name wins
    assert {core: names[core] for core in expected} == expected
    # every member carries its core's 学区 name
    assert (plan["district_name"] == plan["core_school_id"].map(names)).all()


def test_the_names_are_the_same_in_every_output(named_run):
    plan = read_plan(named_run)
    by_key = plan.drop_duplicates("district").set_index("district")["district_name"].to_dict()
    districts = gpd.read_file(named_run / "districts.geojson")
    schools = gpd.read_file(named_run / "schools.geojson")
    assert districts.set_index("district")["district_name"].to_dict() == by_key
    assert schools.set_index("school_id")["district_name"].to_dict() == plan.set_index("school_id")["district_name"].to_dict()
    report = (named_run / "report.html").read_text(encoding="utf-8")
    page = (named_run / "map.html").read_text(encoding="utf-8")
    for name in by_key.values():
        assert name in report and json.dumps(name, ensure_ascii=False)[1:-1] in page


def test_the_district_head_is_the_cores_principal_and_blank_when_missing(named_run):
    plan = read_plan(named_run)
    heads = plan.groupby("core_school_id")["district_head"].agg(set).to_dict()
    assert heads == {core: {head} for core, head in HEADS.items()}  # c2's principal is blank: blank, not invented
    assert plan.set_index("school_id").loc["c1m1", "principal"] == "校长c11"  # the table's own column is kept
    report = (named_run / "report.html").read_text(encoding="utf-8")
    districts_table = report.split('id="districts"')[1].split("</table>")[0]
    school_list = report.split('id="schools"')[1].split("</table>")[0]
    for head in filter(None, HEADS.values()):
        assert head in districts_table and f"学区长 {head}" in school_list
    assert f"{SMALL_COUNTY_DIRECTIONS['c2']} · 学区长 —" in school_list


@pytest.mark.browser
def test_the_district_head_is_in_the_maps_legend_and_tooltips(named_run, browser):
    page = browser.new_page()
    try:
        page.goto((named_run / "map.html").as_uri(), wait_until="load")
        legend = page.evaluate(LEGEND_JS)
        tooltips = page.evaluate(TOOLTIPS_JS)
    finally:
        page.close()
    assert f"{SMALL_COUNTY_DIRECTIONS['c1']} 学区长 {HEADS['c1']}" in legend
    assert f"{SMALL_COUNTY_DIRECTIONS['c2']} 学区长" not in legend and "学区长 \t" not in legend  # blank: nothing shown
    territory = next(t for t in tooltips if SMALL_COUNTY_DIRECTIONS["c1"] in t)
    assert f"<th>学区长</th><td>{HEADS['c1']}</td>" in territory


def test_schemes_on_the_same_plan(result):
    frame = result.schools
    cores = frame[frame["is_core"]].set_index("school_id")["district"]
    core_names = district_names(frame, Naming("core"), "all")
    assert core_names == result.districts.set_index("district")["district_name"].to_dict()
    assert core_names[cores["c1"]] == "东岭小学学区"
    # an all-levels plan: no level prefix
    direction = district_names(frame, Naming("direction"), "all")
    assert {c: direction[cores[c]] for c in SMALL_COUNTY_DIRECTIONS} == {c: n[1:] for c, n in SMALL_COUNTY_DIRECTIONS.items()}
    junior = district_names(frame, Naming("direction"), "junior")
    assert junior[cores["c1"]] == "中东一学区" and junior[cores["c0"]] == "中城区学区"
    number = district_names(frame, Naming("number"), "all")
    assert [number[key] for key in sorted(number)] == ["第一学区", "第二学区", "第三学区", "第四学区", "第五学区"]


def test_a_seat_given_by_the_planner_moves_the_directions(result):
    frame = result.schools
    cores = frame[frame["is_core"]].set_index("school_id")["district"]
    east_seat = (SEAT[0] + 0.05, SEAT[1])  # at 东岭小学: the town school is now to the west
    names = district_names(frame, Naming("direction", seat=east_seat), "primary")
    assert names[cores["c1"]] == "小城区学区" and names[cores["c0"]] == "小西一学区" and names[cores["c3"]] == "小西二学区"


def test_direction_names_without_urban_schools_ask_for_the_seat(result):
    rural = result.schools.assign(area_type="rural")
    with pytest.raises(InputError, match="--seat LON,LAT"):
        county_seat(rural, Naming("direction"))
    assert county_seat(rural, Naming("direction", seat=SEAT)) == SEAT


def test_names_of_schools_that_are_not_cores_are_refused(county):
    osm, table = county
    schools, roads = gis.read_school_table(table), gis.read_road_network(osm)
    with pytest.raises(InputError, match="c1m1 is not a core school"):
        partition.plan_districts(schools, roads, partition.Rules(naming=Naming(names=(("c1m1", "某学区"),))))
    with pytest.raises(InputError, match="unknown or dropped school id.*nowhere"):
        partition.plan_districts(schools, roads, partition.Rules(naming=Naming(names=(("nowhere", "某学区"),))))


def test_a_name_twice_is_refused():
    with pytest.raises(RuleError, match="^naming "):
        Naming(names=(("a", "东学区"), ("b", "东学区")))
    with pytest.raises(RuleError, match="^naming "):
        Naming("compass")


@pytest.mark.parametrize(("n", "text"), [(1, "一"), (2, "二"), (10, "十"), (11, "十一"), (20, "二十"), (26, "二十六"), (105, "一百零五")])
def test_chinese_numerals(n, text):
    assert zh_numeral(n) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [("names: [a, b]\n", "'names' must map core school ids"), ("names:\n  c1: 东学区\n  c2: 东学区\n", "names must be one distinct"),
     ("names:\n  c1: ' '\n", "non-blank")],
)
def test_bad_names_in_a_rules_file_are_refused(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        apply_rules_file(partition.Rules(), path)
