"""Schools from OSM: a hand-made extract in three formats, tag and name rules, downloads, Helsinki."""

from __future__ import annotations

import bz2
import warnings
from pathlib import Path

import geopandas as gpd
import osmium
import osmnx
import pandas as pd
import pytest
import requests
import shapely
from geopandas.testing import assert_geodataframe_equal

from gis.admin import TOWNSHIP_LEVEL, read_admin_areas
from gis.badrows import BadRowsWarning
from gis.errors import InputError
from gis.osm_schools import (
    ESTIMATED_ENROLLMENT,
    ExcludedSchool,
    assign_townships,
    download_osm_schools,
    read_osm_schools,
    schools_from_features,
    township_areas_from_features,
)
from gis.schools import read_school_table
from tests.osm_fixtures import helsinki_pbf_path, write_osm

SCHOOL = {"amenity": "school"}

# Two townships side by side: 城关街道 (west of 117.05) and 青山镇 (east of it); node 13 lies outside both.
SCHOOL_NODES = {
    1: (117.010, 36.010, {**SCHOOL, "name": "Chengguan No.1 Primary", "name:zh": "城关第一小学"}),
    2: (117.0315, 36.031, {**SCHOOL, "name": "城关实验小学", "isced:level": "1", "student:count": "1500"}),  # inside way 204
    3: (117.0723, 36.031, {**SCHOOL, "name": "青山镇中心小学", "capacity": "600"}),  # ~27 m east of way 205
    4: (117.012, 36.012, {**SCHOOL, "name": "城关幼儿园"}),
    5: (117.014, 36.014, {**SCHOOL, "name": "城关第一高级中学"}),
    6: (117.016, 36.016, {**SCHOOL, "name": "安达驾校"}),
    7: (117.018, 36.018, {**SCHOOL, "name": "新星培训学校"}),
    8: (117.040, 36.040, {**SCHOOL, "name": "城关第二中学", "isced:level": "3"}),
    9: (117.080, 36.020, {**SCHOOL, "name": "河口小学", "student:count": "320"}),
    10: (117.045, 36.045, {**SCHOOL, "name": "阳光学校"}),
    11: (117.026, 36.026, {**SCHOOL, "name": "Little Stars", "school": "kindergarten"}),
    12: (117.046, 36.046, {**SCHOOL, "name": "Hillside School", "grades": "7-9"}),
    13: (117.200, 36.200, {**SCHOOL, "name": "远郊小学"}),
    14: (117.027, 36.027, {"amenity": "kindergarten", "name": "阳光幼儿园"}),
    15: (117.090, 36.040, {**SCHOOL, "name": "青山学校", "isced:level": "1;2"}),
    16: (117.085, 36.045, {**SCHOOL, "name": "Riverside School", "school:level": "primary"}),
    17: (117.0205, 36.0205, {**SCHOOL, "name": "城关第二小学"}),  # inside way 201, a different school
}
# (first node id, (west, south, east, north), way id, tags): closed rectangular ways.
RECTANGLES = [
    (101, (117.020, 36.020, 117.024, 36.023), 201, {**SCHOOL, "name": "城关初级中学", "isced:level": "2", "capacity": "1200"}),
    (111, (117.060, 36.010, 117.066, 36.016), 202, {}),
    (115, (117.062, 36.012, 117.064, 36.014), 203, {}),
    (121, (117.030, 36.030, 117.033, 36.032), 204, {**SCHOOL, "name": "实验小学"}),
    (131, (117.070, 36.030, 117.072, 36.032), 205, {**SCHOOL, "name": "青山镇中心小学", "grades": "1-6"}),
    (1001, (117.00, 36.00, 117.05, 36.05), 801, {}),
    (1011, (117.05, 36.00, 117.10, 36.05), 802, {}),
]
BOUNDARY = {"type": "boundary", "boundary": "administrative", "admin_level": str(TOWNSHIP_LEVEL)}
RELATIONS = [
    (301, [("way", 202, "outer"), ("way", 203, "inner")],
     {"type": "multipolygon", **SCHOOL, "name": "青山九年一贯制学校", "student:count": "980"}),
    (901, [("way", 801, "outer")], {**BOUNDARY, "name": "城关街道"}),
    (902, [("way", 802, "outer")], {**BOUNDARY, "name": "Qingshan", "name:zh": "青山镇"}),
]

