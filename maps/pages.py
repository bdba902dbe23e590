"""HTML pages from the Jinja templates in ``maps/templates``: one environment, every data value escaped."""

from __future__ import annotations

import jinja2
import pandas as pd

__all__ = ["render_page", "table_rows"]

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("maps", "templates"),
    autoescape=True,  # every name from the data is escaped
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def render_page(template: str, **context) -> str:
    """Render ``maps/templates/<template>`` with ``context`` as standalone HTML."""
    return _TEMPLATES.get_template(template).render(**context)


def table_rows(table: pd.DataFrame) -> list[dict]:
    """A table's rows as dicts, ``None`` where a value is missing (so a template's tests read it plainly)."""
    return table.astype(object).where(table.notna(), None).to_dict("records")
