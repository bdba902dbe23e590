"""Runs and proposals in the web application through FastAPI's TestClient, on the demo county with short solves."""

from __future__ import annotations

import json
import re

import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from webhelpers import csrf, page_text, rules_form

from partition.export import GPKG_LAYERS
from partition.ruleoptions import RULE_OPTIONS
from web import create_app
from web.runs import INTERRUPTED, STAGES
from web.security import FILE_CSP
from web.store import RunBusy


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """An application with the demo county read and one run of the default rules done."""
    app = create_app(tmp_path_factory.mktemp("web") / "data")
    with TestClient(app) as client:
        client.post("/studies/demo", data={"csrf_token": csrf(client)})
        app.state.xuequ.runner.wait()
        response = client.post("/studies/1/runs", data={"csrf_token": csrf(client), **rules_form()}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/runs/1"
        app.state.xuequ.runner.wait()
        yield app, client


def test_the_rules_form_offers_every_rule_option_with_its_default_and_explanation(web):
    _, client = web
    page = client.get("/studies/1").text
    for option in RULE_OPTIONS:
        assert f'name="{option.name}"' in page and f"<code>{option.flag}</code>" in page
    client.get("/lang/en")
    english = page_text(client.get("/studies/1").text)
    client.get("/lang/zh")
    for option in RULE_OPTIONS:
        assert option.help in english  # the command line's own explanation
    assert "30" in english and "2-6" in english and "0.25" in english


def test_a_run_goes_through_its_stages_and_shows_its_plan(web):
    app, client = web
    run = app.state.xuequ.store.run(1)
    assert run["state"] == "done" and run["status"] in ("optimal", "feasible")
    progress = client.get("/runs/1/progress").json()
    assert progress["state"] == "done" and progress["share"] == 1.0
    events = client.get("/runs/1/events")
    assert events.headers["content-type"].startswith("text/event-stream")
    last = json.loads(events.text.strip().split("data: ")[-1])
    assert last["state"] == "done"
    page = client.get("/runs/1").text
    folder = app.state.xuequ.store.path(run["folder"])
    plan = pd.read_csv(folder / "plan.csv", encoding="utf-8-sig", dtype={"school_id": str}, keep_default_na=False)
    assert page.count('<tr data-district="') == plan.loc[plan["district"] != "", "district"].nunique()
    assert 'id="plan-map"' in page and 'id="cv-table"' in page and "差异系数" in page
    assert page.count("≤ 0.50") == 7 and page.count("≤ 0.45") == 7  # the standard, per level and indicator
    summary = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    assert f"{summary['gap']:.2%}" in page
    layers = client.get("/runs/1/layers").json()
    names = {f["properties"]["district_name"]: f["properties"]["district"] for f in layers["districts"]["features"]}
    assert len(layers["schools"]["features"]) == len(plan)
    offline = (folder / "map.html").read_text(encoding="utf-8")  # the page's 学区 have the offline map's colours
    drawn = re.findall(r'"name":"([^"]+)","core":"[^"]*","head":"[^"]*","schools":\d+,"enrollment":\d+,"color":"(#\w+)"', offline)
    assert len(drawn) == len(names) and all(layers["colours"][names[name]] == colour for name, colour in drawn)
    assert client.get("/runs/1/files/districts.geojson").json()["type"] == "FeatureCollection"
    assert client.get("/runs/1/files/map.html").headers["content-security-policy"] == FILE_CSP
    for name in ("..%2Fplan.json", "%2E%2E%2F%2E%2E%2F%2E%2E%2Fxuequ.sqlite", "xuequ.sqlite", "plan.txt"):
        assert client.get(f"/runs/1/files/{name}").status_code == 404


def test_progress_reports_stages_in_order(web):
    from web.runs import run_progress

    run = {"state": "running", "stage": "solve", "stage_started": 100.0, "gap": 0.01, "settings": {"time_limit": 10}}
    early, late = run_progress(run, now=101.0), run_progress(run, now=150.0)
    assert early["stage_index"] == STAGES.index("solve") and early["share"] < late["share"] < 1.0
    assert run_progress({**run, "stage": "files"}, now=100.0)["share"] > late["share"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"members": "2x"}, "每个核心校的成员校数"),
    ({"members": "6-2"}, "每个核心校的成员校数"),
    ({"max_minutes": "-5"}, "通勤时间上限"),
    ({"level": "<script>"}, "学段"),
    ({"indicator_band": "wealth:0.2"}, "指标均衡带"),
    ({"time_limit": "0"}, "求解时间上限"),
])
def test_bad_rules_are_refused_naming_the_field(web, changes, field):
    app, client = web
    before = len(app.state.xuequ.store.runs(1))
    response = client.post("/studies/1/runs", data={"csrf_token": csrf(client), **rules_form(**changes)})
    assert response.status_code == 400 and field in response.text and "<script>" not in response.text
    assert len(app.state.xuequ.store.runs(1)) == before


