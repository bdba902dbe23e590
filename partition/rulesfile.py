"""The planner's rules file (YAML or JSON): fixed assignments, keep-together/apart pairs, pinned cores
and 学区 names.

.. code-block:: yaml

    fixed:             # school id: core school id
      "3707000031": "3707000001"
    together:          # pairs that share a 学区
      - ["3707000040", "3707000041"]
    apart:             # pairs that must not
      - ["3707000050", "3707000051"]
    cores: ["3707000007"]   # schools that must be cores (kept when the tool chooses the rest, --cores K)
    names:             # core school id: the name of its 学区 (replaces the --names scheme's)
      "3707000001": "安石学区"

The file is read for its shape here; that every id names a school of the plan, and every fixed
core a core, is checked by :func:`partition.pipeline.prepare`, which knows the schools.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from gis.errors import InputError

from .rules import Locks, RuleError, Rules

__all__ = ["read_rules_file", "apply_rules_file"]

KNOWN_KEYS = ("fixed", "together", "apart", "cores", "names")


def read_rules_file(path: str | Path) -> Locks:
    """Read a rules file's locks into :class:`~partition.rules.Locks`; a file of the wrong shape raises :class:`InputError`."""
    return _locks(_read(Path(path)), Path(path))


def apply_rules_file(rules: Rules, path: str | Path) -> Rules:
    """``rules`` with the locks and the 学区 names of a rules file."""
    path = Path(path)
    content = _read(path)
    try:
        naming = replace(rules.naming, names=_names(content, path))
    except RuleError as exc:
        raise InputError(f"{path}: {exc.detail}; give each 学区 its own name") from None
    return replace(rules, locks=_locks(content, path), naming=naming)


def _read(path: Path) -> dict:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(f"{path}: no such rules file; check the path given to --rules") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid YAML or JSON ({str(exc).splitlines()[0]}); fix the syntax") from None
    if not isinstance(content, dict) or set(content) - set(KNOWN_KEYS):
        raise InputError(f"{path}: a rules file is a mapping with keys among {', '.join(KNOWN_KEYS)}")
    return content


def _locks(content: dict, path: Path) -> Locks:
    fixed = tuple((str(s), str(c)) for s, c in (content.get("fixed") or {}).items())
    together = _pairs(content.get("together"), "together", path)
    apart = _pairs(content.get("apart"), "apart", path)
    cores = tuple(str(c) for c in content.get("cores") or ())
    return Locks(fixed=fixed, together=together, apart=apart, cores=cores)


def _names(content: dict, path: Path) -> tuple[tuple[str, str], ...]:
    names = content.get("names") or {}
    if not isinstance(names, dict) or not all(isinstance(n, str) for n in names.values()):
        raise InputError(f"{path}: 'names' must map core school ids to 学区 names, like {{3707000001: 安石学区}}")
    return tuple((str(core), name.strip()) for core, name in names.items())


def _pairs(value, key: str, path: Path) -> tuple[tuple[str, str], ...]:
    pairs = value or []
    if not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
        raise InputError(f"{path}: '{key}' must be a list of pairs of school ids, like [[a, b], [c, d]]")
    return tuple((str(a), str(b)) for a, b in pairs)
