"""Reading what a person typed into a form: rules, run settings, names, local links.

The rule fields are the options of :mod:`partition.ruleoptions` (the command line's), read with the
same readers; a bad value raises :class:`gis.errors.InputError` naming the field as the form shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from gis.errors import InputError
from partition.ruleoptions import RULE_OPTIONS, SOLVE_OPTIONS, RuleOption, option_of_field, rules_from_options
from partition.rules import RuleError, Rules

__all__ = ["rules_from_form", "settings_from_form", "clean_name", "local_path", "MAX_WEB_TIME_LIMIT_S", "MAX_NAME_CHARS"]

#: The longest solve a form may ask for, in seconds (the command line allows a week).
MAX_WEB_TIME_LIMIT_S = 3600.0
#: Characters kept of a name a person types (a study, a proposal).
MAX_NAME_CHARS = 80


def _value(option: RuleOption, form: Mapping, label: Callable[[str], str]):
    try:
        return option.read(form.get(option.name))
    except ValueError as exc:
        raise InputError(f"{label(option.name)}: {exc}") from None


def rules_from_form(form: Mapping, label: Callable[[str], str]) -> Rules:
    """The :class:`Rules` of a form with one field per rule option; ``label(name)`` names a field in messages."""
    try:
        return rules_from_options({option.name: _value(option, form, label) for option in RULE_OPTIONS})
    except RuleError as exc:
        raise InputError(f"{label(option_of_field(exc.field))}: {exc.detail}") from None


def settings_from_form(form: Mapping, label: Callable[[str], str]) -> dict:
    """The solve's settings (seed, time limit) of a form, checked."""
    settings = {option.name: _value(option, form, label) for option in SOLVE_OPTIONS}
    if not 0 < settings["time_limit"] <= MAX_WEB_TIME_LIMIT_S:
        raise InputError(f"{label('time_limit')}: must be between 0 and {MAX_WEB_TIME_LIMIT_S:g} seconds")
    return settings


def clean_name(text: str | None) -> str:
    """A name as typed, without control characters or surrounding spaces, at most :data:`MAX_NAME_CHARS` long."""
    return "".join(ch for ch in (text or "") if ch.isprintable()).strip()[:MAX_NAME_CHARS]


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site (``/studies/1``), else ``default``: never a link elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or any(ch.isspace() for ch in target):
        return default
    return target
