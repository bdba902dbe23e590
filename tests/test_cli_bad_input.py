"""Bad input through the command line: one clear message, the exit code, and no output files."""

from __future__ import annotations

import pandas as pd
import pytest

import app
from data.demo import ensure_demo

EXIT_BAD_INPUT = 2


@pytest.fixture(scope="module")
def demo_table() -> pd.DataFrame:
    return pd.read_csv(ensure_demo().schools, encoding="utf-8-sig", dtype=str)


def partition(tmp_path, table_path, *options):
    out = tmp_path / "out"
    code = app.main(["partition", "--osm", str(ensure_demo().osm), "--schools", str(table_path), "--out", str(out),
                     "--no-cache", "--time-limit", "20", *options])
    return code, out


BAD_FILES = {
    "empty.csv": (b"", "the school table is empty"),
    "header_only.csv": ("学校标识码,学校名称,经度,纬度\n".encode(), "has a header but no rows"),
    "no_coordinates.csv": ("学校名称,在校生数\n一小,100\n".encode(), "no coordinate columns"),
    "garbled.xlsx": (b"PK\x03\x04 not really a workbook", "cannot read this spreadsheet"),
    "picture.png": (b"\x89PNG\r\n\x1a\n", "unsupported table type"),
    "broken.geojson": (b'{"type": "FeatureCollection", "features": [', "GeoJSON"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_exits_non_zero_with_its_message(tmp_path, capsys, name):
    content, message = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(content)
    code, out = partition(tmp_path, path)
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and message.lower() in err.lower()
    assert "Traceback" not in err and not out.exists()


def test_missing_and_corrupt_osm_files(tmp_path, capsys):
    table = ensure_demo().schools
    for osm, message in ((tmp_path / "none.osm", "no such OSM file"), (tmp_path / "bad.osm.pbf", "cannot read")):
        if osm.suffix == ".pbf":
            osm.write_bytes(b"\x00\x00\x00\x0dnot a pbf")
        code = app.main(["partition", "--osm", str(osm), "--schools", str(table), "--out", str(tmp_path / "o"), "--no-cache"])
        assert code == EXIT_BAD_INPUT and message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def bad_rows(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The demo table plus one bad copy per problem, with the expected message fragment by id."""
    rows, expected = [table], {}
    cases = {
        "9000000001": ({"经度": ""}, "missing or non-numeric coordinates"),
        "9000000002": ({"经度": "36.1", "纬度": "117.6"}, "swapped"),
        "9000000003": ({"经度": "190.0"}, "out of range"),
        "9000000004": ({"学段": "大学"}, "unknown 学段"),
        "9000000005": ({"在校生数": "-20"}, "negative"),
        "9000000006": ({"在校生数": "许多"}, "not a number"),
        "9000000007": ({"经度": "100.0", "纬度": "30.0"}, "from the nearest road"),
    }
    for school_id, (changes, message) in cases.items():
        row = table[table["是否优质"] == "否"].iloc[[0]].copy()
        row["学校标识码"], row["学校名称"] = school_id, f"坏行{school_id[-1]}小学"
        for column, value in changes.items():
            row[column] = value
        rows.append(row)
        expected[school_id] = message
    duplicate = table[table["是否优质"] == "否"].iloc[[1]].copy()
    rows.append(duplicate)
    expected["duplicate"] = "duplicate school id"
    return pd.concat(rows, ignore_index=True), expected


def test_bad_rows_are_dropped_with_a_warning_each(tmp_path, capsys, demo_table):
    table, expected = bad_rows(demo_table)
    path = tmp_path / "schools.csv"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    code, out = partition(tmp_path, path)
    err = capsys.readouterr().err
    assert code == 0, err
    for message in expected.values():
        assert message in err
    plan = pd.read_csv(out / "plan.csv", encoding="utf-8-sig", dtype={"school_id": str})
    assert sorted(plan["school_id"]) == sorted(demo_table["学校标识码"])


def test_strict_makes_bad_rows_fatal(tmp_path, capsys, demo_table):
    table, _ = bad_rows(demo_table)
    path = tmp_path / "schools.csv"
    table.to_csv(path, index=False, encoding="utf-8-sig")
    code, out = partition(tmp_path, path, "--strict")
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and "--strict" in err and "row " in err and not out.exists()


def test_impossible_options(tmp_path, capsys):
    table = ensure_demo().schools
    for options, message in ((["--max-minutes", "-3"], "must be positive"),
                             (["--jobs", "0"], "--jobs must be positive"),
                             (["--cores", "5000"], "only"),
                             (["--max-minutes", "3"], "smallest feasible limit")):
        code, out = partition(tmp_path, table, *options)
        assert code == EXIT_BAD_INPUT and message in capsys.readouterr().err and not out.exists()
