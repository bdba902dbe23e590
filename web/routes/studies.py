"""Studies: the home page, a new study (the demo county or uploaded files), a study's page, the language switch."""

from __future__ import annotations

import logging
import secrets
import shutil
import warnings

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse

from data.demo import COUNTY_NAME
from gis.coords import COORDINATE_SYSTEMS
from gis.errors import InputError
from gis.schools import read_school_table
from gis.ways import NETWORK_TYPES
from partition.ruleoptions import LOCKS_OPTION, RULE_OPTIONS, SOLVE_OPTIONS

from ..forms import clean_name, local_path
from ..i18n import LANG_COOKIE, LANGUAGES, language, translator
from ..pages import page, state
from ..security import check_csrf
from ..uploads import MIB, OSM_UPLOAD, TABLE_UPLOAD, display_name, save_upload

__all__ = ["router", "study_folder", "UPLOADS"]

logger = logging.getLogger(__name__)
router = APIRouter()
#: Uploaded inputs are kept here, each study's in a folder of a random name.
UPLOADS = "uploads"
#: How long the language choice is remembered, in seconds.
LANG_COOKIE_AGE_S = 365 * 24 * 3600


def study_folder(study_id: int) -> str:
    """A study's folder, relative to the data folder."""
    return f"studies/{study_id}"


@router.get("/")
def home(request: Request):
    return page(request, "home.html", studies=state(request).store.studies(), coords=COORDINATE_SYSTEMS,
                networks=NETWORK_TYPES, osm_mb=OSM_UPLOAD.max_bytes // MIB, table_mb=TABLE_UPLOAD.max_bytes // MIB)


@router.post("/studies/demo")
def new_demo_study(request: Request, csrf_token: str = Form(""), name: str = Form("")):
    check_csrf(request, csrf_token)
    app = state(request)
    study_id = app.store.add_study(clean_name(name) or COUNTY_NAME, "demo", "wgs84", {"network": "drive"})
    app.runner.read_study(study_id)
    return RedirectResponse(f"/studies/{study_id}", status_code=303)


@router.post("/studies/upload")
def new_uploaded_study(
    request: Request, csrf_token: str = Form(""), name: str = Form(""), coords: str = Form("wgs84"),
    network: str = Form("drive"), osm: UploadFile = File(...), schools: UploadFile = File(...),
):
    check_csrf(request, csrf_token)
    t = translator(language(request))
    _check_choice(coords, COORDINATE_SYSTEMS, t("coords"), t)
    _check_choice(network, NETWORK_TYPES, t("network"), t)
    name = clean_name(name)
    if not name:
        raise InputError(t("name_needed"))
    app = state(request)
    folder = f"{UPLOADS}/{secrets.token_hex(16)}"  # a name of ours, never the uploaded one
    shown = {"osm_name": display_name(osm.filename), "schools_name": display_name(schools.filename)}
    try:
        osm_path = save_upload(osm.file, OSM_UPLOAD, app.store.path(folder), "roads", shown_as=shown["osm_name"])
        table_path = save_upload(schools.file, TABLE_UPLOAD, app.store.path(folder), "schools", shown_as=shown["schools_name"])
        _check_table(table_path, coords, shown["schools_name"])
    except BaseException:
        shutil.rmtree(app.store.path(folder), ignore_errors=True)
        raise
    inputs = {"network": network, **shown, "osm": f"{folder}/{osm_path.name}", "schools": f"{folder}/{table_path.name}"}
    study_id = app.store.add_study(name, "upload", coords, inputs)
    app.runner.read_study(study_id)
    return RedirectResponse(f"/studies/{study_id}", status_code=303)


def _check_choice(value: str, choices: tuple[str, ...], field: str, t) -> None:
    if value not in choices:
        raise InputError(t("bad_choice", field=field, value=value))


def _check_table(path, coords: str, shown_as: str) -> None:
    """Read the (small) school table now, so a table without the needed columns is refused with the form."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dropped rows are listed when the study is read
            read_school_table(path, coords=coords)
    except InputError as exc:
        raise InputError(str(exc).replace(str(path), shown_as)) from None
    except Exception as exc:  # a file its reader cannot parse at all (a damaged workbook)
        logger.warning("school table %s unreadable: %r", path, exc)
        raise InputError(f"{shown_as}: the school table cannot be read ({type(exc).__name__}); "
                         "check that it opens in Excel or QGIS, then upload it again") from None


@router.get("/studies/{study_id}")
def study_page(request: Request, study_id: int):
    app = state(request)
    study = app.store.study(study_id)
    return page(request, "study.html", study=study, runs=app.store.runs(study_id), proposals=app.store.proposals(study_id),
                versions=app.store.study_versions(study_id), rule_options=RULE_OPTIONS, solve_options=SOLVE_OPTIONS,
                locks_option=LOCKS_OPTION)


@router.get("/studies/{study_id}/state")
def study_state(request: Request, study_id: int):
    return JSONResponse({"state": state(request).store.study(study_id)["state"]})


@router.get("/lang/{lang}")
def choose_language(request: Request, lang: str, next: str = "/"):
    if lang not in LANGUAGES:
        lang = language(request)
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE_S, samesite="lax", path="/")
    return response
