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

The file is read for its shape here (each key and the form it takes, no key twice, no school
paired with itself); that every id names a school of the plan, and every fixed core a core, is
checked by :func:`partition.pipeline.prepare`, which knows the schools.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from gis.errors import InputError

from .rules import Locks, RuleError, Rules

__all__ = ["read_rules_file", "apply_rules_file", "KNOWN_KEYS"]

#: Each key and the form it takes.
KNOWN_KEYS = {
    "fixed": "be a mapping of school id to core school id, like {3707000031: 3707000001}",
    "together": "be a list of pairs of school ids, like [[3707000040, 3707000041]]",
    "apart": "be a list of pairs of school ids, like [[3707000050, 3707000051]]",
    "cores": "be a list of school ids, like [3707000007]",
    "names": "map core school ids to 学区 names, like {3707000001: 安石学区}",
}


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a mapping that names a key twice (YAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        twice = sorted({str(k) for k in keys if keys.count(k) > 1})
        if twice:
            raise yaml.constructor.ConstructorError(None, None, f"{', '.join(twice)} given twice", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def read_rules_file(path: str | Path) -> Locks:
    """Read a rules file's locks into :class:`~partition.rules.Locks`; a file of the wrong shape raises
    :class:`InputError` naming the key and the form it takes."""
    return _locks(_read(Path(path)), Path(path))


def apply_rules_file(rules: Rules, path: str | Path) -> Rules:
    """``rules`` with the locks and the 学区 names of a rules file."""
    path = Path(path)
    content = _read(path)
    try:
        naming = replace(rules.naming, names=_names(content.get("names"), path))
    except RuleError as exc:
        raise InputError(f"{path}: {exc.detail}; give each 学区 its own name") from None
    return replace(rules, locks=_locks(content, path), naming=naming)


def _read(path: Path) -> dict:
    content = _load(path)
    if not isinstance(content, dict):
        raise InputError(f"{path}: a rules file is a mapping with keys among {', '.join(KNOWN_KEYS)}; "
                         f"found {_kind(content)}")
    unknown_keys = sorted(str(k) for k in content if k not in KNOWN_KEYS)
    if unknown_keys:
        raise InputError(f"{path}: unknown key(s) {', '.join(unknown_keys)}; use {', '.join(KNOWN_KEYS)}")
    return content


def _locks(content: dict, path: Path) -> Locks:
    return Locks(fixed=_fixed(content.get("fixed"), path), together=_pairs(content.get("together"), "together", path),
                 apart=_pairs(content.get("apart"), "apart", path), cores=_ids(content.get("cores"), "cores", path))


def _load(path: Path):
    if path.is_dir():
        raise InputError(f"{path}: a folder, not a rules file; give the YAML or JSON file to --rules")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}
    except FileNotFoundError:
        raise InputError(f"{path}: no such rules file; check the path given to --rules") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise InputError(f"{path}: not valid YAML or JSON{line} ({_first_line(exc)}); fix the syntax") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the rules file ({exc.strerror})") from None


def _first_line(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem or exc).splitlines()[0]


def _kind(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"'{value}'"


def _wrong(key: str, value, path: Path) -> InputError:
    return InputError(f"{path}: '{key}' must {KNOWN_KEYS[key]}; found {_kind(value)}")


def _id(value, key: str, path: Path) -> str:
    """A school id: text or a whole number (YAML reads 3707000031 as a number)."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InputError(f"{path}: '{key}' holds {_kind(value) if value is not None else 'an empty entry'} "
                     f"where a school id belongs; it must {KNOWN_KEYS[key]}")


def _fixed(value, path: Path) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise _wrong("fixed", value, path)
    return tuple((_id(school, "fixed", path), _id(core, "fixed", path)) for school, core in value.items())


def _pairs(value, key: str, path: Path) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
        raise _wrong(key, value, path)
    pairs = tuple((_id(a, key, path), _id(b, key, path)) for a, b in value)
    for a, b in pairs:
        if a == b:
            raise InputError(f"{path}: '{key}' pairs {a} with itself; a pair names two different schools")
    return pairs


def _ids(value, key: str, path: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _wrong(key, value, path)
    return tuple(_id(item, key, path) for item in value)


def _names(value, path: Path) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(isinstance(name, str) for name in value.values()):
        raise _wrong("names", value, path)
    return tuple((_id(core, "names", path), name.strip()) for core, name in value.items())
