"""The objective's definition: the model's costs agree with it, and its tie-break makes the optimum unique."""

from __future__ import annotations

import numpy as np
import pytest
from test_solve import random_problem

from partition.model import build_model, imbalance, objective_value, student_minutes, tie_break
from partition.problem import BALANCE_WEIGHT, TIE_WEIGHT, Problem, Rules
from partition.solve import solve


@pytest.mark.parametrize("seed", range(5))
def test_model_costs_equal_the_objective_of_any_plan(seed):
    problem = random_problem(seed, n=12, n_cores=3, rules=Rules(max_minutes=None, members=None, balance=None))
    model = build_model(problem)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        core_of = np.arange(len(problem.school_ids))
        core_of[problem.members] = rng.choice(problem.cores, size=len(problem.members))
        x = model.vector(problem, core_of)
        assert model.keeps_rows(x)
        assert np.array_equal(model.assignment(problem, x), core_of)
        assert model.cost @ x == pytest.approx(objective_value(problem, core_of), rel=1e-12)
        totals = np.array([problem.enrollment[core_of == c].sum() for c in problem.cores])
        assert imbalance(problem, core_of) == pytest.approx(np.abs(totals - totals.mean()).sum())
        assert objective_value(problem, core_of) - student_minutes(problem, core_of) == pytest.approx(
            BALANCE_WEIGHT * imbalance(problem, core_of) + tie_break(problem, problem.members, core_of[problem.members]).sum())


def test_tie_break_weights_follow_the_ids_and_stay_small():
    problem = random_problem(0, n=30, n_cores=5)
    schools, cores = np.repeat(np.arange(30), 5), np.tile(problem.cores, 30)
    weights = tie_break(problem, schools, cores)
    assert ((weights >= 0) & (weights < TIE_WEIGHT)).all() and len(np.unique(weights)) == len(weights)
    order = np.random.default_rng(1).permutation(30)
    shuffled = Problem(tuple(np.array(problem.school_ids)[order]), problem.enrollment[order], problem.is_core[order],
                       problem.seconds[np.ix_(order, order)], problem.rules)
    inverse = np.argsort(order)
    assert np.array_equal(tie_break(shuffled, inverse[schools], inverse[cores]), weights)


def twins() -> Problem:
    """Two cores 10 min either side of four like schools on one spot: all six ways of giving each core
    two of them cost the same student-minutes and imbalance, so only the tie-break tells them apart."""
    x = np.array([-10.0, 10.0, 0.0, 0.0, 0.0, 0.0])
    seconds = np.abs(x[:, None] - x[None]) * 60.0
    return Problem(tuple(f"s{i}" for i in range(6)), np.array([500, 500, 200, 200, 200, 200]),
                   np.arange(6) < 2, seconds, Rules(max_minutes=None, members=(2, 2), balance=None))


def test_tied_plans_are_broken_the_same_way_whatever_the_row_order():
    problem = twins()
    plan = solve(problem)
    assert plan.status == "optimal"
    by_id = {problem.school_ids[s]: problem.school_ids[c] for s, c in enumerate(plan.core_of)}
    for seed in range(8):
        order = np.random.default_rng(seed).permutation(6)
        order = np.concatenate([order[problem.is_core[order]], order[~problem.is_core[order]]])
        shuffled = Problem(tuple(np.array(problem.school_ids)[order]), problem.enrollment[order], problem.is_core[order],
                           problem.seconds[np.ix_(order, order)], problem.rules)
        again = solve(shuffled)
        assert {shuffled.school_ids[s]: shuffled.school_ids[c] for s, c in enumerate(again.core_of)} == by_id