# school_id: (name, level, enrollment, estimated, township, source_row = position among amenity=school + 1)
EXPECTED = {
    "node/1": ("城关第一小学", "primary", ESTIMATED_ENROLLMENT["primary"], True, "城关街道", 1),
    "node/9": ("河口小学", "primary", 320, False, "青山镇", 9),
    "node/12": ("Hillside School", "junior", ESTIMATED_ENROLLMENT["junior"], True, "城关街道", 12),
    "node/13": ("远郊小学", "primary", ESTIMATED_ENROLLMENT["primary"], True, "", 13),
    "node/15": ("青山学校", "nine_year", ESTIMATED_ENROLLMENT["nine_year"], True, "青山镇", 14),
    "node/16": ("Riverside School", "primary", ESTIMATED_ENROLLMENT["primary"], True, "青山镇", 15),
    "node/17": ("城关第二小学", "primary", ESTIMATED_ENROLLMENT["primary"], True, "城关街道", 16),
    "relation/301": ("青山九年一贯制学校", "nine_year", 980, False, "青山镇", 17),
    "way/201": ("城关初级中学", "junior", 1200, False, "城关街道", 18),
    "way/204": ("实验小学", "primary", 1500, False, "城关街道", 19),  # node 2's tags merged in
    "way/205": ("青山镇中心小学", "primary", 600, False, "青山镇", 20),  # node 3's capacity merged in
}
EXCLUDED = [
    ExcludedSchool("node/4", "城关幼儿园", "name ends in 幼儿园: kindergarten"),
    ExcludedSchool("node/5", "城关第一高级中学", "name ends in 高级中学: senior high school"),
    ExcludedSchool("node/6", "安达驾校", "name contains 驾校: driving school"),
    ExcludedSchool("node/7", "新星培训学校", "name contains 培训: training school"),
    ExcludedSchool("node/8", "城关第二中学", "isced:level=3: senior high school or above"),
    ExcludedSchool("node/11", "Little Stars", "school=kindergarten: kindergarten"),
]
CANONICAL_COLUMNS = ["school_id", "name", "level", "enrollment", "enrollment_estimated", "is_core",
                     "township", "area_type", "source_row", "geometry"]
FINNISH_MARKERS = [("ala-aste", "primary"), ("yläaste", "junior"), ("lukio", None)]


def rectangle_nodes_and_ways():
    nodes, ways = {}, []
    for first, (west, south, east, north), way_id, tags in RECTANGLES:
        ids = list(range(first, first + 4))
        nodes.update(zip(ids, [(west, south), (east, south), (east, north), (west, north)]))
        ways.append((way_id, [*ids, ids[0]], tags))
    return nodes, ways


@pytest.fixture(scope="module")
def osm_xml(tmp_path_factory) -> Path:
    nodes, ways = rectangle_nodes_and_ways()
    path = tmp_path_factory.mktemp("osm") / "county.osm"
    return write_osm(path, {**SCHOOL_NODES, **nodes}, ways, RELATIONS)


@pytest.fixture(scope="module")
def schools(osm_xml) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BadRowsWarning)
        return read_osm_schools(osm_xml)


def read_quietly(path, **kwargs) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BadRowsWarning)
        return read_osm_schools(path, **kwargs)


def as_pbf(xml: Path, pbf: Path) -> Path:
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    return pbf


# --- the hand-made extract -----------------------------------------------------------------------


def test_compulsory_schools_with_levels_enrollments_and_townships(schools):
    assert list(schools.columns) == CANONICAL_COLUMNS
    assert schools.crs.to_epsg() == 4326
    got = {
        row.school_id: (row.name, row.level, row.enrollment, row.enrollment_estimated, row.township, row.source_row)
        for row in schools.itertuples()
    }
    assert got == EXPECTED
    assert list(schools["school_id"]) == list(EXPECTED)
    assert not schools["is_core"].any() and schools["area_type"].isna().all()
    assert schools["enrollment"].dtype == "int64" and schools["enrollment_estimated"].dtype == bool
    assert (schools.geom_type == "Point").all()


