"""A given plan scored through the command line: the planner's names, its violations, what-if edits, --strict."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import app
import gis
from data.demo import ensure_demo
from gis.errors import InputError
from gis.traveltime import TravelTimeEngine
from maps.outputs import OUTPUT_FILES
from partition.pipeline import county_areas, select_schools
from partition.planfile import Assignment
from partition.problem import DEFAULT_BALANCE, DEFAULT_MAX_MINUTES, DEFAULT_MEMBERS, Rules
from partition.scoring import close_schools, swap_core

EXIT_BROKEN_RULES = 1


def read_plan_csv(folder) -> pd.DataFrame:
    return pd.read_csv(folder / "plan.csv", encoding="utf-8-sig", dtype={"school_id": str, "core_school_id": str},
                       keep_default_na=False)


def by_hand(plan: pd.DataFrame) -> list[tuple[str, str]]:
    """The default rules checked on plan.csv alone: (school, rule) of every member beyond the limit,
    every 学区 outside 2-6 members or the ±25% band."""
    members = plan[~plan["is_core"]]
    far = members[np.maximum(members["minutes_to_core"], members["minutes_from_core"]) > DEFAULT_MAX_MINUTES]
    found = [(s, "travel_limit") for s in far["school_id"]]
    counts = members.groupby("district").size().reindex(plan["district"].unique(), fill_value=0)
    cores = plan[plan["is_core"]].set_index("district")["school_id"]
    found += [(cores[d], "members") for d, n in counts.items() if not DEFAULT_MEMBERS[0] <= n <= DEFAULT_MEMBERS[1]]
    students = plan.groupby("district")["enrollment"].sum()
    off = (students / students.mean() - 1).abs() > DEFAULT_BALANCE
    found += [(cores[d], "balance") for d in students.index[off]]
    return sorted(found)


def test_a_given_plan_is_scored_with_its_violations(moved_plan):
    out = moved_plan["out"]
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    record = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert record["status"] == "given" and record["bound"] is None and record["gap"] is None
    assert record["solver"] == f"given: {moved_plan['file']}"
    plan = read_plan_csv(out)
    assert sorted((v["school_id"], v["rule"]) for v in record["violations"]) == by_hand(plan) != []


def test_the_planners_names_are_the_district_names(moved_plan):
    given = pd.read_csv(moved_plan["file"], encoding="utf-8-sig", dtype=str).set_index("学校标识码")["学区"]
    plan = read_plan_csv(moved_plan["out"]).set_index("school_id")
    assert plan["district_name"].to_dict() == given.to_dict()
    districts = json.loads((moved_plan["out"] / "districts.geojson").read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["district_name"] for f in districts} == set(given)


@pytest.mark.browser
def test_report_lists_the_violations_at_the_top(moved_plan, browser):
    record = json.loads((moved_plan["out"] / "plan.json").read_text(encoding="utf-8"))
    page = browser.new_page()
    page.goto((moved_plan["out"] / "report.html").as_uri())
    rows = page.locator("#violations tr")
    assert rows.count() == len(record["violations"]) + 1
    assert page.locator("h2").first.inner_text().startswith("违反的规则")
    assert page.locator("#solver").inner_text().count("Proven bound") == 0
    page.close()


@pytest.fixture(scope="module")
def demo_schools():
    """The demo's schools placed on its roads, as a plan covers them."""
    demo = ensure_demo()
    roads = gis.read_road_network(demo.osm)
    townships, _ = county_areas(roads)
    return select_schools(gis.read_school_table(demo.schools), roads, Rules(), townships=townships), roads


@pytest.fixture(scope="module")
def demo_assignment(demo_out) -> Assignment:
    plan = read_plan_csv(demo_out)
    return Assignment(dict(zip(plan["school_id"], plan["district_name"])), dict(zip(plan["district_name"], plan["core_school_id"])))


def test_swap_core(demo_schools, demo_assignment):
    schools, _ = demo_schools
    label, old = next(iter(demo_assignment.core_of.items()))
    new = next(s for s, d in demo_assignment.district_of.items() if d != label and s not in demo_assignment.core_of.values())
    swapped = swap_core(demo_assignment, old, new, schools)
    assert swapped.core_of[label] == new and swapped.district_of[new] == label and swapped.district_of[old] == label
    with pytest.raises(InputError, match="is not the core of any 学区"):
        swap_core(demo_assignment, new, old, schools)
    other = list(demo_assignment.core_of.values())[1]
    with pytest.raises(InputError, match="is already the core of"):
        swap_core(demo_assignment, old, other, schools)


def test_close_sends_the_students_to_the_nearest_open_school_of_its_level(demo_schools, demo_assignment):
    schools, roads = demo_schools
    closed = next(s for s in schools["school_id"] if s not in demo_assignment.core_of.values())
    kept, assignment, moved = close_schools(schools, demo_assignment, [closed], roads)
    row = schools.set_index("school_id").loc[closed]
    same_level = schools[(schools["level"] == row["level"]) & (schools["school_id"] != closed)]
    seconds = TravelTimeEngine(roads).times_from([row["node"]], same_level["node"].to_numpy())[0]
    nearest = same_level["school_id"].iloc[int(np.argmin(seconds))]
    assert moved == [(closed, nearest)] and closed not in set(kept["school_id"]) and closed not in assignment.district_of
    before = schools.set_index("school_id")["enrollment"]
    after = kept.set_index("school_id")["enrollment"]
    assert after[nearest] == before[nearest] + before[closed] and after.sum() == before.sum()
    core = next(iter(demo_assignment.core_of.values()))
    with pytest.raises(InputError, match=f"--core-swap {core}=NEW"):
        close_schools(schools, demo_assignment, [core], roads)


def test_what_if_edits_through_the_command_line_and_strict(demo_out, tmp_path, capsys):
    """Close a member of a two-member 学区 (it falls below the minimum) and swap another 学区's core; --strict exits 1."""
    plan = read_plan_csv(demo_out)
    members = plan[~plan["is_core"]]
    sizes = members.groupby("district").size()
    closed = members[members["district"] == sizes.index[sizes == DEFAULT_MEMBERS[0]][0]].iloc[0]
    swapped = members[members["district"] != closed["district"]].iloc[0]
    old = swapped["core_school_id"]
    out = tmp_path / "what-if"
    code = app.main(["demo", "--plan", str(demo_out), "--core-swap", f"{old}={swapped.school_id}", "--close", closed.school_id,
                     "--strict", "--out", str(out)])
    assert code == EXIT_BROKEN_RULES and "breaks" in capsys.readouterr().err
    record = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert record["edits"][0] == f"core-swap {old}={swapped.school_id}" and record["edits"][1].startswith(f"close {closed.school_id} -> ")
    result = read_plan_csv(out).set_index("school_id")
    assert closed.school_id not in result.index and len(result) == len(plan) - 1
    assert result.loc[swapped.school_id, "is_core"] and not result.loc[old, "is_core"]
    assert result.loc[old, "core_school_id"] == swapped.school_id
    assert result.loc[old, "district_name"] == swapped["district_name"]  # the 学区 keeps its name
    broken = {(v["school_id"], v["rule"], v["value"], v["limit"]) for v in record["violations"]}
    assert (closed["core_school_id"], "members", 1, DEFAULT_MEMBERS[0]) in broken
