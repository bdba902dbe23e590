"""Comparing 学区 plans: their figures side by side, the schools that change 学区, how alike they are.

Plans are compared through their tables (:class:`~partition.tables.PlanTables`), so a plan just
made and a plan folder written earlier compare alike. 学区 are matched by the schools they share,
never by their keys (D01 of one plan is not D01 of another): each 学区 of a later plan is paired
with the 学区 of the first plan it shares most schools with, one to one (the assignment problem,
solved exactly). A school moves when its 学区 in the later plan is not the partner of its 学区 in
the first. Schools in only one of two plans are listed, never dropped.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from gis.schema import INDICATOR_LABELS_ZH, LEVEL_LABELS_ZH

from .metrics import LEVEL_GROUPS, between_district_cv, district_costs, district_summary, indicator_cv_table
from .pipeline import Result
from .plan import STUDENT_MINUTES, STUDENT_MINUTES_LABEL
from .tables import PlanTables, plan_tables, read_plan_folder

__all__ = ["Comparison", "compare_plans", "match_districts", "plan_figures", "FIGURES", "MOVE_COLUMNS"]

#: Columns of moves.csv.
MOVE_COLUMNS = ["school_id", "name", "plan", "from_district", "to_district"]
#: The figures compared: key -> (label, which value is best: "lower", or "" when neither is).
FIGURES = {
    "n_districts": ("学区数 districts", ""),
    "n_schools": ("学校数 schools in a 学区", ""),
    "n_unassigned": ("未分配 schools left out", "lower"),
    "violations": ("违反规则 rules broken", "lower"),
    STUDENT_MINUTES: (f"学生·分钟 {STUDENT_MINUTES_LABEL}", "lower"),
    "longest_trip": ("最长通勤 longest trip, the longer direction (min)", "lower"),
    "mean_trip": ("平均通勤 mean trip, the longer direction (min)", "lower"),
    "max_deviation": ("最大规模偏离 largest enrollment deviation", "lower"),
    "mean_deviation": ("平均规模偏离 mean enrollment deviation", "lower"),
    "exchange_teachers": ("交流教师/年 teachers exchanged per year", "lower"),
    "fund_yuan": ("活动经费 activity funds (元/年)", "lower"),
}
#: 差异系数 rows: between 学区 means (lower is better: 学区 equally resourced) and within 学区
#: (the mean over 学区; a mix of strong and weak schools is wanted, so neither way is better).
CV_FIGURES = {"cv_between": ("差异系数 学区间", "lower"), "cv_within": ("差异系数 学区内 (mean)", "")}


@dataclass(frozen=True, eq=False)
class Comparison:
    """Two or more plans compared with the first.

    Attributes
    ----------
    plans : tuple of PlanTables
        The plans, first the reference.
    figures : pandas.DataFrame
        One row per figure (index: its key): ``label``, ``better`` and one column per plan.
    moves : pandas.DataFrame
        One row per school whose 学区 differs between the first plan and another
        (:data:`MOVE_COLUMNS`, 学区 names; "" for a plan the school is not in), in school id order.
    pairs : tuple of dict
        For each later plan against the first: ``adjusted_rand_index`` and
        ``normalized_mutual_info`` (over the schools in both), ``moves``, ``students_moved``,
        ``matched_districts`` (its 学区 key -> the first plan's) and the schools in only one.
    """

    plans: tuple[PlanTables, ...]
    figures: pd.DataFrame
    moves: pd.DataFrame
    pairs: tuple[dict, ...]

    @property
    def names(self) -> list[str]:
        """The plans' names, as the figure columns are headed."""
        return [plan.name for plan in self.plans]

    def best(self) -> pd.DataFrame:
        """True where a plan has the best value of a figure (every plan sharing it); False in neutral rows."""
        values = self.figures[self.names].astype(float)
        lowest = values.min(axis=1, skipna=True)
        return values.eq(lowest, axis=0) & self.figures["better"].eq("lower").to_numpy()[:, None]

    def figure_table(self) -> pd.DataFrame:
        """The figures as compare.csv lists them: label, one column per plan, and the best plan(s)."""
        best = self.best()
        table = self.figures[["label", *self.names]].copy()
        table["best"] = [" / ".join(np.array(self.names)[row]) for row in best.to_numpy()]
        return table.reset_index(names="figure")

    def to_json(self) -> dict:
        """compare.json: the plans, each pair's agreement and moves, and the figures (NaN as null)."""
        best = self.best()
        figures = {
            key: {"label": row["label"], "better": row["better"] or None,
                  "values": {name: _number(row[name]) for name in self.names},
                  "best": [name for name in self.names if best.loc[key, name]]}
            for key, row in self.figures.iterrows()
        }
        plans = [{"name": p.name, **{k: p.summary.get(k) for k in ("status", "solver", "input_hash", "title")}} for p in self.plans]
        return {"plans": plans, "pairs": [dict(pair) for pair in self.pairs], "figures": figures}


def _number(value):
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else round(float(value), 6)
    return int(value) if isinstance(value, (int, np.integer)) else value


def compare_plans(plans: Sequence[Result | PlanTables | str | os.PathLike], *, names: Sequence[str] | None = None) -> Comparison:
    """Compare plans with the first: figures, moved schools, adjusted Rand index and NMI.

    Parameters
    ----------
    plans : sequence of Result, PlanTables or path
        At least two: results, their tables, or plan folders (:func:`partition.tables.read_plan_folder`).
    names : sequence of str, optional
        What to call each plan; by default a folder's name, or ``plan 1``, ``plan 2``...

    Returns
    -------
    Comparison
    """
    if len(plans) < 2:
        raise ValueError(f"compare at least two plans, got {len(plans)}")
    tables = [_tables(plan, f"plan {i + 1}") for i, plan in enumerate(plans)]
    labels = _unique(names or [t.name for t in tables])
    tables = [PlanTables(label, t.schools, t.districts, t.summary) for label, t in zip(labels, tables)]
    figures = pd.DataFrame({t.name: plan_figures(t) for t in tables})
    described = {**FIGURES, **_cv_labels(figures.index)}
    figures.insert(0, "better", [described[k][1] for k in figures.index])
    figures.insert(0, "label", [described[k][0] for k in figures.index])
    pairs, moves = [], []
    for other in tables[1:]:
        pair, moved = _compare_pair(tables[0], other)
        pairs.append(pair)
        moves.append(moved)
    moves = pd.concat(moves, ignore_index=True).sort_values(["school_id"], kind="stable").reset_index(drop=True)
    return Comparison(tuple(tables), figures, moves[MOVE_COLUMNS], tuple(pairs))


def _tables(plan, default_name: str) -> PlanTables:
    if isinstance(plan, PlanTables):
        return plan
    if isinstance(plan, Result):
        return plan_tables(plan, name=default_name)
    return read_plan_folder(plan)


def _unique(names: Sequence[str]) -> list[str]:
    """The names, a repeated one numbered (``out``, ``out (2)``)."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _cv_labels(keys) -> dict[str, tuple[str, str]]:
    labels = {}
    for key in keys:
        kind, _, rest = key.partition(":")
        if kind in CV_FIGURES:
            level, indicator = rest.split(":")
            label, better = CV_FIGURES[kind]
            labels[key] = (f"{label} {LEVEL_LABELS_ZH[level]} {INDICATOR_LABELS_ZH[indicator]}", better)
    return labels


def plan_figures(tables: PlanTables) -> pd.Series:
    """The figures of one plan (:data:`FIGURES`, then the 差异系数 rows ``cv_between:LEVEL:INDICATOR``
    and ``cv_within:LEVEL:INDICATOR``)."""
    schools = tables.schools
    assigned = schools[schools["district"] != ""]
    members = assigned[~assigned["is_core"]]
    trips = np.maximum(members["minutes_to_core"], members["minutes_from_core"])
    summary = district_summary(schools)
    deviation = summary["deviation"].abs()
    costs = district_costs(schools)
    violations = tables.violations
    figures = {
        "n_districts": float(assigned["district"].nunique()), "n_schools": float(len(assigned)),
        "n_unassigned": float(len(schools) - len(assigned)),
        "violations": float("nan") if violations is None else float(len(violations)),
        STUDENT_MINUTES: _float(tables.summary.get(STUDENT_MINUTES)),
        "longest_trip": trips.max(), "mean_trip": trips.mean(),
        "max_deviation": deviation.max(), "mean_deviation": deviation.mean(),
        "exchange_teachers": costs["exchange_teachers"].sum(), "fund_yuan": float(costs["fund_yuan"].sum()),
    }
    between = between_district_cv(schools).set_index(["level", "indicator"])["cv"]
    within = indicator_cv_table(schools[schools["district"] != ""], by="district")
    within = within.groupby(["level", "indicator"])["cv"].mean() if len(within) else pd.Series(dtype=float)
    for level in LEVEL_GROUPS:
        for indicator in INDICATOR_LABELS_ZH:
            if (level, indicator) in between.index:
                figures[f"cv_between:{level}:{indicator}"] = between[(level, indicator)]
                figures[f"cv_within:{level}:{indicator}"] = within.get((level, indicator), float("nan"))
    return pd.Series(figures, dtype=float)


def _float(value) -> float:
    return float("nan") if value is None else float(value)


def match_districts(first: pd.Series, second: pd.Series) -> dict[str, str]:
    """Pair each 学区 of ``second`` with the 学区 of ``first`` it shares most schools with, one to one.

    Both series hold each school's 学区 key, indexed by the same school ids ("" for left out, which
    pairs with ""). A 学区 left without a partner (``second`` has more) is not in the result.
    """
    shared = pd.crosstab(second, first)
    shared = shared.drop(index="", columns="", errors="ignore")
    rows, cols = linear_sum_assignment(-shared.to_numpy())
    pairs = {shared.index[r]: shared.columns[c] for r, c in zip(rows, cols) if shared.iat[r, c] > 0}
    return {**pairs, "": ""}


def _agreement(first: pd.Series, second: pd.Series) -> tuple[float, float]:
    """Adjusted Rand index and normalised mutual information of two labellings of the same schools."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # only comparisons need scikit-learn

    return float(adjusted_rand_score(first, second)), float(normalized_mutual_info_score(first, second))


