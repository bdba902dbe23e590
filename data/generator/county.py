"""The county's outline and its county town (城区): the street grid and its 街道."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from shapely.geometry import MultiPolygon, Polygon, box

from .names import (
    STREET_SUFFIXES,
    STREET_WORDS,
    SUBDISTRICT_DIRECTION_TOLERANCE,
    SUBDISTRICT_DIRECTIONS,
    SUBDISTRICT_NAMES,
    SUBDISTRICT_SUFFIX,
    TOWN_NAME_FIRST,
    TOWN_NAME_SECOND,
    name_pool,
)
from .roads import Roads, add_grid, grid_lines
from .sampling import spread_in_region, voronoi_cells

__all__ = ["City", "Unit", "county_outline", "build_city", "make_subdistricts"]

COUNTY_AREA_KM2 = 2250.0
COUNTY_ASPECT = 55.0 / 45.0  # east-west over north-south extent
COUNTY_OUTLINE_VERTICES = 360
COUNTY_OUTLINE_HARMONICS = 7
COUNTY_OUTLINE_NOISE = 0.1  # relative radius amplitude of the harmonics, divided by their order
M2_PER_KM2 = 1e6
CITY_SIDE_M = 7000.0
CITY_BLOCK_M = (350.0, 500.0)
CITY_JITTER_M = 12.0
CITY_EDGE_MARGIN_M = 50.0  # the 街道 reach this far beyond the outer streets
CITY_ARTERIAL_EVERY = 5  # every fifth street line is a primary arterial
CITY_ONEWAY_PAIR_EVERY = 8  # one one-way couplet per eight street lines
CITY_ARTERIAL_MAXSPEED = "50"
CITY_SLOW_STREET_SHARE = 0.2
CITY_SLOW_STREET_MAXSPEED = "30"
SUBDISTRICTS_PER_SCALE = 4
SUBDISTRICT_SEED_INSET = 0.25  # 街道 seeds keep this share of the town's side from its edge


def county_outline(rng: np.random.Generator, scale: float) -> Polygon:
    """A noisy ellipse of exactly ``COUNTY_AREA_KM2 * scale`` km², centred on the origin."""
    theta = np.linspace(0.0, 2.0 * np.pi, COUNTY_OUTLINE_VERTICES, endpoint=False)
    radius = np.ones_like(theta)
    for order in range(2, COUNTY_OUTLINE_HARMONICS + 2):
        amplitude = rng.normal(0.0, COUNTY_OUTLINE_NOISE / order)
        radius += amplitude * np.cos(order * theta + rng.uniform(0, 2 * np.pi))
    ring = np.column_stack([COUNTY_ASPECT * radius * np.cos(theta), radius * np.sin(theta)])
    outline = Polygon(ring)
    factor = math.sqrt(COUNTY_AREA_KM2 * scale * M2_PER_KM2 / outline.area)
    return Polygon(ring * factor)


@dataclass
class City:
    """The county town: its outline (with the 街道 margin), the arterials' ends on its edge, its inner crossings."""

    square: Polygon
    entries: list[int]  # ends of the arterials on the edge of the grid
    inner: list[int]  # grid intersections off the edge (school sites)


def _is_arterial(line: int, lines: int) -> bool:
    return 0 < line < lines - 1 and line % CITY_ARTERIAL_EVERY == CITY_ARTERIAL_EVERY // 2


