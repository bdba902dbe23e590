"""The 学区 partition problem: schools, travel times, cores and the rules a plan must keep.

Defaults come from ../shared/DOMAIN.md: 2-6 members per core (Zhucheng's 城乡学校互助共同体),
a 30-minute travel limit (a weekly teacher commute; the seeds give no number, so it is a
documented choice), and each 学区's enrollment within +/-25% of the mean.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["Rules", "Problem", "DEFAULT_MAX_MINUTES", "DEFAULT_MEMBERS", "DEFAULT_BALANCE"]

#: Longest travel time between a member school and its core, in minutes (both directions).
DEFAULT_MAX_MINUTES = 30.0
#: Members per core, the core not counted: 以城区学校为核心,分别联建2-6处 (seeds 000, line 22).
DEFAULT_MEMBERS = (2, 6)
#: Allowed deviation of a 学区's total enrollment from the mean over 学区.
DEFAULT_BALANCE = 0.25
SECONDS_PER_MINUTE = 60.0


@dataclass(frozen=True)
class Rules:
    """The rules a plan must keep; ``None`` switches a rule off.

    Attributes
    ----------
    max_minutes : float or None
        Travel limit: the longer of member->core and core->member must not exceed it.
    members : tuple of int or None
        ``(min, max)`` member schools per core, the core not counted.
    balance : float or None
        Each 学区's enrollment (core included) within ``(1 ± balance) ×`` the mean.
    """

    max_minutes: float | None = DEFAULT_MAX_MINUTES
    members: tuple[int, int] | None = DEFAULT_MEMBERS
    balance: float | None = DEFAULT_BALANCE

    def to_dict(self) -> dict:
        """The rules as plain JSON-ready values."""
        rules = asdict(self)
        rules["members"] = list(self.members) if self.members else None
        return rules


@dataclass(frozen=True, eq=False)
class Problem:
    """A partition problem over ``n`` schools.

    Attributes
    ----------
    school_ids : tuple of str
        The schools, in a fixed order (rows and columns of ``seconds``).
    enrollment : numpy.ndarray
        Students per school.
    is_core : numpy.ndarray of bool
        The core schools; every other school joins exactly one core.
    seconds : numpy.ndarray
        ``seconds[i, j]``: road travel time from school i to school j.
    rules : Rules
    names : tuple of str, optional
        Display names, used in explanations.
    """

    school_ids: tuple[str, ...]
    enrollment: np.ndarray
    is_core: np.ndarray
    seconds: np.ndarray
    rules: Rules = field(default_factory=Rules)
    names: tuple[str, ...] | None = None

    def label(self, position: int) -> str:
        """A school as a person reads it: name and id."""
        school_id = self.school_ids[position]
        return f"{self.names[position]} ({school_id})" if self.names else school_id

    @property
    def cores(self) -> np.ndarray:
        """Positions of the core schools, ascending."""
        return np.flatnonzero(self.is_core)

    @property
    def members(self) -> np.ndarray:
        """Positions of the schools that must join a core, ascending."""
        return np.flatnonzero(~self.is_core)

    def pair_minutes(self) -> np.ndarray:
        """Minutes between every member (rows) and core (columns): the longer direction."""
        m, c = self.members, self.cores
        both = np.maximum(self.seconds[np.ix_(m, c)], self.seconds[np.ix_(c, m)].T)
        return both / SECONDS_PER_MINUTE

    def feasible_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(member row, core column, minutes) of every pair within the travel limit.

        Rows and columns index :attr:`members` and :attr:`cores`. A pair beyond the limit is
        never a candidate, so the model only holds pairs a plan may use.
        """
        minutes = self.pair_minutes()
        limit = np.inf if self.rules.max_minutes is None else self.rules.max_minutes
        rows, cols = np.nonzero(np.isfinite(minutes) & (minutes <= limit + 1e-9))
        return rows, cols, minutes[rows, cols]

    def input_hash(self) -> str:
        """SHA-256 of the schools, enrollments, cores and travel times (not the rules)."""
        digest = hashlib.sha256()
        digest.update("\x1f".join(self.school_ids).encode())
        for array in (self.enrollment.astype(np.int64), self.is_core.astype(np.uint8), np.round(self.seconds, 3)):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()
