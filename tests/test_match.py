"""Matching a bureau table with OSM schools: names, distances, one-to-one pairs and the merge."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pytest

from gis.admin import TOWNSHIP_LEVEL
from gis.badrows import BadRowsWarning
from gis.match import MatchResult, match_schools, name_similarity, normalise_name
from gis.network import great_circle_m
from gis.osm_schools import read_osm_schools
from gis.schools import read_school_table
from tests.osm_fixtures import write_osm

SCHOOL = {"amenity": "school"}
BOUNDARY = {"type": "boundary", "boundary": "administrative", "admin_level": str(TOWNSHIP_LEVEL)}

TABLE = """学校标识码,学校名称,学段,在校生数,班级数,经度,纬度,乡镇/街道
T1,示范县城关第一小学,小学,1200,24,117.0100,36.0100,城关街道
T2,城关初级中学,初中,,10,117.0220,36.0210,城关街道
T3,青山镇中心小学,小学,450,12,117.0710,36.0310,
T4,河口小学,小学,300,8,117.0800,36.0200,青山镇
T5,东关小学,小学,500,12,117.0400,36.0400,城关街道
T6,城关实验小学,小学,1500,30,117.0315,36.0305,城关街道
T7,东关中学,初中,800,16,117.0410,36.0401,城关街道
"""
OSM_NODES = {
    1: (117.0105, 36.0102, {**SCHOOL, "name": "城关第一小学", "isced:level": "1"}),  # T1, ~50 m
    2: (117.0130, 36.0110, {**SCHOOL, "name": "城关第一小学"}),  # a second mapping of T1, ~280 m: loses
    3: (117.0712, 36.0312, {**SCHOOL, "name": "青山镇中心小学", "grades": "1-6"}),  # T3, gives the township
    4: (117.0980, 36.0200, {**SCHOOL, "name": "河口小学"}),  # T4's name, 1.6 km away
    5: (117.0405, 36.0403, {**SCHOOL, "name": "西关小学"}),  # ~55 m from T5, another school
    6: (117.0412, 36.0402, {**SCHOOL, "name": "东关初级中学", "isced:level": "2"}),  # T7 (also near T5)
}
# (first node id, (west, south, east, north), way id, tags)
RECTANGLES = [
    (101, (117.020, 36.020, 117.024, 36.023), 201, {**SCHOOL, "name": "城关中学", "isced:level": "2", "student:count": "1100"}),
    (111, (117.030, 36.030, 117.033, 36.032), 204, {**SCHOOL, "name": "实验小学", "student:count": "1400"}),
    (1001, (117.00, 36.00, 117.05, 36.05), 801, {}),
    (1011, (117.05, 36.00, 117.10, 36.05), 802, {}),
]
RELATIONS = [
    (901, [("way", 801, "outer")], {**BOUNDARY, "name": "城关街道"}),
    (902, [("way", 802, "outer")], {**BOUNDARY, "name": "青山镇"}),
]
PAIRS = [("T1", "node/1"), ("T2", "way/201"), ("T3", "node/3"), ("T6", "way/204"), ("T7", "node/6")]


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> gpd.GeoDataFrame:
    path = tmp_path_factory.mktemp("table") / "schools.csv"
    path.write_text(TABLE, encoding="utf-8")
    return read_school_table(path)


@pytest.fixture(scope="module")
def osm(tmp_path_factory) -> gpd.GeoDataFrame:
    nodes, ways = dict(OSM_NODES), []
    for first, (west, south, east, north), way_id, tags in RECTANGLES:
        ids = list(range(first, first + 4))
        nodes.update(zip(ids, [(west, south), (east, south), (east, north), (west, north)]))
        ways.append((way_id, [*ids, ids[0]], tags))
    path = write_osm(tmp_path_factory.mktemp("osm") / "county.osm", nodes, ways, RELATIONS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BadRowsWarning)
        return read_osm_schools(path)


@pytest.fixture(scope="module")
def result(table, osm) -> MatchResult:
    return match_schools(table, osm)


def test_pairs_table_only_and_osm_only(result):
    assert list(zip(result.matched["table_id"], result.matched["osm_id"])) == PAIRS
    assert list(result.table_only["school_id"]) == ["T4", "T5"]
    assert list(result.osm_only["school_id"]) == ["node/2", "node/4", "node/5"]
    assert result.summary() == "matched 5, table only 2, OSM only 3"


def test_pair_distances_and_name_similarities(result, table, osm):
    matched = result.matched.set_index("table_id")
    assert list(result.matched.columns) == ["table_id", "osm_id", "table_name", "osm_name", "distance_m", "name_similarity"]
    t = table.set_index("school_id").geometry
    o = osm.set_index("school_id").geometry
    for table_id, osm_id in PAIRS:
        by_hand = float(great_circle_m(t[table_id].x, t[table_id].y, o[osm_id].x, o[osm_id].y))
        assert matched.at[table_id, "distance_m"] == pytest.approx(by_hand, rel=5e-3)  # UTM vs great circle
    assert matched.at["T1", "distance_m"] == pytest.approx(50, abs=2)
    assert matched["name_similarity"].round(3).to_dict() == {"T1": 1.0, "T2": 1.0, "T3": 1.0, "T6": 0.667, "T7": 1.0}
    assert matched.at["T1", "osm_name"] == "城关第一小学" and matched.at["T1", "table_name"] == "示范县城关第一小学"


def test_merged_table_keeps_table_values_and_fills_gaps_from_osm(result, table):
    merged = result.schools.set_index("school_id")
    assert list(merged.index) == ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "node/2", "node/4", "node/5"]
    assert list(merged["source"]) == ["both", "both", "both", "table", "table", "both", "both", "osm", "osm", "osm"]
    assert list(merged["osm_id"]) == ["node/1", "way/201", "node/3", "", "", "way/204", "node/6", "node/2", "node/4", "node/5"]
    # T2's enrollment was estimated from its classes; OSM's student:count replaces it.
    assert (merged.at["T2", "enrollment"], merged.at["T2", "enrollment_estimated"]) == (1100, False)
    # T6 and OSM both count students: the table wins.
    assert (merged.at["T6", "enrollment"], merged.at["T6", "enrollment_estimated"]) == (1500, False)
    assert merged.at["T3", "township"] == "青山镇"  # empty in the table
    assert merged.at["T1", "name"] == "示范县城关第一小学" and merged.at["T1", "level"] == "primary"
    assert merged.loc["T1"].geometry.equals(table.set_index("school_id").loc["T1"].geometry)
    assert result.schools.crs.to_epsg() == 4326
    assert table.set_index("school_id").at["T2", "enrollment_estimated"]  # the input is not changed


def test_osm_only_schools_can_be_left_out(table, osm):
    result = match_schools(table, osm, keep_osm_only=False)
    assert list(result.schools["school_id"]) == ["T1", "T2", "T3", "T4", "T5", "T6", "T7"]
    assert len(result.osm_only) == 3


def test_larger_distance_finds_the_far_namesake(table, osm):
    result = match_schools(table, osm, max_distance_m=2000)
    assert ("T4", "node/4") in set(zip(result.matched["table_id"], result.matched["osm_id"]))
    assert result.summary() == "matched 6, table only 1, OSM only 2"


def test_pairs_do_not_depend_on_row_order(table, osm, result):
    shuffled = match_schools(table.iloc[::-1], osm.sample(frac=1, random_state=3))
    assert sorted(zip(shuffled.matched["table_id"], shuffled.matched["osm_id"])) == PAIRS


def test_nothing_to_match(table, osm):
    result = match_schools(table, osm.iloc[:0])
    assert result.summary() == f"matched 0, table only {len(table)}, OSM only 0"
    assert list(result.schools["school_id"]) == list(table["school_id"])


@pytest.mark.parametrize(
    ("a", "b", "similarity"),
    [
        ("示范县城关第一小学", "城关第一小学", 1.0),  # county prefix
        ("山东省临沂市沂水县第一实验小学", "沂水县第一实验小学", 1.0),
        ("城关初级中学", "城关中学", 1.0),  # long and short type words
        ("青山九年一贯制学校", "青山学校", 1.0),
        ("沂水一中", "沂水县第一中学", 0.889),  # short form spelled out
        ("第1小学", "第一小学", 1.0),
        ("城关　第一小学（东校区）", "城关第一小学东校区", 1.0),  # full-width space and brackets
        ("东关小学", "西关小学", 0.5),
        ("第一小学", "第二小学", 0.0),  # different numbers
        ("东关小学", "东关中学", 0.0),  # different kinds of school
        ("", "东关小学", 0.0),
    ],
)
def test_name_similarity(a, b, similarity):
    assert name_similarity(a, b) == pytest.approx(similarity, abs=1e-3)
    assert name_similarity(b, a) == pytest.approx(similarity, abs=1e-3)


def test_normalise_name():
    assert normalise_name(" 示范县 第１初级中学 ") == "示范县第一初中"
