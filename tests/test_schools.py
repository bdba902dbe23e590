"""Reading school tables: headers, encodings, bad files and bad rows."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from gis.badrows import BadRowsWarning
from gis.errors import InputError
from gis.schools import read_school_table

HEADER = "学校标识码,学校名称,学段,在校生数,班级数,经度,纬度,乡镇/街道,城乡类型,是否优质\n"
GOOD = [
    "A1,城关第一小学,小学,1200,27,117.10,36.10,城关街道,城区,是",
    "A2,青山镇中心小学,小学,450,12,117.20,36.20,青山镇,镇区,否",
    "A3,示范县第二中学,初中,900,18,117.15,36.12,城关街道,城区,否",
]


def write(tmp_path, rows, header=HEADER, encoding="utf-8-sig", name="schools.csv"):
    path = tmp_path / name
    path.write_bytes((header + "\n".join(rows) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_reads_chinese_headers_in_each_encoding(tmp_path, encoding):
    schools = read_school_table(write(tmp_path, GOOD, encoding=encoding))
    assert list(schools["school_id"]) == ["A1", "A2", "A3"]
    assert list(schools["level"]) == ["primary", "primary", "junior"]
    assert list(schools["enrollment"]) == [1200, 450, 900]
    assert list(schools["is_core"]) == [True, False, False]
    assert list(schools["area_type"]) == ["urban", "town", "urban"]
    assert schools.crs.to_epsg() == 4326
    assert (schools.geometry.x.round(2).tolist(), schools.geometry.y.round(2).tolist()) == ([117.1, 117.2, 117.15], [36.1, 36.2, 36.12])


def test_english_headers_and_explicit_mapping(tmp_path):
    header = "id,name,level,students,X坐标,Y坐标\n"
    path = write(tmp_path, ["1,One,primary,100,117.1,36.1", "2,Two,junior,200,117.2,36.2"], header=header)
    with pytest.raises(InputError, match="no coordinate columns"):
        read_school_table(path)
    schools = read_school_table(path, columns={"lon": "X坐标", "lat": "Y坐标"})
    assert list(schools["enrollment"]) == [100, 200]


def test_level_from_name_when_column_missing(tmp_path):
    header = "学校名称,在校生数,经度,纬度\n"
    rows = ["东关小学,300,117.1,36.1", "河口镇初级中学,500,117.2,36.2", "西山九年一贯制学校,800,117.3,36.3"]
    schools = read_school_table(write(tmp_path, rows, header=header))
    assert list(schools["level"]) == ["primary", "junior", "nine_year"]


def test_missing_enrollment_is_estimated_and_flagged(tmp_path):
    rows = [*GOOD, "A4,李家村小学,小学,,6,117.3,36.3,青山镇,乡村,否"]
    schools = read_school_table(write(tmp_path, rows))
    row = schools.set_index("school_id").loc["A4"]
    assert row["enrollment"] == 6 * 40 and bool(row["enrollment_estimated"])
    assert not schools.set_index("school_id").loc["A1", "enrollment_estimated"]


BAD_ROWS = {
    "B1,缺坐标小学,小学,100,3,,36.1,,乡村,否": "missing or non-numeric coordinates",
    "B2,交换小学,小学,100,3,36.1,117.1,,乡村,否": "swapped",
    "B3,越界小学,小学,100,3,217.1,36.1,,乡村,否": "out of range",
    "A1,重复小学,小学,100,3,117.1,36.1,,乡村,否": "duplicate school id",
    "B5,职业学校,大学,100,3,117.1,36.1,,乡村,否": "unknown 学段",
    "B6,负数小学,小学,-5,3,117.1,36.1,,乡村,否": "negative",
    "B7,文字小学,小学,很多,3,117.1,36.1,,乡村,否": "not a number",
    "B8,标记小学,小学,100,3,117.1,36.1,,乡村,也许": "not yes/no",
}


@pytest.mark.parametrize(("row", "problem"), list(BAD_ROWS.items()))
def test_bad_row_is_dropped_with_its_row_number(tmp_path, row, problem):
    path = write(tmp_path, [*GOOD, row])
    with pytest.warns(BadRowsWarning) as caught:
        schools = read_school_table(path)
    message = str(caught[0].message)
    assert "row 5:" in message and problem in message
    assert len(schools) == 3


@pytest.mark.parametrize(("row", "problem"), list(BAD_ROWS.items())[:3])
def test_strict_makes_bad_rows_fatal(tmp_path, row, problem):
    with pytest.raises(InputError, match=f"(?s)--strict.*row 5: .*{problem}"):
        read_school_table(write(tmp_path, [*GOOD, row]), strict=True)


def test_all_bad_rows_listed_together(tmp_path):
    path = write(tmp_path, [*GOOD, *BAD_ROWS])
    with pytest.warns(BadRowsWarning) as caught:
        read_school_table(path)
    message = str(caught[0].message)
    assert f"dropped {len(BAD_ROWS)} bad row(s)" in message
    assert all(f"row {n}:" in message for n in range(5, 5 + len(BAD_ROWS)))


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "missing.csv", "no such school table"),
        (b"", "empty.csv", "empty"),
        (HEADER.encode(), "header_only.csv", "no rows"),
        ("学校名称,在校生数\n一小,100\n".encode(), "nocoords.csv", "no coordinate columns"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image.png", "unsupported table type"),
        (b"PK\x03\x04broken", "broken.xlsx", "cannot read this spreadsheet"),
    ],
)
def test_bad_files(tmp_path, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_school_table(path)


def test_no_usable_rows(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BadRowsWarning)
        with pytest.raises(InputError, match="no usable school rows"):
            read_school_table(write(tmp_path, list(BAD_ROWS)[:2]))


def test_xlsx(tmp_path):
    path = tmp_path / "schools.xlsx"
    pd.DataFrame([r.split(",") for r in GOOD], columns=HEADER.strip().split(",")).to_excel(path, index=False)
    schools = read_school_table(path)
    assert list(schools["enrollment"]) == [1200, 450, 900]


def test_gcj02_table_is_converted_to_wgs84(tmp_path):
    from gis.coords import wgs84_to_gcj02
    from gis.network import great_circle_m

    lon, lat = wgs84_to_gcj02(117.1, 36.1)
    path = write(tmp_path, [f"A1,城关第一小学,小学,1200,27,{lon:.8f},{lat:.8f},城关街道,城区,是"])
    schools = read_school_table(path, coords="gcj02")
    assert great_circle_m(schools.geometry.x[0], schools.geometry.y[0], 117.1, 36.1) < 0.01


# --- GeoJSON and GeoPackage tables ---------------------------------------------------------------


def geo_table():
    import geopandas as gpd
    from shapely import Point

    rows = [r.split(",") for r in GOOD]
    header = HEADER.strip().split(",")
    frame = pd.DataFrame(rows, columns=header).drop(columns=["经度", "纬度"])
    frame["在校生数"] = frame["在校生数"].astype(int)  # numbers stay numbers in a GIS file
    frame["是否优质"] = frame["是否优质"].eq("是")
    points = [Point(float(r[5]), float(r[6])) for r in rows]
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")


@pytest.mark.parametrize(("name", "crs"), [("schools.geojson", 4326), ("schools.gpkg", 4326), ("schools.gpkg", 3857), ("schools.json", 4326)])
def test_geojson_and_geopackage_round_trip(tmp_path, name, crs):
    path = tmp_path / name
    geo_table().to_crs(crs).to_file(path, driver="GeoJSON" if name.endswith("json") else "GPKG")
    schools = read_school_table(path)
    assert list(schools["school_id"]) == ["A1", "A2", "A3"]
    assert list(schools["level"]) == ["primary", "primary", "junior"]
    assert list(schools["enrollment"]) == [1200, 450, 900]
    assert list(schools["is_core"]) == [True, False, False]
    assert list(schools["township"]) == ["城关街道", "青山镇", "城关街道"]
    assert schools.crs.to_epsg() == 4326
    assert schools.geometry.x.round(9).tolist() == [117.1, 117.2, 117.15]
    assert schools.geometry.y.round(9).tolist() == [36.1, 36.2, 36.12]


def test_geojson_feature_without_geometry_is_a_bad_row(tmp_path):
    table = geo_table()
    table.loc[1, "geometry"] = None
    table.loc[2, "学段"] = None  # missing level: read from the name (示范县第二中学 -> junior)
    path = tmp_path / "schools.geojson"
    table.to_file(path, driver="GeoJSON")
    with pytest.warns(BadRowsWarning, match="row 3: missing or non-numeric coordinates"):
        schools = read_school_table(path)
    assert list(schools["school_id"]) == ["A1", "A3"]
    assert list(schools["level"]) == ["primary", "junior"]


def test_geojson_polygon_gives_a_point_inside_and_coordinate_attributes_are_ignored(tmp_path):
    from shapely import box

    table = geo_table().iloc[:1].copy()
    table["经度"], table["纬度"] = 0.0, 0.0  # stale attribute columns: the geometry wins
    table = table.set_geometry([box(117.0, 36.0, 117.2, 36.2)], crs="EPSG:4326")
    path = tmp_path / "campus.geojson"
    table.to_file(path, driver="GeoJSON")
    schools = read_school_table(path)
    assert box(117.0, 36.0, 117.2, 36.2).contains(schools.geometry[0])


def test_geojson_without_geometry_uses_coordinate_attributes(tmp_path):
    path = tmp_path / "schools.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null, "properties": '
        '{"学校名称": "东关小学", "在校生数": 300, "经度": 117.1, "纬度": 36.1}}]}',
        encoding="utf-8",
    )
    schools = read_school_table(path)
    assert (schools.geometry.x[0], schools.geometry.y[0], schools.at[0, "level"]) == (117.1, 36.1, "primary")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.geojson", "the school table is empty"),
        (b'{"type": "FeatureCollection", "features": []}', "none.geojson", "no features; add one point feature per school"),
        (b'{"type": "FeatureColl', "broken.geojson", "cannot read this file as GeoJSON or GeoPackage.*export it again"),
        (b"[1, 2, 3]", "list.json", "cannot read this file as GeoJSON or GeoPackage"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "broken.gpkg", "cannot read this file as GeoJSON or GeoPackage"),
    ],
)
def test_bad_geo_files(tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_school_table(path)


def test_empty_geopackage_layer(tmp_path):
    path = tmp_path / "empty.gpkg"
    geo_table().iloc[:0].to_file(path, driver="GPKG")
    with pytest.raises(InputError, match="no features"):
        read_school_table(path)
