"""CP-SAT polishing: it only ever returns a plan that keeps every row, and never a worse one."""

from __future__ import annotations

import numpy as np
import pytest
from test_rules import RULES, biting, keeps
from test_solve import random_problem

from partition import highs
from partition.model import build_model
from partition.polish import polish
from partition.problem import Rules

RULED = Rules(max_minutes=15, members=(2, 6), balance=0.3)


def test_polish_improves_a_poor_plan_and_keeps_every_row():
    problem = random_problem(5, n=40, n_cores=8, rules=RULED)
    model = build_model(problem)
    first = highs.solve_mip(model, time_limit=10, max_solutions=1).x
    best = highs.solve_mip(model, time_limit=60)
    assert first is not None and best.optimal and model.cost @ first > model.cost @ best.x + 1
    x, finished = polish(model, first, time_limit=20)
    assert model.keeps_rows(x)
    assert model.cost @ best.x - 1e-6 <= model.cost @ x < model.cost @ first
    if finished:  # CP-SAT proved its optimum of the scaled model: the same plan up to the tie-break and rounding
        assert model.cost @ x == pytest.approx(model.cost @ best.x, rel=1e-4)


def test_polish_from_nothing_keeps_a_rule_with_fractional_coefficients():
    problem = biting(RULES["indicator"])  # its rows weigh enrollment times indicator differences
    model = build_model(problem)
    x, _ = polish(model, None, time_limit=10)
    assert x is not None and model.keeps_rows(x)
    assert keeps(problem, model.assignment(problem, x))


def test_polish_without_time_returns_the_plan_given():
    problem = random_problem(1, n=20, n_cores=4, rules=RULED)
    model = build_model(problem)
    start = highs.solve_mip(model, time_limit=10, max_solutions=1).x
    x, finished = polish(model, start, time_limit=0)
    assert x is start and not finished
    assert np.array_equal(model.assignment(problem, x), model.assignment(problem, start))
