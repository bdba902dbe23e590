"""Why no plan exists: reasons a planner can act on, found before (or instead of) solving."""

from __future__ import annotations

import numpy as np

from gis.errors import InputError

from .model import enrollment_band, reachable_members
from .problem import LIMIT_TOL_MIN, SECONDS_PER_MINUTE, Problem

__all__ = ["InfeasibleError", "explain_infeasible", "INFEASIBLE"]

#: The status of rules under which no plan exists (where a table lists it beside plans' statuses).
INFEASIBLE = "infeasible"


class InfeasibleError(InputError):
    """No plan keeps the rules; ``reasons`` lists why, each with what would make a plan possible.

    ``smallest_limit`` is the smallest travel limit (minutes) at which a plan exists under the
    other rules, when the search for it found one.
    """

    def __init__(self, reasons: list[str], smallest_limit: float | None = None):
        self.reasons = list(reasons)
        self.smallest_limit = smallest_limit
        super().__init__("no plan keeps these rules:\n  " + "\n  ".join(self.reasons))

    def __reduce__(self):  # pickled across processes (Dask workers) with both attributes
        return type(self), (self.reasons, self.smallest_limit)


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
        *_split_townships(problem),
        *_contiguity_short_cores(problem),
        *_locks_beyond_limit(problem),
    ]


def _unreachable_members(problem: Problem) -> list[str]:
    if problem.rules.max_minutes is None or problem.rules.allow_unassigned:
        return []
    minutes = problem.pair_minutes()
    reasons = []
    for row in np.flatnonzero(~(minutes <= problem.rules.max_minutes + LIMIT_TOL_MIN).any(axis=1)):
        nearest = int(np.argmin(minutes[row]))
        nearest_text = (f"the nearest core is {problem.label(problem.cores[nearest])} at {minutes[row, nearest]:.1f} min"
                        if np.isfinite(minutes[row, nearest]) else f"every core is {_minutes_text(problem, np.inf)} away")
        reasons.append(f"{problem.label(problem.members[row])} reaches no core within {problem.rules.max_minutes:g} min; {nearest_text}")
    return reasons


def _minutes_text(problem: Problem, minutes: float) -> str:
    """A travel time as a person reads it, also beyond the problem's horizon (or with no road between)."""
    if np.isfinite(minutes):
        return f"{minutes:.1f} min"
    if np.isfinite(problem.horizon_s):
        return f"more than {problem.horizon_s / SECONDS_PER_MINUTE:g} min"
    return "out of road reach"


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
    n_members = len(reachable_members(problem)) if problem.rules.allow_unassigned else len(problem.members)
    n_cores = len(problem.cores)
    if n_members < low * n_cores:
        return [f"{n_members} member schools cannot give {n_cores} cores {low} members each; use fewer cores or a lower minimum"]
    if n_members > high * n_cores:
        return [f"{n_members} member schools exceed {n_cores} cores × {high} members; add cores or raise the maximum"]
    return []


def _oversized_cores(problem: Problem) -> list[str]:
    if problem.rules.balance is None:
        return []
    _, high = enrollment_band(problem)
    return [
        f"core {problem.label(core)} alone has {problem.enrollment[core]} students, above the balance ceiling "
        f"of {high:.0f}; widen --balance or split its 学区"
        for core in problem.cores
        if problem.enrollment[core] > high
    ]


def _split_townships(problem: Problem) -> list[str]:
    if not problem.rules.keep_township:
        return []
    cores_by_township: dict[str, list[int]] = {}
    for core in problem.cores:
        if problem.township[core]:
            cores_by_township.setdefault(problem.township[core], []).append(int(core))
    return [
        f"乡镇/街道 {township} holds {len(cores)} cores ({', '.join(problem.label(c) for c in cores)}) "
        "and cannot stay whole; drop --keep-township or keep one of them as core"
        for township, cores in sorted(cores_by_township.items())
        if len(cores) > 1
    ]


def _locks_beyond_limit(problem: Problem) -> list[str]:
    limit = problem.rules.max_minutes
    if limit is None:
        return []
    minutes = np.maximum(problem.seconds, problem.seconds.T) / SECONDS_PER_MINUTE
    reasons = []
    for school_id, core_id in problem.rules.locks.fixed:
        school, core = problem.position(school_id), problem.position(core_id)
        if minutes[school, core] > limit + LIMIT_TOL_MIN:
            reasons.append(
                f"{problem.label(school)} is fixed to {problem.label(core)}, {_minutes_text(problem, minutes[school, core])} away, "
                f"beyond the {limit:g} min limit; remove the lock or raise --max-minutes"
            )
    return reasons


def _contiguity_short_cores(problem: Problem) -> list[str]:
    """Cores that cannot grow to the minimum membership through touching territories."""
    if not problem.rules.contiguity or problem.rules.members is None:
        return []
    low = problem.rules.members[0]
    member_rows, core_cols, minutes = problem.feasible_pairs()
    pair_minutes = np.full((len(problem.school_ids), len(problem.cores)), np.inf)
    pair_minutes[problem.members[member_rows], core_cols] = minutes
    reasons = []
    for column, core in enumerate(problem.cores):
        grown = _grow_from_core(problem, int(core), pair_minutes[:, column])
        if len(grown) < low:
            reasons.append(
                f"core {problem.label(core)} can grow to only {len(grown)} member(s) through touching territories "
                f"but needs {low}; drop --contiguity, lower the minimum of --members, or drop it as a core"
            )
    return reasons


def _grow_from_core(problem: Problem, core: int, minutes_to_core: np.ndarray) -> set[int]:
    """Members reachable from ``core`` by steps to touching schools farther from it, within the limit."""
    frontier = [j for j in problem.neighbours[core] if np.isfinite(minutes_to_core[j])]
    grown = set(frontier)
    while frontier:
        j = frontier.pop()
        for i in problem.neighbours[j]:
            if i not in grown and np.isfinite(minutes_to_core[i]) and minutes_to_core[j] < minutes_to_core[i]:
                grown.add(i)
                frontier.append(i)
    return grown
