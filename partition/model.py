"""The MILP formulation of a :class:`~partition.problem.Problem`, independent of any solver.

One binary variable ``x[i, c]`` per (member i, core c) pair within the travel limit, so a pair
beyond the limit is never a variable. Rows come in blocks, one per rule that is on:

- ``assign``: each member joins exactly one core (with ``allow_unassigned``, the members that
  reach no core within the limit are left out instead);
- ``members``: each core gathers between ``min`` and ``max`` members;
- ``balance``: each 学区's enrollment, core included, within ``(1 ± balance)`` of the mean;
- ``mix``: each 学区 holds at least ``min_rural`` town/rural schools, or all it can reach;
- ``indicator``: each 学区's enrollment-weighted indicator mean within ``(1 ± x)`` of the county's;
- ``township``: the schools of a 乡镇/街道 share one core (the township's own core if it has one);
- ``together`` / ``apart`` / ``fixed``: the planner's locks;
- ``contiguity``: ``x[i, c] <= Σ x[j, c]`` over i's neighbours j nearer to c (unless c is a
  neighbour of i): the shortest-path-tree formulation of attendance-boundary research;
- ``imbalance``: ``d[c] >= |enrollment of 学区 c - mean|``, one continuous ``d[c]`` per core.

Objective (:func:`objective_of` adds its parts up; :func:`objective_value` gives it for any plan), in three
documented parts:

1. **student-minutes (longer trip)**, Σ enrollment × the longer of the minutes to and from the core
   (:data:`partition.plan.STUDENT_MINUTES_LABEL`): what the plan is for;
2. **imbalance**, :data:`BALANCE_WEIGHT` × Σ |学区 enrollment − mean|: among plans of (nearly) equal
   student-minutes, the better balanced one;
3. **tie-break**, up to :data:`TIE_WEIGHT` per member: a fixed pseudo-random weight of each (school,
   core) pair from a hash of the two ids, so that no two plans cost exactly the same and the optimum
   is unique, whatever the order of the schools in the table.

The last two are small by design: the imbalance term trades one student of imbalance for 0.01
student-minutes, the tie-break is below 0.001 student-minutes per school. The solver resolves the
objective to its relative tolerance (``MIP_REL_GAP`` in :mod:`partition.highs`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csc_matrix

from .plan import UNASSIGNED
from .problem import BALANCE_WEIGHT, SECONDS_PER_MINUTE, TIE_WEIGHT, Problem

__all__ = [
    "Model", "build_model", "enrollment_band", "district_mean", "reachable_members", "student_minutes", "imbalance",
    "tie_break", "objective_of", "objective_value", "pair_costs", "group_by", "rule_windows", "BALANCE_WEIGHT", "TIE_WEIGHT",
    "FEASIBILITY_TOL",
]

_HASH_BYTES = 8
#: Numerical tolerance of the solver's comparisons: a row holds within this of its bounds; a reduced cost or a
#: saving counts only beyond it.
FEASIBILITY_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class Model:
    """A MILP ``min cost·x  s.t.  row_lower <= A x <= row_upper,  0 <= x <= upper``.

    The first columns are the binary (member, core) pairs; the rest, if any, are the continuous
    imbalance variables, one per core.

    Attributes
    ----------
    member, core : numpy.ndarray
        For each column, its member row and core column (positions in ``problem.members`` and
        ``problem.cores``); ``member`` is -1 for an imbalance column.
    cost : numpy.ndarray
        Objective coefficient of each column.
    upper : numpy.ndarray
        Upper bound of each column (1 for a pair).
    matrix : scipy.sparse.csc_matrix
        The constraint matrix ``A``, rows grouped in blocks.
    row_lower, row_upper : numpy.ndarray
    blocks : tuple of (str, int)
        Each block's rule name and number of rows, in order.
    """

    member: np.ndarray
    core: np.ndarray
    cost: np.ndarray
    upper: np.ndarray
    matrix: csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    blocks: tuple[tuple[str, int], ...] = ()

    @property
    def n_vars(self) -> int:
        """Number of columns."""
        return len(self.member)

    @property
    def is_pair(self) -> np.ndarray:
        """Which columns are binary (member, core) pairs."""
        return self.member >= 0

    def restrict(self, columns: np.ndarray, rows: np.ndarray) -> "Model":
        """The model over some columns and rows only."""
        matrix = self.matrix[:, columns].tocsr()[rows].tocsc()
        matrix.sort_indices()
        return Model(member=self.member[columns], core=self.core[columns], cost=self.cost[columns],
                     upper=self.upper[columns], matrix=matrix, row_lower=self.row_lower[rows],
                     row_upper=self.row_upper[rows])

    def keeps_rows(self, x: np.ndarray, tol: float = FEASIBILITY_TOL) -> bool:
        """Whether ``x`` keeps every row."""
        activity = self.matrix @ x
        return bool(((activity >= self.row_lower - tol) & (activity <= self.row_upper + tol)).all())

    def complete(self, x: np.ndarray) -> np.ndarray:
        """``x`` with each continuous column at the least value its rows allow, given the pairs in ``x``.

        Every row holding a continuous column reads ``d + (pairs) >= lower``, so that value is the
        largest ``lower - (pairs)`` over its rows, and at least 0.
        """
        x = np.where(self.is_pair, x, 0.0)
        slack = self.row_lower - self.matrix @ x
        for column in np.flatnonzero(~self.is_pair):
            start, end = self.matrix.indptr[column], self.matrix.indptr[column + 1]
            rows, coefficients = self.matrix.indices[start:end], self.matrix.data[start:end]
            x[column] = max(0.0, float(np.max(slack[rows] / coefficients, initial=0.0)))
        return x

    def assignment(self, problem: Problem, x: np.ndarray) -> np.ndarray:
        """Each school's core position under solution ``x`` (a core its own, a school left out -1)."""
        chosen = self.is_pair & (x > 0.5)
        core_of = np.full(len(problem.school_ids), UNASSIGNED, dtype=np.int64)
        core_of[problem.cores] = problem.cores
        core_of[problem.members[self.member[chosen]]] = problem.cores[self.core[chosen]]
        return core_of

    def vector(self, problem: Problem, core_of: np.ndarray) -> np.ndarray:
        """The column values of a plan given as each school's core position."""
        pairs = self.is_pair
        x = np.zeros(self.n_vars)
        x[pairs] = core_of[problem.members[self.member[pairs]]] == problem.cores[self.core[pairs]]
        return self.complete(x)


