"""Rendering: pages from the Jinja2 templates in the person's language, error pages, the application's state."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from gis.schema import INDICATOR_LABELS_ZH, LEVEL_LABELS_ZH
from partition.plan import STUDENT_MINUTES
from partition.ruleoptions import RULE_OPTIONS, option_values

from .i18n import language, translator
from .plans import DOWNLOAD_WORDS
from .runs import Runner
from .security import csrf_token, set_csrf_cookie
from .store import Store
from .studies import StudyInputs

__all__ = ["AppState", "state", "page", "fragment", "error_page", "templates", "PACKAGE"]

PACKAGE = Path(__file__).parent


def _datetime(seconds: float | None) -> str:
    return "" if seconds is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def _number(value) -> str:
    return "" if _missing(value) else f"{value:,.0f}"


def _percent(value) -> str:
    return "—" if _missing(value) else f"{value:.2%}"


def _signed_percent(value) -> str:
    return "—" if _missing(value) else f"{value:+.1%}"


def _minutes(value) -> str:
    return "—" if _missing(value) else f"{value:.1f}"


def _figure(value) -> str:
    """A figure of a comparison: whole numbers without decimals, large ones with one, small ones with three."""
    if _missing(value):
        return "—"
    value = float(value)
    if value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3f}"


def _blank(value) -> str:
    """A value as text, nothing for a missing one."""
    return "" if _missing(value) else str(value)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _level_name(level: str, lang: str) -> str:
    return LEVEL_LABELS_ZH.get(level, level) if lang == "zh" else level.replace("_", "-")


def _indicator_name(indicator: str, lang: str) -> str:
    return INDICATOR_LABELS_ZH.get(indicator, indicator) if lang == "zh" else indicator


templates = Jinja2Templates(directory=PACKAGE / "templates")
templates.env.filters.update(datetime=_datetime, number=_number, percent=_percent, signed_percent=_signed_percent,
                             minutes=_minutes, figure=_figure, blank=_blank, level_name=_level_name, indicator_name=_indicator_name)
templates.env.globals.update(rule_options=RULE_OPTIONS, option_values=option_values, download_words=DOWNLOAD_WORDS,
                             student_minutes_key=STUDENT_MINUTES)


@dataclass(frozen=True, eq=False)
class AppState:
    """What every request handler reaches through ``request.app.state.xuequ``."""

    store: Store
    inputs: StudyInputs
    runner: Runner


def state(request: Request) -> AppState:
    """The application's store, study inputs and runner."""
    return request.app.state.xuequ


def page(request: Request, name: str, *, status_code: int = 200, **context) -> HTMLResponse:
    """A page from template ``name`` in the person's language, with the CSRF token for its forms."""
    lang = language(request)
    values = {"t": translator(lang), "lang": lang, "csrf": csrf_token(request), "path": request.url.path, **context}
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    set_csrf_cookie(request, response)
    return response


def fragment(request: Request, name: str, **context) -> str:
    """A part of a page (template ``name``) as HTML text, in the person's language, for a script to put in place."""
    lang = language(request)
    return templates.get_template(name).render(t=translator(lang), lang=lang, **context)


def error_page(request: Request, status_code: int, message: str) -> Response:
    """The error page (or ``{"error": message}`` for a script that asked for JSON)."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": message}, status_code=status_code)
    return page(request, "error.html", status_code=status_code, status=status_code, message=message)
