"""A plan's files: downloads by a fixed list of names (never a path from the request), and the map's layers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.exceptions import HTTPException

from ..pages import state
from ..plans import map_layers
from ..security import FILE_CSP

__all__ = ["router", "DOWNLOADS"]

router = APIRouter()

#: The files a plan folder may hand out: name -> (media type, shown in the browser rather than saved).
DOWNLOADS = {
    "map.html": ("text/html; charset=utf-8", True),
    "report.html": ("text/html; charset=utf-8", True),
    "districts.geojson": ("application/geo+json", False),
    "schools.geojson": ("application/geo+json", False),
    "plan.csv": ("text/csv; charset=utf-8", False),
    "plan.json": ("application/json", False),
}


def _plan_folder(request: Request, kind: str, item_id: int):
    store = state(request).store
    row = store.run(item_id) if kind == "runs" else store.version(item_id)
    if not row.get("folder"):
        raise HTTPException(404)
    return store.path(row["folder"]), f"xuequ-{kind[:-1]}-{item_id}"


def _file_response(folder, stem: str, name: str) -> FileResponse:
    if name not in DOWNLOADS or not (folder / name).is_file():
        raise HTTPException(404)
    media_type, inline = DOWNLOADS[name]
    headers = {"content-security-policy": FILE_CSP}
    return FileResponse(folder / name, media_type=media_type, headers=headers,
                        filename=None if inline else f"{stem}-{name}", content_disposition_type="inline" if inline else "attachment")


@router.get("/runs/{item_id}/files/{name}")
def run_file(request: Request, item_id: int, name: str):
    folder, stem = _plan_folder(request, "runs", item_id)
    return _file_response(folder, stem, name)


@router.get("/versions/{item_id}/files/{name}")
def version_file(request: Request, item_id: int, name: str):
    folder, stem = _plan_folder(request, "versions", item_id)
    return _file_response(folder, stem, name)


@router.get("/runs/{item_id}/layers")
def run_layers(request: Request, item_id: int):
    return JSONResponse(map_layers(_plan_folder(request, "runs", item_id)[0]))


@router.get("/versions/{item_id}/layers")
def version_layers(request: Request, item_id: int):
    return JSONResponse(map_layers(_plan_folder(request, "versions", item_id)[0]))
