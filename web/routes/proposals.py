"""Proposals: saving a plan under a name, its versions and status (草案 / 征求意见 / 已采用)."""

from __future__ import annotations

import shutil

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from gis.errors import InputError
from gis.files import staged_output_dir

from ..forms import clean_name
from ..i18n import language, translator
from ..pages import page, state
from ..plans import plan_view
from ..security import check_csrf
from ..store import PROPOSAL_STATUSES, Store
from .studies import study_folder

__all__ = ["router", "version_folder"]

router = APIRouter()


def version_folder(study_id: int, version_id: int) -> str:
    """A proposal version's plan folder, relative to the data folder."""
    return f"{study_folder(study_id)}/versions/{version_id}"


def _copy_plan(store: Store, source: str, target: str) -> None:
    """Copy a plan folder's files into a new folder, all at once."""
    with staged_output_dir(store.path(target)) as stage:
        for item in sorted(store.path(source).iterdir()):
            if item.is_file():
                shutil.copy2(item, stage / item.name)


@router.post("/runs/{run_id}/proposals")
def save_run_as_proposal(request: Request, run_id: int, csrf_token: str = Form(""), name: str = Form("")):
    check_csrf(request, csrf_token)
    t = translator(language(request))
    store = state(request).store
    run = store.run(run_id)
    if run["state"] != "done":
        raise InputError(t("plan_missing"))
    name = clean_name(name)
    if not name:
        raise InputError(t("name_needed"))
    proposal_id = store.add_proposal(run["study_id"], name)
    version_id = store.add_version(proposal_id, lambda v: version_folder(run["study_id"], v), run_id=run_id)
    try:
        _copy_plan(store, run["folder"], store.version(version_id)["folder"])
    except OSError:
        store.remove_version(version_id)
        raise
    return RedirectResponse(f"/versions/{version_id}", status_code=303)


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
                versions=store.versions(proposal["id"]), view=plan_view(store.path(version["folder"])),
                base=f"/versions/{version_id}")