@dataclass
class _Rows:
    """Rows under construction, as (row, variable, coefficient) triplets."""

    n_vars: int
    rows: list = field(default_factory=list)
    cols: list = field(default_factory=list)
    values: list = field(default_factory=list)
    lower: list = field(default_factory=list)
    upper: list = field(default_factory=list)
    names: list = field(default_factory=list)

    def add(self, name: str, variables, coefficients, lower: float, upper: float) -> None:
        """Add one row ``lower <= Σ coefficient·x[variable] <= upper``."""
        variables = np.asarray(variables, dtype=np.int64)
        row = len(self.lower)
        self.rows.append(np.full(len(variables), row))
        self.cols.append(variables)
        self.values.append(np.broadcast_to(np.asarray(coefficients, float), variables.shape))
        self.lower.append(lower)
        self.upper.append(upper)
        self.names.append(name)

    def matrix(self) -> csc_matrix:
        """The rows as a CSC matrix with sorted indices."""
        if not self.lower:
            return csc_matrix((0, self.n_vars))
        data = (np.concatenate(self.values), (np.concatenate(self.rows), np.concatenate(self.cols)))
        matrix = csc_matrix(data, shape=(len(self.lower), self.n_vars))
        matrix.sort_indices()
        return matrix


class _Pairs:
    """Lookup of the variable of a (school, core) pair, by school positions."""

    def __init__(self, problem: Problem, member: np.ndarray, core: np.ndarray):
        n = len(problem.school_ids)
        self.var = np.full((n, len(problem.cores)), -1, dtype=np.int64)
        self.var[problem.members[member], core] = np.arange(len(member))
        self.core_column = np.full(n, -1, dtype=np.int64)
        self.core_column[problem.cores] = np.arange(len(problem.cores))

    def of(self, school: int, core_column: int) -> int:
        """The variable of ``school`` joining the core in ``core_column``, or -1."""
        return int(self.var[school, core_column])


def reachable_members(problem: Problem) -> np.ndarray:
    """Member rows (positions in ``problem.members``) with at least one core within the limit."""
    member, _, _ = problem.feasible_pairs()
    return np.unique(member)


