"""The rule options, described once for every front end: the command line and the web form.

Each :class:`RuleOption` is one rule (a :class:`~partition.rules.Rules` field, or a part of its
:class:`~partition.rules.Naming`) or a setting of the solve: its name, its default, a one-line
explanation, and how the text a person types becomes its value. ``app.py`` turns them into
command-line options (``max_minutes`` -> ``--max-minutes``) and ``web/`` into form fields; both read
the values with :meth:`RuleOption.read` and make the rules with :func:`rules_from_options`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gis.schema import INDICATORS

from .plan import STUDENT_MINUTES_LABEL
from .rules import (
    DEFAULT_BALANCE,
    DEFAULT_MAX_MINUTES,
    DEFAULT_MEMBERS,
    GIVEN_CORES,
    LEVEL_CHOICES,
    NAME_SCHEMES,
    OBJECTIVE_CHOICES,
    Naming,
    Rules,
)
from .solve import DEFAULT_TIME_LIMIT_S

__all__ = [
    "RuleOption", "RULE_OPTIONS", "SOLVE_OPTIONS", "LOCKS_OPTION", "NAMING_OPTIONS", "rules_from_options", "option_values",
    "option_of_field", "number_reader", "read_minutes", "read_share", "read_seconds", "read_count", "read_positive_count",
    "read_members", "read_cores", "read_indicator_band", "read_seat", "MAX_MINUTES", "MAX_SHARE", "MAX_TIME_LIMIT_S", "MAX_WHOLE",
]


#: Ranges of the numbers a person types: a travel limit up to a day, shares (balance, indicator band)
#: up to 10x the mean, a time limit up to a week, whole numbers that fit the solvers' 32-bit seeds.
MAX_MINUTES = 24 * 60.0
MAX_SHARE = 10.0
MAX_TIME_LIMIT_S = 7 * 24 * 3600.0
MAX_WHOLE = 2**31 - 1


def number_reader(kind: type[int] | type[float], low: float, high: float, *, above: bool = False) -> Callable[[str], int | float]:
    """A reader of a finite ``kind`` from ``low`` (or above it) up to ``high``; its message gives the range."""
    if kind is int:
        allowed = f"a whole number from {low:,} to {high:,}"
    else:
        allowed = f"a number {'above' if above else 'from'} {low:g} {'and at most' if above else 'to'} {high:g}"

    def read(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise ValueError(f"'{text}' is not {'a whole number' if kind is int else 'a number'}; give {allowed}") from None
        if not (math.isfinite(value) and (low < value if above else low <= value) and value <= high):
            raise ValueError(f"'{text}' is out of range; give {allowed}")
        return value

    read.__name__ = kind.__name__
    return read


read_minutes = number_reader(float, 0, MAX_MINUTES, above=True)
read_share = number_reader(float, 0, MAX_SHARE, above=True)
read_seconds = number_reader(float, 0, MAX_TIME_LIMIT_S, above=True)
read_count = number_reader(int, 0, MAX_WHOLE)
read_positive_count = number_reader(int, 1, MAX_WHOLE)


def read_members(text: str) -> tuple[int, int]:
    """``"2-6"`` -> ``(2, 6)``."""
    low, dash, high = text.partition("-")
    if not (low.strip() and dash and high.strip()):
        raise ValueError(f"'{text}' is not a range; write it as MIN-MAX, e.g. 2-6")
    low, high = read_count(low), read_count(high)
    if low > high:
        raise ValueError(f"'{text}': need MIN <= MAX")
    return low, high


def read_cores(text: str) -> str | int:
    """``"given"``, or a number of cores for the tool to choose."""
    if text == GIVEN_CORES:
        return text
    try:
        return read_positive_count(text)
    except ValueError as exc:
        raise ValueError(f"{exc}, or '{GIVEN_CORES}'") from None


def read_indicator_band(text: str) -> tuple[str, float]:
    """``"INDICATOR:X"`` -> ``(INDICATOR, X)``."""
    name, colon, share = text.partition(":")
    if name not in INDICATORS:
        raise ValueError(f"'{name}' is not an indicator; use one of {', '.join(INDICATORS)}")
    if not colon:
        raise ValueError(f"'{text}': write INDICATOR:X, e.g. {INDICATORS[0]}:0.2")
    return name, read_share(share)


def read_seat(text: str) -> tuple[float, float]:
    """``"LON,LAT"`` -> ``(lon, lat)`` in degrees."""
    try:
        return Naming(seat=tuple(float(x) for x in text.split(","))).seat
    except ValueError:
        raise ValueError(f"'{text}' is not a position; write it as LON,LAT in degrees, e.g. 117.60,36.10") from None


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def read(text: str) -> str:
        if text not in choices:
            raise ValueError(f"'{text}': choose from {', '.join(choices)}")
        return text
    return read


@dataclass(frozen=True)
class RuleOption:
    """One option a person sets.

    Attributes
    ----------
    name : str
        The :class:`~partition.rules.Rules` field (or solve setting); ``--max-minutes`` on the
        command line, ``max_minutes`` in a form.
    help : str
        What it does, in one line.
    default : object
        The value when the option is not given (``None``: the rule is off).
    parse : callable or None
        Text -> value, raising ``ValueError`` with a message naming the fix; None for an on/off switch.
    metavar : str or None
        How the value is written, for a person (``MIN-MAX``).
    choices : tuple of str
        The values it may take, when it is one of a few.
    separator : str
        Between the parts of a value of several (``2-6``, ``117.6,36.1``).
    """

    name: str
    help: str
    default: object = None
    parse: Callable[[str], object] | None = None
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    separator: str = ":"

    @property
    def flag(self) -> str:
        """The command-line option: ``--max-minutes``."""
        return "--" + self.name.replace("_", "-")

    @property
    def switch(self) -> bool:
        """Whether the option is on/off (a flag without a value)."""
        return self.parse is None

    def text(self, value) -> str:
        """``value`` as a person types it (:meth:`read` reads it back); "" for a rule that is off."""
        if value is None or value is False:
            return ""
        if self.switch:
            return "on"
        if isinstance(value, tuple):
            return self.separator.join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
        return f"{value:g}" if isinstance(value, float) else str(value)

    def read(self, text: str | None):
        """The value of what a person typed: the default when nothing was, a switch on for any text."""
        text = "" if text is None else text.strip()
        if self.switch:
            return bool(text)
        if not text:
            return self.default
        return self.parse(text)


#: The rules, in the order a person meets them; each name is a :class:`~partition.rules.Rules` field.
RULE_OPTIONS = (
    RuleOption("max_minutes", "travel limit between a member and its core, both directions", DEFAULT_MAX_MINUTES,
               read_minutes, "M"),
    RuleOption("members", "member schools per core, the core not counted", DEFAULT_MEMBERS, read_members, "MIN-MAX",
               separator="-"),
    RuleOption("balance", "each 学区's enrollment within ±this share of the mean", DEFAULT_BALANCE, read_share, "B"),
    RuleOption("level", "plan all schools together, or the primary or junior schools alone", "all",
               _choice(LEVEL_CHOICES), "|".join(LEVEL_CHOICES), LEVEL_CHOICES),
    RuleOption("cores", "cores from the table's 是否优质 flag, or K cores chosen by quality and coverage", GIVEN_CORES,
               read_cores, "given|K"),
    RuleOption("allow_unassigned", "leave out (and list) the schools that reach no core instead of failing", False),
    RuleOption("min_rural", "each 学区 holds at least N town/rural schools where it can reach them (城乡联建)", None,
               read_positive_count, "N"),
    RuleOption("indicator_band", "each 学区's enrollment-weighted mean of INDICATOR within ±X of the county's", None,
               read_indicator_band, "INDICATOR:X"),
    RuleOption("keep_township", "keep each 乡镇/街道's schools in one 学区", False),
    RuleOption("contiguity", "grow 学区 outward from their core through touching territories", False),
    RuleOption("objective", f"sum: least {STUDENT_MINUTES_LABEL}; max: least longest trip first, then least {STUDENT_MINUTES_LABEL}",
               "sum", _choice(OBJECTIVE_CHOICES), "|".join(OBJECTIVE_CHOICES), OBJECTIVE_CHOICES),
    RuleOption("names", "name each 学区 after its core school (X学区), by direction from the county seat (小东学区, 中南学区, "
               "城区学区) or by number (第一学区); a rules file's 'names' override", "core", _choice(NAME_SCHEMES),
               "|".join(NAME_SCHEMES), NAME_SCHEMES),
    RuleOption("seat", "the county seat for --names direction (default: the centroid of the urban schools)", None, read_seat,
               "LON,LAT", separator=","),
)
#: Options that set a part of the rules' :class:`~partition.rules.Naming`: option -> its attribute.
NAMING_OPTIONS = {"names": "scheme", "seat": "seat"}


def rules_from_options(values: Mapping[str, object]) -> Rules:
    """The :class:`Rules` of ``{option name: value}`` for :data:`RULE_OPTIONS` (a missing one at its default).

    Raises :class:`~partition.rules.RuleError` for a value a rule cannot take; :func:`option_of_field`
    names the option its ``field`` came from.
    """
    chosen = {o.name: values.get(o.name, o.default) for o in RULE_OPTIONS}
    naming = Naming(**{attribute: chosen.pop(option) for option, attribute in NAMING_OPTIONS.items()})
    return Rules(**chosen, naming=naming)


def option_values(rules: Rules) -> dict[str, object]:
    """The value of each of :data:`RULE_OPTIONS` that ``rules`` hold (the inverse of :func:`rules_from_options`)."""
    return {o.name: getattr(rules.naming, NAMING_OPTIONS[o.name]) if o.name in NAMING_OPTIONS else getattr(rules, o.name)
            for o in RULE_OPTIONS}


def option_of_field(field: str) -> str:
    """The option a :class:`~partition.rules.RuleError`'s field is set by (``naming`` -> ``names``)."""
    return "names" if field == "naming" else field


#: The planner's fixed decisions: a YAML/JSON file (:func:`partition.rulesfile.read_rules_file`).
LOCKS_OPTION = RuleOption("rules", "YAML/JSON file of fixed assignments, keep-together/apart pairs and pinned cores",
                          None, str, "FILE")
#: Settings of the solve (arguments of :func:`partition.plan_districts`), not rules of the plan.
SOLVE_OPTIONS = (
    RuleOption("seed", "solver seed", 0, read_count, "N"),
    RuleOption("time_limit", "seconds the exact solver may run", DEFAULT_TIME_LIMIT_S, read_seconds, "S"),
)
