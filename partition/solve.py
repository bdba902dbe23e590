"""Solving a :class:`~partition.problem.Problem` exactly, as a MILP with HiGHS.

The formulation is :mod:`partition.model`; this module runs it, reads the status honestly
(a time-limited run is ``feasible`` with its proven gap, never ``optimal``) and explains
infeasibility, down to the smallest travel limit at which a plan exists.
"""

from __future__ import annotations

from dataclasses import replace

import highspy
import numpy as np

from .explain import InfeasibleError, explain_infeasible
from .model import Model, build_model
from .plan import UNASSIGNED, Plan
from .problem import Locks, Problem

__all__ = ["solve", "has_plan", "smallest_feasible_limit", "DEFAULT_TIME_LIMIT_S", "InfeasibleError"]

#: Default wall-clock limit for the exact solver, in seconds.
DEFAULT_TIME_LIMIT_S = 60.0
#: Relative gap at which HiGHS may stop and call a plan optimal.
MIP_REL_GAP = 1e-6
#: Resolution of the smallest feasible travel limit, in minutes.
LIMIT_STEP_MIN = 0.1
#: The search for the smallest limit shares the solve's time limit among about this many probes.
LIMIT_SEARCH_PROBES = 12
SOLVER_NAME = f"HiGHS {highspy.Highs().version()} (MILP)"


def solve(problem: Problem, *, time_limit: float = DEFAULT_TIME_LIMIT_S, seed: int = 0) -> Plan:
    """Find the plan of least student-minutes that keeps every rule.

    With ``rules.objective == "max"`` the longest trip comes first: the travel limit is
    tightened to the smallest feasible one (recorded in the plan's rules), then student-minutes
    are minimised under it.

    Raises
    ------
    InfeasibleError
        When no plan keeps the rules, with the reasons found (schools that reach no core,
        cores that cannot gather enough members, ...) and the smallest travel limit at which
        a plan exists under the other rules.
    """
    reasons = explain_infeasible(problem)
    if not reasons and problem.rules.objective == "max":
        problem = _tightest_limit(problem, time_limit)
    if not reasons:
        highs, rows, cols = _run(problem, time_limit=time_limit, seed=seed, objective=True)
        status = highs.getModelStatus()
        if highs.getInfo().primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible:
            return _read_plan(problem, highs, rows, cols, seed)
        if status != highspy.HighsModelStatus.kInfeasible:
            raise InfeasibleError(
                [f"the solver stopped ({highs.modelStatusToString(status)}) before finding a plan; raise --time-limit"]
            )
        reasons = ["the rules cannot all hold together, although no single school or core rules a plan out",
                   *_rules_to_relax(problem, time_limit)]
    raise InfeasibleError(reasons + _limit_hint(problem, time_limit))


def _tightest_limit(problem: Problem, time_limit: float) -> Problem:
    """The problem under its smallest feasible travel limit (the ``max`` objective's first stage)."""
    limit = smallest_feasible_limit(problem, time_limit=time_limit / LIMIT_SEARCH_PROBES)
    if limit is None or (problem.rules.max_minutes is not None and limit > problem.rules.max_minutes):
        return problem  # no plan: the ordinary path explains why
    return replace(problem, rules=replace(problem.rules, max_minutes=limit))


def has_plan(problem: Problem, *, time_limit: float = DEFAULT_TIME_LIMIT_S) -> bool | None:
    """Whether any plan keeps the rules: True, False, or None when the time limit decided nothing."""
    if explain_infeasible(problem):
        return False
    highs, _, _ = _run(problem, time_limit=time_limit, seed=0, objective=False)
    if highs.getInfo().primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible:
        return True
    return False if highs.getModelStatus() == highspy.HighsModelStatus.kInfeasible else None


