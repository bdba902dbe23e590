"""Exports: plan.gpkg in every run, GeoJSON layers, the bureau's school list as CSV and XLSX."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

import app
from partition.export import GPKG_LAYERS, school_list, write_gpkg
from partition.tables import read_plan_folder

EXIT_BAD_INPUT = 2


@pytest.fixture(scope="module")
def plan(demo_out) -> pd.DataFrame:
    return pd.read_csv(demo_out / "plan.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_plan_gpkg_layers_and_feature_counts(demo_out, plan):
    """What ``ogrinfo plan.gpkg`` lists, through pyogrio (the same GDAL): four layers, the right counts."""
    path = demo_out / "plan.gpkg"
    layers = {name: kind for name, kind in pyogrio.list_layers(path)}
    assert list(layers) == list(GPKG_LAYERS)
    assert layers == {"districts": "MultiPolygon", "schools": "Point", "links": "LineString", "plan": None}
    counts = {name: pyogrio.read_info(path, layer=name)["features"] for name in layers}
    n_districts = plan["district"].nunique()
    assert counts == {"districts": n_districts, "schools": len(plan), "links": len(plan) - n_districts, "plan": 1}
    assert pyogrio.read_info(path, layer="schools")["crs"] == "EPSG:4326"


def test_plan_table_holds_plan_json(demo_out):
    record = json.loads((demo_out / "plan.json").read_text(encoding="utf-8"))
    table = pyogrio.read_dataframe(demo_out / "plan.gpkg", layer="plan")
    assert set(table.columns) == set(record)
    row = table.iloc[0]
    assert json.loads(row["rules"]) == record["rules"] and json.loads(row["violations"]) == record["violations"]
    assert row["status"] == record["status"] and row["input_hash"] == record["input_hash"]


def test_links_join_each_member_to_its_core(demo_out, plan):
    links = gpd.read_file(demo_out / "plan.gpkg", layer="links").set_index("school_id")
    schools = gpd.read_file(demo_out / "schools.geojson").set_index("school_id")
    for school_id, link in links.iloc[:10].iterrows():
        start, end = link.geometry.coords[0], link.geometry.coords[-1]
        assert start == pytest.approx(schools.geometry[link["core_school_id"]].coords[0])
        assert end == pytest.approx(schools.geometry[school_id].coords[0])
    assert set(links.index) == set(plan.loc[plan["is_core"] == "False", "school_id"])


def test_gpkg_is_byte_identical_when_written_again(tmp_path, demo_out):
    tables = read_plan_folder(demo_out)
    first = write_gpkg(tables.schools, tables.districts, tables.summary, tmp_path / "a.gpkg").read_bytes()
    assert first == write_gpkg(tables.schools, tables.districts, tables.summary, tmp_path / "b.gpkg").read_bytes()


def test_school_list_as_bureaus_publish_it(demo_out, plan):
    table = school_list(read_plan_folder(demo_out).schools)
    assert list(table.columns) == ["学区", "核心校", "成员校", "学校标识码", "核心校标识码", "学段", "城乡类型", "学校类别", "在校生数"]
    assert len(table) == len(plan) and set(table["学段"]) == {"小学", "初中", "九年一贯制"}
    assert set(table["学校类别"]) <= {"基础", "示范", "特色"} and set(table["城乡类型"]) <= {"城区", "镇区", "乡村"}
    first = table[table["学区"] == table["学区"].iloc[0]]
    assert first["成员校"].iloc[0] == "" and (first["成员校"].iloc[1:] != "").all()  # the core's row leads its 学区
    assert (first["学校标识码"].iloc[0] == first["核心校标识码"]).all()


@pytest.mark.parametrize(("fmt", "name"), [("csv", "list.csv"), ("xlsx", "list.xlsx"), ("geojson", "links.geojson")])
def test_export_command(tmp_path, demo_out, plan, fmt, name):
    out = tmp_path / name
    options = ["--layer", "links"] if fmt == "geojson" else []
    assert app.main(["export", str(demo_out), "--format", fmt, "--out", str(out), *options]) == 0
    if fmt == "csv":
        assert out.read_bytes().startswith("\ufeff学区,核心校,成员校".encode())
    elif fmt == "xlsx":
        sheets = pd.read_excel(out, sheet_name=None, dtype=str)
        assert list(sheets) == ["小学", "初中", "九年一贯制"]
        by_level = plan["level"].value_counts()
        assert [len(s) for s in sheets.values()] == [by_level["primary"], by_level["junior"], by_level["nine_year"]]
    else:
        collection = json.loads(out.read_text(encoding="utf-8"))
        assert "crs" not in collection and len(collection["features"]) == (plan["is_core"] == "False").sum()
        assert {f["geometry"]["type"] for f in collection["features"]} == {"LineString"}


def test_export_of_a_folder_that_is_no_plan_exits_2(tmp_path, capsys):
    code = app.main(["export", str(tmp_path), "--format", "gpkg", "--out", str(tmp_path / "x.gpkg")])
    assert code == EXIT_BAD_INPUT and "not a plan folder written by this tool" in capsys.readouterr().err
    assert not (tmp_path / "x.gpkg").exists()
