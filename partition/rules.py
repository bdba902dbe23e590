"""The rules a 学区 plan must keep, checked once when they are made.

Defaults: 2-6 members per core (诸城市教育局 on its 城乡学校互助共同体: 以城区学校为核心,分别联建2-6处
镇街初中、小学; in 《深化城乡学校联建 推进教育均衡发展》), a 30-minute travel limit (a weekly teacher
commute; the policy documents give no number, so it is a documented choice), and each 学区's
enrollment within ±25% of the mean.

Besides the rules proper, :class:`Rules` holds the planner's other choices that shape the published
plan: which schools are cores, which level, the locks, and how the 学区 are named (:class:`Naming`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from numbers import Integral, Real

from gis.schema import INDICATORS

__all__ = [
    "Rules",
    "Locks",
    "Naming",
    "RuleError",
    "DEFAULT_MAX_MINUTES",
    "DEFAULT_MEMBERS",
    "DEFAULT_BALANCE",
    "LEVEL_CHOICES",
    "OBJECTIVE_CHOICES",
    "GIVEN_CORES",
    "NAME_SCHEMES",
]

#: Longest travel time between a member school and its core, in minutes (both directions).
DEFAULT_MAX_MINUTES = 30.0
#: Members per core, the core not counted (诸城市 城乡学校互助共同体: 联建2-6处).
DEFAULT_MEMBERS = (2, 6)
#: Allowed deviation of a 学区's total enrollment from the mean over 学区.
DEFAULT_BALANCE = 0.25
#: Which schools a plan covers: all levels together, or the primary or junior plan alone.
LEVEL_CHOICES = ("all", "primary", "junior")
#: ``sum``: least student-minutes (longer trip); ``max``: least longest trip first, then least student-minutes.
OBJECTIVE_CHOICES = ("sum", "max")
#: ``Rules.cores`` value for "the cores are the schools the table flags as 优质".
GIVEN_CORES = "given"
#: How 学区 may be named: after the core school, by direction from the county seat, by number.
NAME_SCHEMES = ("core", "direction", "number")


class RuleError(ValueError):
    """A rule with a value it cannot take; ``field`` names the rule (a :class:`Rules` attribute)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field} {message}")
        self.field = field
        self.detail = message


@dataclass(frozen=True)
class Locks:
    """A planner's fixed decisions, by school id.

    Attributes
    ----------
    fixed : tuple of (school, core)
        The school must join this core.
    together : tuple of (school, school)
        The two schools must be in the same 学区.
    apart : tuple of (school, school)
        The two schools must be in different 学区.
    cores : tuple of str
        Schools that must be cores (kept when the tool chooses the others, ``Rules.cores = K``).
    """

    fixed: tuple[tuple[str, str], ...] = ()
    together: tuple[tuple[str, str], ...] = ()
    apart: tuple[tuple[str, str], ...] = ()
    cores: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fixed or self.together or self.apart or self.cores)

    def school_ids(self) -> set[str]:
        """Every school id the locks name."""
        return {i for pairs in (self.fixed, self.together, self.apart) for pair in pairs for i in pair} | set(self.cores)


@dataclass(frozen=True)
class Naming:
    """How the 学区 of a plan are named in every output.

    Attributes
    ----------
    scheme : str
        One of :data:`NAME_SCHEMES`.
    seat : tuple of (float, float) or None
        ``(lon, lat)`` of the county seat for ``direction``; by default the centroid of the
        urban (城区) schools.
    names : tuple of (str, str)
        ``(core school id, name)``: the planner's names, which replace the scheme's.

    The names themselves are made by :func:`partition.naming.district_names`.
    """

    scheme: str = "core"
    seat: tuple[float, float] | None = None
    names: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.scheme not in NAME_SCHEMES:
            raise RuleError("naming", f"scheme must be one of {', '.join(NAME_SCHEMES)}, got {self.scheme!r}")
        if self.seat is not None:
            ok = isinstance(self.seat, tuple) and len(self.seat) == 2 and all(_is_finite_number(v) for v in self.seat)
            if not (ok and -180 <= self.seat[0] <= 180 and -90 <= self.seat[1] <= 90):
                raise RuleError("naming", f"seat must be (LON, LAT) in degrees, got {self.seat!r}")
            object.__setattr__(self, "seat", (float(self.seat[0]), float(self.seat[1])))
        cores, given = [core for core, _ in self.names], [name for _, name in self.names]
        if any(not (isinstance(name, str) and name.strip()) for name in given) or len(set(given)) < len(given) or len(set(cores)) < len(cores):
            raise RuleError("naming", f"names must be one distinct, non-blank name per core, got {dict(self.names)!r}")

    def to_dict(self) -> dict:
        """JSON-ready values (as plan.json records them)."""
        return {"scheme": self.scheme, "seat": list(self.seat) if self.seat else None, "names": dict(self.names)}

    @classmethod
    def from_dict(cls, record: dict) -> "Naming":
        """The naming :meth:`to_dict` wrote."""
        seat = record.get("seat")
        return cls(scheme=record.get("scheme", "core"), seat=tuple(seat) if seat else None,
                   names=tuple((str(k), str(v)) for k, v in (record.get("names") or {}).items()))



