"""Solving a :class:`~partition.problem.Problem`: an exact MILP with HiGHS, helped by a heuristic and a stronger bound.

The formulation is :mod:`partition.model`. :func:`solve` runs it in four steps:

1. **Decompose.** Components of the row-variable graph of the MILP are independent problems
   (with every school assigned, the balance mean is a constant, so schools that reach no common
   core never share a row); each is solved alone, smallest first, with its share of the time left.
2. **Warm start** (when every component is small). :func:`partition.heuristic.heuristic_plan`
   (LP rounding plus local search), used when it keeps every row of the model.
3. **Bound and dive** (components of at least :data:`BOUND_MIN_VARS` pairs). Column generation
   over whole 学区 (the set-partitioning LP; each core's pricing problem is an exact knapsack DP
   over member count and enrollment, stabilised around the LP relaxation's duals) gives a lower
   bound far stronger than the MILP's LP relaxation, as it relaxes only "each member joins one
   core". A dive in that LP (fix whole 学区, re-price) then fixes most 学区 and a MIP completes
   the rest.
4. **Exact MILP.** HiGHS on the component, warm-started with the best plan so far, until the time
   limit. The plan's bound is the larger of HiGHS's and the column-generation bound.

The status is read honestly: ``optimal`` only when HiGHS proves it or the best plan meets the proven
bound within :data:`MIP_REL_GAP`; a time-limited run is ``feasible`` with its proven gap. Infeasibility
is explained, down to the smallest travel limit at which a plan exists; the column-generation bound
also proves a component infeasible when it exceeds the cost of any plan. Every rule beyond the
member count and balance band only adds rows, so the bound stays valid under them.

Measured with ``bench/partition.py`` (demo county, default rules, one HiGHS thread, 2-core machine),
against plain HiGHS on the compact MILP in the same run:

=========  ======  =====================================  ===========================================
schools    limit   this module                            plain HiGHS (``mip_heuristic_effort`` 0.05)
=========  ======  =====================================  ===========================================
313        60 s    optimal in 10 s                        optimal in 7 s
787        60 s    feasible, gap 1.86% (bound 3,032,879)  feasible, gap 33.2% (bound 3,036,599)
1991       300 s   no plan (see below)                    no plan
2048 (3    300 s   feasible, gap 2.00%                    no plan
counties)
=========  ======  =====================================  ===========================================

At 787 schools a further 600 s of HiGHS from this module's plan neither improved it nor lifted the
bound past 3,046,121, so the gap there is at least 1.4%. The single 1,991-school county is
LP-feasible (set-partitioning bound 8,417,203) but neither this module nor 900 s of HiGHS found a
plan: its county town holds ~400 schools and ~140 cores that need 2 members each from only ~310
schools within 30 min.

Why the stronger bound: the MILP's LP relaxation is weak here (4.5% below the optimum at 300 schools,
where the set-partitioning bound is 0.17% below; 10% below that bound at 800 schools). Tried and
dropped: ``mip_heuristic_effort`` above 0.5 changed nothing;
coarse enrollment buckets in the pricing DP (10 students) cost 0.7% of bound; a master MIP over the
generated 学区 (price-and-branch) found no plan in 60 s at 800 schools; fixing only the pairs the
LP takes whole left a MIP too hard at 800 schools (2.1% after 60 s); local search with HiGHS
sub-MIPs on regions of 6-10 cores was slow (0.2 s each) and weak.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import highspy
import numpy as np
from scipy.sparse import coo_matrix, csc_matrix
from scipy.sparse.csgraph import connected_components

from .explain import InfeasibleError, explain_infeasible
from .heuristic import Relaxation, heuristic_plan, lp_relaxation, rule_windows
from .model import Model, build_model
from .plan import UNASSIGNED, Plan
from .problem import Locks, Problem

__all__ = ["solve", "has_plan", "smallest_feasible_limit", "DEFAULT_TIME_LIMIT_S", "InfeasibleError"]

#: Default wall-clock limit for the exact solver, in seconds.
DEFAULT_TIME_LIMIT_S = 60.0
#: Relative gap at which a plan counts as optimal.
MIP_REL_GAP = 1e-6
#: Resolution of the smallest feasible travel limit, in minutes.
LIMIT_STEP_MIN = 0.1
#: The search for the smallest limit shares the solve's time limit among about this many probes.
LIMIT_SEARCH_PROBES = 12
#: HiGHS's ``mip_heuristic_effort`` (its default is 0.05): on 800 schools in 60 s it lowered the
#: best plan from 2.2% to 1.5% above the bound.
MIP_HEURISTIC_EFFORT = 0.5
#: Components with at least this many (member, core) pairs get the column-generation bound.
BOUND_MIN_VARS = 1000
#: Shares of a component's time: column generation may use up to the first; the dive (column
#: dive, then a MIP over what it left open) up to the second of what is left, of which the column
#: dive up to the third; the exact MILP the rest.
BOUND_TIME_SHARE = 0.5
DIVE_TIME_SHARE = 0.6
COLUMN_DIVE_TIME_SHARE = 0.5
#: A pair the set-partitioning LP takes at least this much of is fixed in the dive.
WHOLE_SHARE = 1 - 1e-6
#: Column generation stops when its LP and its bound agree within this relative gap.
COLUMN_GENERATION_REL_TOL = 1e-5
#: Wentges smoothing: pricing happens this far from the master LP's duals toward the best ones.
SMOOTHING = 0.5
#: Artificial columns of the column-generation LP start at this multiple of the dearest pair's cost
#: and grow by the next factor, up to the last cost, while the LP uses them.
ARTIFICIAL_COST_FACTOR = 10.0
ARTIFICIAL_COST_GROWTH = 10.0
MAX_ARTIFICIAL_COST = 1e12
#: Column dive: each step fixes at most this share of the open cores' fractional 学区 and prices
#: at most this many rounds; at most this many steps are undone.
DIVE_FIX_SHARE = 0.05
DIVE_PRICING_ROUNDS = 30
DIVE_MAX_BACKTRACKS = 5
DIVE_INTEGRAL_TOL = 1e-6
#: HiGHS's ``simplex_strategy`` values for the dual and the primal simplex.
DUAL_SIMPLEX, PRIMAL_SIMPLEX = 1, 4
#: Tolerance on rows and reduced costs.
FEASIBILITY_TOL = 1e-6
#: Fewest seconds worth starting a HiGHS run with.
MIN_RUN_S = 0.01
SOLVER_NAME = f"HiGHS {highspy.Highs().version()} (MILP)"
BOUND_NAME = "set-partitioning bound"


def solve(problem: Problem, *, time_limit: float = DEFAULT_TIME_LIMIT_S, seed: int = 0) -> Plan:
    """Find the plan of least student-minutes that keeps every rule.

    With ``rules.objective == "max"`` the longest trip comes first: the travel limit is
    tightened to the smallest feasible one (recorded in the plan's rules), then student-minutes
    are minimised under it.

    Parameters
    ----------
    problem : Problem
    time_limit : float
        Wall-clock seconds for the search (the explanation of an infeasible problem may take
        about as long again).
    seed : int
        Seed of the heuristic and of HiGHS; the same problem and seed give the same plan when
        the search ends before the time limit.

    Raises
    ------
    InfeasibleError
        When no plan keeps the rules, with the reasons found (schools that reach no core,
        cores that cannot gather enough members, ...) and the smallest travel limit at which
        a plan exists under the other rules; or when the time limit ends the search before any plan.
    """
    reasons = explain_infeasible(problem)
    if not reasons and problem.rules.objective == "max":
        problem = _tightest_limit(problem, time_limit)
    if not reasons:
        deadline = time.monotonic() + time_limit
        model = build_model(problem)
        outcome = _solve_model(problem, model, deadline=deadline, seed=seed)
        if outcome.x is not None:
            return _plan(problem, model, outcome, seed)
        if not outcome.infeasible:
            raise InfeasibleError(["the solver stopped (time limit reached) before finding a plan; raise --time-limit"])
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
    model = build_model(problem, objective=False)
    if model.n_vars < BOUND_MIN_VARS and _warm_start(problem, model, seed=0) is not None:
        return True
    highs = _run_mip(_whole(model), time_limit=time_limit, seed=0)
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


# --- the search ----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Block:
    """An independent part of the MILP: some variables and the rows that hold only them.

    Attributes
    ----------
    columns : numpy.ndarray
        Positions of the block's variables among the whole model's.
    member, core, cost : numpy.ndarray
        Per variable, as in :class:`~partition.model.Model`.
    matrix : scipy.sparse.csc_matrix
        The block's rows over its variables.
    row_lower, row_upper : numpy.ndarray
    """

    columns: np.ndarray
    member: np.ndarray
    core: np.ndarray
    cost: np.ndarray
    matrix: csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray

    @property
    def n_vars(self) -> int:
        return len(self.columns)


@dataclass(frozen=True, eq=False)
class _Outcome:
    """What the search found: a 0/1 vector (None without a plan), its cost, a proven lower bound."""

    x: np.ndarray | None
    objective: float
    bound: float
    optimal: bool
    infeasible: bool = False
    bounded_by_columns: bool = False


def _solve_model(problem: Problem, model: Model, *, deadline: float, seed: int) -> _Outcome:
    """Solve each independent block of ``model`` in turn, each with its share of the time left."""
    blocks, contradiction = _independent_blocks(model)
    if contradiction:
        return _Outcome(None, np.inf, np.inf, optimal=False, infeasible=True)
    relaxation = lp_relaxation(problem)
    large = any(block.n_vars >= BOUND_MIN_VARS for block in blocks)  # there, column generation and its dive start better
    start = None if large else _warm_start(problem, model, seed, relaxation)
    x = np.zeros(model.n_vars)
    objective = bound = model.offset
    optimal, by_columns = True, False
    vars_left = model.n_vars
    for block in blocks:
        share = block.n_vars / max(vars_left, 1)
        block_deadline = time.monotonic() + max(0.0, deadline - time.monotonic()) * share
        vars_left -= block.n_vars
        block_start = None if start is None else start[block.columns]
        duals = None if relaxation is None else relaxation.member_duals
        outcome = _solve_block(problem, block, start=block_start, duals=duals, deadline=block_deadline, seed=seed)
        if outcome.x is None:
            return outcome
        x[block.columns] = outcome.x
        objective += outcome.objective
        bound += outcome.bound
        optimal &= outcome.optimal
        by_columns |= outcome.bounded_by_columns
    return _Outcome(x, objective, bound, optimal, bounded_by_columns=by_columns)


def _independent_blocks(model: Model) -> tuple[list[_Block], bool]:
    """The connected components of the row-variable graph, smallest first.

    Also whether a row without variables contradicts itself (``1 <= 0``), which rules a plan out.
    """
    n_rows, n_vars = model.matrix.shape
    empty_rows = np.diff(model.matrix.tocsr().indptr) == 0
    contradiction = bool(((model.row_lower[empty_rows] > FEASIBILITY_TOL) | (model.row_upper[empty_rows] < -FEASIBILITY_TOL)).any())
    if n_vars == 0:
        return [], contradiction
    entries = model.matrix.tocoo()
    graph = coo_matrix((np.ones(entries.nnz), (entries.col, n_vars + entries.row)), shape=(n_vars + n_rows,) * 2)
    _, label = connected_components(graph, directed=False)
    var_label, row_label = label[:n_vars], label[n_vars:]
    blocks = []
    for component in np.unique(var_label):
        columns = np.flatnonzero(var_label == component)
        rows = np.flatnonzero(row_label == component)
        blocks.append(_block(model, columns, rows))
    blocks.sort(key=lambda b: (b.n_vars, int(b.columns[0])))
    return blocks, contradiction


def _block(model: Model, columns: np.ndarray, rows: np.ndarray) -> _Block:
    matrix = model.matrix[:, columns].tocsr()[rows].tocsc()
    matrix.sort_indices()
    return _Block(columns=columns, member=model.member[columns], core=model.core[columns], cost=model.cost[columns],
                  matrix=matrix, row_lower=model.row_lower[rows], row_upper=model.row_upper[rows])


def _whole(model: Model) -> _Block:
    """The whole model as one block."""
    return _Block(columns=np.arange(model.n_vars), member=model.member, core=model.core, cost=model.cost,
                  matrix=model.matrix, row_lower=model.row_lower, row_upper=model.row_upper)


def _warm_start(problem: Problem, model: Model, seed: int, relaxation: Relaxation | None = None) -> np.ndarray | None:
    """The heuristic plan as a 0/1 vector over the model's variables, if it keeps every row."""
    found = heuristic_plan(problem, seed=seed, relaxation=relaxation)
    if found is None:
        return None
    chosen = found.core_of[problem.members[model.member]] == problem.cores[model.core]
    x = chosen.astype(float)
    return x if _keeps_rows(_whole(model), x) else None


def _keeps_rows(block: _Block, x: np.ndarray) -> bool:
    activity = block.matrix @ x
    return bool(((activity >= block.row_lower - FEASIBILITY_TOL) & (activity <= block.row_upper + FEASIBILITY_TOL)).all())


def _solve_block(problem: Problem, block: _Block, *, start: np.ndarray | None, duals: np.ndarray | None,
                 deadline: float, seed: int) -> _Outcome:
    """Bound, dive and solve one block; the best plan found and the best proven bound."""
    best_x, bound, by_columns = start, -np.inf, False
    if block.n_vars >= BOUND_MIN_VARS:
        columns = _set_partitioning_bound(problem, block, deadline=_share_of(deadline, BOUND_TIME_SHARE),
                                          start=best_x, duals=duals)
        bound, by_columns = columns.bound, True
        if bound > _worst_cost(block) + FEASIBILITY_TOL:
            return _Outcome(None, np.inf, bound, optimal=False, infeasible=True)
        if best_x is None or not _meets_bound(block.cost @ best_x, bound):
            best_x = _better(block, best_x, _dive(block, columns, deadline=_share_of(deadline, DIVE_TIME_SHARE), seed=seed))
    if best_x is not None and _meets_bound(block.cost @ best_x, bound):
        return _found(block, best_x, bound, optimal=True, by_columns=by_columns)
    time_left = deadline - time.monotonic()
    if time_left < MIN_RUN_S:
        if best_x is None:
            return _Outcome(None, np.inf, bound, optimal=False)
        return _found(block, best_x, bound, optimal=False, by_columns=by_columns)
    highs = _run_mip(block, time_limit=time_left, seed=seed, start=best_x)
    solved = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    best_x = _better(block, best_x, _solution(highs))
    if best_x is None:
        return _Outcome(None, np.inf, bound, optimal=False, infeasible=highs.getModelStatus() == highspy.HighsModelStatus.kInfeasible)
    proven = float(block.cost @ best_x) if solved else float(highs.getInfo().mip_dual_bound)
    return _found(block, best_x, max(bound, proven), optimal=solved, by_columns=by_columns)


def _found(block: _Block, x: np.ndarray, bound: float, *, optimal: bool, by_columns: bool) -> _Outcome:
    """The outcome of plan ``x`` under a proven ``bound`` (clipped to its cost against rounding);
    optimal when the solver says so or the plan meets the bound."""
    objective = float(block.cost @ x)
    bound = min(bound, objective)
    return _Outcome(x, objective, bound, optimal or _meets_bound(objective, bound), bounded_by_columns=by_columns)


def _share_of(deadline: float, share: float) -> float:
    """The moment ``share`` of the time left before ``deadline`` has passed."""
    now = time.monotonic()
    return now + share * max(0.0, deadline - now)


def _dive(block: _Block, columns: "_Columns", *, deadline: float, seed: int) -> np.ndarray | None:
    """A plan near the set-partitioning LP: the column dive if it keeps every row, else its fixed
    学区 (or, if it fixed none, the pairs the LP takes whole) completed by a MIP over all rows."""
    x, fixed = _column_dive(columns, deadline=_share_of(deadline, COLUMN_DIVE_TIME_SHARE))
    if x is not None and _keeps_rows(block, x):  # the dive knows only the member and balance rules
        return x
    if not fixed.any():
        fixed = columns.share >= WHOLE_SHARE
    return _solution(_run_mip(block, time_limit=max(0.0, deadline - time.monotonic()), seed=seed, fixed=fixed))


def _meets_bound(objective: float, bound: float) -> bool:
    return objective - bound <= MIP_REL_GAP * max(abs(objective), 1.0)


def _worst_cost(block: _Block) -> float:
    """An upper bound on the cost of any plan of the block: each member at its dearest core."""
    worst = np.full(block.member.max() + 1, -np.inf)
    np.maximum.at(worst, block.member, block.cost)
    return float(worst[np.isfinite(worst)].sum())


def _better(block: _Block, x: np.ndarray | None, y: np.ndarray | None) -> np.ndarray | None:
    """The cheaper of two plans (either may be None); ``x`` on a tie."""
    if y is None:
        return x
    if x is None:
        return y
    return y if block.cost @ y < block.cost @ x - FEASIBILITY_TOL else x


def _solution(highs: highspy.Highs) -> np.ndarray | None:
    """HiGHS's plan as a rounded 0/1 vector, or None when it has none."""
    if highs.getInfo().primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        return None
    return np.round(np.asarray(highs.getSolution().col_value))


def _plan(problem: Problem, model: Model, outcome: _Outcome, seed: int) -> Plan:
    chosen = outcome.x > 0.5
    core_of = np.full(len(problem.school_ids), UNASSIGNED, dtype=np.int64)
    core_of[problem.cores] = problem.cores
    core_of[problem.members[model.member[chosen]]] = problem.cores[model.core[chosen]]
    solver = f"{SOLVER_NAME} + {BOUND_NAME}" if outcome.bounded_by_columns else SOLVER_NAME
    return Plan.from_assignment(
        problem, core_of, solver=solver, status="optimal" if outcome.optimal else "feasible",
        objective=float(outcome.objective), bound=float(outcome.bound), gap=_gap(outcome), seed=seed,
    )


def _gap(outcome: _Outcome) -> float:
    """``(objective - bound) / objective`` in [0, 1]; 0 when optimal, 1 without a finite bound."""
    if outcome.optimal:
        return 0.0
    if not np.isfinite(outcome.bound):
        return 1.0
    if outcome.objective <= 0:
        return 0.0 if outcome.bound >= outcome.objective - FEASIBILITY_TOL else 1.0
    return float(min(1.0, max(0.0, (outcome.objective - outcome.bound) / outcome.objective)))


# --- HiGHS -----------------------------------------------------------------------------------------------


def _run_mip(block: _Block, *, time_limit: float, seed: int, start: np.ndarray | None = None,
             fixed: np.ndarray | None = None) -> highspy.Highs:
    """Run HiGHS on ``block``, from ``start`` if given, with the ``fixed`` variables set to 1."""
    highs = _to_highs(block)
    highs.setOptionValue("time_limit", max(float(time_limit), 0.0))
    highs.setOptionValue("random_seed", int(seed))
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    highs.setOptionValue("mip_heuristic_effort", MIP_HEURISTIC_EFFORT)
    if fixed is not None and fixed.any():
        chosen = np.flatnonzero(fixed).astype(np.int32)
        highs.changeColsBounds(len(chosen), chosen, np.ones(len(chosen)), np.ones(len(chosen)))
    if start is not None:
        highs.setSolution(_highs_solution(start))
    highs.run()
    return highs


def _highs_solution(x: np.ndarray) -> highspy.HighsSolution:
    solution = highspy.HighsSolution()
    solution.col_value = list(map(float, x))
    solution.value_valid = True
    return solution


def _to_highs(block: _Block) -> highspy.Highs:
    """Pass ``block`` to a new, silent HiGHS instance as a binary program."""
    n_vars, n_rows = block.n_vars, block.matrix.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_vars, n_rows
    lp.col_cost_ = block.cost
    lp.col_lower_, lp.col_upper_ = np.zeros(n_vars), np.ones(n_vars)
    lp.row_lower_, lp.row_upper_ = block.row_lower, block.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_ = block.matrix.indptr, block.matrix.indices
    lp.a_matrix_.value_ = block.matrix.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_vars, n_rows
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_vars
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    return highs


# --- the set-partitioning bound: column generation over whole 学区 -------------------------------------


@dataclass(frozen=True, eq=False)
class _Columns:
    """Column generation's result: a proven lower bound, each pair's share in the master LP, and
    the master LP and pricer, for a dive."""

    bound: float
    share: np.ndarray
    master: "_Master"
    pricer: "_Pricer"


def _set_partitioning_bound(problem: Problem, block: _Block, *, deadline: float, start: np.ndarray | None,
                            duals: np.ndarray | None = None) -> _Columns:
    """Lower bound of ``block`` by column generation on the set-partitioning LP.

    Each column is a whole 学区 of one core that keeps the member count and balance rules; the
    master LP picks one per core and covers each member once. The bound at any duals ``λ`` is the
    Lagrangian ``Σλ + Σ_cores min(cost - λ)`` over that core's 学区, valid whether or not the LP has
    converged, and never weaker than HiGHS's LP relaxation at convergence. The other rules are
    relaxed, which keeps it a lower bound. ``duals`` (per member of the problem, e.g. the LP
    relaxation's) seed the stabilisation centre.
    """
    members, pair_member = np.unique(block.member, return_inverse=True)
    cores, pair_core = np.unique(block.core, return_inverse=True)
    pricer = _Pricer(problem, members, cores, pair_member, pair_core, block.cost)
    master = _Master(len(members), len(cores), pair_member, pair_core, block.cost,
                     artificial=ARTIFICIAL_COST_FACTOR * max(float(block.cost.max()), 1.0))
    if start is not None:
        chosen = np.flatnonzero(start > 0.5)
        master.add([(int(c), chosen[pair_core[chosen] == c]) for c in range(len(cores))])
    best, center, smoothing = -np.inf, np.zeros(len(members)), 0.0
    if duals is not None:
        center = duals[members]
        best, districts = pricer.price(center)
        master.add(districts)
        smoothing = SMOOTHING
    while time.monotonic() < deadline and best < np.inf:
        duals, core_duals, value = master.solve()
        point = smoothing * center + (1 - smoothing) * duals
        bound, districts = pricer.price(point)
        if bound > best:
            best, center = bound, point
        if value - best <= COLUMN_GENERATION_REL_TOL * max(abs(value), 1.0) and not master.raise_artificial():
            break
        added = master.add([d for d in districts if master.reduced_cost(d, duals, core_duals) < -FEASIBILITY_TOL])
        if not added and smoothing == 0 and not master.raise_artificial():
            break  # no column prices out at the master's own duals, and no artificial is used: the LP is solved
        smoothing = SMOOTHING if added else 0.0  # after a mispriced step, price at the master's duals
    return _Columns(bound=best, share=master.share(), master=master, pricer=pricer)


def _column_dive(columns: _Columns, *, deadline: float) -> tuple[np.ndarray | None, np.ndarray]:
    """A plan, or most of one, from the set-partitioning LP by diving: fix whole 学区, re-price, repeat.

    Each step prices new 学区 for the open cores over the free members (up to
    :data:`DIVE_PRICING_ROUNDS` rounds), then fixes every 学区 the LP takes whole and the largest
    fractional ones (up to :data:`DIVE_FIX_SHARE` of the open cores, members disjoint). When the
    LP then needs an artificial column, the dive backs up to its last fractional choice and forbids
    it, at most :data:`DIVE_MAX_BACKTRACKS` times.

    Returns the plan as a 0/1 vector over the block's pairs (None if the dive did not finish) and
    the pairs of the 学区 fixed at its deepest LP-feasible point, for a MIP to complete.
    """
    master, pricer = columns.master, columns.pricer
    n_cores = master.n_rows - master.n_members
    backtracks, deepest = 0, np.zeros(len(master.pair_member), bool)
    while time.monotonic() < deadline:
        open_cores, free_members = master.open_rows(master.fixed_values(), n_cores)
        for _ in range(DIVE_PRICING_ROUNDS):
            duals, core_duals, _ = master.solve()
            _, districts = pricer.price(duals, open_cores=open_cores, free_members=free_members)
            if time.monotonic() >= deadline or not master.add(
                [d for d in districts if master.reduced_cost(d, duals, core_duals) < -FEASIBILITY_TOL]
            ):
                break
        master.solve()
        if master.uses_artificial():
            if backtracks >= DIVE_MAX_BACKTRACKS or not master.undo_last_step():
                break
            backtracks += 1
            continue
        fixed = master.plan(master.fixed_values()) > 0.5
        if fixed.sum() > deepest.sum():
            deepest = fixed
        values = master.values()
        if np.all(np.abs(values - np.round(values)) <= DIVE_INTEGRAL_TOL):
            return master.plan(values), deepest
        if not master.fix_step(values, max(1, int(DIVE_FIX_SHARE * open_cores.sum()))):
            break
    return None, deepest

class _Pricer:
    """For each core, its cheapest 学区 under given member duals (an exact knapsack DP)."""

    def __init__(self, problem: Problem, members: np.ndarray, cores: np.ndarray, pair_member: np.ndarray,
                 pair_core: np.ndarray, cost: np.ndarray):
        (self.count_low, self.count_high), (load_low, load_high) = rule_windows(problem)
        core_students = problem.enrollment[problem.cores[cores]].astype(float)
        self.load_low, self.load_high = load_low - core_students, load_high - core_students
        self.weighs = bool(np.isfinite(load_high))
        students = problem.enrollment[problem.members[members]].astype(np.int64)
        self.weight = students[pair_member] if self.weighs else np.zeros(len(pair_member), np.int64)
        self.pair_member, self.cost = pair_member, cost
        order = np.argsort(pair_core, kind="stable")
        starts = np.searchsorted(pair_core[order], np.arange(len(cores) + 1))
        self.pairs_of = [order[starts[c] : starts[c + 1]] for c in range(len(cores))]

    def price(self, duals: np.ndarray, *, open_cores: np.ndarray | None = None,
              free_members: np.ndarray | None = None) -> tuple[float, list[tuple[int, np.ndarray]]]:
        """The Lagrangian bound at ``duals`` and, per core, its cheapest 学区 of each member count.

        In a dive only the ``open_cores`` are priced, over the ``free_members``; the bound is then
        meaningless.
        """
        bound, districts = float(duals.sum()), []
        for c, pairs in enumerate(self.pairs_of):
            if open_cores is not None:
                if not open_cores[c]:
                    continue
                pairs = pairs[free_members[self.pair_member[pairs]]]
            found = _cheapest_districts(
                self.cost[pairs] - duals[self.pair_member[pairs]], self.weight[pairs],
                (self.count_low, self.count_high), (self.load_low[c], self.load_high[c]) if self.weighs else (0.0, 0.0),
            )
            if not found:
                if open_cores is not None:
                    continue
                return np.inf, []
            bound += min(value for value, _ in found)
            districts += [(c, pairs[chosen]) for _, chosen in found]
        return bound, districts


def _cheapest_districts(reduced: np.ndarray, weight: np.ndarray, counts: tuple[float, float],
                        loads: tuple[float, float]) -> list[tuple[float, np.ndarray]]:
    """For each allowed member count, the subset of least ``reduced`` cost whose weight is in ``loads``.

    A 0/1 knapsack DP over (members taken, weight); with no member limit the count is not tracked,
    with no balance rule all weights are 0. Returns (value, chosen positions) pairs.
    """
    counting = bool(np.isfinite(counts[1]))
    n_rows = min(int(counts[1]), len(reduced)) + 1 if counting else 1
    capacity = int(np.floor(loads[1] + FEASIBILITY_TOL))
    if capacity < 0 or (counting and counts[0] >= n_rows):
        return []
    table = np.full((n_rows, capacity + 1), np.inf)
    table[0, 0] = 0.0
    took = np.zeros((len(reduced), n_rows, capacity + 1), bool)
    source, target = (slice(0, n_rows - 1), slice(1, n_rows)) if counting else (slice(0, 1), slice(0, 1))
    for item, (value, w) in enumerate(zip(reduced.tolist(), weight.tolist())):
        if w > capacity:
            continue
        candidate = table[source, : capacity + 1 - w] + value
        better = candidate < table[target, w:]
        took[item, target, w:] = better
        np.minimum(table[target, w:], candidate, out=table[target, w:])
    lightest = max(0, int(np.ceil(loads[0] - FEASIBILITY_TOL)))
    found = []
    for row in range(int(counts[0]), n_rows) if counting else (0,):
        line = table[row, lightest:]
        if len(line) == 0 or not np.isfinite(line.min()):
            continue
        load = lightest + int(np.argmin(line))
        found.append((float(table[row, load]), _backtrack(took, weight, row, load, counting)))
    return found


def _backtrack(took: np.ndarray, weight: np.ndarray, row: int, load: int, counting: bool) -> np.ndarray:
    chosen = []
    for item in range(len(took) - 1, -1, -1):
        if took[item, row, load]:
            chosen.append(item)
            row -= int(counting)
            load -= int(weight[item])
    return np.array(chosen[::-1], dtype=np.int64)


class _Master:
    """The restricted set-partitioning LP: one 学区 per core, each member covered once.

    Every row has an artificial column, so the LP always has a solution. Its cost starts at
    ``artificial`` (a small multiple of the dearest pair: a huge one makes the early LPs slow and
    the duals wild) and grows while the LP's solution still uses an artificial column.
    """

    def __init__(self, n_members: int, n_cores: int, pair_member: np.ndarray, pair_core: np.ndarray,
                 cost: np.ndarray, *, artificial: float):
        self.n_members, self.pair_member, self.pair_core, self.cost = n_members, pair_member, pair_core, cost
        n_rows = n_members + n_cores
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("threads", 1)
        self.highs.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)  # new columns keep the basis primal feasible
        self.highs.addRows(n_rows, np.ones(n_rows), np.ones(n_rows), 0, np.array([], np.int32), np.array([], np.int32), np.array([]))
        identity = np.arange(n_rows, dtype=np.int32)
        self.highs.addCols(n_rows, np.full(n_rows, artificial), np.zeros(n_rows), np.full(n_rows, np.inf),
                           n_rows, identity, identity, np.ones(n_rows))
        self.n_artificial, self.artificial, self.n_rows = n_rows, artificial, n_rows
        self.districts: list[np.ndarray] = []
        self.district_core: list[int] = []
        self.fixed: list[int] = []  # districts fixed by the dive, in order
        self.steps: list[tuple[list[int], list[int]]] = []  # the dive's steps: (fixed whole, fixed fractional)
        self.seen: set[tuple[int, ...]] = set()

    def add(self, districts: list[tuple[int, np.ndarray]]) -> int:
        """Add the new ones of ``districts`` (core, pairs); return how many were new."""
        starts, index, costs = [0], [], []
        for core, pairs in districts:
            key = (core, *sorted(pairs.tolist()))
            if key in self.seen:
                continue
            self.seen.add(key)
            self.districts.append(pairs)
            self.district_core.append(core)
            index += [*self.pair_member[pairs].tolist(), self.n_members + core]
            starts.append(len(index))
            costs.append(float(self.cost[pairs].sum()))
        if costs:
            n = len(costs)
            self.highs.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)  # new columns keep the basis primal feasible
            self.highs.addCols(n, np.array(costs), np.zeros(n), np.full(n, np.inf), len(index),
                               np.array(starts[:-1], np.int32), np.array(index, np.int32), np.ones(len(index)))
        return len(costs)

    def raise_artificial(self) -> bool:
        """Make the artificial columns dearer if the LP's solution uses one; whether it did."""
        used = np.asarray(self.highs.getSolution().col_value)[: self.n_artificial] > FEASIBILITY_TOL
        if not used.any() or self.artificial >= MAX_ARTIFICIAL_COST:
            return False
        self.artificial *= ARTIFICIAL_COST_GROWTH
        columns = np.arange(self.n_artificial, dtype=np.int32)
        self.highs.changeColsCost(self.n_artificial, columns, np.full(self.n_artificial, self.artificial))
        return True

    def solve(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Solve the LP; its member duals, core duals and value."""
        self.highs.run()
        duals = np.asarray(self.highs.getSolution().row_dual)
        return duals[: self.n_members], duals[self.n_members :], float(self.highs.getInfo().objective_function_value)

    def reduced_cost(self, district: tuple[int, np.ndarray], duals: np.ndarray, core_duals: np.ndarray) -> float:
        core, pairs = district
        return float(self.cost[pairs].sum() - duals[self.pair_member[pairs]].sum() - core_duals[core])

    def values(self) -> np.ndarray:
        """The LP's value of each 学区 column (artificials left out)."""
        return np.asarray(self.highs.getSolution().col_value)[self.n_artificial :]

    def uses_artificial(self) -> bool:
        return bool((np.asarray(self.highs.getSolution().col_value)[: self.n_artificial] > FEASIBILITY_TOL).any())

    def fixed_values(self) -> np.ndarray:
        values = np.zeros(len(self.districts))
        values[self.fixed] = 1.0
        return values

    def open_rows(self, values: np.ndarray, n_cores: int) -> tuple[np.ndarray, np.ndarray]:
        """Cores and members not covered by the 学区 at value 1 in ``values``."""
        open_cores, free_members = np.ones(n_cores, bool), np.ones(self.n_members, bool)
        for k in np.flatnonzero(values >= 1 - DIVE_INTEGRAL_TOL):
            open_cores[self.district_core[k]] = False
            free_members[self.pair_member[self.districts[k]]] = False
        return open_cores, free_members

    def fix_step(self, values: np.ndarray, n_fractional: int) -> bool:
        """Fix the whole 学区 and up to ``n_fractional`` of the largest fractional ones, disjoint."""
        whole = [int(k) for k in np.flatnonzero(values >= 1 - DIVE_INTEGRAL_TOL) if k not in self.fixed]
        taken_cores = {self.district_core[k] for k in self.fixed + whole}
        taken_members = {int(i) for k in self.fixed + whole for i in self.pair_member[self.districts[k]]}
        fractional = []
        for k in np.lexsort((np.arange(len(values)), -values)).tolist():
            if len(fractional) >= n_fractional or values[k] <= DIVE_INTEGRAL_TOL:
                break
            if values[k] >= 1 - DIVE_INTEGRAL_TOL or k in self.fixed:
                continue
            members = set(self.pair_member[self.districts[k]].tolist())
            if self.district_core[k] in taken_cores or members & taken_members:
                continue
            fractional.append(k)
            taken_cores.add(self.district_core[k])
            taken_members |= members
        if not whole and not fractional:
            return False
        self._set_bounds(whole + fractional, 1.0, 1.0)
        self.fixed += whole + fractional
        self.steps.append((whole, fractional))
        return True

    def undo_last_step(self) -> bool:
        """Undo the dive back to its last step that fixed a fractional 学区, and forbid those.

        False if no step fixed one.
        """
        while self.steps:
            whole, fractional = self.steps.pop()
            self._set_bounds(whole, 0.0, np.inf)
            undone = set(whole) | set(fractional)
            self.fixed = [k for k in self.fixed if k not in undone]
            if fractional:
                self._set_bounds(fractional, 0.0, 0.0)
                return True
        return False

    def _set_bounds(self, districts: list[int], lower: float, upper: float) -> None:
        if districts:
            self.highs.setOptionValue("simplex_strategy", DUAL_SIMPLEX)  # new bounds keep the basis dual feasible
            columns = (self.n_artificial + np.array(districts)).astype(np.int32)
            self.highs.changeColsBounds(len(columns), columns, np.full(len(columns), lower), np.full(len(columns), upper))

    def plan(self, values: np.ndarray) -> np.ndarray:
        """The 0/1 vector over the pairs of an integral LP solution."""
        x = np.zeros(len(self.pair_member))
        for k in np.flatnonzero(values > 0.5):
            x[self.districts[k]] = 1.0
        return x

    def share(self) -> np.ndarray:
        """Each pair's share in the LP's solution: the total weight of the 学区 holding it."""
        values = np.asarray(self.highs.getSolution().col_value)[self.n_artificial :]
        share = np.zeros(len(self.pair_member))
        for weight, pairs in zip(values, self.districts):
            if weight > FEASIBILITY_TOL:
                share[pairs] += weight
        return share