def test_nodes_keep_their_position_and_areas_get_a_point_inside(schools):
    by_id = schools.set_index("school_id").geometry
    assert (by_id["node/1"].x, by_id["node/1"].y) == (117.010, 36.010)
    nodes, ways = rectangle_nodes_and_ways()
    for school_id, first in [("way/201", 101), ("way/204", 121), ("way/205", 131)]:
        ring = shapely.Polygon([nodes[first + k] for k in range(4)])
        assert ring.contains(by_id[school_id])
    outer = shapely.Polygon([nodes[111 + k] for k in range(4)])
    hole = shapely.Polygon([nodes[115 + k] for k in range(4)])
    assert outer.difference(hole).contains(by_id["relation/301"])


def test_non_compulsory_schools_are_listed_not_kept(schools):
    assert schools.attrs["excluded"] == EXCLUDED
    assert str(EXCLUDED[0]) == "node/4 城关幼儿园: name ends in 幼儿园: kindergarten"


def test_school_mapped_as_node_and_area_counts_once(schools):
    assert schools.attrs["merged"] == [("node/2", "way/204"), ("node/3", "way/205")]
    assert not {"node/2", "node/3"} & set(schools["school_id"])


def test_school_without_level_is_dropped_with_a_warning_naming_it(osm_xml):
    with pytest.warns(BadRowsWarning) as caught:
        schools = read_osm_schools(osm_xml)
    message = str(caught[0].message)
    assert "dropped 1 bad row(s)" in message
    assert "row 10: OSM feature node/10 '阳光学校' has no school level" in message and "isced:level" in message
    assert [b.row for b in schools.attrs["dropped"]] == [10]


def test_strict_makes_a_school_without_level_fatal(osm_xml):
    with pytest.raises(InputError, match="(?s)--strict.*node/10 '阳光学校'"):
        read_osm_schools(osm_xml, strict=True)


@pytest.mark.parametrize("fmt", ["osm.bz2", "osm.pbf"])
def test_same_table_from_bz2_and_pbf(osm_xml, schools, tmp_path, fmt):
    if fmt == "osm.bz2":
        path = tmp_path / "county.osm.bz2"
        path.write_bytes(bz2.compress(osm_xml.read_bytes()))
    else:
        path = as_pbf(osm_xml, tmp_path / "county.osm.pbf")
    other = read_quietly(path)
    assert_geodataframe_equal(other, schools, check_less_precise=False)
    assert other.attrs["excluded"] == schools.attrs["excluded"] and other.attrs["merged"] == schools.attrs["merged"]


# --- tags and names, through schools_from_features -----------------------------------------------


def features(*rows: dict) -> gpd.GeoDataFrame:
    """An osmnx-style features frame of nodes 1, 2, ... at made-up positions."""
    index = pd.MultiIndex.from_tuples([("node", i + 1) for i in range(len(rows))], names=["element", "id"])
    points = [shapely.Point(117.0 + i * 0.01, 36.0) for i in range(len(rows))]
    return gpd.GeoDataFrame([{**SCHOOL, **r} for r in rows], index=index, geometry=points, crs="EPSG:4326")


