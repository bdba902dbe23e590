"""Which rules a plan breaks: one small check per rule, each listing the schools that break it.

Like GerryChain's constraints, every check is a plain function of the problem and a plan
(``check(problem, core_of) -> list[Violation]``), returns nothing when its rule is off, and can be
used alone or in :data:`CHECKS`. The checks read the rules as the solver's model does
(:mod:`partition.model`), so a plan the solver made never breaks one; a planner's plan is scored
with :func:`find_violations` and its broken rules are listed, not refused.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np

from .model import enrollment_band
from .plan import UNASSIGNED, Plan, district_keys
from .problem import LIMIT_TOL_MIN, SECONDS_PER_MINUTE, Problem

__all__ = [
    "Violation", "CHECKS", "RULE_LABELS", "find_violations", "travel_limit", "unassigned", "members_per_core",
    "enrollment_balance", "keep_township", "min_rural", "indicator_band", "contiguity", "locks",
]

#: Enrollment a 学区 may be outside its band by before it counts (the solver's own tolerance).
STUDENT_TOL = 1e-6
MINUTE_DECIMALS = 2
#: Each rule of a violation, as the report names it.
RULE_LABELS = {
    "travel_limit": "通勤时限 travel limit",
    "unassigned": "未分配 left out",
    "members": "成员校数 members per core",
    "balance": "规模均衡 enrollment balance",
    "keep_township": "乡镇完整 keep township",
    "min_rural": "城乡联建 min rural",
    "indicator_band": "资源均衡 indicator band",
    "contiguity": "连片 contiguity",
    "fixed": "锁定 fixed",
    "together": "同区 together",
    "apart": "分区 apart",
    "cores": "指定核心校 pinned core",
}


@dataclass(frozen=True)
class Violation:
    """One school (or one 学区, by its core) breaking one rule.

    Attributes
    ----------
    school_id : str
        The school that breaks the rule; for a rule of a whole 学区 (members, balance, mix,
        indicator band), its core.
    district : str
        The school's 学区 key (``D01``...), "" when it is left out.
    rule : str
        One of :data:`RULE_LABELS`.
    value, limit : float, int, str or None
        What the plan has and what the rule asks (minutes, members, students, a district key, a
        core id); ``value`` is None for a school that cannot reach its core at all.
    """

    school_id: str
    district: str
    rule: str
    value: float | int | str | None
    limit: float | int | str | None

    def to_dict(self) -> dict:
        """The violation as JSON-ready values (what plan.json lists)."""
        return asdict(self)


Check = Callable[[Problem, np.ndarray], list[Violation]]


def find_violations(problem: Problem, plan: Plan) -> tuple[Violation, ...]:
    """Every rule of ``plan.rules`` that ``plan`` breaks, rule by rule (:data:`CHECKS`), schools in order.

    The plan's own cores count, whatever ``problem.is_core`` says.
    """
    core_of = np.asarray(plan.core_of)
    problem = replace(problem, rules=plan.rules, is_core=core_of == np.arange(len(core_of)))
    return tuple(violation for check in CHECKS for violation in check(problem, core_of))


def _minutes(problem: Problem, school: int, core: int) -> float:
    """Minutes between a school and a core: the longer direction."""
    return max(problem.seconds[school, core], problem.seconds[core, school]) / SECONDS_PER_MINUTE


def _within(minutes: float, limit: float) -> bool:
    return math.isfinite(minutes) and minutes <= limit


def _value(minutes: float) -> float | None:
    return round(minutes, MINUTE_DECIMALS) if math.isfinite(minutes) else None


def _violation(problem: Problem, core_of: np.ndarray, school: int, rule: str, value, limit) -> Violation:
    key = district_keys(core_of).get(int(core_of[school]), "")
    return Violation(problem.school_ids[school], key, rule, value, limit)


def _assigned_members(problem: Problem, core_of: np.ndarray) -> np.ndarray:
    members = problem.members
    return members[core_of[members] != UNASSIGNED]


def _districts(problem: Problem, core_of: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Each core and the positions of its 学区's schools (the core included)."""
    return [(int(c), np.flatnonzero(core_of == c)) for c in problem.cores]


def travel_limit(problem: Problem, core_of: np.ndarray) -> list[Violation]:
    """Members farther from their core than the limit, the longer direction counting."""
    limit = problem.rules.max_minutes
    if limit is None:
        return []
    found = []
    for school in _assigned_members(problem, core_of):
        minutes = _minutes(problem, school, core_of[school])
        if not minutes <= limit + LIMIT_TOL_MIN:
            found.append(_violation(problem, core_of, school, "travel_limit", _value(minutes), limit))
    return found


def unassigned(problem: Problem, core_of: np.ndarray) -> list[Violation]:
    """Members left out of every 学区 although a core is within the limit (or left out at all,
    without ``allow_unassigned``)."""
    limit = problem.rules.max_minutes
    found = []
    for school in problem.members[core_of[problem.members] == UNASSIGNED]:
        nearest = min((_minutes(problem, school, c) for c in problem.cores), default=math.inf)
        reaches = limit is None or nearest <= limit + LIMIT_TOL_MIN
        if reaches or not problem.rules.allow_unassigned:
            found.append(_violation(problem, core_of, school, "unassigned", _value(nearest), limit))
    return found


