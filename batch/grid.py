"""The grid of a sweep: every combination of the listed rule values, and the folder each plan goes to."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from partition.rules import Rules

__all__ = ["Cell", "rule_grid", "format_value", "option_name", "SWEEPABLE"]

#: The rules a sweep may list several values of, in the order folder names and tables give them.
SWEEPABLE = ("max_minutes", "balance", "members", "min_rural", "indicator_band", "cores", "level", "objective")


@dataclass(frozen=True)
class Cell:
    """One combination of a sweep: its rules and the swept values that set it apart.

    Attributes
    ----------
    rules : Rules
        The rules of this combination.
    values : tuple of (str, value)
        The swept rules (:class:`Rules` field names) and this combination's value of each.
    """

    rules: Rules
    values: tuple[tuple[str, object], ...] = ()

    @property
    def folder(self) -> str:
        """The plan folder's name, which says the values: ``max-minutes-25_balance-0.15``."""
        parts = (f"{option_name(name)}-{format_value(value)}" for name, value in self.values)
        return "_".join(part.replace(":", "-").replace("/", "-") for part in parts) or "plan"

    def labels(self) -> dict[str, str]:
        """The swept values as a person writes them on the command line, by field name."""
        return {name: format_value(value) for name, value in self.values}


def rule_grid(listed: Mapping[str, Sequence], base: Rules | None = None) -> list[Cell]:
    """Every combination of the listed values of some rules, each on top of ``base``.

    Parameters
    ----------
    listed : mapping of str to sequence
        :class:`Rules` field names (among :data:`SWEEPABLE`) and their values; a field with one
        value is set but not swept. A value listed twice counts once.
    base : Rules, optional
        The other rules (defaults when omitted).

    Returns
    -------
    list of Cell
        In the order of the listed values, the first field changing slowest.

    Raises
    ------
    partition.rules.RuleError
        When a combination holds a value the rule cannot take; ``field`` names the rule.
    """
    base = Rules() if base is None else base
    unknown = [name for name in listed if name not in SWEEPABLE]
    if unknown:
        raise ValueError(f"cannot sweep {', '.join(unknown)}; sweepable rules: {', '.join(SWEEPABLE)}")
    names = list(listed)
    lists = [tuple(dict.fromkeys(listed[name])) for name in names]
    swept = {name for name, values in zip(names, lists) if len(values) > 1}
    return [
        Cell(replace(base, **dict(zip(names, combination))), tuple((n, v) for n, v in zip(names, combination) if n in swept))
        for combination in itertools.product(*lists)
    ]


def option_name(field: str) -> str:
    """The command-line option of a rule, without its dashes: ``max_minutes`` -> ``max-minutes``."""
    return field.replace("_", "-")


def format_value(value: object) -> str:
    """A rule value as the command line takes it: ``25``, ``0.15``, ``2-6``, ``INDICATOR:0.2``, ``off``."""
    if value is None:
        return "off"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return f"{value[0]}:{format_value(value[1])}"
    if isinstance(value, tuple):
        return "-".join(format_value(v) for v in value)
    return str(value)
