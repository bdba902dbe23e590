"""Balance metrics: the official enrollment-weighted 差异系数 and the per-学区 summary."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from partition.metrics import between_district_cv, district_summary, indicator_cv_table, weighted_cv


def test_weighted_cv_by_hand():
    # values 2 and 4 with enrollments 100 and 300: mean = 3.5, S = sqrt((100*2.25 + 300*0.25)/400) = sqrt(0.75)
    assert weighted_cv(np.array([2.0, 4.0]), np.array([100, 300])) == pytest.approx(math.sqrt(0.75) / 3.5)


def test_weighted_cv_ignores_missing_values_and_equal_values_give_zero():
    assert weighted_cv(np.array([5.0, np.nan, 5.0]), np.array([1, 9, 3])) == 0.0
    assert math.isnan(weighted_cv(np.array([np.nan]), np.array([1])))


def test_indicator_cv_counts_nine_year_schools_in_both_levels():
    schools = pd.DataFrame(
        {"level": ["primary", "junior", "nine_year"], "enrollment": [100, 100, 100],
         "equipment_value_per_student": [1000.0, 3000.0, 2000.0]}
    )
    both = indicator_cv_table(schools)
    table = both[both["standard"] == "quality_2017"].set_index("level")
    assert table.loc["primary", "cv"] == pytest.approx(weighted_cv(np.array([1000.0, 2000.0]), np.array([100, 100])))
    assert table.loc["junior", "cv"] == pytest.approx(weighted_cv(np.array([3000.0, 2000.0]), np.array([100, 100])))
    assert table.loc["primary", "limit"] == 0.50 and table.loc["junior", "limit"] == 0.45
    assert bool(table.loc["primary", "meets"]) is True
    # the indicator is one of the 2012 standard's too: the same CV against that standard's limits
    basic = both[both["standard"] == "basic_2012"].set_index("level")
    assert basic["cv"].to_dict() == table["cv"].to_dict()
    assert basic.loc["primary", "limit"] == 0.65 and basic.loc["junior", "limit"] == 0.55


def test_district_summary():
    schools = pd.DataFrame(
        {
            "district": ["D01", "D01", "D01", "D02", "D02", ""],
            "is_core": [True, False, False, True, False, False],
            "enrollment": [1000, 200, 300, 900, 100, 50],
            "minutes_to_core": [0.0, 10.0, 20.0, 0.0, 5.0, np.nan],
            "minutes_from_core": [0.0, 12.0, 18.0, 0.0, 5.0, np.nan],
            "area_type": ["urban", "rural", "town", "urban", "rural", "rural"],
        }
    )
    summary = district_summary(schools).set_index("district")
    assert summary.loc["D01", "enrollment"] == 1500 and summary.loc["D02", "enrollment"] == 1000
    assert summary.loc["D01", "deviation"] == pytest.approx(0.2)
    assert summary.loc["D01", "n_members"] == 2 and summary.loc["D02", "n_schools"] == 2
    # trips count the longer direction: 12 (from the core) and 20 (to it)
    assert summary.loc["D01", "max_minutes"] == 20.0 and summary.loc["D01", "mean_minutes"] == 16.0
    assert (summary.loc["D01", ["n_urban", "n_town", "n_rural"]] == [1, 1, 1]).all()


def test_between_district_cv_of_district_means():
    schools = pd.DataFrame(
        {"district": ["D01", "D01", "D02"], "level": ["primary"] * 3, "enrollment": [100, 300, 200],
         "equipment_value_per_student": [1000.0, 3000.0, 2000.0]}
    )
    table = between_district_cv(schools)
    row = table[(table["level"] == "primary") & (table["indicator"] == "equipment_value_per_student")].iloc[0]
    # D01 mean = (100*1000 + 300*3000) / 400 = 2500 (400 students); D02 = 2000 (200 students)
    assert row["cv"] == pytest.approx(weighted_cv(np.array([2500.0, 2000.0]), np.array([400, 200])))


def test_district_costs():
    from partition.metrics import district_costs

    schools = pd.DataFrame({"district": ["D01", "D01", ""], "is_core": [True, False, False],
                            "area_type": ["urban", "rural", "rural"], "teachers": [100, 20, 10]})
    costs = district_costs(schools).set_index("district")
    assert costs.loc["D01", "exchange_teachers"] == pytest.approx(100 * 0.05 + 20 * 0.03)
    assert costs.loc["D01", "fund_yuan"] == 6000 + 4000 and list(costs.index) == ["D01"]