@dataclass(frozen=True)
class Rules:
    """The rules a plan must keep; ``None`` (or ``False``) switches a rule off.

    Every value is checked when the rules are made: a bad one raises :class:`RuleError`
    (a ``ValueError``) naming the field and what it may be.

    Attributes
    ----------
    max_minutes : float or None
        Travel limit: the longer of member->core and core->member must not exceed it.
    members : tuple of int or None
        ``(min, max)`` member schools per core, the core not counted.
    balance : float or None
        Each 学区's enrollment (core included) within ``(1 ± balance) ×`` the mean.
    allow_unassigned : bool
        Leave out the schools that reach no core within the limit (they are listed) instead
        of failing; every other school is assigned, and the balance mean is over those.
    min_rural : int or None
        Mix (城乡联建): each 学区 holds at least this many town or rural schools, core included,
        or as many as it can reach when fewer.
    indicator_band : tuple of (str, float) or None
        ``(indicator, x)``: each 学区's enrollment-weighted mean of the indicator within
        ``(1 ± x) ×`` the county's.
    keep_township : bool
        All schools of a 乡镇/街道 in one 学区.
    contiguity : bool
        A member joins core c only if a neighbouring school nearer to c joins c too (or c is
        its neighbour): 学区 grow outward from their core along touching territories.
    locks : Locks
        Fixed assignments, keep-together and keep-apart pairs, pinned cores.
    level : str
        Which schools the plan covers (one of :data:`LEVEL_CHOICES`).
    objective : str
        ``"sum"``: least student-minutes (longer trip). ``"max"``: least longest trip first (the smallest
        feasible travel limit), then least student-minutes under it.
    cores : str or int
        ``"given"``: the schools the table flags as cores (是否优质); an int K: K cores chosen by a
        composite quality index and coverage under the limit.
    naming : Naming
        How the 学区 are named in every output (not a constraint: it never changes the plan).
    """

    max_minutes: float | None = DEFAULT_MAX_MINUTES
    members: tuple[int, int] | None = DEFAULT_MEMBERS
    balance: float | None = DEFAULT_BALANCE
    allow_unassigned: bool = False
    min_rural: int | None = None
    indicator_band: tuple[str, float] | None = None
    keep_township: bool = False
    contiguity: bool = False
    locks: Locks = field(default_factory=Locks)
    level: str = "all"
    objective: str = "sum"
    cores: str | int = GIVEN_CORES
    naming: Naming = field(default_factory=Naming)

    def __post_init__(self) -> None:
        _check_positive("max_minutes", self.max_minutes, "a number of minutes")
        _check_positive("balance", self.balance, "a share of the mean enrollment, e.g. 0.25")
        for name in ("max_minutes", "balance"):  # 30 and 30.0 are the same rule, recorded alike
            if getattr(self, name) is not None:
                object.__setattr__(self, name, float(getattr(self, name)))
        _check_members(self.members)
        if self.min_rural is not None and not (_is_int(self.min_rural) and self.min_rural >= 0):
            raise RuleError("min_rural", f"must be a whole number >= 0, got {self.min_rural!r}")
        _check_band(self.indicator_band)
        _check_choice("level", self.level, LEVEL_CHOICES)
        _check_choice("objective", self.objective, OBJECTIVE_CHOICES)
        if self.cores != GIVEN_CORES and not (_is_int(self.cores) and self.cores > 0):
            raise RuleError("cores", f"must be '{GIVEN_CORES}' or a positive number of cores, got {self.cores!r}")
        if not isinstance(self.locks, Locks):
            raise RuleError("locks", f"must be a Locks, got {type(self.locks).__name__}")
        if not isinstance(self.naming, Naming):
            raise RuleError("naming", f"must be a Naming, got {type(self.naming).__name__}")

    def to_dict(self) -> dict:
        """The rules as plain JSON-ready values."""
        rules = asdict(self)
        rules["members"] = list(self.members) if self.members else None
        rules["indicator_band"] = list(self.indicator_band) if self.indicator_band else None
        rules["locks"] = {kind: [list(pair) for pair in pairs] for kind, pairs in rules["locks"].items() if kind != "cores"}
        rules["locks"]["cores"] = list(self.locks.cores)
        rules["naming"] = self.naming.to_dict()
        return rules

    @classmethod
    def from_dict(cls, record: dict) -> "Rules":
        """The rules :meth:`to_dict` wrote (as plan.json records them)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in record.items() if k in known}
        if values.get("members") is not None:
            values["members"] = tuple(values["members"])
        if values.get("indicator_band") is not None:
            values["indicator_band"] = tuple(values["indicator_band"])
        locks = values.get("locks") or {}
        values["locks"] = Locks(**{kind: tuple(tuple(p) if isinstance(p, list) else p for p in items)
                                   for kind, items in locks.items()})
        values["naming"] = Naming.from_dict(values.get("naming") or {})
        return cls(**values)


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_finite_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_positive(name: str, value, what: str) -> None:
    if value is not None and not (_is_finite_number(value) and value > 0):
        raise RuleError(name, f"must be positive and finite ({what}), got {value!r}")


def _check_members(members) -> None:
    if members is None:
        return
    ok = isinstance(members, tuple) and len(members) == 2 and all(_is_int(m) for m in members)
    if not (ok and 0 <= members[0] <= members[1]):
        raise RuleError("members", f"must be (MIN, MAX) whole numbers with 0 <= MIN <= MAX, e.g. (2, 6), got {members!r}")


def _check_band(band) -> None:
    if band is None:
        return
    if not (isinstance(band, tuple) and len(band) == 2 and isinstance(band[0], str) and band[0]):
        raise RuleError("indicator_band", f"must be (INDICATOR, X), e.g. ({INDICATORS[0]!r}, 0.2), got {band!r}")
    if not (_is_finite_number(band[1]) and band[1] > 0):
        raise RuleError("indicator_band", f"share must be positive and finite, e.g. 0.2, got {band[1]!r}")


def _check_choice(name: str, value, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise RuleError(name, f"must be one of {', '.join(choices)}, got {value!r}")
