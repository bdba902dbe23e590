"""Tests of the demo county generator (``data/demo.py`` and ``data/generator/``) at scale 1."""

from __future__ import annotations

import codecs
import json
import math
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pandas as pd
import pytest
import scipy.sparse
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

from data.demo import (
    DEMO_SEED,
    GENERATOR_VERSION,
    NOTE_TAG,
    STAMP_FILENAME,
    DemoFiles,
    demo_dir,
    ensure_demo,
    generate_demo,
)
from gis.admin import read_admin_areas
from gis.schema import AREA_LABELS_ZH, INDICATORS, LEVEL_LABELS_ZH, TABLE_HEADERS_ZH
from gis.settings import HIGHWAY_SPEEDS_KPH
from partition.standards import FLOORS

PROJECTED_CRS = "EPSG:32650"
ROAD_CLASSES = {"trunk", "primary", "secondary", "tertiary", "unclassified", "residential"}
TRAVEL_LIMIT_MIN = 30.0
MAX_SCHOOL_TO_ROAD_M = 310.0  # 300 m offset plus rounding


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return generate_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def schools(demo: DemoFiles) -> pd.DataFrame:
    table = pd.read_csv(demo.schools, encoding="utf-8-sig", dtype={TABLE_HEADERS_ZH["school_id"]: str})
    return table.rename(columns={zh: name for name, zh in TABLE_HEADERS_ZH.items()})


def _to_metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    x, y = Transformer.from_crs("EPSG:4326", PROJECTED_CRS, always_xy=True).transform(lon, lat)
    return np.column_stack([x, y])


@pytest.fixture(scope="module")
def boundaries(demo: DemoFiles) -> dict[str, dict[str, shapely.Geometry]]:
    """Assembled ``boundary`` relations by admin_level and name, in metres."""
    factory = osmium.geom.WKBFactory()
    areas: dict[str, dict[str, shapely.Geometry]] = {}
    for obj in osmium.FileProcessor(str(demo.osm)).with_areas():
        if obj.is_area() and not obj.from_way() and "admin_level" in obj.tags:
            geometry = shapely.from_wkb(factory.create_multipolygon(obj))
            projected = shapely.transform(geometry, lambda xy: _to_metres(xy[:, 0], xy[:, 1]))
            areas.setdefault(obj.tags["admin_level"], {})[obj.tags["name"]] = projected
    return areas


@pytest.fixture(scope="module")
def roads(demo: DemoFiles) -> nx.MultiDiGraph:
    """The drivable graph: osmnx reads every way, so keep the edges of highway ways."""
    graph = ox.graph_from_xml(demo.osm, simplify=False, retain_all=True)
    highway_edges = [(u, v, k) for u, v, k, data in graph.edges(keys=True, data=True) if "highway" in data]
    return graph.edge_subgraph(highway_edges).copy()


def test_same_seed_gives_identical_files(demo: DemoFiles, tmp_path: Path) -> None:
    again = generate_demo(tmp_path / "again", seed=DEMO_SEED)
    assert again.osm.read_bytes() == demo.osm.read_bytes()
    assert again.schools.read_bytes() == demo.schools.read_bytes()


def test_other_seed_gives_other_files(demo: DemoFiles, tmp_path: Path) -> None:
    other = generate_demo(tmp_path / "other", seed=DEMO_SEED + 1)
    assert other.osm.read_bytes() != demo.osm.read_bytes()
    assert other.schools.read_bytes() != demo.schools.read_bytes()


def test_no_temporary_files_left(demo: DemoFiles) -> None:
    assert sorted(p.name for p in demo.osm.parent.iterdir()) == sorted([demo.osm.name, demo.schools.name])


def test_school_table_headers_and_encoding(demo: DemoFiles) -> None:
    assert demo.schools.read_bytes().startswith(codecs.BOM_UTF8)
    table = pd.read_csv(demo.schools, encoding="utf-8-sig")
    assert list(table.columns) == list(TABLE_HEADERS_ZH.values())


def test_school_counts_and_ranges(schools: pd.DataFrame) -> None:
    assert 100 <= len(schools) <= 150
    assert schools.enrollment.between(30, 3000).all()
    assert schools.school_id.str.fullmatch(r"\d{10}").all()
    assert schools.school_id.is_unique
    assert schools.name.is_unique
    assert set(schools.level) == {LEVEL_LABELS_ZH[level] for level in ("primary", "junior", "nine_year")}
    assert set(schools.area_type) == set(AREA_LABELS_ZH.values())
    assert set(schools.is_core) == {"是", "否"}
    assert 0.15 <= (schools.is_core == "是").mean() <= 0.25
    assert schools.classes.ge(1).all()
    assert schools.teachers.ge(schools.classes).all()
    ratio = schools.enrollment / schools.teachers
    assert ratio.le(20).all()
    assert ratio[schools.enrollment >= 200].between(11, 20).all()  # tiny village schools have fewer


