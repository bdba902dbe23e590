"""Townships (乡镇) and their villages: town street grids, the roads between towns, village lanes and roads."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Polygon

from gis.settings import HIGHWAY_SPEEDS_KPH
from gis.speeds import METRES_PER_KM, MINUTES_PER_HOUR

from .county import City
from .names import TOWN_NAME_FIRST, TOWN_NAME_SECOND, TOWN_SUFFIXES, TOWN_XIANG_SHARE, VILLAGE_SUFFIXES, VILLAGE_SURNAMES, name_pool
from .roads import ROAD_NODE_SPACING_M, Roads, add_grid, nearest, road_minutes, street_tags
from .sampling import spread_in_region

__all__ = ["Town", "place_towns", "build_town_grid", "build_town_roads", "build_villages", "link_neighbour_villages"]

TOWNS_PER_SCALE = 13
TOWN_EDGE_MARGIN_M = 2500.0  # town centre to county border
TOWN_CITY_CLEARANCE_M = 4000.0  # town centre to the county town's edge
TOWN_SIZE_SIGMA = 0.3  # lognormal spread of the township size factor
TOWN_SIZE_RANGE = (0.6, 1.8)
TOWN_GRID_LINES = (4, 7)  # street lines each way, upper bound exclusive
TOWN_GRID_SPACING_M = (200.0, 300.0)
TOWN_JITTER_M = 15.0
VILLAGES_PER_TOWN = (6, 15)
VILLAGES_MEAN_SD = (11.5, 2.5)  # for a township of size factor 1
VILLAGE_EDGE_MARGIN_M = 800.0  # village centre to its township border: lane plus school offset
VILLAGE_TOWN_CLEARANCE_M = 1500.0  # village centre to its town centre
VILLAGE_MAX_DISTANCE_M = 8000.0  # farther parts of a township are left to fields and hills
VILLAGE_LANES = (3, 5)  # lanes each way, upper bound exclusive
VILLAGE_LANE_SPACING_M = (90.0, 140.0)
TOWN_SPOKES = 3  # tertiary roads from a town out to its farthest villages
SPOKE_MIN_ANGLE_DEG = 75.0
VILLAGE_EXTRA_LINK_SHARE = 0.5  # villages that get a second road, to a neighbouring village
VILLAGE_EXTRA_LINK_MAX_M = 5000.0
TOWN_LINK_MAX_M = 22000.0  # longer Delaunay links are kept only when needed for connectivity
TRUNK_MIN_TOWNS_SHARE = 0.1  # a radial link serving this share of townships (at least two) is a trunk road
TRUNK_MAXSPEED = "80"
RURAL_PRIMARY_MAXSPEED = "60"
MAXSPEED_EVERY = 2  # every second trunk and rural primary road is signposted


@dataclass
class _Village:
    name: str
    centre: int  # the lane crossing nearest the village centre
    nodes: list[int]  # the lane crossings


@dataclass
class Town:
    """A township: its centre, size factor, cell of the county, street grid, road nodes and villages."""

    name: str
    seed: np.ndarray
    size: float
    cell: Polygon | MultiPolygon = field(default_factory=Polygon)
    grid: list[int] = field(default_factory=list)
    #: Nodes of the roads to other towns that lie in the cell, with the minutes to drive to the town.
    link_minutes: dict[int, float] = field(default_factory=dict)
    villages: list[_Village] = field(default_factory=list)


def place_towns(rng: np.random.Generator, county: Polygon, city: Polygon, scale: float) -> list[Town]:
    """Township centres spread over the county outside the county town, with names and size factors."""
    count = max(1, round(TOWNS_PER_SCALE * scale))
    region = county.buffer(-TOWN_EDGE_MARGIN_M).difference(city.buffer(TOWN_CITY_CLEARANCE_M))
    seeds = spread_in_region(rng, region, count, avoid=np.zeros((1, 2)))
    names = name_pool(rng, (), TOWN_NAME_FIRST, TOWN_NAME_SECOND, count)
    towns = []
    for name, seed in zip(names, seeds, strict=True):
        suffix = TOWN_SUFFIXES[int(rng.random() < TOWN_XIANG_SHARE)]
        size = float(np.clip(rng.lognormal(0.0, TOWN_SIZE_SIGMA), *TOWN_SIZE_RANGE))
        towns.append(Town(name=name + suffix, seed=seed, size=size))
    return towns


def build_town_grid(net: Roads, rng: np.random.Generator, town: Town) -> None:
    """A small street grid around the town centre: the middle streets tertiary, the others residential."""
    lines = int(rng.integers(*TOWN_GRID_LINES))
    offsets = (np.arange(lines) - (lines - 1) / 2) * rng.uniform(*TOWN_GRID_SPACING_M)
    middle = lines // 2

    def style(axis: int, line: int, lines: int) -> tuple[str, dict[str, str], bool]:
        return ("tertiary" if line == middle else "residential"), {}, False

    grid = add_grid(net, rng, town.seed, (offsets, offsets), style, jitter=TOWN_JITTER_M)
    town.grid = [int(n) for n in grid.ravel()]


def _town_links(county: Polygon, city: Polygon, seeds: np.ndarray) -> list[tuple[int, int]]:
    """Delaunay links between the county town (index 0) and the townships (1..n) that make plausible roads.

    Links crossing the county town or leaving the county, or longer than ``TOWN_LINK_MAX_M``, are dropped
    unless the minimum spanning tree needs them.
    """
    edges = shapely.delaunay_triangles(MultiPoint(seeds), only_edges=True)
    links = set()
    for line in edges.geoms:
        a, b = (int(np.argmin(np.hypot(*(seeds - end).T))) for end in np.asarray(line.coords))
        links.add((min(a, b), max(a, b)))
    lengths = {link: float(np.hypot(*(seeds[link[0]] - seeds[link[1]]))) for link in links}
    tree = _spanning_tree(len(seeds), sorted(links, key=lambda link: (lengths[link], link)))
    keep = []
    for a, b in sorted(links):
        segment = LineString([seeds[a], seeds[b]])
        plausible = (
            lengths[(a, b)] <= TOWN_LINK_MAX_M and county.contains(segment) and (a == 0 or not segment.intersects(city))
        )
        if plausible or (a, b) in tree:
            keep.append((a, b))
    return keep


def _spanning_tree(count: int, links_by_length: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Kruskal: the links of a minimum spanning tree, given links sorted by length."""
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    tree = set()
    for a, b in links_by_length:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
            tree.add((a, b))
    return tree


