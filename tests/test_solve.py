"""The exact solver against brute force, rule by rule, and its explanations of infeasibility."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from partition.model import tie_break
from partition.plan import Plan
from partition.problem import BALANCE_WEIGHT, Problem, Rules
from partition.solve import InfeasibleError, solve

NO_RULES = Rules(max_minutes=None, members=None, balance=None)


def random_problem(seed: int, n: int = 9, n_cores: int = 3, rules: Rules = Rules()) -> Problem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 20, size=(n, 2))
    distance = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    asymmetry = rng.uniform(0.9, 1.1, size=(n, n))
    seconds = distance * asymmetry * 60.0  # one km per minute, slightly different each way
    np.fill_diagonal(seconds, 0)
    is_core = np.zeros(n, bool)
    is_core[:n_cores] = True
    return Problem(tuple(f"s{i}" for i in range(n)), rng.integers(50, 1500, n), is_core, seconds, rules)


def keeps_rules(problem: Problem, core_of: np.ndarray) -> bool:
    rules, cores = problem.rules, problem.cores
    minutes = np.maximum(problem.seconds, problem.seconds.T) / 60
    members = problem.members
    if rules.max_minutes is not None and (minutes[members, core_of[members]] > rules.max_minutes + 1e-9).any():
        return False
    counts = np.array([(core_of[members] == c).sum() for c in cores])
    if rules.members is not None and not ((counts >= rules.members[0]) & (counts <= rules.members[1])).all():
        return False
    if rules.balance is not None:
        totals = np.array([problem.enrollment[core_of == c].sum() for c in cores])
        mean = problem.enrollment.sum() / len(cores)
        if (np.abs(totals - mean) > rules.balance * mean + 1e-6).any():
            return False
    return True


def student_minutes(problem: Problem, core_of: np.ndarray) -> float:
    minutes = np.maximum(problem.seconds, problem.seconds.T) / 60
    m = problem.members
    return float((problem.enrollment[m] * minutes[m, core_of[m]]).sum())


def cost(problem: Problem, core_of: np.ndarray) -> float:
    """The documented objective, from its definition: student-minutes, plus BALANCE_WEIGHT per student
    of |学区 enrollment - mean|, plus each chosen pair's tie-break weight."""
    totals = np.array([problem.enrollment[core_of == c].sum() for c in problem.cores])
    imbalance = np.abs(totals - problem.enrollment.sum() / len(problem.cores)).sum()
    ties = tie_break(problem, problem.members, core_of[problem.members]).sum()
    return student_minutes(problem, core_of) + BALANCE_WEIGHT * imbalance + ties


def brute_force_plan(problem: Problem) -> tuple[float, np.ndarray] | None:
    """The least cost over every assignment that keeps the rules, and that assignment."""
    best = None
    core_of = np.arange(len(problem.school_ids))
    for choice in itertools.product(problem.cores, repeat=len(problem.members)):
        core_of[problem.members] = choice
        if keeps_rules(problem, core_of):
            value = cost(problem, core_of)
            if best is None or value < best[0]:
                best = (value, core_of.copy())
    return best


def brute_force(problem: Problem) -> float | None:
    best = brute_force_plan(problem)
    return None if best is None else best[0]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(
    "rules",
    [NO_RULES, Rules(max_minutes=12, members=None, balance=None), Rules(max_minutes=None, members=(2, 2), balance=None),
     Rules(max_minutes=None, members=None, balance=0.3), Rules(max_minutes=16, members=(1, 3), balance=0.4)],
    ids=["none", "limit", "members", "balance", "all"],
)
def test_optimum_equals_brute_force(seed, rules):
    problem = random_problem(seed, rules=rules)
    best = brute_force_plan(problem)
    if best is None:
        with pytest.raises(InfeasibleError):
            solve(problem)
        return
    plan = solve(problem)
    core_of = np.asarray(plan.core_of)
    assert plan.status == "optimal"
    assert keeps_rules(problem, core_of)
    assert plan.objective == pytest.approx(best[0], rel=1e-6) and cost(problem, core_of) == pytest.approx(best[0], rel=1e-6)
    assert np.array_equal(core_of, best[1])  # the optimum is unique: the brute-force one
    assert plan.student_minutes == pytest.approx(student_minutes(problem, core_of), rel=1e-9)
    assert plan.bound <= plan.objective + 1e-6


def rule_bites(rules: Rules) -> Problem:
    """The first random instance whose unconstrained optimum breaks ``rules`` but a plan keeps them."""
    for seed in range(200):
        free = random_problem(seed, n=10)
        free = Problem(free.school_ids, free.enrollment, free.is_core, free.seconds, NO_RULES)
        ruled = Problem(free.school_ids, free.enrollment, free.is_core, free.seconds, rules)
        unconstrained = np.asarray(solve(free).core_of)
        if not keeps_rules(ruled, unconstrained) and brute_force(ruled) is not None:
            return ruled
    raise AssertionError("no instance found")