@pytest.mark.parametrize(
    ("tags", "level"),
    [
        ({"isced:level": "1"}, "primary"),
        ({"isced:level": "2"}, "junior"),
        ({"isced:level": "1;2"}, "nine_year"),
        ({"isced:level": "1-2"}, "nine_year"),
        ({"isced:level": "2;3"}, "junior"),  # 完全中学: its junior part
        ({"isced:level": "0;1"}, "primary"),
        ({"isced:level": "primary", "name": "东关小学"}, "primary"),  # unreadable tag: the name decides
        ({"school:level": "primary;lower_secondary"}, "nine_year"),
        ({"grades": "1-9"}, "nine_year"),
        ({"grades": "K-5"}, "primary"),
        ({"grades": "7;8;9"}, "junior"),
        ({"school": "primary"}, "primary"),
        ({"name": "城关完全中学"}, "junior"),
        ({"name": "西山九年一贯制学校"}, "nine_year"),
        ({"name": "河口镇初级中学"}, "junior"),
        ({"name": "第一高级中学初中部"}, "junior"),  # the type word ending the name decides
        ({"name": "高中路小学"}, "primary"),
        ({"name:zh": "东关小学", "name": "Dongguan School"}, "primary"),
    ],
)
def test_level_from_tags_then_name(tags, level):
    schools = schools_from_features(features(tags))
    assert list(schools["level"]) == [level]


@pytest.mark.parametrize(
    ("tags", "reason"),
    [
        ({"isced:level": "0", "name": "东关小学"}, "isced:level=0: kindergarten"),  # tags beat the name
        ({"isced:level": "3;4"}, "isced:level=3;4: senior high school or above"),
        ({"school:level": "upper_secondary"}, "school:level=upper_secondary: senior high school or above"),
        ({"grades": "10-12"}, "grades=10-12: senior high school or above"),
        ({"grades": "PK-K"}, "grades=PK-K: kindergarten"),
        ({"name": "城关小学附属幼儿园"}, "name ends in 幼儿园: kindergarten"),
        ({"name": "城关中学高中部"}, "name ends in 高中: senior high school"),
        ({"name": "县职业中学"}, "name contains 职业: vocational school"),
        ({"name": "平安驾驶培训学校"}, "name contains 培训: training school"),
    ],
)
def test_non_compulsory_by_tags_or_name(tags, reason):
    schools = schools_from_features(features(tags))
    assert schools.empty
    assert [e.reason for e in schools.attrs["excluded"]] == [reason]


def test_enrollment_tags_in_order_and_estimates_per_level():
    schools = schools_from_features(
        features(
            {"name": "一小", "isced:level": "1", "capacity": "900", "student:count": "1,234"},
            {"name": "二小", "isced:level": "1", "students": "约800人", "capacity": "900"},
            {"name": "三中", "isced:level": "2", "capacity": "1500"},
            {"name": "四中", "isced:level": "2", "capacity": "unknown"},
            {"name": "五校", "isced:level": "1;2"},
        )
    )
    assert list(schools["enrollment"]) == [1234, 800, 1500, ESTIMATED_ENROLLMENT["junior"], ESTIMATED_ENROLLMENT["nine_year"]]
    assert list(schools["enrollment_estimated"]) == [False, False, False, True, True]
    assert list(schools["school_id"]) == ["node/1", "node/2", "node/3", "node/4", "node/5"]


def test_non_school_features_are_ignored_and_no_features_give_an_empty_table():
    mixed = features({"name": "东关小学"}, {"amenity": "kindergarten", "name": "东关幼儿园"})
    assert list(schools_from_features(mixed)["school_id"]) == ["node/1"]
    empty = schools_from_features(mixed.iloc[:0])
    assert empty.empty and list(empty.columns) == CANONICAL_COLUMNS


def test_extra_name_markers():
    schools = schools_from_features(features({"name": "Kaisaniemen ala-aste"}, {"name": "Ressun lukio"}), name_markers=FINNISH_MARKERS)
    assert list(schools["level"]) == ["primary"]
    assert [e.school_id for e in schools.attrs["excluded"]] == ["node/2"]


# --- townships -----------------------------------------------------------------------------------


def test_township_areas_from_features_equal_the_local_boundaries(osm_xml):
    boundaries = osmnx.features_from_xml(osm_xml, tags={"admin_level": str(TOWNSHIP_LEVEL)})
    from_features = township_areas_from_features(boundaries)
    local = read_admin_areas(osm_xml, levels=(TOWNSHIP_LEVEL,))
    assert list(from_features["name"]) == list(local["name"]) == ["城关街道", "青山镇"]
    assert list(from_features["osm_id"]) == list(local["osm_id"]) == [901, 902]
    assert all(a.equals(b) for a, b in zip(from_features.geometry.normalize(), local.geometry.normalize()))


