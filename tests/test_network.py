"""Road loading: lengths, speeds, one-way streets, components and bad files."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from gis import settings
from gis.errors import InputError
from gis.network import great_circle_m, parse_maxspeed, read_road_network
from gis.traveltime import TravelTimeEngine
from tests.osm_fixtures import helsinki_pbf_path, write_osm

# A small cross: 1 -- 2 -- 3 along a primary road (maxspeed 60), 2 -> 4 a one-way residential street,
# 4 -> 1 an unclassified road back, and 5 -- 6 an island the component rule must drop.
NODES = {1: (117.000, 36.000), 2: (117.010, 36.000), 3: (117.020, 36.000), 4: (117.010, 36.010),
         5: (117.100, 36.100), 6: (117.101, 36.100)}
WAYS = [
    (10, [1, 2, 3], {"highway": "primary", "maxspeed": "60"}),
    (11, [2, 4], {"highway": "residential", "oneway": "yes"}),
    (12, [4, 1], {"highway": "unclassified"}),
    (13, [5, 6], {"highway": "residential"}),
    (14, [1, 5], {"highway": "footway"}),
]


@pytest.fixture(scope="module")
def helsinki_pbf() -> Path:
    return helsinki_pbf_path()


@pytest.fixture
def cross(tmp_path: Path):
    return read_road_network(write_osm(tmp_path / "cross.osm", NODES, WAYS))


def seconds(a: int, b: int, kph: float) -> float:
    (lon1, lat1), (lon2, lat2) = NODES[a], NODES[b]
    return float(great_circle_m(lon1, lat1, lon2, lat2)) / (kph / 3.6)


def test_route_time_is_sum_of_length_over_speed(cross):
    ids = list(cross.nodes.index)
    engine = TravelTimeEngine(cross)
    # 3 -> 4 must go 3 -> 2 -> 1 -> 4: the one-way street 2 -> 4 cannot be used backwards from 4,
    # but forwards 3 -> 2 -> 4 is allowed and shorter.
    by_hand = seconds(3, 2, 60) + seconds(2, 4, settings.HIGHWAY_SPEEDS_KPH["residential"])
    got = engine.matrix(np.array([ids.index(3), ids.index(4)]))
    assert got[0, 1] == pytest.approx(by_hand, abs=1e-6)
    # 4 -> 3 cannot use 4 -> 2 (one-way), so it goes 4 -> 1 -> 2 -> 3.
    back = seconds(4, 1, settings.HIGHWAY_SPEEDS_KPH["unclassified"]) + seconds(1, 2, 60) + seconds(2, 3, 60)
    assert got[1, 0] == pytest.approx(back, abs=1e-6)


def test_largest_strong_component_and_footways_dropped(cross):
    assert sorted(cross.nodes.index) == [1, 2, 3, 4]
    assert cross.dropped_nodes == 2
    assert "footway" not in set(cross.edges["highway"])


def test_one_way_street_has_one_edge(cross):
    ids = cross.nodes.index.to_numpy()
    pairs = {(int(ids[u]), int(ids[v])) for u, v in zip(cross.edges["u"], cross.edges["v"])}
    assert (2, 4) in pairs and (4, 2) not in pairs
    assert {(1, 2), (2, 1), (2, 3), (3, 2), (4, 1), (1, 4)} <= pairs


def test_reverse_one_way(tmp_path):
    ways = [(10, [1, 2, 3], {"highway": "primary"}), (11, [4, 2], {"highway": "residential", "oneway": "-1"}),
            (12, [4, 1], {"highway": "unclassified"})]
    network = read_road_network(write_osm(tmp_path / "rev.osm", NODES, ways))
    ids = network.nodes.index.to_numpy()
    pairs = {(int(ids[u]), int(ids[v])) for u, v in zip(network.edges["u"], network.edges["v"])}
    assert (2, 4) in pairs and (4, 2) not in pairs


@pytest.mark.parametrize(
    ("tag", "kph"), [("50", 50.0), ("50 km/h", 50.0), ("30 mph", 30 * 1.609344), ("40;60", 50.0), ("CN:urban", math.nan), (None, math.nan)]
)
def test_parse_maxspeed(tag, kph):
    got = parse_maxspeed(tag)
    assert (math.isnan(got) and math.isnan(kph)) or got == pytest.approx(kph)


def test_speed_table_is_used_without_maxspeed(cross):
    residential = cross.edges[cross.edges["highway"] == "residential"]
    assert (residential["speed_kph"] == settings.HIGHWAY_SPEEDS_KPH["residential"]).all()
    primary = cross.edges[cross.edges["highway"] == "primary"]
    assert (primary["speed_kph"] == 60.0).all()


def test_overridden_speed_table(tmp_path):
    network = read_road_network(write_osm(tmp_path / "x.osm", NODES, WAYS), speeds_kph={"residential": 5.0})
    assert set(network.edges.loc[network.edges["highway"] == "residential", "speed_kph"]) == {5.0}


def test_real_extract_matches_networkx(helsinki_pbf):
    network = read_road_network(helsinki_pbf)
    assert network.n_nodes > 1000
    graph = network.to_networkx()
    assert nx.is_strongly_connected(graph)
    engine = TravelTimeEngine(network)
    rng = np.random.default_rng(0)
    sample = rng.choice(network.n_nodes, size=12, replace=False)
    ours = engine.matrix(sample)
    ids = network.nodes.index.to_numpy()
    for i, source in enumerate(sample):
        lengths = nx.single_source_dijkstra_path_length(graph, int(ids[source]), weight="travel_time")
        theirs = np.array([lengths[int(ids[t])] for t in sample])
        np.testing.assert_allclose(ours[i], theirs, atol=1e-6, rtol=0)


def test_nearest_source_labels_agree_with_matrix(helsinki_pbf):
    network = read_road_network(helsinki_pbf)
    engine = TravelTimeEngine(network)
    sources = np.array([3, 300, 900])
    label, times = engine.nearest_source(sources, toward=True)
    to_sources = engine.times_from(np.arange(network.n_nodes), sources)
    np.testing.assert_allclose(times, to_sources.min(axis=1), atol=1e-9)
    assert (to_sources[np.arange(network.n_nodes), label] == to_sources.min(axis=1)).all()


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        (None, ".osm", "no such OSM file"),
        (b"", ".osm", "empty"),
        (b"<osm><node id='1' lat='x'", ".osm", "cannot read"),
        (b"\x00\x01garbage", ".osm.pbf", "cannot read"),
        (b'<?xml version="1.0"?><osm version="0.6"></osm>', ".osm", "no drivable roads"),
        (b"a,b\n1,2\n", ".csv", "not an OSM file"),
    ],
)
def test_bad_osm_files(tmp_path, content, suffix, message):
    path = tmp_path / f"bad{suffix}"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_road_network(path)


def test_default_network_is_unsimplified_driving(cross):
    assert not cross.simplified and cross.network_type == "drive" and cross.paths is None
    assert cross.to_networkx().graph == {"crs": "epsg:4326"}


def test_walking_uses_both_directions_and_walking_speed(tmp_path):
    network = read_road_network(write_osm(tmp_path / "walk.osm", NODES, WAYS), network_type="walk")
    ids = network.nodes.index.to_numpy()
    pairs = {(int(ids[u]), int(ids[v])) for u, v in zip(network.edges["u"], network.edges["v"])}
    assert (2, 4) in pairs and (4, 2) in pairs  # the one-way street is walked both ways
    assert sorted(ids) == [1, 2, 3, 4, 5, 6]  # the footway 1 -- 5 joins the island
    assert set(network.edges["speed_kph"]) == {settings.WALK_SPEED_KPH}


def test_private_and_barred_roads_are_left_out(tmp_path):
    ways = [*WAYS[:3], (15, [3, 4], {"highway": "residential", "access": "private"}),
            (16, [3, 1], {"highway": "residential", "motor_vehicle": "no"})]
    network = read_road_network(write_osm(tmp_path / "x.osm", NODES, ways))
    assert not {15, 16} & set(network.edges["osmid"])


def test_simplified_graph_is_osmnx_compatible(tmp_path):
    import osmnx as ox

    network = read_road_network(write_osm(tmp_path / "x.osm", NODES, WAYS), simplify=True)
    graph = network.to_networkx()
    assert graph.graph["simplified"] and network.simplified
    _, edges = ox.graph_to_gdfs(graph)
    assert set(edges.columns) >= {"osmid", "highway", "length", "speed_kph", "travel_time", "geometry"}
    origin, destination = (int(i) for i in network.nodes.index[[0, -1]])
    route = ox.shortest_path(graph, origin, destination, weight="travel_time")
    assert route[0] == origin and route[-1] == destination


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"network_type": "bike"}, "unknown network type"),
        ({"speeds_kph": {"residential": 0}}, "positive number of km/h"),
        ({"speeds_kph": {"residential": "fast"}}, "positive number of km/h"),
        ({"network_type": "walk", "speeds_kph": {"residential": 5.0}}, "WALK_SPEED_KPH"),
    ],
)
def test_bad_options(tmp_path, kwargs, message):
    with pytest.raises(InputError, match=message):
        read_road_network(write_osm(tmp_path / "x.osm", NODES, WAYS), **kwargs)


@pytest.mark.parametrize(("tag", "kph"), [("60|40", 50.0), ("7,5", 7.5), ("0", math.nan), ("50;signals", math.nan)])
def test_parse_maxspeed_lanes_and_oddities(tag, kph):
    got = parse_maxspeed(tag)
    assert (math.isnan(got) and math.isnan(kph)) or got == pytest.approx(kph)
