"""Properties: whatever a user gives, the tool answers with a value or one clear message, never a traceback.

Hypothesis draws option values, table cells, raw table bytes and rules-file contents; each must end in a
usable result (which keeps the invariants the later stages rely on) or in :class:`InputError`.
"""

from __future__ import annotations

import contextlib
import io
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import app
from gis.errors import InputError
from gis.schema import MAX_ENROLLMENT
from gis.schools import read_school_table
from partition.ruleoptions import MAX_WHOLE
from partition.rules import Locks
from partition.rulesfile import read_rules_file

pytestmark = pytest.mark.filterwarnings("ignore::gis.badrows.BadRowsWarning")
PROPERTY = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
NUMERIC_OPTIONS = ("--max-minutes", "--balance", "--time-limit", "--seed", "--min-rural", "--jobs", "--members", "--cores",
                   "--indicator-band")
#: Cell values a careless or hostile table holds, besides arbitrary text.
NASTY = ("", " ", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "99999999999999999999", "-5", "0", "1.5",
         "=1+1", "+1", "@SUM(A1)", "[/]", "是", "否", "小学", "初中", "九年一贯制", "117.57", "36.09", "None", "null")
HEADERS = ("学校标识码", "学校名称", "学段", "在校生数", "班级数", "经度", "纬度", "是否优质", "生均教学仪器设备值")
cells = st.one_of(st.sampled_from(NASTY), st.text(max_size=6))


@pytest.fixture(scope="module")
def taken(tmp_path_factory):
    """A file where --out points, so every run stops right after its options are read."""
    path = tmp_path_factory.mktemp("taken") / "file"
    path.write_text("mine", encoding="utf-8")
    return str(path)


@PROPERTY
@given(option=st.sampled_from(NUMERIC_OPTIONS), value=st.one_of(st.sampled_from(NASTY), st.text(max_size=12)))
def test_any_option_value_is_parsed_in_range_or_refused_by_name(taken, option, value):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = app.main(["demo", "--out", taken, f"{option}={value}"])
    assert code == 2 and "Traceback" not in err.getvalue()
    if f"argument {option}:" in err.getvalue():
        return
    assert "is a file" in err.getvalue()  # accepted: only the output folder stopped it
    parsed = vars(app.build_parser().parse_args(["demo", f"{option}={value}"]))[option[2:].replace("-", "_")]
    numbers = [parsed] if isinstance(parsed, (int, float)) else [x for x in np.ravel(parsed) if not isinstance(x, str)]
    assert all(math.isfinite(float(x)) and 0 <= float(x) <= MAX_WHOLE for x in numbers)


def _check_schools(schools) -> None:
    """What the later stages rely on in a school table."""
    assert schools["enrollment"].dtype == np.int64 and schools["enrollment"].between(0, MAX_ENROLLMENT).all()
    assert schools["is_core"].dtype == bool and schools["school_id"].is_unique
    assert np.isfinite(schools.geometry.x).all() and schools.geometry.x.between(-180, 180).all()
    assert schools.geometry.y.between(-90, 90).all()


@PROPERTY
@given(rows=st.lists(st.tuples(*[cells] * len(HEADERS)), min_size=1, max_size=6),
       sep=st.sampled_from([",", ";", "\t"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gb18030"]))
def test_any_table_cells_give_usable_schools_or_one_message(tmp_path, rows, sep, encoding):
    path = tmp_path / "schools.csv"
    path.write_bytes(pd.DataFrame(rows, columns=HEADERS).to_csv(index=False, sep=sep).encode(encoding, errors="replace"))
    try:
        schools = read_school_table(path)
    except InputError:
        return
    _check_schools(schools)


@PROPERTY
@given(content=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".geojson", ".gpkg", ".txt"]))
def test_any_bytes_as_a_table_give_schools_or_one_message(tmp_path, content, suffix):
    path = tmp_path / f"schools{suffix}"
    path.write_bytes(content)
    try:
        schools = read_school_table(path)
    except InputError:
        return
    _check_schools(schools)


yaml_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
                                     st.sampled_from(["a", "b", "c", "fixed", "cores"])),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3),
                           max_leaves=8)
rules_content = st.one_of(yaml_values, st.dictionaries(st.sampled_from(["fixed", "together", "apart", "cores"]), yaml_values, max_size=4))


@PROPERTY
@given(content=rules_content)
def test_any_rules_file_gives_rules_or_one_message(tmp_path, content):
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    try:
        locks = read_rules_file(path)
    except InputError:
        return
    assert isinstance(locks, Locks)
    assert all(isinstance(i, str) and i for i in locks.school_ids())
    assert all(a != b for a, b in (*locks.together, *locks.apart))


@PROPERTY
@given(text=st.text(max_size=60))
def test_any_rules_text_gives_rules_or_one_message(tmp_path, text):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        read_rules_file(path)
    except InputError:
        pass
