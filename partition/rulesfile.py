"""The planner's rules file (YAML or JSON): fixed assignments, keep-together/apart pairs, pinned cores.

.. code-block:: yaml

    fixed:             # school id: core school id
      "3707000031": "3707000001"
    together:          # pairs that share a 学区
      - ["3707000040", "3707000041"]
    apart:             # pairs that must not
      - ["3707000050", "3707000051"]
    cores: ["3707000007"]   # pinned cores, kept when the tool chooses the rest (--cores K)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from gis.errors import InputError

from .problem import Locks

__all__ = ["PlannerRules", "read_rules_file"]

KNOWN_KEYS = ("fixed", "together", "apart", "cores")


@dataclass(frozen=True)
class PlannerRules:
    """What a rules file says: the locks and the pinned cores."""

    locks: Locks = Locks()
    cores: tuple[str, ...] = ()


def read_rules_file(path: str | Path, school_ids: set[str]) -> PlannerRules:
    """Read and check a rules file; every id must be one of ``school_ids``."""
    path = Path(path)
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(f"{path}: no such rules file; check the path given to --rules") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid YAML or JSON ({str(exc).splitlines()[0]}); fix the syntax") from None
    if not isinstance(content, dict) or set(content) - set(KNOWN_KEYS):
        raise InputError(f"{path}: a rules file is a mapping with keys among {', '.join(KNOWN_KEYS)}")
    fixed = tuple((str(s), str(c)) for s, c in (content.get("fixed") or {}).items())
    together = _pairs(content.get("together"), "together", path)
    apart = _pairs(content.get("apart"), "apart", path)
    cores = tuple(str(c) for c in content.get("cores") or ())
    mentioned = [i for pair in (*fixed, *together, *apart) for i in pair] + list(cores)
    unknown = sorted(set(mentioned) - school_ids)
    if unknown:
        raise InputError(f"{path}: unknown school id(s) {', '.join(unknown)}; use the 学校标识码 of the school table")
    return PlannerRules(Locks(fixed=fixed, together=together, apart=apart), cores)


def _pairs(value, key: str, path: Path) -> tuple[tuple[str, str], ...]:
    pairs = value or []
    if not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
        raise InputError(f"{path}: '{key}' must be a list of pairs of school ids, like [[a, b], [c, d]]")
    return tuple((str(a), str(b)) for a, b in pairs)
