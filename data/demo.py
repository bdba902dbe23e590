"""A seeded generator of 示范县, an invented but realistic Chinese county, for demos, tests and benchmarks.

``generate_demo`` writes two files:

* ``demo_county.osm``: OSM XML with the road network (a gridded county town, townships with small street
  grids, villages on ``unclassified`` roads, ``trunk``/``primary`` roads to the town and
  ``secondary``/``tertiary`` roads between townships) and ``boundary=administrative`` relations for the
  county (``admin_level=6``) and its 乡镇/街道 (``admin_level=8``), which tile the county;
* ``demo_schools.csv``: the bureau-style school table (UTF-8 with BOM, the Chinese headers of
  :data:`gis.schema.TABLE_HEADERS_ZH`), with enrollment, staff, the principal (校长; a few left blank,
  as in real tables), the seven resource indicators and the designated quality (优质) schools.

Everything is built in metres in UTM zone 50N around a centre in Shandong and written in WGS-84. The same
seed and scale give byte-identical files; ``scale`` multiplies the county's area and the number of
townships, villages and schools (``scale=20`` is prefecture-sized, for benchmarks). All of it is fiction:
every file says so (:data:`DEMO_NOTICE`).
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import itertools
import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.sax.saxutils import quoteattr

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Polygon, box

from gis.admin import COUNTY_LEVEL, TOWNSHIP_LEVEL
from gis.files import atomic_path, write_text_atomic
from gis.schema import AREA_LABELS_ZH, CATEGORY_LABELS_ZH, INDICATORS, LEVEL_LABELS_ZH, TABLE_HEADERS_ZH
from gis.settings import HIGHWAY_SPEEDS_KPH
from partition.naming import zh_numeral
from partition.standards import FLOORS

__all__ = [
    "COUNTY_NAME",
    "DEMO_NOTICE",
    "DEMO_SEED",
    "GENERATOR_VERSION",
    "DemoFiles",
    "ensure_demo",
    "generate_demo",
]

# --- identity and files ------------------------------------------------------------------------------

DEMO_SEED = 20261123
COUNTY_NAME = "示范县"
#: Version of the generator, in the OSM header and the stamp ``ensure_demo`` checks (which also holds a
#: hash of this file, so any edit regenerates the cached demo).
GENERATOR_VERSION = "3"

OSM_FILENAME = "demo_county.osm"
SCHOOLS_FILENAME = "demo_schools.csv"
STAMP_FILENAME = "demo_stamp.json"
STAMP_HASH_CHARS = 16
DEFAULT_DEMO_DIR = Path(__file__).parent / "demo"

SOURCE_TAG = "synthetic demo data"
NOTE_TAG = "示例数据（虚构）"  # noqa: RUF001 - Chinese full-width brackets
DEMO_NOTICE = f"{NOTE_TAG} / {SOURCE_TAG}"
PROVENANCE_TAGS = {"source": SOURCE_TAG, "note": NOTE_TAG}
OSM_GENERATOR = f"xuequ demo generator {GENERATOR_VERSION}"

# --- coordinates ---------------------------------------------------------------------------------------

PROJECTED_CRS = "EPSG:32650"  # UTM zone 50N: metres
GEOGRAPHIC_CRS = "EPSG:4326"
CENTRE_LON = 117.6
CENTRE_LAT = 36.1
COORD_DECIMALS = 7
RING_MIN_VERTEX_GAP_M = 1.0  # closer boundary vertices are merged, so no two round to one point

#: Smallest supported ``scale``: below it the town and the townships no longer fit in the county.
MIN_SCALE = 0.5

# --- county outline --------------------------------------------------------------------------------------

COUNTY_AREA_KM2 = 2250.0
COUNTY_ASPECT = 55.0 / 45.0  # east-west over north-south extent
COUNTY_OUTLINE_VERTICES = 360
COUNTY_OUTLINE_HARMONICS = 7
COUNTY_OUTLINE_NOISE = 0.1  # relative radius amplitude of the harmonics, divided by their order
M2_PER_KM2 = 1e6

# --- county town (城区) -------------------------------------------------------------------------------

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

# --- townships, villages, roads ------------------------------------------------------------------------

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
CANDIDATES_PER_POINT = 12  # best-candidate sampling: higher spreads points more evenly
SAMPLE_OVERDRAW = 4  # points drawn in a region's bounding box per point wanted inside it

ROAD_NODE_SPACING_M = (150.0, 300.0)
STREET_NODE_SPACING_M = (60.0, 120.0)
NODE_STEP_VARIATION = (0.7, 1.3)  # each step between nodes, relative to the mean
ROAD_BEND = 0.03  # sideways bow of a road, as a share of its length
ROAD_JITTER_M = 10.0
TOWN_LINK_MAX_M = 22000.0  # longer Delaunay links are kept only when needed for connectivity
TRUNK_MIN_TOWNS_SHARE = 0.1  # a radial link serving this share of townships (at least two) is a trunk road
TRUNK_MAXSPEED = "80"
RURAL_PRIMARY_MAXSPEED = "60"
MAXSPEED_EVERY = 2  # every second trunk and rural primary road is signposted
M_PER_KM, MIN_PER_HOUR = 1000.0, 60.0

# --- schools -------------------------------------------------------------------------------------------

CITY_SCHOOLS_PER_SCALE = 26
CITY_LEVEL_SHARES = {"primary": 0.52, "junior": 0.38, "nine_year": 0.10}
VILLAGE_LEVEL_SHARES = {"primary": 0.72, "junior": 0.2, "nine_year": 0.08}
TOWN_EXTRA_SCHOOL_SHARE = 0.45  # townships with a third centre school, scaled by township size
TOWN_EXTRA_NINE_YEAR_SHARE = 0.5
VILLAGE_SCHOOL_SHARE = 0.45
MIN_VILLAGE_SCHOOLS = 4
SCHOOL_ON_NODE_SHARE = 0.25
SCHOOL_OFFSET_M = (50.0, 300.0)

CITY_ENROLLMENT = (1000, 1800)
CITY_LARGE_ENROLLMENT = (1800, 2400)
CITY_LARGE_SHARE = 0.12
CITY_NINE_YEAR_ENROLLMENT = (1500, 2400)
TOWN_CENTRE_ENROLLMENT = {"primary": (900, 1300), "junior": (800, 1200), "nine_year": (600, 1000)}
TOWN_SECOND_PRIMARY_ENROLLMENT = (400, 800)
TOWN_ENROLLMENT_RANGE = (400, 1500)
VILLAGE_PRIMARY_MEDIAN = 170.0
VILLAGE_PRIMARY_SIGMA = 0.5
VILLAGE_SECONDARY_ENROLLMENT = (220, 400)
VILLAGE_ENROLLMENT_RANGE = (30, 400)

QUALITY_SHARE = 0.2
CORE_LEVEL_GROUPS = (("primary", "nine_year"), ("junior",))  # cores are shared out per group
CORE_ENROLLMENT_RANGE = (1200, 2200)  # a city core larger than this would unbalance its 学区
MIN_MEMBERS = 2  # members per core in the solver's default rules
CITY_MAX_CORE_SHARE = 0.4
MIN_SCHOOLS_FOR_TOWN_CORE = 6
TOWN_CORE_LEVEL = "primary"  # such a township's 中心小学 is a core
SPECIAL_SHARE_OF_QUALITY = 0.2  # quality schools listed as 特色 rather than 示范

#: Class size (mean, sd) by level and area type; a few exceed the 45/50 limits, as real counties do.
CLASS_SIZE = {
    "primary": {"urban": (43.0, 2.0), "town": (40.0, 3.0), "rural": (30.0, 7.0)},
    "junior": {"urban": (47.0, 2.0), "town": (45.0, 3.0), "rural": (38.0, 6.0)},
}
CLASS_SIZE_RANGE = (15.0, 56.0)
#: Students per teacher by level and area type (uniform range).
STUDENT_TEACHER_RATIO = {
    "primary": {"urban": (16.0, 19.0), "town": (14.5, 17.5), "rural": (13.0, 16.0)},
    "junior": {"urban": (13.0, 15.0), "town": (12.5, 14.5), "rural": (12.0, 14.0)},
}
NINE_YEAR_JUNIOR_SHARE = 3.0 / 9.0  # three of a nine-year school's nine grades are junior

#: Median value over the national floor (:data:`partition.standards.FLOORS`) by area type: the county town
#: is rich in staff and equipment but crowded, villages have space but few specialists and little equipment.
INDICATOR_MEDIAN_OVER_FLOOR = {
    "senior_degree_teachers_per100": {"urban": 1.25, "town": 1.1, "rural": 0.95},
    "backbone_teachers_per100": {"urban": 1.7, "town": 1.15, "rural": 0.65},
    "pe_art_teachers_per100": {"urban": 1.3, "town": 1.1, "rural": 0.8},
    "teaching_area_per_student": {"urban": 1.05, "town": 1.2, "rural": 1.6},
    "sports_area_per_student": {"urban": 1.0, "town": 1.35, "rural": 2.0},
    "equipment_value_per_student": {"urban": 1.6, "town": 1.2, "rural": 0.85},
    "multimedia_rooms_per100": {"urban": 1.25, "town": 1.1, "rural": 0.8},
}
INDICATOR_SIGMA = {"urban": 0.18, "town": 0.25, "rural": 0.4}  # lognormal spread around the median
QUALITY_BONUS = 1.15  # quality schools: these staff and equipment indicators times this
QUALITY_INDICATORS = (
    "senior_degree_teachers_per100",
    "backbone_teachers_per100",
    "pe_art_teachers_per100",
    "equipment_value_per_student",
    "multimedia_rooms_per100",
)
#: A staff indicator cannot exceed this share of all teachers per 100 students.
MAX_TEACHER_SHARE = {
    "senior_degree_teachers_per100": 0.95,
    "backbone_teachers_per100": 0.45,
    "pe_art_teachers_per100": 0.3,
}
PER_HUNDRED = 100.0
INDICATOR_DECIMALS = {name: 2 for name in INDICATORS} | {"equipment_value_per_student": 0}

SCHOOL_ID_PREFIX = "3707"
SCHOOL_ID_DIGITS = 6
YES_ZH, NO_ZH = "是", "否"

# --- names ---------------------------------------------------------------------------------------------

TOWN_NAME_FIRST = "青柳石桃杏松梅双新古高龙凤金银铁白黄马杨王李张大小东西南北红花沙"
TOWN_NAME_SECOND = "山口林桥庄集店营屯寨湖坡岭沟泉埠堡峪河洼"
TOWN_SUFFIXES = ("镇", "乡")
TOWN_XIANG_SHARE = 0.25
SUBDISTRICT_NAMES = ("城关", "东城", "西城", "北城", "南城", "新华", "人民", "文化", "和平", "建设", "朝阳", "向阳")
SUBDISTRICT_SUFFIX = "街道"
SUBDISTRICT_DIRECTIONS = {"东城": 0.0, "北城": 90.0, "西城": 180.0, "南城": 270.0}  # bearing from the centre
SUBDISTRICT_DIRECTION_TOLERANCE = 60.0  # degrees
STREET_WORDS = (
    "人民", "建设", "解放", "文化", "和平", "胜利", "民主", "青年", "光明", "幸福", "新华", "黄河",
    "泰山", "府前", "工业", "商业", "育才", "团结", "友谊", "振兴", "兴华", "龙山", "凤凰", "金桥",
)  # fmt: skip
STREET_SUFFIXES = ("路", "街")  # east-west, north-south
VILLAGE_SURNAMES = (
    "李王张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董"
    "程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭"
)
VILLAGE_SUFFIXES = ("家村", "庄村", "家庄村", "家洼村", "家屯村", "营村", "楼村", "官庄村")
#: Principals' given names: one or two characters from this pool after a surname of VILLAGE_SURNAMES.
GIVEN_NAME_CHARS = "建国华明丽军红平文伟芳秀英敏静志强磊洋艳勇杰娟涛超霞刚桂玉海燕云飞春林"
GIVEN_NAME_TWO_CHAR_SHARE = 0.7
#: Share of schools whose principal the table leaves blank (a post vacant or not reported).
PRINCIPAL_BLANK_SHARE = 0.04
#: Principals are drawn from their own random stream, so adding them changed nothing else in the county.
PRINCIPAL_STREAM = 1
JUNIOR_ORDINAL_START = 2  # 第一中学 is the county's senior high school, so junior schools count from 二


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the demo county's files."""

    osm: Path
    schools: Path


