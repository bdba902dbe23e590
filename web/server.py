"""The FastAPI application: its state, pages, error pages and safety middleware; :func:`serve` runs it.

``create_app(data_dir)`` opens (or makes) ``data_dir/xuequ.sqlite``, marks the runs a stopped server
left unfinished, reads again the studies it left half read, and returns the application. Every bad
request gets an error page (or, for a script, a JSON error) in the person's language; a traceback
only ever reaches the server's log.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gis.errors import InputError
from maps.assets import leaflet_inline_css, leaflet_inline_js
from partition.solve import available_cores

from .i18n import language, translator
from .pages import PACKAGE, AppState, error_page
from .routes import compare, files, proposals, runs, studies
from .runs import INTERNAL_ERROR, INTERRUPTED, Runner
from .security import PAGE_CSP, SECURITY_HEADERS, BodyLimit, BodyTooLarge, CsrfError
from .settings import DEFAULT_HOST, DEFAULT_PORT
from .store import NameTaken, RunBusy, Store, StoreError
from .studies import StudyInputs

__all__ = ["create_app", "serve"]

logger = logging.getLogger(__name__)

#: Errors answered with a status and a message (a key of :data:`web.i18n.MESSAGES`); the subclasses first.
ERROR_ANSWERS = {RunBusy: (409, "run_busy"), NameTaken: (400, "name_taken"), StoreError: (404, "not_found"), CsrfError: (403, "csrf")}
#: Seconds a stopping server waits for open connections (progress streams) before closing them.
GRACEFUL_SHUTDOWN_S = 3


def create_app(data_dir: str | Path, *, workers: int | None = None) -> FastAPI:
    """The web application keeping its state in ``data_dir``."""
    store = Store(data_dir)
    interrupted = store.interrupt_active_runs(INTERRUPTED)
    if interrupted:
        logger.warning("runs %s were left unfinished by a stopped server", interrupted)
    inputs = StudyInputs(store)
    runner = Runner(store, inputs, jobs=available_cores(), **({"workers": workers} if workers else {}))
    for study in store.studies():
        if study["state"] == "reading":
            runner.read_study(study["id"])
    app = FastAPI(title="学区", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.xuequ = AppState(store, inputs, runner)
    _add_error_pages(app)
    for module in (studies, runs, proposals, compare, files):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")
    app.add_api_route("/assets/leaflet.js", _leaflet_js, methods=["GET"], include_in_schema=False)
    app.add_api_route("/assets/leaflet.css", _leaflet_css, methods=["GET"], include_in_schema=False)
    app.add_middleware(_SecurityHeaders)
    app.add_middleware(BodyLimit, refusal=_refusal)
    return app


def _leaflet_js() -> Response:
    return Response(leaflet_inline_js(), media_type="text/javascript; charset=utf-8")


def _leaflet_css() -> Response:
    return Response(leaflet_inline_css(), media_type="text/css; charset=utf-8")


def _refusal(scope: Scope, limit: int) -> ASGIApp:
    request = Request(scope)
    return error_page(request, 413, translator(language(request))("too_large", mb=limit // (1024 * 1024)))


def _add_error_pages(app: FastAPI) -> None:
    def t(request: Request):
        return translator(language(request))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else t(request)("not_found")
        return error_page(request, exc.status_code, str(message))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):  # /runs/abc: no such page
            return error_page(request, 404, t(request)("not_found"))
        fields = sorted({str(error["loc"][-1]) for error in exc.errors() if error.get("loc")})
        return error_page(request, 400, t(request)("bad_fields", fields=", ".join(fields)))

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> Response:
        return error_page(request, 400, str(exc))

    def answer(status: int, key: str):
        async def handler(request: Request, exc: Exception) -> Response:
            return error_page(request, status, t(request)(key))
        return handler

    for error, (status, key) in ERROR_ANSWERS.items():
        app.add_exception_handler(error, answer(status, key))

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> Response:
        return error_page(request, 413, t(request)("too_large", mb=exc.limit // (1024 * 1024)))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_page(request, 500, INTERNAL_ERROR)


class _SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response, and :data:`PAGE_CSP` unless it set its own policy."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = {**SECURITY_HEADERS, "content-security-policy": PAGE_CSP}
                headers += [(k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def serve(*, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, data_dir: str | Path) -> None:
    """Run the application under uvicorn until interrupted."""
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_app(data_dir), host=host, port=port, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
                log_level="info")
