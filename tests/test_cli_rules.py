"""Rule options through the command line on the demo county: the files keep what was asked."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import app
from data.demo import ensure_demo
from partition.levels import NINE_YEAR_SHARE


def run_demo(tmp_path, *options: str) -> pd.DataFrame:
    out = tmp_path / "out"
    assert app.main(["demo", "--out", str(out), *options]) == 0
    return pd.read_csv(out / "plan.csv", encoding="utf-8-sig", dtype={"school_id": str, "core_school_id": str},
                       keep_default_na=False, na_values={"minutes_to_core": [""], "minutes_from_core": [""]})


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(ensure_demo().schools, encoding="utf-8-sig", dtype={"学校标识码": str}).set_index("学校标识码")


def test_primary_plan_holds_primary_and_nine_year_schools(tmp_path, table):
    plan = run_demo(tmp_path, "--level", "primary", "--members", "1-6", "--balance", "0.4").set_index("school_id")
    assert set(plan["level"]) <= {"primary", "nine_year"}
    expected = table[table["学段"].isin(["小学", "九年一贯制"])]
    assert sorted(plan.index) == sorted(expected.index)
    for school_id in plan.index[plan["level"] == "nine_year"]:
        assert plan.loc[school_id, "enrollment"] == round(table.loc[school_id, "在校生数"] * NINE_YEAR_SHARE["primary"])


def test_k_cores_are_chosen(tmp_path):
    plan = run_demo(tmp_path, "--cores", "20", "--members", "2-8")
    assert plan["is_core"].sum() == 20 and plan["district"].nunique() == 20


def test_rules_file_locks_and_pinned_core(tmp_path, table):
    base = run_demo(tmp_path / "base", "--members", "1-7", "--balance", "0.5")
    members = base[~base["is_core"]]
    # two members of one 学区 must part; two neighbours (by district order) in different 学区 must join
    first = members[members["district"] == members["district"].iloc[0]]["school_id"].tolist()[:2]
    one, other = members.iloc[0], members[members["district"] != members.iloc[0]["district"]].iloc[0]
    pinned = table[table["是否优质"] == "否"].index[-1]
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"apart": [first], "together": [[one["school_id"], other["school_id"]]],
                                 "cores": [pinned]}), encoding="utf-8")
    plan = run_demo(tmp_path / "locked", "--rules", str(rules), "--members", "1-7", "--balance", "0.5",
                    "--max-minutes", "60").set_index("school_id")
    assert plan.loc[first[0], "district"] != plan.loc[first[1], "district"]
    assert plan.loc[one["school_id"], "district"] == plan.loc[other["school_id"], "district"]
    assert bool(plan.loc[pinned, "is_core"]) and plan["is_core"].sum() == base["is_core"].sum() + 1


def test_allow_unassigned_lists_the_schools_left_out(tmp_path):
    plan = run_demo(tmp_path, "--allow-unassigned", "--max-minutes", "15", "--members", "1-8", "--balance", "0.6")
    left_out = plan[plan["district"] == ""]
    assert len(left_out) > 0 and left_out["core_school_id"].eq("").all()
    assert np.isnan(left_out["minutes_to_core"]).all()
    kept = plan[(plan["district"] != "") & ~plan["is_core"]]
    assert (kept["minutes_to_core"] <= 15).all() and (kept["minutes_from_core"] <= 15).all()
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert all(name in report for name in left_out["name"])
