"""A fast heuristic plan under the basic rules: travel limit, members per core, enrollment balance.

Start from the rounded LP relaxation (each member to the core holding most of it), then local
search over two moves, *shift* (a member changes core) and *swap* (two members of different
cores trade cores), first repairing the rules a rounded start breaks, then lowering
student-minutes while keeping every rule. Deterministic for a seed (the seed orders the sweeps).

It serves :func:`partition.solve.solve` as a warm start and as a fallback plan; it proves nothing
about optimality. On the benchmark counties (``bench/partition.py``) it lands within a few per
cent of the proven bound in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

from .plan import UNASSIGNED
from .problem import Problem

__all__ = ["Heuristic", "heuristic_plan", "basic_rules_only", "rule_windows"]

#: Local-search sweeps over all members, at most, in each phase.
MAX_SWEEPS = 50
#: A move must gain more than this (student-minutes, or violation units) to count.
MIN_GAIN = 1e-9
#: Violation of a school missing from, or extra to, a core's member count, in units of the mean
#: 学区 enrollment: one school out of range weighs like a 学区 off its band by the mean.
COUNT_VIOLATION_WEIGHT = 1.0


@dataclass(frozen=True)
class Heuristic:
    """A heuristic plan.

    Attributes
    ----------
    core_of : numpy.ndarray
        For every school the position of its core (a core points to itself).
    objective : float
        Student-minutes of the plan.
    """

    core_of: np.ndarray
    objective: float


def basic_rules_only(problem: Problem) -> bool:
    """Whether the problem's rules are at most the travel limit, member count and balance band.

    The heuristic keeps exactly these rules, so its plan is a valid plan only when no other rule is on.
    """
    rules = problem.rules
    extras = (
        getattr(rules, "allow_unassigned", False),
        getattr(rules, "min_rural", None) is not None,
        getattr(rules, "indicator_band", None) is not None,
        getattr(rules, "keep_township", False),
        getattr(rules, "contiguity", False),
        bool(getattr(rules, "locks", ())),
        getattr(rules, "objective", "sum") != "sum",
    )
    return not any(extras)


def rule_windows(problem: Problem) -> tuple[tuple[float, float], tuple[float, float]]:
    """``((min, max) members, (low, high) enrollment)`` per 学区; an unset rule gives an open window."""
    rules = problem.rules
    count = (0.0, np.inf) if rules.members is None else (float(rules.members[0]), float(rules.members[1]))
    if rules.balance is None:
        return count, (-np.inf, np.inf)
    mean = problem.enrollment.sum() / len(problem.cores)
    return count, ((1 - rules.balance) * mean, (1 + rules.balance) * mean)


def heuristic_plan(problem: Problem, *, seed: int = 0) -> Heuristic | None:
    """A plan that keeps the basic rules, found by LP rounding and local search; None if none is found.

    Parameters
    ----------
    problem : Problem
        Only its travel limit, member count and balance rules are read (see :func:`basic_rules_only`).
    seed : int
        Orders the local-search sweeps; the same seed gives the same plan.
    """
    if len(problem.cores) == 0:
        return None
    search = _LocalSearch(problem, np.random.default_rng(seed))
    if not search.has_options():
        return None
    search.start(_rounded_lp(search))
    search.run(repair=True)
    if search.violation() > 0:
        return None
    search.run(repair=False)
    core_of = np.full(len(problem.school_ids), UNASSIGNED, dtype=np.int64)
    core_of[problem.cores] = problem.cores
    core_of[problem.members] = problem.cores[search.core]
    return Heuristic(core_of=core_of, objective=float(search.cost_of_plan()))


def _rounded_lp(search: "_LocalSearch") -> np.ndarray:
    """Each member's core (column) holding the largest share of it in the LP relaxation.

    When the relaxation has no solution the nearest core is the start and repair does the rest.
    """
    member, core, cost = search.pair_member, search.pair_core, search.pair_cost
    n_pairs, n_members, n_cores = len(member), search.n_members, search.n_cores
    pairs = np.arange(n_pairs)
    assign = csr_matrix((np.ones(n_pairs), (member, pairs)), shape=(n_members, n_pairs))
    count = csr_matrix((np.ones(n_pairs), (core, pairs)), shape=(n_cores, n_pairs))
    load = csr_matrix((search.students[member], (core, pairs)), shape=(n_cores, n_pairs))
    (low_count, high_count), (low_load, high_load) = search.count_window, search.load_window
    rows, bounds = [], []
    for matrix, low, high in ((count, low_count, high_count), (load, low_load - search.core_students, high_load - search.core_students)):
        high = np.broadcast_to(high, (n_cores,))
        low = np.broadcast_to(low, (n_cores,))
        if np.isfinite(high).any():
            rows.append(matrix)
            bounds.append(np.where(np.isfinite(high), high, 1e30))
        if np.isfinite(low).any():
            rows.append(-matrix)
            bounds.append(np.where(np.isfinite(low), -low, 1e30))
    result = linprog(
        cost, A_ub=vstack(rows) if rows else None, b_ub=np.concatenate(bounds) if bounds else None,
        A_eq=assign, b_eq=np.ones(n_members), bounds=(0, 1), method="highs",
    )
    share = result.x if result.status == 0 else -cost  # no LP solution: nearest core first
    order = np.lexsort((cost, -share, member))  # by member, largest share, then cheapest
    first = np.ones(n_pairs, bool)
    first[1:] = member[order][1:] != member[order][:-1]
    return core[order][first]


class _LocalSearch:
    """Shift and swap moves over the feasible (member, core) pairs, with incremental bookkeeping."""

    def __init__(self, problem: Problem, rng: np.random.Generator):
        member, core, minutes = problem.feasible_pairs()
        self.rng = rng
        self.n_members, self.n_cores = len(problem.members), len(problem.cores)
        self.students = problem.enrollment[problem.members].astype(float)
        self.core_students = problem.enrollment[problem.cores].astype(float)
        self.pair_member, self.pair_core = member, core
        self.pair_cost = self.students[member] * minutes
        self.count_window, self.load_window = rule_windows(problem)
        mean = problem.enrollment.sum() / max(len(problem.cores), 1)
        self.count_weight = COUNT_VIOLATION_WEIGHT * mean
        self.cost = {(int(i), int(c)): float(a) for i, c, a in zip(member, core, self.pair_cost)}
        self.options = [[] for _ in range(self.n_members)]
        for i, c in zip(member.tolist(), core.tolist()):
            self.options[i].append(c)

    def has_options(self) -> bool:
        return all(self.options)

    def start(self, core: np.ndarray) -> None:
        self.core = np.asarray(core, dtype=np.int64).copy()
        self.count = np.bincount(self.core, minlength=self.n_cores).astype(float)
        self.load = self.core_students + np.bincount(self.core, weights=self.students, minlength=self.n_cores)
        self.holds = [set() for _ in range(self.n_cores)]
        for i, c in enumerate(self.core.tolist()):
            self.holds[c].add(i)

    def cost_of_plan(self) -> float:
        return sum(self.cost[(i, c)] for i, c in enumerate(self.core.tolist()))

    def _core_violation(self, count: float, load: float) -> float:
        (low_count, high_count), (low_load, high_load) = self.count_window, self.load_window
        over_count = max(0.0, low_count - count, count - high_count)
        over_load = max(0.0, low_load - load, load - high_load)
        return over_count * self.count_weight + over_load

    def violation(self) -> float:
        return sum(self._core_violation(n, w) for n, w in zip(self.count, self.load))

    def _delta_violation(self, c: int, d: int, change_c: tuple[float, float], change_d: tuple[float, float]) -> float:
        """Change in violation when core c gains ``change_c`` (count, students) and d gains ``change_d``."""
        before = self._core_violation(self.count[c], self.load[c]) + self._core_violation(self.count[d], self.load[d])
        after = self._core_violation(self.count[c] + change_c[0], self.load[c] + change_c[1]) + self._core_violation(
            self.count[d] + change_d[0], self.load[d] + change_d[1]
        )
        return after - before

    def _gain(self, violation_change: float, cost_change: float, repair: bool) -> float | None:
        """The move's gain, or None when it is not allowed: repair lowers violation first, then
        student-minutes; improvement never adds violation."""
        if repair:
            if violation_change < -MIN_GAIN:
                return -violation_change * 1e9 - cost_change
            if violation_change > MIN_GAIN or cost_change > -MIN_GAIN:
                return None
            return -cost_change
        if violation_change > MIN_GAIN or cost_change > -MIN_GAIN:
            return None
        return -cost_change

    def _move(self, i: int, d: int) -> None:
        c = int(self.core[i])
        self.core[i] = d
        self.holds[c].discard(i)
        self.holds[d].add(i)
        self.count[c] -= 1
        self.count[d] += 1
        self.load[c] -= self.students[i]
        self.load[d] += self.students[i]

    def _best_move(self, i: int, repair: bool):
        """The best shift or swap of member i: (gain, j or None, d)."""
        c = int(self.core[i])
        e_i, cost_i = self.students[i], self.cost[(i, c)]
        best = (0.0, None, None)
        for d in self.options[i]:
            if d == c:
                continue
            shift_cost = self.cost[(i, d)] - cost_i
            gain = self._gain(self._delta_violation(c, d, (-1, -e_i), (1, e_i)), shift_cost, repair)
            if gain is not None and gain > best[0]:
                best = (gain, None, d)
            for j in self.holds[d]:
                back = self.cost.get((j, c))
                if back is None:
                    continue
                e_j = self.students[j]
                swap_cost = shift_cost + back - self.cost[(j, d)]
                gain = self._gain(self._delta_violation(c, d, (0, e_j - e_i), (0, e_i - e_j)), swap_cost, repair)
                if gain is not None and gain > best[0]:
                    best = (gain, j, d)
        return best

    def run(self, *, repair: bool) -> None:
        """Sweep the members (in a seeded order), applying each one's best move, until none helps."""
        for _ in range(MAX_SWEEPS):
            moved = False
            for i in self.rng.permutation(self.n_members).tolist():
                gain, j, d = self._best_move(i, repair)
                if d is None:
                    continue
                c = int(self.core[i])
                self._move(i, d)
                if j is not None:
                    self._move(j, c)
                moved = True
            if not moved or (repair and self.violation() <= 0):
                return
