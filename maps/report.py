"""report.html: the rules, the solver's status, one row per 学区, the balance standards, the school list."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pandas as pd

from gis.files import write_text_atomic
from gis.schema import LEVEL_LABELS_ZH
from partition.plan import STUDENT_MINUTES, STUDENT_MINUTES_LABEL
from partition.standards import STANDARDS

__all__ = ["render_report", "save_report", "VERDICT_LABELS", "NAMING_LABELS"]

#: How the report words a standard's verdict for one level.
VERDICT_LABELS = {"pass": "达标 pass", "fail": "未达标 fail", "incomplete": "无法判定 incomplete"}
#: How the report words each naming scheme.
NAMING_LABELS = {"core": "after the core school (X学区)", "direction": "by direction from the county seat (小东学区)",
                 "number": "by number (第一学区)"}

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("maps", "templates"),
    autoescape=True,  # every name from the data is escaped
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def render_report(
    *,
    title: str,
    plan: dict,
    districts: pd.DataFrame,
    schools: pd.DataFrame,
    cv_table: pd.DataFrame,
    standards: pd.DataFrame,
    between_cv: pd.DataFrame,
    notice: str | None = None,
    violations: list[dict] = (),
    rule_labels: dict[str, str] | None = None,
) -> str:
    """Render the report as standalone HTML.

    ``plan`` is the plan's summary (what plan.json holds); ``districts`` comes from
    :func:`partition.metrics.district_summary` joined with the names, ``cv_table`` from
    :func:`partition.metrics.indicator_cv_table`, ``standards`` from
    :func:`partition.metrics.standard_verdicts` and ``between_cv`` from
    :func:`partition.metrics.between_district_cv`; ``violations`` are the rules the plan breaks
    (:class:`partition.violations.Violation` as dicts, with ``school`` and ``district_name``),
    listed at the top, ``rule_labels`` their rules' names.
    """
    return _TEMPLATES.get_template("report.html.j2").render(
        title=title,
        notice=notice,
        rules=plan["rules"],
        plan=plan,
        minutes_key=STUDENT_MINUTES,
        minutes_label=STUDENT_MINUTES_LABEL,
        districts=districts.to_dict("records"),
        schools=schools.sort_values(["district", "is_core", "school_id"], ascending=[True, False, True]).to_dict("records"),
        standards=_standard_sections(cv_table, standards, between_cv),
        standard_headers=[list(standard.labels.values()) for standard in STANDARDS],
        verdict_labels=VERDICT_LABELS,
        naming_labels=NAMING_LABELS,
        level_labels=LEVEL_LABELS_ZH,
        violations=list(violations),
        rule_labels=rule_labels or {},
    )


def _standard_sections(cv_table: pd.DataFrame, verdicts: pd.DataFrame, between_cv: pd.DataFrame) -> list[dict]:
    """One section per standard the table has indicators of: its rows per indicator (None where
    the table lacks it) and its verdict per level."""
    between = {(row.level, row.indicator): row.cv for row in between_cv.itertuples()}
    sections = []
    for standard in STANDARDS:
        judged = verdicts[verdicts["standard"] == standard.key]
        if judged.empty:
            continue
        levels = list(judged["level"])
        cvs = cv_table[cv_table["standard"] == standard.key]
        cv = {(row.level, row.indicator): row.cv for row in cvs.itertuples() if pd.notna(row.cv)}
        rows = [
            {"label": label, "cv": {level: cv.get((level, i)) for level in levels},
             "between": {level: _number_or_none(between.get((level, i))) for level in levels}}
            for i, label in standard.labels.items()
        ]
        missing = [standard.labels[i] for i in standard.indicators if all(i in v.missing for v in judged.itertuples())]
        sections.append({
            "key": standard.key, "name": standard.name, "document": standard.document, "levels": levels,
            "limits": standard.cv_limits, "rows": rows, "missing": missing,
            "verdicts": {v.level: {"verdict": v.verdict, "missing": v.missing, "failing": v.failing} for v in judged.itertuples()},
        })
    return sections


def _number_or_none(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def save_report(html: str, path: str | Path) -> Path:
    """Write the report atomically."""
    return write_text_atomic(path, html)
