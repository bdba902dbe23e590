"""The main roads of a :class:`~gis.network.RoadNetwork` as lines, for drawing under a map."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from . import settings
from .network import CRS, RoadNetwork, local_utm_crs

__all__ = ["main_roads"]

_LINK_SUFFIX = "_link"


def main_roads(
    network: RoadNetwork,
    *,
    highways: Sequence[str] = settings.MAIN_HIGHWAYS,
    tolerance_m: float = settings.MAIN_ROAD_TOLERANCE_M,
) -> gpd.GeoDataFrame:
    """The network's main roads, one simplified (Multi)LineString per highway class.

    Parameters
    ----------
    network : RoadNetwork
        The road network (simplified or not).
    highways : sequence of str
        Classes to keep, in drawing order (default :data:`gis.settings.MAIN_HIGHWAYS`); a
        ``*_link`` edge counts as its road's class.
    tolerance_m : float
        Douglas-Peucker tolerance in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``highway`` and ``geometry`` (EPSG:4326), one row per class present, in the
        order of ``highways``; empty when the network has none of them.
    """
    edges = _undirected_edges(network, highways)
    lines = _edge_lines(network, edges.index.to_numpy())
    x, y = network.nodes["x"].to_numpy(), network.nodes["y"].to_numpy()
    crs = local_utm_crs(x, y)
    to_metric = pyproj.Transformer.from_crs(CRS, crs, always_xy=True)
    rows = []
    for highway in highways:
        chosen = lines[(edges["highway"] == highway).to_numpy()]
        if len(chosen):
            merged = shapely.line_merge(shapely.multilinestrings(chosen))
            metric = shapely.transform(merged, lambda xy: np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1])))
            rows.append((highway, shapely.simplify(metric, tolerance_m)))
    frame = gpd.GeoDataFrame(
        {"highway": [highway for highway, _ in rows]}, geometry=[line for _, line in rows], crs=crs
    )
    return frame.to_crs(CRS)


def _undirected_edges(network: RoadNetwork, highways: Sequence[str]) -> pd.DataFrame:
    """The main-road edges with their class, one of the two directions of a two-way road."""
    edges = network.edges
    highway = edges["highway"].astype(str).str.removesuffix(_LINK_SUFFIX)
    keep = highway.isin(list(highways)) & (edges["u"] != edges["v"])
    chosen = pd.DataFrame(
        {
            "low": np.minimum(edges["u"], edges["v"])[keep],
            "high": np.maximum(edges["u"], edges["v"])[keep],
            "highway": highway[keep],
        }
    )
    return chosen.drop_duplicates(["low", "high", "highway"])


def _edge_lines(network: RoadNetwork, index: np.ndarray) -> np.ndarray:
    """A LineString per edge: its merged shape when it has one, else its two end nodes."""
    edges = network.edges.iloc[index]
    x, y = network.nodes["x"].to_numpy(), network.nodes["y"].to_numpy()
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    ends = np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
    lines = shapely.linestrings(ends)
    if network.paths is not None:
        shapes = network.paths.linestrings()[index]
        lines = np.where(pd.isna(shapes), lines, shapes)
    return lines