def test_enrollment_follows_settlement_size(schools: pd.DataFrame) -> None:
    by_area = schools.groupby("area_type").enrollment
    assert by_area.min()[AREA_LABELS_ZH["urban"]] >= 1000
    assert by_area.max()[AREA_LABELS_ZH["rural"]] <= 400
    assert by_area.median()[AREA_LABELS_ZH["urban"]] > by_area.median()[AREA_LABELS_ZH["town"]]
    assert by_area.median()[AREA_LABELS_ZH["town"]] > by_area.median()[AREA_LABELS_ZH["rural"]]


def test_quality_schools_are_urban_or_town_centres(schools: pd.DataFrame) -> None:
    cores = schools[schools.is_core == "是"]
    assert set(cores.area_type) <= {AREA_LABELS_ZH["urban"], AREA_LABELS_ZH["town"]}
    assert set(cores.category) <= {"示范", "特色"}
    assert set(schools[schools.is_core == "否"].category) == {"基础"}
    towns = schools[schools.area_type == AREA_LABELS_ZH["town"]].township.unique()
    big_towns = [t for t in towns if (schools.township == t).sum() >= 6]
    assert all((cores.township == town).any() for town in big_towns)


def _weighted_cv(values: pd.Series, weights: pd.Series) -> float:
    mean = np.average(values, weights=weights)
    return math.sqrt(np.average((values - mean) ** 2, weights=weights)) / mean


def test_indicators_are_realistic(schools: pd.DataFrame) -> None:
    for indicator in INDICATORS:
        assert 0.15 <= _weighted_cv(schools[indicator], schools.enrollment) <= 0.75, indicator
    urban = schools[schools.area_type == AREA_LABELS_ZH["urban"]]
    rural = schools[schools.area_type == AREA_LABELS_ZH["rural"]]
    assert urban.backbone_teachers_per100.median() > rural.backbone_teachers_per100.median()
    assert urban.equipment_value_per_student.median() > rural.equipment_value_per_student.median()
    primary_floors = FLOORS["primary"]
    rural_primary = rural[rural.level == LEVEL_LABELS_ZH["primary"]]
    urban_primary = urban[urban.level == LEVEL_LABELS_ZH["primary"]]
    below = {name: rural_primary[name] < floor for name, floor in primary_floors.items()}
    assert pd.DataFrame(below).sum(axis=1).mean() >= 1  # villages miss some floors
    met = {name: urban_primary[name] >= floor for name, floor in primary_floors.items()}
    assert pd.DataFrame(met).sum(axis=1).mean() >= 5  # the town meets most


def test_county_area(boundaries: dict[str, dict[str, shapely.Geometry]]) -> None:
    (county,) = boundaries["6"].values()
    assert 2000e6 <= county.area <= 2500e6


def test_townships_and_subdistricts_tile_the_county(boundaries: dict[str, dict[str, shapely.Geometry]]) -> None:
    (county,) = boundaries["6"].values()
    units = list(boundaries["8"].values())
    assert len(units) >= 15
    union = shapely.union_all(units)
    assert abs(union.area - county.area) <= 0.01 * county.area
    assert county.symmetric_difference(union).area <= 0.01 * county.area
    assert sum(unit.area for unit in units) - union.area <= 0.01 * county.area
    assert sum(name.endswith("街道") for name in boundaries["8"]) >= 3


def test_schools_lie_in_their_township(
    schools: pd.DataFrame, boundaries: dict[str, dict[str, shapely.Geometry]]
) -> None:
    (county,) = boundaries["6"].values()
    points = shapely.points(_to_metres(schools.lon.to_numpy(), schools.lat.to_numpy()))
    assert shapely.within(points, county).all()
    units = boundaries["8"]
    assert all(units[town].contains(point) for town, point in zip(schools.township, points, strict=True))


def test_boundary_areas_are_the_named_relations_only(demo: DemoFiles) -> None:
    areas = read_admin_areas(demo.osm)
    assert areas["name"].str.len().gt(0).all()
    assert areas["name"].is_unique
    assert list(areas["admin_level"]).count(6) == 1