def smallest_feasible_limit(problem: Problem, *, time_limit: float = DEFAULT_TIME_LIMIT_S) -> float | None:
    """The smallest travel limit, in steps of :data:`LIMIT_STEP_MIN` minutes, at which a plan exists.

    Every other rule stays as it is. Found by bisection over the pair times (feasibility only grows
    with the limit); None when no limit gives a plan. Each probe gets ``time_limit`` seconds, and an
    undecided probe counts as no plan, so the answer is never below the true smallest limit.
    """
    minutes = problem.pair_minutes()
    minutes = minutes[np.isfinite(minutes)]
    candidates = np.unique(np.ceil(np.round(minutes / LIMIT_STEP_MIN, 6)) * LIMIT_STEP_MIN).round(6)

    def feasible_at(limit: float) -> bool:
        probe = replace(problem, rules=replace(problem.rules, max_minutes=float(limit)))
        return has_plan(probe, time_limit=time_limit) is True

    if len(candidates) == 0 or not feasible_at(candidates[-1]):
        return None
    low, high = 0, len(candidates) - 1  # invariant: candidates[high] is feasible
    while low < high:
        middle = (low + high) // 2
        if feasible_at(candidates[middle]):
            high = middle
        else:
            low = middle + 1
    return float(candidates[high])


#: Each optional rule, the option that sets it, and the value that switches it off.
RELAXABLE_RULES = (
    ("members", "--members", None), ("balance", "--balance", None), ("min_rural", "--min-rural", None),
    ("indicator_band", "--indicator-band", None), ("keep_township", "--keep-township", False),
    ("contiguity", "--contiguity", False), ("locks", "--rules", Locks()),
)


def _rules_to_relax(problem: Problem, time_limit: float) -> list[str]:
    """The rules without which a plan exists, each tried alone (the others kept)."""
    active = [(name, option, off) for name, option, off in RELAXABLE_RULES if getattr(problem.rules, name) != off]
    found = []
    for name, option, off in active:
        relaxed = replace(problem, rules=replace(problem.rules, **{name: off}))
        if has_plan(relaxed, time_limit=time_limit / max(len(active), 1)):
            found.append(option)
    if not found:
        return []
    return [f"a plan exists without {' or without '.join(found)} (each dropped alone, the other rules kept)"]


def _limit_hint(problem: Problem, time_limit: float) -> list[str]:
    if problem.rules.max_minutes is None:
        return []
    limit = smallest_feasible_limit(problem, time_limit=time_limit / LIMIT_SEARCH_PROBES)
    if limit is None:
        return ["no travel limit gives a plan under the other rules; relax them first"]
    return [f"no plan within {problem.rules.max_minutes:g} min; the smallest feasible limit is {limit:.1f} min"]


def _run(problem: Problem, *, time_limit: float, seed: int, objective: bool):
    """Build and run the MILP; return HiGHS and the (member row, core column) of each variable."""
    model = build_model(problem, objective=objective)
    highs = _to_highs(model)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("random_seed", int(seed))
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    highs.run()
    return highs, model.member, model.core


def _to_highs(model: Model) -> highspy.Highs:
    """Pass ``model`` to a new, silent HiGHS instance."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = model.n_vars, model.matrix.shape[0]
    lp.col_cost_ = model.cost
    lp.offset_ = model.offset
    lp.col_lower_, lp.col_upper_ = np.zeros(model.n_vars), np.ones(model.n_vars)
    lp.row_lower_, lp.row_upper_ = model.row_lower, model.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = model.matrix.indptr, model.matrix.indices
    lp.a_matrix_.value_ = model.matrix.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = model.n_vars, model.matrix.shape[0]
    lp.integrality_ = [highspy.HighsVarType.kInteger] * model.n_vars
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    return highs


def _read_plan(problem: Problem, highs: highspy.Highs, rows, cols, seed: int) -> Plan:
    info = highs.getInfo()
    chosen = np.asarray(highs.getSolution().col_value) > 0.5
    core_of = np.full(len(problem.school_ids), UNASSIGNED, dtype=np.int64)
    core_of[problem.cores] = problem.cores
    core_of[problem.members[rows[chosen]]] = problem.cores[cols[chosen]]
    optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    gap = max(0.0, float(info.mip_gap)) if np.isfinite(info.mip_gap) else 1.0
    return Plan.from_assignment(
        problem, core_of, solver=SOLVER_NAME, status="optimal" if optimal else "feasible",
        objective=float(info.objective_function_value), bound=float(info.mip_dual_bound), gap=gap, seed=seed,
    )
