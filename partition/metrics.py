"""Scoring a plan: per-学区 figures and the 差异系数 of the resource indicators.

All functions take the canonical school table joined with a plan (columns ``district``,
``is_core``, ``enrollment``, ``minutes_to_core``, ...), so they serve any plan alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis.schema import INDICATORS

from .standards import CV_LIMITS

__all__ = ["weighted_cv", "district_summary", "indicator_cv_table", "LEVEL_GROUPS"]

#: Which school levels count toward each evaluated level; a nine-year school counts in both.
LEVEL_GROUPS = {"primary": ("primary", "nine_year"), "junior": ("junior", "nine_year")}


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


def district_summary(schools: pd.DataFrame) -> pd.DataFrame:
    """One row per 学区: schools, members, enrollment and its deviation, travel minutes, mix."""
    assigned = schools[schools["district"] != ""]
    grouped = assigned.groupby("district", sort=True)
    members = assigned[~assigned["is_core"]].groupby("district")
    summary = pd.DataFrame(
        {
            "n_schools": grouped.size(),
            "n_members": members.size(),
            "enrollment": grouped["enrollment"].sum(),
            "max_minutes": members["minutes_to_core"].max(),
            "mean_minutes": members["minutes_to_core"].mean(),
        }
    )
    summary["n_members"] = summary["n_members"].fillna(0).astype(int)
    summary["deviation"] = summary["enrollment"] / summary["enrollment"].mean() - 1
    mix = pd.crosstab(assigned["district"], assigned["area_type"]).reindex(columns=["urban", "town", "rural"], fill_value=0)
    return summary.join(mix.add_prefix("n_")).reset_index()


def indicator_cv_table(schools: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """差异系数 of each indicator, per evaluated level (and per ``by`` group when given).

    Columns: ``level``, [``by``,] ``indicator``, ``cv``, ``limit``, ``meets``.
    """
    rows = []
    present = [i for i in INDICATORS if i in schools]
    for level, members in LEVEL_GROUPS.items():
        level_schools = schools[schools["level"].isin(members)]
        groups = level_schools.groupby(by, sort=True) if by else [(None, level_schools)]
        for key, group in groups:
            for indicator in present:
                cv = weighted_cv(group[indicator].to_numpy(), group["enrollment"].to_numpy())
                row = {"level": level, "indicator": indicator, "cv": cv, "limit": CV_LIMITS[level]}
                if by:
                    row[by] = key
                rows.append(row)
    table = pd.DataFrame(rows)
    if not table.empty:
        table["meets"] = table["cv"] <= table["limit"]
    return table
