"""The demo end to end through the command line: every rule holds in the files it writes."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import app
from data.demo import ensure_demo
from maps.outputs import OUTPUT_FILES
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
    assert record["student_minutes"] <= record["objective"] <= record["student_minutes"] + 0.01 * record["imbalance_students"] + 1
    assert len(record["input_hash"]) == 64 and record["schema_version"] == 2
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
