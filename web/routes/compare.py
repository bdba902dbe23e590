"""Comparing two or more saved versions: :func:`partition.compare_plans` and the comparison page of :mod:`maps.compare`."""

from __future__ import annotations

import re

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.exceptions import HTTPException

from gis.errors import InputError
from maps.compare import COMPARE_FILES, write_compare_files
from partition.compare import Comparison, compare_plans
from partition.tables import read_plan_folder

from ..i18n import language, translator
from ..pages import page, state
from ..security import FILE_CSP
from ..store import Store, StoreError
from .studies import study_folder

__all__ = ["router", "compare_versions", "version_name", "MAX_COMPARED"]

router = APIRouter()
#: Most versions one comparison takes.
MAX_COMPARED = 8
#: A comparison's key: the ids of its versions, in the order chosen (``3-7``).
_KEY = re.compile(r"\d+(?:-\d+)+")


def version_name(version: dict) -> str:
    """How a version is named in a comparison: ``<proposal> v<number>``."""
    return f"{version['proposal_name']} v{version['number']}"


def compare_versions(store: Store, versions: list[dict]) -> Comparison:
    """The comparison of the versions (the first the reference), read from their folders."""
    tables = [read_plan_folder(store.path(v["folder"]), name=version_name(v)) for v in versions]
    return compare_plans(tables)


def _study_versions(store: Store, study_id: int, ids: list[int], t) -> list[dict]:
    known = {v["id"]: v for v in store.study_versions(study_id)}
    if len(ids) < 2 or len(ids) > MAX_COMPARED or len(set(ids)) != len(ids):
        raise InputError(t("compare_pick"))
    if any(i not in known for i in ids):
        raise StoreError("no such version in this study")
    return [known[i] for i in ids]


def _folder(study_id: int, key: str) -> str:
    return f"{study_folder(study_id)}/compare/{key}"


@router.get("/studies/{study_id}/compare")
def compare_page(request: Request, study_id: int, v: list[int] = Query(default=[])):
    t = translator(language(request))
    store = state(request).store
    study = store.study(study_id)
    versions = _study_versions(store, study_id, v, t)
    comparison = compare_versions(store, versions)
    key = "-".join(str(i) for i in v)
    write_compare_files(comparison, store.path(_folder(study_id, key)))
    table = comparison.figure_table()
    return page(request, "compare.html", study=study, versions=versions, names=comparison.names,
                figures=table.to_dict("records"), pairs=comparison.pairs, moves=comparison.moves.to_dict("records"),
                files=[f"/studies/{study_id}/compare/{key}/files/{name}" for name in COMPARE_FILES])


@router.get("/studies/{study_id}/compare/{key}/files/{name}")
def compare_file(request: Request, study_id: int, key: str, name: str):
    store = state(request).store
    store.study(study_id)
    path = store.path(_folder(study_id, key)) / name
    if not _KEY.fullmatch(key) or name not in COMPARE_FILES or not path.is_file():
        raise HTTPException(404)
    inline = name.endswith(".html")
    return FileResponse(path, headers={"content-security-policy": FILE_CSP}, filename=None if inline else f"xuequ-compare-{key}-{name}",
                        content_disposition_type="inline" if inline else "attachment")
