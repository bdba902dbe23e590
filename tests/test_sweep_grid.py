"""Sweeps and batches without a cluster: the grid of rules, comma lists on the command line, the
Pareto choices, and the listing of counties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import app
from batch import County, pareto_efficient, read_counties, rule_grid
from batch.grid import format_value
from gis.errors import InputError
from gis.inputs import CountyFiles
from partition.rules import DEFAULT_MAX_MINUTES, RuleError, Rules


def test_rule_grid_is_every_combination_first_rule_slowest():
    cells = rule_grid({"max_minutes": [20, 25, 30, 40], "balance": [0.15, 0.25, 0.5], "members": [(2, 6)]})
    assert len(cells) == 12
    assert [(c.rules.max_minutes, c.rules.balance) for c in cells[:4]] == [(20, 0.15), (20, 0.25), (20, 0.5), (25, 0.15)]
    assert all(c.rules.members == (2, 6) for c in cells)
    assert cells[0].folder == "max-minutes-20_balance-0.15"  # only the swept rules name the folder
    assert cells[0].labels() == {"max_minutes": "20", "balance": "0.15"}
    assert len({c.folder for c in cells}) == 12


def test_rule_grid_counts_a_repeated_value_once_and_keeps_the_base_rules():
    cells = rule_grid({"max_minutes": [25, 25.0, 30]}, Rules(keep_township=True, members=(1, 4)))
    assert [c.rules.max_minutes for c in cells] == [25, 30]
    assert all(c.rules.keep_township and c.rules.members == (1, 4) for c in cells)


def test_rule_grid_checks_every_value_through_rules():
    with pytest.raises(RuleError) as caught:
        rule_grid({"max_minutes": [20, -5], "balance": [0.2]})
    assert caught.value.field == "max_minutes"
    with pytest.raises(ValueError, match="cannot sweep"):
        rule_grid({"seed": [1, 2]})


@pytest.mark.parametrize(("value", "text"), [(25.0, "25"), (0.15, "0.15"), ((2, 6), "2-6"), (("x", 0.2), "x:0.2"), (None, "off"),
                                             ("given", "given"), (24, "24")])
def test_format_value_writes_values_as_the_command_line_takes_them(value, text):
    assert format_value(value) == text


def test_comma_lists_in_rule_options_make_the_cells():
    args = app.build_parser().parse_args(["demo", "--max-minutes", "20,25", "--balance", "0.2", "--level", "all,primary",
                                          "--members", "2-6,3-5", "--objective", "sum"])
    cells = app.cells_from_args(args)
    assert len(cells) == 8
    assert {c.rules.level for c in cells} == {"all", "primary"} and {c.rules.members for c in cells} == {(2, 6), (3, 5)}
    assert cells[0].folder == "max-minutes-20_members-2-6_level-all"
    single = app.cells_from_args(app.build_parser().parse_args(["demo"]))
    assert len(single) == 1 and single[0].rules.max_minutes == DEFAULT_MAX_MINUTES and single[0].values == ()


@pytest.mark.parametrize(("options", "named"), [
    (["--max-minutes", "25,-5"], "--max-minutes"), (["--balance", "0.2,nan"], "--balance"), (["--members", "2-6,5-3"], "--members"),
    (["--plan", "proposal.csv", "--max-minutes", "20,30"], "--plan"), (["--workers", "0", "--balance", "0.2,0.3"], "--workers"),
])
def test_a_bad_value_in_a_list_names_its_option_and_writes_nothing(tmp_path, capsys, options, named):
    out = tmp_path / "out"
    assert app.main(["demo", "--out", str(out), *options]) == 2
    assert named in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("options", [["--balance", "0.1,,0.2"], ["--max-minutes", "20,abc"], ["--level", "all,middle"]])
def test_a_malformed_list_is_refused_by_the_parser(options, capsys):
    with pytest.raises(SystemExit) as caught:
        app.build_parser().parse_args(["demo", *options])
    assert caught.value.code == 2 and options[0] in capsys.readouterr().err


def test_batch_refuses_swept_rules(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    assert app.main(["batch", str(tmp_path), "--out", str(tmp_path / "out"), "--max-minutes", "20,30"]) == 2
    assert "one value per rule option" in capsys.readouterr().err


def test_pareto_efficient_keeps_the_choices_nothing_beats():
    table = pd.DataFrame({
        "status": ["optimal", "optimal", "feasible", "infeasible", "optimal", "optimal"],
        "student_minutes": [100.0, 90.0, 120.0, np.nan, 90.0, 100.0],
        "longest_trip_min": [20.0, 25.0, 19.0, np.nan, 25.0, 21.0],
        "max_deviation": [0.2, 0.2, 0.3, np.nan, 0.2, 0.2],
    })
    # row 5 is beaten by row 0 (same minutes and balance, longer trip); rows 1 and 4 tie, both stay
    assert pareto_efficient(table).tolist() == [True, True, True, False, True, False]


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x", encoding="utf-8")
    return path


def test_read_counties_of_a_folder(tmp_path):
    osm = _touch(tmp_path / "甲县" / "roads.osm.pbf")
    table = _touch(tmp_path / "甲县" / "schools.xlsx")
    rules = _touch(tmp_path / "甲县" / "rules.yaml")
    _touch(tmp_path / "乙县" / "schools.csv")  # no OSM file
    _touch(tmp_path / "丙县" / "a.osm")
    _touch(tmp_path / "丙县" / "b.osm")  # two
    _touch(tmp_path / "notes.txt")  # not a county
    counties = {c.name: c for c in read_counties(tmp_path, defaults=CountyFiles(osm=Path(), network_type="walk"))}
    assert set(counties) == {"甲县", "乙县", "丙县"}
    jia = counties["甲县"]
    assert jia.problem is None and jia.files.osm == osm and jia.files.schools == table and jia.rules_file == rules
    assert jia.files.network_type == "walk"
    assert "no OSM file" in counties["乙县"].problem and "several OSM files" in counties["丙县"].problem


def test_read_counties_of_a_listing(tmp_path):
    listing = tmp_path / "counties.yaml"
    listing.write_text("counties:\n  - {name: 甲县, osm: a/roads.osm, schools: a/schools.csv, coords: gcj02}\n"
                       "  - {name: 乙县, osm: /data/b.osm.pbf, rules: b/rules.yaml}\n", encoding="utf-8")
    jia, yi = read_counties(listing)
    assert jia.files.osm == tmp_path / "a/roads.osm" and jia.files.schools == tmp_path / "a/schools.csv"
    assert jia.files.coords == "gcj02" and jia.rules_file is None
    assert yi.files.osm == Path("/data/b.osm.pbf") and yi.files.schools is None and yi.rules_file == tmp_path / "b/rules.yaml"


@pytest.mark.parametrize(("text", "message"), [
    ("counties: [", "not valid YAML"),
    ("counties:\n  - {osm: a.osm}\n", "each with a 'name'"),
    ("counties:\n  - {name: a, osm: a.osm, size: 3}\n", "unknown key"),
    ("counties:\n  - {name: a, osm: a.osm}\n  - {name: a, osm: b.osm}\n", "share the name"),
])
def test_a_bad_listing_is_refused(tmp_path, text, message):
    listing = tmp_path / "counties.yaml"
    listing.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_counties(listing)


def test_an_empty_folder_lists_no_county(tmp_path):
    with pytest.raises(InputError, match="no county"):
        read_counties(tmp_path)


def test_a_county_folder_name_is_safe_on_disk():
    assert County('a/b:c*"d', None).folder == "a_b_c__d"
    assert County("..", None).folder == "county"
