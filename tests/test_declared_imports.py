"""Every third-party import is declared in pyproject.toml, so a fresh install can run the code.

The runtime code (the packages and ``app.py``) may import only what ``[project] dependencies``
provides; the tests and benchmarks may also use the optional extras (``test``). A package that
merely arrives with another one (``requests`` with osmnx, say) counts as undeclared: the other one
may stop bringing it. Names are matched to distributions with
:func:`importlib.metadata.packages_distributions`, so this runs in an environment with the declared
packages installed (``./run-tests.sh`` builds one).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Code a user's install runs, and code only the developers run.
RUNTIME = ("gis", "partition", "maps", "data", "app.py")
DEVELOPMENT = ("tests", "bench")
#: Folders that hold no project code.
SKIPPED_FOLDERS = frozenset({"build", "dist", "__pycache__"})
REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them (``PyYAML`` and ``pyyaml`` are one)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(pyproject: Path) -> tuple[set[str], set[str]]:
    """The distributions pyproject.toml declares: ``dependencies``, and those of all extras."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]

    def names(specs: Iterable[str]) -> set[str]:
        return {normalise(REQUIREMENT_NAME.match(spec).group(1)) for spec in specs}

    extras = set().union(*map(names, project.get("optional-dependencies", {}).values()))
    return names(project.get("dependencies", [])), extras


def imported_names(path: Path) -> set[str]:
    """Top-level names of the absolute imports anywhere in a module (inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def python_files(root: Path) -> list[Path]:
    """The project's modules, relative to ``root``: hidden folders (virtualenvs) and build output left out."""
    return sorted(
        path.relative_to(root)
        for path in root.rglob("*.py")
        if not any(part.startswith(".") or part in SKIPPED_FOLDERS for part in path.relative_to(root).parts[:-1])
    )


def local_names(root: Path, module: Path) -> set[str]:
    """Names that import the project's own code: its top-level packages and modules, and ``module``'s siblings."""
    top = {path.name for path in root.iterdir() if path.is_dir()} | {path.stem for path in root.glob("*.py")}
    return top | {path.stem for path in (root / module).parent.glob("*.py")}


def undeclared_imports(root: Path, groups: dict[tuple[str, ...], set[str]]) -> list[str]:
    """One line per import of a third-party name that the allowed distributions of its group do not provide.

    ``groups`` maps top-level folders or modules of ``root`` to the normalised distributions their code may
    import. A name that no installed distribution provides is reported too: nothing declares it.
    """
    provides = packages_distributions()
    problems = []
    for module in python_files(root):
        allowed = next((dists for tops, dists in groups.items() if module.parts[0] in tops), None)
        if allowed is None:
            problems.append(f"{module}: in no group of code; add its folder to RUNTIME or DEVELOPMENT")
            continue
        third_party = imported_names(root / module) - set(sys.stdlib_module_names) - local_names(root, module)
        for name in sorted(third_party):
            dists = {normalise(d) for d in provides.get(name, [])}
            if not dists & allowed:
                source = f"from {', '.join(sorted(dists))}" if dists else "installed by no distribution"
                problems.append(f"{module}: imports '{name}' ({source}), which pyproject.toml does not declare")
    return problems


def project_groups(root: Path) -> dict[tuple[str, ...], set[str]]:
    runtime, extras = declared(root / "pyproject.toml")
    return {RUNTIME: runtime, DEVELOPMENT: runtime | extras}


def test_every_third_party_import_is_declared() -> None:
    problems = undeclared_imports(ROOT, project_groups(ROOT))
    assert not problems, "declare these in pyproject.toml:\n" + "\n".join(problems)


# --- the check itself catches what it must -------------------------------------------------------


def _project(tmp_path: Path, dependencies: list[str], extras: list[str], files: dict[str, str]) -> Path:
    lines = ["[project]", 'name = "p"', f"dependencies = {dependencies!r}", "[project.optional-dependencies]",
             f"test = {extras!r}"]
    (tmp_path / "pyproject.toml").write_text("\n".join(lines).replace("'", '"') + "\n", encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("dependencies", "extras", "flagged"),
    [
        ([], [], ["gis/a.py: imports 'yaml'", "tests/t.py: imports 'numpy'"]),
        (["PyYAML>=6"], ["numpy"], []),
        (["numpy"], ["pyyaml"], ["gis/a.py: imports 'yaml'"]),  # a test extra does not serve runtime code
    ],
)
def test_the_check_flags_undeclared_imports(tmp_path: Path, dependencies, extras, flagged) -> None:
    root = _project(tmp_path, dependencies, extras, {
        "gis/__init__.py": "",
        "gis/a.py": "import os\nfrom . import b\nfrom gis import b\n\ndef f():\n    import yaml.constructor\n",
        "gis/b.py": "",
        "tests/t.py": "import never_installed_xyz\nfrom numpy import array\nimport t2\n",
        "tests/t2.py": "",
        ".venv/lib/site.py": "import not_project_code\n",
    })
    runtime, extra = declared(root / "pyproject.toml")
    problems = undeclared_imports(root, {("gis",): runtime, ("tests",): runtime | extra})
    expected = [*flagged, "tests/t.py: imports 'never_installed_xyz'"]
    assert sorted(problem.split(" (")[0] for problem in problems) == sorted(expected)


def test_code_outside_the_known_folders_is_reported(tmp_path: Path) -> None:
    root = _project(tmp_path, [], [], {"scripts/tool.py": "import os\n"})
    assert undeclared_imports(root, {("gis",): set()}) == [
        "scripts/tool.py: in no group of code; add its folder to RUNTIME or DEVELOPMENT"
    ]
