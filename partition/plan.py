"""The Plan: an immutable record of one partition and of how it was found."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import Problem, Rules

__all__ = ["Plan", "PLAN_SCHEMA_VERSION", "UNASSIGNED"]

#: Version of the plan.json / plan.csv layout; bump when a field changes meaning.
PLAN_SCHEMA_VERSION = 1
#: The ``core_of`` value of a school left out of the plan.
UNASSIGNED = -1


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
        ``optimal``, ``feasible`` (a time limit stopped the search; see ``gap``).
    objective : float
        Enrollment-weighted minutes to the core (student-minutes).
    bound : float
        The solver's proven lower bound on the objective.
    gap : float
        ``(objective - bound) / objective``, 0 when proven optimal.
    seed : int
    input_hash : str
    """

    core_of: tuple[int, ...]
    rules: Rules
    solver: str
    status: str
    objective: float
    bound: float
    gap: float
    seed: int
    input_hash: str

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
            "objective_student_minutes": round(self.objective, 6),
            "bound_student_minutes": round(self.bound, 6),
            "gap": round(self.gap, 9),
            "seed": self.seed,
            "input_hash": self.input_hash,
        }
