"""Writing the demo county: the OSM XML file (roads and boundary relations) and the bureau-style school table."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from xml.sax.saxutils import quoteattr

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon

from gis.admin import COUNTY_LEVEL, TOWNSHIP_LEVEL
from gis.coords import WGS84
from gis.files import atomic_path
from gis.schema import AREA_LABELS_ZH, CATEGORY_LABELS_ZH, LEVEL_LABELS_ZH, TABLE_HEADERS_ZH

from .county import Unit
from .identity import COUNTY_NAME, DEMO_NOTICE, OSM_GENERATOR, PROVENANCE_TAGS
from .roads import Roads
from .schools import INDICATOR_DECIMALS, School

__all__ = ["local_to_wgs84", "write_osm", "write_schools"]

PROJECTED_CRS = "EPSG:32650"  # UTM zone 50N: metres
CENTRE_LON = 117.6
CENTRE_LAT = 36.1
COORD_DECIMALS = 7
RING_MIN_VERTEX_GAP_M = 1.0  # closer boundary vertices are merged, so no two round to one point
SCHOOL_ID_PREFIX = "3707"
SCHOOL_ID_DIGITS = 6
YES_ZH, NO_ZH = "是", "否"


@contextmanager
def _atomic_text(path: Path, encoding: str) -> Iterator[IO[str]]:
    """A text file that appears at ``path`` only once completely written."""
    with atomic_path(path) as temporary, temporary.open("w", encoding=encoding, newline="\n") as file:
        yield file


def local_to_wgs84() -> Callable[[np.ndarray], np.ndarray]:
    """Converter of local ``(x, y)`` metres around the county centre to WGS-84 ``(lon, lat)``."""
    origin = Transformer.from_crs(WGS84, PROJECTED_CRS, always_xy=True).transform(CENTRE_LON, CENTRE_LAT)
    inverse = Transformer.from_crs(PROJECTED_CRS, WGS84, always_xy=True)

    def to_wgs84(xy: np.ndarray) -> np.ndarray:
        lon, lat = inverse.transform(xy[:, 0] + origin[0], xy[:, 1] + origin[1])
        return np.column_stack([lon, lat])

    return to_wgs84


def _fmt(value: float) -> str:
    return f"{value:.{COORD_DECIMALS}f}"


def _rings(area: Polygon | MultiPolygon) -> list[tuple[np.ndarray, str]]:
    """The rings of ``area`` with their relation roles, without their closing vertex."""
    polygons = area.geoms if isinstance(area, MultiPolygon) else [area]
    rings = []
    for polygon in polygons:
        polygon = shapely.remove_repeated_points(polygon, tolerance=RING_MIN_VERTEX_GAP_M)
        rings.append((np.asarray(polygon.exterior.coords)[:-1, :2], "outer"))
        rings += [(np.asarray(hole.coords)[:-1, :2], "inner") for hole in polygon.interiors]
    return rings


def write_osm(
    path: Path, net: Roads, county: Polygon, units: list[Unit], to_wgs84: Callable[[np.ndarray], np.ndarray]
) -> None:
    """Stream the road network and the administrative boundaries as OSM XML.

    Node ids: the road nodes, then one node per boundary vertex; way ids: the roads, then one closed way
    per boundary ring; relation ids: the county, then its 乡镇/街道. All ascending from 1.
    """
    boundaries = [(COUNTY_NAME, COUNTY_LEVEL, _rings(county))]
    boundaries += [(unit.name, TOWNSHIP_LEVEL, _rings(unit.area)) for unit in units]
    ring_points = [ring for _, _, rings in boundaries for ring, _ in rings]
    lonlat = to_wgs84(np.vstack([np.array(net.xy), *ring_points]))
    (minlon, minlat), (maxlon, maxlat) = lonlat.min(axis=0), lonlat.max(axis=0)
    with _atomic_text(path, "utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(f"<!-- {DEMO_NOTICE}: {COUNTY_NAME} does not exist -->\n")
        out.write(f'<osm version="0.6" generator={quoteattr(OSM_GENERATOR)}>\n')
        bounds = f'minlat="{_fmt(minlat)}" minlon="{_fmt(minlon)}" maxlat="{_fmt(maxlat)}" maxlon="{_fmt(maxlon)}"'
        out.write(f" <bounds {bounds}/>\n")
        out.writelines(
            f' <node id="{i}" version="1" lat="{_fmt(lat)}" lon="{_fmt(lon)}"/>\n'
            for i, (lon, lat) in enumerate(lonlat, start=1)
        )
        for way_id, (nodes, tags) in enumerate(net.ways, start=1):
            _write_way(out, way_id, [n + 1 for n in nodes], tags)
        _write_boundaries(out, boundaries, first_node=len(net.xy) + 1, first_way=len(net.ways) + 1)
        out.write("</osm>\n")


def _write_boundaries(
    out: IO[str], boundaries: list[tuple[str, int, list[tuple[np.ndarray, str]]]], first_node: int, first_way: int
) -> None:
    """A closed way per ring (its nodes already written from ``first_node`` on), then the relations."""
    node_id, way_id = first_node, first_way
    members: list[list[tuple[int, str]]] = []
    for _, _, rings in boundaries:
        members.append([])
        for ring, role in rings:
            ids = list(range(node_id, node_id + len(ring)))
            _write_way(out, way_id, [*ids, ids[0]], PROVENANCE_TAGS)
            members[-1].append((way_id, role))
            node_id, way_id = node_id + len(ring), way_id + 1
    for relation_id, ((name, level, _), refs) in enumerate(zip(boundaries, members, strict=True), start=1):
        out.write(f' <relation id="{relation_id}" version="1">\n')
        out.writelines(f'  <member type="way" ref="{ref}" role="{role}"/>\n' for ref, role in refs)
        tags = {"type": "boundary", "boundary": "administrative", "admin_level": str(level), "name": name}
        _write_tags(out, tags | {"name:zh": name, **PROVENANCE_TAGS})
        out.write(" </relation>\n")


def _write_way(out: IO[str], way_id: int, node_ids: list[int], tags: dict[str, str]) -> None:
    out.write(f' <way id="{way_id}" version="1">\n')
    out.writelines(f'  <nd ref="{ref}"/>\n' for ref in node_ids)
    _write_tags(out, tags)
    out.write(" </way>\n")


def _write_tags(out: IO[str], tags: dict[str, str]) -> None:
    out.writelines(f"  <tag k={quoteattr(k)} v={quoteattr(v)}/>\n" for k, v in tags.items())


def write_schools(path: Path, schools: list[School], to_wgs84: Callable[[np.ndarray], np.ndarray]) -> None:
    """The school table with the Chinese headers of :data:`gis.schema.TABLE_HEADERS_ZH`, UTF-8 with BOM."""
    lonlat = to_wgs84(np.array([s.xy for s in schools]))
    with _atomic_text(path, "utf-8-sig") as out:
        table = csv.writer(out, lineterminator="\n")
        table.writerow(TABLE_HEADERS_ZH.values())
        for number, (school, (lon, lat)) in enumerate(zip(schools, lonlat, strict=True), start=1):
            row = {
                "school_id": f"{SCHOOL_ID_PREFIX}{number:0{SCHOOL_ID_DIGITS}d}",
                "name": school.name,
                "level": LEVEL_LABELS_ZH[school.level],
                "enrollment": str(school.enrollment),
                "classes": str(school.classes),
                "teachers": str(school.teachers),
                "lon": _fmt(lon),
                "lat": _fmt(lat),
                "township": school.unit,
                "area_type": AREA_LABELS_ZH[school.area_type],
                "is_core": YES_ZH if school.is_core else NO_ZH,
                "category": CATEGORY_LABELS_ZH[school.category],
                "principal": school.principal,
            }
            row |= {k: f"{v:.{INDICATOR_DECIMALS[k]}f}" for k, v in school.indicators.items()}
            table.writerow(row[column] for column in TABLE_HEADERS_ZH)
