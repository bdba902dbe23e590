"""Scoring a plan: per-学区 figures and the 差异系数 of the resource indicators.

All functions take the canonical school table joined with a plan (columns ``district``,
``is_core``, ``enrollment``, ``minutes_to_core``, ...), so they serve any plan alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis.schema import ALL_INDICATORS

from .standards import ACTIVITY_FUND_YUAN, STANDARDS, TEACHER_EXCHANGE_SHARE

__all__ = [
    "weighted_cv", "counted_minutes", "district_summary", "indicator_cv_table", "standard_verdicts", "between_district_cv",
    "district_costs", "LEVEL_GROUPS", "VERDICTS",
]

#: Which school levels count toward each evaluated level; a nine-year school counts in both.
LEVEL_GROUPS = {"primary": ("primary", "nine_year"), "junior": ("junior", "nine_year")}
#: A standard's verdict for one level: every indicator measured and within its limit; one over it;
#: none over it but some not in the table (so the standard cannot be judged).
VERDICTS = ("pass", "fail", "incomplete")


def weighted_cv(values: np.ndarray, weights: np.ndarray) -> float:
    """Enrollment-weighted coefficient of variation (the official 差异系数).

    ``mean = Σ P·X / Σ P``, ``S = sqrt(Σ P·(X − mean)² / Σ P)``, ``CV = S / mean``.
    NaN values are left out; NaN when nothing is left or the mean is 0.
    """
    values, weights = np.asarray(values, float), np.asarray(weights, float)
    ok = ~np.isnan(values) & (weights > 0)
    if not ok.any():
        return float("nan")
    mean = np.average(values[ok], weights=weights[ok])
    if mean == 0:
        return float("nan")
    spread = np.sqrt(np.average((values[ok] - mean) ** 2, weights=weights[ok]))
    return float(spread / mean)


def counted_minutes(schools: pd.DataFrame) -> pd.Series:
    """Each school's trip as the travel limit and the objective count it: the longer of its
    ``minutes_to_core`` and ``minutes_from_core`` (0 for a core, NaN when unassigned)."""
    return pd.Series(np.fmax(schools["minutes_to_core"], schools["minutes_from_core"]), index=schools.index)


def district_summary(schools: pd.DataFrame) -> pd.DataFrame:
    """One row per 学区: schools, members, enrollment and its deviation, trip minutes, mix.

    ``max_minutes`` and ``mean_minutes`` are over the members' :func:`counted_minutes`.
    """
    assigned = schools[schools["district"] != ""]
    grouped = assigned.groupby("district", sort=True)
    members = assigned[~assigned["is_core"]]
    trips = counted_minutes(members).groupby(members["district"])
    summary = pd.DataFrame(
        {
            "n_schools": grouped.size(),
            "n_members": members.groupby("district").size(),
            "enrollment": grouped["enrollment"].sum(),
            "max_minutes": trips.max(),
            "mean_minutes": trips.mean(),
        }
    )
    summary["n_members"] = summary["n_members"].fillna(0).astype(int)
    summary["deviation"] = summary["enrollment"] / summary["enrollment"].mean() - 1
    mix = pd.crosstab(assigned["district"], assigned["area_type"]).reindex(columns=["urban", "town", "rural"], fill_value=0)
    return summary.join(mix.add_prefix("n_")).reset_index()


def _measured(schools: pd.DataFrame, indicators) -> list[str]:
    """The indicators the table holds a value of (a column of blanks is not measured)."""
    return [i for i in indicators if i in schools and schools[i].notna().any()]


def indicator_cv_table(schools: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """差异系数 of each indicator the table measures, per standard and evaluated level (and ``by`` group).

    Every standard of :data:`~partition.standards.STANDARDS` with at least one indicator in the
    table gets rows for those indicators (an indicator of both standards gets one row each, with
    each standard's limit); a level without schools gets none. Columns: ``standard``, ``level``,
    [``by``,] ``indicator``, ``cv``, ``limit``, ``meets``.
    """
    rows = []
    for standard in STANDARDS:
        for level, members in LEVEL_GROUPS.items():
            level_schools = schools[schools["level"].isin(members)]
            groups = level_schools.groupby(by, sort=True) if by else [(None, level_schools)]
            for key, group in groups:
                for indicator in _measured(level_schools, standard.indicators):
                    cv = weighted_cv(group[indicator].to_numpy(), group["enrollment"].to_numpy())
                    row = {"standard": standard.key, "level": level, "indicator": indicator, "cv": cv,
                           "limit": standard.cv_limits[level]}
                    if by:
                        row[by] = key
                    rows.append(row)
    columns = ["standard", "level", *([by] if by else []), "indicator", "cv", "limit"]
    table = pd.DataFrame(rows, columns=columns)
    table["meets"] = table["cv"] <= table["limit"]
    return table


def standard_verdicts(cv_table: pd.DataFrame) -> pd.DataFrame:
    """Each standard's verdict per level, from :func:`indicator_cv_table` (one of :data:`VERDICTS`).

    Columns: ``standard``, ``level``, ``measured`` and ``missing`` (tuples of indicator columns:
    in the table, or not), ``failing`` (measured over the limit), ``verdict``. Only the
    standards and levels the table has rows for; a missing indicator is named, never counted as 0.
    """
    rows = []
    for standard in STANDARDS:
        for level in LEVEL_GROUPS:
            level_rows = cv_table[(cv_table["standard"] == standard.key) & (cv_table["level"] == level)]
            if level_rows.empty:
                continue
            measured = tuple(level_rows.loc[level_rows["cv"].notna(), "indicator"])
            failing = tuple(level_rows.loc[level_rows["cv"].notna() & ~level_rows["meets"], "indicator"])
            missing = tuple(i for i in standard.indicators if i not in measured)
            verdict = "fail" if failing else "incomplete" if missing else "pass"
            rows.append({"standard": standard.key, "level": level, "measured": measured, "missing": missing,
                         "failing": failing, "verdict": verdict})
    return pd.DataFrame(rows, columns=["standard", "level", "measured", "missing", "failing", "verdict"])


def between_district_cv(schools: pd.DataFrame) -> pd.DataFrame:
    """差异系数 between 学区: of the 学区 means of each indicator, weighted by 学区 enrollment.

    Columns: ``level``, ``indicator``, ``cv``. A plan that mixes strong and weak schools well has
    small values here even where the county's schools differ a lot.
    """
    rows = []
    assigned = schools[schools["district"] != ""]
    for level, members in LEVEL_GROUPS.items():
        level_schools = assigned[assigned["level"].isin(members)]
        for indicator in _measured(schools, ALL_INDICATORS):
            known = level_schools.dropna(subset=[indicator])
            if known.empty:
                continue
            weighted = (known[indicator] * known["enrollment"]).groupby(known["district"]).sum()
            students = known.groupby("district")["enrollment"].sum()
            rows.append({"level": level, "indicator": indicator,
                         "cv": weighted_cv((weighted / students).to_numpy(), students.to_numpy())})
    return pd.DataFrame(rows, columns=["level", "indicator", "cv"])


def district_costs(schools: pd.DataFrame) -> pd.DataFrame:
    """What each 学区 implies each year: teachers to exchange and activity funds (yuan).

    Teachers: :data:`~partition.standards.TEACHER_EXCHANGE_SHARE` of each school's teachers by
    its 城乡类型; funds: :data:`~partition.standards.ACTIVITY_FUND_YUAN` per core and member.
    """
    assigned = schools[schools["district"] != ""]
    share = assigned["area_type"].map(TEACHER_EXCHANGE_SHARE).fillna(min(TEACHER_EXCHANGE_SHARE.values()))
    teachers = assigned["teachers"] if "teachers" in assigned else pd.Series(np.nan, index=assigned.index)
    fund = np.where(assigned["is_core"], ACTIVITY_FUND_YUAN["core"], ACTIVITY_FUND_YUAN["member"])
    costs = pd.DataFrame({"district": assigned["district"], "exchange_teachers": teachers * share, "fund_yuan": fund})
    return costs.groupby("district", sort=True).sum(min_count=1).reset_index()
