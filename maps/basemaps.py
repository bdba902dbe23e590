"""Online tile basemaps, and the datum the overlay must be drawn in to sit on them.

Maps open offline with no tiles (``"none"``). OpenStreetMap and 天地图 (Tianditu, CGCS2000, which
agrees with WGS-84 to centimetres) take the plan as it is; 高德 (Gaode/Amap) tiles are drawn in
GCJ-02, so the overlay is shifted to GCJ-02 too and schools stay on their streets.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import shapely
import xyzservices.providers

from gis.coords import wgs84_to_gcj02

__all__ = ["BASEMAPS", "OSM_ATTRIBUTION", "shifts_to_gcj02", "tile_layers", "to_basemap_datum"]

#: Basemaps a map can be drawn on; "none" needs no network.
BASEMAPS = ("none", "osm", "gaode", "tianditu")
#: The attribution OpenStreetMap's licence asks for wherever its data shows.
OSM_ATTRIBUTION = "© OpenStreetMap contributors"

_GCJ02_BASEMAPS = frozenset({"gaode"})
_TIANDITU_URL = "https://t{s}.tianditu.gov.cn/DataServer?T={layer}&x={x}&y={y}&l={z}&tk={key}"
_TIANDITU_LAYERS = ("vec_w", "cva_w")  # streets, then their Chinese labels
_TIANDITU_SUBDOMAINS = "01234567"
_TIANDITU_ATTRIBUTION = "© 天地图 国家地理信息公共服务平台"
_MAX_ZOOM = 18


def shifts_to_gcj02(basemap: str) -> bool:
    """Whether the overlay must be shifted to GCJ-02 to sit on ``basemap``."""
    return basemap in _GCJ02_BASEMAPS


def to_basemap_datum(frame: gpd.GeoDataFrame | None, basemap: str) -> gpd.GeoDataFrame | None:
    """``frame`` (EPSG:4326) with its coordinates shifted to GCJ-02 when ``basemap`` needs it."""
    if frame is None or not shifts_to_gcj02(basemap):
        return frame
    shifted = shapely.transform(frame.geometry.to_numpy(), lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    return frame.set_geometry(gpd.GeoSeries(shifted, index=frame.index, crs=frame.crs))


def tile_layers(basemap: str, *, name: str, key: str | None = None) -> list[folium.TileLayer]:
    """The tile layers of ``basemap`` (none for ``"none"``), shown and listed in the layer switcher.

    Parameters
    ----------
    basemap : str
        One of :data:`BASEMAPS`.
    name : str
        The name in the layer switcher.
    key : str, optional
        The API key Tianditu needs.

    Raises
    ------
    ValueError
        For an unknown basemap, or Tianditu without a key.
    """
    if basemap not in BASEMAPS:
        raise ValueError(f"unknown basemap {basemap!r}; use one of {', '.join(BASEMAPS)}")
    if basemap == "none":
        return []
    if basemap == "osm":
        provider = xyzservices.providers.OpenStreetMap.Mapnik
        return [folium.TileLayer(provider.url, attr=provider.html_attribution, name=name, max_zoom=_MAX_ZOOM, overlay=True)]
    if basemap == "gaode":
        provider = xyzservices.providers.Gaode.Normal
        return [folium.TileLayer(provider.url, attr=provider.html_attribution, name=name, max_zoom=_MAX_ZOOM, overlay=True)]
    if not key:
        raise ValueError("the Tianditu basemap needs an API key (--tianditu-key; a free key from the Tianditu site)")
    return [
        folium.TileLayer(
            _TIANDITU_URL.format(layer=layer, key=key, s="{s}", x="{x}", y="{y}", z="{z}"),
            attr=_TIANDITU_ATTRIBUTION, name=name if layer == _TIANDITU_LAYERS[0] else f"{name} 注记",
            subdomains=_TIANDITU_SUBDOMAINS, max_zoom=_MAX_ZOOM, overlay=True,
        )
        for layer in _TIANDITU_LAYERS
    ]
