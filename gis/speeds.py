"""Speeds and travel times of edges: ``maxspeed`` tags, the highway-class table of :mod:`gis.settings`, and
osmnx's rules for the tags of merged edges."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from numbers import Real

import numpy as np

from . import settings
from .arrays import unique_ints
from .errors import InputError
from .ways import Ways, check_network_type

__all__ = ["parse_maxspeed", "speed_table", "maxspeed_codes", "path_maxspeed_kph", "path_highway", "edge_speeds", "travel_time_s"]

MPH_TO_KPH = 1.609344
MINUTES_PER_HOUR = 60
SECONDS_PER_HOUR = 60 * MINUTES_PER_HOUR
METRES_PER_KM = 1000
MAXSPEED_SEPARATORS = re.compile(r"[;|]")
MAXSPEED_VALUE = re.compile(r"\s*([0-9][.,0-9]*?)\s?(?:km/h|kmh|kph|mph)?\s*")


def parse_maxspeed(value: str | None) -> float:
    """Return a ``maxspeed`` tag in km/h, or NaN when it gives no usable number.

    ``"50"``, ``"50 km/h"``, ``"7,5"`` and ``"30 mph"`` are read; lane lists (``"60|40"``) and
    alternatives (``"40;60"``) give the mean; zone values such as ``"CN:urban"``, and zero,
    give NaN (the highway-class speed then applies).
    """
    if not isinstance(value, str) or not value:
        return float("nan")
    speeds = []
    for part in MAXSPEED_SEPARATORS.split(value):
        match = MAXSPEED_VALUE.fullmatch(part)
        if match is None:
            return float("nan")
        try:
            speeds.append(float(match.group(1).replace(",", ".")))
        except ValueError:
            return float("nan")
    factor = MPH_TO_KPH if "mph" in value.lower() else 1.0
    speed = float(np.mean(speeds)) * factor
    return speed if speed > 0 else float("nan")


def speed_table(network_type: str, speeds_kph: Mapping[str, float] | None) -> dict[str, float]:
    """The class speeds for driving: defaults overridden by ``speeds_kph``, validated."""
    if check_network_type(network_type) == "walk":
        if speeds_kph:
            raise InputError("speeds_kph applies to driving; walking uses settings.WALK_SPEED_KPH on every road")
        return {}
    table = {**settings.HIGHWAY_SPEEDS_KPH, **(speeds_kph or {})}
    for highway, kph in table.items():
        if isinstance(kph, bool) or not (isinstance(kph, Real) and math.isfinite(kph) and kph > 0):
            raise InputError(f"speed for highway={highway} is {kph!r}; give a positive number of km/h")
    return {highway: float(kph) for highway, kph in table.items()}


def maxspeed_codes(ways: Ways) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Per way, an index into the distinct raw ``maxspeed`` strings (-1 untagged), and their km/h."""
    values: dict[str, int] = {}
    codes = np.array([-1 if s is None else values.setdefault(s, len(values)) for s in ways.maxspeed.tolist()], dtype=np.int64)
    raw = list(values)
    return codes, raw, np.array([parse_maxspeed(s) for s in raw], dtype=float)


def path_maxspeed_kph(segment_way: np.ndarray, path_of: np.ndarray, n_paths: int, ways: Ways) -> np.ndarray:
    """osmnx's ``maxspeed`` of merged edges, in km/h (NaN where no segment is tagged).

    One distinct tag value along the path applies to the whole path; several give the mean of
    their speeds, taken in the order of the Python set osmnx builds.
    """
    codes, raw, kph = maxspeed_codes(ways)
    segment_code = codes[segment_way]
    tagged = segment_code >= 0
    distinct = unique_ints(path_of[tagged] * np.int64(len(raw) + 1) + segment_code[tagged])
    n_distinct = np.bincount(distinct // (len(raw) + 1), minlength=n_paths)
    out = np.full(n_paths, np.nan)
    single = n_distinct == 1
    if single.any():
        one = np.full(n_paths, -1, dtype=np.int64)
        one[path_of[tagged]] = segment_code[tagged]
        out[single] = kph[one[single]]
    for p in np.flatnonzero(n_distinct > 1).tolist():
        values = [raw[c] for c in segment_code[(path_of == p) & tagged].tolist()]
        speeds = np.array([parse_maxspeed(s) for s in list(set(values))])
        speeds = speeds[~np.isnan(speeds)]
        out[p] = float(np.mean(speeds)) if len(speeds) else np.nan
    return out


def path_highway(segment_way: np.ndarray, path_of: np.ndarray, offsets: np.ndarray, ways: Ways) -> np.ndarray:
    """The highway class osmnx uses for each merged edge: the only one, or the first of its set."""
    names, codes = np.unique(ways.highway.astype(str), return_inverse=True)
    segment_code = codes[segment_way]
    n_paths = len(offsets) - 1
    lowest = np.full(n_paths, len(names))
    highest = np.full(n_paths, -1)
    np.minimum.at(lowest, path_of, segment_code)
    np.maximum.at(highest, path_of, segment_code)
    out = names[segment_code[offsets[:-1]]].astype(object)
    for p in np.flatnonzero(lowest != highest).tolist():
        sequence = names[segment_code[offsets[p] : offsets[p + 1]]].tolist()
        out[p] = next(iter(set(sequence)))  # osmnx: list(set(values)), then [0] in add_edge_speeds
    return out


def edge_speeds(highway: np.ndarray, maxspeed_kph: np.ndarray, network_type: str, speeds: dict[str, float]) -> np.ndarray:
    """Each edge's km/h: its ``maxspeed`` where tagged, else its class speed in ``speeds``; walking speed on foot."""
    if network_type == "walk":
        return np.full(len(highway), float(settings.WALK_SPEED_KPH))
    by_class = np.array([speeds.get(h, settings.FALLBACK_SPEED_KPH) for h in highway.tolist()], dtype=float)
    return np.where(np.isnan(maxspeed_kph), by_class, maxspeed_kph)


def travel_time_s(length_m: np.ndarray, speed_kph: np.ndarray) -> np.ndarray:
    """Seconds, with osmnx's ``add_edge_travel_times`` arithmetic (so results agree to the bit)."""
    return (length_m / METRES_PER_KM) / (speed_kph / SECONDS_PER_HOUR)
