"""Bad input through the command line, case by case from the catalogue (tests/bad_input_catalogue.py).

A refused case must exit with its code and message and write nothing; the bad rows and the hostile
inputs that a run survives are checked on one shared run; signals go to a real process.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import app
from gis.badrows import MAX_LISTED_ROWS
from gis.files import staged_output_dir
from tests.bad_input_catalogue import (
    CATALOGUE,
    DEAD_PID,
    DUPLICATES,
    FIXED,
    FORMULAS,
    PINNED,
    ROOT,
    TITLE,
    HostileRun,
    Workspace,
    _stage_name,
    readme_table,
    write_xlsx,
)

REFUSED = [case for case in CATALOGUE if case.kind == "refused"]
ROWS = [case for case in CATALOGUE if case.kind == "row"]
RUN = [case for case in CATALOGUE if case.kind == "run"]
SIGNALS = [case for case in CATALOGUE if case.kind == "signal"]
FIRST_DATA_ROW = 2


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` (hidden ones included) with its size and modification time."""
    return {str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in root.rglob("*")}


def test_the_catalogue_has_at_least_sixty_cases():
    assert len(CATALOGUE) >= 60 and len({case.id for case in CATALOGUE}) == len(CATALOGUE)
    assert {case.group for case in CATALOGUE} >= {"files", "options", "rules", "output", "signals", "rows", "console"}


def test_readme_lists_the_catalogue():
    assert readme_table() in (ROOT / "README.md").read_text(encoding="utf-8"), "run: python -m tests.bad_input_catalogue"


@pytest.mark.parametrize("case", REFUSED, ids=lambda case: case.id)
def test_refused_with_its_message_and_nothing_written(case, tmp_path, capsys):
    workspace = Workspace(tmp_path)
    argv = case.argv(workspace)
    before = _snapshot(tmp_path)
    code = app.main(argv)
    err = capsys.readouterr().err
    assert code == case.code, err
    assert case.message in err, err
    assert "Traceback" not in err
    assert _snapshot(tmp_path) == before  # no output, no staging folder, the user's files untouched


# --- the hostile run: one run through every kind of bad row, formula names, markup and a stale stage ---------------


def _hostile_table(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The demo table with formula names, one changed copy of a member per row case, and many duplicates."""
    table = table.copy()
    for school_id, name in FORMULAS.items():
        table.loc[table["学校标识码"] == school_id, "学校名称"] = name
    members = table[table["是否优质"] == "否"]
    rows, row_of = [table], {}
    for k, case in enumerate(ROWS):
        row = members.iloc[[0]].copy()
        row["学校标识码"], row["学校名称"] = f"90000{k:05d}", f"坏行{k}小学"
        for column, value in case.change.items():
            row[column] = value
        rows.append(row)
        row_of[case.id] = len(table) + k + FIRST_DATA_ROW
    rows.append(pd.concat([members.iloc[[1]]] * DUPLICATES))
    return pd.concat(rows, ignore_index=True), row_of


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> HostileRun:
    workspace = Workspace(tmp_path_factory.mktemp("hostile"))
    table, row_of = _hostile_table(workspace.demo_table())
    schools = workspace.root / "schools.xlsx"
    write_xlsx(table, schools)
    out = workspace.root / "plans [/] [red]"  # a folder "] [red]" in a folder "plans [": the path reads [/]
    out.mkdir(parents=True)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    for pid in (DEAD_PID, os.getpid()):
        (out.parent / _stage_name(out, pid)).mkdir()
    rules = workspace.file("rules.yaml", f"fixed: {{{FIXED}: {PINNED}}}\ncores: [{PINNED}]\n")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = app.main(workspace.partition("--rules", rules, "--title", TITLE, "--overwrite", "--members", "1-7",
                                            "--balance", "0.5", "--max-minutes", "60", "--time-limit", "20",
                                            schools=str(schools), out=str(out)))
    return HostileRun(code, err.getvalue(), out, table, row_of)


def test_the_hostile_run_succeeds_without_a_traceback(hostile):
    assert hostile.code == 0, hostile.err
    assert "Traceback" not in hostile.err


@pytest.mark.parametrize("case", ROWS, ids=lambda case: case.id)
def test_bad_row(case, hostile):
    if case.check is not None:
        case.check(hostile)
        return
    dropped = hostile.dropped()
    row = dropped[dropped["row"] == str(hostile.row_of[case.id])]
    assert row["problem"].str.contains(case.message, regex=False).any(), row
    school_id = hostile.table.iloc[hostile.row_of[case.id] - FIRST_DATA_ROW]["学校标识码"]
    assert school_id not in set(hostile.plan()["school_id"])


@pytest.mark.parametrize("case", RUN, ids=lambda case: case.id)
def test_hostile_run(case, hostile):
    case.check(hostile)


def test_strict_stops_at_bad_rows_listing_a_few(tmp_path, capsys, hostile):
    schools = tmp_path / "schools.csv"
    hostile.table.to_csv(schools, index=False)
    workspace = Workspace(tmp_path)
    code = app.main(workspace.partition("--strict", schools=str(schools)))
    err = capsys.readouterr().err
    assert code == 2 and "stopping because of --strict" in err and "Traceback" not in err
    assert sum(line.startswith("  row ") for line in err.splitlines()) == MAX_LISTED_ROWS and "more" in err
    assert not (tmp_path / "out").exists()


# --- signals: a real process ----------------------------------------------------------------------------------


def _wait_for(process: subprocess.Popen, text: str) -> None:
    """Read the process's stderr until a line holds ``text`` (or, for "", until the libraries start loading)."""
    if not text:
        maps = Path(f"/proc/{process.pid}/maps")
        while process.poll() is None and "numpy" not in maps.read_text():
            time.sleep(0.01)
        return
    for line in process.stderr:
        if text in line:
            return
    pytest.fail(f"the run ended before '{text}'")


@pytest.mark.parametrize("case", SIGNALS, ids=lambda case: case.id)
def test_signal_ends_the_run_with_one_line(case, tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "demo", "--out", str(out), "--time-limit", "60"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    _wait_for(process, case.after)
    if case.after:
        time.sleep(1.0)  # into the solver (native code); the outcome must be the same anywhere
    process.send_signal(case.signal)
    _, err = process.communicate(timeout=120)
    assert process.returncode == case.code, err
    assert err.rstrip().endswith(case.message) and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no output folder, no staging folder


def test_sigterm_while_writing_removes_the_staging_folder(tmp_path):
    out = tmp_path / "out"
    script = (f"import sys, time\nsys.path.insert(0, {str(ROOT)!r})\n"
              "from gis.files import staged_output_dir\nfrom gis.interrupt import end_on_interrupt\n"
              "with end_on_interrupt(lambda signum: print('interrupted', file=sys.stderr)):\n"
              f"    with staged_output_dir({str(out)!r}) as stage:\n"
              "        (stage / 'plan.csv').write_text('half')\n"
              "        print('writing', flush=True)\n"
              "        time.sleep(60)\n")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "writing"
    assert len(list(tmp_path.iterdir())) == 1  # the staging folder
    process.terminate()
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143 and err.strip() == "interrupted"
    assert list(tmp_path.iterdir()) == []


def test_a_failed_block_leaves_no_staging_folder(tmp_path):
    with pytest.raises(RuntimeError), staged_output_dir(tmp_path / "out") as stage:
        (stage / "plan.csv").write_text("half")
        raise RuntimeError("the run failed")
    assert list(tmp_path.iterdir()) == []
