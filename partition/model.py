"""The MILP formulation of a :class:`~partition.problem.Problem`, independent of any solver.

One binary variable per (member, core) pair within the travel limit, so a pair beyond the limit is
never a variable. Rows, each a block named after its rule:

- ``assign``: each member joins exactly one core;
- ``members``: each core gathers between ``min`` and ``max`` members;
- ``balance``: each 学区's enrollment, core included, lies within ``(1 ± balance)`` of the mean.

Objective: student-minutes, the sum over members of enrollment × minutes to the core.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csc_matrix, vstack

from .problem import Problem

__all__ = ["Model", "build_model", "enrollment_band"]


@dataclass(frozen=True, eq=False)
class Model:
    """A MILP ``min cost·x  s.t.  row_lower <= A x <= row_upper,  x binary``.

    Attributes
    ----------
    member, core : numpy.ndarray
        For each variable, its member row and core column (positions in ``problem.members`` and
        ``problem.cores``).
    cost : numpy.ndarray
        Objective coefficient of each variable.
    matrix : scipy.sparse.csc_matrix
        The constraint matrix ``A``, rows grouped in blocks.
    row_lower, row_upper : numpy.ndarray
    blocks : tuple of (str, int)
        Each block's rule name and number of rows, in order.
    """

    member: np.ndarray
    core: np.ndarray
    cost: np.ndarray
    matrix: csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    blocks: tuple[tuple[str, int], ...]

    @property
    def n_vars(self) -> int:
        """Number of (member, core) variables."""
        return len(self.member)


def enrollment_band(problem: Problem) -> tuple[float, float]:
    """The (low, high) total enrollment every 学区 must fall within under the balance rule."""
    mean = problem.enrollment.sum() / len(problem.cores)
    return (1 - problem.rules.balance) * mean, (1 + problem.rules.balance) * mean


def build_model(problem: Problem, *, objective: bool = True) -> Model:
    """The MILP of ``problem``; with ``objective=False`` every cost is 0 (feasibility only)."""
    member, core, minutes = problem.feasible_pairs()
    students = problem.enrollment[problem.members].astype(float)[member]
    blocks = [_assign_rows(problem, member)]
    if problem.rules.members is not None:
        blocks.append(_member_count_rows(problem, core))
    if problem.rules.balance is not None:
        blocks.append(_balance_rows(problem, core, students))
    matrix = vstack([b[1] for b in blocks], format="csc")
    matrix.sort_indices()
    return Model(
        member=member,
        core=core,
        cost=students * minutes if objective else np.zeros(len(member)),
        matrix=matrix,
        row_lower=np.concatenate([b[2] for b in blocks]),
        row_upper=np.concatenate([b[3] for b in blocks]),
        blocks=tuple((b[0], b[1].shape[0]) for b in blocks),
    )


def _rows(row_of_var: np.ndarray, values: np.ndarray, n_rows: int) -> csc_matrix:
    n_vars = len(row_of_var)
    return csc_matrix((values, (row_of_var, np.arange(n_vars))), shape=(n_rows, n_vars))


def _assign_rows(problem: Problem, member: np.ndarray):
    n = len(problem.members)
    return "assign", _rows(member, np.ones(len(member)), n), np.ones(n), np.ones(n)


def _member_count_rows(problem: Problem, core: np.ndarray):
    low, high = problem.rules.members
    k = len(problem.cores)
    return "members", _rows(core, np.ones(len(core)), k), np.full(k, float(low)), np.full(k, float(high))


def _balance_rows(problem: Problem, core: np.ndarray, students: np.ndarray):
    low, high = enrollment_band(problem)
    core_students = problem.enrollment[problem.cores].astype(float)
    k = len(problem.cores)
    return "balance", _rows(core, students, k), low - core_students, high - core_students
