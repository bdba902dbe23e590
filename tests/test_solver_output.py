"""The solvers print nothing unless asked: no HiGHS banner or log, no CP-SAT log.

HiGHS and CP-SAT write from C++ straight to file descriptor 1, and HiGHS prints its banner only
once per process, so each check runs in a fresh process and reads what reached its descriptors.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Lines HiGHS or CP-SAT print when their logs are on.
SOLVER_LOG = re.compile(r"Running HiGHS|HiGHS run time|Presolving model|Coefficient ranges|Solving MIP|Model status"
                        r"|CP-SAT|CpSolverResponse|#Bound|#Done|num_workers", re.IGNORECASE)
HIGHS_BANNER = "Running HiGHS"
CP_SAT_HEADER = "Starting CP-SAT"

#: Solves a small problem, and polishes a plan of it with CP-SAT, with the solver logs on or off.
API_SCRIPT = textwrap.dedent("""
    import sys
    sys.path[:0] = [{root!r}, {tests!r}]
    from test_solve import random_problem
    from partition.model import build_model
    from partition.polish import polish
    from partition.problem import Rules
    from partition.solve import solve
    from partition.solverlogs import solver_logs

    verbose = sys.argv[1] == "verbose"
    problem = random_problem(5, n=30, n_cores=6, rules=Rules(max_minutes=15, members=(2, 6), balance=0.3))
    plan = solve(problem, time_limit=20, verbose=verbose)
    assert plan.status == "optimal", plan.status
    model = build_model(problem)
    with solver_logs(verbose):
        x, _ = polish(model, None, time_limit=2)
    assert x is not None and model.keeps_rows(x)
""")


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_demo_prints_no_solver_output(tmp_path):
    result = run([str(ROOT / "app.py"), "demo", "--out", str(tmp_path / "out"), "--no-cache"], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # the command line's own messages go to stderr
    assert not SOLVER_LOG.search(result.stderr), result.stderr
    assert "学区" in result.stderr and "optimal" in result.stderr  # its own summary is there


@pytest.mark.parametrize("verbose", [False, True])
def test_solver_logs_only_when_asked(tmp_path, verbose):
    script = tmp_path / "solve_small.py"
    script.write_text(API_SCRIPT.format(root=str(ROOT), tests=str(ROOT / "tests")), encoding="utf-8")
    result = run([str(script), "verbose" if verbose else "quiet"], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    if verbose:
        assert HIGHS_BANNER in result.stdout and CP_SAT_HEADER in result.stdout
    else:
        assert result.stdout == "" and result.stderr == ""
