"""The heuristic, the warm start, the decomposition and the set-partitioning bound, against brute force."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_solve import brute_force, cost, keeps_rules, random_problem

import partition.solve as solve_module
from partition import highs
from partition.columns import column_generation, dive_plan, price_and_dive, with_pairs
from partition.heuristic import REGION_WIDTHS, heuristic_plan, lp_relaxation
from partition.model import build_model
from partition.plan import UNASSIGNED
from partition.problem import Problem, Rules
from partition.solve import InfeasibleError, solve

RULE_SETS = {
    "members": Rules(max_minutes=None, members=(2, 2), balance=None),
    "balance": Rules(max_minutes=None, members=None, balance=0.3),
    "all": Rules(max_minutes=16, members=(1, 3), balance=0.4),
    "default-like": Rules(max_minutes=None, members=(1, 4), balance=0.25),
}
#: On these small instances the heuristic stays within this factor of the optimum.
SMALL_CASE_RATIO = 1.1


def two_regions(seed: int, rules: Rules = Rules(max_minutes=20, members=(1, 4), balance=0.5), *, n: int = 12,
                n_cores: int = 3) -> Problem:
    """Two random counties 1,000 km apart, side by side in one problem (every trip between them is beyond any limit)."""
    left, right = random_problem(seed, n=n, n_cores=n_cores), random_problem(seed + 100, n=n, n_cores=n_cores)
    far = np.full((n, n), 1e6 * 60)
    seconds = np.block([[left.seconds, far], [far, right.seconds]])
    order = np.argsort(~np.concatenate([left.is_core, right.is_core]), kind="stable")  # cores first, as usual
    seconds = seconds[np.ix_(order, order)]
    enrollment = np.concatenate([left.enrollment, right.enrollment])[order]
    is_core = np.concatenate([left.is_core, right.is_core])[order]
    return Problem(tuple(f"s{i}" for i in range(2 * n)), enrollment, is_core, seconds, rules)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("name", list(RULE_SETS))
def test_heuristic_keeps_every_rule_and_comes_close(seed, name):
    problem = random_problem(seed, rules=RULE_SETS[name])
    best = brute_force(problem)
    found = heuristic_plan(problem, seed=0)
    if best is None:
        assert found is None
        return
    assert found is not None and keeps_rules(problem, found.core_of)
    assert found.objective == pytest.approx(cost(problem, found.core_of), rel=1e-9)
    assert best - 1e-6 <= found.objective <= SMALL_CASE_RATIO * best


def test_heuristic_keeps_the_rules_on_a_larger_instance():
    problem = random_problem(5, n=60, n_cores=12, rules=Rules(max_minutes=15, members=(2, 6), balance=0.25))
    found = heuristic_plan(problem, seed=3)
    assert found is not None and keeps_rules(problem, found.core_of)
    assert found.objective >= lp_relaxation(problem).value - 1e-6


@pytest.mark.parametrize("fewer, more", [((), REGION_WIDTHS), ((2,), (2, 5))], ids=["regions", "wider regions"])
def test_region_sweeps_keep_the_rules_and_never_cost_more(fewer, more):
    """Re-solving each core's neighbourhood exactly (or, after a narrow sweep, a wider one) lowers the
    cost of some plans and raises none."""
    rules = Rules(max_minutes=15, members=(2, 6), balance=0.25)
    lowered = 0
    for seed in range(4):
        problem = random_problem(seed, n=60, n_cores=12, rules=rules)
        plain, improved = heuristic_plan(problem, widths=fewer), heuristic_plan(problem, widths=more)
        if plain is None:
            assert improved is None
            continue
        assert keeps_rules(problem, improved.core_of)
        assert improved.objective == pytest.approx(cost(problem, improved.core_of), rel=1e-9)
        assert improved.objective <= plain.objective + 1e-6
        lowered += improved.objective < plain.objective - 1e-6
    assert lowered > 0


def test_heuristic_is_deterministic_for_a_seed():
    problem = random_problem(2, n=40, n_cores=8, rules=Rules(max_minutes=15, members=(2, 6), balance=0.3))
    first, second = heuristic_plan(problem, seed=11), heuristic_plan(problem, seed=11)
    assert first is not None and np.array_equal(first.core_of, second.core_of)
    assert first.objective == second.objective


@pytest.mark.parametrize("seed", range(4))
def test_warm_start_gives_the_same_optimum(seed, monkeypatch):
    problem = random_problem(seed, n=10, rules=RULE_SETS["all"])
    best = brute_force(problem)
    if best is None:
        pytest.skip("no plan on this instance")
    warm = solve(problem)
    monkeypatch.setattr(solve_module, "_local_plan", lambda *args, **kwargs: None)
    cold = solve(problem)
    assert warm.status == cold.status == "optimal"
    assert warm.objective == pytest.approx(best, rel=1e-6) and cold.objective == pytest.approx(best, rel=1e-6)


def test_heuristic_for_some_cores_plans_them_alone():
    """Restricted to one county's cores, the heuristic plans that county under the whole problem's band."""
    problem = two_regions(1)
    whole = heuristic_plan(problem)
    blocks, _ = solve_module._independent_blocks(build_model(problem))
    for _, block in blocks:
        cores = np.unique(block.core[block.is_pair])
        found = heuristic_plan(problem, cores=cores)
        planned = np.isin(np.arange(24), problem.cores[cores]) | np.isin(found.core_of, problem.cores[cores])
        assert (found.core_of[~planned] == UNASSIGNED).all() and planned.sum() == 12
        assert block.keeps_rows(block.vector(problem, found.core_of))
        assert found.objective == pytest.approx(float(block.cost @ block.vector(problem, found.core_of)), rel=1e-9)
    assert whole is not None and keeps_rules(problem, whole.core_of)


@pytest.mark.parametrize("seed", [0, 2, 3, 4])
def test_heuristic_from_a_plan_keeps_its_cost_or_lowers_it(seed):
    """Started from the optimum (which its moves alone miss on these seeds) it returns the optimum;
    from the optimum with two members taken out, a plan that keeps the rules."""
    problem = random_problem(seed, n=40, n_cores=8, rules=Rules(max_minutes=15, members=(2, 6), balance=0.3))
    best = solve(problem)
    assert best.status == "optimal"
    optimum = np.asarray(best.core_of)
    assert heuristic_plan(problem, widths=()).objective > best.objective + 1e-6
    found = heuristic_plan(problem, start=optimum, widths=())
    assert found.objective == pytest.approx(best.objective, rel=1e-9)
    partial = optimum.copy()
    partial[problem.members[:2]] = UNASSIGNED
    repaired = heuristic_plan(problem, start=partial, widths=())
    assert repaired is not None and keeps_rules(problem, repaired.core_of)
    assert repaired.objective >= best.objective - 1e-6
    beyond = optimum.copy()  # a member the start sends beyond the travel limit does not stay there
    minutes = problem.pair_minutes()
    reaches = (minutes <= problem.rules.max_minutes).any(axis=1, keepdims=True)
    member, core = np.argwhere(reaches & np.isfinite(minutes) & (minutes > problem.rules.max_minutes))[0]
    beyond[problem.members[member]] = problem.cores[core]
    assert keeps_rules(problem, heuristic_plan(problem, start=beyond, widths=()).core_of)


def test_a_block_the_dive_leaves_without_a_plan_gets_the_local_heuristic(monkeypatch):
    problem = two_regions(2)
    best = solve(problem)
    monkeypatch.setattr(solve_module, "BOUND_MIN_VARS", 0)
    monkeypatch.setattr(solve_module, "PLAIN_TIME_SHARE", 0)  # straight to the bound-and-dive path
    real_dive = solve_module.dive
    monkeypatch.setattr(solve_module, "dive", lambda *args, **kwargs: (None, real_dive(*args, **kwargs)[1]))
    calls = []
    monkeypatch.setattr(solve_module, "heuristic_plan", lambda *args, **kwargs: calls.append(kwargs) or heuristic_plan(*args, **kwargs))
    plan = solve(problem)
    assert [len(call["cores"]) for call in calls] == [3, 3]  # one call per county, on its own cores
    for call in calls:  # from the dive's partial plan: members at this county's cores or not yet placed
        assert np.isin(call["start"][problem.members], [*problem.cores[call["cores"]], UNASSIGNED]).all()
    assert keeps_rules(problem, np.asarray(plan.core_of))
    assert plan.status == best.status == "optimal" and plan.objective == pytest.approx(best.objective, rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_decomposition_gives_the_monolithic_optimum(seed, monkeypatch):
    problem = two_regions(seed)
    blocks, contradiction = solve_module._independent_blocks(build_model(problem))
    assert len(blocks) == 2 and not contradiction
    decomposed = solve(problem)
    monkeypatch.setattr(solve_module, "_independent_blocks", lambda model: ([(np.arange(model.n_vars), model)], False))
    monolithic = solve(problem)
    assert decomposed.status == monolithic.status == "optimal"
    assert decomposed.objective == pytest.approx(monolithic.objective, rel=1e-6)
    assert keeps_rules(problem, np.asarray(decomposed.core_of))


def test_lanes_deal_the_largest_blocks_first_to_the_lightest_lane():
    sizes = [5, 9, 2, 7, 3]
    assert solve_module._lanes(sizes, 2) == [[2, 4, 1], [0, 3]]  # 9, 3, 2 | 7, 5: loads 14 and 12, smallest first
    assert solve_module._lanes(sizes, 1) == [[2, 4, 0, 3, 1]]
    assert solve_module._lanes([4, 4], 8) == [[0], [1]]


def test_large_blocks_in_two_processes_give_the_plan_of_one():
    problem = two_regions(1, Rules(max_minutes=40, members=(2, 6), balance=0.3), n=80, n_cores=16)
    blocks, _ = solve_module._independent_blocks(build_model(problem))
    assert [int(block.is_pair.sum()) >= solve_module.BOUND_MIN_VARS for _, block in blocks] == [True, True]
    alone, side_by_side = solve(problem, jobs=1), solve(problem, jobs=2)  # one process, then two
    assert alone.status == side_by_side.status == "optimal"
    assert side_by_side.core_of == alone.core_of and side_by_side.objective == alone.objective
    assert keeps_rules(problem, np.asarray(side_by_side.core_of))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("name", list(RULE_SETS))
def test_set_partitioning_bound_path_finds_the_optimum(seed, name, monkeypatch):
    monkeypatch.setattr(solve_module, "BOUND_MIN_VARS", 0)
    monkeypatch.setattr(solve_module, "PLAIN_TIME_SHARE", 0)  # straight to the bound-and-dive path
    problem = random_problem(seed, rules=RULE_SETS[name])
    best = brute_force(problem)
    if best is None:
        with pytest.raises(InfeasibleError):
            solve(problem)
        return
    plan = solve(problem)
    assert plan.status == "optimal" and plan.solver.endswith(solve_module.BOUND_NAME)
    assert plan.objective == pytest.approx(best, rel=1e-6) and plan.bound <= best + 1e-6
    assert keeps_rules(problem, np.asarray(plan.core_of))


def test_a_loose_large_block_goes_to_highs_alone_first(monkeypatch):
    monkeypatch.setattr(solve_module, "BOUND_MIN_VARS", 0)  # every block is large
    problem = random_problem(5, n=40, n_cores=5, rules=Rules(max_minutes=None, members=(2, 12), balance=1.0))
    tight = random_problem(7, n=50, n_cores=10, rules=Rules(max_minutes=15, members=(2, 6), balance=0.3))
    assert solve_module._loose(problem, build_model(problem), lp_relaxation(problem))
    assert not solve_module._loose(tight, build_model(tight), lp_relaxation(tight))  # its LP splits a fifth of the members
    assert solve(tight).solver.endswith(solve_module.BOUND_NAME)
    plain = solve(problem)
    monkeypatch.setattr(solve_module, "PLAIN_TIME_SHARE", 0)
    searched = solve(problem)
    assert plain.status == searched.status == "optimal"
    assert plain.solver == solve_module.SOLVER_NAME and searched.solver.endswith(solve_module.BOUND_NAME)
    assert plain.core_of == searched.core_of and keeps_rules(problem, np.asarray(plain.core_of))


def test_highs_stops_at_its_checkpoint_only_with_a_wide_gap():
    model = build_model(random_problem(3, n=60, n_cores=10, rules=Rules(max_minutes=15, members=(2, 6), balance=0.3)))
    stopped = highs.solve_mip(model, time_limit=60, checkpoint=(0.0, 1.0))  # no plan or bound yet: an infinite gap
    going_on = highs.solve_mip(model, time_limit=60, checkpoint=(0.0, np.inf))
    not_yet = highs.solve_mip(model, time_limit=60, checkpoint=(60.0, -1.0))
    assert not stopped.optimal and going_on.optimal and not_yet.optimal


def test_a_gap_left_by_highs_goes_to_the_bound_and_dive_path(monkeypatch):
    monkeypatch.setattr(solve_module, "BOUND_MIN_VARS", 0)
    monkeypatch.setattr(solve_module, "PLAIN_TIME_SHARE", 1e-9)  # HiGHS is asked at once, and any gap is too wide
    monkeypatch.setattr(solve_module, "PLAIN_MAX_SPLIT", 1.0)
    monkeypatch.setattr(solve_module, "EXACT_MAX_GAP", -1.0)
    problem = random_problem(3, n=60, n_cores=10, rules=Rules(max_minutes=15, members=(2, 6), balance=0.3))
    plan = solve(problem)
    assert plan.solver.endswith(solve_module.BOUND_NAME) and plan.status == "optimal"
    assert keeps_rules(problem, np.asarray(plan.core_of))


@pytest.mark.parametrize("seed", range(4))
def test_set_partitioning_bound_lies_between_the_lp_and_the_optimum(seed):
    problem = random_problem(seed, n=10, rules=RULE_SETS["default-like"])
    best = brute_force(problem)
    model = build_model(problem)
    relaxation = lp_relaxation(problem)
    columns = column_generation(problem, model, deadline=float("inf"), duals=relaxation.member_duals)
    assert relaxation.value - 1e-6 <= columns.bound <= best + 1e-6


def test_column_dive_gives_a_plan_that_keeps_the_rules():
    problem = random_problem(7, n=50, n_cores=10, rules=Rules(max_minutes=15, members=(2, 6), balance=0.3))
    model = build_model(problem)
    columns = column_generation(problem, model, deadline=float("inf"))
    pairs, fixed = price_and_dive(columns, deadline=float("inf"))
    if pairs is None:  # the dive stopped short: its fixed 学区 leave the rest to the MIP
        mask = np.zeros(model.n_vars, bool)
        for district in fixed:
            mask[district] = True
        x = highs.solve_mip(model, time_limit=30, fixed=mask).x
    else:
        x = with_pairs(model, pairs)
    assert model.keeps_rows(x)
    assert model.cost @ x >= columns.bound - 1e-6


def test_dive_plan_keeps_every_rule_and_costs_at_least_the_optimum():
    problem = random_problem(7, n=50, n_cores=10, rules=Rules(max_minutes=15, members=(2, 6), balance=0.3))
    found = dive_plan(problem, time_limit=30)
    assert found is not None and keeps_rules(problem, found.core_of)
    assert found.objective == pytest.approx(cost(problem, found.core_of), rel=1e-9)
    best = solve(problem)
    assert best.status == "optimal" and found.objective >= best.objective - 1e-6


def test_a_run_stopped_by_the_time_limit_is_never_optimal():
    problem = random_problem(3, n=40, n_cores=8, rules=Rules(max_minutes=15, members=(2, 6), balance=0.3))
    try:
        plan = solve(problem, time_limit=0)
    except InfeasibleError as error:
        assert "time limit" in str(error)
        return
    assert plan.status == "feasible" and plan.gap > 0
    assert keeps_rules(problem, np.asarray(plan.core_of))


def test_set_partitioning_bound_proves_infeasibility(monkeypatch):
    monkeypatch.setattr(solve_module, "BOUND_MIN_VARS", 0)
    monkeypatch.setattr(solve_module, "PLAIN_TIME_SHARE", 0)  # straight to the bound-and-dive path
    problem = random_problem(0, rules=Rules(max_minutes=None, members=(2, 2), balance=0.01))
    assert brute_force(problem) is None
    with pytest.raises(InfeasibleError, match="cannot all hold together"):
        solve(replace(problem, rules=replace(problem.rules, max_minutes=None)))


def test_highs_proves_a_large_block_infeasible_when_its_lp_has_no_solution(monkeypatch):
    monkeypatch.setattr(solve_module, "BOUND_MIN_VARS", 0)
    problem = random_problem(2, n=12, n_cores=3, rules=Rules(max_minutes=10, members=(2, 3), balance=None))
    assert lp_relaxation(problem) is None and solve_module._loose(problem, build_model(problem), None)
    monkeypatch.setattr(solve_module, "column_generation", None)  # HiGHS alone decides: the path below is never taken
    with pytest.raises(InfeasibleError, match="cannot all hold together"):
        solve(problem)


@pytest.mark.parametrize("name", ["mix", "township", "together", "apart", "fixed", "contiguity"])
def test_set_partitioning_path_keeps_the_other_rules(name, monkeypatch):
    """The bound and its dive know only the member and balance rules; the plan must keep every rule."""
    import test_rules

    monkeypatch.setattr(solve_module, "BOUND_MIN_VARS", 0)
    monkeypatch.setattr(solve_module, "PLAIN_TIME_SHARE", 0)  # straight to the bound-and-dive path
    problem = test_rules.biting(test_rules.RULES[name])
    plan = solve(problem)
    core_of = np.asarray(plan.core_of)
    assert test_rules.keeps(problem, core_of)
    assert test_rules.cost(problem, core_of) == pytest.approx(test_rules.brute_force(problem), rel=1e-6)
