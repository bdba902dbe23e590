"""Runs: starting one from the rules form (or again at the smallest feasible limit), its page and its progress.

Progress reaches the page as server-sent events (``/runs/{id}/events``), one each time the stage or
the gap changes; ``/runs/{id}/progress`` answers the same as JSON for a page that polls.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from gis.errors import InputError
from partition.ruleoptions import LOCKS_OPTION
from partition.rules import Rules
from partition.rulesfile import apply_rules_file

from ..forms import rules_from_form, settings_from_form
from ..i18n import language, translator
from ..pages import page, state
from ..plans import plan_view
from ..runs import STAGES, run_progress
from ..security import CSRF_FIELD, check_csrf
from ..uploads import RULES_UPLOAD, display_name, save_upload

__all__ = ["router", "EVENT_INTERVAL_S"]

router = APIRouter()
#: How often a progress stream looks at its run, in seconds.
EVENT_INTERVAL_S = 0.5
#: Progress streams end after this many seconds even if the run has not (the page reconnects).
EVENT_STREAM_S = 600


@router.post("/studies/{study_id}/runs")
async def start_run(request: Request, study_id: int):
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    t = translator(language(request))
    app = state(request)
    if app.store.study(study_id)["state"] != "ready":
        raise InputError(t("study_not_ready"))
    rules = await run_in_threadpool(_with_rules_file, rules_from_form(form, t.option), form.get(LOCKS_OPTION.name))
    settings = {**settings_from_form(form, t.option), "lang": language(request)}  # the maps' language: the page's
    return _start(request, study_id, rules, settings)


def _start(request: Request, study_id: int, rules: Rules, settings: dict) -> RedirectResponse:
    app = state(request)
    run_id = app.store.add_run(study_id, rules.to_dict(), settings)
    app.runner.start_run(run_id)
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


def _with_rules_file(rules: Rules, upload) -> Rules:
    """``rules`` with the locks and 学区 names of the planner's rules file, when the form has one."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return rules
    shown = display_name(upload.filename)
    folder = Path(tempfile.mkdtemp(prefix="xuequ-rules-"))
    try:
        path = save_upload(upload.file, RULES_UPLOAD, folder, "rules", shown_as=shown)
        try:
            return apply_rules_file(rules, path)
        except InputError as exc:
            raise InputError(str(exc).replace(str(path), shown)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.post("/runs/{run_id}/rerun")
def rerun_at_smallest_limit(request: Request, run_id: int, csrf_token: str = Form("")):
    """The same rules and settings again, at the smallest travel limit that has a plan."""
    check_csrf(request, csrf_token)
    run = state(request).store.run(run_id)
    if run["smallest_limit"] is None:
        raise InputError(translator(language(request))("not_found"))
    rules = replace(Rules.from_dict(run["rules"]), max_minutes=run["smallest_limit"])
    return _start(request, run["study_id"], rules, run["settings"])


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: int):
    app = state(request)
    run = app.store.run(run_id)
    study = app.store.study(run["study_id"])
    view = plan_view(app.store.path(run["folder"])) if run["state"] == "done" else None
    return page(request, "run.html", run=run, study=study, view=view, stages=STAGES, progress=run_progress(run),
                rules=Rules.from_dict(run["rules"]), base=f"/runs/{run_id}")


@router.get("/runs/{run_id}/progress")
def progress(request: Request, run_id: int):
    return JSONResponse(run_progress(state(request).store.run(run_id)))


@router.get("/runs/{run_id}/events")
async def progress_events(request: Request, run_id: int):
    store = state(request).store
    store.run(run_id)  # a missing run is a 404, not an empty stream

    async def events():
        last = None
        for _ in range(int(EVENT_STREAM_S / EVENT_INTERVAL_S)):
            if await request.is_disconnected():
                return
            now = run_progress(await run_in_threadpool(store.run, run_id))
            if now != last:
                yield f"data: {json.dumps(now)}\n\n"
                last = now
            if now["state"] not in ("queued", "running"):
                return
            await asyncio.sleep(EVENT_INTERVAL_S)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"cache-control": "no-store"})