# --- the road network ---------------------------------------------------------------------------------


class _RoadNetwork:
    """Road nodes (metres, local frame) and ways; node ``i`` is written with OSM id ``i + 1``."""

    def __init__(self) -> None:
        self.xy: list[tuple[float, float]] = []
        self.ways: list[tuple[list[int], dict[str, str]]] = []

    def add_node(self, x: float, y: float) -> int:
        self.xy.append((float(x), float(y)))
        return len(self.xy) - 1

    def points(self, nodes: Sequence[int]) -> np.ndarray:
        return np.array([self.xy[i] for i in nodes], dtype=float).reshape(-1, 2)

    def add_way(self, nodes: list[int], tags: dict[str, str]) -> None:
        self.ways.append((nodes, tags))

    def add_chain(self, rng: np.random.Generator, start: int, end: int, spacing: tuple[float, float]) -> list[int]:
        """New intermediate nodes from node ``start`` to node ``end`` (see :func:`_road_interior`), ends included."""
        interior = _road_interior(rng, np.array(self.xy[start]), np.array(self.xy[end]), spacing)
        return [start, *(self.add_node(x, y) for x, y in interior), end]

    def add_road(
        self, rng: np.random.Generator, start: int, end: int, tags: dict[str, str], spacing: tuple[float, float]
    ) -> list[int]:
        """Add a wiggly road from node ``start`` to node ``end``; return its nodes."""
        nodes = self.add_chain(rng, start, end, spacing)
        self.add_way(nodes, tags)
        return nodes