def test_assign_townships_fills_only_empty_townships_of_a_bureau_table(osm_xml, tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text(
        "学校标识码,学校名称,学段,在校生数,经度,纬度,乡镇/街道\n"
        "A1,城关第一小学,小学,1200,117.01,36.01,\n"
        "A2,青山镇中心小学,小学,450,117.07,36.02,\n"
        "A3,河口小学,小学,300,117.08,36.02,河口乡\n"
        "A4,远郊小学,小学,100,117.20,36.20,\n",
        encoding="utf-8",
    )
    table = read_school_table(path)
    assert list(table["township"]) == ["", "", "河口乡", ""]
    filled = assign_townships(table, read_admin_areas(osm_xml, levels=(TOWNSHIP_LEVEL,)))
    assert list(filled["township"]) == ["城关街道", "青山镇", "河口乡", ""]
    assert list(table["township"]) == ["", "", "河口乡", ""]  # the input is not changed


def test_school_on_a_shared_border_takes_the_first_area(osm_xml):
    on_border = features({"name": "界河小学"}).set_geometry([shapely.Point(117.05, 36.02)], crs="EPSG:4326")
    filled = assign_townships(schools_from_features(on_border), read_admin_areas(osm_xml, levels=(TOWNSHIP_LEVEL,)))
    assert list(filled["township"]) == ["城关街道"]


# --- downloads, with the Overpass and Nominatim calls answered from the local file --------------


@pytest.fixture
def offline_osmnx(monkeypatch, osm_xml):
    """Answer osmnx's network calls from the hand-made extract; record the queries."""
    calls = []

    def features_from_polygon(polygon, tags):
        calls.append(("features_from_polygon", polygon.bounds, tags))
        return osmnx.features_from_xml(osm_xml, polygon=polygon, tags=tags)

    def geocode_to_gdf(query, **kwargs):
        calls.append(("geocode_to_gdf", query))
        if query != "示范县":
            raise osmnx._errors.InsufficientResponseError("Nominatim geocoder returned 0 results")
        return gpd.GeoDataFrame(geometry=[shapely.box(116.9, 35.9, 117.3, 36.3)], crs="EPSG:4326")

    monkeypatch.setattr(osmnx, "features_from_polygon", features_from_polygon)
    monkeypatch.setattr(osmnx, "geocode_to_gdf", geocode_to_gdf)
    return calls


@pytest.mark.parametrize(
    "query",
    [{"place": "示范县"}, {"bbox": (116.9, 35.9, 117.3, 36.3)}, {"polygon": shapely.box(116.9, 35.9, 117.3, 36.3)}],
)
def test_download_gives_the_same_table_as_the_local_file(offline_osmnx, schools, query):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BadRowsWarning)
        downloaded = download_osm_schools(**query)
    assert_geodataframe_equal(downloaded, schools)
    queried = [c for c in offline_osmnx if c[0] == "features_from_polygon"]
    assert [c[2] for c in queried] == [{"amenity": "school"}, {"admin_level": "8"}]
    assert [c[1] for c in queried] == [(116.9, 35.9, 117.3, 36.3)] * 2


def test_download_without_townships_leaves_them_empty(offline_osmnx):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BadRowsWarning)
        downloaded = download_osm_schools(bbox=(116.9, 35.9, 117.3, 36.3), townships=False)
    assert set(downloaded["township"]) == {""}
    assert len(offline_osmnx) == 1


def test_download_of_an_area_without_schools(offline_osmnx):
    with pytest.raises(InputError, match="no usable compulsory school"):
        download_osm_schools(bbox=(118.0, 37.0, 118.1, 37.1))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "exactly one of place, bbox or polygon"),
        ({"place": "示范县", "bbox": (116.9, 35.9, 117.3, 36.3)}, "exactly one of place, bbox or polygon"),
        ({"bbox": (117.3, 35.9, 116.9, 36.3)}, "west < east"),
        ({"place": "不存在县"}, "place '不存在县' not found"),
    ],
)
def test_download_argument_errors(offline_osmnx, query, message):
    with pytest.raises(InputError, match=message):
        download_osm_schools(**query)


