"""The Plan: an immutable record of one partition and of how it was found."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .problem import BALANCE_WEIGHT, TIE_WEIGHT, Problem, Rules

__all__ = ["Plan", "PLAN_SCHEMA_VERSION", "PLAN_STATUSES", "UNASSIGNED"]

#: Version of the plan.json / plan.csv layout; bump when a field changes meaning.
PLAN_SCHEMA_VERSION = 2
#: The ``core_of`` value of a school left out of the plan.
UNASSIGNED = -1
#: A plan's ``status``: proven optimal, or found with a proven gap (a time limit stopped the search).
PLAN_STATUSES = ("optimal", "feasible")


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
        The objective (:func:`partition.model.objective_value`): student-minutes plus the small
        imbalance and tie-break terms.
    bound : float
        The solver's proven lower bound on the objective.
    gap : float
        ``(objective - bound) / objective``, 0 when proven optimal.
    seed : int
    input_hash : str
    student_minutes : float
        Enrollment-weighted minutes to the core.
    imbalance : float
        Σ over 学区 of |its enrollment − the mean|, in students.
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
    student_minutes: float = 0.0
    imbalance: float = 0.0

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
            "objective": round(self.objective, 6),
            "bound": round(self.bound, 6),
            "student_minutes": round(self.student_minutes, 6),
            "imbalance_students": round(self.imbalance, 6),
            "objective_weights": {"student_minutes": 1.0, "imbalance_students": BALANCE_WEIGHT, "tie_break_max": TIE_WEIGHT},
            "gap": round(self.gap, 9),
            "seed": self.seed,
            "input_hash": self.input_hash,
        }
