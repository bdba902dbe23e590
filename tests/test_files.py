"""Output files: formulas neutralised, strict JSON, the output folder checked before any work, stale stages cleared."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from gis.badrows import BAD_ROWS_FILE, BadRow, write_bad_rows
from gis.errors import InputError
from gis.files import neutralise_formulas, prepare_output_dir, write_csv_atomic
from partition.export import is_plan_folder, write_plan_json
from partition.plan import Plan
from partition.problem import Rules

DEAD_PID = 2**22 + 7  # above Linux's largest pid_max


def test_formulas_get_an_apostrophe_and_numbers_stay_numbers(tmp_path):
    frame = pd.DataFrame({"name": ["=1+1", "+86", "-x", "@SUM(A1)", "\tcmd", "一小", "a=b"], "minutes": [-1.5, 0, 1, 2, 3, 4, 5]})
    assert neutralise_formulas(frame)["name"].tolist() == ["'=1+1", "'+86", "'-x", "'@SUM(A1)", "'\tcmd", "一小", "a=b"]
    path = write_csv_atomic(frame, tmp_path / "t.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["minutes"].tolist() == [-1.5, 0, 1, 2, 3, 4, 5] and back["name"][0] == "'=1+1"


def test_plan_json_is_strict_json_with_null_for_unknown_numbers(tmp_path):
    plan = Plan(core_of=(0,), rules=Rules(), solver="test", status="feasible", objective=1.0, bound=float("-inf"),
                gap=float("nan"), seed=0, input_hash="x")
    path = write_plan_json(plan, tmp_path / "plan.json", extra=[float("inf")])
    record = json.loads(path.read_text(encoding="utf-8"), parse_constant=lambda name: pytest.fail(f"{name} in plan.json"))
    assert record["bound"] is None and record["gap"] is None and record["extra"] == [None] and record["objective"] == 1.0
    assert is_plan_folder(tmp_path) and not is_plan_folder(tmp_path / "elsewhere")


def _nothing_ours(folder) -> bool:
    return False


def test_output_folder_is_checked_before_any_work(tmp_path):
    (tmp_path / "file").write_text("mine")
    for out, message in ((tmp_path / "file", "is a file"), (tmp_path / "file" / "sub", "which is a file"),
                         (tmp_path / ("x" * 300), "bytes long"), (tmp_path / "a" / ("y" * 256) / "b", "bytes long")):
        with pytest.raises(InputError, match=message):
            prepare_output_dir(out, overwrite=False, is_ours=_nothing_ours)
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "map.html").write_text("mine")
    with pytest.raises(InputError, match="did not write.*--overwrite"):
        prepare_output_dir(tmp_path / "theirs", overwrite=False, is_ours=_nothing_ours)
    assert prepare_output_dir(tmp_path / "theirs", overwrite=True, is_ours=_nothing_ours) == tmp_path / "theirs"
    assert prepare_output_dir(tmp_path / "new" / "deeper", overwrite=False, is_ours=_nothing_ours)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "theirs"]  # nothing made, no probe left


def test_stale_staging_folders_of_dead_runs_are_cleared(tmp_path):
    out = tmp_path / "plan"
    names = {pid: f".plan.xuequ-{pid}-abc" for pid in (DEAD_PID, os.getpid())}
    other = ".planb.xuequ-%d-abc" % DEAD_PID  # another output folder's stage
    for name in (*names.values(), other, ".plan.unrelated"):
        (tmp_path / name).mkdir()
    prepare_output_dir(out, overwrite=False, is_ours=_nothing_ours)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([names[os.getpid()], other, ".plan.unrelated"])


def test_dropped_rows_file_lists_every_row_and_a_clean_run_removes_it(tmp_path):
    rows = [BadRow(n, "=bad" if n == 2 else "duplicate school id", "fix", "t.csv") for n in range(2, 5002)]
    path = write_bad_rows(rows, tmp_path)
    listed = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert len(listed) == 5000 and listed["problem"][0] == "'=bad" and list(listed.columns) == ["source", "row", "problem", "fix"]
    assert write_bad_rows([], tmp_path) is None and not (tmp_path / BAD_ROWS_FILE).exists()
