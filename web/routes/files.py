"""A plan's files: downloads by a fixed list of names (never a path from the request), and the map's layers.

The files :func:`maps.write_plan_files` wrote are handed out as they are; the school list per 学区
(学区内学校名单, CSV or XLSX) is exported from the plan folder (:func:`partition.export_plan`) the first
time it is asked for.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.exceptions import HTTPException

from partition.export import export_plan
from partition.tables import read_plan_folder

from ..pages import state
from ..plans import SCHOOL_LISTS, downloadable, map_layers
from ..security import FILE_CSP

__all__ = ["router", "MEDIA_TYPES"]

router = APIRouter()

#: Media type of each kind of file a plan folder hands out.
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8", ".geojson": "application/geo+json", ".csv": "text/csv; charset=utf-8",
    ".json": "application/json", ".gpkg": "application/geopackage+sqlite3", ".png": "image/png", ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _plan_folder(request: Request, kind: str, item_id: int):
    store = state(request).store
    row = store.run(item_id) if kind == "runs" else store.version(item_id)
    if not row.get("folder"):
        raise HTTPException(404)
    return store.path(row["folder"]), f"xuequ-{kind[:-1]}-{item_id}"


def _file_response(request: Request, kind: str, item_id: int, name: str) -> FileResponse:
    folder, stem = _plan_folder(request, kind, item_id)
    if name not in downloadable(folder):
        raise HTTPException(404)
    path = folder / name
    if name in SCHOOL_LISTS and not path.is_file():
        export_plan(read_plan_folder(folder), SCHOOL_LISTS[name], path)
    suffix = path.suffix
    inline = suffix == ".html"
    return FileResponse(path, media_type=MEDIA_TYPES[suffix], headers={"content-security-policy": FILE_CSP},
                        filename=None if inline else f"{stem}-{name}", content_disposition_type="inline" if inline else "attachment")


@router.get("/runs/{item_id}/files/{name}")
def run_file(request: Request, item_id: int, name: str):
    return _file_response(request, "runs", item_id, name)


@router.get("/versions/{item_id}/files/{name}")
def version_file(request: Request, item_id: int, name: str):
    return _file_response(request, "versions", item_id, name)


@router.get("/runs/{item_id}/layers")
def run_layers(request: Request, item_id: int):
    return JSONResponse(map_layers(_plan_folder(request, "runs", item_id)[0]))


@router.get("/versions/{item_id}/layers")
def version_layers(request: Request, item_id: int):
    return JSONResponse(map_layers(_plan_folder(request, "versions", item_id)[0]))