def test_download_network_failure_names_the_fix(monkeypatch):
    def unreachable(polygon, tags):
        raise requests.ConnectionError("Max retries exceeded")

    monkeypatch.setattr(osmnx, "features_from_polygon", unreachable)
    with pytest.raises(InputError, match="cannot download from the Overpass API.*use a local .osm.pbf"):
        download_osm_schools(bbox=(116.9, 35.9, 117.3, 36.3))


# --- a real extract and bad files ----------------------------------------------------------------


def test_helsinki_schools_need_finnish_markers():
    """Central Helsinki has three amenity=school ways, none with a level tag and no Chinese names."""
    with pytest.warns(BadRowsWarning) as caught, pytest.raises(InputError, match="no usable compulsory school"):
        read_osm_schools(helsinki_pbf_path())
    message = str(caught[0].message)
    assert "dropped 3 bad row(s)" in message
    assert all(f"way/{i}" in message for i in (37264738, 446178816, 596507272))


def test_helsinki_schools_with_finnish_markers():
    schools = read_osm_schools(helsinki_pbf_path(), name_markers=FINNISH_MARKERS)
    assert list(schools["school_id"]) == ["way/446178816", "way/596507272"]
    assert list(schools["name"]) == ["Kruununhaan yläasteen koulu", "Kaisaniemen ala-aste"]
    assert list(schools["level"]) == ["junior", "primary"]
    assert list(schools["enrollment"]) == [ESTIMATED_ENROLLMENT["junior"], ESTIMATED_ENROLLMENT["primary"]]
    assert schools["enrollment_estimated"].all()
    assert [(e.school_id, e.name) for e in schools.attrs["excluded"]] == [("way/37264738", "Ressun lukio")]
    reader = osmium.io.Reader(str(helsinki_pbf_path()))
    box = reader.header().box()
    reader.close()
    extract = shapely.box(box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
    assert schools.within(extract).all()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "missing.osm.pbf", "no such OSM file"),
        (b"", "empty.osm", "the OSM file is empty"),
        (b"<osm/>", "schools.csv", "not an OSM file"),
        (b"\x00\x00\x00\x0dnot really a pbf", "broken.osm.pbf", "cannot read this OSM file"),
        (b"<?xml version='1.0'?><osm version='0.6'><node id='1'", "truncated.osm", "cannot read this OSM file"),
    ],
)
def test_bad_osm_files(tmp_path, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_osm_schools(path)


def test_extract_without_schools(tmp_path):
    path = write_osm(tmp_path / "roads.osm", {1: (117.0, 36.0), 2: (117.01, 36.0)}, [(10, [1, 2], {"highway": "primary"})])
    with pytest.raises(InputError, match="no usable compulsory school"):
        read_osm_schools(path)


def test_features_must_carry_the_osmnx_index():
    with pytest.raises(InputError, match=r"indexed by \(element, id\)"):
        schools_from_features(features({"name": "东关小学"}).reset_index())


def test_unnamed_node_inside_a_school_area_is_merged_into_it():
    index = pd.MultiIndex.from_tuples([("node", 1), ("node", 2), ("way", 3)], names=["element", "id"])
    campus = shapely.box(117.0, 36.0, 117.002, 36.002)
    frame = gpd.GeoDataFrame(
        [{**SCHOOL, "student:count": "640"}, {**SCHOOL, "name": "东关小学"}, {**SCHOOL, "name": "东关小学"}],
        index=index,
        geometry=[shapely.Point(117.001, 36.001), shapely.Point(117.01, 36.01), campus],
        crs="EPSG:4326",
    )
    schools = schools_from_features(frame)
    assert schools.attrs["merged"] == [("node/1", "way/3")]  # node 2 is ~1 km away: a school of its own
    assert list(schools["school_id"]) == ["node/2", "way/3"]
    assert list(schools["enrollment"]) == [ESTIMATED_ENROLLMENT["primary"], 640]