def _road_interior(rng: np.random.Generator, a: np.ndarray, b: np.ndarray, spacing: tuple[float, float]) -> np.ndarray:
    """Intermediate points of a road from ``a`` to ``b``: a gentle bow plus jitter, about ``spacing`` apart."""
    length = float(np.hypot(*(b - a)))
    segments = max(1, round(length / rng.uniform(*spacing)))
    steps = rng.uniform(*NODE_STEP_VARIATION, segments)
    t = (np.cumsum(steps) / steps.sum())[:-1]
    normal = np.array([a[1] - b[1], b[0] - a[0]]) / max(length, 1.0)
    bow = rng.normal(0.0, ROAD_BEND) * length * np.sin(np.pi * t)
    jitter = rng.normal(0.0, ROAD_JITTER_M, t.size)
    return a + np.outer(t, b - a) + np.outer(bow + jitter, normal)


def _street_tags(highway: str, **extra: str) -> dict[str, str]:
    return {"highway": highway, **extra, **PROVENANCE_TAGS}


# --- sampling and names -------------------------------------------------------------------------------


def _best_candidates(
    rng: np.random.Generator, sample: Callable[[int], np.ndarray], count: int, avoid: np.ndarray | None = None
) -> list[int]:
    """Pick ``count`` of the candidates ``sample(k)`` offers, each the farthest from those already picked.

    ``sample(k)`` returns ``(k, 3)`` rows ``x, y, key``; the keys of the picks are returned.
    """
    picked = np.empty((0, 2)) if avoid is None else np.asarray(avoid, dtype=float).reshape(-1, 2)
    keys: list[int] = []
    for _ in range(count):
        candidates = sample(CANDIDATES_PER_POINT)
        if len(picked):
            gaps = np.hypot(*(candidates[:, None, :2] - picked[None, :, :]).transpose(2, 0, 1)).min(axis=1)
            best = candidates[int(np.argmax(gaps))]
        else:
            best = candidates[0]
        picked = np.vstack([picked, best[:2]])
        keys.append(int(best[2]))
    return keys


def _region_sampler(rng: np.random.Generator, region: Polygon | MultiPolygon) -> Callable[[int], np.ndarray]:
    """Uniform points inside ``region`` (key = running number); see :func:`_best_candidates`."""
    shapely.prepare(region)
    minx, miny, maxx, maxy = region.bounds
    counter = itertools.count()

    def sample(k: int) -> np.ndarray:
        rows: list[tuple[float, float, int]] = []
        while len(rows) < k:
            x = rng.uniform(minx, maxx, SAMPLE_OVERDRAW * k)
            y = rng.uniform(miny, maxy, SAMPLE_OVERDRAW * k)
            inside = shapely.contains_xy(region, x, y)
            rows += [(xi, yi, next(counter)) for xi, yi in zip(x[inside], y[inside], strict=True)]
        return np.array(rows[:k], dtype=float)

    return sample


def _spread_in_region(
    rng: np.random.Generator, region: Polygon | MultiPolygon, count: int, avoid: np.ndarray | None = None
) -> np.ndarray:
    """``count`` evenly spread random points in ``region``, away from ``avoid``."""
    sample = _region_sampler(rng, region)
    rows: dict[int, tuple[float, float]] = {}

    def remembering(k: int) -> np.ndarray:
        got = sample(k)
        rows.update({int(key): (x, y) for x, y, key in got})
        return got

    return np.array([rows[key] for key in _best_candidates(rng, remembering, count, avoid)]).reshape(-1, 2)


def _spread_among(rng: np.random.Generator, points: np.ndarray, count: int) -> list[int]:
    """Indices of ``count`` distinct, evenly spread rows of ``points``."""
    taken: set[int] = set()

    def sample(k: int) -> np.ndarray:
        free = np.array([i for i in range(len(points)) if i not in taken])
        idx = rng.choice(free, size=min(k, free.size), replace=False)
        return np.column_stack([points[idx], idx])

    keys: list[int] = []
    for _ in range(count):
        key = _best_candidates(rng, sample, 1, points[keys] if keys else None)[0]
        taken.add(key)
        keys.append(key)
    return keys


def _name_pool(rng: np.random.Generator, preset: Sequence[str], first: str, second: str, count: int) -> list[str]:
    """``count`` distinct names: the ``preset`` ones in order, then shuffled two-character combinations."""
    combos = [a + b for a in first for b in second if a != b and a + b not in preset]
    extra = [combos[i] for i in rng.permutation(len(combos))]
    names = [*preset, *extra][:count]
    if len(names) < count:
        raise ValueError(f"the name lists hold only {len(names)} names, {count} are needed: lower scale")
    return names


# --- geography ----------------------------------------------------------------------------------------


def _county_outline(rng: np.random.Generator, scale: float) -> Polygon:
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
class _City:
    square: Polygon
    entries: list[int]  # ends of the arterials on the edge of the grid
    inner: list[int]  # grid intersections off the edge (school sites)


def _grid_lines(rng: np.random.Generator, half: float, block: tuple[float, float]) -> np.ndarray:
    """Positions of street lines from ``-half`` to ``half`` with blocks of random length in ``block``."""
    gaps = rng.uniform(*block, int(2 * half / block[0]) + 2)
    gaps = gaps[: int(np.searchsorted(np.cumsum(gaps), 2 * half)) + 1]
    return -half + np.concatenate([[0.0], np.cumsum(gaps) * (2 * half / gaps.sum())])


_StreetStyle = Callable[[int, int, int], tuple[str, dict[str, str], bool]]


def _add_grid(
    net: _RoadNetwork,
    rng: np.random.Generator,
    centre: np.ndarray,
    offsets: tuple[np.ndarray, np.ndarray],
    style: _StreetStyle,
    *,
    jitter: float,
    angle: float = 0.0,
) -> np.ndarray:
    """A street grid around ``centre``: intersections ``(i, j)`` at ``offsets`` x and y, rotated by ``angle``.

    ``style(axis, line, lines)`` gives each street's highway, extra tags and whether to reverse it (axis 0:
    streets along x, axis 1: along y). Each street is one way, with nodes about ``STREET_NODE_SPACING_M``
    apart. Returns the node ids of the intersections as an array indexed ``[i, j]``.
    """
    xs, ys = offsets
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    grid = np.empty((len(xs), len(ys)), dtype=int)
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            grid[i, j] = net.add_node(*(centre + rotation @ [x, y] + rng.normal(0.0, jitter, 2)))
    for axis, count in ((0, len(ys)), (1, len(xs))):
        for k in range(count):
            line = [int(n) for n in (grid[:, k] if axis == 0 else grid[k, :])]
            highway, extra, reverse = style(axis, k, count)
            line = line[::-1] if reverse else line
            nodes = [line[0]]
            for a, b in itertools.pairwise(line):
                nodes += net.add_chain(rng, a, b, STREET_NODE_SPACING_M)[1:]
            net.add_way(nodes, _street_tags(highway, **extra))
    return grid


