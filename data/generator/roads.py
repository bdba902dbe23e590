"""The demo's road network as it is drawn: nodes in metres, ways with OSM tags, street grids and wiggly roads."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from gis.settings import HIGHWAY_SPEEDS_KPH
from gis.speeds import METRES_PER_KM, MINUTES_PER_HOUR

from .identity import PROVENANCE_TAGS

__all__ = ["Roads", "street_tags", "grid_lines", "add_grid", "nearest", "road_minutes"]

ROAD_NODE_SPACING_M = (150.0, 300.0)
STREET_NODE_SPACING_M = (60.0, 120.0)
NODE_STEP_VARIATION = (0.7, 1.3)  # each step between nodes, relative to the mean
ROAD_BEND = 0.03  # sideways bow of a road, as a share of its length
ROAD_JITTER_M = 10.0


class Roads:
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


def street_tags(highway: str, **extra: str) -> dict[str, str]:
    """OSM tags of a drawn road: its ``highway`` class, the ``extra`` tags and the provenance tags."""
    return {"highway": highway, **extra, **PROVENANCE_TAGS}


def grid_lines(rng: np.random.Generator, half: float, block: tuple[float, float]) -> np.ndarray:
    """Positions of street lines from ``-half`` to ``half`` with blocks of random length in ``block``."""
    gaps = rng.uniform(*block, int(2 * half / block[0]) + 2)
    gaps = gaps[: int(np.searchsorted(np.cumsum(gaps), 2 * half)) + 1]
    return -half + np.concatenate([[0.0], np.cumsum(gaps) * (2 * half / gaps.sum())])


_StreetStyle = Callable[[int, int, int], tuple[str, dict[str, str], bool]]


def add_grid(
    net: Roads,
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
            net.add_way(nodes, street_tags(highway, **extra))
    return grid


def nearest(net: Roads, nodes: Sequence[int], target: np.ndarray) -> int:
    """The node of ``nodes`` nearest ``target``."""
    points = net.points(nodes)
    return nodes[int(np.argmin(np.hypot(*(points - target).T)))]


def road_minutes(net: Roads, nodes: list[int], tags: dict[str, str]) -> np.ndarray:
    """Minutes of driving from ``nodes[0]`` to each node of a road, at its maxspeed or the default speed."""
    speed = float(tags.get("maxspeed", HIGHWAY_SPEEDS_KPH[tags["highway"]])) * METRES_PER_KM / MINUTES_PER_HOUR
    steps = np.hypot(*np.diff(net.points(nodes), axis=0).T)
    return np.concatenate([[0.0], np.cumsum(steps)]) / speed