def test_a_bad_rules_file_is_refused(web):
    _, client = web
    data = {"csrf_token": csrf(client), **rules_form()}
    response = client.post("/studies/1/runs", data=data, files={"rules": ("../locks.yaml", b"fixed: [unclosed")})
    assert response.status_code == 400 and "locks.yaml" in response.text and "YAML" in response.text
    response = client.post("/studies/1/runs", data=data, files={"rules": ("locks.yaml", b"\x89PNG\r\n\x1a\n\x00\x00")})
    assert response.status_code == 400


def test_an_infeasible_run_explains_and_offers_the_smallest_limit_and_one_run_at_a_time(web):
    app, client = web
    store = app.state.xuequ.store
    response = client.post("/studies/1/runs", data={"csrf_token": csrf(client), **rules_form(max_minutes="4")}, follow_redirects=False)
    run_id = int(response.headers["location"].rsplit("/", 1)[1])
    second = client.post("/studies/1/runs", data={"csrf_token": csrf(client), **rules_form(max_minutes="40")},
                         follow_redirects=False)
    assert second.status_code == 409 and "请等它结束" in second.text  # one runs, the other is refused
    with pytest.raises(RunBusy):  # the database itself holds one active run per study
        store.add_run(1, {}, {})
    app.state.xuequ.runner.wait()
    assert not any(r["rules"].get("max_minutes") == 40 for r in store.runs(1))
    run = store.run(run_id)
    assert run["state"] == "infeasible" and run["reasons"]
    page = client.get(f"/runs/{run_id}").text
    assert 'id="infeasible"' in page and "reaches no core within 4 min" in page
    assert run["smallest_limit"] is not None and run["smallest_limit"] > 4
    assert f"{run['smallest_limit']:.1f}" in page and 'id="rerun"' in page
    response = client.post(f"/runs/{run_id}/rerun", data={"csrf_token": csrf(client)}, follow_redirects=False)
    rerun = store.run(int(response.headers["location"].rsplit("/", 1)[1]))
    assert rerun["rules"]["max_minutes"] == run["smallest_limit"] and rerun["rules"]["members"] == run["rules"]["members"]
    app.state.xuequ.runner.wait()
    assert store.run(rerun["id"])["state"] == "done"


def test_a_run_saved_as_a_proposal_gets_a_status_and_history(web):
    app, client = web
    store = app.state.xuequ.store
    response = client.post("/runs/1/proposals", data={"csrf_token": csrf(client), "name": "方案<甲>"}, follow_redirects=False)
    assert response.status_code == 303
    version = store.version(int(response.headers["location"].rsplit("/", 1)[1]))
    run_folder, version_folder = store.path(store.run(1)["folder"]), store.path(version["folder"])
    assert (version_folder / "plan.csv").read_bytes() == (run_folder / "plan.csv").read_bytes()
    page = client.get(f"/versions/{version['id']}").text
    assert "方案&lt;甲&gt;" in page and "草案" in page and 'id="plan-map"' in page
    duplicate = client.post("/runs/1/proposals", data={"csrf_token": csrf(client), "name": "方案<甲>"})
    assert duplicate.status_code == 400 and "同名" in duplicate.text
    proposal_id = version["proposal_id"]
    response = client.post(f"/proposals/{proposal_id}/status", data={"csrf_token": csrf(client), "status": "consultation"},
                           follow_redirects=False)
    assert response.status_code == 303
    page = client.get(f"/proposals/{proposal_id}").text
    assert 'id="proposal-status">征求意见<' in page
    assert [h["status"] for h in store.status_history(proposal_id)] == ["draft", "consultation"]
    bad = client.post(f"/proposals/{proposal_id}/status", data={"csrf_token": csrf(client), "status": "approved"})
    assert bad.status_code == 400
    assert store.proposal(proposal_id)["status"] == "consultation"


