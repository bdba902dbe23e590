"""A fast heuristic plan under the basic rules: travel limit, members per core, enrollment balance.

Start from the rounded LP relaxation (each member to the core holding most of it), then local
search with three moves: *shift* (a member changes core), *swap* (two members of different cores
trade cores) and *pair* (the members of two neighbouring cores are split between them optimally,
by enumerating every split). A guided repair lowers student-minutes plus a penalty on the rules
the rounded start breaks, the penalty growing each round and most on the cores that still break
one; what remains is repaired exactly on a region around those cores (HiGHS, one more hop of
neighbours each time); an improvement phase then lowers the objective (student-minutes, imbalance
and tie-breaks, :mod:`partition.model`) while keeping every rule: the same moves, then each core
with its neighbours re-solved exactly in turn (the region's members shared out again among its
cores; one such sweep per region width asked for), and the moves once more.
Deterministic for a seed (the seed orders the sweeps): the work is bounded by sweep and node
counts, and a time limit only guards the region MIPs (unless the caller gives a deadline).

:func:`partition.solve.solve` uses it as the warm start of small problems and, from the dive's
plan (:mod:`partition.columns`), on each large block; :func:`partition.feasibility.has_plan` uses it
to answer quickly (without the exact regions). It proves nothing about optimality. Other rules
(mix, township, locks, ...) are not kept: the caller checks the plan against the full model.
Where the balance band is tight (most moves break a rule) the moves alone stall far above the
bound (6.6% at 787 schools); the exact regions bring it to 3.5% in 30 s, and to 3.6% at 2,048
schools in 116 s, where the set-partitioning dive (:func:`partition.columns.dive_plan`) comes
within 1.9% in 28 s and 100 s (``bench/partition.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

from . import highs
from .model import BALANCE_WEIGHT, Model, district_mean, objective_of, pair_costs, rule_windows
from .plan import UNASSIGNED
from .problem import Problem

__all__ = ["Heuristic", "Relaxation", "heuristic_plan", "lp_relaxation"]

#: Sweeps over all members (shift and swap) and all cores (pair moves), at most, per call.
MAX_SWEEPS = 30
#: Repair: the penalty per unit of violation starts at the median pair's minutes and grows by
#: this factor each round, for at most so many rounds.
PENALTY_GROWTH = 1.5
MAX_PENALTY_ROUNDS = 30
#: Guided repair: after each round the cores that still break a rule weigh this much more.
CORE_WEIGHT_GROWTH = 2.0
#: One school missing from, or extra to, a core's member count weighs like this many mean
#: 学区 enrollments of imbalance.
COUNT_VIOLATION_WEIGHT = 1.0
#: Pair moves join each core with this many of the nearest cores that share a candidate member.
PAIR_NEIGHBOURS = 8
#: The improvement phase's exact-region sweeps: one per entry, each re-solving every core with this
#: many of its nearest neighbouring cores.
REGION_WIDTHS = (PAIR_NEIGHBOURS,)
#: Pair moves enumerate all 2^n splits of the two cores' members, for n up to this.
MAX_PAIR_MEMBERS = 14
#: A move must gain more than this (student-minutes plus penalty) to count.
MIN_GAIN = 1e-6
#: Region repair: the cores that still break a rule, with neighbours up to this many hops away,
#: are re-solved exactly (HiGHS), one more hop each time the region has no plan.
REPAIR_HOPS = 2
#: Branch-and-bound nodes HiGHS may spend on a region (a work limit keeps the plan deterministic)
#: and a safety limit on its time, seconds.
REPAIR_MAX_NODES = 2000
REPAIR_TIME_LIMIT_S = 10.0
#: Stand-in for "no bound" in the LP's rows.
NO_BOUND = 1e30


@dataclass(frozen=True)
class Heuristic:
    """A heuristic plan.

    Attributes
    ----------
    core_of : numpy.ndarray
        For every school the position of its core (a core points to itself, a school left out
        under ``allow_unassigned`` holds :data:`~partition.plan.UNASSIGNED`).
    objective : float
        The plan's objective (:func:`partition.model.objective_value`).
    """

    core_of: np.ndarray
    objective: float


@dataclass(frozen=True)
class Relaxation:
    """The LP relaxation of the basic rules.

    Attributes
    ----------
    share : numpy.ndarray
        Value of each feasible pair (in :meth:`Problem.feasible_pairs` order), between 0 and 1.
    value : float
        Its student-minutes: a lower bound on any plan's.
    member_duals : numpy.ndarray
        Dual value of each member's "joins one core" row (0 for a member that reaches no core).
    """

    share: np.ndarray
    value: float
    member_duals: np.ndarray


def lp_relaxation(problem: Problem) -> Relaxation | None:
    """The LP relaxation of the travel limit, member count and balance rules (student-minutes and
    tie-breaks, the imbalance term left out); None if it has no solution."""
    member, core, minutes = problem.feasible_pairs()
    cost = pair_costs(problem, member, core, minutes)
    n_pairs, n_members, n_cores = len(member), len(problem.members), len(problem.cores)
    if n_pairs == 0:
        return None
    students = problem.enrollment[problem.members].astype(float)
    pairs = np.arange(n_pairs)
    reached = np.unique(member)
    assign = csr_matrix((np.ones(n_pairs), (np.searchsorted(reached, member), pairs)), shape=(len(reached), n_pairs))
    count = csr_matrix((np.ones(n_pairs), (core, pairs)), shape=(n_cores, n_pairs))
    load = csr_matrix((students[member], (core, pairs)), shape=(n_cores, n_pairs))
    (low_count, high_count), (low_load, high_load) = rule_windows(problem)
    core_students = problem.enrollment[problem.cores].astype(float)
    rows, bounds = [], []
    for matrix, low, high in ((count, low_count, high_count), (load, low_load - core_students, high_load - core_students)):
        low, high = np.broadcast_to(low, (n_cores,)), np.broadcast_to(high, (n_cores,))
        if np.isfinite(high).any():
            rows.append(matrix)
            bounds.append(np.where(np.isfinite(high), high, NO_BOUND))
        if np.isfinite(low).any():
            rows.append(-matrix)
            bounds.append(np.where(np.isfinite(low), -low, NO_BOUND))
    result = linprog(
        cost, A_ub=vstack(rows) if rows else None, b_ub=np.concatenate(bounds) if bounds else None,
        A_eq=assign, b_eq=np.ones(len(reached)), bounds=(0, 1), method="highs",
    )
    if result.status != 0:
        return None
    duals = np.zeros(n_members)
    duals[reached] = result.eqlin.marginals
    return Relaxation(share=result.x, value=float(result.fun), member_duals=duals)


def heuristic_plan(problem: Problem, *, seed: int = 0, relaxation: Relaxation | None = None,
                   widths: tuple[int, ...] = REGION_WIDTHS, cores: np.ndarray | None = None,
                   start: np.ndarray | None = None, deadline: float | None = None) -> Heuristic | None:
    """A plan that keeps the basic rules, found by LP rounding and local search; None if none is found.

    Parameters
    ----------
    problem : Problem
        Only its travel limit, member count, balance and ``allow_unassigned`` rules are read.
    seed : int
        Orders the local-search sweeps; the same seed gives the same plan.
    relaxation : Relaxation, optional
        The problem's :func:`lp_relaxation`, when the caller has it already.
    widths : tuple of int
        The exact-region sweeps once the plan keeps the rules: for each entry, every core is
        re-solved exactly with that many of its nearest neighbouring cores (most of the time
        taken; a caller that only asks whether a plan exists passes none).
    cores : numpy.ndarray, optional
        Positions (in ``problem.cores``) of the only cores to plan for, with the members that reach
        them: an independent part of the problem (the balance band stays the whole problem's). The
        other schools are left :data:`~partition.plan.UNASSIGNED` and out of the objective.
    start : numpy.ndarray, optional
        A partial plan to complete (each school's core position, or ``UNASSIGNED``), such as the
        学区 a dive fixed: the members it assigns start there, the others at their rounded LP core,
        and the cores that break a rule are repaired exactly on widening regions first, which
        keeps a near-complete start nearly as it is (the guided repair moves every member).
    deadline : float, optional
        A ``time.monotonic()`` moment at which the repair and the exact regions stop (the plan then
        depends on the machine's speed).
    """
    if len(problem.cores) == 0:
        return None
    search = _Search(problem, np.random.default_rng(seed), cores, deadline, max((PAIR_NEIGHBOURS, *widths)))
    if search.stranded and not problem.rules.allow_unassigned:
        return None
    relaxation = relaxation if relaxation is not None else lp_relaxation(problem)
    search.start(_started(search, relaxation, start))
    if start is not None:
        search.repair_regions()
    search.guided_repair()
    search.repair_regions()
    if search.violation() > 0:
        return None
    search.descend(np.inf)
    if widths:
        for width in widths:
            search.improve_regions(width)
        search.descend(np.inf)
    core_of = np.full(len(problem.school_ids), UNASSIGNED, dtype=np.int64)
    core_of[search.core_schools] = search.core_schools
    core_of[search.member_schools] = search.core_schools[search.core]
    return Heuristic(core_of=core_of, objective=search.total_cost())


def _started(search: "_Search", relaxation: Relaxation | None, start: np.ndarray | None) -> np.ndarray:
    """Each active member's core in ``start`` if it names a planned core within the limit, else the
    one holding the largest share of it in the relaxation (nearest first without one)."""
    member, core, cost = search.pair_member, search.pair_core, search.pair_cost
    share = relaxation.share[search.kept] if relaxation is not None else np.zeros(len(member))
    order = np.lexsort((cost, -share, member))  # by member, largest share, then cheapest
    first = np.ones(len(order), bool)
    first[1:] = member[order][1:] != member[order][:-1]
    rounded = core[order][first]
    if start is None:
        return rounded
    given = np.asarray(start)[search.member_schools]
    local = np.minimum(np.searchsorted(search.core_schools, given), search.n_cores - 1)
    named = search.core_schools[local] == given
    named &= np.array([(i, c) in search.cost for i, c in enumerate(local.tolist())], dtype=bool)
    return np.where(named, local, rounded)


class _Search:
    """Local search over the feasible (member, core) pairs, with incremental bookkeeping.

    Cores are renumbered over the planned ones (all, or a given subset), members over the *active*
    ones, those with at least one planned core within the limit.
    """

    def __init__(self, problem: Problem, rng: np.random.Generator, cores: np.ndarray | None = None,
                 deadline: float | None = None, width: int = PAIR_NEIGHBOURS):
        member, core, minutes = problem.feasible_pairs()
        self.stranded = len(np.unique(member)) < len(problem.members)
        self.cores = np.arange(len(problem.cores)) if cores is None else np.asarray(cores)
        self.kept = np.isin(core, self.cores)  # the feasible pairs planned for
        member, core, minutes = member[self.kept], np.searchsorted(self.cores, core[self.kept]), minutes[self.kept]
        cost = pair_costs(problem, member, self.cores[core], minutes)
        self.rng, self.deadline = rng, deadline
        self.active = np.unique(member)
        self.member_schools, self.core_schools = problem.members[self.active], problem.cores[self.cores]
        self.n_members, self.n_cores = len(self.active), len(self.cores)
        self.students = problem.enrollment[self.member_schools].astype(float)
        self.core_students = problem.enrollment[self.core_schools].astype(float)
        self.pair_member, self.pair_core = np.searchsorted(self.active, member), core
        self.pair_cost = cost
        self.mean = district_mean(problem)
        self.typical_minutes = float(np.median(minutes)) if len(minutes) else 1.0
        (self.count_low, self.count_high), (self.load_low, self.load_high) = rule_windows(problem)
        self.count_weight = COUNT_VIOLATION_WEIGHT * self.mean
        self.cost = {(int(i), int(c)): float(a) for i, c, a in zip(self.pair_member, core, self.pair_cost)}
        self.options: list[list[int]] = [[] for _ in range(self.n_members)]
        for i, c in zip(self.pair_member.tolist(), core.tolist()):
            self.options[i].append(c)
        self.neighbours = _neighbour_cores(problem.seconds, self.core_schools, self.pair_member, core, self.n_members, width)
        self.splits: dict[int, np.ndarray] = {}
        self.core_weight = [1.0] * self.n_cores
        self.hops = 0  # neighbour hops of the last region repair

    # -- state ------------------------------------------------------------------------------------

    def start(self, core: np.ndarray) -> None:
        self.core = np.asarray(core, dtype=np.int64).copy()
        self.count = np.bincount(self.core, minlength=self.n_cores).astype(float)
        self.load = self.core_students + np.bincount(self.core, weights=self.students, minlength=self.n_cores)
        self.count_list, self.load_list = self.count.tolist(), self.load.tolist()  # fast scalar copies
        self.student_list = self.students.tolist()
        self.holds: list[set[int]] = [set() for _ in range(self.n_cores)]
        for i, c in enumerate(self.core.tolist()):
            self.holds[c].add(i)

    def total_cost(self) -> float:
        """The objective of the current plan: its pairs and the imbalance of its 学区."""
        return objective_of(sum(self.cost[(i, c)] for i, c in enumerate(self.core.tolist())), self.load - self.mean)

    def _imbalance_change(self, c: int, d_load: float) -> float:
        """Change of the objective's imbalance term when core c gains ``d_load`` students."""
        load = self.load_list[c]
        return BALANCE_WEIGHT * (abs(load + d_load - self.mean) - abs(load - self.mean))

    def _violations(self, count, load):
        """Violation of the member count and balance rules of cores with these counts and loads."""
        over_count = np.maximum(0.0, np.maximum(self.count_low - count, count - self.count_high))
        over_load = np.maximum(0.0, np.maximum(self.load_low - load, load - self.load_high))
        return over_count * self.count_weight + over_load

    def violation(self) -> float:
        return float(self._violations(self.count, self.load).sum())

    def _core_violation(self, c: int, d_count: float = 0.0, d_load: float = 0.0) -> float:
        """Violation of core c after it gains ``d_count`` members and ``d_load`` students (scalar arithmetic)."""
        count, load = self.count_list[c] + d_count, self.load_list[c] + d_load
        over_count = max(0.0, self.count_low - count, count - self.count_high)
        over_load = max(0.0, self.load_low - load, load - self.load_high)
        return (over_count * self.count_weight + over_load) * self.core_weight[c]

    def stress(self) -> None:
        """Weigh the violation of each core that still breaks a rule more (guided repair)."""
        for c in range(self.n_cores):
            if self._core_violation(c) > 0:
                self.core_weight[c] *= CORE_WEIGHT_GROWTH

    def _move(self, i: int, d: int) -> None:
        c = int(self.core[i])
        self.core[i] = d
        self.holds[c].discard(i)
        self.holds[d].add(i)
        e = self.student_list[i]
        self.count[c] -= 1
        self.count[d] += 1
        self.load[c] -= e
        self.load[d] += e
        self.count_list[c] -= 1
        self.count_list[d] += 1
        self.load_list[c] -= e
        self.load_list[d] += e

    # -- moves -------------------------------------------------------------------------------------

    def _gain(self, violation_change: float, cost_change: float, penalty: float) -> float:
        """Gain of a move in penalised cost; with an infinite penalty a move may not add violation."""
        if penalty == np.inf:
            return -np.inf if violation_change > MIN_GAIN else -cost_change
        return -(cost_change + penalty * violation_change)

    def _best_member_move(self, i: int, penalty: float) -> tuple[int | None, int | None]:
        """Member i's best shift or swap: (new core d or None, swap partner j or None)."""
        c = int(self.core[i])
        e_i, cost_i = self.student_list[i], self.cost[(i, c)]
        best, best_gain = (None, None), MIN_GAIN
        before_c = self._core_violation(c)
        after_c = self._core_violation(c, -1, -e_i)
        for d in self.options[i]:
            if d == c:
                continue
            before = before_c + self._core_violation(d)
            shift_cost = self.cost[(i, d)] - cost_i
            balance = self._imbalance_change(c, -e_i) + self._imbalance_change(d, e_i)
            gain = self._gain(after_c + self._core_violation(d, 1, e_i) - before, shift_cost + balance, penalty)
            if gain > best_gain:
                best, best_gain = (d, None), gain
            for j in self.holds[d]:
                back = self.cost.get((j, c))
                if back is None:
                    continue
                e_j = self.student_list[j]
                after = self._core_violation(c, 0, e_j - e_i) + self._core_violation(d, 0, e_i - e_j)
                balance = self._imbalance_change(c, e_j - e_i) + self._imbalance_change(d, e_i - e_j)
                gain = self._gain(after - before, shift_cost + back - self.cost[(j, d)] + balance, penalty)
                if gain > best_gain:
                    best, best_gain = (d, j), gain
        return best

    def _member_sweep(self, penalty: float) -> bool:
        moved = False
        for i in self.rng.permutation(self.n_members).tolist():
            d, j = self._best_member_move(i, penalty)
            if d is None:
                continue
            c = int(self.core[i])
            self._move(i, d)
            if j is not None:
                self._move(j, c)
            moved = True
        return moved

    def _split_table(self, n: int) -> np.ndarray:
        if n not in self.splits:
            self.splits[n] = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
        return self.splits[n]

    def _best_split(self, c: int, d: int, penalty: float) -> bool:
        """Split the members of cores c and d between them optimally; True if that helped."""
        group = sorted(self.holds[c] | self.holds[d])
        n = len(group)
        if n == 0 or n > MAX_PAIR_MEMBERS:
            return False
        to_d = self._split_table(n)
        cost_c = np.array([self.cost.get((i, c), np.inf) for i in group])
        cost_d = np.array([self.cost.get((i, d), np.inf) for i in group])
        weight = self.students[group]
        count_d = to_d.sum(axis=1)
        load_d = to_d @ weight
        load_c = self.core_students[c] + weight.sum() - load_d
        cost = np.where(to_d, cost_d, cost_c).sum(axis=1)
        cost += BALANCE_WEIGHT * (np.abs(load_c - self.mean) + np.abs(self.core_students[d] + load_d - self.mean))
        violation = self._violations(n - count_d, load_c) * self.core_weight[c]
        violation += self._violations(count_d, self.core_students[d] + load_d) * self.core_weight[d]
        now = int(sum(1 << k for k, i in enumerate(group) if self.core[i] == d))
        if penalty == np.inf:
            value = np.where(violation <= violation[now] + MIN_GAIN, cost, np.inf)
        else:
            value = cost + penalty * violation
        best = int(np.argmin(value))
        if not value[best] < value[now] - MIN_GAIN:
            return False
        for k, i in enumerate(group):
            target = d if to_d[best, k] else c
            if self.core[i] != target:
                self._move(i, target)
        return True

    def _pair_sweep(self, penalty: float) -> bool:
        moved = False
        for c in self.rng.permutation(self.n_cores).tolist():
            for d in self.neighbours[c][:PAIR_NEIGHBOURS]:
                moved |= self._best_split(c, int(d), penalty)
        return moved

    def guided_repair(self) -> None:
        """Descend on student-minutes plus a growing penalty on the rules broken, weighing most the
        cores that keep breaking one, until none does (or :data:`MAX_PENALTY_ROUNDS`, or the deadline)."""
        penalty = self.typical_minutes
        for _ in range(MAX_PENALTY_ROUNDS):
            if self.violation() <= 0 or self._past_deadline():
                return
            self.descend(penalty)
            self.stress()
            penalty *= PENALTY_GROWTH

    def repair_regions(self) -> None:
        """Re-solve the cores that break a rule, with their neighbours, exactly, until none does; one
        more hop of neighbours each time, :data:`REPAIR_HOPS` times at most per call."""
        for _ in range(REPAIR_HOPS):
            if self.violation() <= 0 or self._past_deadline():
                return
            self.hops += 1
            region = {c for c in range(self.n_cores) if self._core_violation(c) > 0}
            for _ in range(self.hops):
                region |= {int(d) for c in region for d in self.neighbours[c][:PAIR_NEIGHBOURS]}
            self._reshare(region)

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def improve_regions(self, width: int) -> None:
        """Re-solve each core with its ``width`` nearest neighbours exactly, in turn, keeping each result
        that lowers the objective; stop at the deadline if there is one."""
        for c in self.rng.permutation(self.n_cores).tolist():
            if self._past_deadline():
                return
            before, kept = self.total_cost(), self.core.copy()
            if self._reshare({c, *self.neighbours[c][:width].tolist()}, keep=True) and self.total_cost() > before - MIN_GAIN:
                for i in np.flatnonzero(self.core != kept).tolist():
                    self._move(i, int(kept[i]))

    def _reshare(self, cores: set[int], keep: bool = False) -> bool:
        """Share the members of ``cores`` out again among those cores only, at least student-minutes,
        under hard member-count and balance rows (HiGHS); True if it found a plan for them.

        With ``keep`` the current plan is HiGHS's start, so the result costs no more in student-minutes.
        """
        cores = np.array(sorted(cores))
        freed = np.array(sorted(i for c in cores.tolist() for i in self.holds[c]))
        if len(freed) == 0:
            return False
        local = {c: k for k, c in enumerate(cores.tolist())}
        pairs = [(k, i, d) for k, i in enumerate(freed.tolist()) for d in self.options[i] if d in local]
        member_row = np.array([k for k, _, _ in pairs])
        core_row = np.array([local[d] for _, _, d in pairs])
        cost = np.array([self.cost[(i, d)] for _, i, d in pairs])
        weight = self.students[freed][member_row]
        n_free, n_cores, n_pairs = len(freed), len(cores), len(pairs)
        columns = np.repeat(np.arange(n_pairs), 3)
        rows = np.column_stack([member_row, n_free + core_row, n_free + n_cores + core_row]).ravel()
        values = np.column_stack([np.ones(n_pairs), np.ones(n_pairs), weight]).ravel()
        matrix = csr_matrix((values, (rows, columns)), shape=(n_free + 2 * n_cores, n_pairs)).tocsc()
        core_load = self.core_students[cores]
        lower = np.concatenate([np.ones(n_free), np.full(n_cores, self.count_low), self.load_low - core_load])
        upper = np.concatenate([np.ones(n_free), np.full(n_cores, self.count_high), self.load_high - core_load])
        region = Model(member=member_row, core=core_row, cost=cost, upper=np.ones(n_pairs), matrix=matrix,
                       row_lower=lower, row_upper=upper)
        start = np.array([float(self.core[i] == d) for _, i, d in pairs]) if keep else None
        time_limit = REPAIR_TIME_LIMIT_S if self.deadline is None else min(REPAIR_TIME_LIMIT_S, self.deadline - time.monotonic())
        found = highs.solve_mip(region, time_limit=time_limit, max_nodes=REPAIR_MAX_NODES, start=start).x
        if found is None:
            return False
        for k in np.flatnonzero(found > 0.5).tolist():
            i, d = pairs[k][1], pairs[k][2]
            if self.core[i] != d:
                self._move(i, d)
        return True

    def descend(self, penalty: float) -> None:
        """Apply improving pair, shift and swap moves until none helps (or :data:`MAX_SWEEPS`)."""
        for _ in range(MAX_SWEEPS):
            moved = self._pair_sweep(penalty)
            moved |= self._member_sweep(penalty)
            if not moved:
                return


def _neighbour_cores(seconds: np.ndarray, cores: np.ndarray, member: np.ndarray, core: np.ndarray,
                     n_members: int, width: int) -> list[np.ndarray]:
    """For each of ``cores`` (school positions), the ``width`` nearest (by ``seconds``, the longer
    way) that share a candidate member with it, nearest first."""
    n_cores = len(cores)
    reach = csr_matrix((np.ones(len(member)), (member, core)), shape=(n_members, n_cores))
    shared = (reach.T @ reach).toarray() > 0
    np.fill_diagonal(shared, False)
    between = seconds[np.ix_(cores, cores)]
    seconds = np.where(shared, np.maximum(between, between.T), np.inf)
    nearest = np.argsort(seconds, axis=1, kind="stable")[:, :width]
    return [row[np.isfinite(seconds[c, row])] for c, row in enumerate(nearest)]