def test_osm_loads_with_osmium(demo: DemoFiles) -> None:
    counts = {"n": 0, "w": 0, "r": 0}
    for obj in osmium.FileProcessor(str(demo.osm)):
        counts[obj.type_str()] += 1
        if obj.type_str() != "n":
            assert obj.tags.get("note") == NOTE_TAG
    assert counts["n"] > 5000 and counts["w"] > 500 and counts["r"] >= 16


def test_road_graph_is_strongly_connected(roads: nx.MultiDiGraph) -> None:
    assert len(roads) > 5000
    assert nx.is_strongly_connected(roads)


def test_road_graph_has_all_classes_oneway_and_maxspeed(roads: nx.MultiDiGraph) -> None:
    edges = [data for _, _, data in roads.edges(data=True)]
    assert {data["highway"] for data in edges} >= ROAD_CLASSES
    assert any(data.get("oneway") for data in edges)
    assert {data["maxspeed"] for data in edges if "maxspeed" in data} >= {"30", "50", "60", "80"}


def _travel_minutes(roads: nx.MultiDiGraph) -> tuple[scipy.sparse.csr_matrix, list[int]]:
    nodes = list(roads.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    rows, cols, minutes = [], [], []
    for u, v, data in roads.edges(data=True):
        speed = float(data["maxspeed"]) if "maxspeed" in data else HIGHWAY_SPEEDS_KPH[data["highway"]]
        rows.append(index[u])
        cols.append(index[v])
        minutes.append(data["length"] / 1000 / speed * 60)
    return scipy.sparse.csr_matrix((minutes, (rows, cols)), shape=(len(nodes), len(nodes))), nodes


def test_every_school_is_near_the_road_and_a_core(schools: pd.DataFrame, roads: nx.MultiDiGraph) -> None:
    matrix, nodes = _travel_minutes(roads)
    node_xy = _to_metres(np.array([roads.nodes[n]["x"] for n in nodes]), np.array([roads.nodes[n]["y"] for n in nodes]))
    school_xy = _to_metres(schools.lon.to_numpy(), schools.lat.to_numpy())
    gaps = np.hypot(*(school_xy[:, None, :] - node_xy[None, :, :]).transpose(2, 0, 1))
    assert gaps.min(axis=1).max() <= MAX_SCHOOL_TO_ROAD_M
    snapped = gaps.argmin(axis=1)
    cores = snapped[(schools.is_core == "是").to_numpy()]
    from_core = dijkstra(matrix, indices=cores)[:, snapped]
    to_core = dijkstra(matrix.T.tocsr(), indices=cores)[:, snapped]
    round_trip = np.maximum(from_core, to_core).min(axis=0)
    assert round_trip.max() <= TRAVEL_LIMIT_MIN


def test_ensure_demo_generates_once(tmp_path: Path) -> None:
    files = ensure_demo(tmp_path)
    stamp = json.loads((tmp_path / STAMP_FILENAME).read_text(encoding="utf-8"))
    assert stamp | {"source_sha256": ""} == {
        "generator_version": GENERATOR_VERSION,
        "source_sha256": "",
        "seed": DEMO_SEED,
        "scale": 1.0,
    }
    made = files.osm.stat().st_mtime_ns
    assert ensure_demo(tmp_path) == files
    assert files.osm.stat().st_mtime_ns == made


def test_ensure_demo_regenerates_stale_or_missing_files(tmp_path: Path) -> None:
    files = ensure_demo(tmp_path)
    expected = files.schools.read_bytes()
    files.schools.write_text("stale", encoding="utf-8")
    (tmp_path / STAMP_FILENAME).write_text(json.dumps({"generator_version": "0"}), encoding="utf-8")
    ensure_demo(tmp_path)
    assert files.schools.read_bytes() == expected
    files.osm.unlink()
    assert ensure_demo(tmp_path).osm.exists()


def test_demo_goes_to_the_user_cache_where_the_package_cannot_hold_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert demo_dir(tmp_path / "package" / "demo") == tmp_path / "package" / "demo"
    (tmp_path / "file").write_text("", encoding="utf-8")  # no folder can be made inside a file, not even by root
    assert demo_dir(tmp_path / "file" / "demo") == tmp_path / "cache" / "xuequ" / "demo"


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), 0.1])
def test_rejects_bad_scale(tmp_path: Path, scale: float) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate_demo(tmp_path, scale=scale)