def test_a_restart_keeps_everything_and_fails_the_runs_it_interrupted(web):
    app, _ = web
    store = app.state.xuequ.store
    run_id = store.add_run(1, store.run(1)["rules"], store.run(1)["settings"])
    store.run_stage(run_id, "solve")  # as if the server stopped while solving
    again = create_app(store.data_dir)
    with TestClient(again) as client:
        run = again.state.xuequ.store.run(run_id)
        assert run["state"] == "failed" and run["message"] == INTERRUPTED
        assert "方案&lt;甲&gt;" in client.get("/studies/1").text
        assert again.state.xuequ.store.proposals(1)[0]["status"] == "consultation"


def smallest_district_member(plan: pd.DataFrame) -> tuple[str, str]:
    """A member of a 学区 with the fewest members, and the core of another 学区."""
    members = plan[(plan["district"] != "") & ~plan["is_core"]]
    district = members["district"].value_counts().sort_index(kind="stable").idxmin()
    school = members.loc[members["district"] == district, "school_id"].iloc[0]
    other_core = plan.loc[plan["is_core"] & (plan["district"] != district), "school_id"].iloc[0]
    return school, other_core


def run_plan(app, run_id: int = 1) -> pd.DataFrame:
    folder = app.state.xuequ.store.path(app.state.xuequ.store.run(run_id)["folder"])
    return pd.read_csv(folder / "plan.csv", encoding="utf-8-sig", dtype={"school_id": str, "core_school_id": str},
                       keep_default_na=False)


