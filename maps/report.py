"""report.html: the rules, the solver's status, one row per 学区 and the 差异系数 table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gis.files import write_text_atomic
from gis.schema import INDICATOR_LABELS_ZH, LEVEL_LABELS_ZH

from .pages import render_page

__all__ = ["render_report", "save_report"]


def render_report(
    *,
    title: str,
    plan: dict,
    districts: pd.DataFrame,
    schools: pd.DataFrame,
    cv_table: pd.DataFrame,
    between_cv: pd.DataFrame,
    cv_limits: dict[str, float],
    notice: str | None = None,
) -> str:
    """Render the report as standalone HTML.

    ``plan`` is the plan's summary (what plan.json holds); ``districts`` comes from
    :func:`partition.metrics.district_summary` joined with the names, ``cv_table`` from
    :func:`partition.metrics.indicator_cv_table` and ``between_cv`` from
    :func:`partition.metrics.between_district_cv`.
    """
    cv_rows, cv_levels = _cv_rows(cv_table, between_cv)
    return render_page(
        "report.html.j2",
        title=title,
        notice=notice,
        rules=plan["rules"],
        plan=plan,
        districts=districts.to_dict("records"),
        schools=schools.sort_values(["district", "is_core", "school_id"], ascending=[True, False, True]).to_dict("records"),
        cv_rows=cv_rows,
        cv_levels=cv_levels,
        cv_limits=cv_limits,
        level_labels=LEVEL_LABELS_ZH,
    )


def _cv_rows(cv_table: pd.DataFrame, between_cv: pd.DataFrame) -> tuple[list[dict], list[str]]:
    """One row per indicator: the county CV and the between-学区 CV of each level."""
    if cv_table.empty:
        return [], []
    wide = cv_table.pivot(index="indicator", columns="level", values="cv")
    between = between_cv.pivot(index="indicator", columns="level", values="cv").add_prefix("between_")
    wide = wide.join(between)
    rows = [{"label": INDICATOR_LABELS_ZH[i], **wide.loc[i].to_dict()} for i in INDICATOR_LABELS_ZH if i in wide.index]
    return rows, [level for level in ("primary", "junior") if level in wide.columns]


def save_report(html: str, path: str | Path) -> Path:
    """Write the report atomically."""
    return write_text_atomic(path, html)
