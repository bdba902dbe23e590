"""Comparing plans: moves.csv, agreement, the figure table and the side-by-side map in a browser."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import app
from partition.compare import compare_plans, match_districts
from partition.plan import STUDENT_MINUTES
from partition.tables import PlanTables, read_plan_folder

EXIT_BAD_INPUT = 2


def read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def compared(demo_out, moved_plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "out"
    assert app.main(["compare", str(demo_out), str(moved_plan["out"]), "--out", str(out)]) == 0
    return out


def test_three_moved_schools_are_exactly_the_three_rows_of_moves_csv(compared, moved_plan):
    assert read_csv(compared / "moves.csv").to_dict("records") == moved_plan["moves"]


def test_compare_json_counts_the_moves_and_students(compared, moved_plan, demo_out):
    record = json.loads((compared / "compare.json").read_text(encoding="utf-8"))
    (pair,) = record["pairs"]
    plan = read_csv(demo_out / "plan.csv").set_index("school_id")
    moved = [m["school_id"] for m in moved_plan["moves"]]
    assert pair["moves"] == 3 and pair["students_moved"] == plan.loc[moved, "enrollment"].astype(int).sum()
    assert 0.5 < pair["adjusted_rand_index"] < 1 and 0.5 < pair["normalized_mutual_info"] < 1
    assert pair["only_in_first"] == [] and pair["only_in_second"] == []
    assert record["figures"]["violations"]["values"] == {demo_out.name: 0, "proposal": len(
        json.loads((moved_plan["out"] / "plan.json").read_text(encoding="utf-8"))["violations"])}


def test_compare_csv_marks_the_best_of_each_row(compared, demo_out):
    table = read_csv(compared / "compare.csv").set_index("figure")
    assert list(table.columns) == ["label", demo_out.name, "proposal", "best"]
    assert table.loc["violations", "best"] == demo_out.name  # the solver's plan breaks nothing
    assert float(table.loc[STUDENT_MINUTES, demo_out.name]) < float(table.loc[STUDENT_MINUTES, "proposal"])
    assert table.loc[STUDENT_MINUTES, "best"] == demo_out.name
    assert table.loc["n_districts", "best"] == ""  # no better direction
    assert any(f.startswith("cv_between:junior:") for f in table.index)


def test_a_plan_compared_with_itself(demo_out, tmp_path):
    comparison = compare_plans([demo_out, demo_out])
    (pair,) = comparison.pairs
    assert pair["adjusted_rand_index"] == 1.0 and pair["normalized_mutual_info"] == 1.0
    assert pair["moves"] == 0 and comparison.moves.empty
    assert comparison.names == [demo_out.name, f"{demo_out.name} (2)"]
    out = tmp_path / "self"
    assert app.main(["compare", str(demo_out), str(demo_out), "--out", str(out)]) == 0
    assert (out / "moves.csv").read_text(encoding="utf-8-sig") == "school_id,name,plan,from_district,to_district\n"


def test_districts_are_matched_by_their_schools_not_their_keys():
    first = pd.Series(["D01", "D01", "D02", "D02", "D03", ""], index=list("abcdef"))
    second = pd.Series(["D03", "D03", "D01", "D02", "D02", ""], index=list("abcdef"))
    assert match_districts(first, second) == {"D03": "D01", "D02": "D03", "D01": "D02", "": ""}


def test_plans_over_different_schools_list_the_schools_in_only_one(demo_out):
    tables = read_plan_folder(demo_out)
    schools = tables.schools
    member = schools[~schools["is_core"]].iloc[0]
    fewer = PlanTables("fewer", schools[schools["school_id"] != member.school_id], tables.districts, tables.summary)
    comparison = compare_plans([tables, fewer])
    (pair,) = comparison.pairs
    assert pair["only_in_first"] == [member.school_id] and pair["only_in_second"] == [] and pair["moves"] == 0
    assert comparison.moves.to_dict("records") == [{"school_id": member.school_id, "name": member["name"], "plan": "fewer",
                                                    "from_district": member.district_name, "to_district": ""}]


def test_compare_refuses_a_folder_that_is_no_plan(tmp_path, capsys, demo_out):
    out = tmp_path / "out"
    assert app.main(["compare", str(demo_out), str(tmp_path), "--out", str(out)]) == EXIT_BAD_INPUT
    assert "not a plan folder" in capsys.readouterr().err and not out.exists()
    assert app.main(["compare", str(demo_out), "--out", str(out)]) == EXIT_BAD_INPUT
    assert "at least two plan folders" in capsys.readouterr().err and not out.exists()


MAP_OF = "(() => Object.values(window).find(value => value instanceof L.Map))()"


@pytest.mark.browser
def test_side_by_side_maps_move_together_and_ring_the_moved_schools(browser, compared):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    remote = []
    page.on("request", lambda request: remote.append(request.url) if request.url.startswith("http") else None)
    page.goto((compared / "compare.html").as_uri())
    frames = [frame for frame in page.frames if frame != page.main_frame]
    assert len(frames) == 2
    for frame in frames:
        frame.wait_for_function(f"{MAP_OF} !== undefined")
        assert frame.locator("path.xq-moved").count() == 3
    frames[0].evaluate(f"{MAP_OF}.setView([36.05, 117.55], 13, {{animate: false}})")
    frames[1].wait_for_function(f"{MAP_OF}.getZoom() === 13")
    centre = frames[1].evaluate(f"(() => {{ const c = {MAP_OF}.getCenter(); return [c.lat, c.lng]; }})()")
    assert centre == pytest.approx([36.05, 117.55], abs=1e-6)
    frames[1].evaluate(f"{MAP_OF}.setView([36.1, 117.6], 12, {{animate: false}})")  # and back the other way
    frames[0].wait_for_function(f"{MAP_OF}.getZoom() === 12")
    assert page.locator("#figures td.best").count() > 0 and page.locator("#moves tr").count() == 4
    assert remote == []
    page.close()
