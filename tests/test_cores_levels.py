"""Choosing cores, per-level plans, the rules file and territory neighbours."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from gis.errors import InputError
from partition.cores import choose_cores, quality_index
from partition.levels import NINE_YEAR_SHARE, schools_for_level
from partition.rulesfile import read_rules_file
from partition.territory import school_neighbours


def test_quality_index_ranks_by_mean_z_score():
    schools = pd.DataFrame({"backbone_teachers_per100": [1.0, 2.0, 3.0], "equipment_value_per_student": [3000.0, 2000.0, np.nan]})
    q = quality_index(schools)
    # column z-scores: [-1.22, 0, 1.22] and [1.22, -1.22, 0] (the missing value counts as the mean)
    z = np.sqrt(1.5)
    assert q == pytest.approx([(-z + z) / 2, (0 - z) / 2, (z + 0) / 2], abs=1e-6)


def brute_force_cores(minutes, students, k, limit, pinned=()):
    cost = np.where(minutes <= limit, minutes, 1000.0)
    best = None
    for chosen in itertools.combinations(range(len(students)), k):
        if set(pinned) <= set(chosen):
            total = students @ cost[:, list(chosen)].min(axis=1)
            best = total if best is None or total < best else best
    return best


@pytest.mark.parametrize("seed", range(4))
def test_choose_cores_is_near_the_p_median_optimum(seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 40, (12, 2))
    minutes = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(minutes, 0)
    schools = pd.DataFrame({"enrollment": rng.integers(100, 1000, 12)})
    mask = choose_cores(schools, minutes, 3, max_minutes=20, pinned=(5,))
    assert mask.sum() == 3 and mask[5]
    cost = np.where(minutes <= 20, minutes, 1000.0)
    total = schools["enrollment"].to_numpy() @ cost[:, mask].min(axis=1)
    assert total <= 1.05 * brute_force_cores(minutes, schools["enrollment"].to_numpy(), 3, 20, pinned=(5,))


def test_choose_cores_prefers_quality_among_candidates():
    # four schools at one place: coverage is equal, so the strongest (by indicators) is chosen
    minutes = np.zeros((4, 4))
    schools = pd.DataFrame({"enrollment": [100] * 4, "backbone_teachers_per100": [0.5, 3.0, 1.0, 2.0]})
    assert list(np.flatnonzero(choose_cores(schools, minutes, 1, max_minutes=30))) == [1]


def test_nine_year_school_is_split_between_the_plans():
    schools = pd.DataFrame({"school_id": ["p", "j", "n", "m"], "level": ["primary", "junior", "nine_year", "nine_year"],
                            "enrollment": [500, 600, 900, 450], "enrollment_primary": [np.nan, np.nan, np.nan, 400]})
    primary = schools_for_level(schools, "primary").set_index("school_id")["enrollment"]
    junior = schools_for_level(schools, "junior").set_index("school_id")["enrollment"]
    assert dict(primary) == {"p": 500, "n": round(900 * NINE_YEAR_SHARE["primary"]), "m": 400}
    assert dict(junior) == {"j": 600, "n": round(900 * NINE_YEAR_SHARE["junior"]), "m": 150}
    assert len(schools_for_level(schools, "all")) == 4


def test_rules_file(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text('fixed: {"a": "c1"}\ntogether: [[a, b]]\napart: [[b, d]]\ncores: [c2]\n', encoding="utf-8")
    locks = read_rules_file(path)
    assert locks.fixed == (("a", "c1"),) and locks.together == (("a", "b"),)
    assert locks.apart == (("b", "d"),) and locks.cores == ("c2",)
    path.write_text("together: [a, b]\n", encoding="utf-8")
    with pytest.raises(InputError, match="list of pairs"):
        read_rules_file(path)
    path.write_text("fixed: {a: [\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        read_rules_file(path)
    path.write_text("colour: red\n", encoding="utf-8")
    with pytest.raises(InputError, match="keys among"):
        read_rules_file(path)


def test_school_neighbours_from_roads_crossing_territories():
    # a path of road nodes 0-1-2-3-4 labelled a a b b c, and node 5 (school c) joined to 4
    node_school = np.array([0, 0, 1, 1, 2, 2])
    u = np.array([0, 1, 2, 3, 4, 1, 2, 3, 4, 5])
    v = np.array([1, 2, 3, 4, 5, 0, 1, 2, 3, 4])
    assert school_neighbours(node_school, u, v, 4) == ((1,), (0, 2), (1,), ())
