"""Plan files: every format a planner brings is read and matched with the schools; every bad one is refused."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

import app
import gis
from data.demo import ensure_demo
from gis.errors import InputError
from partition.export import export_plan
from partition.planfile import read_plan
from partition.tables import read_plan_folder

EXIT_BAD_INPUT = 2


@pytest.fixture(scope="module")
def demo_schools() -> gpd.GeoDataFrame:
    return gis.read_school_table(ensure_demo().schools)


@pytest.fixture(scope="module")
def demo_plan(demo_out) -> pd.DataFrame:
    return pd.read_csv(demo_out / "plan.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)


def expected(plan: pd.DataFrame) -> tuple[dict, dict]:
    """(school id -> 学区 name, 学区 name -> core id) of a plan.csv."""
    return dict(zip(plan["school_id"], plan["district_name"])), dict(zip(plan["district_name"], plan["core_school_id"]))


def small_schools() -> gpd.GeoDataFrame:
    """Six schools on a line, s1 and s4 flagged 是否优质."""
    return gpd.GeoDataFrame({"school_id": [f"s{i}" for i in range(1, 7)], "name": [f"第{i}小学" for i in range(1, 7)],
                             "is_core": [True, False, False, True, False, False]},
                            geometry=[Point(117 + i / 100, 36) for i in range(1, 7)], crs="EPSG:4326")


def write(tmp_path, name: str, rows: list[list[str]]):
    path = tmp_path / name
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_labels_with_cores_from_the_quality_flag(tmp_path):
    path = write(tmp_path, "plan.csv", [["学校标识码", "学区"], *[[f"s{i}", "东" if i <= 3 else "西"] for i in range(1, 7)]])
    assignment = read_plan(path).assign(small_schools())
    assert assignment.district_of == {"s1": "东", "s2": "东", "s3": "东", "s4": "西", "s5": "西", "s6": "西"}
    assert assignment.core_of == {"东": "s1", "西": "s4"} and assignment.named
    assert list(assignment.core_positions(["s1", "s2", "s3", "s4", "s5", "s6"])) == [0, 0, 0, 3, 3, 3]
    assert assignment.district_names(["s1", "s2", "s3", "s4", "s5", "s6"]) == ("东", "西")


def test_a_core_column_alone_names_the_districts_after_their_cores(tmp_path):
    path = write(tmp_path, "plan.csv", [["school_id", "core_school_id"], *[[f"s{i}", "s2" if i <= 3 else "s5"] for i in range(1, 7)]])
    assignment = read_plan(path).assign(small_schools())
    assert assignment.core_of == {"s2": "s2", "s5": "s5"} and not assignment.named
    assert assignment.district_names([f"s{i}" for i in range(1, 7)]) == ()


def test_english_headers_and_a_listed_core_over_the_flag(tmp_path):
    rows = [["School_ID", "District", "Core_School_ID"], *[[f"s{i}", "A" if i <= 3 else "B", "s2" if i <= 3 else ""] for i in range(1, 7)]]
    assignment = read_plan(write(tmp_path, "plan.csv", rows)).assign(small_schools())
    assert assignment.core_of == {"A": "s2", "B": "s4"}


def test_a_core_named_only_in_the_core_column_joins_its_district(tmp_path):
    rows = [["school_id", "district", "core_school_id"], *[[f"s{i}", "A" if i <= 3 else "B", "s1" if i <= 3 else "s4"]
                                                           for i in (2, 3, 5, 6)]]
    assignment = read_plan(write(tmp_path, "links.csv", rows)).assign(small_schools())
    assert assignment.district_of["s1"] == "A" and assignment.district_of["s4"] == "B"


def test_polygons_take_their_schools_by_containment(tmp_path):
    areas = gpd.GeoDataFrame({"学区": ["东", "西"]}, geometry=[box(117.0, 35.9, 117.035, 36.1), box(117.035, 35.9, 117.1, 36.1)],
                             crs="EPSG:4326")
    areas.to_file(tmp_path / "areas.gpkg", layer="drawn", driver="GPKG", engine="pyogrio")
    assignment = read_plan(tmp_path / "areas.gpkg").assign(small_schools())
    assert assignment.district_of == {"s1": "东", "s2": "东", "s3": "东", "s4": "西", "s5": "西", "s6": "西"}


BAD_PLANS = {  # rows of a 学区 list of the six small schools, and the message it must give
    "unknown school": ([["学校标识码", "学区"], ["s1", "A"], ["s2", "A"], ["s9", "A"]], "not in the school table: s9"),
    "school in no district": ([["学校标识码", "学区"], *[[f"s{i}", "A" if i <= 3 else "B"] for i in range(1, 6)]],
                              "1 school(s) in no 学区: 第6小学 (s6)"),
    "district without a core": ([["学校标识码", "学区"], *[[f"s{i}", "A" if i in (1, 4) else "B"] for i in range(1, 7)]],
                                "学区 B: no core"),
    "two flagged cores": ([["学校标识码", "学区"], *[[f"s{i}", "A"] for i in range(1, 7)]], "two or more schools flagged 是否优质"),
    "two cores listed": ([["学校标识码", "学区", "核心校标识码"], *[[f"s{i}", "A", f"s{i}"] for i in range(1, 7)]], "two cores listed"),
    "core in another district": ([["学校标识码", "学区", "核心校标识码"], *[[f"s{i}", "A" if i <= 3 else "B", "s4" if i <= 3 else "s5"]
                                                                     for i in range(1, 7)]], "第4小学 (s4), core of A, is listed in B"),
    "core of two districts": ([["学校标识码", "学区", "核心校标识码"], *[[f"s{i}", "A" if i <= 3 else "B", "s4"] for i in range(1, 7)]],
                              "listed as the core of two 学区: 第4小学 (s4) of A and B"),
    "school twice": ([["学校标识码", "学区"], *[[f"s{i}", "A" if i <= 3 else "B"] for i in range(1, 7)], ["s2", "B"]],
                     "listed in two 学区: 第2小学 (s2) in A and B"),
    "no id column": ([["名称", "学区"], ["s1", "A"]], "no school id column"),
    "no district column": ([["学校标识码", "备注"], ["s1", "A"]], "no 学区 column"),
}


@pytest.mark.parametrize("case", list(BAD_PLANS))
def test_bad_plan_is_refused_naming_the_schools_and_the_fix(tmp_path, case):
    rows, message = BAD_PLANS[case]
    with pytest.raises(InputError, match="; ") as error:
        read_plan(write(tmp_path, "plan.csv", rows)).assign(small_schools())
    assert message in str(error.value)


def test_polygons_leaving_out_or_sharing_a_school_are_refused(tmp_path):
    gaps = gpd.GeoDataFrame({"name": ["东"]}, geometry=[box(117.0, 35.9, 117.035, 36.1)], crs="EPSG:4326")
    gaps.to_file(tmp_path / "gaps.geojson", driver="GeoJSON", engine="pyogrio")
    with pytest.raises(InputError, match="outside every 学区 polygon: 第4小学"):
        read_plan(tmp_path / "gaps.geojson").assign(small_schools())
    overlap = gpd.GeoDataFrame({"district": ["东", "西"]}, geometry=[box(117.0, 35.9, 117.045, 36.1), box(117.025, 35.9, 117.1, 36.1)],
                               crs="EPSG:4326")
    overlap.to_file(tmp_path / "overlap.geojson", driver="GeoJSON", engine="pyogrio")
    with pytest.raises(InputError, match=r"inside two 学区 polygons or on their border: 第3小学 \(s3\), 第4小学 \(s4\)"):
        read_plan(tmp_path / "overlap.geojson").assign(small_schools())


# --- the demo plan through every format ----------------------------------------------------------------------


EXPORTS = {"districts.geojson": ("geojson", "districts"), "schools.geojson": ("geojson", "schools"),
           "links.geojson": ("geojson", "links"), "plan.gpkg": ("gpkg", "districts"), "list.csv": ("csv", ""),
           "list.xlsx": ("xlsx", "")}


@pytest.mark.parametrize("name", [*EXPORTS, "folder", "plan.csv"])
def test_every_export_reads_back_as_the_same_plan(tmp_path, demo_out, demo_schools, demo_plan, name):
    if name == "folder":
        path = demo_out
    elif name == "plan.csv":
        path = demo_out / "plan.csv"
    else:
        fmt, layer = EXPORTS[name]
        path = export_plan(read_plan_folder(demo_out), fmt, tmp_path / name, layer=layer or "districts")
    assignment = read_plan(path).assign(demo_schools)
    assert (assignment.district_of, assignment.core_of) == expected(demo_plan)


def test_polygons_drawn_around_the_territories_reproduce_the_plan(tmp_path, demo_out, demo_schools, demo_plan):
    """The territories as a planner would draw them in QGIS: a name field, no core ids, a layer of its own."""
    territories = gpd.read_file(demo_out / "districts.geojson")
    drawn = gpd.GeoDataFrame({"学区": territories["district_name"]}, geometry=territories.geometry, crs=territories.crs)
    pyogrio.write_dataframe(drawn.to_crs("EPSG:3857"), tmp_path / "drawn.gpkg", layer="草案", driver="GPKG")
    assignment = read_plan(tmp_path / "drawn.gpkg").assign(demo_schools)
    assert (assignment.district_of, assignment.core_of) == expected(demo_plan)


# --- bad plan files through the command line: exit 2, the message, nothing written ------------------------


def demo_with_plan(tmp_path, plan, *options) -> tuple[int, object]:
    out = tmp_path / "out"
    return app.main(["demo", "--plan", str(plan), "--out", str(out), *options]), out


@pytest.fixture(scope="module")
def demo_bad_plans(demo_plan, demo_out, tmp_path_factory) -> dict:
    """Each bad plan file of the demo county, and the message it must give."""
    folder = tmp_path_factory.mktemp("bad-plans")
    table = demo_plan[["school_id", "district_name"]].rename(columns={"school_id": "学校标识码", "district_name": "学区"})
    first, second = table["学区"].unique()[:2]
    member = demo_plan.loc[demo_plan["is_core"] == "False"].iloc[0]
    cases = {
        "unknown.csv": (pd.concat([table, pd.DataFrame({"学校标识码": ["9999"], "学区": [first]})]), "not in the school table: 9999"),
        "missing.csv": (table[table["学校标识码"] != member.school_id], f"in no 学区: {member['name']} ({member.school_id})"),
        "no-core.csv": (table.assign(学区=table["学区"].where(table["学区"] != first, f"{first}甲")
                                     .where(table["学校标识码"] != member.school_id, "无核心")), "学区 无核心: no core"),
        "two-cores.csv": (table.replace({second: first}), "two or more schools flagged 是否优质"),
        "twice.csv": (pd.concat([table, pd.DataFrame({"学校标识码": [member.school_id], "学区": ["别的学区"]})]), "listed in two 学区"),
        "no-id.csv": (table.rename(columns={"学校标识码": "编号"}), "no school id column"),
    }
    files = {}
    for name, (frame, message) in cases.items():
        frame.to_csv(folder / name, index=False, encoding="utf-8-sig")
        files[name] = (folder / name, message)
    territories = gpd.read_file(demo_out / "districts.geojson")
    territories.iloc[1:].to_file(folder / "outside.geojson", driver="GeoJSON", engine="pyogrio")
    files["outside.geojson"] = (folder / "outside.geojson", "outside every 学区 polygon")
    (folder / "empty.csv").write_bytes(b"")
    files["empty.csv"] = (folder / "empty.csv", "is empty")
    files["nothing.csv"] = (folder / "nothing.csv", "no such plan file")
    files["no-folder"] = (folder, "a folder without plan.csv")
    return files


@pytest.mark.parametrize("name", ["unknown.csv", "missing.csv", "no-core.csv", "two-cores.csv", "twice.csv", "no-id.csv",
                                  "outside.geojson", "empty.csv", "nothing.csv", "no-folder"])
def test_bad_plan_file_exits_2_with_its_message_and_writes_nothing(tmp_path, capsys, demo_bad_plans, name):
    path, message = demo_bad_plans[name]
    code, out = demo_with_plan(tmp_path, path)
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and message in err, err
    assert "Traceback" not in err and not out.exists()


def test_edits_need_a_plan_and_cores_come_from_it(tmp_path, capsys, demo_out):
    assert app.main(["demo", "--close", "3707000001", "--out", str(tmp_path / "a")]) == EXIT_BAD_INPUT
    assert "add --plan FILE" in capsys.readouterr().err
    assert demo_with_plan(tmp_path, demo_out, "--cores", "20")[0] == EXIT_BAD_INPUT
    assert "drop --cores" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "out").exists()
