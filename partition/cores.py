"""Choosing core schools: by the table's quality flag, or K cores by quality and coverage.

A candidate's quality is the mean of the z-scores of the seven resource indicators (equal
weights, each standardised across the county with scikit-learn; a missing value counts as the
county mean). The K cores are then picked p-median style among the strongest candidates:
greedily, each time the candidate that most lowers the students' total minutes to their
nearest core (a student beyond the travel limit costs :data:`UNCOVERED_MINUTES`), followed by
one pass of swaps (Teitz-Bart interchange). Pinned cores are kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis.schema import INDICATORS

__all__ = ["quality_index", "choose_cores", "CANDIDATE_FACTOR", "UNCOVERED_MINUTES"]

#: Candidates considered: this many times K, the strongest by quality index.
CANDIDATE_FACTOR = 3
#: Minutes charged to a student whose school reaches no core within the limit.
UNCOVERED_MINUTES = 1000.0


def quality_index(schools: pd.DataFrame) -> np.ndarray:
    """Composite quality: mean z-score of the resource indicators (0 when none are given)."""
    from sklearn.impute import SimpleImputer  # here, not above: scikit-learn takes a second to import,
    from sklearn.pipeline import make_pipeline  # and only choosing cores needs it
    from sklearn.preprocessing import StandardScaler

    present = [c for c in INDICATORS if c in schools and schools[c].notna().any()]
    if not present:
        return np.zeros(len(schools))
    scaled = make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()).fit_transform(schools[present])
    return scaled.mean(axis=1)


def choose_cores(
    schools: pd.DataFrame, minutes: np.ndarray, k: int, *, max_minutes: float | None, pinned: tuple[int, ...] = ()
) -> np.ndarray:
    """A boolean mask of ``k`` cores (``pinned`` positions included).

    ``minutes[i, c]``: the pair time between school i and candidate core c (both directions).
    """
    n = len(schools)
    if not 0 < k <= n:
        raise ValueError(f"cannot choose {k} cores among {n} schools")
    quality = quality_index(schools)
    ranked = [int(c) for c in np.lexsort((np.arange(n), -quality)) if int(c) not in pinned]
    candidates = list(pinned) + ranked[: max(0, CANDIDATE_FACTOR * k - len(pinned))]
    cost = np.where(minutes <= (np.inf if max_minutes is None else max_minutes), minutes, UNCOVERED_MINUTES)
    np.fill_diagonal(cost, 0.0)
    students = schools["enrollment"].to_numpy(float)
    chosen = _greedy(cost, students, candidates, list(pinned), k)
    chosen = _interchange(cost, students, candidates, chosen, len(pinned))
    mask = np.zeros(n, bool)
    mask[chosen] = True
    return mask


def _total(cost: np.ndarray, students: np.ndarray, chosen: list[int]) -> float:
    return float(students @ cost[:, chosen].min(axis=1))


def _greedy(cost, students, candidates, chosen, k) -> list[int]:
    nearest = cost[:, chosen].min(axis=1) if chosen else np.full(len(students), UNCOVERED_MINUTES)
    while len(chosen) < k:
        pool = [c for c in candidates if c not in chosen]
        totals = students @ np.minimum(nearest[:, None], cost[:, pool])
        best = pool[int(np.argmin(totals))]
        chosen.append(best)
        nearest = np.minimum(nearest, cost[:, best])
    return chosen


def _interchange(cost, students, candidates, chosen, n_pinned) -> list[int]:
    """One pass of single swaps (never of a pinned core) that lower the total."""
    chosen = list(chosen)
    best = _total(cost, students, chosen)
    for slot in range(n_pinned, len(chosen)):
        for candidate in candidates:
            if candidate in chosen:
                continue
            trial = chosen[:slot] + [candidate] + chosen[slot + 1 :]
            total = _total(cost, students, trial)
            if total < best - 1e-9:
                chosen, best = trial, total
    return chosen
