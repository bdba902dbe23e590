"""Why no plan exists: reasons a planner can act on, found before (or instead of) solving."""

from __future__ import annotations

import numpy as np

from gis.errors import InputError

from .problem import Problem

__all__ = ["InfeasibleError", "explain_infeasible"]


class InfeasibleError(InputError):
    """No plan keeps the rules; ``reasons`` lists why, each with what would make a plan possible."""

    def __init__(self, reasons: list[str]):
        self.reasons = list(reasons)
        super().__init__("no plan keeps these rules:\n  " + "\n  ".join(self.reasons))


def explain_infeasible(problem: Problem) -> list[str]:
    """Reasons found by inspection why ``problem`` has no plan; empty when none is found.

    An empty list does not prove a plan exists: the rules may still clash together.
    """
    if len(problem.cores) == 0:
        return ["there are no core schools; mark quality schools (是否优质=是) or let the tool choose cores"]
    return [
        *_unreachable_members(problem),
        *_short_cores(problem),
        *_member_count_mismatch(problem),
        *_oversized_cores(problem),
    ]


def _unreachable_members(problem: Problem) -> list[str]:
    if problem.rules.max_minutes is None:
        return []
    minutes = problem.pair_minutes()
    reasons = []
    for row in np.flatnonzero(~(minutes <= problem.rules.max_minutes + 1e-9).any(axis=1)):
        nearest = int(np.argmin(minutes[row]))
        reasons.append(
            f"{problem.label(problem.members[row])} reaches no core within {problem.rules.max_minutes:g} min; "
            f"the nearest core is {problem.label(problem.cores[nearest])} at {minutes[row, nearest]:.1f} min"
        )
    return reasons


def _short_cores(problem: Problem) -> list[str]:
    if problem.rules.members is None:
        return []
    low = problem.rules.members[0]
    _, cols, _ = problem.feasible_pairs()
    candidates = np.bincount(cols, minlength=len(problem.cores))
    return [
        f"core {problem.label(core)} has only {count} school(s) within the limit but needs {low} members; "
        "raise --max-minutes, lower the minimum of --members, or drop it as a core"
        for core, count in zip(problem.cores, candidates)
        if count < low
    ]


def _member_count_mismatch(problem: Problem) -> list[str]:
    if problem.rules.members is None:
        return []
    low, high = problem.rules.members
    n_members, n_cores = len(problem.members), len(problem.cores)
    if n_members < low * n_cores:
        return [f"{n_members} member schools cannot give {n_cores} cores {low} members each; use fewer cores or a lower minimum"]
    if n_members > high * n_cores:
        return [f"{n_members} member schools exceed {n_cores} cores × {high} members; add cores or raise the maximum"]
    return []


def _oversized_cores(problem: Problem) -> list[str]:
    if problem.rules.balance is None:
        return []
    high = (1 + problem.rules.balance) * problem.enrollment.sum() / len(problem.cores)
    return [
        f"core {problem.label(core)} alone has {problem.enrollment[core]} students, above the balance ceiling "
        f"of {high:.0f}; widen --balance or split its 学区"
        for core in problem.cores
        if problem.enrollment[core] > high
    ]