def test_an_edit_is_scored_at_once_and_saved_as_a_proposal_version(web):
    app, client = web
    store = app.state.xuequ.store
    plan = run_plan(app)
    school, other_core = smallest_district_member(plan)
    low = store.run(1)["rules"]["members"][0]
    edits = {"edits": [{"op": "move", "school": school, "core": other_core}]}
    headers = {"x-csrf-token": csrf(client), "accept": "application/json"}
    assert client.post("/runs/1/score", json=edits, headers={"accept": "application/json"}).status_code == 403
    scored = client.post("/runs/1/score", json=edits, headers=headers)
    assert scored.status_code == 200, scored.text
    body = scored.json()
    moved = next(f for f in body["layers"]["schools"]["features"] if f["properties"]["school_id"] == school)
    assert moved["properties"]["core_school_id"] == other_core
    assert 'data-rule="members"' in body["violations"] and f"（规则：{low}）" in body["violations"]
    assert body["figures"].count("<tr data-district=") == plan.loc[plan["district"] != "", "district"].nunique()
    bad = client.post("/runs/1/score", json={"edits": [{"op": "move", "school": other_core, "core": school}]}, headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]
    assert client.post("/runs/1/score", content=b"{not json", headers=headers).status_code == 400

    response = client.post("/runs/1/proposals", data={"csrf_token": csrf(client), "name": "调整方案", "edits": json.dumps(edits)},
                           follow_redirects=False)
    version = store.version(int(response.headers["location"].rsplit("/", 1)[1]))
    saved = json.loads((store.path(version["folder"]) / "plan.json").read_text(encoding="utf-8"))
    assert saved["status"] == "given" and any(v["rule"] == "members" and v["school_id"] for v in saved["violations"])
    saved_plan = pd.read_csv(store.path(version["folder"]) / "plan.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert saved_plan.set_index("school_id").loc[school, "core_school_id"] == other_core
    assert 'id="violation-count">0<' not in client.get(f"/versions/{version['id']}").text
    assert "搜索学校名称" in (store.path(version["folder"]) / "map.html").read_text(encoding="utf-8")
    client.get("/lang/en")  # files written from the English page are labelled in English
    response = client.post("/runs/1/proposals", data={"csrf_token": csrf(client), "name": "English", "edits": json.dumps(edits)},
                           follow_redirects=False)
    client.get("/lang/zh")
    english = store.version(int(response.headers["location"].rsplit("/", 1)[1]))
    assert "Search a school" in (store.path(english["folder"]) / "map.html").read_text(encoding="utf-8")


def test_adjusting_an_adopted_plan_makes_a_version_showing_its_changes(web):
    app, client = web
    store = app.state.xuequ.store
    response = client.post("/runs/1/proposals", data={"csrf_token": csrf(client), "name": "采用方案"}, follow_redirects=False)
    first = store.version(int(response.headers["location"].rsplit("/", 1)[1]))
    client.post(f"/proposals/{first['proposal_id']}/status", data={"csrf_token": csrf(client), "status": "adopted"})
    assert store.proposal(first["proposal_id"])["adopted_version"] == first["id"]
    school, other_core = smallest_district_member(run_plan(app))
    edits = json.dumps({"edits": [{"op": "move", "school": school, "core": other_core}]})
    response = client.post(f"/versions/{first['id']}/versions", data={"csrf_token": csrf(client), "edits": edits, "note": "动态调整"},
                           follow_redirects=False)
    second = store.version(int(response.headers["location"].rsplit("/", 1)[1]))
    assert second["number"] == 2 and second["parent_id"] == first["id"] and second["note"] == "动态调整"
    page = client.get(f"/versions/{second['id']}").text
    assert 'id="diff-adopted"' in page and 'id="diff-moves"' in page
    name = run_plan(app).set_index("school_id").loc[school, "name"]
    assert page.split('id="diff-moves"')[1].count(name) >= 1
    assert 'id="diff-adopted"' not in client.get(f"/versions/{first['id']}").text
    empty = client.post(f"/versions/{first['id']}/versions", data={"csrf_token": csrf(client), "edits": ""})
    assert empty.status_code == 400


def test_versions_are_compared_and_their_files_downloaded(web, tmp_path):
    app, client = web
    store = app.state.xuequ.store
    ids = [v["id"] for v in store.study_versions(1)][:2]
    response = client.get("/studies/1/compare", params={"v": ids})
    assert response.status_code == 200
    names = [f"{v['proposal_name']} v{v['number']}" for v in store.study_versions(1)[:2]]
    assert all(html_name in response.text for html_name in (n.replace("<", "&lt;").replace(">", "&gt;") for n in names))
    assert 'id="compare-figures"' in response.text and 'id="compare-pairs"' in response.text
    key = "-".join(map(str, ids))
    moves = client.get(f"/studies/1/compare/{key}/files/moves.csv")
    assert moves.status_code == 200 and moves.headers["content-disposition"].startswith("attachment")
    assert client.get(f"/studies/1/compare/{key}/files/compare.html").headers["content-security-policy"] == FILE_CSP
    assert client.get(f"/studies/1/compare/{key}/files/..%2F..%2Fxuequ.sqlite").status_code == 404
    assert client.get("/studies/1/compare", params={"v": ids[:1]}).status_code == 400
    assert client.get("/studies/1/compare", params={"v": [ids[0], 999]}).status_code == 404

    version = ids[0]
    gpkg = tmp_path / "plan.gpkg"
    gpkg.write_bytes(client.get(f"/versions/{version}/files/plan.gpkg").content)
    assert tuple(name for name, _ in pyogrio.list_layers(gpkg)) == GPKG_LAYERS
    workbook = client.get(f"/versions/{version}/files/school-list.xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    listing = client.get(f"/versions/{version}/files/school-list.csv").content.decode("utf-8-sig")
    assert listing.splitlines()[0].startswith("学区,核心校,成员校")
    assert len(listing.strip().splitlines()) == len(run_plan(app)) + 1
