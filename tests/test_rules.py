"""Each optional rule: an instance whose optimum without it breaks it, and with it keeps it.

The rules are checked here by an independent brute force, not by the model's own rows.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial import Delaunay

from partition.model import tie_break
from partition.plan import Plan
from partition.problem import BALANCE_WEIGHT, Locks, Problem, Rules
from partition.solve import InfeasibleError, solve

LOOSE = Rules(max_minutes=None, members=None, balance=None)
UNASSIGNED = -1


def instance(seed: int, n: int = 9, n_cores: int = 3, rules: Rules = LOOSE) -> Problem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 20, size=(n, 2))
    seconds = np.linalg.norm(xy[:, None] - xy[None], axis=2) * rng.uniform(0.9, 1.1, (n, n)) * 60
    np.fill_diagonal(seconds, 0)
    is_core = np.zeros(n, bool)
    is_core[:n_cores] = True
    neighbours = [set() for _ in range(n)]
    for simplex in Delaunay(xy).simplices:
        for a, b in itertools.permutations(simplex, 2):
            neighbours[a].add(int(b))
    return Problem(
        school_ids=tuple(f"s{i}" for i in range(n)),
        enrollment=rng.integers(50, 1500, n),
        is_core=is_core,
        seconds=seconds,
        rules=rules,
        township=tuple(f"t{k}" for k in rng.integers(0, 4, n)),
        rural=rng.random(n) < 0.4,
        indicator=rng.uniform(1, 10, n),
        neighbours=tuple(tuple(sorted(s)) for s in neighbours),
    )


def minutes(problem: Problem) -> np.ndarray:
    return np.maximum(problem.seconds, problem.seconds.T) / 60


def keeps(problem: Problem, core_of: np.ndarray) -> bool:
    """Every rule of ``problem.rules``, checked directly on an assignment."""
    r, t = problem.rules, minutes(problem)
    cores, members = problem.cores, problem.members
    assigned = members[core_of[members] != UNASSIGNED]
    reach_none = (t[np.ix_(members, cores)] > (np.inf if r.max_minutes is None else r.max_minutes) + 1e-9).all(axis=1)
    must_assign = members[~reach_none] if r.allow_unassigned else members
    if not set(must_assign) <= set(assigned):
        return False
    if r.max_minutes is not None and (t[assigned, core_of[assigned]] > r.max_minutes + 1e-9).any():
        return False
    districts = [np.flatnonzero(core_of == c) for c in cores]
    if r.members is not None and not all(r.members[0] <= len(d) - 1 <= r.members[1] for d in districts):
        return False
    if r.balance is not None:
        totals = np.array([problem.enrollment[d].sum() for d in districts])
        if (np.abs(totals / totals.mean() - 1) > r.balance + 1e-9).any():
            return False
    if r.min_rural:
        for c, d in zip(cores, districts):
            reachable = problem.rural[c] + sum(problem.rural[m] and (r.max_minutes is None or t[m, c] <= r.max_minutes) for m in members)
            if problem.rural[d].sum() < min(r.min_rural, reachable):
                return False
    if r.indicator_band is not None:
        e, q = problem.enrollment, problem.indicator
        county = np.average(q, weights=e)
        for d in districts:
            if abs(np.average(q[d], weights=e[d]) / county - 1) > r.indicator_band[1] + 1e-9:
                return False
    if r.keep_township:
        by_township = {}
        for s, township in enumerate(problem.township):
            by_township.setdefault(township, set()).add(int(core_of[s]))
        if any(len(v) > 1 for v in by_township.values()):
            return False
    for a, b in r.locks.together:
        if core_of[problem.position(a)] != core_of[problem.position(b)]:
            return False
    for a, b in r.locks.apart:
        if core_of[problem.position(a)] == core_of[problem.position(b)]:
            return False
    for s, c in r.locks.fixed:
        if core_of[problem.position(s)] != problem.position(c):
            return False
    if r.contiguity:
        for m in assigned:
            c = core_of[m]
            if c not in problem.neighbours[m] and not any(
                core_of[j] == c and not problem.is_core[j] and t[j, c] < t[m, c] for j in problem.neighbours[m]
            ):
                return False
    return True


def cost(problem: Problem, core_of: np.ndarray) -> tuple[int, float]:
    """(students left out, the documented objective): compared lexicographically.

    The objective: student-minutes, plus BALANCE_WEIGHT per student of |学区 enrollment - mean| (the
    mean over the schools in the plan), plus each chosen pair's tie-break weight.
    """
    t, m = minutes(problem), problem.members
    out = core_of[m] == UNASSIGNED
    inside = m[~out]
    totals = np.array([problem.enrollment[core_of == c].sum() for c in problem.cores])
    imbalance = np.abs(totals - totals.mean()).sum()
    ties = tie_break(problem, inside, core_of[inside]).sum()
    objective = (problem.enrollment[inside] * t[inside, core_of[inside]]).sum() + BALANCE_WEIGHT * imbalance + ties
    return int(problem.enrollment[m[out]].sum()), float(objective)


def brute_force(problem: Problem):
    options = list(problem.cores) + ([UNASSIGNED] if problem.rules.allow_unassigned else [])
    best, core_of = None, np.arange(len(problem.school_ids))
    for choice in itertools.product(options, repeat=len(problem.members)):
        core_of[problem.members] = choice
        if keeps(problem, core_of):
            value = cost(problem, core_of)
            if best is None or value < best:
                best = value
    return best


def biting(rules: Rules, *, n: int = 9, tries: int = 60) -> Problem:
    """The first instance whose optimum under LOOSE-plus-base rules breaks ``rules`` but a plan keeps them."""
    for seed in range(tries):
        ruled = instance(seed, n=n, rules=rules)
        free = replace(ruled, rules=replace(rules, min_rural=None, indicator_band=None, keep_township=False,
                                            contiguity=False, locks=Locks()))
        try:
            unconstrained = np.asarray(solve(free).core_of)
        except InfeasibleError:
            continue
        if not keeps(ruled, unconstrained) and brute_force(ruled) is not None:
            return ruled
    raise AssertionError(f"no instance where {rules} bites")


RULES = {
    "mix": Rules(max_minutes=None, members=None, balance=None, min_rural=2),
    "indicator": Rules(max_minutes=None, members=None, balance=None, indicator_band=("q", 0.15)),
    "township": Rules(max_minutes=None, members=None, balance=None, keep_township=True),
    "contiguity": Rules(max_minutes=14, members=None, balance=None, contiguity=True),
    "together": Rules(max_minutes=None, members=None, balance=None, locks=Locks(together=(("s3", "s4"), ("s5", "s6")))),
    "apart": Rules(max_minutes=None, members=None, balance=None, locks=Locks(apart=(("s3", "s4"), ("s5", "s6"), ("s7", "s8")))),
    "fixed": Rules(max_minutes=None, members=None, balance=None, locks=Locks(fixed=(("s3", "s0"), ("s4", "s1"), ("s5", "s2")))),
}


@pytest.mark.parametrize("name", list(RULES))
def test_rule_bites_and_is_kept_at_the_brute_force_optimum(name):
    problem = biting(RULES[name])
    plan = solve(problem)
    core_of = np.asarray(plan.core_of)
    assert keeps(problem, core_of)
    assert cost(problem, core_of) == pytest.approx(brute_force(problem), rel=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_allow_unassigned_leaves_out_only_schools_that_reach_no_core(seed):
    problem = instance(seed, rules=Rules(max_minutes=7, members=(0, 3), balance=0.9, allow_unassigned=True))
    with pytest.raises(InfeasibleError):
        solve(replace(problem, rules=replace(problem.rules, allow_unassigned=False)))
    best = brute_force(problem)
    if best is None:
        with pytest.raises(InfeasibleError):
            solve(problem)
        return
    core_of = np.asarray(solve(problem).core_of)
    assert keeps(problem, core_of)
    assert cost(problem, core_of) == pytest.approx(best, rel=1e-6)


def test_unassigned_schools_are_listed_as_unassigned():
    problem = instance(2, rules=Rules(max_minutes=5, members=None, balance=None, allow_unassigned=True))
    plan = solve(problem)
    core_of = np.asarray(plan.core_of)
    far = [m for m in problem.members if (minutes(problem)[m, problem.cores] > 5).all()]
    assert far and all(core_of[m] == UNASSIGNED for m in far)
    with pytest.raises(InfeasibleError, match="reaches no core within 5 min"):
        solve(replace(problem, rules=replace(problem.rules, allow_unassigned=False)))


def two_conflicts() -> Problem:
    """Members 1-3 clash with four schools fixed to one core; keeping a township whole clashes with
    a tight balance band. No single rule dropped gives a plan."""
    n = 8
    seconds = np.full((n, n), 600.0)
    np.fill_diagonal(seconds, 0)
    locks = Locks(fixed=tuple((f"s{i}", "s0") for i in range(2, 6)))
    rules = Rules(max_minutes=None, members=(1, 3), balance=0.05, keep_township=True, locks=locks)
    return Problem(tuple(f"s{i}" for i in range(n)), np.array([100] * 6 + [1000, 1000]), np.arange(n) < 2, seconds, rules,
                   township=("a", "T", "b", "c", "d", "e", "T", "T"))


def test_the_smallest_sets_of_rules_to_drop_are_found():
    from partition.feasibility import RELAXABLE_RULES, rules_to_relax

    problem = two_conflicts()
    option_of = {option: (name, off) for name, option, off in RELAXABLE_RULES}

    def plan_without(options) -> bool:
        relaxed = replace(problem.rules, **dict(option_of[o] for o in options))
        return brute_force(replace(problem, rules=relaxed)) is not None

    active = ["--members", "--balance", "--keep-township", "--rules"]
    assert not any(plan_without([o]) for o in active)
    expected = {frozenset(pair) for pair in itertools.combinations(active, 2) if plan_without(pair)}
    assert expected == {frozenset(("--members", "--balance")), frozenset(("--balance", "--rules")),
                        frozenset(("--keep-township", "--rules"))}
    assert {frozenset(found) for found in rules_to_relax(problem)} == expected
    with pytest.raises(InfeasibleError, match="a plan exists without --members and --balance or without"):
        solve(problem)


def test_township_with_two_cores_is_explained():
    problem = instance(0, rules=replace(LOOSE, keep_township=True))
    problem = replace(problem, township=("same", "same") + problem.township[2:])
    with pytest.raises(InfeasibleError, match="乡镇/街道 same holds 2 cores"):
        solve(problem)


def test_fixed_pair_beyond_the_limit_is_explained():
    problem = instance(0, rules=Rules(max_minutes=1, members=None, balance=None, allow_unassigned=True,
                                      locks=Locks(fixed=(("s5", "s0"),))))
    with pytest.raises(InfeasibleError, match=r"s5 is fixed to s0, .* beyond the 1 min limit"):
        solve(problem)


def test_max_objective_minimises_the_longest_trip_first():
    from partition.feasibility import smallest_feasible_limit

    problem = instance(1, n=10, rules=Rules(max_minutes=30, members=(1, 4), balance=0.5))
    longest = lambda plan: max(minutes(problem)[m, plan.core_of[m]] for m in problem.members)  # noqa: E731
    by_sum = solve(problem)
    by_max = solve(replace(problem, rules=replace(problem.rules, objective="max")))
    limit = smallest_feasible_limit(problem)
    assert longest(by_max) <= limit + 1e-9 and by_max.rules.max_minutes == limit
    assert longest(by_max) <= longest(by_sum) + 1e-9
    assert by_max.objective >= by_sum.objective - 1e-6


def test_a_plan_that_breaks_a_lock_is_never_made():
    problem = instance(1, rules=replace(LOOSE, locks=Locks(fixed=(("s5", "s1"),), apart=(("s3", "s4"),))))
    core_of = np.array([0, 1, 2, 0, 0, 2, 2, 1, 1])  # s5 with s2, s3 and s4 together
    assert problem.broken_locks(core_of) == ["fixed s5 -> s1", "apart s3, s4"]
    with pytest.raises(RuntimeError, match="breaks the rules file's locks"):
        Plan.from_assignment(problem, core_of, solver="test", status="feasible", objective=0.0, bound=0.0, gap=0.0, seed=0)
    plan = solve(problem, time_limit=10)
    assert problem.broken_locks(np.asarray(plan.core_of)) == []
