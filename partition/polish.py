"""Improving a plan by large-neighbourhood search: OR-Tools CP-SAT, started from the plan.

CP-SAT works on integers, so it sees the pairs only, the objective in units of
1/:data:`OBJECTIVE_SCALE` student-minute and a row with fractional coefficients multiplied by
:data:`ROW_SCALE` and rounded; the imbalance columns and their rows, and the tie-break (far below that
unit), are left to the exact model. (With the imbalance columns, CP-SAT improved the plan of 787
schools by 0.1% in 20 s instead of 0.3%.) What CP-SAT returns is therefore checked against the exact
rows and costed with the exact objective; the plan given is kept unless a better one keeps every row.

Why CP-SAT here: from the plan of the set-partitioning dive on 787 schools (3,090,203, 1.9% above the
bound), 38 s of CP-SAT with 2 workers reached 3,078,425, while HiGHS warm-started from the same plan
improved nothing in 30 s (and reached 3,071,831 only after 1,500 s). Started from nothing, CP-SAT
reached 3,265,588 in 60 s: it needs the good start the dive gives. From the plan the exact regions
of :mod:`partition.heuristic` leave (3,079,408), 30 minutes of CP-SAT lowered it by 0.01%, so
:func:`partition.solve.solve` gives it only the time that wider exact regions leave.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .model import Model
from .solverlogs import solver_logs_enabled

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

__all__ = ["polish", "workers_for", "MIN_WORKERS"]

#: Objective units per student-minute.
OBJECTIVE_SCALE = 100
#: A row with fractional coefficients is multiplied by this before rounding.
ROW_SCALE = 1000
#: CP-SAT search workers: one per core the search may use, but at least MIN_WORKERS (its
#: large-neighbourhood search needs two) and at most MAX_WORKERS.
MIN_WORKERS, MAX_WORKERS = 2, 8
#: Values within this of an integer count as integral.
INTEGRAL_TOL = 1e-9


def polish(model: Model, x: np.ndarray | None, *, time_limit: float, seed: int = 0,
           workers: int = MIN_WORKERS) -> tuple[np.ndarray | None, bool]:
    """The best plan CP-SAT finds from ``x`` within ``time_limit`` seconds (``x`` itself if none is better),
    and whether CP-SAT finished early, having proved its scaled model's optimum (or that it has none).

    ``x`` is a solution vector of ``model`` that keeps every row, or None to search from nothing;
    ``workers`` is CP-SAT's number of search workers (:func:`workers_for` the cores it may use).
    """
    if time_limit <= 0:
        return x, False
    from ortools.sat.python import cp_model  # here, not above: it takes a tenth of the start-up, often unused

    pairs = model.is_pair
    sat, variables = _to_cp_sat(model.restrict(np.flatnonzero(pairs), _rows_of_pairs_only(model)))
    if x is not None:
        for variable, value in zip(variables, np.round(x[pairs]).astype(np.int64).tolist()):
            sat.AddHint(variable, value)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    solver.parameters.catch_sigint_signal = False  # Ctrl-C ends the run; CP-SAT would take it as a time limit
    solver.parameters.log_search_progress = solver_logs_enabled()
    status = solver.Solve(sat)
    finished = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return x, finished
    found = np.zeros(model.n_vars)
    found[pairs] = [solver.Value(variable) for variable in variables]
    found = model.complete(found)
    better = model.keeps_rows(found) and (x is None or model.cost @ found < model.cost @ x)
    return (found if better else x), finished


def workers_for(cores: int) -> int:
    """CP-SAT's search workers for a search that may use ``cores`` CPU cores."""
    return max(MIN_WORKERS, min(MAX_WORKERS, int(cores)))


def _rows_of_pairs_only(model: Model) -> np.ndarray:
    """The rows that hold no continuous column."""
    return np.flatnonzero(np.diff(model.matrix[:, ~model.is_pair].tocsr().indptr) == 0)


def _to_cp_sat(model: Model) -> tuple[cp_model.CpModel, list]:
    """A model of pairs only as a CP-SAT model: one Boolean per pair, rows and costs scaled to integers."""
    from ortools.sat.python import cp_model

    sat = cp_model.CpModel()
    variables = [sat.NewBoolVar(f"x{j}") for j in range(model.n_vars)]
    rows = model.matrix.tocsr()
    for r in range(rows.shape[0]):
        start, end = rows.indptr[r], rows.indptr[r + 1]
        columns, coefficients = rows.indices[start:end], rows.data[start:end]
        scale = 1 if np.all(np.abs(coefficients - np.round(coefficients)) <= INTEGRAL_TOL) else ROW_SCALE
        integral = np.round(coefficients * scale).astype(np.int64)
        expression = cp_model.LinearExpr.weighted_sum([variables[j] for j in columns.tolist()], integral.tolist())
        lower, upper = model.row_lower[r] * scale, model.row_upper[r] * scale
        if np.isfinite(lower):
            sat.Add(expression >= int(np.ceil(lower - INTEGRAL_TOL)))
        if np.isfinite(upper):
            sat.Add(expression <= int(np.floor(upper + INTEGRAL_TOL)))
    cost = np.round(model.cost * OBJECTIVE_SCALE).astype(np.int64)
    sat.Minimize(cp_model.LinearExpr.weighted_sum(variables, cost.tolist()))
    return sat, variables
