"""Evenly spread random points (best-candidate sampling) and Voronoi cells clipped to a region."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Polygon

__all__ = ["spread_in_region", "spread_among", "voronoi_cells"]

CANDIDATES_PER_POINT = 12  # best-candidate sampling: higher spreads points more evenly
SAMPLE_OVERDRAW = 4  # points drawn in a region's bounding box per point wanted inside it


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


def spread_in_region(
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


def spread_among(rng: np.random.Generator, points: np.ndarray, count: int) -> list[int]:
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


def voronoi_cells(seeds: np.ndarray, clip: Polygon | MultiPolygon) -> list[Polygon | MultiPolygon]:
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