def _towns_served(seeds: np.ndarray, links: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """For each link on the shortest-path tree from the county town (index 0): townships routed over it."""
    adjacency: dict[int, list[tuple[int, float]]] = {i: [] for i in range(len(seeds))}
    for a, b in links:
        length = float(np.hypot(*(seeds[a] - seeds[b])))
        adjacency[a].append((b, length))
        adjacency[b].append((a, length))
    distance = {0: 0.0}
    parent: dict[int, int] = {}
    queue = [(0.0, 0)]
    while queue:
        d, i = heapq.heappop(queue)
        if d > distance[i]:
            continue
        for j, length in adjacency[i]:
            if d + length < distance.get(j, math.inf):
                distance[j], parent[j] = d + length, i
                heapq.heappush(queue, (d + length, j))
    served = dict.fromkeys(parent, 1)
    for j in sorted(parent, key=lambda j: -distance[j]):
        if parent[j] != 0:
            served[parent[j]] += served[j]
    return {(min(j, parent[j]), max(j, parent[j])): served[j] for j in parent}


def build_town_roads(
    net: Roads, rng: np.random.Generator, county: Polygon, city: City, towns: list[Town]
) -> None:
    """Roads between townships and to the county town, classed by how many townships use them."""
    seeds = np.vstack([np.zeros((1, 2)), [town.seed for town in towns]])
    links = _town_links(county, city.square, seeds)
    served = _towns_served(seeds, links)
    trunk_min = max(2, math.ceil(TRUNK_MIN_TOWNS_SHARE * len(towns)))
    other_lengths = sorted(float(np.hypot(*(seeds[a] - seeds[b]))) for a, b in links if (a, b) not in served)
    secondary_min = other_lengths[len(other_lengths) // 2] if other_lengths else 0.0
    built: dict[str, int] = {}
    for a, b in links:
        start = nearest(net, city.entries, seeds[b]) if a == 0 else nearest(net, towns[a - 1].grid, seeds[b])
        end = nearest(net, towns[b - 1].grid, seeds[a])
        if (a, b) in served:
            highway = "trunk" if a == 0 and served[(a, b)] >= trunk_min else "primary"
            limit = TRUNK_MAXSPEED if highway == "trunk" else RURAL_PRIMARY_MAXSPEED
        else:
            highway = "secondary" if np.hypot(*(seeds[a] - seeds[b])) >= secondary_min else "tertiary"
            limit = ""
        built[highway] = built.get(highway, 0) + 1
        extra = {"maxspeed": limit} if limit and built[highway] % MAXSPEED_EVERY == 1 % MAXSPEED_EVERY else {}
        tags = street_tags(highway, **extra)
        nodes = net.add_road(rng, start, end, tags, ROAD_NODE_SPACING_M)
        minutes = road_minutes(net, nodes, tags)
        for i, to_town in ((a, minutes), (b, minutes[-1] - minutes)):
            if i:
                town = towns[i - 1]
                inside = shapely.contains_xy(town.cell, *net.points(nodes[1:-1]).T)
                town.link_minutes |= {
                    n: float(m) for n, m, ok in zip(nodes[1:-1], to_town[1:-1], inside, strict=True) if ok
                }


def build_villages(net: Roads, rng: np.random.Generator, town: Town) -> None:
    """Villages of a township: spread in its cell, each with lanes, joined by unclassified roads."""
    count = int(np.clip(round(rng.normal(*VILLAGES_MEAN_SD) * town.size), *VILLAGES_PER_TOWN))
    around = shapely.Point(town.seed)
    region = (
        town.cell.buffer(-VILLAGE_EDGE_MARGIN_M)
        .intersection(around.buffer(VILLAGE_MAX_DISTANCE_M))
        .difference(around.buffer(VILLAGE_TOWN_CLEARANCE_M))
    )
    if region.is_empty:
        raise RuntimeError(f"{town.name} has no room for villages")
    centres = spread_in_region(rng, region, count, avoid=town.seed)
    surnames = rng.choice(len(VILLAGE_SURNAMES), size=count, replace=False)
    for centre_xy, surname in zip(centres, surnames, strict=True):
        suffix = VILLAGE_SUFFIXES[int(rng.integers(len(VILLAGE_SUFFIXES)))]
        lines = [int(rng.integers(*VILLAGE_LANES)) for _ in range(2)]
        offsets = [(np.arange(n) - (n - 1) / 2) * rng.uniform(*VILLAGE_LANE_SPACING_M) for n in lines]
        grid = add_grid(
            net,
            rng,
            centre_xy,
            (offsets[0], offsets[1]),
            _village_lane,
            jitter=TOWN_JITTER_M,
            angle=rng.uniform(0, np.pi),
        )
        nodes = [int(n) for n in grid.ravel()]
        town.villages.append(_Village(VILLAGE_SURNAMES[surname] + suffix, nearest(net, nodes, centre_xy), nodes))
    _connect_villages(net, rng, town)


def _village_lane(axis: int, line: int, lines: int) -> tuple[str, dict[str, str], bool]:
    return "residential", {}, False


def _connect_villages(net: Roads, rng: np.random.Generator, town: Town) -> None:
    """Tertiary spokes from the town to its farthest villages, then unclassified roads to the rest.

    The spokes (乡道) run to the farthest villages in different directions. The other villages then join
    one at a time, the quickest to reach the town first, each by a road to the node it reaches the town
    quickest through (driving at the solver's default speeds, :data:`gis.settings.HIGHWAY_SPEEDS_KPH`).
    """
    minutes = dict.fromkeys(town.grid, 0.0) | town.link_minutes
    lane_speed = HIGHWAY_SPEEDS_KPH["residential"] * METRES_PER_KM / MINUTES_PER_HOUR
    road_speed = HIGHWAY_SPEEDS_KPH["unclassified"] * METRES_PER_KM / MINUTES_PER_HOUR

    def join(village: _Village, target: int, highway: str) -> None:
        start = nearest(net, village.nodes, np.array(net.xy[target]))
        tags = street_tags(highway)
        road = net.add_road(rng, start, target, tags, ROAD_NODE_SPACING_M)
        along = road_minutes(net, road, tags)
        minutes.update({n: minutes[target] + along[-1] - m for n, m in zip(road[:-1], along[:-1], strict=True)})
        lanes = np.hypot(*(net.points(village.nodes) - net.xy[start]).T) / lane_speed
        minutes.update({n: minutes[start] + m for n, m in zip(village.nodes, lanes, strict=True) if n != start})

    waiting = list(town.villages)
    for village in _spoke_villages(net, town):
        waiting.remove(village)
        join(village, nearest(net, town.grid, np.array(net.xy[village.centre])), "tertiary")
    while waiting:
        reached = list(minutes)
        points, base = net.points(reached), np.fromiter(minutes.values(), dtype=float)
        costs = [np.hypot(*(points - net.xy[v.centre]).T) / road_speed + base for v in waiting]
        v = int(np.argmin([c.min() for c in costs]))
        join(waiting.pop(v), reached[int(np.argmin(costs[v]))], "unclassified")


def _spoke_villages(net: Roads, town: Town) -> list[_Village]:
    """Up to ``TOWN_SPOKES`` villages, farthest first, at least ``SPOKE_MIN_ANGLE_DEG`` apart seen from the town."""
    offsets = net.points([v.centre for v in town.villages]) - town.seed
    bearings = np.degrees(np.arctan2(offsets[:, 1], offsets[:, 0]))
    chosen: list[int] = []
    for i in np.argsort(-np.hypot(*offsets.T), kind="stable"):
        if len(chosen) == TOWN_SPOKES:
            break
        if all(abs((bearings[i] - bearings[j] + 180) % 360 - 180) >= SPOKE_MIN_ANGLE_DEG for j in chosen):
            chosen.append(int(i))
    return [town.villages[i] for i in chosen]


def link_neighbour_villages(net: Roads, rng: np.random.Generator, towns: list[Town]) -> None:
    """Second roads between some villages and their nearest neighbour (across township lines too)."""
    centres = [v.centre for town in towns for v in town.villages]
    points = net.points(centres)
    linked: set[tuple[int, int]] = set()
    for i in np.flatnonzero(rng.random(len(centres)) < VILLAGE_EXTRA_LINK_SHARE):
        gaps = np.hypot(*(points - points[i]).T)
        gaps[i] = np.inf
        j = int(np.argmin(gaps))
        pair = (min(i, j), max(i, j))
        if gaps[j] <= VILLAGE_EXTRA_LINK_MAX_M and pair not in linked:
            linked.add(pair)
            net.add_road(rng, centres[i], centres[j], street_tags("unclassified"), ROAD_NODE_SPACING_M)
