"""The 学区 partition problem: schools, travel times, cores and the rules a plan must keep.

The rules themselves, their defaults and their checks are :mod:`partition.rules` (re-exported here).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .rules import DEFAULT_BALANCE, DEFAULT_MAX_MINUTES, DEFAULT_MEMBERS, LEVEL_CHOICES, Locks, Rules

__all__ = [
    "Rules",
    "Locks",
    "Problem",
    "DEFAULT_MAX_MINUTES",
    "DEFAULT_MEMBERS",
    "DEFAULT_BALANCE",
    "LEVEL_CHOICES",
    "SECONDS_PER_MINUTE",
    "LIMIT_TOL_MIN",
    "BALANCE_WEIGHT",
    "TIE_WEIGHT",
    "HORIZON_FACTOR",
    "time_horizon_s",
]

SECONDS_PER_MINUTE = 60.0
#: A travel time at most this many minutes over a limit counts as within it (floating-point rounding).
LIMIT_TOL_MIN = 1e-9
#: The objective's secondary term: student-minutes one student of imbalance costs (|学区 enrollment
#: − mean|, summed over 学区; see :mod:`partition.model`).
BALANCE_WEIGHT = 0.01
#: The objective's tie-break: each (school, core) pair weighs a fixed amount in ``[0, TIE_WEIGHT)``
#: student-minutes, from a hash of the two ids.
TIE_WEIGHT = 1e-3
#: A plan needs the travel times between a core and a school up to this multiple of the limit: a member
#: and its core within the limit, two cores that share a member (the heuristic's neighbourhoods) within
#: twice it (core -> member -> core).
HORIZON_FACTOR = 2.0
#: 城乡类型 values that count as town or rural for the mix rule (城乡联建).
RURAL_AREA_TYPES = ("town", "rural")


def time_horizon_s(rules: Rules) -> float:
    """Seconds up to which a plan under ``rules`` needs the travel times to and from the cores
    (:data:`HORIZON_FACTOR` times the limit; ``inf`` without a limit)."""
    return np.inf if rules.max_minutes is None else HORIZON_FACTOR * rules.max_minutes * SECONDS_PER_MINUTE


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
        ``seconds[i, j]``: road travel time from school i to school j. Only the rows and columns of
        the cores are read, and only up to ``horizon_s``: beyond it a time may be ``inf``.
    rules : Rules
    names : tuple of str, optional
        Display names, used in explanations.
    township : tuple of str, optional
        Each school's 乡镇/街道 (needed by ``keep_township``).
    rural : numpy.ndarray of bool, optional
        Town or rural schools (needed by ``min_rural``).
    indicator : numpy.ndarray, optional
        Each school's value of the ``indicator_band`` indicator (NaN: unknown).
    neighbours : tuple of tuple of int, optional
        Schools whose territories touch each school's (needed by ``contiguity``).
    horizon_s : float
        Times above this many seconds may be missing (``inf``) from ``seconds`` (``inf``: every time is
        there). At least the travel limit; :func:`time_horizon_s` keeps the heuristic's neighbourhoods whole.
    """

    school_ids: tuple[str, ...]
    enrollment: np.ndarray
    is_core: np.ndarray
    seconds: np.ndarray
    rules: Rules = field(default_factory=Rules)
    names: tuple[str, ...] | None = None
    township: tuple[str, ...] | None = None
    rural: np.ndarray | None = None
    indicator: np.ndarray | None = None
    neighbours: tuple[tuple[int, ...], ...] | None = None
    horizon_s: float = np.inf

    def __post_init__(self) -> None:
        limit_s = np.inf if self.rules.max_minutes is None else self.rules.max_minutes * SECONDS_PER_MINUTE
        if self.horizon_s < limit_s:
            raise ValueError(f"travel times known up to {self.horizon_s:g} s, short of the {limit_s:g} s limit")

    def broken_locks(self, core_of: np.ndarray) -> list[str]:
        """The locks a plan (each school's core position, -1 when left out) does not keep."""
        core = dict(zip(self.school_ids, np.asarray(core_of).tolist()))
        locks = self.rules.locks
        return ([f"fixed {s} -> {c}" for s, c in locks.fixed if core[s] != self.position(c)]
                + [f"together {a}, {b}" for a, b in locks.together if core[a] != core[b] or core[a] < 0]
                + [f"apart {a}, {b}" for a, b in locks.apart if core[a] == core[b] and core[a] >= 0])

    @classmethod
    def from_schools(
        cls, schools: pd.DataFrame, seconds: np.ndarray, rules: Rules, *,
        is_core: np.ndarray | None = None, neighbours: tuple[tuple[int, ...], ...] | None = None,
        horizon_s: float = np.inf,
    ) -> "Problem":
        """A problem over the rows of a canonical school table (cores from ``is_core`` or its flag)."""
        band = rules.indicator_band
        return cls(
            school_ids=tuple(schools["school_id"]),
            enrollment=schools["enrollment"].to_numpy(np.int64),
            is_core=np.asarray(schools["is_core"] if is_core is None else is_core, dtype=bool),
            seconds=seconds,
            rules=rules,
            names=tuple(schools["name"]),
            township=tuple(schools["township"].fillna("").astype(str)) if "township" in schools else None,
            rural=schools["area_type"].isin(RURAL_AREA_TYPES).to_numpy() if "area_type" in schools else None,
            indicator=schools[band[0]].to_numpy(float) if band else None,
            neighbours=neighbours,
            horizon_s=horizon_s,
        )

    def label(self, position: int) -> str:
        """A school as a person reads it: name and id."""
        school_id = self.school_ids[position]
        return f"{self.names[position]} ({school_id})" if self.names else school_id

    def position(self, school_id: str) -> int:
        """The position of a school id; :class:`KeyError` naming it when unknown."""
        try:
            return self._positions[school_id]
        except KeyError:
            raise KeyError(f"unknown school id '{school_id}'") from None

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.school_ids)}

    @property
    def cores(self) -> np.ndarray:
        """Positions of the core schools, ascending."""
        return np.flatnonzero(self.is_core)

    @property
    def members(self) -> np.ndarray:
        """Positions of the schools that must join a core, ascending."""
        return np.flatnonzero(~self.is_core)

    def pair_minutes(self) -> np.ndarray:
        """Minutes between every member (rows) and core (columns): the longer direction (``inf`` beyond
        the horizon)."""
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
        rows, cols = np.nonzero(np.isfinite(minutes) & (minutes <= limit + LIMIT_TOL_MIN))
        return rows, cols, minutes[rows, cols]

    def input_hash(self) -> str:
        """SHA-256 of the schools, enrollments, cores and travel times to and from the cores within
        the rules' horizon (not the other rules)."""
        cores = self.cores
        times = np.concatenate([self.seconds[cores], self.seconds[:, cores].T])
        times = np.round(np.where(times <= min(self.horizon_s, time_horizon_s(self.rules)), times, np.inf), 3)
        digest = hashlib.sha256()
        digest.update("\x1f".join(self.school_ids).encode())
        for array in (self.enrollment.astype(np.int64), self.is_core.astype(np.uint8), times):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()
