"""Whether a plan exists, and what would make one possible: the searches behind an infeasibility message.

:func:`has_plan` answers quickly (the heuristic first, then HiGHS on the rules alone);
:func:`smallest_feasible_limit` bisects the travel limit to :data:`LIMIT_STEP_MIN` minutes;
:func:`rules_to_relax` finds the smallest sets of optional rules without which a plan exists.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np

from .explain import explain_infeasible
from .heuristic import heuristic_plan
from .highs import solve_mip
from .model import build_model
from .problem import Locks, Problem

__all__ = ["has_plan", "smallest_feasible_limit", "rules_to_relax", "limit_hint", "RELAXABLE_RULES", "LIMIT_STEP_MIN"]

#: Resolution of the smallest feasible travel limit, in minutes.
LIMIT_STEP_MIN = 0.1
#: Problems with fewer (member, core) pairs try the heuristic before HiGHS.
HEURISTIC_MAX_VARS = 1000
#: Each optional rule, the option that sets it, and the value that switches it off.
RELAXABLE_RULES = (
    ("members", "--members", None), ("balance", "--balance", None), ("min_rural", "--min-rural", None),
    ("indicator_band", "--indicator-band", None), ("keep_township", "--keep-township", False),
    ("contiguity", "--contiguity", False), ("locks", "--rules", Locks()),
)
#: Seconds a probe may take unless told otherwise.
PROBE_TIME_LIMIT_S = 60.0
#: The culprit search tries sets of at most this many rules.
MAX_RULES_DROPPED = 2


def has_plan(problem: Problem, *, time_limit: float = PROBE_TIME_LIMIT_S) -> bool | None:
    """Whether any plan keeps the rules: True, False, or None when the time limit decided nothing."""
    if explain_infeasible(problem):
        return False
    model = build_model(problem, objective=False)
    if model.n_vars < HEURISTIC_MAX_VARS:
        found = heuristic_plan(problem, seed=0, widths=())
        if found is not None and model.keeps_rows(model.vector(problem, found.core_of)):
            return True
    result = solve_mip(model, time_limit=time_limit)
    if result.x is not None:
        return True
    return False if result.infeasible else None


def smallest_feasible_limit(problem: Problem, *, time_limit: float = PROBE_TIME_LIMIT_S) -> float | None:
    """The smallest travel limit, in steps of :data:`LIMIT_STEP_MIN` minutes, at which a plan exists.

    Every other rule stays as it is. Found by bisection over the pair times (feasibility only grows
    with the limit); None when no limit gives a plan. Each probe gets ``time_limit`` seconds, and an
    undecided probe counts as no plan, so the answer is never below the true smallest limit.
    """
    minutes = problem.pair_minutes()
    minutes = minutes[np.isfinite(minutes)]
    candidates = np.unique(np.ceil(np.round(minutes / LIMIT_STEP_MIN, 6)) * LIMIT_STEP_MIN).round(6)

    def feasible_at(limit: float) -> bool:
        probe = replace(problem, rules=replace(problem.rules, max_minutes=float(limit)))
        return has_plan(probe, time_limit=time_limit) is True

    if len(candidates) == 0 or not feasible_at(candidates[-1]):
        return None
    low, high = 0, len(candidates) - 1  # invariant: candidates[high] is feasible
    while low < high:
        middle = (low + high) // 2
        if feasible_at(candidates[middle]):
            high = middle
        else:
            low = middle + 1
    return float(candidates[high])


def rules_to_relax(problem: Problem, *, time_limit: float = PROBE_TIME_LIMIT_S) -> list[tuple[str, ...]]:
    """The smallest sets of optional rules (by their options) without which a plan exists.

    Sets of one rule are tried first, then pairs (up to :data:`MAX_RULES_DROPPED`), the other rules
    kept; a pair is not reported when one of its rules alone suffices. The time is shared out among
    the probes; an undecided probe counts as no plan.
    """
    active = [(name, option, off) for name, option, off in RELAXABLE_RULES if getattr(problem.rules, name) != off]
    sets = [combo for size in range(1, min(MAX_RULES_DROPPED, len(active)) + 1)
            for combo in itertools.combinations(active, size)]
    found: list[tuple[str, ...]] = []
    for combo in sets:
        options = tuple(option for _, option, _ in combo)
        if any(set(smaller) <= set(options) for smaller in found):
            continue
        relaxed = replace(problem, rules=replace(problem.rules, **{name: off for name, _, off in combo}))
        if has_plan(relaxed, time_limit=time_limit / len(sets)) is True:
            found.append(options)
    return found


def limit_hint(problem: Problem, *, time_limit: float = PROBE_TIME_LIMIT_S) -> tuple[list[str], float | None]:
    """The smallest feasible travel limit, as a sentence (none without a limit), and its value."""
    if problem.rules.max_minutes is None:
        return [], None
    limit = smallest_feasible_limit(problem, time_limit=time_limit)
    if limit is None:
        return ["no travel limit gives a plan under the other rules; relax them first"], None
    return [f"no plan within {problem.rules.max_minutes:g} min; the smallest feasible limit is {limit:.1f} min"], limit
