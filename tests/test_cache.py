"""The on-disk road cache: hits give the same network, changes miss, damage is rebuilt, None writes nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gis import cache
from gis.network import NETWORK_VERSION, RoadNetwork, read_road_network
from tests.osm_fixtures import write_osm

NODES = {1: (117.000, 36.000), 2: (117.010, 36.000), 3: (117.020, 36.000), 4: (117.010, 36.010), 5: (117.015, 36.005)}
WAYS = [
    (10, [1, 2, 3], {"highway": "primary", "maxspeed": "60"}),
    (11, [2, 5, 4], {"highway": "residential", "oneway": "yes"}),
    (12, [4, 1], {"highway": "unclassified"}),
]


@pytest.fixture
def osm(tmp_path: Path) -> Path:
    return write_osm(tmp_path / "roads.osm", NODES, WAYS)


def cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{cache.CACHE_SUFFIX}")) if folder.exists() else []


def assert_same_network(a: RoadNetwork, b: RoadNetwork) -> None:
    pd.testing.assert_frame_equal(a.nodes, b.nodes)
    pd.testing.assert_frame_equal(a.edges, b.edges)
    assert (a.dropped_nodes, a.dropped_edges, a.network_type, a.simplified) == (
        b.dropped_nodes, b.dropped_edges, b.network_type, b.simplified
    )
    assert (a.paths is None) == (b.paths is None)
    if a.paths is not None:
        for name in ("offsets", "x", "y"):
            np.testing.assert_array_equal(getattr(a.paths, name), getattr(b.paths, name))


@pytest.mark.parametrize("simplify", [False, True])
def test_miss_then_hit_gives_the_same_network(tmp_path, osm, simplify):
    folder = tmp_path / "cache"
    first = read_road_network(osm, simplify=simplify, cache_dir=folder)
    second = read_road_network(osm, simplify=simplify, cache_dir=folder)
    assert not first.from_cache and second.from_cache
    assert_same_network(first, second)
    assert_same_network(second, read_road_network(osm, simplify=simplify))
    assert len(cache_files(folder)) == 1


def test_changed_file_misses(tmp_path, osm):
    folder = tmp_path / "cache"
    read_road_network(osm, cache_dir=folder)
    write_osm(osm, NODES, [(10, [1, 2, 3], {"highway": "primary", "maxspeed": "80"}), *WAYS[1:]])
    changed = read_road_network(osm, cache_dir=folder)
    assert not changed.from_cache
    assert set(changed.edges.loc[changed.edges["highway"] == "primary", "speed_kph"]) == {80.0}


@pytest.mark.parametrize(
    "change", [{"speeds_kph": {"residential": 12.0}}, {"simplify": True}, {"network_type": "walk"}]
)
def test_changed_settings_miss(tmp_path, osm, change):
    folder = tmp_path / "cache"
    read_road_network(osm, cache_dir=folder)
    assert not read_road_network(osm, cache_dir=folder, **change).from_cache
    assert read_road_network(osm, cache_dir=folder, **change).from_cache
    assert len(cache_files(folder)) == 2


@pytest.mark.parametrize("damage", [b"not a zip file", b"", "truncate", "wrong arrays"])
def test_corrupt_cache_file_is_rebuilt(tmp_path, osm, damage):
    folder = tmp_path / "cache"
    good = read_road_network(osm, cache_dir=folder)
    (stored,) = cache_files(folder)
    if damage == "truncate":
        stored.write_bytes(stored.read_bytes()[: stored.stat().st_size // 2])
    elif damage == "wrong arrays":
        cache.save_arrays(stored, {"version": np.array(NETWORK_VERSION), "node_osmid": np.arange(3)})
    else:
        stored.write_bytes(damage)
    rebuilt = read_road_network(osm, cache_dir=folder)
    assert not rebuilt.from_cache
    assert_same_network(good, rebuilt)
    assert read_road_network(osm, cache_dir=folder).from_cache  # the rebuilt file was stored


def test_no_cache_dir_writes_nothing(tmp_path, osm, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg"))
    network = read_road_network(osm)
    assert not network.from_cache
    assert not home.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roads.osm"]


def test_default_cache_dir_honours_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.default_cache_dir() == tmp_path / "xdg" / cache.CACHE_DIR_NAME
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.default_cache_dir() == tmp_path / "home" / ".cache" / cache.CACHE_DIR_NAME


def test_unwritable_cache_dir_warns_and_still_loads(tmp_path, osm):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.warns(UserWarning, match="cannot write the road cache"):
        network = read_road_network(osm, cache_dir=blocker / "cache")
    assert network.n_nodes == 5 and not network.from_cache


def test_cache_key_depends_on_file_and_settings():
    base = cache.cache_key("a" * 64, {"simplify": False})
    assert base == cache.cache_key("a" * 64, {"simplify": False})
    assert base != cache.cache_key("b" * 64, {"simplify": False})
    assert base != cache.cache_key("a" * 64, {"simplify": True})


def test_school_matrix_cache_hits_only_for_the_same_graph_and_nodes(tmp_path):
    from gis.network import read_road_network
    from gis.traveltime import TravelTimeEngine, cached_matrix
    from tests.osm_fixtures import helsinki_pbf_path

    engine = TravelTimeEngine(read_road_network(helsinki_pbf_path()))
    nodes = np.array([0, 50, 500, 900])
    first, hit = cached_matrix(engine, nodes, cache_dir=tmp_path)
    assert not hit and len(list(tmp_path.iterdir())) == 1
    again, hit = cached_matrix(engine, nodes, cache_dir=tmp_path)
    assert hit and np.array_equal(first, again)
    other, hit = cached_matrix(engine, nodes[::-1], cache_dir=tmp_path)
    assert not hit and np.array_equal(other, first[::-1, ::-1])
    next(tmp_path.iterdir()).write_bytes(b"not a cache")
    rebuilt, _ = cached_matrix(engine, nodes, cache_dir=tmp_path)
    assert np.array_equal(rebuilt, first)
    _, hit = cached_matrix(engine, nodes, cache_dir=None)
    assert not hit


def helsinki_engine_and_nodes():
    from gis.network import read_road_network
    from gis.traveltime import TravelTimeEngine
    from tests.osm_fixtures import helsinki_pbf_path

    engine = TravelTimeEngine(read_road_network(helsinki_pbf_path()))
    return engine, np.linspace(0, engine.n_nodes - 1, 40).astype(np.int64)


def test_source_rows_and_columns_are_the_full_matrix_within_the_cutoff():
    from gis.traveltime import cached_matrix

    engine, nodes = helsinki_engine_and_nodes()
    full = engine.matrix(nodes)
    sources, cutoff = np.array([3, 17, 30]), float(np.median(full))
    got, hit = cached_matrix(engine, nodes, sources=sources, cutoff=cutoff, cache_dir=None)
    assert not hit
    touched = np.zeros_like(full, bool)
    touched[sources], touched[:, sources] = True, True
    within = touched & (full <= cutoff)
    assert within[~np.isin(np.arange(40), sources)][:, sources].sum() > 20  # some columns come from the reversed graph
    np.testing.assert_allclose(got[within], full[within], rtol=0, atol=1e-9)
    assert np.array_equal(got[sources][full[sources] <= cutoff], full[sources][full[sources] <= cutoff])  # rows: the same runs
    assert np.isinf(got[~within]).all()


def test_time_cache_serves_lower_cutoffs_and_held_rows_only(tmp_path):
    from gis.traveltime import cached_matrix

    engine, nodes = helsinki_engine_and_nodes()
    cutoff = float(np.median(engine.matrix(nodes)))
    wide, hit = cached_matrix(engine, nodes, sources=[1, 2, 3], cutoff=cutoff, cache_dir=tmp_path)
    assert not hit
    fresh = cached_matrix(engine, nodes, sources=[2, 3], cutoff=cutoff / 2, cache_dir=None)[0]
    narrow, hit = cached_matrix(engine, nodes, sources=[2, 3], cutoff=cutoff / 2, cache_dir=tmp_path)
    assert hit and np.array_equal(narrow, fresh)  # clipped: never depends on what the cache held
    _, hit = cached_matrix(engine, nodes, sources=[1, 2, 3], cutoff=2 * cutoff, cache_dir=tmp_path)
    assert not hit
    _, hit = cached_matrix(engine, nodes, sources=[1, 5], cutoff=cutoff, cache_dir=tmp_path)
    assert not hit
    both, hit = cached_matrix(engine, nodes, sources=[1, 2, 3, 5], cutoff=cutoff, cache_dir=tmp_path)
    assert hit and np.array_equal(both[[1, 2, 3]], wide[[1, 2, 3]])  # rows of two runs kept together
    assert len(list(tmp_path.iterdir())) == 1


def test_admin_areas_cache_gives_the_same_table(tmp_path):
    import shapely

    from data.demo import ensure_demo
    from gis.admin import read_admin_areas

    osm = ensure_demo().osm
    read = read_admin_areas(osm)
    first, second = read_admin_areas(osm, cache_dir=tmp_path), read_admin_areas(osm, cache_dir=tmp_path)
    assert [p.name.split("-")[0] for p in tmp_path.iterdir()] == ["admin"] and len(read) > 1
    for got in (first, second):
        pd.testing.assert_frame_equal(got.drop(columns="geometry"), read.drop(columns="geometry"))
        assert shapely.equals_exact(got.geometry.to_numpy(), read.geometry.to_numpy(), 0).all()
    next(tmp_path.iterdir()).write_bytes(b"not a cache")
    pd.testing.assert_frame_equal(read_admin_areas(osm, cache_dir=tmp_path).drop(columns="geometry"), read.drop(columns="geometry"))
