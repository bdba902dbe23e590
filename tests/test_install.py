"""A non-editable install works on its own: ``pip install .`` into a new virtualenv, then ``xuequ demo``
from another folder writes every file of ``maps.outputs.OUTPUT_FILES``, with the demo county in the user's
cache folder when the installed package cannot hold it."""

from __future__ import annotations

import json
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from maps.outputs import OUTPUT_FILES

ROOT = Path(__file__).resolve().parents[1]
#: What a fresh clone does not hold: version control, virtualenvs, build output, generated files.
NOT_IN_A_CLONE = {".git", "build", "dist", "out", "__pycache__", ".pytest_cache"}
GENERATED_DEMO = ROOT / "data" / "demo"
INSTALL_TIMEOUT_S = 1200
RUN_TIMEOUT_S = 600


def _clone_like_copy(target: Path) -> Path:
    """The project's sources as a clone has them, copied to ``target``."""

    def ignored(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in NOT_IN_A_CLONE or n.startswith(".venv") or n.endswith(".egg-info")}
        return skip | ({GENERATED_DEMO.name} if Path(folder) == GENERATED_DEMO.parent else set())

    return Path(shutil.copytree(ROOT, target, ignore=ignored))


@pytest.mark.slow
def test_installed_command_writes_the_plan_from_another_folder(tmp_path):
    source = _clone_like_copy(tmp_path / "source")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(source)],
                             capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    assert install.returncode == 0, install.stderr
    elsewhere, cache = tmp_path / "elsewhere", tmp_path / "cache"
    elsewhere.mkdir()
    site = Path(subprocess.run([str(python), "-c", "import data, pathlib; print(pathlib.Path(data.__file__).parent)"],
                               cwd=elsewhere, capture_output=True, text=True, check=True).stdout.strip())
    assert site.is_relative_to(env_dir) and (site.parent / "maps" / "templates").is_dir()
    (site / "demo").write_text("", encoding="utf-8")  # the package folder cannot hold the demo (not even for root)

    run = subprocess.run([str(env_dir / "bin" / "xuequ"), "demo", "--out", "plan"], cwd=elsewhere,
                         env={"PATH": str(env_dir / "bin"), "HOME": str(tmp_path), "XDG_CACHE_HOME": str(cache)},
                         capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""  # no solver banner; the command's own messages go to stderr
    out = elsewhere / "plan"
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert all((out / name).stat().st_size > 0 for name in OUTPUT_FILES)
    assert json.loads((out / "plan.json").read_text(encoding="utf-8"))["status"] == "optimal"
    assert "leaflet" in (out / "map.html").read_text(encoding="utf-8").lower()
    assert sorted(p.name for p in (cache / "xuequ" / "demo").iterdir()) == [
        "demo_county.osm", "demo_schools.csv", "demo_stamp.json"]
