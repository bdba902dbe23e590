"""Proposals: saving a plan (as solved, or edited) under a name, its versions, its status (草案 / 征求意见 / 已采用),
edits scored at once, and each version's differences from the adopted one."""

from __future__ import annotations

import shutil

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from gis.errors import InputError
from gis.files import staged_output_dir
from maps.outputs import write_plan_files

from ..editing import read_edits, score_edits
from ..forms import clean_name
from ..i18n import language, translator
from ..pages import fragment, page, state
from ..plans import layers_json, plan_view, violation_rows
from ..security import CSRF_HEADER, check_csrf
from ..store import PROPOSAL_STATUSES, Store
from ..studies import plan_file_options
from .compare import compare_versions
from .studies import study_folder

__all__ = ["router", "version_folder"]

router = APIRouter()


def version_folder(study_id: int, version_id: int) -> str:
    """A proposal version's plan folder, relative to the data folder."""
    return f"{study_folder(study_id)}/versions/{version_id}"


def _plan_source(store: Store, kind: str, item_id: int) -> tuple[dict, dict]:
    """The study and the folder of a run's or a version's plan."""
    if kind == "runs":
        row = store.run(item_id)
        study = store.study(row["study_id"])
    else:
        row = store.version(item_id)
        study = store.study(store.proposal(row["proposal_id"])["study_id"])
    if not row.get("folder"):
        raise InputError("this run has no plan")
    return study, row


def _scored(request: Request, study: dict, folder: str, edits: list):
    """The plan in ``folder`` after ``edits``, scored under its own rules."""
    app = state(request)
    view = plan_view(app.store.path(folder))
    return score_edits(app.store, app.inputs.get(study), view.schools, view.rules, edits)


def _write_version(request: Request, proposal_id: int, study: dict, source: str, edits: list, **version) -> int:
    """A new version of the proposal: ``source``'s files as they are, or the plan after ``edits``."""
    store = state(request).store
    result = _scored(request, study, source, edits) if edits else None
    version_id = store.add_version(proposal_id, lambda v: version_folder(study["id"], v), edits={"edits": edits}, **version)
    target = store.path(store.version(version_id)["folder"])
    try:
        if result is None:
            with staged_output_dir(target) as stage:
                for item in sorted(store.path(source).iterdir()):
                    if item.is_file():
                        shutil.copy2(item, stage / item.name)
        else:
            write_plan_files(result, target, **plan_file_options(study, language(request)))
    except BaseException:
        store.remove_version(version_id)
        raise
    return version_id


@router.post("/runs/{item_id}/score")
@router.post("/versions/{item_id}/score")
async def score(request: Request, item_id: int):
    """The plan after the page's edits: its map layers, figures and broken rules (JSON)."""
    check_csrf(request, request.headers.get(CSRF_HEADER))
    edits = read_edits(await request.body())
    kind = request.url.path.split("/")[1]
    study, row = _plan_source(state(request).store, kind, item_id)
    result = await run_in_threadpool(_scored, request, study, row["folder"], edits)
    violations = violation_rows([v.to_dict() for v in result.violations], result.schools, result.districts)
    return JSONResponse({
        "layers": layers_json(result.schools, result.districts),
        "figures": fragment(request, "_figures.html", districts=result.districts.drop(columns="geometry").to_dict("records")),
        "violations": fragment(request, "_violations.html", violations=violations),
        "student_minutes": f"{result.plan.student_minutes:,.0f}",
    })


@router.post("/runs/{run_id}/proposals")
def save_run_as_proposal(request: Request, run_id: int, csrf_token: str = Form(""), name: str = Form(""),
                         edits: str = Form("")):
    check_csrf(request, csrf_token)
    t = translator(language(request))
    store = state(request).store
    study, run = _plan_source(store, "runs", run_id)
    name = clean_name(name)
    if not name:
        raise InputError(t("name_needed"))
    changes = read_edits(edits)
    proposal_id = store.add_proposal(study["id"], name)
    version_id = _write_version(request, proposal_id, study, run["folder"], changes, run_id=run_id)
    return RedirectResponse(f"/versions/{version_id}", status_code=303)


@router.post("/versions/{version_id}/versions")
def save_edits_as_version(request: Request, version_id: int, csrf_token: str = Form(""), edits: str = Form(""),
                          note: str = Form("")):
    check_csrf(request, csrf_token)
    store = state(request).store
    study, version = _plan_source(store, "versions", version_id)
    changes = read_edits(edits)
    if not changes:
        raise InputError(translator(language(request))("edit_none"))
    new_id = _write_version(request, version["proposal_id"], study, version["folder"], changes, parent_id=version_id,
                            run_id=version["run_id"], note=clean_name(note))
    return RedirectResponse(f"/versions/{new_id}", status_code=303)


@router.get("/proposals/{proposal_id}")
def proposal_page(request: Request, proposal_id: int):
    store = state(request).store
    proposal = store.proposal(proposal_id)
    versions = store.versions(proposal_id)
    return page(request, "proposal.html", proposal=proposal, study=store.study(proposal["study_id"]), versions=versions,
                version_numbers={v["id"]: v["number"] for v in versions}, history=store.status_history(proposal_id),
                statuses=PROPOSAL_STATUSES)


@router.post("/proposals/{proposal_id}/status")
def set_status(request: Request, proposal_id: int, csrf_token: str = Form(""), status: str = Form("")):
    check_csrf(request, csrf_token)
    store = state(request).store
    store.proposal(proposal_id)
    if status not in PROPOSAL_STATUSES:
        raise InputError(translator(language(request))("bad_status"))
    store.set_status(proposal_id, status)
    return RedirectResponse(f"/proposals/{proposal_id}", status_code=303)


@router.get("/versions/{version_id}")
def version_page(request: Request, version_id: int):
    store = state(request).store
    version = store.version(version_id)
    proposal = store.proposal(version["proposal_id"])
    study = store.study(proposal["study_id"])
    return page(request, "version.html", version=version, proposal=proposal, study=study,
                view=plan_view(store.path(version["folder"])), diff=_diff_from_adopted(store, proposal, version),
                base=f"/versions/{version_id}")


def _diff_from_adopted(store: Store, proposal: dict, version: dict) -> dict | None:
    """A later version of an adopted proposal against the adopted one (动态调整): moves and figures."""
    adopted_id = proposal["adopted_version"]
    if adopted_id is None or adopted_id == version["id"]:
        return None
    named = {v["id"]: {**v, "proposal_name": proposal["name"]} for v in store.versions(proposal["id"])}
    if named[version["id"]]["number"] < named[adopted_id]["number"]:
        return None
    comparison = compare_versions(store, [named[adopted_id], named[version["id"]]])
    return {"names": comparison.names, "figures": comparison.figure_table().to_dict("records"),
            "moves": comparison.moves.to_dict("records")}