def district_mean(problem: Problem) -> float:
    """The mean enrollment of a 学区: over all schools, or with ``allow_unassigned`` over the cores
    and the members that reach one (the others are left out)."""
    members = reachable_members(problem) if problem.rules.allow_unassigned else np.arange(len(problem.members))
    students = problem.enrollment[problem.cores].sum() + problem.enrollment[problem.members[members]].sum()
    return float(students / max(len(problem.cores), 1))


def enrollment_band(problem: Problem) -> tuple[float, float]:
    """The (low, high) total enrollment every 学区 must fall within under the balance rule."""
    mean = district_mean(problem)
    return (1 - problem.rules.balance) * mean, (1 + problem.rules.balance) * mean


def rule_windows(problem: Problem) -> tuple[tuple[float, float], tuple[float, float]]:
    """``((min, max) members, (low, high) enrollment)`` per 学区; an unset rule gives an open window."""
    rules = problem.rules
    count = (0.0, np.inf) if rules.members is None else (float(rules.members[0]), float(rules.members[1]))
    return count, ((-np.inf, np.inf) if rules.balance is None else enrollment_band(problem))


def tie_break(problem: Problem, schools: np.ndarray, cores: np.ndarray) -> np.ndarray:
    """The tie-break weight of each (school, core) pair, by school positions: in ``[0, TIE_WEIGHT)``.

    A hash of the two school ids, so it follows the schools, not their order in the table.
    """
    ids = problem.school_ids
    units = [
        int.from_bytes(hashlib.blake2b(f"{ids[s]}\x1f{ids[c]}".encode(), digest_size=_HASH_BYTES).digest(), "big")
        for s, c in zip(np.asarray(schools).tolist(), np.asarray(cores).tolist())
    ]
    return TIE_WEIGHT * np.asarray(units, dtype=float) / 2.0 ** (8 * _HASH_BYTES)


