"""Map context from the road network: main roads as lines, isochrones as polygons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from gis import settings
from gis.isochrones import isochrone_polygons
from gis.network import great_circle_m, read_road_network
from gis.roads import main_roads
from gis.traveltime import TravelTimeEngine
from tests.osm_fixtures import helsinki_pbf_path, write_osm

# A primary road west-east through nodes 1..11, 0.01° apart (about 0.9 km) at 60 km/h (1 km/min),
# a motorway ramp 11 -> 12 -> 11 (ramps count as motorway), a residential loop 2 -> 20 -> 3 (not a
# main road), and a one-way street 11 -> 30 -> 31 -> 11 to test the both-ways rule.
LAT = 36.0
ROAD = {i: (117.0 + 0.01 * (i - 1), LAT) for i in range(1, 12)}
NODES = {**ROAD, 12: (117.11, 36.01), 20: (117.015, 36.005), 30: (117.10, 35.99), 31: (117.12, 35.99)}
WAYS = [
    (1, list(ROAD), {"highway": "primary", "maxspeed": "60"}),
    (2, [11, 12, 11], {"highway": "motorway_link", "maxspeed": "60"}),
    (3, [2, 20, 3], {"highway": "residential"}),
    (4, [11, 30, 31, 11], {"highway": "tertiary", "oneway": "yes", "maxspeed": "60"}),
]
MINUTE_S = 60.0


def metres(a: int, b: int) -> float:
    (lon1, lat1), (lon2, lat2) = NODES[a], NODES[b]
    return float(great_circle_m(lon1, lat1, lon2, lat2))


@pytest.fixture
def network(tmp_path: Path):
    return read_road_network(write_osm(tmp_path / "line.osm", NODES, WAYS))


def geodesic_length_m(line) -> float:
    coords = np.concatenate([np.asarray(part.coords) for part in getattr(line, "geoms", [line])])
    return float(sum(great_circle_m(*a, *b) for a, b in zip(coords[:-1], coords[1:])))


def test_main_roads_keep_main_classes_once_per_road(network):
    roads = main_roads(network)
    assert list(roads["highway"]) == ["motorway", "primary", "tertiary"]  # the order of MAIN_HIGHWAYS
    assert roads.crs.to_epsg() == 4326
    primary = roads.set_index("highway").geometry["primary"]
    # both directions of the two-way road count once: its length, not twice its length
    assert geodesic_length_m(primary) == pytest.approx(metres(1, 11), rel=1e-3)
    assert not shapely.intersects(roads.union_all(), Point(NODES[20]).buffer(1e-5))  # residential left out


def test_main_roads_simplify_straight_roads_to_their_ends(network):
    primary = main_roads(network).set_index("highway").geometry["primary"]
    assert shapely.get_num_coordinates(primary) == 2  # eleven collinear nodes, one straight line
    unsimplified = main_roads(network, tolerance_m=0.0).set_index("highway").geometry["primary"]
    assert shapely.get_num_coordinates(unsimplified) >= 2


def test_main_roads_of_a_real_city():
    network = read_road_network(helsinki_pbf_path())
    roads = main_roads(network)
    assert set(roads["highway"]) <= set(settings.MAIN_HIGHWAYS) and len(roads) >= 3
    assert roads.is_valid.all() and (roads.to_crs(roads.estimate_utm_crs()).length > 0).all()
    assert list(roads["highway"]) == [h for h in settings.MAIN_HIGHWAYS if h in set(roads["highway"])]


def test_isochrone_covers_what_the_limit_reaches(network):
    engine = TravelTimeEngine(network)
    source = network.nodes.index.get_loc(1)
    limit_s = 5.5 * MINUTE_S  # node k is about (k - 1) * 0.9 min away: nodes 1..7 within
    iso = isochrone_polygons(engine, network, np.array([source]), limit_s)
    area = iso.geometry.iloc[0]
    assert list(iso["source"]) == [0] and area.is_valid
    reached = [i for i in ROAD if metres(1, i) / 1000 * MINUTE_S <= limit_s]
    assert reached == [1, 2, 3, 4, 5, 6, 7]
    for node in ROAD:
        assert area.contains(Point(NODES[node])) == (node in reached), node


def test_isochrone_counts_the_longer_direction(network):
    engine = TravelTimeEngine(network)
    source = network.nodes.index.get_loc(11)
    # 11 -> 30 takes about a minute, but 30 -> 11 goes round the one-way loop via 31.
    out_s, back_s = (metres(11, 30)) / 1000 * MINUTE_S, (metres(30, 31) + metres(31, 11)) / 1000 * MINUTE_S
    limit_s = (out_s + back_s) / 2
    one_way = isochrone_polygons(engine, network, np.array([source]), limit_s, both_ways=False).geometry.iloc[0]
    both = isochrone_polygons(engine, network, np.array([source]), limit_s).geometry.iloc[0]
    assert one_way.contains(Point(NODES[30]))
    assert not both.contains(Point(NODES[30]))


def test_isochrone_is_clipped_to_the_boundary(network):
    engine = TravelTimeEngine(network)
    boundary = shapely.box(116.99, 35.995, 117.055, 36.005)
    iso = isochrone_polygons(engine, network, np.arange(network.n_nodes), 3600.0, boundary=boundary)
    assert all(boundary.buffer(2e-5).covers(area) for area in iso.geometry)  # vertices went to metres and back
    assert iso.geometry.iloc[0].area == pytest.approx(boundary.area, rel=1e-3)


def test_overlapping_isochrones_each_cover_what_their_source_reaches(network):
    """Several sources share nodes: each area still holds exactly the nodes its own source reaches both ways."""
    engine = TravelTimeEngine(network)
    sources = np.array([network.nodes.index.get_loc(node) for node in (1, 4, 6, 11)])
    limit_s = 3.2 * MINUTE_S
    iso = isochrone_polygons(engine, network, sources, limit_s)
    assert list(iso["source"]) == [0, 1, 2, 3] and iso.is_valid.all()
    out, back = engine.times_from(sources, np.arange(network.n_nodes)), engine.times_from(sources, np.arange(network.n_nodes), reverse=True)
    for row, area in enumerate(iso.geometry):
        for position, node in enumerate(network.nodes.index):
            reached = max(out[row, position], back[row, position]) <= limit_s
            assert area.contains(Point(NODES[node])) == reached, (row, node)
    assert iso.geometry.iloc[1].intersects(iso.geometry.iloc[2])  # they overlap
