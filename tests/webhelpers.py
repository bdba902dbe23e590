"""Helpers shared by the web application's tests: the rules form as a browser fills it, CSRF tokens, waiting for runs."""

from __future__ import annotations

import re
from html import unescape

from partition.ruleoptions import RULE_OPTIONS, SOLVE_OPTIONS
from web.security import CSRF_COOKIE

#: A short solve: the demo county solves in a few seconds; the limit keeps a loaded machine from waiting long.
SHORT_TIME_LIMIT = "5"


def rules_form(**changes: str) -> dict[str, str]:
    """The rules form with every field at its default (switches off), then ``changes``."""
    fields = {o.name: o.text(o.default) for o in (*RULE_OPTIONS, *SOLVE_OPTIONS) if not o.switch}
    fields["time_limit"] = SHORT_TIME_LIMIT
    fields.update(changes)
    return fields


def csrf(client) -> str:
    """The browser's CSRF token (a page is fetched first when it has none)."""
    if CSRF_COOKIE not in client.cookies:
        client.get("/")
    return client.cookies[CSRF_COOKIE]


def page_text(page: str) -> str:
    """A page's visible text: tags removed, entities read, spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))
