"""The demo county's schools: where they stand, their levels and sizes, the quality (core) schools, names,
staff and the seven resource indicators."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely

from gis.schema import INDICATORS
from partition.naming import zh_numeral
from partition.standards import FLOORS

from .county import City, Unit
from .identity import COUNTY_NAME
from .names import person_name
from .roads import Roads
from .sampling import spread_among
from .townships import Town

__all__ = ["School", "INDICATOR_DECIMALS", "make_schools", "assign_principals"]

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
#: Share of schools whose principal the table leaves blank (a post vacant or not reported).
PRINCIPAL_BLANK_SHARE = 0.04
JUNIOR_ORDINAL_START = 2  # 第一中学 is the county's senior high school, so junior schools count from 二


@dataclass
class School:
    """One school of the table as it is drawn, before its id and coordinates are written."""

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
    rng: np.random.Generator, net: Roads, city: City, units: list[Unit], scale: float
) -> list[School]:
    count = round(CITY_SCHOOLS_PER_SCALE * scale)
    sites = spread_among(rng, net.points(city.inner), count)
    schools = []
    for level, site in zip(_draw_levels(rng, CITY_LEVEL_SHARES, count), sites, strict=True):
        xy = _school_site(rng, np.array(net.xy[city.inner[site]]))
        unit = next(u.name for u in units if u.area.covers(shapely.Point(xy)))
        if level == "nine_year":
            enrollment = rng.integers(*CITY_NINE_YEAR_ENROLLMENT)
        else:
            large = rng.random() < CITY_LARGE_SHARE
            enrollment = rng.integers(*(CITY_LARGE_ENROLLMENT if large else CITY_ENROLLMENT))
        schools.append(School(level, "urban", unit, "", "city", xy, int(enrollment)))
    return schools


def _town_schools(rng: np.random.Generator, net: Roads, town: Town) -> list[School]:
    """The township's centre schools (中心小学, 初级中学, sometimes a third) and its village schools."""
    return _centre_schools(rng, net, town) + _village_schools(rng, net, town)


def _centre_schools(rng: np.random.Generator, net: Roads, town: Town) -> list[School]:
    roles = [("primary", "centre"), ("junior", "centre")]
    if rng.random() < TOWN_EXTRA_SCHOOL_SHARE * town.size:
        nine_year = rng.random() < TOWN_EXTRA_NINE_YEAR_SHARE
        roles.append(("nine_year", "centre") if nine_year else ("primary", "second_primary"))
    sites = spread_among(rng, net.points(town.grid), len(roles))
    schools = []
    for (level, role), site in zip(roles, sites, strict=True):
        low, high = TOWN_SECOND_PRIMARY_ENROLLMENT if role == "second_primary" else TOWN_CENTRE_ENROLLMENT[level]
        enrollment = int(np.clip(rng.integers(low, high) * town.size, *TOWN_ENROLLMENT_RANGE))
        xy = _school_site(rng, np.array(net.xy[town.grid[site]]))
        schools.append(School(level, "town", town.name, town.name, role, xy, enrollment))
    return schools


def _village_schools(rng: np.random.Generator, net: Roads, town: Town) -> list[School]:
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
        schools.append(School(level, "rural", town.name, town.name + village.name, "village", xy, enrollment))
    return schools


def _choose_cores(rng: np.random.Generator, regions: list[list[School]]) -> None:
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


def _is_core_town(region: list[School]) -> bool:
    return region[0].role != "city" and len(region) >= MIN_SCHOOLS_FOR_TOWN_CORE


def _core_candidates(rng: np.random.Generator, group: list[School]) -> list[School]:
    """Schools of a region's level group that may be cores, in the order they are made cores."""
    fits = [
        s for s in group if s.role == "city" and CORE_ENROLLMENT_RANGE[0] <= s.enrollment <= CORE_ENROLLMENT_RANGE[1]
    ]
    return [fits[i] for i in rng.permutation(len(fits))] + [s for s in group if s.role in ("centre", "second_primary")]


def _core_limit(group: list[School]) -> int:
    """Most cores a region's level group may have."""
    if group and group[0].role == "city":
        return math.floor(CITY_MAX_CORE_SHARE * len(group))
    return max(1, len(group) // (1 + MIN_MEMBERS))


def _name_schools(schools: list[School]) -> None:
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


def _staff_and_resources(rng: np.random.Generator, school: School) -> None:
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


def make_schools(
    rng: np.random.Generator,
    net: Roads,
    city: City,
    subdistricts: list[Unit],
    towns: list[Town],
    scale: float,
) -> list[School]:
    """All schools: the county town's and each township's, with cores chosen, names, staff and indicators."""
    regions = [_city_schools(rng, net, city, subdistricts, scale)]
    regions += [_town_schools(rng, net, town) for town in towns]
    _choose_cores(rng, regions)
    schools = [school for region in regions for school in region]
    _name_schools(schools)
    for school in schools:
        _staff_and_resources(rng, school)
    return schools


def assign_principals(rng: np.random.Generator, schools: list[School]) -> None:
    """A principal (校长) for each school, :data:`PRINCIPAL_BLANK_SHARE` of them left blank."""
    for school in schools:
        name = person_name(rng)
        school.principal = "" if rng.random() < PRINCIPAL_BLANK_SHARE else name
