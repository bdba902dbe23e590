"""Our road network against osmnx 2.1 on the same roads-only file: nodes, edges, lengths, travel times.

The reference is the plain osmnx route (``bench.load.osmnx_reference``): ``graph_from_xml`` with
``retain_all=True``, the largest strongly connected component, ``add_edge_speeds`` with our class
table, ``add_edge_travel_times``. Both sides run in this process, so osmnx's set-ordered choice of
class on mixed-class merged edges is the same on both sides.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from bench.load import differences, osmnx_reference
from data.demo import generate_demo
from gis import settings
from gis.network import extract_roads, read_road_network
from tests.osm_fixtures import helsinki_pbf_path, write_osm

# A main road 1-2-3-4-5-6 (one way, primary, maxspeed 60) with, hanging off it:
#   2 -> 21 -> 22 -> 3   a one-way couplet: a merged edge parallel to the main road's 2 -> 3
#   3 -- 4               a second way: parallel original edges 3 -> 4 (keys 0 and 1)
#   3 -- 31 -- 32        two-way, then 32 -> 33 -> 4 one-way (33 -> 4 drawn backwards, oneway=-1)
#   4 -- 41 -- 42        a dead end; 41 -- 25 is private and 42 -- 25 a footway (walking only)
#   5 -> 51 -> 52 -> 5   a roundabout: a merged self-loop at 5
#   5 -> 54 -> 55 -- 6   the same one-way way mapped twice, then two-way: osmnx's irregular case
#   6 -- 61 -- 62 -- 63 -- 1   residential, tertiary, unclassified: highway changes mid-path
#   1 -- 11 -- 12        maxspeed 50 on the first way only, so on the whole merged edge
#   2 -- 23 -- 24 -- 25  maxspeed 40, then "60 km/h", then none: the merged edge gets the mean
#   100 -- 101           an island the component rule drops
NODES = {
    1: (117.000, 36.000), 2: (117.002, 36.000), 3: (117.004, 36.000), 4: (117.006, 36.000),
    5: (117.008, 36.000), 6: (117.010, 36.000), 21: (117.0025, 36.001), 22: (117.0035, 36.001),
    31: (117.0045, 36.002), 32: (117.005, 36.003), 33: (117.006, 36.002), 41: (117.006, 35.998),
    42: (117.006, 35.996), 51: (117.0085, 35.999), 52: (117.0075, 35.999), 54: (117.0085, 36.002),
    55: (117.0095, 36.002), 61: (117.010, 36.005), 62: (117.005, 36.008), 63: (117.000, 36.005),
    11: (116.998, 36.000), 12: (116.996, 36.0005), 23: (117.002, 35.998), 24: (117.0022, 35.996),
    25: (117.002, 35.994), 100: (117.050, 36.050), 101: (117.051, 36.050),
}
WAYS = [
    (1, [1, 2, 3, 4, 5, 6], {"highway": "primary", "maxspeed": "60"}),
    (2, [2, 21, 22, 3], {"highway": "residential", "oneway": "yes"}),
    (3, [3, 4], {"highway": "secondary"}),
    (4, [3, 31, 32], {"highway": "tertiary"}),
    (5, [32, 33], {"highway": "tertiary", "oneway": "yes"}),
    (6, [4, 33], {"highway": "tertiary", "oneway": "-1"}),
    (7, [4, 41, 42], {"highway": "residential"}),
    (8, [41, 25], {"highway": "residential", "access": "private"}),
    (9, [42, 25], {"highway": "footway"}),
    (10, [5, 51, 52, 5], {"highway": "tertiary", "junction": "roundabout"}),
    (11, [5, 54, 55], {"highway": "unclassified", "oneway": "yes"}),
    (12, [5, 54, 55], {"highway": "unclassified", "oneway": "yes"}),
    (13, [55, 6], {"highway": "unclassified"}),
    (14, [6, 61], {"highway": "residential"}),
    (15, [61, 62], {"highway": "tertiary"}),
    (16, [62, 63, 1], {"highway": "unclassified"}),
    (17, [1, 11], {"highway": "residential", "maxspeed": "50"}),
    (18, [11, 12], {"highway": "unclassified"}),
    (19, [2, 23], {"highway": "tertiary", "maxspeed": "40"}),
    (20, [23, 24], {"highway": "tertiary", "maxspeed": "60 km/h"}),
    (21, [24, 25], {"highway": "tertiary"}),
    (22, [100, 101], {"highway": "residential"}),
]


@pytest.fixture(autouse=True)
def _quiet_osmnx():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # osmnx warns that its XML reader is not for files it wrote
        yield


@pytest.fixture(scope="module")
def tricky(tmp_path_factory) -> Path:
    return write_osm(tmp_path_factory.mktemp("tricky") / "tricky.osm", NODES, WAYS)


@pytest.fixture(scope="module")
def demo_roads(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    return extract_roads(generate_demo(folder, scale=1.0).osm, folder / "roads.osm")


@pytest.fixture(scope="module")
def helsinki_roads(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("helsinki")
    return {kind: extract_roads(helsinki_pbf_path(), folder / f"{kind}.osm", network_type=kind) for kind in ("drive", "walk")}


def merged_geometries_match(network, graph) -> bool:
    ours = network.to_networkx()
    for u, v, key, data in graph.edges(keys=True, data=True):
        mine = ours.edges[u, v, key].get("geometry")
        theirs = data.get("geometry")
        if (mine is None) != (theirs is None) or (mine is not None and not mine.equals_exact(theirs, 0)):
            return False
    return True


@pytest.mark.parametrize("network_type", ["drive", "walk"])
@pytest.mark.parametrize("simplify", [False, True])
def test_tricky_cases_match_osmnx(tmp_path, tricky, network_type, simplify):
    roads = extract_roads(tricky, tmp_path / "roads.osm", network_type=network_type)
    network = read_road_network(tricky, network_type=network_type, simplify=simplify)
    graph = osmnx_reference(roads, network_type=network_type, simplify=simplify)
    assert differences(network, graph) == []
    assert merged_geometries_match(network, graph)


def test_tricky_cases_are_really_there(tricky):
    network = read_road_network(tricky, simplify=True)
    ids = network.nodes.index.to_numpy()
    edges = network.edges.assign(u=ids[network.edges["u"]], v=ids[network.edges["v"]]).set_index(["u", "v", "key"])
    assert {(2, 3, 0), (2, 3, 1), (3, 4, 0), (3, 4, 1)} <= set(edges.index)  # parallel edges
    assert (5, 5, 0) in edges.index  # the roundabout as a self-loop
    assert (32, 4, 0) in edges.index and (4, 32, 0) not in edges.index  # one-way after two-way
    assert {42, 12, 25} <= set(ids) and not {100, 101, 21, 33, 55} & set(ids)
    assert network.dropped_nodes == 2
    assert edges.loc[(1, 12, 0), "speed_kph"] == 50.0  # maxspeed on part of the path
    assert edges.loc[(2, 25, 0), "speed_kph"] == 50.0  # mean of 40 and 60
    mixed = edges.loc[(6, 1, 0)]
    assert mixed["highway"] in {"residential", "tertiary", "unclassified"}
    assert mixed["speed_kph"] == settings.HIGHWAY_SPEEDS_KPH[mixed["highway"]]
    assert (5, 6, 0) in edges.index  # through the doubled one-way, as osmnx walks it


def test_demo_county_simplified_matches_osmnx(demo_roads):
    network = read_road_network(demo_roads, simplify=True)
    assert differences(network, osmnx_reference(demo_roads, simplify=True)) == []


@pytest.mark.slow
def test_demo_county_unsimplified_matches_osmnx(demo_roads):
    network = read_road_network(demo_roads, simplify=False)
    assert differences(network, osmnx_reference(demo_roads, simplify=False)) == []


@pytest.mark.parametrize("simplify", [False, True])
def test_helsinki_driving_matches_osmnx(helsinki_roads, simplify):
    roads = helsinki_roads["drive"]
    network = read_road_network(roads, simplify=simplify)
    graph = osmnx_reference(roads, simplify=simplify)
    assert differences(network, graph) == []
    assert merged_geometries_match(network, graph)


@pytest.mark.parametrize("simplify", [pytest.param(False, marks=pytest.mark.slow), True])
def test_helsinki_walking_matches_osmnx(helsinki_roads, simplify):
    roads = helsinki_roads["walk"]
    network = read_road_network(roads, network_type="walk", simplify=simplify)
    assert differences(network, osmnx_reference(roads, network_type="walk", simplify=simplify)) == []


@pytest.mark.parametrize("network_type", ["drive", "walk"])
def test_pbf_reads_like_its_roads_only_xml(helsinki_roads, network_type):
    """The clipped .pbf (ways cut at missing nodes) gives the network osmnx gets from the XML extract."""
    from_pbf = read_road_network(helsinki_pbf_path(), network_type=network_type, simplify=True)
    from_xml = read_road_network(helsinki_roads[network_type], network_type=network_type, simplify=True)
    pd.testing.assert_frame_equal(from_pbf.nodes, from_xml.nodes)
    columns = ["u", "v", "key", "highway", "length", "speed_kph", "travel_time"]
    pd.testing.assert_frame_equal(from_pbf.edges[columns], from_xml.edges[columns])


def test_differences_notice_a_changed_travel_time(tmp_path, tricky):
    roads = extract_roads(tricky, tmp_path / "roads.osm")
    network = read_road_network(roads, simplify=True)
    graph = osmnx_reference(roads, simplify=True)
    network.edges.loc[0, "travel_time"] += 1e-5
    assert len(differences(network, graph)) == 1
