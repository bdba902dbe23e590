"""HiGHS through highspy: a :class:`~partition.model.Model` in, a 0/1 plan and a proven bound out.

While HiGHS searches, each better plan it finds is logged at DEBUG on this module's logger, the
record carrying the plan's gap to HiGHS's bound as :data:`SOLVER_GAP` (a progress bar shows it);
nothing is asked of HiGHS unless that level is on.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from importlib.metadata import version

import highspy
import numpy as np

from .model import Model
from .solverlogs import solver_logs_enabled

__all__ = ["MipResult", "solve_mip", "new_highs", "VERSION", "MIP_REL_GAP", "SOLVER_GAP"]

logger = logging.getLogger(__name__)

VERSION = version("highspy")  # asking HiGHS itself would print its banner
#: Relative gap at which a plan counts as optimal.
MIP_REL_GAP = 1e-6
#: HiGHS's ``mip_heuristic_effort`` (its default is 0.05): on 800 schools in 60 s it lowered the
#: best plan from 2.2% to 1.5% above the bound.
MIP_HEURISTIC_EFFORT = 0.5
#: Fewest seconds worth starting a run with.
MIN_RUN_S = 0.01
#: Attribute of the DEBUG log record of each better plan HiGHS finds: its relative gap (None when unbounded).
SOLVER_GAP = "solver_gap"


@dataclass(frozen=True, eq=False)
class MipResult:
    """What a HiGHS run found.

    Attributes
    ----------
    x : numpy.ndarray or None
        The best solution (pairs rounded to 0/1), None without one.
    bound : float
        HiGHS's proven lower bound (``-inf`` when it has none).
    optimal, infeasible : bool
        HiGHS's own verdict: optimal within its gap tolerance, or no solution exists.
    """

    x: np.ndarray | None
    bound: float
    optimal: bool
    infeasible: bool


def solve_mip(model: Model, *, time_limit: float, seed: int = 0, start: np.ndarray | None = None,
              fixed: np.ndarray | None = None, max_nodes: int | None = None, max_solutions: int | None = None,
              checkpoint: tuple[float, float] | None = None) -> MipResult:
    """Run HiGHS on ``model`` (one thread), from ``start`` if given, with the ``fixed`` pairs set to 1;
    ``max_nodes`` and ``max_solutions`` (improving solutions found) stop it early, and so does a
    ``checkpoint`` ``(seconds, gap)``: after that many seconds, the run stops while its gap is above ``gap``.

    The result is read honestly: ``optimal`` only when HiGHS says so, never when a time or node
    limit stopped it.
    """
    if time_limit < MIN_RUN_S:
        return MipResult(start, -np.inf, optimal=False, infeasible=False)
    highs = _to_highs(model)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("random_seed", int(seed))
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    highs.setOptionValue("mip_heuristic_effort", MIP_HEURISTIC_EFFORT)
    if max_nodes is not None:
        highs.setOptionValue("mip_max_nodes", int(max_nodes))
    if max_solutions is not None:
        highs.setOptionValue("mip_max_improving_sols", int(max_solutions))
    if fixed is not None and fixed.any():
        chosen = np.flatnonzero(fixed).astype(np.int32)
        highs.changeColsBounds(len(chosen), chosen, np.ones(len(chosen)), np.ones(len(chosen)))
    if start is not None:
        highs.setSolution(_solution_of(start))
    _watch(highs, checkpoint=checkpoint, log_plans=logger.isEnabledFor(logging.DEBUG))
    highs.run()
    status = highs.getModelStatus()
    feasible = highs.getInfo().primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    x = None
    if feasible:
        x = np.asarray(highs.getSolution().col_value, dtype=float)
        x = model.complete(np.where(model.is_pair, np.round(x), x))
    infeasible = status == highspy.HighsModelStatus.kInfeasible
    bound = float(highs.getInfo().mip_dual_bound)
    bound = np.inf if infeasible else (bound if np.isfinite(bound) else -np.inf)
    return MipResult(x, bound, optimal=status == highspy.HighsModelStatus.kOptimal, infeasible=infeasible)


def _watch(highs: highspy._Highs, *, checkpoint: tuple[float, float] | None, log_plans: bool) -> None:
    """HiGHS's one callback: log each better plan with its gap (:data:`SOLVER_GAP`) when ``log_plans``,
    and stop at the ``checkpoint`` (seconds, gap) while the gap is still above it."""
    kinds = highspy.cb.HighsCallbackType

    def callback(kind, message, data_out, data_in, user_data) -> None:
        if kind == kinds.kCallbackMipImprovingSolution:
            gap = data_out.mip_gap if math.isfinite(data_out.mip_gap) else None
            logger.debug("HiGHS: plan %.6g, bound %.6g", data_out.mip_primal_bound, data_out.mip_dual_bound, extra={SOLVER_GAP: gap})
        elif kind == kinds.kCallbackMipInterrupt and data_in is not None:
            seconds, gap = checkpoint
            if data_out.running_time >= seconds and not data_out.mip_gap <= gap:
                data_in.user_interrupt = True

    if checkpoint is None and not log_plans:
        return
    highs.setCallback(callback, None)
    if log_plans:
        highs.startCallback(kinds.kCallbackMipImprovingSolution)
    if checkpoint is not None:
        highs.startCallback(kinds.kCallbackMipInterrupt)


def _solution_of(x: np.ndarray) -> highspy.HighsSolution:
    solution = highspy.HighsSolution()
    solution.col_value = list(map(float, x))
    solution.value_valid = True
    return solution


def _to_highs(model: Model) -> highspy._Highs:
    """Pass ``model`` to a new HiGHS instance (:func:`new_highs`): pairs binary, the other columns continuous."""
    n_vars, n_rows = model.n_vars, model.matrix.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_vars, n_rows
    lp.col_cost_ = model.cost
    lp.col_lower_, lp.col_upper_ = np.zeros(n_vars), model.upper
    lp.row_lower_ = np.where(np.isfinite(model.row_lower), model.row_lower, -highspy.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(model.row_upper), model.row_upper, highspy.kHighsInf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = model.matrix.indptr, model.matrix.indices
    lp.a_matrix_.value_ = model.matrix.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_vars, n_rows
    integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    lp.integrality_ = [integer if pair else continuous for pair in model.is_pair.tolist()]
    highs = new_highs()
    highs.passModel(lp)
    return highs


def new_highs() -> highspy._Highs:
    """A new HiGHS instance that prints nothing unless solver logs are on (:mod:`partition.solverlogs`).

    ``highspy.Highs()`` prints HiGHS's banner while it is made, before any option can be set, so
    this makes the extension's own instance (``highspy._Highs``, which the wrapper extends with
    modelling helpers not used here) and sets ``output_flag`` before anything else.
    """
    highs = highspy._Highs()
    highs.setOptionValue("output_flag", solver_logs_enabled())
    return highs
