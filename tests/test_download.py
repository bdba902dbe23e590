"""The place download builds a valid query; the download itself needs the network and is not run."""

from __future__ import annotations

import re

import shapely
from shapely.geometry import Point

from gis.download import MAX_POLYGON_VERTICES, overpass_query


def test_query_asks_for_roads_schools_and_boundaries_inside_the_outline():
    area = Point(117.6, 36.1).buffer(0.2, quad_segs=256)  # 1,024 vertices: must be simplified
    query = overpass_query(area)
    assert query.startswith("[out:xml]") and "(._;>;);" in query
    for part in ('way["highway"]', 'nwr["amenity"="school"]', 'relation["boundary"="administrative"]'):
        assert part in query
    numbers = [float(x) for x in re.search(r'poly:"([^"]+)"', query).group(1).split()]
    lat, lon = numbers[0::2], numbers[1::2]
    assert len(lat) <= MAX_POLYGON_VERTICES
    assert 35.85 < min(lat) and max(lat) < 36.35 and 117.35 < min(lon) and max(lon) < 117.85
    outline = shapely.Polygon(list(zip(lon, lat)))
    assert outline.area > 0.9 * area.area