def members_per_core(problem: Problem, core_of: np.ndarray) -> list[Violation]:
    """学区 with fewer or more members than the rule allows (the core not counted)."""
    if problem.rules.members is None:
        return []
    low, high = problem.rules.members
    found = []
    for core, schools in _districts(problem, core_of):
        n = len(schools) - 1
        if not low <= n <= high:
            found.append(_violation(problem, core_of, core, "members", n, low if n < low else high))
    return found


def enrollment_balance(problem: Problem, core_of: np.ndarray) -> list[Violation]:
    """学区 whose enrollment (core included) is outside the band around the mean."""
    if problem.rules.balance is None:
        return []
    low, high = enrollment_band(problem)
    found = []
    for core, schools in _districts(problem, core_of):
        students = int(problem.enrollment[schools].sum())
        if students < low - STUDENT_TOL or students > high + STUDENT_TOL:
            found.append(_violation(problem, core_of, core, "balance", students, round(low if students < low else high, 1)))
    return found


def keep_township(problem: Problem, core_of: np.ndarray) -> list[Violation]:
    """Schools of a split 乡镇/街道 outside its main 学区 (its core's, else the one holding most of it).

    ``value`` is the number of 学区 the 乡镇 is split over.
    """
    if not problem.rules.keep_township:
        return []
    groups: dict[str, list[int]] = {}
    for position, township in enumerate(problem.township):
        if township:
            groups.setdefault(township, []).append(position)
    found = []
    for _, schools in sorted(groups.items()):
        owners = Counter(int(core_of[s]) for s in schools)
        if len(owners) < 2:
            continue
        cores = [s for s in schools if problem.is_core[s]]
        main = core_of[cores[0]] if cores else max(owners, key=lambda c: (owners[c], -c))
        found += [_violation(problem, core_of, s, "keep_township", len(owners), 1) for s in schools if core_of[s] != main]
    return sorted(found, key=lambda v: problem.position(v.school_id))


def min_rural(problem: Problem, core_of: np.ndarray) -> list[Violation]:
    """学区 with fewer town/rural schools than ``min_rural``, or than all it can reach when fewer."""
    need = problem.rules.min_rural
    if not need:
        return []
    limit = math.inf if problem.rules.max_minutes is None else problem.rules.max_minutes + LIMIT_TOL_MIN
    rural_members = problem.members[problem.rural[problem.members]]
    found = []
    for core, schools in _districts(problem, core_of):
        reachable = sum(_within(_minutes(problem, m, core), limit) for m in rural_members) + int(problem.rural[core])
        required = min(need, reachable)
        have = int(problem.rural[schools].sum())
        if have < required:
            found.append(_violation(problem, core_of, core, "min_rural", have, required))
    return found


def indicator_band(problem: Problem, core_of: np.ndarray) -> list[Violation]:
    """学区 whose enrollment-weighted indicator mean is outside ``(1 ± x)`` of the county's
    (an unknown value counts as the county's mean)."""
    band = problem.rules.indicator_band
    if band is None:
        return []
    values, weights = problem.indicator.astype(float), problem.enrollment.astype(float)
    known = ~np.isnan(values)
    county = np.average(values[known], weights=weights[known])
    values = np.where(known, values, county)
    low, high = (1 - band[1]) * county, (1 + band[1]) * county
    found = []
    for core, schools in _districts(problem, core_of):
        students = weights[schools].sum()
        mean = values[schools] @ weights[schools] / students if students else county
        if mean < low - STUDENT_TOL or mean > high + STUDENT_TOL:
            found.append(_violation(problem, core_of, core, "indicator_band", round(float(mean), 4),
                                    round(float(low if mean < low else high), 4)))
    return found


def contiguity(problem: Problem, core_of: np.ndarray) -> list[Violation]:
    """Members joined to a core neither next to them nor through a touching member nearer to it."""
    if not problem.rules.contiguity:
        return []
    found = []
    for school in _assigned_members(problem, core_of):
        core = core_of[school]
        neighbours = problem.neighbours[school]
        own = _minutes(problem, school, core)
        linked = core in neighbours or any(
            core_of[j] == core and not problem.is_core[j] and _minutes(problem, j, core) < own for j in neighbours
        )
        if not linked:
            found.append(_violation(problem, core_of, school, "contiguity", "detached", "joined through a touching member"))
    return found


def locks(problem: Problem, core_of: np.ndarray) -> list[Violation]:
    """The planner's locks the plan breaks: fixed school -> core, together, apart, pinned cores."""
    rules, keys, at = problem.rules.locks, district_keys(core_of), problem.position
    ids = problem.school_ids

    def key(school: int) -> str:
        return keys.get(int(core_of[school]), "")

    def core_id(school: int) -> str:
        return "" if core_of[school] == UNASSIGNED else ids[core_of[school]]

    found = [_violation(problem, core_of, at(s), "fixed", core_id(at(s)), c) for s, c in rules.fixed if core_of[at(s)] != at(c)]
    found += [_violation(problem, core_of, at(b), "together", key(at(b)), key(at(a)))
              for a, b in rules.together if core_of[at(a)] != core_of[at(b)]]
    found += [_violation(problem, core_of, at(b), "apart", key(at(b)), f"apart from {a}")
              for a, b in rules.apart if core_of[at(a)] == core_of[at(b)] != UNASSIGNED]
    found += [_violation(problem, core_of, at(c), "cores", "member", "core") for c in rules.cores if core_of[at(c)] != at(c)]
    return found


#: Every check, in the order violations are listed.
CHECKS: tuple[Check, ...] = (
    travel_limit, unassigned, members_per_core, enrollment_balance, keep_township, min_rural, indicator_band, contiguity, locks,
)
