"""Solving a :class:`~partition.problem.Problem` exactly, as a MILP with HiGHS.

The model has one binary variable per feasible (member, core) pair, so a pair beyond the
travel limit is never a variable:

- each member joins exactly one core;
- each core gathers between ``min`` and ``max`` members;
- each 学区's enrollment, core included, lies within ``(1 ± balance)`` of the mean;
- objective: minimise student-minutes, the sum over members of enrollment × minutes to the core.
"""

from __future__ import annotations

import highspy
import numpy as np
from scipy.sparse import csc_matrix, vstack

from .explain import InfeasibleError, explain_infeasible
from .plan import UNASSIGNED, Plan
from .problem import Problem

__all__ = ["solve", "DEFAULT_TIME_LIMIT_S", "InfeasibleError"]

#: Default wall-clock limit for the exact solver, in seconds.
DEFAULT_TIME_LIMIT_S = 60.0
#: Relative gap at which HiGHS may stop and call a plan optimal.
MIP_REL_GAP = 1e-6
SOLVER_NAME = f"HiGHS {highspy.Highs().version()} (MILP)"


def solve(problem: Problem, *, time_limit: float = DEFAULT_TIME_LIMIT_S, seed: int = 0) -> Plan:
    """Find the plan of least student-minutes that keeps every rule.

    Raises
    ------
    InfeasibleError
        When no plan keeps the rules, with the reasons found (schools that reach no core,
        cores that cannot gather enough members, ...).
    """
    reasons = explain_infeasible(problem)
    if reasons:
        raise InfeasibleError(reasons)
    rows, cols, minutes = problem.feasible_pairs()
    highs = _build_model(problem, rows, cols, minutes)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("random_seed", int(seed))
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    highs.run()
    return _read_result(problem, highs, rows, cols, seed)


def _build_model(problem: Problem, rows: np.ndarray, cols: np.ndarray, minutes: np.ndarray) -> highspy.Highs:
    members, cores = problem.members, problem.cores
    member_students = problem.enrollment[members].astype(float)
    n_pairs = len(rows)
    pairs = np.arange(n_pairs)
    blocks = [csc_matrix((np.ones(n_pairs), (rows, pairs)), shape=(len(members), n_pairs))]
    lower, upper = [np.ones(len(members))], [np.ones(len(members))]
    if problem.rules.members is not None:
        low, high = problem.rules.members
        blocks.append(csc_matrix((np.ones(n_pairs), (cols, pairs)), shape=(len(cores), n_pairs)))
        lower.append(np.full(len(cores), float(low)))
        upper.append(np.full(len(cores), float(high)))
    if problem.rules.balance is not None:
        low, high = enrollment_band(problem)
        core_students = problem.enrollment[cores].astype(float)
        blocks.append(csc_matrix((member_students[rows], (cols, pairs)), shape=(len(cores), n_pairs)))
        lower.append(low - core_students)
        upper.append(high - core_students)
    matrix = _stack(blocks)

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_pairs, matrix.shape[0]
    lp.col_cost_ = member_students[rows] * minutes
    lp.col_lower_, lp.col_upper_ = np.zeros(n_pairs), np.ones(n_pairs)
    lp.row_lower_, lp.row_upper_ = np.concatenate(lower), np.concatenate(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_pairs, matrix.shape[0]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_pairs
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    return highs


def enrollment_band(problem: Problem) -> tuple[float, float]:
    """The (low, high) total enrollment every 学区 must fall within under the balance rule."""
    mean = problem.enrollment.sum() / len(problem.cores)
    return (1 - problem.rules.balance) * mean, (1 + problem.rules.balance) * mean


def _stack(blocks: list[csc_matrix]) -> csc_matrix:
    matrix = vstack(blocks, format="csc")
    matrix.sort_indices()
    return matrix


def _read_result(problem: Problem, highs: highspy.Highs, rows, cols, seed: int) -> Plan:
    status = highs.getModelStatus()
    info = highs.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError(["the solver proved that no plan keeps all rules together (each rule alone can be met)"])
    if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        raise InfeasibleError([f"the solver stopped ({highs.modelStatusToString(status)}) before finding a plan; raise --time-limit"])
    chosen = np.asarray(highs.getSolution().col_value) > 0.5
    core_of = np.full(len(problem.school_ids), UNASSIGNED, dtype=np.int64)
    core_of[problem.cores] = problem.cores
    core_of[problem.members[rows[chosen]]] = problem.cores[cols[chosen]]
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound)
    gap = max(0.0, float(info.mip_gap)) if np.isfinite(info.mip_gap) else 1.0
    optimal = status == highspy.HighsModelStatus.kOptimal
    return Plan.from_assignment(
        problem, core_of, solver=SOLVER_NAME, status="optimal" if optimal else "feasible",
        objective=objective, bound=bound, gap=gap, seed=seed,
    )
