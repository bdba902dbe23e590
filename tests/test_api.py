"""The public Python API: the README's example, ``Rules`` checking itself, the pipeline's checks."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import pytest

import gis
import maps
import partition
from data.demo import ensure_demo
from gis.errors import InputError
from partition.rules import DEFAULT_MAX_MINUTES

ROOT = Path(__file__).resolve().parents[1]


def readme_example() -> str:
    """The Python code block of the README's "Python API" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> dict:
    """The README's example, run as written (its output folder moved into a temporary one)."""
    out = tmp_path_factory.mktemp("notebook") / "out"
    code = readme_example().replace('"out/notebook"', repr(str(out)))
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    namespace["out"] = out
    return namespace


@pytest.fixture(scope="module")
def demo_inputs():
    demo = ensure_demo()
    return gis.read_school_table(demo.schools), gis.read_road_network(demo.osm)


def test_readme_example_gives_the_command_lines_plan(example, demo_out):
    result = example["result"]
    assert isinstance(result, partition.Result) and isinstance(example["m"], folium.Map)
    assert result.plan.status == "optimal" and result.plan.gap == 0
    cli = pd.read_csv(demo_out / "plan.csv", encoding="utf-8-sig", dtype={"school_id": str, "core_school_id": str})
    api = result.schools.set_index("school_id")["core_school_id"]
    assert api.to_dict() == cli.set_index("school_id")["core_school_id"].to_dict()
    # and the files it writes are the command line's, byte for byte (the title and notice aside)
    for name in ("plan.csv", "schools.geojson", "districts.geojson"):
        assert (example["out"] / name).read_bytes() == (demo_out / name).read_bytes(), name


def test_result_tables(example):
    result = example["result"]
    schools, districts = result.schools, result.districts
    assert {"district", "is_core", "minutes_to_core", "minutes_from_core"} <= set(schools.columns)
    assert len(districts) == schools["is_core"].sum() == schools["district"].nunique()
    assert districts.crs.to_epsg() == 4326 and districts.geometry.is_valid.all()
    assert districts.set_index("district")["n_schools"].to_dict() == schools.groupby("district").size().to_dict()
    members = schools[~schools["is_core"]]
    assert (np.maximum(members["minutes_to_core"], members["minutes_from_core"]) <= DEFAULT_MAX_MINUTES).all()
    assert set(result.cv_table["level"]) == {"primary", "junior"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_minutes": 0}, "max_minutes"),
        ({"max_minutes": math.nan}, "max_minutes"),
        ({"max_minutes": math.inf}, "max_minutes"),
        ({"balance": -0.1}, "balance"),
        ({"balance": math.nan}, "balance"),
        ({"members": (3, 2)}, "members"),
        ({"members": (-1, 2)}, "members"),
        ({"members": (1.5, 2)}, "members"),
        ({"min_rural": -1}, "min_rural"),
        ({"indicator_band": ("backbone_teachers_per100", math.inf)}, "indicator_band"),
        ({"indicator_band": ("backbone_teachers_per100",)}, "indicator_band"),
        ({"level": "senior"}, "level"),
        ({"objective": "min"}, "objective"),
        ({"cores": 0}, "cores"),
        ({"cores": "chosen"}, "cores"),
        ({"locks": {"fixed": []}}, "locks"),
    ],
)
def test_bad_rules_raise_value_error_naming_the_field(changes, field):
    with pytest.raises(ValueError, match=rf"^{field} ") as raised:
        partition.Rules(**changes)
    assert raised.value.field == field


def test_rules_are_recorded_alike_and_read_back():
    rules = partition.Rules(max_minutes=30, members=(1, 4), balance=0.3, indicator_band=("backbone_teachers_per100", 0.2),
                            locks=partition.Locks(fixed=(("a", "b"),), cores=("c",)), cores=12, level="junior")
    assert rules.max_minutes == 30.0 and isinstance(rules.max_minutes, float)
    assert partition.Rules.from_dict(rules.to_dict()) == rules
    assert partition.Rules() == partition.Rules(max_minutes=30)


def test_fixed_to_a_school_that_is_not_a_core_is_refused(demo_inputs):
    schools, roads = demo_inputs
    member = schools[~schools["is_core"]].iloc[0]
    other = schools[~schools["is_core"]].iloc[1]
    rules = partition.Rules(locks=partition.Locks(fixed=((member["school_id"], other["school_id"]),)))
    with pytest.raises(InputError, match=re.escape(f"{other['name']} ({other['school_id']})")):
        partition.plan_districts(schools, roads, rules)


def test_unknown_ids_in_locks_are_refused(demo_inputs):
    schools, roads = demo_inputs
    with pytest.raises(InputError, match="unknown or dropped school id.*nowhere"):
        partition.plan_districts(schools, roads, partition.Rules(locks=partition.Locks(together=(("nowhere", "x0"),))))


def test_a_level_without_schools_says_what_the_table_has(demo_inputs):
    schools, roads = demo_inputs
    primary_only = schools[schools["level"] == "primary"]
    with pytest.raises(InputError, match=rf"no school of level 'junior'.*{len(primary_only)} primary"):
        partition.plan_districts(primary_only, roads, partition.Rules(level="junior"))


def test_pinned_core_in_given_mode_becomes_a_core(demo_inputs):
    schools, roads = demo_inputs
    pinned = schools[~schools["is_core"]].sort_values("enrollment").iloc[-1]["school_id"]
    rules = partition.Rules(balance=None, members=(0, 6), locks=partition.Locks(cores=(pinned,)))
    result = partition.plan_districts(schools, roads, rules, time_limit=30)
    assert bool(result.schools.set_index("school_id").loc[pinned, "is_core"])
    assert len(result.districts) == schools["is_core"].sum() + 1


def test_progress_is_logged(demo_inputs, caplog):
    schools, roads = demo_inputs
    with caplog.at_level("INFO", logger="partition"):
        partition.plan_districts(schools, roads, replace(partition.Rules(), balance=None), time_limit=30)
    steps = [r.getMessage() for r in caplog.records if r.name.startswith("partition")]
    cores = int(schools["is_core"].sum())
    assert any(m.startswith(f"solving: {cores} cores") and m.endswith(" s)") for m in steps)


def test_the_figure_drawn_in_a_second_process_has_the_same_bytes(example, tmp_path):
    """write_plan_files(jobs=2) draws map.png and map.pdf in another process: the files are the same."""
    files = maps.write_plan_files(example["result"], tmp_path / "two", jobs=2)
    for name in ("map.png", "map.pdf", "map.html"):
        assert files[name].read_bytes() == (example["out"] / name).read_bytes(), name
