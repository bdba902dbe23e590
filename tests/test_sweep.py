"""Sweeps and batches on real Dask clusters: a local one, and a `dask scheduler` + `dask worker` started here.

The county is the demo generator's at its smallest scale (62 schools); every solve gets a time limit
far above what it needs, so each is proven optimal and its plan is unique.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import app
import gis
from batch import dask_client, rule_grid, run_sweep, run_tasks
from batch.grid import format_value
from batch.tasks import plan_county
from data.demo import generate_demo
from gis.errors import InputError
from maps.outputs import OUTPUT_FILES, write_plan_files
from partition import Rules, plan_districts
from partition.pipeline import prepare

ROOT = Path(__file__).resolve().parents[1]
SCALE = 0.5
TIME_LIMIT = "120"
GRID = {"max_minutes": ("25", "30"), "balance": ("0.25", "0.4")}
COMPARED_FILES = ("plan.csv", "schools.geojson", "districts.geojson")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return generate_demo(tmp_path_factory.mktemp("small-county"), scale=SCALE)


@pytest.fixture(scope="module")
def county_inputs(county):
    return gis.read_school_table(county.schools), gis.read_road_network(county.osm)


def _county_options(county) -> list[str]:
    return ["--osm", str(county.osm), "--schools", str(county.schools), "--time-limit", TIME_LIMIT, "--no-cache"]


@pytest.mark.parametrize(("base", "rules"), [
    (Rules(), Rules(max_minutes=20, balance=0.4)), (Rules(), Rules(members=(1, 8))),
    (Rules(cores=10), Rules(cores=8, max_minutes=25)),
])
def test_prepared_with_other_rules_is_what_prepare_makes_of_them(county_inputs, base, rules):
    schools, roads = county_inputs
    base = prepare(schools, roads, base)
    shared, alone = base.with_rules(rules).problem, prepare(schools, roads, rules).problem
    assert shared.rules == alone.rules == rules
    assert shared.input_hash() == alone.input_hash()  # schools, enrollment, cores and times
    assert shared.school_ids == alone.school_ids and (shared.is_core == alone.is_core).all()
    assert shared.neighbours == alone.neighbours
    with pytest.raises(ValueError, match="level"):
        base.with_rules(Rules(level="primary"))


def test_prepared_refuses_rules_that_need_times_it_has_not(county_inputs):
    """Prepared from the given cores up to twice 30 minutes: choosing cores, or a limit beyond that, needs routing anew."""
    schools, roads = county_inputs
    base = prepare(schools, roads, Rules())
    with pytest.raises(ValueError, match="prepare anew"):
        base.with_rules(Rules(cores=8))
    with pytest.raises(ValueError, match="short of"):
        base.with_rules(Rules(max_minutes=61))


@pytest.fixture(scope="module")
def sweep_out(county, tmp_path_factory) -> Path:
    """`app.py partition` with a 2x2 sweep, on a local cluster of two workers."""
    out = tmp_path_factory.mktemp("sweep") / "out"
    options = [arg for name, values in GRID.items() for arg in (f"--{name.replace('_', '-')}", ",".join(values))]
    assert app.main(["partition", *_county_options(county), "--out", str(out), "--workers", "2", *options]) == 0
    return out


def _read_plan(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"school_id": str, "core_school_id": str})


def test_each_combination_is_the_plan_it_gets_alone(sweep_out, county_inputs, tmp_path):
    table = pd.read_csv(sweep_out / "sweep.csv", encoding="utf-8-sig")
    assert len(table) == 4 and set(table["status"]) == {"optimal"}
    schools, roads = county_inputs
    for row in table.itertuples():
        rules = Rules(max_minutes=row.max_minutes, balance=row.balance)
        assert row.folder == f"max-minutes-{format_value(rules.max_minutes)}_balance-{format_value(rules.balance)}"
        alone = plan_districts(schools, roads, rules, time_limit=float(TIME_LIMIT), jobs=1)
        assert alone.plan.status == "optimal"
        written = write_plan_files(alone, tmp_path / row.folder)
        assert sorted(p.name for p in (sweep_out / row.folder).iterdir()) == sorted(OUTPUT_FILES)
        for name in COMPARED_FILES:
            assert (sweep_out / row.folder / name).read_bytes() == written[name].read_bytes(), (row.folder, name)
        assert row.student_minutes == pytest.approx(alone.plan.student_minutes, abs=0.05)
        assert row.districts == len(alone.districts)
        members = alone.schools[~alone.schools["is_core"]]
        assert row.longest_trip_min == pytest.approx(members[["minutes_to_core", "minutes_from_core"]].max(axis=1).max())
        assert row.max_deviation <= rules.balance + 1e-9
        assert row.longest_trip_min <= rules.max_minutes


def test_a_combination_reruns_from_its_plan_json_to_the_same_files(sweep_out, tmp_path):
    folder = sweep_out / "max-minutes-30_balance-0.4"
    record = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    assert record["inputs"]["rules"]["max_minutes"] == 30 and record["inputs"]["rules"]["balance"] == 0.4
    assert record["title"].endswith("(max-minutes 30, balance 0.4)")
    assert app.main(["rerun", str(folder / "plan.json"), "--out", str(tmp_path / "again"), "--no-cache"]) == 0
    for name in OUTPUT_FILES:
        assert (tmp_path / "again" / name).read_bytes() == (folder / name).read_bytes(), name


def test_compare_reads_two_combinations_and_agrees_with_the_sweep_table(sweep_out, tmp_path):
    table = pd.read_csv(sweep_out / "sweep.csv", encoding="utf-8-sig").set_index("folder")
    first, second = table.index[0], table.index[-1]
    assert app.main(["compare", str(sweep_out / first), str(sweep_out / second), "--out", str(tmp_path / "compared")]) == 0
    figures = json.loads((tmp_path / "compared" / "compare.json").read_text(encoding="utf-8"))["figures"]
    for folder in (first, second):
        assert figures["longest_trip"]["values"][folder] == pytest.approx(table.loc[folder, "longest_trip_min"], abs=0.005)
        assert figures["max_deviation"]["values"][folder] == pytest.approx(table.loc[folder, "max_deviation"], abs=5e-5)
        assert figures["n_districts"]["values"][folder] == table.loc[folder, "districts"]


def test_the_sweep_table_marks_the_choices_nothing_beats(sweep_out):
    table = pd.read_csv(sweep_out / "sweep.csv", encoding="utf-8-sig")
    criteria = table[["student_minutes", "longest_trip_min", "max_deviation"]].to_numpy()
    for k, row in enumerate(criteria):
        beaten = ((criteria <= row).all(axis=1) & (criteria < row).any(axis=1)).any()
        assert table["pareto"][k] == (not beaten)
    # a wider balance band can only lower the student-minutes at the same limit
    wide = table.set_index(["max_minutes", "balance"])["student_minutes"]
    for limit in (25, 30):
        assert wide[(limit, 0.4)] <= wide[(limit, 0.25)] + 0.05


@pytest.mark.browser
def test_sweep_page_opens_offline_with_its_charts_and_table(sweep_out, browser):
    page = browser.new_page()
    remote = []
    page.on("request", lambda request: remote.append(request.url) if not request.url.startswith(("file:", "data:")) else None)
    page.goto((sweep_out / "sweep.html").as_uri())
    page.wait_for_selector("#chart-longest_trip_min .main-svg")
    assert page.locator(".js-plotly-plot").count() == 2
    # one line per balance (plus the Pareto marks and the no-plan strip) in each chart
    legend = page.locator("#chart-student_minutes .legendtext").all_text_contents()
    assert {"balance=0.25", "balance=0.4"} <= set(legend)
    rows = page.locator("#sweep tr")
    assert rows.count() == 5
    table = pd.read_csv(sweep_out / "sweep.csv", encoding="utf-8-sig")
    assert page.locator("#sweep tr.pareto").count() == int(table["pareto"].sum())
    page.locator("#sweep a", has_text="report").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/report.html")
    assert remote == []
    page.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def running_cluster(tmp_path):
    """A `dask scheduler` and one `dask worker` (one thread) on 127.0.0.1, stopped afterwards."""
    dask = Path(sys.executable).with_name("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                  cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    processes.append(subprocess.Popen(
        [dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
         "--local-directory", str(tmp_path / "worker")], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_sweep_through_a_running_scheduler(running_cluster, county, tmp_path, capsys):
    out = tmp_path / "out"
    code = app.main(["partition", *_county_options(county), "--out", str(out), "--max-minutes", "12,25",
                     "--time-limit", "30", "--scheduler", running_cluster])
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig").set_index("max_minutes")
    infeasible, planned = table.loc[12.0], table.loc[25.0]
    assert infeasible["status"] == "infeasible" and pd.isna(infeasible["folder"])
    assert "reaches no core within 12 min" in infeasible["reason"]
    # the smallest feasible limit lies above the infeasible limit and not above the planned one
    assert 12 < infeasible["smallest_feasible_limit"] <= 25
    assert planned["status"] in ("optimal", "feasible") and (out / planned["folder"] / "map.html").exists()
    assert not (out / "max-minutes-12").exists()


def test_an_unreachable_scheduler_is_one_message():
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(InputError, match="cannot reach the Dask scheduler") as caught:
        with dask_client(address, timeout=2):
            pass
    assert address in str(caught.value) and "dask scheduler" in str(caught.value)


def test_a_batch_plans_the_good_county_and_reports_the_broken_one(county, tmp_path, capsys, browser):
    counties = tmp_path / "counties"
    good, broken = counties / "甲县", counties / "乙县"
    for folder in (good, broken):
        folder.mkdir(parents=True)
        (folder / "schools.csv").write_bytes(county.schools.read_bytes())
    (good / "roads.osm").write_bytes(county.osm.read_bytes())
    (broken / "roads.osm").write_text("<osm><node id='1' lat='x'", encoding="utf-8")  # cut short
    out = tmp_path / "out"
    code = app.main(["batch", str(counties), "--out", str(out), "--time-limit", TIME_LIMIT, "--no-cache", "--workers", "2"])
    assert code == 1  # one county has no plan
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig").set_index("county")
    assert summary.loc["甲县", "status"] == "optimal" and summary.loc["甲县", "folder"] == "甲县"
    assert summary.loc["甲县", "schools"] == 62 and summary.loc["甲县", "districts"] >= 1
    assert summary.loc["乙县", "status"] == "error" and "roads.osm" in summary.loc["乙县", "reason"]
    assert sorted(p.name for p in (out / "甲县").iterdir()) == sorted(OUTPUT_FILES)
    assert not (out / "乙县").exists()
    assert "乙县" in capsys.readouterr().err
    # the county's plan.json records its own files, so that it reruns alone to the same files
    assert app.main(["rerun", str(out / "甲县" / "plan.json"), "--out", str(tmp_path / "again"), "--no-cache"]) == 0
    for name in OUTPUT_FILES:
        assert (tmp_path / "again" / name).read_bytes() == (out / "甲县" / name).read_bytes(), name
    page = browser.new_page()
    page.goto((out / "summary.html").as_uri())
    assert page.locator("#summary tr.nofile").inner_text().startswith("乙县")
    overview = page.frame_locator("iframe.overview")
    overview.locator(".leaflet-control-layers").wait_for()
    assert overview.locator(".leaflet-control-layers-overlays label").all_inner_texts() == [" 甲县"]
    # each 学区 of the county is one filled territory, plus the county's outline
    assert overview.locator("path.leaflet-interactive").count() == summary.loc["甲县", "districts"]
    page.close()


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2) as local:
        yield local


@pytest.mark.slow
def test_a_task_that_fails_twice_is_reported_and_the_others_go_on(client, county, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the county's folder should go", encoding="utf-8")
    files = gis.CountyFiles(osm=county.osm, schools=county.schools)
    calls = [(("甲县", files, Rules(), blocked / "甲县"), dict(time_limit=60.0, seed=0)),
             (("乙县", files, Rules(max_minutes=3), tmp_path / "乙县"), dict(time_limit=5.0, seed=0))]
    rows = run_tasks(client, plan_county, calls)
    assert rows[0]["status"] == "failed" and "failed 2 times" in rows[0]["reason"]
    assert rows[1]["status"] == "infeasible"


@pytest.mark.slow
def test_a_killed_worker_does_not_lose_the_sweep(client, county, tmp_path):
    cells = rule_grid({"max_minutes": [25, 30]})
    found = {}
    sweeping = threading.Thread(target=lambda: found.update(sweep=run_sweep(
        client, gis.CountyFiles(osm=county.osm, schools=county.schools), cells, tmp_path / "out", time_limit=120)))
    sweeping.start()
    victim = _worker_solving(client)
    os.kill(client.run(os.getpid, workers=[victim])[victim], signal.SIGKILL)
    sweeping.join(timeout=600)
    table = found["sweep"].table
    assert list(table["status"]) == ["optimal", "optimal"]
    assert all((tmp_path / "out" / folder / "plan.csv").exists() for folder in table["folder"])


def _worker_solving(client) -> str:
    """The address of a worker running a combination's task (waits for one)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            if any(str(key).startswith("plan_cell") for key in keys):
                return worker
        time.sleep(0.2)
    raise AssertionError("no worker started solving a combination")