def _is_arterial(line: int, lines: int) -> bool:
    return 0 < line < lines - 1 and line % CITY_ARTERIAL_EVERY == CITY_ARTERIAL_EVERY // 2


def _build_city(net: _RoadNetwork, rng: np.random.Generator, scale: float) -> _City:
    """The county town: a street grid with primary arterials, one-way couplets and some speed limits."""
    half = CITY_SIDE_M * math.sqrt(scale) / 2
    xs = _grid_lines(rng, half, CITY_BLOCK_M)
    ys = _grid_lines(rng, half, CITY_BLOCK_M)
    names = _name_pool(rng, STREET_WORDS, TOWN_NAME_FIRST, TOWN_NAME_SECOND, len(xs) + len(ys))
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

    grid = _add_grid(net, rng, np.zeros(2), (xs, ys), style, jitter=CITY_JITTER_M)
    entries = [int(grid[end, k]) for k in range(len(ys)) if _is_arterial(k, len(ys)) for end in (0, -1)]
    entries += [int(grid[k, end]) for k in range(len(xs)) if _is_arterial(k, len(xs)) for end in (0, -1)]
    square = box(xs[0], ys[0], xs[-1], ys[-1]).buffer(CITY_EDGE_MARGIN_M, join_style="mitre")
    inner = [int(n) for n in grid[1:-1, 1:-1].ravel()]
    return _City(square=square, entries=entries, inner=inner)


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
class _Unit:
    """An admin_level=8 unit: a 街道 of the county town or a township (乡镇)."""

    name: str
    area: Polygon | MultiPolygon


def _voronoi_cells(seeds: np.ndarray, clip: Polygon | MultiPolygon) -> list[Polygon | MultiPolygon]:
    """Voronoi cells of ``seeds`` (in seed order) clipped to ``clip``; detached pieces go to a neighbour."""
    envelope = clip.envelope.buffer(clip.length)
    cells = list(shapely.voronoi_polygons(MultiPoint(seeds), extend_to=envelope, ordered=True).geoms)
    cells = [cell.intersection(clip) for cell in cells]
    pieces: list[Polygon] = []
    for i, cell in enumerate(cells):
        if isinstance(cell, MultiPolygon):
            seed = shapely.Point(seeds[i])
            parts = sorted(cell.geoms, key=lambda part: part.distance(seed))
            cells[i] = parts[0]
            pieces += parts[1:]
    for piece in pieces:
        shared = [cell.boundary.intersection(piece.boundary).length for cell in cells]
        owner = int(np.argmax(shared)) if max(shared) > 0 else int(np.argmin([c.distance(piece) for c in cells]))
        cells[owner] = shapely.union(cells[owner], piece)
    return cells


def _subdistricts(rng: np.random.Generator, square: Polygon, scale: float) -> list[_Unit]:
    """The county town's 街道: Voronoi cells of spread seeds, named 城关 (the most central), 东城, 北城, ..."""
    count = max(1, round(SUBDISTRICTS_PER_SCALE * scale))
    side = math.sqrt(square.area)
    seeds = _spread_in_region(rng, square.buffer(-SUBDISTRICT_SEED_INSET * side), count)
    seeds = seeds[np.argsort(np.hypot(seeds[:, 0], seeds[:, 1]), kind="stable")]
    pool = _name_pool(rng, SUBDISTRICT_NAMES, TOWN_NAME_FIRST, TOWN_NAME_SECOND, count + len(SUBDISTRICT_DIRECTIONS))
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
    cells = _voronoi_cells(seeds, square)
    return [_Unit(name + SUBDISTRICT_SUFFIX, cell) for name, cell in zip(names, cells, strict=True)]


@dataclass
class _Village:
    name: str
    centre: int  # the lane crossing nearest the village centre
    nodes: list[int]  # the lane crossings


@dataclass
class _Town:
    name: str
    seed: np.ndarray
    size: float
    cell: Polygon | MultiPolygon = field(default_factory=Polygon)
    grid: list[int] = field(default_factory=list)
    #: Nodes of the roads to other towns that lie in the cell, with the minutes to drive to the town.
    link_minutes: dict[int, float] = field(default_factory=dict)
    villages: list[_Village] = field(default_factory=list)


def _place_towns(rng: np.random.Generator, county: Polygon, city: Polygon, scale: float) -> list[_Town]:
    """Township centres spread over the county outside the county town, with names and size factors."""
    count = max(1, round(TOWNS_PER_SCALE * scale))
    region = county.buffer(-TOWN_EDGE_MARGIN_M).difference(city.buffer(TOWN_CITY_CLEARANCE_M))
    seeds = _spread_in_region(rng, region, count, avoid=np.zeros((1, 2)))
    names = _name_pool(rng, (), TOWN_NAME_FIRST, TOWN_NAME_SECOND, count)
    towns = []
    for name, seed in zip(names, seeds, strict=True):
        suffix = TOWN_SUFFIXES[int(rng.random() < TOWN_XIANG_SHARE)]
        size = float(np.clip(rng.lognormal(0.0, TOWN_SIZE_SIGMA), *TOWN_SIZE_RANGE))
        towns.append(_Town(name=name + suffix, seed=seed, size=size))
    return towns


def _build_town_grid(net: _RoadNetwork, rng: np.random.Generator, town: _Town) -> None:
    """A small street grid around the town centre: the middle streets tertiary, the others residential."""
    lines = int(rng.integers(*TOWN_GRID_LINES))
    offsets = (np.arange(lines) - (lines - 1) / 2) * rng.uniform(*TOWN_GRID_SPACING_M)
    middle = lines // 2

    def style(axis: int, line: int, lines: int) -> tuple[str, dict[str, str], bool]:
        return ("tertiary" if line == middle else "residential"), {}, False

    grid = _add_grid(net, rng, town.seed, (offsets, offsets), style, jitter=TOWN_JITTER_M)
    town.grid = [int(n) for n in grid.ravel()]


def _nearest(net: _RoadNetwork, nodes: Sequence[int], target: np.ndarray) -> int:
    """The node of ``nodes`` nearest ``target``."""
    points = net.points(nodes)
    return nodes[int(np.argmin(np.hypot(*(points - target).T)))]


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