@pytest.mark.parametrize(
    "rules",
    [Rules(max_minutes=None, members=(2, 3), balance=None), Rules(max_minutes=None, members=None, balance=0.2)],
    ids=["members", "balance"],
)
def test_rule_changes_the_optimum_and_is_kept(rules):
    problem = rule_bites(rules)
    plan = solve(problem)
    assert keeps_rules(problem, np.asarray(plan.core_of))
    assert plan.objective == pytest.approx(brute_force(problem), rel=1e-6)


def test_travel_limit_is_never_crossed():
    problem = random_problem(3, n=30, n_cores=6, rules=Rules(max_minutes=14, members=(1, 8), balance=None))
    plan = solve(problem)
    core_of = np.asarray(plan.core_of)
    minutes = np.maximum(problem.seconds, problem.seconds.T) / 60
    assert (minutes[problem.members, core_of[problem.members]] <= 14 + 1e-9).all()


def test_cores_lead_themselves_and_every_member_is_assigned_once():
    problem = random_problem(1, n=12, n_cores=3)
    plan = solve(problem, time_limit=30)
    core_of = np.asarray(plan.core_of)
    assert (core_of[problem.cores] == problem.cores).all()
    assert set(core_of[problem.members]) <= set(problem.cores)


def test_unreachable_school_is_named_with_its_nearest_core():
    problem = random_problem(0, rules=Rules(max_minutes=1.0, members=None, balance=None))
    with pytest.raises(InfeasibleError) as caught:
        solve(problem)
    assert "reaches no core within 1 min; the nearest core is" in str(caught.value)


def test_core_short_of_members_is_named():
    problem = random_problem(0, rules=Rules(max_minutes=None, members=(4, 6), balance=None))
    with pytest.raises(InfeasibleError, match="cannot give 3 cores 4 members each"):
        solve(problem)


def test_oversized_core_is_named():
    base = random_problem(0)
    enrollment = base.enrollment.copy()
    enrollment[0] = enrollment.sum() * 3
    problem = Problem(base.school_ids, enrollment, base.is_core, base.seconds, Rules(max_minutes=None, members=None, balance=0.25))
    with pytest.raises(InfeasibleError, match="core s0 alone has .* above the balance ceiling"):
        solve(problem)


def test_same_problem_same_plan():
    problem = random_problem(4, n=20, n_cores=4)
    first, second = solve(problem, seed=7), solve(problem, seed=7)
    assert first == second and isinstance(first, Plan)


@pytest.mark.parametrize("seed", range(4))
def test_smallest_feasible_limit_is_tight(seed):
    from partition.feasibility import LIMIT_STEP_MIN, has_plan, smallest_feasible_limit

    problem = random_problem(seed, n=14, n_cores=3, rules=Rules(max_minutes=1.0, members=(2, 6), balance=0.3))
    limit = smallest_feasible_limit(problem)
    assert limit is not None
    at = Problem(problem.school_ids, problem.enrollment, problem.is_core, problem.seconds, Rules(limit, (2, 6), 0.3))
    below = Problem(problem.school_ids, problem.enrollment, problem.is_core, problem.seconds,
                    Rules(limit - LIMIT_STEP_MIN, (2, 6), 0.3))
    assert has_plan(at) is True and has_plan(below) is False
    assert keeps_rules(at, np.asarray(solve(at).core_of))
    with pytest.raises(InfeasibleError, match=f"no plan within 1 min; the smallest feasible limit is {limit:.1f} min"):
        solve(problem)


def test_explanation_quotes_times_beyond_the_horizon():
    full = random_problem(0, rules=Rules(max_minutes=1.0, members=None, balance=None))
    cut = np.where(full.seconds <= 120.0, full.seconds, np.inf)
    problem = Problem(full.school_ids, full.enrollment, full.is_core, cut, full.rules, horizon_s=120.0)
    with pytest.raises(InfeasibleError) as without:
        solve(problem)
    with pytest.raises(InfeasibleError) as expected:
        solve(full)
    calls = []
    with pytest.raises(InfeasibleError) as caught:
        solve(problem, all_times=lambda: calls.append(1) or full.seconds)
    assert "every core is more than 2 min away" in str(without.value) and str(caught.value) == str(expected.value) and calls == [1]
    assert "the smallest feasible limit is" in str(caught.value)


def test_horizon_must_cover_the_limit():
    base = random_problem(0)
    with pytest.raises(ValueError, match="short of the"):
        Problem(base.school_ids, base.enrollment, base.is_core, base.seconds, Rules(max_minutes=30), horizon_s=600.0)
