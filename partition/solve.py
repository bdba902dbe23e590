"""Solving a :class:`~partition.problem.Problem`: the plan of least cost with a proven bound.

The formulation is :mod:`partition.model`. :func:`solve` runs it in four steps:

1. **Decompose.** Components of the row-variable graph of the MILP are independent problems
   (with every school assigned, the balance mean is a constant, so schools that reach no common
   core never share a row); each is solved alone, smallest first, with its share of the time left.
   With ``jobs > 1`` and several large components, they are dealt to processes that run side by
   side (:data:`PROCESSES_PER_CORE`), each solving its components in turn.
2. **Warm start** (when every component is small): :func:`partition.heuristic.heuristic_plan`,
   used when it keeps every row of the model.
3. **Bound and dive** (components of at least :data:`BOUND_MIN_VARS` pairs): a loose one (its LP
   relaxation splits few members) goes to HiGHS alone first, which solves it outright; when its gap
   is still above :data:`EXACT_MAX_GAP` after :data:`PLAIN_TIME_SHARE` of the time, or for a tight
   component at once, :mod:`partition.columns` gives the set-partitioning bound,
   far stronger than the MILP's LP relaxation, and a plan by diving in that LP; a MIP completes what
   the dive leaves open.
4. **Improve and prove.** A small component goes to HiGHS, warm-started, for all its time. In a
   large one, the heuristic's exact regions on the block's cores improve the dive's plan (or, where
   no MIP completes the dive, repair its partial plan) for up to :data:`LOCAL_TIME_SHARE` of the
   time left; a plan within :data:`EXACT_MAX_GAP` of the bound (or no plan yet) goes to HiGHS for
   :data:`EXACT_TIME_SHARE` of the time left, which may prove it optimal (or find a plan); then
   sweeps of wider exact regions (:data:`WIDE_REGION_WIDTHS`) improve the plan until the time limit,
   and :mod:`partition.polish` (CP-SAT) uses any time left, or searches from nothing when there is
   no plan yet. The plan's bound is the larger of HiGHS's and the set-partitioning bound.

The status is read honestly: ``optimal`` only when HiGHS proves it or the best plan meets the proven
bound within :data:`MIP_REL_GAP`; a time-limited run is ``feasible`` with its proven gap. When no
plan is found, :mod:`partition.feasibility` explains why, down to the smallest travel limit at
which a plan exists (with every time to and from the cores, when the problem had only those
within its horizon). Every rule beyond the member count and balance band only adds rows, so the
set-partitioning bound stays valid under them; it also proves a component infeasible when it
exceeds the cost of any plan.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing import get_context

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from . import highs
from .columns import BOUND_TIME_SHARE, column_generation, dive, share_of
from .explain import InfeasibleError, explain_infeasible
from .feasibility import limit_hint, rules_to_relax, smallest_feasible_limit
from .heuristic import REGION_WIDTHS, Relaxation, heuristic_plan, lp_relaxation
from .highs import MIP_REL_GAP
from .model import FEASIBILITY_TOL, Model, build_model, imbalance, student_minutes
from .plan import Plan
from .polish import polish, workers_for
from .problem import Problem
from .solverlogs import solver_logs

__all__ = ["solve", "available_cores", "DEFAULT_TIME_LIMIT_S", "MIP_REL_GAP", "InfeasibleError"]

#: Default wall-clock limit for the exact solver, in seconds.
DEFAULT_TIME_LIMIT_S = 60.0
#: The search for the smallest limit shares the solve's time limit among about this many probes.
LIMIT_SEARCH_PROBES = 12
#: Components with at least this many (member, core) pairs get the set-partitioning bound.
BOUND_MIN_VARS = 1000
#: A large component whose LP relaxation splits at most :data:`PLAIN_MAX_SPLIT` of its members between
#: cores first goes to HiGHS alone: a loose one (1,500 schools, 150 cores, 2-12 members, ±100%; 1.5% of
#: the members split) is proven optimal at the root node in 5 s, where the bound-and-dive path took the
#: whole minute and left a gap. HiGHS goes on while its gap is within :data:`EXACT_MAX_GAP` after this
#: share of the component's time (where the steps below would hand the plan to HiGHS anyway); otherwise
#: the rest of the time goes to those steps, from its plan and with its bound. With the default rules
#: (313 and 787 schools: 20% and 23% split) the bound-and-dive path does better, and gets all the time.
PLAIN_TIME_SHARE = 0.25
PLAIN_MAX_SPLIT = 0.1
#: A pair's LP value counts as whole within this of 0 or 1.
WHOLE_TOL = 1e-6
#: Share of a component's time left after column generation (:data:`partition.columns.BOUND_TIME_SHARE`)
#: that the dive may use.
DIVE_TIME_SHARE = 0.6
#: After the dive, a plan within this gap of the set-partitioning bound (or no plan) goes to HiGHS, which
#: may prove it optimal (or find one) in this share of the time left; wider exact regions improve it in the rest.
EXACT_MAX_GAP = 0.01
EXACT_TIME_SHARE = 0.5
#: The heuristic's exact regions, after the dive, may use this share of the time left.
LOCAL_TIME_SHARE = 0.5
#: Then, until the time limit, sweeps of wider exact regions (neighbouring cores per region; see
#: :func:`partition.heuristic.heuristic_plan`). On 787 schools CP-SAT, given 30 minutes from the plan
#: the first sweep leaves, lowered it 0.01%; one sweep of 14 neighbours lowered it 0.01–0.13% in 16 s,
#: and by 0.1–0.7% on each county of the three-county instance in 40 s (CP-SAT: 0.03–0.2%).
WIDE_REGION_WIDTHS = (14, 20)
#: With more than one core (``jobs``), the large blocks run in up to this many processes per core,
#: sharing the cores: each gets an equal share of the time, and one that finishes early hands its
#: share to the others. On the three-county instance (2,048 schools, 300 s, 2 cores) the gap was 1.10% with one
#: process, 1.01% with two (one county alone, two in turn) and 0.93% with three.
PROCESSES_PER_CORE = 2
SOLVER_NAME = f"HiGHS {highs.VERSION} (MILP)"
BOUND_NAME = "set-partitioning bound, exact regions, CP-SAT polish"


def solve(problem: Problem, *, time_limit: float = DEFAULT_TIME_LIMIT_S, seed: int = 0, jobs: int = 1,
          verbose: bool = False, all_times: Callable[[], np.ndarray] | None = None) -> Plan:
    """Find the plan of least cost (:func:`partition.model.objective_value`) that keeps every rule.

    With ``rules.objective == "max"`` the longest trip comes first: the travel limit is
    tightened to the smallest feasible one (recorded in the plan's rules), then the cost is
    minimised under it.

    Parameters
    ----------
    problem : Problem
    time_limit : float
        Wall-clock seconds for the search (the explanation of an infeasible problem may take
        about as long again).
    seed : int
        Seed of the heuristic and of HiGHS; the same problem and seed give the same plan when
        the search ends before the time limit.
    jobs : int
        CPU cores for the independent blocks (see :func:`available_cores`). With more than one,
        and at least two blocks large enough for the set-partitioning bound, the blocks run in
        up to :data:`PROCESSES_PER_CORE` processes per core, started by ``spawn``: a script calling
        this needs the ``if __name__ == "__main__":`` guard.
    verbose : bool
        Let HiGHS and CP-SAT print their logs to standard output (they print nothing otherwise).
    all_times : callable, optional
        For a problem with a horizon (``problem.horizon_s``): gives its ``seconds`` without one (every
        core's times to and from every school). Called only when no plan exists, so that the
        explanation can quote times beyond the limit (a school's nearest core, the smallest feasible limit).

    Raises
    ------
    InfeasibleError
        When no plan keeps the rules, with the reasons found (schools that reach no core,
        cores that cannot gather enough members, ...) and the smallest travel limit at which
        a plan exists under the other rules; or when the time limit ends the search before any plan.
    """
    with solver_logs(verbose):
        reasons = explain_infeasible(problem)
        if not reasons and problem.rules.objective == "max":
            problem = _tightest_limit(problem, time_limit)
        if not reasons:
            deadline = time.monotonic() + time_limit
            model = build_model(problem)
            outcome = _solve_model(problem, model, deadline=deadline, seed=seed, jobs=jobs, verbose=verbose)
            if outcome.x is not None:
                return _plan(problem, model, outcome, seed)
            if not outcome.infeasible:
                raise InfeasibleError(["the solver stopped (time limit reached) before finding a plan; raise --time-limit"])
        problem = _without_horizon(problem, all_times)
        reasons = explain_infeasible(problem) or [
            "the rules cannot all hold together, although no single school or core rules a plan out", *_relax_hint(problem, time_limit)]
        hint, limit = limit_hint(problem, time_limit=time_limit / LIMIT_SEARCH_PROBES)
        raise InfeasibleError(reasons + hint, smallest_limit=limit)


def available_cores() -> int:
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _without_horizon(problem: Problem, all_times: Callable[[], np.ndarray] | None) -> Problem:
    """The problem with every time from ``all_times``, when it has a horizon (the same explanations, with
    the times beyond it)."""
    if all_times is None or not np.isfinite(problem.horizon_s):
        return problem
    return replace(problem, seconds=all_times(), horizon_s=np.inf)


def _tightest_limit(problem: Problem, time_limit: float) -> Problem:
    """The problem under its smallest feasible travel limit (the ``max`` objective's first stage)."""
    limit = smallest_feasible_limit(problem, time_limit=time_limit / LIMIT_SEARCH_PROBES)
    if limit is None or (problem.rules.max_minutes is not None and limit > problem.rules.max_minutes):
        return problem  # no plan: the ordinary path explains why
    return replace(problem, rules=replace(problem.rules, max_minutes=limit))


def _relax_hint(problem: Problem, time_limit: float) -> list[str]:
    found = rules_to_relax(problem, time_limit=time_limit)
    if not found:
        return []
    ways = " or ".join(f"without {' and '.join(options)}" for options in found)
    return [f"a plan exists {ways} (the other rules kept)"]


# --- the search ----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Outcome:
    """What the search found: a solution vector (None without a plan), its cost, a proven lower bound."""

    x: np.ndarray | None
    objective: float
    bound: float
    optimal: bool
    infeasible: bool = False
    bounded_by_columns: bool = False


def _solve_model(problem: Problem, model: Model, *, deadline: float, seed: int, jobs: int, verbose: bool) -> _Outcome:
    """Solve the independent blocks of ``model`` on ``jobs`` cores, each block with its share of the time."""
    blocks, contradiction = _independent_blocks(model)
    if contradiction:
        return _Outcome(None, np.inf, np.inf, optimal=False, infeasible=True)
    relaxation = lp_relaxation(problem)
    large = sum(block.is_pair.sum() >= BOUND_MIN_VARS for _, block in blocks)  # there, the dive starts better
    start = None if large else _local_plan(problem, model, seed, relaxation)
    lanes = _lanes([block.n_vars for _, block in blocks], min(large, PROCESSES_PER_CORE * jobs) if jobs > 1 else 1)
    outcomes = _solve_lanes(problem, [[blocks[k][1] for k in lane] for lane in lanes],
                            [[None if start is None else start[blocks[k][0]] for k in lane] for lane in lanes],
                            relaxation=relaxation, deadline=deadline, seed=seed,
                            workers=workers_for(jobs // len(lanes)), verbose=verbose)
    solved = [outcome for lane in outcomes for outcome in lane]
    if failed := [outcome for outcome in solved if outcome.x is None]:
        return next((outcome for outcome in failed if outcome.infeasible), failed[0])
    x = np.zeros(model.n_vars)
    objective = bound = 0.0
    optimal, by_columns = True, False
    for k, outcome in zip([k for lane in lanes for k in lane], solved):
        x[blocks[k][0]] = outcome.x
        objective += outcome.objective
        bound += outcome.bound
        optimal &= outcome.optimal
        by_columns |= outcome.bounded_by_columns
    return _Outcome(x, objective, bound, optimal, bounded_by_columns=by_columns)


def _lanes(sizes: list[int], n_lanes: int) -> list[list[int]]:
    """Blocks (by their number of variables) dealt to at most ``n_lanes`` lanes, largest first to the
    lightest lane (LPT); each lane lists its blocks smallest first."""
    lanes: list[list[int]] = [[] for _ in range(max(1, min(n_lanes, len(sizes))))]
    loads = [0] * len(lanes)
    for k in sorted(range(len(sizes)), key=lambda k: (-sizes[k], k)):
        lightest = loads.index(min(loads))
        lanes[lightest].append(k)
        loads[lightest] += sizes[k]
    return [sorted(lane, key=lambda k: (sizes[k], k)) for lane in lanes]


def _solve_lanes(problem: Problem, lanes: list[list[Model]], starts: list[list[np.ndarray | None]], *,
                 relaxation: Relaxation | None, deadline: float, seed: int, workers: int,
                 verbose: bool) -> list[list[_Outcome]]:
    """Each lane's blocks in turn, the first lane in this process and each other one in its own;
    CP-SAT gets ``workers`` search workers in each."""
    run = partial(_solve_lane, problem, relaxation=relaxation, deadline=deadline, seed=seed, workers=workers,
                  verbose=verbose)
    if len(lanes) == 1:
        return [run(lanes[0], starts[0])]
    # the workers leave Ctrl-C (sent to the whole terminal group) to the parent, which stops them
    with ProcessPoolExecutor(len(lanes) - 1, mp_context=get_context("spawn"),
                             initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN)) as pool:
        others = [pool.submit(run, lane, start) for lane, start in zip(lanes[1:], starts[1:])]
        return [run(lanes[0], starts[0]), *(future.result() for future in others)]


def _solve_lane(problem: Problem, blocks: list[Model], starts: list[np.ndarray | None], *,
                relaxation: Relaxation | None, deadline: float, seed: int, workers: int, verbose: bool) -> list[_Outcome]:
    """Solve ``blocks`` in turn, each with its share (by variables) of the time left, until one has no plan.

    ``verbose`` is passed on, not inherited: a lane may run in a process of its own.
    """
    outcomes = []
    vars_left = sum(block.n_vars for block in blocks)
    with solver_logs(verbose):
        for block, start in zip(blocks, starts):
            share = block.n_vars / max(vars_left, 1)
            vars_left -= block.n_vars
            block_deadline = time.monotonic() + max(0.0, deadline - time.monotonic()) * share
            outcomes.append(_solve_block(problem, block, start=start, relaxation=relaxation, deadline=block_deadline,
                                         seed=seed, workers=workers))
            if outcomes[-1].x is None:
                break
    return outcomes


def _independent_blocks(model: Model) -> tuple[list[tuple[np.ndarray, Model]], bool]:
    """The connected components of the row-variable graph, smallest first, as (columns, sub-model).

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
        blocks.append((columns, model.restrict(columns, np.flatnonzero(row_label == component))))
    blocks.sort(key=lambda block: (block[1].n_vars, int(block[0][0])))
    return blocks, contradiction


def _local_plan(problem: Problem, model: Model, seed: int, relaxation: Relaxation | None = None, *,
                cores: np.ndarray | None = None, start: np.ndarray | None = None,
                deadline: float | None = None, widths: tuple[int, ...] = REGION_WIDTHS) -> np.ndarray | None:
    """The heuristic plan (for some ``cores`` only, from a partial plan ``start``, with exact regions of
    these ``widths``) as a solution vector of the model, if it keeps every row."""
    found = heuristic_plan(problem, seed=seed, relaxation=relaxation, cores=cores, start=start, deadline=deadline,
                           widths=widths)
    if found is None:
        return None
    x = model.vector(problem, found.core_of)
    return x if model.keeps_rows(x) else None


def _solve_block(problem: Problem, block: Model, *, start: np.ndarray | None, relaxation: Relaxation | None,
                 deadline: float, seed: int, workers: int) -> _Outcome:
    """Bound, dive, polish and solve one block; the best plan found and the best proven bound."""
    if block.is_pair.sum() < max(BOUND_MIN_VARS, 1):
        return _exact(block, start, -np.inf, deadline=deadline, seed=seed, by_columns=False)
    proven = -np.inf
    if PLAIN_TIME_SHARE > 0 and _loose(problem, block, relaxation):  # the cheap path first: HiGHS alone
        checkpoint = (PLAIN_TIME_SHARE * (deadline - time.monotonic()), EXACT_MAX_GAP)
        plain = _exact(block, start, proven, deadline=deadline, seed=seed, by_columns=False, checkpoint=checkpoint)
        if plain.optimal or plain.infeasible or time.monotonic() >= deadline:
            return plain
        start, proven = plain.x, plain.bound
    duals = None if relaxation is None else relaxation.member_duals
    columns = column_generation(problem, block, deadline=share_of(deadline, BOUND_TIME_SHARE), start=start, duals=duals)
    bound = max(columns.bound, proven)
    if bound > _worst_cost(block) + FEASIBILITY_TOL:
        return _Outcome(None, np.inf, bound, optimal=False, infeasible=True)
    x, cores = start, np.unique(block.core[block.is_pair])
    if x is None or not _meets_bound(block.cost @ x, bound):
        found, partial = dive(block, columns, deadline=share_of(deadline, DIVE_TIME_SHARE), seed=seed)
        x = _better(block, x, found)
        # exact regions on this block's cores improve the plan, or repair the dive's partial plan
        x = _better(block, x, _local_plan(problem, block, seed, relaxation, cores=cores,
                                          start=block.assignment(problem, partial if x is None else x),
                                          deadline=share_of(deadline, LOCAL_TIME_SHARE)))
    if x is not None and _meets_bound(block.cost @ x, bound):
        return _found(block, x, bound, optimal=True, by_columns=True)
    if x is None or _gap_of(float(block.cost @ x), bound) <= EXACT_MAX_GAP:
        outcome = _exact(block, x, bound, deadline=share_of(deadline, EXACT_TIME_SHARE), seed=seed, by_columns=True)
        if outcome.optimal or outcome.infeasible:
            return outcome
        x, bound = outcome.x, outcome.bound
    if x is not None:
        x = _better(block, x, _local_plan(problem, block, seed, relaxation, cores=cores, start=block.assignment(problem, x),
                                          deadline=deadline, widths=WIDE_REGION_WIDTHS))
    x, finished = polish(block, x, time_limit=deadline - time.monotonic(), seed=seed, workers=workers)
    if finished:  # CP-SAT proved its (scaled) optimum early, or that it has none: HiGHS decides exactly
        return _exact(block, x, bound, deadline=deadline, seed=seed, by_columns=True)
    if x is None:
        return _Outcome(None, np.inf, bound, optimal=False)
    return _found(block, x, bound, optimal=False, by_columns=True)


def _loose(problem: Problem, block: Model, relaxation: Relaxation | None) -> bool:
    """Whether the LP relaxation splits at most :data:`PLAIN_MAX_SPLIT` of the block's members between cores,
    or has no solution (HiGHS then proves the block infeasible at its root: 1,500 schools in 4 s)."""
    if relaxation is None:
        return True
    member, _, _ = problem.feasible_pairs()
    split = np.zeros(len(problem.members), bool)
    split[member[(relaxation.share > WHOLE_TOL) & (relaxation.share < 1 - WHOLE_TOL)]] = True
    return bool(split[np.unique(block.member[block.is_pair])].mean() <= PLAIN_MAX_SPLIT)


def _exact(block: Model, start: np.ndarray | None, bound: float, *, deadline: float, seed: int, by_columns: bool,
           checkpoint: tuple[float, float] | None = None) -> _Outcome:
    """HiGHS on the block until ``deadline`` (or its ``checkpoint``), from ``start``; ``bound`` is a bound proven before."""
    result = highs.solve_mip(block, time_limit=deadline - time.monotonic(), seed=seed, start=start, checkpoint=checkpoint)
    x = _better(block, start, result.x)
    if x is None:
        return _Outcome(None, np.inf, max(bound, result.bound), optimal=False, infeasible=result.infeasible)
    proven = float(block.cost @ x) if result.optimal else result.bound
    return _found(block, x, max(bound, proven), optimal=result.optimal, by_columns=by_columns)


def _found(block: Model, x: np.ndarray, bound: float, *, optimal: bool, by_columns: bool) -> _Outcome:
    """The outcome of plan ``x`` under a proven ``bound`` (clipped to its cost against rounding);
    optimal when the solver says so or the plan meets the bound."""
    objective = float(block.cost @ x)
    bound = min(bound, objective)
    return _Outcome(x, objective, bound, optimal or _meets_bound(objective, bound), bounded_by_columns=by_columns)


def _meets_bound(objective: float, bound: float) -> bool:
    return objective - bound <= MIP_REL_GAP * max(abs(objective), 1.0)


def _worst_cost(block: Model) -> float:
    """An upper bound on the cost of any plan of the block: each member at its dearest core, each
    continuous column at its upper bound."""
    pairs = block.is_pair
    worst = np.full(block.member.max() + 1, -np.inf)
    np.maximum.at(worst, block.member[pairs], block.cost[pairs])
    return float(worst[np.isfinite(worst)].sum() + block.cost[~pairs] @ block.upper[~pairs])


def _better(block: Model, x: np.ndarray | None, y: np.ndarray | None) -> np.ndarray | None:
    """The cheaper of two plans (either may be None); ``x`` on a tie."""
    if y is None:
        return x
    if x is None:
        return y
    return y if block.cost @ y < block.cost @ x - FEASIBILITY_TOL else x


def _plan(problem: Problem, model: Model, outcome: _Outcome, seed: int) -> Plan:
    core_of = model.assignment(problem, outcome.x)
    solver = f"{SOLVER_NAME} + {BOUND_NAME}" if outcome.bounded_by_columns else SOLVER_NAME
    return Plan.from_assignment(
        problem, core_of, solver=solver, status="optimal" if outcome.optimal else "feasible",
        objective=float(outcome.objective), bound=float(outcome.bound), gap=_gap(outcome), seed=seed,
        student_minutes=student_minutes(problem, core_of), imbalance=imbalance(problem, core_of),
    )


def _gap(outcome: _Outcome) -> float:
    """The outcome's proven gap; 0 when optimal."""
    return 0.0 if outcome.optimal else _gap_of(outcome.objective, outcome.bound)


def _gap_of(objective: float, bound: float) -> float:
    """``(objective - bound) / objective`` in [0, 1]; 1 without a finite bound."""
    if not np.isfinite(bound):
        return 1.0
    if objective <= 0:
        return 0.0 if bound >= objective - FEASIBILITY_TOL else 1.0
    return float(min(1.0, max(0.0, (objective - bound) / objective)))