def pair_costs(problem: Problem, member: np.ndarray, core: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """The cost of each feasible pair (as :meth:`Problem.feasible_pairs` gives them): student-minutes
    plus its tie-break weight."""
    students = problem.enrollment[problem.members].astype(float)[member]
    return students * minutes + tie_break(problem, problem.members[member], problem.cores[core])


def group_by(labels: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """For each label 0..n_groups-1, the positions holding it, ascending."""
    order = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[order], np.arange(n_groups + 1))
    return [order[starts[g] : starts[g + 1]] for g in range(n_groups)]


def _district_loads(problem: Problem, core_of: np.ndarray) -> np.ndarray:
    assigned = core_of != UNASSIGNED
    loads = np.bincount(core_of[assigned], weights=problem.enrollment[assigned], minlength=len(problem.school_ids))
    return loads[problem.cores]


def student_minutes(problem: Problem, core_of: np.ndarray) -> float:
    """Σ enrollment × minutes to the core (the longer direction) over the assigned members."""
    members = problem.members[core_of[problem.members] != UNASSIGNED]
    cores = core_of[members]
    minutes = np.maximum(problem.seconds[members, cores], problem.seconds[cores, members]) / SECONDS_PER_MINUTE
    return float(problem.enrollment[members] @ minutes)


def imbalance(problem: Problem, core_of: np.ndarray) -> float:
    """Σ over 学区 of |its enrollment (core included) − :func:`district_mean`|, in students."""
    return float(np.abs(_district_loads(problem, core_of) - district_mean(problem)).sum())


def objective_of(pair_cost: float, deviation, *, balance_weight: float = BALANCE_WEIGHT) -> float:
    """The objective of a plan, or of some of its 学区, from its parts: ``pair_cost``, the chosen pairs'
    student-minutes and tie-breaks (:func:`pair_costs`), plus ``balance_weight`` times Σ |``deviation``|,
    each 学区's enrollment minus :func:`district_mean`. The one place the objective is put together."""
    return float(pair_cost + balance_weight * np.abs(deviation).sum())


def objective_value(problem: Problem, core_of: np.ndarray) -> float:
    """The objective of a plan: student-minutes + :data:`BALANCE_WEIGHT` × imbalance + tie-break."""
    members = problem.members[core_of[problem.members] != UNASSIGNED]
    ties = float(tie_break(problem, members, core_of[members]).sum())
    return objective_of(student_minutes(problem, core_of) + ties, _district_loads(problem, core_of) - district_mean(problem))


def build_model(problem: Problem, *, objective: bool = True) -> Model:
    """The MILP of ``problem``; with ``objective=False`` it has no cost and no imbalance columns (feasibility only)."""
    member, core, minutes = problem.feasible_pairs()
    students = problem.enrollment[problem.members].astype(float)[member]
    n_pairs, n_cores = len(member), len(problem.cores)
    n_vars = n_pairs + (n_cores if objective else 0)
    rows = _Rows(n_vars)
    pairs = _Pairs(problem, member, core)
    rules = problem.rules
    _assign_rows(rows, problem, member)
    if rules.members is not None:
        _per_core_rows(rows, "members", core, np.ones(len(core)), *map(float, rules.members), n_cores=n_cores)
    if rules.balance is not None:
        low, high = enrollment_band(problem)
        core_students = problem.enrollment[problem.cores].astype(float)
        _per_core_rows(rows, "balance", core, students, low - core_students, high - core_students, n_cores=n_cores)
    if rules.min_rural:
        _mix_rows(rows, problem, member, core)
    if rules.indicator_band is not None:
        _indicator_rows(rows, problem, member, core)
    if rules.keep_township:
        for group in _township_groups(problem):
            _same_core_rows(rows, "township", problem, pairs, group)
    for a, b in rules.locks.together:
        _same_core_rows(rows, "together", problem, pairs, [problem.position(a), problem.position(b)])
    for a, b in rules.locks.apart:
        _apart_rows(rows, problem, pairs, problem.position(a), problem.position(b))
    for school, core_id in rules.locks.fixed:
        _fixed_row(rows, problem, pairs, problem.position(school), problem.position(core_id))
    if rules.contiguity:
        _contiguity_rows(rows, problem, pairs, member, core, minutes)

    cost, upper = np.zeros(n_vars), np.ones(n_vars)
    columns_member, columns_core = np.full(n_vars, -1, dtype=np.int64), np.zeros(n_vars, dtype=np.int64)
    columns_member[:n_pairs], columns_core[:n_pairs] = member, core
    if objective:
        cost[:n_pairs] = pair_costs(problem, member, core, minutes)
        _imbalance_rows(rows, problem, core, students, first_column=n_pairs)
        cost[n_pairs:] = BALANCE_WEIGHT
        upper[n_pairs:] = float(problem.enrollment.sum())
        columns_core[n_pairs:] = np.arange(n_cores)
    names = np.array(rows.names, dtype=object)
    return Model(
        member=columns_member, core=columns_core, cost=cost, upper=upper, matrix=rows.matrix(),
        row_lower=np.array(rows.lower, float), row_upper=np.array(rows.upper, float),
        blocks=tuple((name, int((names == name).sum())) for name in dict.fromkeys(rows.names)),
    )


def _imbalance_rows(rows: _Rows, problem: Problem, core: np.ndarray, students: np.ndarray, *, first_column: int) -> None:
    """``d[c] - load(c) >= e_c - mean`` and ``d[c] + load(c) >= mean - e_c``: d[c] is at least |学区 c − mean|."""
    mean = district_mean(problem)
    for c, (school, chosen) in enumerate(zip(problem.cores, group_by(core, len(problem.cores)))):
        offset = float(problem.enrollment[school]) - mean
        for sign in (-1.0, 1.0):
            rows.add("imbalance", [first_column + c, *chosen], [1.0, *(sign * students[chosen])], sign * -offset, np.inf)


def _assign_rows(rows: _Rows, problem: Problem, member: np.ndarray) -> None:
    """Each member joins one core; with ``allow_unassigned`` a member that reaches none has no row."""
    for variables in group_by(member, len(problem.members)):
        if len(variables) or not problem.rules.allow_unassigned:
            rows.add("assign", variables, 1.0, 1.0, 1.0)


def _per_core_rows(rows: _Rows, name: str, core: np.ndarray, coefficients: np.ndarray, low, high, *, n_cores: int) -> None:
    """One row per core over its variables, ``low <= Σ coefficient·x <= high`` (scalars or per core)."""
    low, high = np.broadcast_to(low, n_cores), np.broadcast_to(high, n_cores)
    for c, chosen in enumerate(group_by(core, n_cores)):
        rows.add(name, chosen, coefficients[chosen], float(low[c]), float(high[c]))


def _mix_rows(rows: _Rows, problem: Problem, member: np.ndarray, core: np.ndarray) -> None:
    rural_member = problem.rural[problem.members][member]
    n_cores = len(problem.cores)
    core_rural = problem.rural[problem.cores].astype(int)
    reachable = np.bincount(core[rural_member], minlength=n_cores)
    need = np.minimum(problem.rules.min_rural, reachable + core_rural) - core_rural
    weights = rural_member.astype(float)
    _per_core_rows(rows, "mix", core, weights, np.maximum(need, 0).astype(float), np.inf, n_cores=n_cores)


def _indicator_rows(rows: _Rows, problem: Problem, member: np.ndarray, core: np.ndarray) -> None:
    """Σ e·(q − bound)·x on members balances the core's own e·(q − bound)."""
    _, share = problem.rules.indicator_band
    values = problem.indicator.astype(float)
    weights = problem.enrollment.astype(float)
    known = ~np.isnan(values)
    mean = np.average(values[known], weights=weights[known])
    values = np.where(known, values, mean)  # an unknown value counts as the county mean
    member_e = weights[problem.members][member]
    member_q = values[problem.members][member]
    core_e, core_q = weights[problem.cores], values[problem.cores]
    n_cores = len(problem.cores)
    high, low = (1 + share) * mean, (1 - share) * mean
    _per_core_rows(rows, "indicator", core, member_e * (member_q - high), -np.inf, core_e * (high - core_q), n_cores=n_cores)
    _per_core_rows(rows, "indicator", core, member_e * (member_q - low), core_e * (low - core_q), np.inf, n_cores=n_cores)


def _township_groups(problem: Problem) -> list[list[int]]:
    groups: dict[str, list[int]] = {}
    for position, township in enumerate(problem.township):
        if township:
            groups.setdefault(township, []).append(position)
    return [g for _, g in sorted(groups.items()) if len(g) > 1]


def _same_core_rows(rows: _Rows, name: str, problem: Problem, pairs: _Pairs, group: list[int]) -> None:
    """The schools of ``group`` share one core; a core among them is that core."""
    cores_in_group = [s for s in group if problem.is_core[s]]
    members = [s for s in group if not problem.is_core[s]]
    if cores_in_group:
        for core_school in cores_in_group:  # two cores in one group make it infeasible, as they must
            for school in members:
                _fixed_row(rows, problem, pairs, school, core_school, name=name)
        return
    first, others = members[0], members[1:]
    for column in range(len(problem.cores)):
        a = pairs.of(first, column)
        for school in others:
            b = pairs.of(school, column)
            if a >= 0 and b >= 0:
                rows.add(name, [a, b], [1.0, -1.0], 0.0, 0.0)
            elif a >= 0 or b >= 0:  # only one of them can reach this core: neither joins it
                rows.add(name, [max(a, b)], 1.0, 0.0, 0.0)


def _apart_rows(rows: _Rows, problem: Problem, pairs: _Pairs, a: int, b: int) -> None:
    if problem.is_core[a] or problem.is_core[b]:
        core_school, school = (a, b) if problem.is_core[a] else (b, a)
        if not problem.is_core[school]:
            var = pairs.of(school, pairs.core_column[core_school])
            if var >= 0:
                rows.add("apart", [var], 1.0, 0.0, 0.0)
        return
    for column in range(len(problem.cores)):
        va, vb = pairs.of(a, column), pairs.of(b, column)
        if va >= 0 and vb >= 0:
            rows.add("apart", [va, vb], 1.0, 0.0, 1.0)


def _fixed_row(rows: _Rows, problem: Problem, pairs: _Pairs, school: int, core_school: int, name: str = "fixed") -> None:
    var = pairs.of(school, pairs.core_column[core_school])
    # a pair beyond the limit has no variable: an empty row 1 <= 0 records the contradiction
    rows.add(name, [var] if var >= 0 else [], 1.0, 1.0, 1.0)


def _contiguity_rows(rows: _Rows, problem: Problem, pairs: _Pairs, member, core, minutes) -> None:
    pair_minutes = np.full(pairs.var.shape, np.inf)
    pair_minutes[problem.members[member], core] = minutes
    for var, (m, column) in enumerate(zip(member, core)):
        school, core_school = problem.members[m], problem.cores[column]
        neighbours = problem.neighbours[school]
        if core_school in neighbours:
            continue
        nearer = [pairs.of(j, column) for j in neighbours
                  if not problem.is_core[j] and pair_minutes[j, column] < minutes[var]]
        nearer = [v for v in nearer if v >= 0]
        rows.add("contiguity", [var, *nearer], [1.0] + [-1.0] * len(nearer), -np.inf, 0.0)
