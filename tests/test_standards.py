"""Both balance standards: the 2017 优质均衡 seven and the 2012 基本均衡 eight, each judged per level."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from osm_fixtures import BASIC_VALUES, write_small_county

import gis
import maps
import partition
from gis.schema import BASIC_INDICATOR_LABELS_ZH, BASIC_INDICATORS, INDICATOR_LABELS_ZH, INDICATORS
from partition.metrics import indicator_cv_table, standard_verdicts, weighted_cv
from partition.standards import BASIC_BALANCE, QUALITY_BALANCE


def plan_county(folder, **options):
    osm, table = write_small_county(folder, **options)
    return partition.plan_districts(gis.read_school_table(table), gis.read_road_network(osm))


@pytest.fixture(scope="module")
def basic(tmp_path_factory):
    """The small county whose table carries the 2012 indicators (and so four of the 2017 ones)."""
    return plan_county(tmp_path_factory.mktemp("basic"), basic_indicators=True)


def test_the_2012_headers_are_read(tmp_path):
    _, table = write_small_county(tmp_path, basic_indicators=True)
    schools = gis.read_school_table(table).set_index("school_id")
    assert set(BASIC_INDICATORS) <= set(schools.columns)
    assert schools.loc["c0", "books_per_student"] == 600 and schools.loc["c0m1", "computers_per100"] == 12
    assert schools.loc["c0", "teacher_student_ratio"] == pytest.approx(1 / 12)  # 师生比 1:12
    # 生均高于规定学历教师数 (2012) is the 2017 standard's count of teachers above the required degree
    assert schools.loc["c0", "senior_degree_teachers_per100"] == 8


def test_a_2012_table_is_judged_against_0_65(basic):
    table = basic.cv_table
    basic_rows = table[table["standard"] == BASIC_BALANCE.key].set_index("indicator")
    assert list(basic_rows.index) == list(BASIC_INDICATORS) and set(basic_rows["level"]) == {"primary"}
    assert (basic_rows["limit"] == 0.65).all()
    # the CV is the enrollment-weighted one: five cores of 300 students, ten members of 200
    books = weighted_cv(np.array([600.0] * 5 + [30.0] * 10), np.array([300] * 5 + [200] * 10))
    assert basic_rows.loc["books_per_student", "cv"] == pytest.approx(books) and books > 0.65
    verdicts = basic.standards.set_index("standard")
    assert verdicts.loc[BASIC_BALANCE.key, "verdict"] == "fail"
    assert verdicts.loc[BASIC_BALANCE.key, "failing"] == ("books_per_student",)
    assert verdicts.loc[BASIC_BALANCE.key, "missing"] == ()


def test_missing_indicators_are_named_not_counted_as_zero(basic):
    quality = basic.standards.set_index("standard").loc[QUALITY_BALANCE.key]
    missing = tuple(i for i in INDICATORS if i not in BASIC_INDICATORS)
    assert quality["missing"] == missing and quality["verdict"] == "incomplete"
    assert len(quality["measured"]) == len(INDICATORS) - len(missing)
    report = maps.plan_report(basic)
    section = report.split(f'id="standard-{QUALITY_BALANCE.key}"')[1].split("</table>")[0]
    for indicator in missing:
        assert f"{INDICATOR_LABELS_ZH[indicator]}</td><td class=\"missing\" colspan=\"2\">— not in the table" in section
    assert "无法判定 incomplete: 3 of 7 indicators not in the table" in section


def test_the_report_prints_the_2012_table_with_its_limit(basic):
    report = maps.plan_report(basic)
    assert BASIC_BALANCE.document in report
    section = report.split(f'id="standard-{BASIC_BALANCE.key}"')[1].split("</table>")[0]
    assert "小学 schools (≤ 0.65)" in section
    for label in BASIC_INDICATOR_LABELS_ZH.values():
        assert label in section
    assert '<td class="fail">' in section.split(BASIC_INDICATOR_LABELS_ZH["books_per_student"])[1].split("</tr>")[0]
    assert "未达标 fail: 1 over the limit" in section


def test_junior_schools_are_judged_against_0_55():
    schools = pd.DataFrame({"level": ["junior", "junior"], "enrollment": [100, 100], "books_per_student": [10.0, 40.0]})
    table = indicator_cv_table(schools)
    assert table[["standard", "level", "limit"]].values.tolist() == [["basic_2012", "junior", 0.55]]
    verdict = standard_verdicts(table).iloc[0]
    assert verdict["verdict"] == "fail" and len(verdict["missing"]) == len(BASIC_INDICATORS) - 1


def test_a_table_with_neither_standard_says_so(tmp_path):
    result = plan_county(tmp_path)
    assert result.cv_table.empty and result.standards.empty
    report = maps.plan_report(result)
    assert 'id="no-standard"' in report and "none of the indicators of either standard" in report
    for header in (*INDICATOR_LABELS_ZH.values(), *BASIC_VALUES):
        assert header in report  # it names the columns to add
