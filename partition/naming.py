"""Names of the 学区, as bureaus publish them: after the core school, by direction, or by number.

- ``core``: 示范县第一实验小学学区, the core school's name (the default);
- ``direction``: the 学区's bearing from the county seat, as 东辽县 named its 大学区 (小东学区,
  小南学区, ..., 中北学区: 东辽县 大学区 work report, in 《实施学区管理推进均衡发展提高教育质量》).
  The seat is the centroid of the urban (城区) schools unless the planner gives a point. A 学区
  whose schools' centre lies near the seat (within :data:`SEAT_SHARE` of the median distance of the
  学区 centres) is the 城区学区; the others are 东/南/西/北 by the quarter their centre lies in. A
  level plan prefixes 小 (primary) or 中 (junior), an all-levels plan nothing; 学区 that would share a
  name are numbered from the seat outward: 小东一学区, 小东二学区;
- ``number``: 第一学区, 第二学区, ... in the order of the 学区 keys (D01, D02, ...).

The planner's own names (:class:`~partition.rules.Naming` ``names``, the rules file's ``names:``) replace any of these.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from gis.errors import InputError

from .rules import Naming

__all__ = [
    "DISTRICT_SUFFIX", "LEVEL_PREFIX", "SEAT_NAME", "DIRECTIONS", "SEAT_SHARE", "district_names", "county_seat", "check_names", "zh_numeral",
]

#: Every 学区 name ends so: 示范县第一实验小学 -> 示范县第一实验小学学区.
DISTRICT_SUFFIX = "学区"
#: Prefix of a direction name by the plan's level (an all-levels plan has none).
LEVEL_PREFIX = {"primary": "小", "junior": "中", "nine_year": "九"}  # 九: a plan of 九年一贯制 schools alone
#: The name of the 学区 at the county seat. (中 would read 中中学区 in a junior plan, and 小中学区
#: like 中小学 in a primary one.)
SEAT_NAME = "城区"
#: The four quarters, counter-clockwise from east, each 90° wide around its bearing.
DIRECTIONS = ("东", "北", "西", "南")
#: A 学区 whose centre is nearer the seat than this share of the median distance of all 学区
#: centres from it is the 学区 at the seat.
SEAT_SHARE = 0.25
_ZH_DIGITS = "零一二三四五六七八九"
_METRES_PER_DEGREE = 111_320.0  # on the equator; longitudes are scaled by cos(latitude)
_URBAN = "urban"


def zh_numeral(n: int) -> str:
    """The Chinese numeral of ``1 <= n < 10000`` as names use it (一, 十一, 二十, 一百零五)."""
    if not 0 < n < 10000:
        raise ValueError(f"cannot write {n} as a Chinese numeral")
    parts: list[str] = []
    zero_pending = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, unit_value)
        if digit:
            if zero_pending:
                parts.append(_ZH_DIGITS[0])
            parts.append(_ZH_DIGITS[digit] + unit)
            zero_pending = False
        elif parts:
            zero_pending = True
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text


def county_seat(schools: pd.DataFrame, naming: Naming) -> tuple[float, float]:
    """The ``(lon, lat)`` direction names are taken from: the planner's point, else the urban schools' centroid."""
    if naming.seat is not None:
        return naming.seat
    urban = schools[schools["area_type"] == _URBAN] if "area_type" in schools else schools.iloc[:0]
    if urban.empty:
        raise InputError("direction names need the county seat, and no school is marked 城区 (urban) in 城乡类型; "
                         "give the seat's position with --seat LON,LAT")
    return float(urban.geometry.x.mean()), float(urban.geometry.y.mean())


def check_names(naming: Naming, schools: pd.DataFrame, is_core: np.ndarray) -> None:
    """The planner's names key core schools of the plan; an :class:`InputError` naming the others."""
    ids = schools["school_id"].astype(str)
    cores = set(ids[np.asarray(is_core, bool)])
    known = set(ids)
    unknown = [core for core, _ in naming.names if core not in known]
    not_core = [core for core, _ in naming.names if core in known and core not in cores]
    if unknown:
        raise InputError(f"names: unknown or dropped school id(s) {', '.join(unknown)}; name a 学区 by its core's 学校标识码")
    if not_core:
        raise InputError(f"names: {', '.join(not_core)} is not a core school; name a 学区 by its core's 学校标识码, "
                         "or list that school under 'cores'")
    if naming.scheme == "direction":
        county_seat(schools, naming)


def district_names(schools: pd.DataFrame, naming: Naming, level: str) -> dict[str, str]:
    """Each 学区 key's name under ``naming``, for a plan of ``level``.

    ``schools`` holds ``district`` (``""`` when unassigned), ``is_core``, ``school_id``, ``name``,
    the point geometry (EPSG:4326) and ``area_type``.
    """
    assigned = schools[schools["district"] != ""]
    cores = assigned[assigned["is_core"]].set_index("district").sort_index()
    if naming.scheme == "core":
        names = {key: f"{name}{DISTRICT_SUFFIX}" for key, name in cores["name"].items()}
    elif naming.scheme == "number":
        names = {key: f"第{zh_numeral(k + 1)}{DISTRICT_SUFFIX}" for k, key in enumerate(cores.index)}
    else:
        names = _direction_names(assigned, county_seat(schools, naming), LEVEL_PREFIX.get(level, ""))
    given = dict(naming.names)
    names.update({key: given[core] for key, core in cores["school_id"].astype(str).items() if core in given})
    _check_distinct(names)
    return names


def _direction_names(assigned: pd.DataFrame, seat: tuple[float, float], prefix: str) -> dict[str, str]:
    """Direction names from ``seat``, numbered where they collide (nearest the seat first)."""
    x, y = _local_metres(assigned.geometry.x.to_numpy(), assigned.geometry.y.to_numpy(), seat)
    centres = pd.DataFrame({"x": x, "y": y, "district": assigned["district"].to_numpy()}).groupby("district").mean()
    distance = np.hypot(centres["x"], centres["y"]).to_numpy()
    bearing = np.degrees(np.arctan2(centres["y"], centres["x"])).to_numpy()
    quarter = np.floor(((bearing + 45.0) % 360.0) / 90.0).astype(int)
    at_seat = distance < SEAT_SHARE * np.median(distance)
    stems = [SEAT_NAME if seat_ else DIRECTIONS[q] for seat_, q in zip(at_seat, quarter)]
    by_stem: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for key, stem, d in zip(centres.index, stems, distance):
        by_stem[stem].append((round(float(d), 3), key))
    names = {}
    for stem, keyed in by_stem.items():
        ordered = [key for _, key in sorted(keyed)]
        for k, key in enumerate(ordered):
            number = zh_numeral(k + 1) if len(ordered) > 1 else ""
            names[key] = f"{prefix}{stem}{number}{DISTRICT_SUFFIX}"
    return names


def _local_metres(lon: np.ndarray, lat: np.ndarray, origin: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """East and north offsets from ``origin`` in metres (equirectangular: exact enough for bearings in a county)."""
    scale = np.cos(np.radians(origin[1]))
    return (lon - origin[0]) * _METRES_PER_DEGREE * scale, (lat - origin[1]) * _METRES_PER_DEGREE


def _check_distinct(names: dict[str, str]) -> None:
    seen: dict[str, str] = {}
    for key in sorted(names):
        if names[key] in seen:
            raise InputError(f"two 学区 are both named {names[key]} ({seen[names[key]]} and {key}); "
                             "give one of them another name under 'names' in the rules file")
        seen[names[key]] = key
