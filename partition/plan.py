"""The Plan: an immutable record of one partition and of how it was found."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

import numpy as np

from .problem import BALANCE_WEIGHT, TIE_WEIGHT, Problem, Rules

__all__ = [
    "Plan", "PLAN_SCHEMA_VERSION", "UNASSIGNED", "GIVEN", "STUDENT_MINUTES", "STUDENT_MINUTES_LABEL", "PLAN_DEFINITIONS",
    "district_keys", "tool_version",
]

#: Version of the plan.json / plan.csv layout; bump when a field changes meaning.
#: 3: the total is ``student_minutes_longer_trip``; ``definitions``, ``edits`` and ``violations`` added;
#: ``bound`` and ``gap`` are null for a given plan.
PLAN_SCHEMA_VERSION = 3
#: The ``core_of`` value of a school left out of the plan.
UNASSIGNED = -1
#: ``Plan.status`` (and ``solver``) of a plan that was given, not solved: it is scored as it is.
GIVEN = "given"
#: The package whose version plan.json records.
PACKAGE = "xuequ"
#: What the plan minimises first, in plan.json, and the words every output calls it by (the report,
#: the README, the console): each member's enrollment times the longer of its two trips, because the
#: travel limit binds both ways (teachers go to the core and come back).
STUDENT_MINUTES = "student_minutes_longer_trip"
STUDENT_MINUTES_LABEL = "student-minutes (longer trip)"
#: What the figures of plan.json are, recorded in it.
PLAN_DEFINITIONS = {
    STUDENT_MINUTES: f"{STUDENT_MINUTES_LABEL}: the sum over member schools of enrollment × minutes_counted (plan.csv), "
    "the longer of the school's two road trips, to its core and back (minutes_to_core, minutes_from_core); cores count 0",
    "imbalance_students": "the sum over 学区 of |学区 enrollment (core included) − the mean 学区 enrollment|, in students",
    "objective": f"{STUDENT_MINUTES} + objective_weights.imbalance_students × imbalance_students + a tie-break below "
    "objective_weights.tie_break_max per member school (a fixed weight of each school-core pair)",
    "bound": "the solver's proven lower bound on the objective (null for a given plan)",
    "gap": "(objective − bound) / objective; 0 when the plan is proven optimal (null for a given plan)",
    "input_hash": "SHA-256 of the schools, enrollments, cores and school-to-school travel times the solver saw",
}
_UNKNOWN_VERSION = "unknown"


def tool_version() -> str:
    """The installed version of the tool (``unknown`` when run from an uninstalled checkout)."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return _UNKNOWN_VERSION


def district_keys(core_of) -> dict[int, str]:
    """The key of each 学区 by its core's position: ``D01``, ``D02``, ... in the order of the positions."""
    core_of = np.asarray(core_of)
    cores = np.flatnonzero(core_of == np.arange(len(core_of)))
    return {int(c): f"D{k + 1:02d}" for k, c in enumerate(cores)}


@dataclass(frozen=True)
class Plan:
    """One partition of the schools of a :class:`Problem` into 学区.

    Attributes
    ----------
    core_of : tuple of int
        For every school (in problem order) the position of its core; a core points to
        itself, an unassigned school holds :data:`UNASSIGNED`.
    rules : Rules
    solver : str
    status : str
        ``optimal``, ``feasible`` (a time limit stopped the search; see ``gap``), or ``given``
        (a planner's plan, scored as it is: :func:`partition.score_plan`).
    objective : float
        The objective (:func:`partition.model.objective_value`): student-minutes plus the small
        imbalance and tie-break terms.
    bound : float or None
        The solver's proven lower bound on the objective (None for a given plan).
    gap : float or None
        ``(objective - bound) / objective``, 0 when proven optimal (None for a given plan).
    seed : int
    input_hash : str
    student_minutes : float
        :data:`STUDENT_MINUTES_LABEL`: Σ over members of enrollment × the longer of the trips to
        and from the core, in minutes.
    imbalance : float
        Σ over 学区 of |its enrollment − the mean|, in students.
    district_names : tuple of str
        The planner's name of each 学区, in the order of the cores' positions; empty: each 学区
        is named after its core school.
    edits : tuple of str
        The what-if edits made to a given plan, in order (``core-swap OLD=NEW``, ``close S -> T``).
    """

    core_of: tuple[int, ...]
    rules: Rules
    solver: str
    status: str
    objective: float
    bound: float | None
    gap: float | None
    seed: int
    input_hash: str
    student_minutes: float = 0.0
    imbalance: float = 0.0
    district_names: tuple[str, ...] = ()
    edits: tuple[str, ...] = ()

    @classmethod
    def from_assignment(cls, problem: Problem, core_of: np.ndarray, **result) -> "Plan":
        """Build a plan for ``problem`` from a core-position array and the solver's result."""
        return cls(core_of=tuple(int(c) for c in core_of), rules=problem.rules, input_hash=problem.input_hash(), **result)

    def summary(self) -> dict:
        """The plan's metadata as JSON-ready values (what plan.json records)."""
        return {
            "schema_version": PLAN_SCHEMA_VERSION,
            "rules": self.rules.to_dict(),
            "solver": self.solver,
            "status": self.status,
            "objective": _rounded(self.objective, 6),
            "bound": _rounded(self.bound, 6),
            STUDENT_MINUTES: _rounded(self.student_minutes, 6),
            "imbalance_students": round(self.imbalance, 6),
            "objective_weights": {STUDENT_MINUTES: 1.0, "imbalance_students": BALANCE_WEIGHT, "tie_break_max": TIE_WEIGHT},
            "gap": _rounded(self.gap, 9),
            "seed": self.seed,
            "input_hash": self.input_hash,
            "tool_version": tool_version(),
            "definitions": PLAN_DEFINITIONS,
            "edits": list(self.edits),
        }


def _rounded(value: float | None, digits: int) -> float | None:
    """JSON has no infinity: a given plan with a school that cannot reach its core costs None."""
    return None if value is None or not np.isfinite(value) else round(value, digits)
