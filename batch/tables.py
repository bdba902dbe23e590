"""The tables of sweeps and batches: one row per combination or county, the Pareto-efficient choices, CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from partition.explain import INFEASIBLE
from partition.plan import PLAN_STATUSES

from .grid import Cell, format_value

__all__ = ["Summary", "sweep_table", "county_table", "pareto_efficient", "FIGURE_COLUMNS", "PARETO_CRITERIA",
           "SWEEP_TABLE", "SUMMARY_TABLE", "is_batch_folder"]

#: The figures of a plan, in the order the tables give them (see :func:`batch.tasks.plan_figures`).
FIGURE_COLUMNS = ("status", "gap", "student_minutes", "longest_trip_min", "mean_trip_min", "max_deviation",
                  "between_cv_max", "cv_pass", "districts", "schools", "unassigned")
#: Why a combination or county has no plan, and the smallest travel limit that has one.
FAILURE_COLUMNS = ("reason", "smallest_feasible_limit")
#: What a planner wants small; a choice is Pareto-efficient when no other is at least as good in all
#: of these and better in one.
PARETO_CRITERIA = ("student_minutes", "longest_trip_min", "max_deviation")
#: The tables a sweep and a batch write at the top of their folder.
SWEEP_TABLE, SUMMARY_TABLE = "sweep.csv", "summary.csv"


@dataclass(frozen=True)
class Summary:
    """What a sweep or a batch found: one row per combination or county (``table``), the files written by name."""

    table: pd.DataFrame
    files: dict[str, Path]

    @property
    def without_plan(self) -> pd.DataFrame:
        """The rows without a plan, whatever the reason."""
        return self.table[self.table["folder"].isna()]

    @property
    def failed(self) -> pd.DataFrame:
        """The rows neither planned nor shown to have no plan: input or rules that could not be used, tasks that failed."""
        return self.table[~self.table["status"].isin((*PLAN_STATUSES, INFEASIBLE))]


def sweep_table(cells: Sequence[Cell], rows: Sequence[dict]) -> pd.DataFrame:
    """sweep.csv: the swept values of each combination, its figures and its plan ``folder``."""
    values = [{name: _cell_value(value) for name, value in cell.values} for cell in cells]
    return pd.concat([pd.DataFrame(values, index=range(len(cells))), _figures(rows)], axis=1)


def county_table(names: Sequence[str], rows: Sequence[dict]) -> pd.DataFrame:
    """summary.csv: each county's figures, its folder and the warnings its files raised."""
    table = _figures(rows, extra=("warnings",))
    table.insert(0, "county", list(names))
    return table


def pareto_efficient(table: pd.DataFrame, criteria: Sequence[str] = PARETO_CRITERIA) -> np.ndarray:
    """Which rows are planned choices no other planned row beats: at least as small in every
    criterion and smaller in one (equal rows are all efficient)."""
    planned = table["status"].isin(PLAN_STATUSES).to_numpy()
    scores = table.loc[:, list(criteria)].to_numpy(float)
    efficient = planned.copy()
    for k in np.flatnonzero(planned):
        others = scores[planned]
        beaten = (others <= scores[k]).all(axis=1) & (others < scores[k]).any(axis=1)
        efficient[k] = not beaten.any()
    return efficient


def _figures(rows: Sequence[dict], extra: Sequence[str] = ()) -> pd.DataFrame:
    """The rows' figures in the tables' columns (empty where a row has none); no column of objects."""
    columns = [*FIGURE_COLUMNS, *FAILURE_COLUMNS, "folder", *extra]
    return pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns, index=range(len(rows)))


def _cell_value(value: object) -> object:
    """A swept value as a table holds it: numbers and words as they are, ranges and pairs as written."""
    return value if isinstance(value, (int, float, str)) else format_value(value)


def is_batch_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds a sweep's or a batch's table (so a new run may replace its files)."""
    return any((Path(folder) / name).is_file() for name in (SWEEP_TABLE, SUMMARY_TABLE))
