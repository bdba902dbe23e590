"""Downloading an OSM extract for a place, so online data goes through the same file loaders.

``python app.py partition --place NAME`` geocodes the place with osmnx (Nominatim), asks the
Overpass API for the roads, schools and administrative boundaries inside it as OSM XML, saves
that to a file and from then on reads it exactly like a local ``--osm`` file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import requests
import shapely
from shapely.geometry.base import BaseGeometry

from .coords import WGS84
from .errors import InputError
from .files import atomic_path

__all__ = ["place_boundary", "overpass_query", "download_extract", "OVERPASS_TIMEOUT_S"]

#: Seconds the Overpass server may spend on one extract.
OVERPASS_TIMEOUT_S = 300
#: Largest number of vertices sent as the query polygon (the outline is simplified to fit).
MAX_POLYGON_VERTICES = 200
#: Simplification step (degrees) tried first when the outline has too many vertices.
SIMPLIFY_STEP_DEG = 0.001


def place_boundary(place: str) -> BaseGeometry:
    """The outline of a named place (EPSG:4326), e.g. ``"沂水县, 临沂市, 山东省"``."""
    import osmnx as ox  # here, not above: osmnx (and scikit-learn with it) takes a second to import

    try:
        found = ox.geocode_to_gdf(place)
    except Exception as exc:  # osmnx raises its own errors and requests' for network failures
        raise InputError(f"cannot find the place '{place}' ({exc}); check the name or pass a local --osm file") from None
    return shapely.union_all(found.to_crs(WGS84).geometry.to_numpy())


def overpass_query(area: BaseGeometry, *, timeout: int = OVERPASS_TIMEOUT_S) -> str:
    """Overpass QL for the roads, schools and boundaries inside ``area``, with every node they use."""
    poly = _poly_filter(area)
    return (
        f"[out:xml][timeout:{timeout}];\n"
        f"(way[\"highway\"](poly:\"{poly}\");\n"
        f" nwr[\"amenity\"=\"school\"](poly:\"{poly}\");\n"
        f" relation[\"boundary\"=\"administrative\"](poly:\"{poly}\"););\n"
        "(._;>;);\nout body qt;\n"
    )


def download_extract(area: BaseGeometry, cache_dir: str | Path) -> Path:
    """Save the OSM XML of ``area`` in ``cache_dir`` (once per area) and return its path."""
    query = overpass_query(area)
    path = Path(cache_dir) / f"extract-{hashlib.sha256(query.encode()).hexdigest()[:16]}.osm"
    if path.is_file() and path.stat().st_size > 0:
        return path
    import osmnx as ox

    url = ox.settings.overpass_url.rstrip("/") + "/interpreter"
    try:
        response = requests.post(url, data={"data": query}, timeout=OVERPASS_TIMEOUT_S + 60)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise InputError(f"cannot download from the Overpass API ({exc}); try again later or pass a local --osm file") from None
    with atomic_path(path) as tmp:
        tmp.write_bytes(response.content)
    return path


def _poly_filter(area: BaseGeometry) -> str:
    """The outline as Overpass's ``poly:"lat lon lat lon ..."``, simplified to a few hundred vertices."""
    outline = shapely.convex_hull(area) if area.geom_type != "Polygon" else area
    tolerance = SIMPLIFY_STEP_DEG
    while len(outline.exterior.coords) > MAX_POLYGON_VERTICES:
        outline = outline.simplify(tolerance)
        tolerance *= 2
    return " ".join(f"{lat:.6f} {lon:.6f}" for lon, lat in outline.exterior.coords[:-1])