def _build_town_roads(
    net: _RoadNetwork, rng: np.random.Generator, county: Polygon, city: _City, towns: list[_Town]
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
        start = _nearest(net, city.entries, seeds[b]) if a == 0 else _nearest(net, towns[a - 1].grid, seeds[b])
        end = _nearest(net, towns[b - 1].grid, seeds[a])
        if (a, b) in served:
            highway = "trunk" if a == 0 and served[(a, b)] >= trunk_min else "primary"
            limit = TRUNK_MAXSPEED if highway == "trunk" else RURAL_PRIMARY_MAXSPEED
        else:
            highway = "secondary" if np.hypot(*(seeds[a] - seeds[b])) >= secondary_min else "tertiary"
            limit = ""
        built[highway] = built.get(highway, 0) + 1
        extra = {"maxspeed": limit} if limit and built[highway] % MAXSPEED_EVERY == 1 % MAXSPEED_EVERY else {}
        tags = _street_tags(highway, **extra)
        nodes = net.add_road(rng, start, end, tags, ROAD_NODE_SPACING_M)
        minutes = _road_minutes(net, nodes, tags)
        for i, to_town in ((a, minutes), (b, minutes[-1] - minutes)):
            if i:
                town = towns[i - 1]
                inside = shapely.contains_xy(town.cell, *net.points(nodes[1:-1]).T)
                town.link_minutes |= {
                    n: float(m) for n, m, ok in zip(nodes[1:-1], to_town[1:-1], inside, strict=True) if ok
                }


def _build_villages(net: _RoadNetwork, rng: np.random.Generator, town: _Town) -> None:
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
    centres = _spread_in_region(rng, region, count, avoid=town.seed)
    surnames = rng.choice(len(VILLAGE_SURNAMES), size=count, replace=False)
    for centre_xy, surname in zip(centres, surnames, strict=True):
        suffix = VILLAGE_SUFFIXES[int(rng.integers(len(VILLAGE_SUFFIXES)))]
        lines = [int(rng.integers(*VILLAGE_LANES)) for _ in range(2)]
        offsets = [(np.arange(n) - (n - 1) / 2) * rng.uniform(*VILLAGE_LANE_SPACING_M) for n in lines]
        grid = _add_grid(
            net,
            rng,
            centre_xy,
            (offsets[0], offsets[1]),
            _village_lane,
            jitter=TOWN_JITTER_M,
            angle=rng.uniform(0, np.pi),
        )
        nodes = [int(n) for n in grid.ravel()]
        town.villages.append(_Village(VILLAGE_SURNAMES[surname] + suffix, _nearest(net, nodes, centre_xy), nodes))
    _connect_villages(net, rng, town)


def _village_lane(axis: int, line: int, lines: int) -> tuple[str, dict[str, str], bool]:
    return "residential", {}, False


def _road_minutes(net: _RoadNetwork, nodes: list[int], tags: dict[str, str]) -> np.ndarray:
    """Minutes of driving from ``nodes[0]`` to each node of a road, at its maxspeed or the default speed."""
    speed = float(tags.get("maxspeed", HIGHWAY_SPEEDS_KPH[tags["highway"]])) * M_PER_KM / MIN_PER_HOUR
    steps = np.hypot(*np.diff(net.points(nodes), axis=0).T)
    return np.concatenate([[0.0], np.cumsum(steps)]) / speed


def _connect_villages(net: _RoadNetwork, rng: np.random.Generator, town: _Town) -> None:
    """Tertiary spokes from the town to its farthest villages, then unclassified roads to the rest.

    The spokes (乡道) run to the farthest villages in different directions. The other villages then join
    one at a time, the quickest to reach the town first, each by a road to the node it reaches the town
    quickest through (driving at the solver's default speeds, :data:`gis.settings.HIGHWAY_SPEEDS_KPH`).
    """
    minutes = dict.fromkeys(town.grid, 0.0) | town.link_minutes
    lane_speed = HIGHWAY_SPEEDS_KPH["residential"] * M_PER_KM / MIN_PER_HOUR
    road_speed = HIGHWAY_SPEEDS_KPH["unclassified"] * M_PER_KM / MIN_PER_HOUR

    def join(village: _Village, target: int, highway: str) -> None:
        start = _nearest(net, village.nodes, np.array(net.xy[target]))
        tags = _street_tags(highway)
        road = net.add_road(rng, start, target, tags, ROAD_NODE_SPACING_M)
        along = _road_minutes(net, road, tags)
        minutes.update({n: minutes[target] + along[-1] - m for n, m in zip(road[:-1], along[:-1], strict=True)})
        lanes = np.hypot(*(net.points(village.nodes) - net.xy[start]).T) / lane_speed
        minutes.update({n: minutes[start] + m for n, m in zip(village.nodes, lanes, strict=True) if n != start})

    waiting = list(town.villages)
    for village in _spoke_villages(net, town):
        waiting.remove(village)
        join(village, _nearest(net, town.grid, np.array(net.xy[village.centre])), "tertiary")
    while waiting:
        reached = list(minutes)
        points, base = net.points(reached), np.fromiter(minutes.values(), dtype=float)
        costs = [np.hypot(*(points - net.xy[v.centre]).T) / road_speed + base for v in waiting]
        v = int(np.argmin([c.min() for c in costs]))
        join(waiting.pop(v), reached[int(np.argmin(costs[v]))], "unclassified")


def _spoke_villages(net: _RoadNetwork, town: _Town) -> list[_Village]:
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


def _link_neighbour_villages(net: _RoadNetwork, rng: np.random.Generator, towns: list[_Town]) -> None:
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
            net.add_road(rng, centres[i], centres[j], _street_tags("unclassified"), ROAD_NODE_SPACING_M)


# --- schools ------------------------------------------------------------------------------------------


@dataclass
class _School:
    level: str  # canonical level
    area_type: str  # canonical area type
    unit: str  # 乡镇/街道
    place: str  # "" (county town), a township name, or "<township><village>"
    role: str  # "city", "centre", "second_primary", "village"
    xy: np.ndarray
    enrollment: int
    is_core: bool = False
    category: str = "basic"
    name: str = ""
    classes: int = 0
    teachers: int = 0
    principal: str = ""
    indicators: dict[str, float] = field(default_factory=dict)


def _draw_levels(rng: np.random.Generator, shares: dict[str, float], count: int) -> list[str]:
    return [str(level) for level in rng.choice(list(shares), size=count, p=list(shares.values()))]


def _school_site(rng: np.random.Generator, node_xy: np.ndarray) -> np.ndarray:
    """A school on a road node or a short walk (``SCHOOL_OFFSET_M``) from it."""
    if rng.random() < SCHOOL_ON_NODE_SHARE:
        return node_xy.copy()
    angle, distance = rng.uniform(0, 2 * np.pi), rng.uniform(*SCHOOL_OFFSET_M)
    return node_xy + distance * np.array([np.cos(angle), np.sin(angle)])


def _city_schools(
    rng: np.random.Generator, net: _RoadNetwork, city: _City, units: list[_Unit], scale: float
) -> list[_School]:
    count = round(CITY_SCHOOLS_PER_SCALE * scale)
    sites = _spread_among(rng, net.points(city.inner), count)
    schools = []
    for level, site in zip(_draw_levels(rng, CITY_LEVEL_SHARES, count), sites, strict=True):
        xy = _school_site(rng, np.array(net.xy[city.inner[site]]))
        unit = next(u.name for u in units if u.area.covers(shapely.Point(xy)))
        if level == "nine_year":
            enrollment = rng.integers(*CITY_NINE_YEAR_ENROLLMENT)
        else:
            large = rng.random() < CITY_LARGE_SHARE
            enrollment = rng.integers(*(CITY_LARGE_ENROLLMENT if large else CITY_ENROLLMENT))
        schools.append(_School(level, "urban", unit, "", "city", xy, int(enrollment)))
    return schools


def _town_schools(rng: np.random.Generator, net: _RoadNetwork, town: _Town) -> list[_School]:
    """The township's centre schools (中心小学, 初级中学, sometimes a third) and its village schools."""
    return _centre_schools(rng, net, town) + _village_schools(rng, net, town)


def _centre_schools(rng: np.random.Generator, net: _RoadNetwork, town: _Town) -> list[_School]:
    roles = [("primary", "centre"), ("junior", "centre")]
    if rng.random() < TOWN_EXTRA_SCHOOL_SHARE * town.size:
        nine_year = rng.random() < TOWN_EXTRA_NINE_YEAR_SHARE
        roles.append(("nine_year", "centre") if nine_year else ("primary", "second_primary"))
    sites = _spread_among(rng, net.points(town.grid), len(roles))
    schools = []
    for (level, role), site in zip(roles, sites, strict=True):
        low, high = TOWN_SECOND_PRIMARY_ENROLLMENT if role == "second_primary" else TOWN_CENTRE_ENROLLMENT[level]
        enrollment = int(np.clip(rng.integers(low, high) * town.size, *TOWN_ENROLLMENT_RANGE))
        xy = _school_site(rng, np.array(net.xy[town.grid[site]]))
        schools.append(_School(level, "town", town.name, town.name, role, xy, enrollment))
    return schools


def _village_schools(rng: np.random.Generator, net: _RoadNetwork, town: _Town) -> list[_School]:
    drawn = int(rng.binomial(len(town.villages), VILLAGE_SCHOOL_SHARE))
    count = min(len(town.villages), max(MIN_VILLAGE_SCHOOLS, drawn))
    villages = [town.villages[i] for i in np.sort(rng.choice(len(town.villages), size=count, replace=False))]
    schools = []
    for village, level in zip(villages, _draw_levels(rng, VILLAGE_LEVEL_SHARES, count), strict=True):
        if level == "primary":
            enrollment = rng.lognormal(math.log(VILLAGE_PRIMARY_MEDIAN), VILLAGE_PRIMARY_SIGMA)
        else:
            enrollment = rng.integers(*VILLAGE_SECONDARY_ENROLLMENT)
        node = village.nodes[int(rng.integers(len(village.nodes)))]
        xy = _school_site(rng, np.array(net.xy[node]))
        enrollment = int(np.clip(enrollment, *VILLAGE_ENROLLMENT_RANGE))
        schools.append(_School(level, "rural", town.name, town.name + village.name, "village", xy, enrollment))
    return schools


def _choose_cores(rng: np.random.Generator, regions: list[list[_School]]) -> None:
    """Mark about ``QUALITY_SHARE`` of each level group's schools as cores (优质学校), placed for balance.

    Each group of ``CORE_LEVEL_GROUPS`` gets its own cores, so 学区 can be drawn per level as well as for
    all schools together. Every township with ``MIN_SCHOOLS_FOR_TOWN_CORE`` schools has a core at its
    中心小学; the other cores go by the D'Hondt rule on enrollment (each region's enrollment per core near
    the county's) to city schools of core size and township centre schools. The county town may make up
    to ``CITY_MAX_CORE_SHARE`` of its schools cores, as its cores also lead township schools
    (以城区学校为核心, 联建镇街学校).
    """
    for levels in CORE_LEVEL_GROUPS:
        groups = [[s for s in region if s.level in levels] for region in regions]
        candidates = [_core_candidates(rng, group) for group in groups]
        limits = [min(len(c), _core_limit(group)) for c, group in zip(candidates, groups, strict=True)]
        cores = [
            min(limit, int(TOWN_CORE_LEVEL in levels and _is_core_town(region)))
            for limit, region in zip(limits, regions, strict=True)
        ]
        enrollment = [sum(s.enrollment for s in group) for group in groups]
        target = round(QUALITY_SHARE * sum(len(group) for group in groups))
        while sum(cores) < target:
            open_groups = [i for i in range(len(groups)) if cores[i] < limits[i]]
            if not open_groups:
                break
            best = max(open_groups, key=lambda i: (enrollment[i] / (cores[i] + 1), -i))
            cores[best] += 1
        for chosen, count in zip(candidates, cores, strict=True):
            for school in chosen[:count]:
                school.is_core = True
                school.category = "special" if rng.random() < SPECIAL_SHARE_OF_QUALITY else "model"


def _is_core_town(region: list[_School]) -> bool:
    return region[0].role != "city" and len(region) >= MIN_SCHOOLS_FOR_TOWN_CORE


def _core_candidates(rng: np.random.Generator, group: list[_School]) -> list[_School]:
    """Schools of a region's level group that may be cores, in the order they are made cores."""
    fits = [
        s for s in group if s.role == "city" and CORE_ENROLLMENT_RANGE[0] <= s.enrollment <= CORE_ENROLLMENT_RANGE[1]
    ]
    return [fits[i] for i in rng.permutation(len(fits))] + [s for s in group if s.role in ("centre", "second_primary")]


def _core_limit(group: list[_School]) -> int:
    """Most cores a region's level group may have."""
    if group and group[0].role == "city":
        return math.floor(CITY_MAX_CORE_SHARE * len(group))
    return max(1, len(group) // (1 + MIN_MEMBERS))


def _name_schools(schools: list[_School]) -> None:
    """Names in the style of county bureaus: 示范县第三实验小学, 青山镇中心小学, 青山镇李家村小学, 青山镇第二中学."""
    counters: dict[tuple[str, str], int] = {}

    def ordinal(place: str, kind: str, start: int = 1) -> str:
        counters[(place, kind)] = counters.get((place, kind), start - 1) + 1
        return "第" + zh_numeral(counters[(place, kind)])

    for school in schools:
        town = school.unit
        if school.role == "city":
            kind = {"primary": "小学", "junior": "中学", "nine_year": "九年一贯制学校"}[school.level]
            start = JUNIOR_ORDINAL_START if school.level == "junior" else 1
            prefix = "实验" if school.is_core and school.level != "nine_year" else ""
            school.name = COUNTY_NAME + ordinal(COUNTY_NAME, kind, start) + prefix + kind
        elif school.role == "second_primary":
            school.name = town + ordinal(town, "小学", 2) + "小学"
        elif school.role == "centre":
            school.name = (
                town + {"primary": "中心小学", "junior": "初级中学", "nine_year": "九年一贯制学校"}[school.level]
            )
        elif school.level == "junior":
            school.name = town + ordinal(town, "中学", JUNIOR_ORDINAL_START) + "中学"
        else:
            school.name = school.place + ("小学" if school.level == "primary" else "九年一贯制学校")


def _floor(level: str, indicator: str) -> float:
    if level == "nine_year":
        primary, junior = FLOORS["primary"][indicator], FLOORS["junior"][indicator]
        return (1 - NINE_YEAR_JUNIOR_SHARE) * primary + NINE_YEAR_JUNIOR_SHARE * junior
    return FLOORS[level][indicator]


def _staff_and_resources(rng: np.random.Generator, school: _School) -> None:
    """Classes, teachers and the seven indicators, drawn around the national floors."""
    staff_level = "primary" if school.level == "primary" else "junior"
    mean, sd = CLASS_SIZE[staff_level][school.area_type]
    school.classes = max(1, round(school.enrollment / np.clip(rng.normal(mean, sd), *CLASS_SIZE_RANGE)))
    ratio = rng.uniform(*STUDENT_TEACHER_RATIO[staff_level][school.area_type])
    school.teachers = max(school.classes, round(school.enrollment / ratio))
    teachers_per100 = PER_HUNDRED * school.teachers / school.enrollment
    for indicator in INDICATORS:
        median = INDICATOR_MEDIAN_OVER_FLOOR[indicator][school.area_type] * _floor(school.level, indicator)
        if school.is_core and indicator in QUALITY_INDICATORS:
            median *= QUALITY_BONUS
        value = median * rng.lognormal(0.0, INDICATOR_SIGMA[school.area_type])
        if indicator in MAX_TEACHER_SHARE:
            value = min(value, MAX_TEACHER_SHARE[indicator] * teachers_per100)
        school.indicators[indicator] = round(value, INDICATOR_DECIMALS[indicator])


def _principals(rng: np.random.Generator, schools: list[_School]) -> None:
    """A principal's name for each school (surname and one or two given characters), a few blank."""
    for school in schools:
        length = 2 if rng.random() < GIVEN_NAME_TWO_CHAR_SHARE else 1
        name = VILLAGE_SURNAMES[int(rng.integers(len(VILLAGE_SURNAMES)))]
        name += "".join(GIVEN_NAME_CHARS[int(i)] for i in rng.integers(len(GIVEN_NAME_CHARS), size=length))
        school.principal = "" if rng.random() < PRINCIPAL_BLANK_SHARE else name


def _make_schools(
    rng: np.random.Generator,
    net: _RoadNetwork,
    city: _City,
    subdistricts: list[_Unit],
    towns: list[_Town],
    scale: float,
) -> list[_School]:
    regions = [_city_schools(rng, net, city, subdistricts, scale)]
    regions += [_town_schools(rng, net, town) for town in towns]
    _choose_cores(rng, regions)
    schools = [school for region in regions for school in region]
    _name_schools(schools)
    for school in schools:
        _staff_and_resources(rng, school)
    return schools


# --- writing --------------------------------------------------------------------------------------------


@contextmanager
def _atomic_text(path: Path, encoding: str) -> Iterator[IO[str]]:
    """A text file that appears at ``path`` only once completely written."""
    with atomic_path(path) as temporary, temporary.open("w", encoding=encoding, newline="\n") as file:
        yield file


def _local_to_wgs84() -> Callable[[np.ndarray], np.ndarray]:
    """Converter of local ``(x, y)`` metres around the county centre to WGS-84 ``(lon, lat)``."""
    origin = Transformer.from_crs(GEOGRAPHIC_CRS, PROJECTED_CRS, always_xy=True).transform(CENTRE_LON, CENTRE_LAT)
    inverse = Transformer.from_crs(PROJECTED_CRS, GEOGRAPHIC_CRS, always_xy=True)

    def to_wgs84(xy: np.ndarray) -> np.ndarray:
        lon, lat = inverse.transform(xy[:, 0] + origin[0], xy[:, 1] + origin[1])
        return np.column_stack([lon, lat])

    return to_wgs84


def _fmt(value: float) -> str:
    return f"{value:.{COORD_DECIMALS}f}"


def _rings(area: Polygon | MultiPolygon) -> list[tuple[np.ndarray, str]]:
    """The rings of ``area`` with their relation roles, without their closing vertex."""
    polygons = area.geoms if isinstance(area, MultiPolygon) else [area]
    rings = []
    for polygon in polygons:
        polygon = shapely.remove_repeated_points(polygon, tolerance=RING_MIN_VERTEX_GAP_M)
        rings.append((np.asarray(polygon.exterior.coords)[:-1, :2], "outer"))
        rings += [(np.asarray(hole.coords)[:-1, :2], "inner") for hole in polygon.interiors]
    return rings


def _write_osm(
    path: Path, net: _RoadNetwork, county: Polygon, units: list[_Unit], to_wgs84: Callable[[np.ndarray], np.ndarray]
) -> None:
    """Stream the road network and the administrative boundaries as OSM XML.

    Node ids: the road nodes, then one node per boundary vertex; way ids: the roads, then one closed way
    per boundary ring; relation ids: the county, then its 乡镇/街道. All ascending from 1.
    """
    boundaries = [(COUNTY_NAME, COUNTY_LEVEL, _rings(county))]
    boundaries += [(unit.name, TOWNSHIP_LEVEL, _rings(unit.area)) for unit in units]
    ring_points = [ring for _, _, rings in boundaries for ring, _ in rings]
    lonlat = to_wgs84(np.vstack([np.array(net.xy), *ring_points]))
    (minlon, minlat), (maxlon, maxlat) = lonlat.min(axis=0), lonlat.max(axis=0)
    with _atomic_text(path, "utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(f"<!-- {DEMO_NOTICE}: {COUNTY_NAME} does not exist -->\n")
        out.write(f'<osm version="0.6" generator={quoteattr(OSM_GENERATOR)}>\n')
        bounds = f'minlat="{_fmt(minlat)}" minlon="{_fmt(minlon)}" maxlat="{_fmt(maxlat)}" maxlon="{_fmt(maxlon)}"'
        out.write(f" <bounds {bounds}/>\n")
        out.writelines(
            f' <node id="{i}" version="1" lat="{_fmt(lat)}" lon="{_fmt(lon)}"/>\n'
            for i, (lon, lat) in enumerate(lonlat, start=1)
        )
        for way_id, (nodes, tags) in enumerate(net.ways, start=1):
            _write_way(out, way_id, [n + 1 for n in nodes], tags)
        _write_boundaries(out, boundaries, first_node=len(net.xy) + 1, first_way=len(net.ways) + 1)
        out.write("</osm>\n")


def _write_boundaries(
    out: IO[str], boundaries: list[tuple[str, int, list[tuple[np.ndarray, str]]]], first_node: int, first_way: int
) -> None:
    """A closed way per ring (its nodes already written from ``first_node`` on), then the relations."""
    node_id, way_id = first_node, first_way
    members: list[list[tuple[int, str]]] = []
    for _, _, rings in boundaries:
        members.append([])
        for ring, role in rings:
            ids = list(range(node_id, node_id + len(ring)))
            _write_way(out, way_id, [*ids, ids[0]], PROVENANCE_TAGS)
            members[-1].append((way_id, role))
            node_id, way_id = node_id + len(ring), way_id + 1
    for relation_id, ((name, level, _), refs) in enumerate(zip(boundaries, members, strict=True), start=1):
        out.write(f' <relation id="{relation_id}" version="1">\n')
        out.writelines(f'  <member type="way" ref="{ref}" role="{role}"/>\n' for ref, role in refs)
        tags = {"type": "boundary", "boundary": "administrative", "admin_level": str(level), "name": name}
        _write_tags(out, tags | {"name:zh": name, **PROVENANCE_TAGS})
        out.write(" </relation>\n")


def _write_way(out: IO[str], way_id: int, node_ids: list[int], tags: dict[str, str]) -> None:
    out.write(f' <way id="{way_id}" version="1">\n')
    out.writelines(f'  <nd ref="{ref}"/>\n' for ref in node_ids)
    _write_tags(out, tags)
    out.write(" </way>\n")


def _write_tags(out: IO[str], tags: dict[str, str]) -> None:
    out.writelines(f"  <tag k={quoteattr(k)} v={quoteattr(v)}/>\n" for k, v in tags.items())


def _write_schools(path: Path, schools: list[_School], to_wgs84: Callable[[np.ndarray], np.ndarray]) -> None:
    """The school table with the Chinese headers of :data:`gis.schema.TABLE_HEADERS_ZH`, UTF-8 with BOM."""
    lonlat = to_wgs84(np.array([s.xy for s in schools]))
    with _atomic_text(path, "utf-8-sig") as out:
        table = csv.writer(out, lineterminator="\n")
        table.writerow(TABLE_HEADERS_ZH.values())
        for number, (school, (lon, lat)) in enumerate(zip(schools, lonlat, strict=True), start=1):
            row = {
                "school_id": f"{SCHOOL_ID_PREFIX}{number:0{SCHOOL_ID_DIGITS}d}",
                "name": school.name,
                "level": LEVEL_LABELS_ZH[school.level],
                "enrollment": str(school.enrollment),
                "classes": str(school.classes),
                "teachers": str(school.teachers),
                "lon": _fmt(lon),
                "lat": _fmt(lat),
                "township": school.unit,
                "area_type": AREA_LABELS_ZH[school.area_type],
                "is_core": YES_ZH if school.is_core else NO_ZH,
                "category": CATEGORY_LABELS_ZH[school.category],
                "principal": school.principal,
            }
            row |= {k: f"{v:.{INDICATOR_DECIMALS[k]}f}" for k, v in school.indicators.items()}
            table.writerow(row[column] for column in TABLE_HEADERS_ZH)


# --- public API -----------------------------------------------------------------------------------------


def generate_demo(out_dir: Path, *, seed: int = DEMO_SEED, scale: float = 1.0) -> DemoFiles:
    """Generate the demo county's OSM roads and boundaries and its school table.

    Parameters
    ----------
    out_dir
        Directory to write ``demo_county.osm`` and ``demo_schools.csv`` into (created if missing).
    seed
        Seed of ``numpy.random.default_rng``; the same seed and scale give byte-identical files.
    scale
        Multiplies the county's area and its numbers of townships, villages and schools
        (``scale=20`` gives 200,000+ road nodes). At least ``MIN_SCALE``.

    Returns
    -------
    DemoFiles
        Paths of the written files.
    """
    if not (math.isfinite(scale) and scale >= MIN_SCALE):
        raise ValueError(f"scale must be a number >= {MIN_SCALE}, got {scale!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    net = _RoadNetwork()
    county = _county_outline(rng, scale)
    city = _build_city(net, rng, scale)
    subdistricts = _subdistricts(rng, city.square, scale)
    towns = _place_towns(rng, county, city.square, scale)
    cells = _voronoi_cells(np.array([t.seed for t in towns]), county.difference(city.square))
    for town, cell in zip(towns, cells, strict=True):
        town.cell = cell
        _build_town_grid(net, rng, town)
    _build_town_roads(net, rng, county, city, towns)
    for town in towns:
        _build_villages(net, rng, town)
    _link_neighbour_villages(net, rng, towns)
    schools = _make_schools(rng, net, city, subdistricts, towns, scale)
    _principals(np.random.default_rng([seed, PRINCIPAL_STREAM]), schools)

    to_wgs84 = _local_to_wgs84()
    files = DemoFiles(osm=out_dir / OSM_FILENAME, schools=out_dir / SCHOOLS_FILENAME)
    units = subdistricts + [_Unit(t.name, t.cell) for t in towns]
    _write_osm(files.osm, net, county, units, to_wgs84)
    _write_schools(files.schools, schools, to_wgs84)
    return files


def _stamp(seed: int, scale: float) -> str:
    """What made the files: the generator (its version and a hash of its source), seed and scale."""
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:STAMP_HASH_CHARS]
    record = {"generator_version": GENERATOR_VERSION, "source_sha256": source, "seed": seed, "scale": scale}
    return json.dumps(record, sort_keys=True)


def ensure_demo(out_dir: Path | None = None) -> DemoFiles:
    """Return the demo county's files, generating them (default seed and scale) if missing or stale.

    Parameters
    ----------
    out_dir
        Where the files live; ``data/demo`` next to this module by default.

    Returns
    -------
    DemoFiles
        Paths of the files, made by this version of the generator.
    """
    out_dir = DEFAULT_DEMO_DIR if out_dir is None else Path(out_dir)
    files = DemoFiles(osm=out_dir / OSM_FILENAME, schools=out_dir / SCHOOLS_FILENAME)
    stamp_path = out_dir / STAMP_FILENAME
    expected = _stamp(DEMO_SEED, 1.0)
    current = stamp_path.read_text(encoding="utf-8") if stamp_path.exists() else ""
    if current != expected or not (files.osm.exists() and files.schools.exists()):
        generate_demo(out_dir, seed=DEMO_SEED, scale=1.0)
        write_text_atomic(stamp_path, expected)
    return files
