"""Every figure says what it is, and plan.json alone makes the same plan again (``app.py rerun``)."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from osm_fixtures import write_small_county
from shapely.geometry import box

import app
from data.demo import ensure_demo
from gis.cache import file_sha256
from gis.coords import COORDINATE_SYSTEMS, coordinate_systems_text
from gis.network import road_settings_sha256
from maps.outputs import OUTPUT_FILES
from partition.export import MINUTE_DECIMALS
from partition.plan import PLAN_SCHEMA_VERSION, STUDENT_MINUTES, STUDENT_MINUTES_LABEL, tool_version

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def read_plan(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "plan.csv", encoding="utf-8-sig", dtype={"school_id": str, "core_school_id": str})


def read_record(out: Path) -> dict:
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def test_the_counted_column_sums_to_the_total(demo_out):
    plan, record = read_plan(demo_out), read_record(demo_out)
    counted = plan["minutes_counted"]
    assert (counted == plan[["minutes_to_core", "minutes_from_core"]].max(axis=1)).all()
    assert (counted[plan["is_core"]] == 0).all()
    # each school's minutes are rounded to MINUTE_DECIMALS: the sum is the total to that rounding
    tolerance = 0.5 * 10**-MINUTE_DECIMALS * plan["enrollment"].sum()
    assert (plan["enrollment"] * counted).sum() == pytest.approx(record[STUDENT_MINUTES], abs=tolerance)
    # and it is not the sum over the trips to the core alone, which the old label described
    assert abs((plan["enrollment"] * plan["minutes_to_core"]).sum() - record[STUDENT_MINUTES]) > tolerance
    assert record["definitions"][STUDENT_MINUTES].startswith(STUDENT_MINUTES_LABEL)


def test_the_reports_label_for_the_total_is_the_readmes(demo_out):
    report = (demo_out / "report.html").read_text(encoding="utf-8")
    label = re.search(r'<dt id="minutes-label">(.*?)</dt>', report).group(1)
    assert label == STUDENT_MINUTES_LABEL and label in README
    total = re.search(r'<dd id="minutes-total">([\d,.]+) ', report).group(1)
    assert float(total.replace(",", "")) == pytest.approx(read_record(demo_out)[STUDENT_MINUTES], abs=0.05)
    assert "minutes to the core)" not in report and "students × minutes to the core" not in README


def test_plan_json_records_every_input(demo_out):
    record = read_record(demo_out)
    inputs, demo = record["inputs"], ensure_demo()
    assert inputs["roads"] == {"path": str(demo.osm.resolve()), "sha256": file_sha256(demo.osm)}
    assert inputs["schools"] == {"path": str(demo.schools.resolve()), "sha256": file_sha256(demo.schools)}
    assert inputs["rules"]["cores"] == "given" and inputs["rules"] == record["rules"]
    assert (inputs["network_type"], inputs["coords"], inputs["time_limit_s"]) == ("drive", "wgs84", 60.0)
    assert inputs["road_settings_sha256"] == road_settings_sha256("drive") != road_settings_sha256("walk")
    assert inputs["jobs"] >= 1 and inputs["strict"] is False and inputs["rules_file"] is None
    assert record["seed"] == 0 and record["tool_version"] == tool_version()


def test_rerun_from_plan_json_alone_gives_the_same_files(demo_out, tmp_path, capsys, monkeypatch):
    """Nothing differs: plan.json records no time, folder or host, so all six files are byte-identical."""
    monkeypatch.setattr(app.console, "_width", 200)  # the summary table unwrapped
    moved = tmp_path / "only" / "plan.json"
    moved.parent.mkdir()
    shutil.copy(demo_out / "plan.json", moved)  # the plan's json alone, away from its other files
    again = tmp_path / "again"
    assert app.main(["rerun", str(moved), "--out", str(again), "--no-cache"]) == 0
    for name in OUTPUT_FILES:
        assert (again / name).read_bytes() == (demo_out / name).read_bytes(), name
    console = capsys.readouterr().err
    assert "longest trip (min)" in console and "max min" not in console
    assert f"{STUDENT_MINUTES_LABEL}: {read_record(demo_out)[STUDENT_MINUTES]:,.1f}" in console


def test_rerun_keeps_the_rules_file_names_and_options(tmp_path):
    osm, table = write_small_county(tmp_path)
    rules = tmp_path / "rules.yaml"
    rules.write_text("names:\n  c1: 东岭学区\n", encoding="utf-8")
    first, second = tmp_path / "first", tmp_path / "second"
    options = ["--level", "primary", "--names", "number", "--seat", "117.0,36.0", "--time-limit", "30", "--jobs", "1"]
    assert app.main(["partition", "--osm", str(osm), "--schools", str(table), "--rules", str(rules), "--out", str(first),
                     "--title", "小县方案", *options, "--no-cache"]) == 0
    assert app.main(["rerun", str(first / "plan.json"), "--out", str(second), "--no-cache"]) == 0
    for name in OUTPUT_FILES:
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
    record = read_record(second)
    assert record["title"] == "小县方案" and record["inputs"]["time_limit_s"] == 30 and record["inputs"]["jobs"] == 1
    assert record["rules"]["naming"] == {"scheme": "number", "seat": [117.0, 36.0], "names": {"c1": "东岭学区"}}
    assert "东岭学区" in set(read_plan(second)["district_name"])


def test_rerun_refuses_an_input_that_changed(tmp_path, capsys):
    osm, table = write_small_county(tmp_path)
    out = tmp_path / "out"
    assert app.main(["partition", "--osm", str(osm), "--schools", str(table), "--out", str(out), "--no-cache"]) == 0
    damaged = read_record(out)
    del damaged["inputs"]["jobs"]
    (tmp_path / "damaged.json").write_text(json.dumps(damaged), encoding="utf-8")
    capsys.readouterr()
    assert app.main(["rerun", str(tmp_path / "damaged.json"), "--out", str(tmp_path / "again"), "--no-cache"]) == 2
    assert "incomplete or damaged (KeyError: 'jobs')" in capsys.readouterr().err
    table.write_text(table.read_text(encoding="utf-8").replace(",200,", ",210,", 1), encoding="utf-8")
    capsys.readouterr()
    assert app.main(["rerun", str(out / "plan.json"), "--out", str(tmp_path / "again"), "--no-cache"]) == 2
    error = capsys.readouterr().err
    assert "schools input" in error and "changed since the plan was made" in error and "Traceback" not in error
    assert not (tmp_path / "again").exists()
    assert app.main(["rerun", str(table), "--out", str(tmp_path / "again")]) == 2
    assert "not a readable plan.json" in capsys.readouterr().err


def test_coords_choices_are_listed_alike_in_the_help_and_the_readme():
    text = coordinate_systems_text()
    assert all(name in text for name in COORDINATE_SYSTEMS)
    assert text in README
    part = app.build_parser()._subparsers._group_actions[0].choices["partition"]
    coords = next(action for action in part._actions if "--coords" in action.option_strings)
    assert tuple(coords.choices) == COORDINATE_SYSTEMS and text in coords.help


def test_a_downloaded_places_outline_is_recorded_and_read_back(tmp_path):
    """For --place the county outline came from the geocoder: plan.json keeps it, so a rerun needs no internet."""
    osm, table = write_small_county(tmp_path)
    outline = box(116.9, 35.9, 117.2, 36.1).difference(box(117.0, 36.0, 117.01, 36.01))  # with a hole
    job = app.Job(osm=osm, schools=table, out=tmp_path / "out", rules=app.Rules(), title="t", place="小县", boundary=outline)
    record = {"schema_version": PLAN_SCHEMA_VERSION, "inputs": app.inputs_record(job), "title": "t", "notice": None,
              "seed": 3, "tool_version": tool_version()}
    (tmp_path / "plan.json").write_text(json.dumps(record), encoding="utf-8")
    again = app.job_from_plan(tmp_path / "plan.json", tmp_path / "again")
    assert again.boundary.equals_exact(outline, 0) and again.place == "小县" and again.osm == osm.resolve()
    assert again.seed == 3 and replace(again, out=job.out, osm=osm, schools=table) == replace(job, seed=3)
