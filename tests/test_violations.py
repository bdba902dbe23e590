"""The rule checks: a hand-checked instance, agreement with test_rules' independent checker, solver plans clean."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from test_rules import RULES, instance, keeps

from partition.plan import GIVEN, Plan
from partition.problem import Locks, Problem, Rules
from partition.solve import InfeasibleError, solve
from partition.violations import CHECKS, RULE_LABELS, Violation, find_violations

MINUTE = 60.0


def given_plan(problem: Problem, core_of) -> Plan:
    return Plan(core_of=tuple(int(c) for c in core_of), rules=problem.rules, solver=GIVEN, status=GIVEN, objective=0.0,
                bound=None, gap=None, seed=0, input_hash="")


def hand_instance() -> tuple[Problem, list[int]]:
    """Seven schools, two 学区 (cores s0 and s1), every rule but the indicator band and contiguity on.

    The plan: s2, s3, s6 join s0; s4, s5 join s1. All trips take 10 minutes except s6 -> s0 (40).
    """
    n = 7
    seconds = np.full((n, n), 10 * MINUTE)
    np.fill_diagonal(seconds, 0)
    seconds[6, 0] = 40 * MINUTE  # one direction only: the longer counts
    rules = Rules(max_minutes=30, members=(1, 2), balance=0.25, keep_township=True, min_rural=2,
                  locks=Locks(fixed=(("s2", "s1"),), together=(("s3", "s4"),), apart=(("s2", "s3"),), cores=("s5",)))
    problem = Problem(
        school_ids=tuple(f"s{i}" for i in range(n)), enrollment=np.array([100, 100, 50, 50, 50, 50, 400]),
        is_core=np.arange(n) < 2, seconds=seconds, rules=rules,
        township=("T1", "T2", "T1", "T3", "T1", "T4", "T5"), rural=np.isin(np.arange(n), [3, 4, 5]),
    )
    return problem, [0, 1, 0, 0, 1, 1, 0]


def test_hand_checked_instance():
    """By hand: D01 = s0 s2 s3 s6 (600 students, 3 members, 1 rural), D02 = s1 s4 s5 (200, 2 members, 2 rural);
    the mean 学区 has 400 students, so the band is 300-500."""
    problem, core_of = hand_instance()
    found = [v.to_dict() for v in find_violations(problem, given_plan(problem, core_of))]
    assert found == [
        {"school_id": "s6", "district": "D01", "rule": "travel_limit", "value": 40.0, "limit": 30.0},
        {"school_id": "s0", "district": "D01", "rule": "members", "value": 3, "limit": 2},
        {"school_id": "s0", "district": "D01", "rule": "balance", "value": 600, "limit": 500.0},
        {"school_id": "s1", "district": "D02", "rule": "balance", "value": 200, "limit": 300.0},
        {"school_id": "s4", "district": "D02", "rule": "keep_township", "value": 2, "limit": 1},  # T1 belongs with its core s0
        {"school_id": "s0", "district": "D01", "rule": "min_rural", "value": 1, "limit": 2},
        {"school_id": "s2", "district": "D01", "rule": "fixed", "value": "s0", "limit": "s1"},
        {"school_id": "s4", "district": "D02", "rule": "together", "value": "D02", "limit": "D01"},
        {"school_id": "s3", "district": "D01", "rule": "apart", "value": "D01", "limit": "apart from s2"},
        {"school_id": "s5", "district": "D02", "rule": "cores", "value": "member", "limit": "core"},
    ]
    json.dumps(found, allow_nan=False)  # what plan.json records
    assert {v["rule"] for v in found} <= set(RULE_LABELS)


def test_a_plan_that_mends_the_hand_instance_keeps_every_rule():
    problem, _ = hand_instance()
    relaxed = replace(problem.rules, locks=Locks(), min_rural=1, members=(1, 3), balance=0.8)
    problem = replace(problem, rules=relaxed, seconds=np.where(problem.seconds > 30 * MINUTE, 600.0, problem.seconds))
    core_of = [0, 1, 0, 0, 0, 1, 1]  # T1 (s0 s2 s4) together; 250 and 550 students around a mean of 400
    assert find_violations(problem, given_plan(problem, core_of)) == ()


def test_the_plans_own_cores_count():
    problem, core_of = hand_instance()
    problem = replace(problem, is_core=np.zeros(7, bool), rules=Rules(max_minutes=30, members=None, balance=None))
    assert [v.school_id for v in find_violations(problem, given_plan(problem, core_of))] == ["s6"]


def test_unassigned_school_within_reach_is_a_violation():
    problem, core_of = hand_instance()
    problem = replace(problem, rules=Rules(max_minutes=30, members=None, balance=None, allow_unassigned=True))
    core_of[3] = -1
    assert find_violations(problem, given_plan(problem, core_of)) == (
        Violation("s6", "D01", "travel_limit", 40.0, 30.0), Violation("s3", "", "unassigned", 10.0, 30.0))


CHECKED_RULES = {"base": Rules(max_minutes=12, members=(1, 3), balance=0.6), **RULES}


@pytest.mark.parametrize("name", list(CHECKED_RULES))
def test_checks_agree_with_the_independent_checker(name):
    """On random plans, a plan has no violation exactly when test_rules' brute-force checker accepts it."""
    rng = np.random.default_rng(7)
    verdicts = set()
    for seed in range(4):
        problem = instance(seed, rules=CHECKED_RULES[name])
        for _ in range(40):
            core_of = np.arange(len(problem.school_ids))
            core_of[problem.members] = rng.choice(problem.cores, len(problem.members))
            clean = not find_violations(problem, given_plan(problem, core_of))
            assert clean == keeps(problem, core_of), (seed, core_of)
            verdicts.add(clean)
    assert False in verdicts  # the rule bites on some plans (True need not occur for the strict rules)


@pytest.mark.parametrize("name", list(CHECKED_RULES))
def test_solver_plans_break_no_rule(name):
    solved = 0
    for seed in range(3):
        problem = instance(seed, rules=CHECKED_RULES[name])
        try:
            plan = solve(problem)
        except InfeasibleError:  # an instance without a plan has nothing to check
            continue
        assert find_violations(problem, plan) == ()
        solved += 1
    assert solved


def test_each_check_is_silent_when_its_rule_is_off():
    problem, core_of = hand_instance()
    problem = replace(problem, rules=Rules(max_minutes=None, members=None, balance=None))
    assert all(check(problem, np.asarray(core_of)) == [] for check in CHECKS)


def test_demo_plan_lists_no_violation(demo_out):
    record = json.loads((demo_out / "plan.json").read_text(encoding="utf-8"))
    assert record["violations"] == [] and record["status"] == "optimal" and record["edits"] == []
