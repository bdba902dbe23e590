"""The set-partitioning view of a block: column generation for a strong bound, and a dive for a plan.

Each column is a whole 学区: one core and a set of members that keeps the member count and the
balance band. The master LP picks one 学区 per core and covers each member once. Its bound at any
member duals ``λ`` is the Lagrangian ``Σλ + Σ_cores min(cost − λ)`` over that core's 学区, valid
whether or not the LP has converged, and never weaker than the compact MILP's LP relaxation at
convergence (it relaxes only "each member joins one core"). Rules other than the member count and
the balance band are relaxed, which keeps it a lower bound; a plan from the dive is checked against
every row of the model by the caller.

Pricing is exact: for each core a 0/1 knapsack DP over (members taken, enrollment), whose final
states also carry the imbalance term of the objective. Pricing happens at a point between the
master's duals and the best ones so far (Wentges smoothing).

Measured at 787 schools (157 cores, 9,767 pairs), on student-minutes alone: the bound converges in
11 s at 3,032,879, 10% above the LP relaxation (2,740,977) and 0.7% below the bound HiGHS proves on the
compact MILP after 1,500 s (3,055,287); so at least 0.7% of any gap at 60 s is this bound's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import highs
from .heuristic import Heuristic, lp_relaxation
from .model import BALANCE_WEIGHT, FEASIBILITY_TOL, Model, build_model, district_mean, group_by, objective_of, rule_windows
from .problem import Problem

__all__ = ["Columns", "column_generation", "price_and_dive", "dive", "dive_plan", "with_pairs", "share_of"]

#: Column generation stops when its LP and its bound agree within this relative gap.
REL_TOL = 1e-5
#: Wentges smoothing: pricing happens this far from the master LP's duals toward the best ones.
SMOOTHING = 0.5
#: Artificial columns of the master LP start at this multiple of the dearest pair's cost and grow by
#: the next factor, up to the last cost, while the LP uses them.
ARTIFICIAL_COST_FACTOR = 10.0
ARTIFICIAL_COST_GROWTH = 10.0
MAX_ARTIFICIAL_COST = 1e12
#: Dive: each step fixes at most this share of the open cores' fractional 学区 and prices at most
#: this many rounds; at most this many steps are undone.
DIVE_FIX_SHARE = 0.05
DIVE_PRICING_ROUNDS = 30
DIVE_MAX_BACKTRACKS = 5
INTEGRAL_TOL = 1e-6
#: A pair the LP takes at least this much of is fixed when the dive fixed nothing.
WHOLE_SHARE = 1 - 1e-6
#: :func:`dive`: the column dive may use this share of its time, the MIP completing it the rest; the
#: MIP stops at this many improving plans (on 787 schools the fourth, 3,091,943 at 4.3 s, is where
#: HiGHS's progress slows down; :mod:`partition.polish` is quicker from there).
COLUMN_DIVE_TIME_SHARE = 0.5
DIVE_MAX_SOLUTIONS = 4
#: Column generation's share of the time, before the dive (:func:`dive_plan`, :func:`partition.solve.solve`).
BOUND_TIME_SHARE = 0.5
#: HiGHS's ``simplex_strategy`` values for the dual and the primal simplex.
DUAL_SIMPLEX, PRIMAL_SIMPLEX = 1, 4


@dataclass(frozen=True, eq=False)
class Columns:
    """Column generation's result.

    Attributes
    ----------
    bound : float
        A proven lower bound on the block's objective (``inf``: the block has no plan).
    share : numpy.ndarray
        Each pair's weight in the master LP's solution.
    master, pricer
        The master LP and the pricing problems, for a dive.
    """

    bound: float
    share: np.ndarray
    master: "_Master"
    pricer: "_Pricer"

    def whole_pairs(self) -> np.ndarray:
        """The pairs the LP takes whole."""
        return self.share >= WHOLE_SHARE


def column_generation(problem: Problem, block: Model, *, deadline: float, start: np.ndarray | None = None,
                      duals: np.ndarray | None = None) -> Columns:
    """The set-partitioning bound of ``block`` by column generation, until converged or ``deadline``.

    ``start`` (a plan over the block's columns) seeds the master; ``duals`` (per member of the
    problem, e.g. the LP relaxation's) seed the stabilisation centre.
    """
    pairs = block.is_pair
    members, pair_member = np.unique(block.member[pairs], return_inverse=True)
    cores, pair_core = np.unique(block.core[pairs], return_inverse=True)
    cost = block.cost[pairs]
    weight = BALANCE_WEIGHT if (~pairs).any() else 0.0
    pricer = _Pricer(problem, members, cores, pair_member, pair_core, cost, balance_weight=weight)
    master = _Master(len(members), pricer, artificial=ARTIFICIAL_COST_FACTOR * max(float(cost.max()), 1.0))
    if start is not None:
        chosen = np.flatnonzero(start[pairs] > 0.5)
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
        if value - best <= REL_TOL * max(abs(value), 1.0) and not master.raise_artificial():
            break
        added = master.add([d for d in districts if master.reduced_cost(d, duals, core_duals) < -FEASIBILITY_TOL])
        if not added and smoothing == 0 and not master.raise_artificial():
            break  # no column prices out at the master's own duals, and no artificial is used: the LP is solved
        smoothing = SMOOTHING if added else 0.0  # after a mispriced step, price at the master's duals
    return Columns(bound=best, share=master.share(), master=master, pricer=pricer)


def price_and_dive(columns: Columns, *, deadline: float) -> tuple[np.ndarray | None, list[np.ndarray]]:
    """A plan, or most of one, from the set-partitioning LP by diving: fix whole 学区, re-price, repeat.

    Each step prices new 学区 for the open cores over the free members (up to
    :data:`DIVE_PRICING_ROUNDS` rounds), then fixes every 学区 the LP takes whole and the largest
    fractional ones (up to :data:`DIVE_FIX_SHARE` of the open cores, members disjoint). When the
    LP then needs an artificial column, the dive backs up to its last fractional choice and forbids
    it, at most :data:`DIVE_MAX_BACKTRACKS` times.

    Returns the plan as a 0/1 vector over the block's pairs (None if the dive did not finish) and
    the 学区 fixed at its deepest LP-feasible point, in the order they were fixed (each as its
    pairs), for a MIP to complete.
    """
    master, pricer = columns.master, columns.pricer
    backtracks, deepest = 0, []
    while time.monotonic() < deadline:
        open_cores, free_members = master.open_rows(master.fixed_values())
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
        if len(master.fixed) > len(deepest):
            deepest = [master.districts[k] for k in master.fixed]
        values = master.values()
        if np.all(np.abs(values - np.round(values)) <= INTEGRAL_TOL):
            return master.plan(values), deepest
        if not master.fix_step(values, max(1, int(DIVE_FIX_SHARE * open_cores.sum()))):
            break
    return None, deepest


def dive(block: Model, columns: Columns, *, deadline: float, seed: int = 0) -> tuple[np.ndarray | None, np.ndarray]:
    """A plan near the set-partitioning LP: the column dive if it keeps every row, else a MIP over all
    rows that completes the 学区 the dive fixed (or, if it fixed none, the pairs the LP takes whole).

    Returns the plan (None when the MIP finds no completion) and the partial plan it completes, as
    solution vectors of the block. On a tight county (7,935 pairs, 134 cores) the dive fixed 129
    学区 that no plan completes; completing a quarter of them found nothing in 30 s either, while an
    exact repair around the 5 open cores (:func:`partition.heuristic.heuristic_plan` from the partial
    plan) found one 2.1% above the bound in 20 s.
    """
    pairs, fixed = price_and_dive(columns, deadline=share_of(deadline, COLUMN_DIVE_TIME_SHARE))
    if pairs is not None:
        x = with_pairs(block, pairs)
        if block.keeps_rows(x):  # the dive knows only the member and balance rules
            return x, x
    partial = np.zeros(block.n_vars)
    partial[block.is_pair] = _pairs_of(fixed, int(block.is_pair.sum())) if fixed else columns.whole_pairs()
    x = highs.solve_mip(block, time_limit=deadline - time.monotonic(), seed=seed, fixed=partial > 0.5,
                        max_solutions=DIVE_MAX_SOLUTIONS).x
    return x, partial


def _pairs_of(districts: list[np.ndarray], n_pairs: int) -> np.ndarray:
    """The pairs of some 学区 as a mask."""
    mask = np.zeros(n_pairs, bool)
    for pairs in districts:
        mask[pairs] = True
    return mask


def dive_plan(problem: Problem, *, time_limit: float, seed: int = 0) -> Heuristic | None:
    """A plan by column generation and :func:`dive` alone, within about ``time_limit`` seconds; None
    if none was found. It proves nothing (see :func:`partition.solve.solve` for the bound)."""
    deadline = time.monotonic() + time_limit
    model = build_model(problem)
    relaxation = lp_relaxation(problem)
    duals = None if relaxation is None else relaxation.member_duals
    columns = column_generation(problem, model, deadline=share_of(deadline, BOUND_TIME_SHARE), duals=duals)
    if not np.isfinite(columns.bound):
        return None
    x, _ = dive(model, columns, deadline=deadline, seed=seed)
    return None if x is None else Heuristic(core_of=model.assignment(problem, x), objective=float(model.cost @ x))


def share_of(deadline: float, share: float) -> float:
    """The moment ``share`` of the time left before ``deadline`` has passed."""
    now = time.monotonic()
    return now + share * max(0.0, deadline - now)


def with_pairs(block: Model, pairs: np.ndarray) -> np.ndarray:
    """The block's solution vector with these pair values, the other columns completed."""
    x = np.zeros(block.n_vars)
    x[block.is_pair] = pairs
    return block.complete(x)


class _Pricer:
    """For each core, its cheapest 学区 under given member duals (an exact knapsack DP)."""

    def __init__(self, problem: Problem, members: np.ndarray, cores: np.ndarray, pair_member: np.ndarray,
                 pair_core: np.ndarray, cost: np.ndarray, *, balance_weight: float):
        (self.count_low, self.count_high), (load_low, load_high) = rule_windows(problem)
        core_students = problem.enrollment[problem.cores[cores]].astype(float)
        self.n_cores, self.n_members = len(cores), len(members)
        self.load_low, self.load_high = load_low - core_students, load_high - core_students
        self.pair_member, self.pair_core, self.cost = pair_member, pair_core, cost
        self.balance_weight = balance_weight
        self.weighs = bool(np.isfinite(load_high)) or balance_weight > 0
        students = problem.enrollment[problem.members[members]].astype(np.int64)
        self.weight = students[pair_member] if self.weighs else np.zeros(len(pair_member), np.int64)
        self.offset = core_students - district_mean(problem)  # a 学区's imbalance is |offset + member load|
        self.pairs_of = group_by(pair_core, len(cores))

    def district_cost(self, core: int, pairs: np.ndarray) -> float:
        """The objective's share of one 学区: its pairs and its imbalance."""
        load = float(self.weight[pairs].sum())
        return objective_of(float(self.cost[pairs].sum()), self.offset[core] + load, balance_weight=self.balance_weight)

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
            window = (self.load_low[c], self.load_high[c])
            if not np.isfinite(window[1]):
                window = (window[0], float(np.sort(self.weight[pairs])[::-1][: _count_cap(self.count_high, len(pairs))].sum()))
            found = _cheapest_districts(
                self.cost[pairs] - duals[self.pair_member[pairs]], self.weight[pairs], (self.count_low, self.count_high),
                window, balance=(self.balance_weight, self.offset[c]),
            )
            if not found:
                if open_cores is not None:
                    continue
                return np.inf, []
            bound += min(value for value, _ in found)
            districts += [(c, pairs[chosen]) for _, chosen in found]
        return bound, districts


def _count_cap(count_high: float, n: int) -> int:
    return n if not np.isfinite(count_high) else min(int(count_high), n)


def _cheapest_districts(reduced: np.ndarray, weight: np.ndarray, counts: tuple[float, float], loads: tuple[float, float],
                        *, balance: tuple[float, float] = (0.0, 0.0)) -> list[tuple[float, np.ndarray]]:
    """For each allowed member count, the subset of least ``reduced`` cost (plus imbalance) whose weight is in ``loads``.

    A 0/1 knapsack DP over (members taken, weight); with no member limit the count is not tracked,
    with all weights 0 the load is not. ``balance = (w, offset)`` adds ``w·|offset + weight|`` to a
    subset's cost. Returns (value, chosen positions) pairs.
    """
    counting = bool(np.isfinite(counts[1]))
    n_rows = min(int(counts[1]), len(reduced)) + 1 if counting else 1
    capacity = int(np.floor(loads[1] + FEASIBILITY_TOL))
    if capacity < 0 or (counting and counts[0] >= n_rows):
        return []
    table = np.full((n_rows, capacity + 1), np.inf)
    table[0, 0] = 0.0
    took = np.zeros((len(reduced), n_rows, capacity + 1), bool)
    reached_rows, reached_load = 1, 0  # the table is finite only below these: the loop skips the rest
    for item, (value, w) in enumerate(zip(reduced.tolist(), weight.tolist())):
        if w > capacity:
            continue
        rows = min(reached_rows, n_rows - 1) if counting else 1
        source, target = (slice(0, rows), slice(1, rows + 1)) if counting else (slice(0, 1), slice(0, 1))
        top = min(reached_load, capacity - w) + 1
        candidate = table[source, :top] + value
        better = candidate < table[target, w : w + top]
        took[item, target, w : w + top] = better
        np.minimum(table[target, w : w + top], candidate, out=table[target, w : w + top])
        reached_rows, reached_load = reached_rows + 1, reached_load + w
    lightest = max(0, int(np.ceil(loads[0] - FEASIBILITY_TOL))) if np.isfinite(loads[0]) else 0
    balance_weight, offset = balance
    extra = balance_weight * np.abs(offset + np.arange(lightest, capacity + 1))
    found = []
    for row in range(int(counts[0]), n_rows) if counting else (0,):
        line = table[row, lightest:] + extra
        if len(line) == 0 or not np.isfinite(line.min()):
            continue
        load = lightest + int(np.argmin(line))
        found.append((float(line[load - lightest]), _backtrack(took, weight, row, load, counting)))
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

    def __init__(self, n_members: int, pricer: _Pricer, *, artificial: float):
        self.n_members, self.pricer, self.pair_member = n_members, pricer, pricer.pair_member
        n_rows = n_members + pricer.n_cores
        self.highs = highs.new_highs()
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
            costs.append(self.pricer.district_cost(core, pairs))
        if costs:
            n = len(costs)
            self.highs.setOptionValue("simplex_strategy", PRIMAL_SIMPLEX)  # new columns keep the basis primal feasible
            self.highs.addCols(n, np.array(costs), np.zeros(n), np.full(n, np.inf), len(index),
                               np.array(starts[:-1], np.int32), np.array(index, np.int32), np.ones(len(index)))
        return len(costs)

    def raise_artificial(self) -> bool:
        """Make the artificial columns dearer if the LP's solution uses one; whether it did."""
        if not self.uses_artificial() or self.artificial >= MAX_ARTIFICIAL_COST:
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
        return self.pricer.district_cost(core, pairs) - float(duals[self.pair_member[pairs]].sum()) - float(core_duals[core])

    def values(self) -> np.ndarray:
        """The LP's value of each 学区 column (artificials left out)."""
        return np.asarray(self.highs.getSolution().col_value)[self.n_artificial :]

    def uses_artificial(self) -> bool:
        return bool((np.asarray(self.highs.getSolution().col_value)[: self.n_artificial] > FEASIBILITY_TOL).any())

    def fixed_values(self) -> np.ndarray:
        values = np.zeros(len(self.districts))
        values[self.fixed] = 1.0
        return values

    def open_rows(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cores and members not covered by the 学区 at value 1 in ``values``."""
        open_cores, free_members = np.ones(self.pricer.n_cores, bool), np.ones(self.n_members, bool)
        for k in np.flatnonzero(values >= 1 - INTEGRAL_TOL):
            open_cores[self.district_core[k]] = False
            free_members[self.pair_member[self.districts[k]]] = False
        return open_cores, free_members

    def fix_step(self, values: np.ndarray, n_fractional: int) -> bool:
        """Fix the whole 学区 and up to ``n_fractional`` of the largest fractional ones, disjoint."""
        whole = [int(k) for k in np.flatnonzero(values >= 1 - INTEGRAL_TOL) if k not in self.fixed]
        taken_cores = {self.district_core[k] for k in self.fixed + whole}
        taken_members = {int(i) for k in self.fixed + whole for i in self.pair_member[self.districts[k]]}
        fractional = []
        for k in np.lexsort((np.arange(len(values)), -values)).tolist():
            if len(fractional) >= n_fractional or values[k] <= INTEGRAL_TOL:
                break
            if values[k] >= 1 - INTEGRAL_TOL or k in self.fixed:
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
        share = np.zeros(len(self.pair_member))
        for weight, pairs in zip(self.values(), self.districts):
            if weight > FEASIBILITY_TOL:
                share[pairs] += weight
        return share