def _compare_pair(first: PlanTables, other: PlanTables) -> tuple[dict, pd.DataFrame]:
    a = first.schools.set_index("school_id")
    b = other.schools.set_index("school_id")
    common = a.index.intersection(b.index).sort_values()
    only_first, only_other = sorted(set(a.index) - set(b.index)), sorted(set(b.index) - set(a.index))
    partner = match_districts(a.loc[common, "district"], b.loc[common, "district"])
    moved = common[b.loc[common, "district"].map(partner).fillna("\0").to_numpy() != a.loc[common, "district"].to_numpy()]
    ari, nmi = _agreement(a.loc[common, "district"], b.loc[common, "district"]) if len(common) else (math.nan, math.nan)
    rows = pd.DataFrame({
        "school_id": [*moved, *only_first, *only_other],
        "name": [*a.loc[moved, "name"], *a.loc[only_first, "name"], *b.loc[only_other, "name"]],
        "plan": other.name,
        "from_district": [*a.loc[moved, "district_name"], *a.loc[only_first, "district_name"], *[""] * len(only_other)],
        "to_district": [*b.loc[moved, "district_name"], *[""] * len(only_first), *b.loc[only_other, "district_name"]],
    })
    pair = {
        "first": first.name, "second": other.name, "adjusted_rand_index": _number(ari), "normalized_mutual_info": _number(nmi),
        "moves": len(moved), "students_moved": int(a.loc[moved, "enrollment"].sum()),
        "matched_districts": {k: v for k, v in sorted(partner.items()) if k},
        "only_in_first": only_first, "only_in_second": only_other,
    }
    return pair, rows
