"""District colours: a colour-blind-safe palette, given so that touching 学区 never share one.

The territories' adjacency graph is coloured greedily (DSATUR: the district with the most
differently coloured neighbours first). Among the colours its neighbours leave free a district
prefers those whose lightness stands apart from theirs (:data:`GREY_CONTRAST`), so neighbours
stay apart in grey-scale print too, and among those the least used, so the palette is spread evenly.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["GREY_CONTRAST", "PALETTE", "UNASSIGNED_COLOR", "district_colors", "lightness", "territory_adjacency"]

#: Paul Tol's "muted" qualitative scheme: nine colours told apart with every common colour-vision
#: deficiency, and spread over light, middle and dark tones.
PALETTE = (
    "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE",
    "#882255", "#44AA99", "#999933", "#AA4499",
)  # fmt: skip
#: Tol's pale grey, for schools that belong to no district.
UNASSIGNED_COLOR = "#DDDDDD"

#: Lightness difference (CIE L*) at which two fills are told apart in grey-scale print.
GREY_CONTRAST = 12.0

# DE-9IM positions: interior/interior and boundary/boundary.
_INTERIORS, _BOUNDARIES = 0, 4
_LINE_DIMENSION = "1"


def territory_adjacency(territories: gpd.GeoDataFrame, key: str = "district") -> dict[str, set[str]]:
    """Which districts touch: their territories overlap or share a stretch of border.

    Territories meeting at a single point do not touch (as in the four-colour theorem).

    Parameters
    ----------
    territories : geopandas.GeoDataFrame
        One (Multi)Polygon per district.
    key : str
        The column naming the district.

    Returns
    -------
    dict
        District key -> the keys of the districts it touches (every key present).
    """
    keys = [str(value) for value in territories[key]]
    geometries = territories.geometry.to_numpy()
    adjacency: dict[str, set[str]] = {k: set() for k in keys}
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist()):
        if i < j and _touch(geometries[i], geometries[j]):
            adjacency[keys[i]].add(keys[j])
            adjacency[keys[j]].add(keys[i])
    return adjacency


def _touch(a, b) -> bool:
    matrix = shapely.relate(a, b)
    return matrix[_INTERIORS] != "F" or matrix[_BOUNDARIES] == _LINE_DIMENSION


def lightness(color: str) -> float:
    """CIE L* (0 black to 100 white) of a ``#rrggbb`` colour: its tone in grey-scale."""
    srgb = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    y = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    return 116 * np.cbrt(y) - 16 if y > (6 / 29) ** 3 else y * (29 / 3) ** 3


def district_colors(keys: Iterable[str], adjacency: Mapping[str, Iterable[str]] | None = None) -> dict[str, str]:
    """Give each district a :data:`PALETTE` colour that none of its neighbours has.

    Parameters
    ----------
    keys : iterable of str
        District keys; empty keys (unassigned) are ignored.
    adjacency : mapping, optional
        Key -> neighbouring keys (see :func:`territory_adjacency`); without it, districts take
        the palette's colours in sorted key order.

    Returns
    -------
    dict
        Key -> ``#rrggbb`` colour, in sorted key order. Deterministic.
    """
    ordered = sorted({str(key) for key in keys if key})
    neighbours = {key: set((adjacency or {}).get(key, ())) & set(ordered) - {key} for key in ordered}
    colors: dict[str, str] = {}
    used = dict.fromkeys(PALETTE, 0)
    while len(colors) < len(ordered):
        key = _most_constrained(ordered, neighbours, colors)
        colors[key] = _best_color([colors[n] for n in neighbours[key] if n in colors], used, key)
        used[colors[key]] += 1
    return {key: colors[key] for key in ordered}


def _most_constrained(ordered: list[str], neighbours: Mapping[str, set[str]], colors: Mapping[str, str]) -> str:
    """DSATUR's next district: most distinct neighbour colours, then most neighbours, then key."""

    def rank(key: str) -> tuple[int, int]:
        return -len({colors[n] for n in neighbours[key] if n in colors}), -len(neighbours[key])

    return min((key for key in ordered if key not in colors), key=lambda key: (*rank(key), key))


def _best_color(taken: list[str], used: Mapping[str, int], key: str) -> str:
    """A free colour, one whose lightness stands apart from the neighbours' when it can, then the
    least used, then the one farthest in lightness."""
    free = [color for color in PALETTE if color not in taken]
    if not free:
        warnings.warn(f"district {key} touches districts of all {len(PALETTE)} colours; it shares one", stacklevel=3)
        free = sorted(PALETTE, key=taken.count)[:1]

    def contrast(color: str) -> float:
        return min((abs(lightness(color) - lightness(other)) for other in taken), default=0.0)

    def preference(color: str) -> tuple:
        tone = round(contrast(color), 6)
        return tone >= GREY_CONTRAST, -used[color], tone, -PALETTE.index(color)

    return max(free, key=preference)
