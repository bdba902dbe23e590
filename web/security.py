"""The safety layer: CSRF tokens, request size limits and the headers every response carries.

CSRF: each browser gets a random token in a cookie (``SameSite=Strict``, not readable by scripts);
every form carries it in a hidden field and every script request in the ``X-CSRF-Token`` header,
and a request that changes anything is refused unless the two match (the double-submit pattern).
Size: a request body larger than its route allows is cut off while it arrives, before any of it
is parsed (:class:`BodyLimit`).
"""

from __future__ import annotations

import hmac
import re
import secrets

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .uploads import MIB, OSM_UPLOAD, RULES_UPLOAD, TABLE_UPLOAD

__all__ = [
    "CSRF_COOKIE", "CSRF_FIELD", "CSRF_HEADER", "CsrfError", "BodyTooLarge", "BodyLimit", "csrf_token", "check_csrf",
    "set_csrf_cookie", "body_limit", "SECURITY_HEADERS", "PAGE_CSP", "FILE_CSP", "UPLOAD_PATHS", "MAX_FORM_BYTES",
]

CSRF_COOKIE = "xuequ_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
TOKEN_BYTES = 32
#: Largest body of an ordinary form or script request.
MAX_FORM_BYTES = 1 * MIB
#: Routes that take file uploads, and the largest body each may send (its files and a little form).
UPLOAD_PATHS = {
    re.compile(r"/studies/upload"): OSM_UPLOAD.max_bytes + TABLE_UPLOAD.max_bytes + MAX_FORM_BYTES,
    re.compile(r"/studies/\d+/runs"): RULES_UPLOAD.max_bytes + MAX_FORM_BYTES,
}
#: What our own pages may load: only this server's scripts and styles, images inline or from here.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            "connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'")
#: A plan's own HTML files (the offline map, the report) carry their scripts inline and load nothing else. The
#: measure tool's templates are compiled with ``Function`` ('unsafe-eval'), so the files run sandboxed in an
#: origin of their own: they cannot reach this server's cookies or pages.
FILE_CSP = ("sandbox allow-scripts allow-popups allow-downloads; default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
            "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; frame-ancestors 'self'; base-uri 'none'; "
            "form-action 'none'")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "SAMEORIGIN",
    "cross-origin-opener-policy": "same-origin",
}


class CsrfError(PermissionError):
    """A request that changes something came without the page's token."""


class BodyTooLarge(ValueError):
    """A request body larger than its route allows."""

    def __init__(self, limit: int):
        super().__init__(f"the request is larger than {limit // MIB} MB")
        self.limit = limit


def csrf_token(request: Request) -> str:
    """The browser's CSRF token (a new one when it has none; :func:`set_csrf_cookie` sends it)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) < TOKEN_BYTES:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(TOKEN_BYTES)
        request.state.new_csrf = token
    return token


def set_csrf_cookie(request: Request, response) -> None:
    """Send the token :func:`csrf_token` made for this request, if it made one."""
    token = getattr(request.state, "new_csrf", None)
    if token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")


def check_csrf(request: Request, sent: str | None) -> None:
    """Raise :class:`CsrfError` unless ``sent`` (a form field or header) matches the browser's cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise CsrfError("the form is out of date or came from another site; reload the page and try again")


class BodyLimit:
    """ASGI middleware: a body larger than its route's limit is refused as it arrives.

    A ``Content-Length`` above the limit is refused before anything is read; a body without one
    (chunked) is counted and cut off at the limit, and whatever the application would have answered
    is replaced by the refusal. ``refusal(scope, limit)`` is the ASGI response to send.
    """

    def __init__(self, app: ASGIApp, refusal):
        self.app = app
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self.refusal(scope, limit)(scope, receive, send)
            return
        received, exceeded, started = 0, False, False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the application's answer to a body cut off: replaced below
            started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self.refusal(scope, limit)(scope, receive, send)


def body_limit(path: str) -> int:
    """The largest request body the route at ``path`` takes."""
    return next((limit for pattern, limit in UPLOAD_PATHS.items() if pattern.fullmatch(path)), MAX_FORM_BYTES)
