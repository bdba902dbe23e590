"""sweep.html: the trade-off charts of a sweep and its table, in one page that opens offline.

Two charts (student-minutes and the longest trip against the travel limit, or the first swept
rule), one line per value of the other swept rules; the Pareto-efficient plans are marked, and a
strip under each chart marks the combinations without a plan. Drawn with plotly; plotly.js is
inlined once, so the page needs no network.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from gis.files import write_text_atomic
from partition.explain import INFEASIBLE
from partition.plan import PLAN_STATUSES

from .pages import render_page, table_rows
from .render import PALETTE

__all__ = ["render_sweep_page", "save_sweep_page", "CHARTS", "X_PREFERRED"]

#: The charts: the column drawn and its axis title.
CHARTS = (("student_minutes", "学生·分钟 student-minutes"), ("longest_trip_min", "最长通勤 longest trip (min)"))
#: The swept rule on the x axis when it is swept; else the first swept rule.
X_PREFERRED = "max_minutes"
#: Labels of the rules on axes, legends and table headings.
RULE_LABELS = {
    "max_minutes": "通勤时限 travel limit (min)", "balance": "规模均衡 balance (±)", "members": "成员校数 members",
    "min_rural": "城乡联建 min rural", "indicator_band": "资源均衡 indicator band", "cores": "核心校 cores",
    "level": "学段 level", "objective": "目标 objective",
}
NO_PLAN_COLOR = "#b00020"
PARETO_COLOR = "#1b5e20"
CHART_HEIGHT_PX = 440
HOVER_REASON_CHARS = 160


def render_sweep_page(table: pd.DataFrame, *, swept: Sequence[str], title: str, notice: str | None = None) -> str:
    """The page of a sweep's table (:func:`batch.tables.sweep_table` with its ``pareto`` column)."""
    rows = table_rows(table)
    x = X_PREFERRED if X_PREFERRED in swept else swept[0]
    lines = [name for name in swept if name != x]
    charts = [_chart_html(table, x, lines, column, label) for column, label in CHARTS]
    planned, infeasible = table["status"].isin(PLAN_STATUSES), table["status"] == INFEASIBLE
    counts = {"planned": int(planned.sum()), "infeasible": int(infeasible.sum()), "failed": int((~planned & ~infeasible).sum()),
              "pareto": int(table["pareto"].sum())}
    return render_page(
        "sweep.html.j2", title=f"{title} — 规则比较 sweep", notice=notice, rows=rows, swept=list(swept),
        swept_labels=[RULE_LABELS.get(name, name) for name in swept], charts=charts, counts=counts, plotly_js=get_plotlyjs(),
        answered=(*PLAN_STATUSES, INFEASIBLE),
    )


def save_sweep_page(table: pd.DataFrame, path: str | Path, **options) -> Path:
    """Write :func:`render_sweep_page` atomically."""
    return write_text_atomic(path, render_sweep_page(table, **options))


def _chart_html(table: pd.DataFrame, x: str, lines: list[str], column: str, label: str) -> str:
    """One chart: a line per group of the other swept rules, Pareto plans marked, a strip for no plan."""
    groups = _group_labels(table, lines)
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.84, 0.16], vertical_spacing=0.05)
    planned = table["status"].isin(PLAN_STATUSES)
    for k, group in enumerate(dict.fromkeys(groups)):
        rows = table[planned & (groups == group)].sort_values(x)
        figure.add_trace(go.Scatter(
            x=rows[x], y=rows[column], name=group, mode="lines+markers", legendgroup=group,
            line={"color": PALETTE[k % len(PALETTE)]}, marker={"size": 8},
            hovertext=[_hover(row, x, lines, column) for _, row in rows.iterrows()], hoverinfo="text",
        ), row=1, col=1)
    pareto = table[planned & table["pareto"]]
    figure.add_trace(go.Scatter(
        x=pareto[x], y=pareto[column], name="◆ Pareto-efficient", mode="markers", hoverinfo="skip",
        marker={"symbol": "diamond-open", "size": 17, "line": {"width": 2.5, "color": PARETO_COLOR}},
    ), row=1, col=1)
    missing = table[~planned]
    figure.add_trace(go.Scatter(
        x=missing[x], y=groups[~planned], name="✕ no plan", mode="markers",
        marker={"symbol": "x", "size": 11, "color": NO_PLAN_COLOR},
        hovertext=[_hover(row, x, lines, column) for _, row in missing.iterrows()], hoverinfo="text",
    ), row=2, col=1)
    figure.update_yaxes(title_text=label, row=1, col=1)
    figure.update_yaxes(title_text="无方案 no plan", type="category", categoryorder="array",
                        categoryarray=list(dict.fromkeys(groups)), row=2, col=1)
    figure.update_xaxes(title_text=RULE_LABELS.get(x, x), row=2, col=1)
    if table[x].map(lambda v: isinstance(v, str)).any():
        figure.update_xaxes(type="category")
    figure.update_layout(height=CHART_HEIGHT_PX, margin={"l": 70, "r": 20, "t": 30, "b": 50}, template="plotly_white",
                         legend={"title": {"text": " · ".join(RULE_LABELS.get(n, n) for n in lines)}})
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{column}",
                          config={"displaylogo": False, "responsive": True})


def _group_labels(table: pd.DataFrame, lines: list[str]) -> pd.Series:
    """Each row's line: the values of the swept rules other than the x axis's."""
    if not lines:
        return pd.Series("plans", index=table.index)
    return table[lines].apply(lambda row: ", ".join(f"{name}={row[name]}" for name in lines), axis=1)


def _hover(row: pd.Series, x: str, lines: list[str], column: str) -> str:
    """A point's hover text: its values and figures, each line escaped (a reason names schools)."""
    parts = [", ".join(f"{name}={row[name]}" for name in [x, *lines])]
    if row["status"] in PLAN_STATUSES:
        parts += [f"{row['status']}, gap {row['gap']:.4%}", f"{column} {row[column]:,.1f}", str(row["folder"])]
    else:
        reason = str(row["reason"] or "")
        parts.append(f"{row['status']}: {reason[:HOVER_REASON_CHARS]}{'…' if len(reason) > HOVER_REASON_CHARS else ''}")
    return "<br>".join(html.escape(part) for part in parts)