def build_city(net: Roads, rng: np.random.Generator, scale: float) -> City:
    """The county town: a street grid with primary arterials, one-way couplets and some speed limits."""
    half = CITY_SIDE_M * math.sqrt(scale) / 2
    xs = grid_lines(rng, half, CITY_BLOCK_M)
    ys = grid_lines(rng, half, CITY_BLOCK_M)
    names = name_pool(rng, STREET_WORDS, TOWN_NAME_FIRST, TOWN_NAME_SECOND, len(xs) + len(ys))
    couplets = (_oneway_couplets(rng, len(ys)), _oneway_couplets(rng, len(xs)))
    slow = (_slow_streets(rng, len(ys), couplets[0]), _slow_streets(rng, len(xs), couplets[1]))

    def style(axis: int, line: int, lines: int) -> tuple[str, dict[str, str], bool]:
        extra = {"name": names[len(ys) * axis + line] + STREET_SUFFIXES[axis]}
        if _is_arterial(line, lines):
            return "primary", extra | {"maxspeed": CITY_ARTERIAL_MAXSPEED}, False
        if line in couplets[axis]:
            return "residential", extra | {"oneway": "yes"}, couplets[axis][line]
        if line in slow[axis]:
            extra |= {"maxspeed": CITY_SLOW_STREET_MAXSPEED}
        return "residential", extra, False

    grid = add_grid(net, rng, np.zeros(2), (xs, ys), style, jitter=CITY_JITTER_M)
    entries = [int(grid[end, k]) for k in range(len(ys)) if _is_arterial(k, len(ys)) for end in (0, -1)]
    entries += [int(grid[k, end]) for k in range(len(xs)) if _is_arterial(k, len(xs)) for end in (0, -1)]
    square = box(xs[0], ys[0], xs[-1], ys[-1]).buffer(CITY_EDGE_MARGIN_M, join_style="mitre")
    inner = [int(n) for n in grid[1:-1, 1:-1].ravel()]
    return City(square=square, entries=entries, inner=inner)


def _slow_streets(rng: np.random.Generator, lines: int, couplets: dict[int, bool]) -> set[int]:
    """``CITY_SLOW_STREET_SHARE`` of the plain residential street lines (at least one), chosen at random."""
    plain = [k for k in range(lines) if not (_is_arterial(k, lines) or k in couplets)]
    count = max(1, round(CITY_SLOW_STREET_SHARE * len(plain)))
    return {int(k) for k in rng.choice(plain, size=count, replace=False)}


def _oneway_couplets(rng: np.random.Generator, lines: int) -> dict[int, bool]:
    """Pairs of adjacent street lines made one-way in opposite directions: ``{line: reversed}``."""
    pairs = max(1, lines // CITY_ONEWAY_PAIR_EVERY)
    usable = [k for k in range(1, lines - 2) if not (_is_arterial(k, lines) or _is_arterial(k + 1, lines))]
    chosen: dict[int, bool] = {}
    for k in rng.permutation(usable):
        if len(chosen) == 2 * pairs:
            break
        if any(j in chosen for j in (k - 1, k, k + 1, k + 2)):
            continue
        chosen |= {int(k): False, int(k) + 1: True}
    return chosen


@dataclass
class Unit:
    """An admin_level=8 unit: a 街道 of the county town or a township (乡镇)."""

    name: str
    area: Polygon | MultiPolygon


def make_subdistricts(rng: np.random.Generator, square: Polygon, scale: float) -> list[Unit]:
    """The county town's 街道: Voronoi cells of spread seeds, named 城关 (the most central), 东城, 北城, ..."""
    count = max(1, round(SUBDISTRICTS_PER_SCALE * scale))
    side = math.sqrt(square.area)
    seeds = spread_in_region(rng, square.buffer(-SUBDISTRICT_SEED_INSET * side), count)
    seeds = seeds[np.argsort(np.hypot(seeds[:, 0], seeds[:, 1]), kind="stable")]
    pool = name_pool(rng, SUBDISTRICT_NAMES, TOWN_NAME_FIRST, TOWN_NAME_SECOND, count + len(SUBDISTRICT_DIRECTIONS))
    names = [pool.pop(0)]
    for x, y in seeds[1:]:
        bearing = math.degrees(math.atan2(y, x))
        facing = [
            name
            for name, direction in SUBDISTRICT_DIRECTIONS.items()
            if name in pool and abs((bearing - direction + 180) % 360 - 180) <= SUBDISTRICT_DIRECTION_TOLERANCE
        ]
        names.append(facing[0] if facing else next(n for n in pool if n not in SUBDISTRICT_DIRECTIONS))
        pool.remove(names[-1])
    cells = voronoi_cells(seeds, square)
    return [Unit(name + SUBDISTRICT_SUFFIX, cell) for name, cell in zip(names, cells, strict=True)]
