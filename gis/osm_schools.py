"""Compulsory-education schools from OpenStreetMap, as the canonical school table.

(About 600 lines, kept together: the two sources meet in one intermediate and the four rules below
run on it in order; each rule is one section of small functions.)

Every source gives the same intermediate, an osmnx features GeoDataFrame (index ``(element, id)``,
one column per tag, a geometry), and :func:`schools_from_features` alone turns it into schools:

* a local ``.osm``, ``.osm.bz2`` or ``.osm.pbf`` file (:func:`read_osm_schools`): pyosmium copies
  the ``amenity=school`` objects and the nodes and ways they reference into a small OSM XML file
  (so a large extract is never held in memory), which :func:`osmnx.features_from_xml` reads;
* a place name, bounding box or polygon (:func:`download_osm_schools`): the same query through
  :func:`osmnx.features_from_polygon` on the Overpass API.

Rules, in order:

1. **Duplicates.** A school mapped as a node and as an area counts once. A node is merged into an
   ``amenity=school`` area (way or multipolygon) when it lies within :data:`DUPLICATE_DISTANCE_M`
   of it (0 m = inside) and their names are similar (:func:`gis.match.name_similarity` >=
   :data:`DUPLICATE_NAME_SIMILARITY`, which also rules out 小学 vs 中学), or when it lies inside
   and one of the two has no name. Of several such areas the nearest wins (then the more similar
   name, then the lower id). The result keeps the area's id and geometry, and the area's tags with
   the node's filling their gaps. Two nodes, or two areas, are never merged.
2. **Level.** From the tags ``isced:level``, ``school:level``, ``grades``, ``school`` (the first one
   that can be read decides), else from the name. A school whose tags name only non-compulsory
   levels (kindergarten, senior high) or whose name says so (幼儿园, 高中, 培训, 驾校, ...) is left
   out and listed in ``attrs["excluded"]``; one with no level at all is dropped as a bad row.
3. **Enrollment.** From ``student:count``, ``students`` or ``capacity`` (in that order), else the
   per-level :data:`ESTIMATED_ENROLLMENT`, flagged ``enrollment_estimated``.
4. **Township.** From the ``admin_level=8`` boundary containing the school (:func:`assign_townships`).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import requests
import shapely
from shapely.geometry.base import BaseGeometry

from .admin import TOWNSHIP_LEVEL, read_admin_areas
from .badrows import BadRow, BadRows, report_bad_rows
from .coords import WGS84
from .errors import InputError
from .match import MIN_NAME_SIMILARITY, name_similarity
from .measure import local_utm_crs
from .schema import MAX_ENROLLMENT
from .schools import NAME_LEVEL_MARKERS
from .ways import check_osm_path

__all__ = [
    "ExcludedSchool",
    "read_osm_schools",
    "download_osm_schools",
    "schools_from_features",
    "township_areas_from_features",
    "assign_townships",
    "SCHOOL_TAGS",
    "ESTIMATED_ENROLLMENT",
]

#: The OSM tag of a school of any kind; the query of every source.
SCHOOL_KEY, SCHOOL_VALUE = "amenity", "school"
SCHOOL_TAGS: dict[str, str] = {SCHOOL_KEY: SCHOOL_VALUE}

#: Tags holding a school's name, best first (the Chinese name when a school has several).
NAME_KEYS = ("name:zh", "name")
#: Tags holding a student count, best first: a count of students before a capacity.
ENROLLMENT_KEYS = ("student:count", "students", "capacity")
#: Students assumed for a school without a count, by level. Rounded national means from the
#: 2023 全国教育事业发展统计公报 (小学 1.08亿 students in 14.35万 schools, 初中 5244万 in 5.25万);
#: nine-year schools, mostly small rural ones, are given the junior figure.
ESTIMATED_ENROLLMENT: dict[str, int] = {"primary": 750, "junior": 1000, "nine_year": 1000}

#: Nodes within this distance of a similarly named school area are the same school.
DUPLICATE_DISTANCE_M = 50.0
#: Least name similarity for a node and an area to be the same school (as for matching a table).
DUPLICATE_NAME_SIMILARITY = MIN_NAME_SIMILARITY

#: ISCED 2011 levels: 0 pre-primary, 1 primary (小学), 2 lower secondary (初中), 3+ upper secondary.
ISCED_PRESCHOOL, ISCED_PRIMARY, ISCED_JUNIOR, ISCED_SENIOR = 0, 1, 2, 3
COMPULSORY_LEVELS = {
    frozenset({ISCED_PRIMARY}): "primary",
    frozenset({ISCED_JUNIOR}): "junior",
    frozenset({ISCED_PRIMARY, ISCED_JUNIOR}): "nine_year",
}
#: ``school:level=*`` and ``school=*`` values, as ISCED levels.
SCHOOL_TYPE_ISCED: dict[str, frozenset[int]] = {
    "kindergarten": frozenset({ISCED_PRESCHOOL}),
    "preschool": frozenset({ISCED_PRESCHOOL}),
    "pre_school": frozenset({ISCED_PRESCHOOL}),
    "primary": frozenset({ISCED_PRIMARY}),
    "elementary": frozenset({ISCED_PRIMARY}),
    "lower_secondary": frozenset({ISCED_JUNIOR}),
    "middle": frozenset({ISCED_JUNIOR}),
    "junior": frozenset({ISCED_JUNIOR}),
    "junior_high": frozenset({ISCED_JUNIOR}),
    "secondary": frozenset({ISCED_JUNIOR, ISCED_SENIOR}),
    "upper_secondary": frozenset({ISCED_SENIOR}),
    "high": frozenset({ISCED_SENIOR}),
    "senior": frozenset({ISCED_SENIOR}),
    "senior_high": frozenset({ISCED_SENIOR}),
}
#: Grades of the Chinese system: 1-6 小学, 7-9 初中, 10-12 高中; K/PK are kindergarten.
LAST_PRIMARY_GRADE, LAST_JUNIOR_GRADE = 6, 9
PRESCHOOL_GRADES = frozenset({"k", "pk", "kg", "r"})
LIST_SEPARATORS = re.compile(r"[;,]")
RANGE_SEPARATORS = re.compile(r"\s*(?:-|–|~|到|至)\s*")
#: Grades and ISCED levels are small numbers; a list naming a larger one is not read (``grades=1-99999``).
LARGEST_LISTED_NUMBER = 99

#: Words that make any institution a non-compulsory one, wherever they stand in its name.
NON_SCHOOL_WORDS = (
    ("培训", "training school"),
    ("驾校", "driving school"),
    ("驾驶", "driving school"),
    ("职业", "vocational school"),
    ("职教", "vocational school"),
    ("中专", "vocational school"),
    ("技工", "vocational school"),
)
#: Type words; a Chinese name ends in what the institution is ("城关小学附属幼儿园" is a
#: kindergarten, "第一高级中学初中部" a junior school), so the one ending last decides
#: (the longer one on a tie: 高级中学 over 中学). ``None`` means not a compulsory school.
NAME_TYPE_MARKERS: tuple[tuple[str, str | None], ...] = (
    ("幼儿园", None),
    ("幼稚园", None),
    ("托儿所", None),
    ("高级中学", None),
    ("高中", None),
    ("一贯制", "nine_year"),
    ("九年制", "nine_year"),
    ("完全中学", "junior"),
    *NAME_LEVEL_MARKERS,
)
#: Reason recorded for a name type word that means "not compulsory".
NAME_TYPE_REASONS = {"幼儿园": "kindergarten", "幼稚园": "kindergarten", "托儿所": "kindergarten",
                     "高级中学": "senior high school", "高中": "senior high school"}

CANONICAL_COLUMNS = [
    "school_id", "name", "level", "enrollment", "enrollment_estimated", "is_core",
    "township", "area_type", "source_row", "geometry",
]
AREA_COLUMNS = ["osm_id", "name", "admin_level", "geometry"]
POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class ExcludedSchool:
    """An ``amenity=school`` left out because it is not a compulsory school, and why."""

    school_id: str
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.school_id} {self.name}: {self.reason}"


@dataclass(frozen=True)
class _Feature:
    """One ``amenity=school`` feature: its id, position in the features table, tags and geometry."""

    osm_id: str
    row: int
    tags: dict[str, str]
    geometry: BaseGeometry

    @property
    def name(self) -> str:
        return next((self.tags[k] for k in NAME_KEYS if self.tags.get(k, "").strip()), "").strip()

    @property
    def is_area(self) -> bool:
        return self.geometry.geom_type in POLYGONAL


def read_osm_schools(
    path: str | Path, *, name_markers: Sequence[tuple[str, str | None]] = (), strict: bool = False
) -> gpd.GeoDataFrame:
    """Compulsory schools of a local OSM file (.osm, .osm.bz2, .osm.pbf), townships filled in.

    Parameters
    ----------
    path : str or Path
        The OSM extract.
    name_markers : sequence of (str, str or None)
        Extra name words and the level they mean (None: not a compulsory school), e.g.
        ``[("ala-aste", "primary"), ("lukio", None)]`` for Finnish names.
    strict : bool
        Raise on the first school without a level instead of dropping it with a warning.

    Returns
    -------
    geopandas.GeoDataFrame
        The canonical school table (see :func:`schools_from_features`).

    Raises
    ------
    InputError
        If the file is missing, unreadable, or holds no usable school.
    """
    path = check_osm_path(path)
    schools = schools_from_features(
        _school_features_from_file(path), name_markers=name_markers, strict=strict, source=str(path)
    )
    _require_schools(schools, f"{path}: no usable compulsory school (amenity=school) found; check that the extract covers the area")
    return assign_townships(schools, read_admin_areas(path, levels=(TOWNSHIP_LEVEL,)))


def download_osm_schools(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    polygon: shapely.Polygon | shapely.MultiPolygon | None = None,
    townships: bool = True,
    name_markers: Sequence[tuple[str, str | None]] = (),
    strict: bool = False,
) -> gpd.GeoDataFrame:
    """Compulsory schools of a place, bounding box or polygon, downloaded from the Overpass API.

    Parameters
    ----------
    place : str, optional
        A place name Nominatim knows, e.g. ``"沂水县, 山东省, 中国"``.
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in degrees (osmnx's order).
    polygon : shapely Polygon or MultiPolygon, optional
        The area, EPSG:4326. Give exactly one of ``place``, ``bbox``, ``polygon``.
    townships : bool
        Also download the ``admin_level=8`` boundaries and fill ``township`` from them.
    name_markers, strict
        As for :func:`read_osm_schools`.

    Returns
    -------
    geopandas.GeoDataFrame
        The canonical school table (see :func:`schools_from_features`).
    """
    area = _query_polygon(place, bbox, polygon)
    schools = schools_from_features(
        _download_features(area, SCHOOL_TAGS), name_markers=name_markers, strict=strict, source="OSM download"
    )
    _require_schools(schools, "no usable compulsory school (amenity=school) in the requested area; check the place or bounds")
    if not townships:
        return schools
    boundaries = _download_features(area, {"admin_level": str(TOWNSHIP_LEVEL)})
    return assign_townships(schools, township_areas_from_features(boundaries))


def schools_from_features(
    features: gpd.GeoDataFrame,
    *,
    name_markers: Sequence[tuple[str, str | None]] = (),
    strict: bool = False,
    source: str = "OSM features",
) -> gpd.GeoDataFrame:
    """Turn an osmnx features GeoDataFrame into the canonical school table.

    Parameters
    ----------
    features : geopandas.GeoDataFrame
        As :func:`osmnx.features_from_place` and friends return it: index ``(element, id)``, one
        column per tag; rows that are not ``amenity=school`` are ignored.
    name_markers : sequence of (str, str or None)
        Extra name words, see :func:`read_osm_schools`.
    strict : bool
        Raise :class:`InputError` on a school without a level instead of a warning.
    source : str
        What the features came from, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``school_id`` (``node/123``, ``way/4``, ``relation/5``), ``name``,
        ``level``, ``enrollment``, ``enrollment_estimated``, ``is_core`` (False), ``township``
        ("" until :func:`assign_townships`), ``area_type`` (NaN), ``source_row`` (the feature's
        position + 1) and a Point inside each school. ``attrs["dropped"]`` lists the bad rows,
        ``attrs["excluded"]`` the non-compulsory schools, ``attrs["merged"]`` the (node, area)
        pairs counted once.
    """
    _check_features_index(features)
    features = _school_features_only(features)
    kept, merged = _merge_duplicates(features)
    markers = (*((m.lower(), level) for m, level in name_markers), *NAME_TYPE_MARKERS)
    rows, bad_rows, excluded = [], [], []
    for feature in kept:
        level, reason = _level(feature, markers)
        if reason is not None:
            excluded.append(ExcludedSchool(feature.osm_id, feature.name, reason))
        elif level is None:
            bad_rows.append(_no_level_row(feature))
        else:
            rows.append(_school_row(feature, level))
    report_bad_rows(bad_rows, source=source, strict=strict)
    schools = gpd.GeoDataFrame(pd.DataFrame(rows, columns=CANONICAL_COLUMNS), geometry="geometry", crs=WGS84)
    schools = schools.astype({"enrollment": np.int64, "enrollment_estimated": bool, "is_core": bool, "source_row": np.int64})
    schools.attrs.update(dropped=BadRows(bad_rows), excluded=excluded, merged=merged)
    return schools


def township_areas_from_features(features: gpd.GeoDataFrame, level: int = TOWNSHIP_LEVEL) -> gpd.GeoDataFrame:
    """The ``boundary=administrative`` areas of one level in an osmnx features GeoDataFrame.

    Returns the columns of :func:`gis.admin.read_admin_areas`: ``osm_id``, ``name``, ``admin_level``
    and the (Multi)Polygon, sorted by OSM id.
    """
    _check_features_index(features)
    rows = []
    for (element, osm_id), tags, geometry in zip(features.index, _tag_dicts(features), features.geometry):
        if (
            element == "relation"
            and tags.get("boundary") == "administrative"
            and tags.get("admin_level") == str(level)
            and geometry is not None
            and geometry.geom_type in POLYGONAL
        ):
            name = next((tags[k] for k in NAME_KEYS if tags.get(k)), "")
            rows.append({"osm_id": int(osm_id), "name": name, "admin_level": level, "geometry": geometry})
    areas = gpd.GeoDataFrame(rows, columns=AREA_COLUMNS, geometry="geometry", crs=WGS84)
    return areas.sort_values("osm_id").reset_index(drop=True)


def assign_townships(schools: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill an empty ``township`` with the name of the area containing the school.

    Works for any canonical table (OSM or a bureau's). ``areas`` has a ``name`` column and polygons,
    e.g. from :func:`gis.admin.read_admin_areas` or :func:`township_areas_from_features`. A school on
    a shared border or in overlapping areas takes the first area in ``areas``' order; one outside
    every area keeps its empty township. Townships already given are never changed.
    """
    filled = schools.copy()
    if "township" not in filled:
        filled["township"] = ""
    missing = filled["township"].isna() | filled["township"].astype(str).str.strip().eq("")
    filled.loc[missing, "township"] = ""
    if not missing.any() or areas.empty:
        return filled
    polygons = areas[["name", "geometry"]].reset_index(drop=True).to_crs(filled.crs)
    hits = gpd.sjoin(filled.loc[missing, ["geometry"]], polygons, how="inner", predicate="intersects")
    hits = hits.reset_index(names="school").sort_values(["school", "index_right"], kind="stable")
    first = hits.drop_duplicates("school").set_index("school")["name"]
    filled.loc[first.index, "township"] = first.astype(str).to_numpy()
    return filled


# --- sources ------------------------------------------------------------------------------------


def _school_features_from_file(path: Path) -> gpd.GeoDataFrame:
    """The ``amenity=school`` features of a local file, through the same osmnx code as a download."""
    import osmnx  # here, not above: osmnx (and scikit-learn with it) takes a second to import, and a
    from osmnx._errors import InsufficientResponseError  # table of schools never needs it

    with tempfile.TemporaryDirectory(prefix="osm-schools-") as folder:
        extract = Path(folder) / "schools.osm"
        if _write_school_extract(path, extract) == 0:
            return _empty_features()
        try:
            return osmnx.features_from_xml(extract, tags=SCHOOL_TAGS)
        except InsufficientResponseError:
            return _empty_features()


def _write_school_extract(path: Path, extract: Path) -> int:
    """Copy the school objects and everything they reference into an OSM XML file; count them.

    Three passes: find the schools, complete their references (member ways, way nodes), copy.
    """
    tracker = osmium.IdTracker()
    add = {"n": tracker.add_node, "w": tracker.add_way, "r": tracker.add_relation}
    count = 0
    try:
        for obj in osmium.FileProcessor(str(path)).with_filter(osmium.filter.TagFilter((SCHOOL_KEY, SCHOOL_VALUE))):
            add[obj.type_str()](obj.id)
            tracker.add_references(obj)
            count += 1
        if count:
            tracker.complete_backward_references(str(path))
            with osmium.SimpleWriter(str(extract)) as writer:
                for obj in osmium.FileProcessor(str(path)).with_filter(tracker.id_filter()):
                    writer.add(obj)
    except RuntimeError as exc:
        raise InputError(f"{path}: cannot read this OSM file ({exc}); check that it is complete and not corrupt") from None
    return count


def _query_polygon(
    place: str | None, bbox: tuple[float, float, float, float] | None, polygon: BaseGeometry | None
) -> BaseGeometry:
    """The query area as one polygon (one geocoding even when townships are fetched too)."""
    import osmnx
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    if sum(x is not None for x in (place, bbox, polygon)) != 1:
        raise InputError("give exactly one of place, bbox or polygon to download OSM schools")
    if polygon is not None:
        return polygon
    if bbox is not None:
        west, south, east, north = bbox
        if not (west < east and south < north):
            raise InputError(f"bbox {bbox} is not (west, south, east, north) with west < east and south < north")
        return osmnx.utils_geo.bbox_to_poly(bbox)
    try:
        return osmnx.geocode_to_gdf(place).geometry.union_all()
    except InsufficientResponseError:
        raise InputError(f"place '{place}' not found by Nominatim; spell it as on openstreetmap.org, e.g. '沂水县, 山东省, 中国'") from None
    except (requests.RequestException, ResponseStatusCodeError) as exc:
        raise InputError(f"cannot reach Nominatim ({exc}); check the connection, or use a local .osm.pbf extract") from None


def _download_features(area: BaseGeometry, tags: dict[str, str]) -> gpd.GeoDataFrame:
    import osmnx
    from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError

    try:
        return osmnx.features_from_polygon(area, tags)
    except InsufficientResponseError:
        return _empty_features()
    except (requests.RequestException, ResponseStatusCodeError) as exc:
        raise InputError(f"cannot download from the Overpass API ({exc}); retry later, or use a local .osm.pbf extract") from None


def _empty_features() -> gpd.GeoDataFrame:
    index = pd.MultiIndex.from_arrays([[], []], names=["element", "id"])
    return gpd.GeoDataFrame({SCHOOL_KEY: pd.Series([], dtype=object, index=index)}, geometry=gpd.GeoSeries([], index=index), crs=WGS84)


def _require_schools(schools: gpd.GeoDataFrame, message: str) -> None:
    if schools.empty:
        raise InputError(message)


# --- features -> schools ------------------------------------------------------------------------


def _check_features_index(features: gpd.GeoDataFrame) -> None:
    if features.index.nlevels != 2:
        raise InputError(
            "OSM features must be indexed by (element, id) as osmnx returns them; "
            "use features.set_index(['element', 'id'])"
        )


def _tag_dicts(features: gpd.GeoDataFrame) -> list[dict[str, str]]:
    """Each feature's tags, without the missing ones."""
    tags = features.drop(columns=features.geometry.name)
    return [
        {str(k): str(v).strip() for k, v in row.items() if isinstance(v, str) or pd.notna(v)}
        for row in tags.to_dict(orient="records")
    ]


def _school_features_only(features: gpd.GeoDataFrame) -> list[_Feature]:
    features = features.to_crs(WGS84) if features.crs is not None else features.set_crs(WGS84)
    result = []
    for position, ((element, osm_id), tags, geometry) in enumerate(zip(features.index, _tag_dicts(features), features.geometry)):
        if tags.get(SCHOOL_KEY) == SCHOOL_VALUE and geometry is not None and not geometry.is_empty:
            result.append(_Feature(f"{element}/{int(osm_id)}", position + 1, tags, geometry))
    return result


def _merge_duplicates(features: list[_Feature]) -> tuple[list[_Feature], list[tuple[str, str]]]:
    """Merge each node that duplicates a school area into that area (see the module docstring)."""
    areas = [f for f in features if f.is_area]
    nodes = [f for f in features if f.osm_id.startswith("node/")]
    if not areas or not nodes:
        return features, []
    geometries = gpd.GeoSeries([f.geometry for f in features], crs=WGS84)
    centres = shapely.centroid(geometries.to_numpy())
    metric = dict(zip((f.osm_id for f in features), geometries.to_crs(local_utm_crs(shapely.get_x(centres), shapely.get_y(centres)))))
    absorbed: dict[str, list[_Feature]] = {}
    for node in nodes:
        area = _duplicate_area(node, areas, metric)
        if area is not None:
            absorbed.setdefault(area.osm_id, []).append(node)
    merged_pairs = [(node.osm_id, area_id) for area_id, group in absorbed.items() for node in group]
    merged_nodes = {node for node, _ in merged_pairs}
    kept = []
    for feature in features:
        if feature.osm_id in merged_nodes:
            continue
        if feature.osm_id in absorbed:
            tags = {}
            for node in absorbed[feature.osm_id]:
                tags = {**node.tags, **tags}
            feature = _Feature(feature.osm_id, feature.row, {**tags, **feature.tags}, feature.geometry)
        kept.append(feature)
    return kept, sorted(merged_pairs)


def _duplicate_area(node: _Feature, areas: list[_Feature], metric: Mapping[str, BaseGeometry]) -> _Feature | None:
    """The nearest school area the node duplicates, or None."""
    best, best_key = None, None
    for area in areas:
        distance = metric[node.osm_id].distance(metric[area.osm_id])
        if distance > DUPLICATE_DISTANCE_M:
            continue
        similarity = name_similarity(node.name, area.name) if node.name and area.name else 0.0
        unnamed_inside = distance == 0 and not (node.name and area.name)
        if similarity < DUPLICATE_NAME_SIMILARITY and not unnamed_inside:
            continue
        key = (distance, -similarity, area.osm_id)
        if best_key is None or key < best_key:
            best, best_key = area, key
    return best


def _level(feature: _Feature, markers: Sequence[tuple[str, str | None]]) -> tuple[str | None, str | None]:
    """(level, None) for a compulsory school, (None, reason) for another, (None, None) when unknown."""
    for key, parse in TAG_PARSERS:
        value = feature.tags.get(key, "")
        isced = parse(value) if value else None
        if isced is not None:
            level = COMPULSORY_LEVELS.get(frozenset(isced & {ISCED_PRIMARY, ISCED_JUNIOR}))
            return (level, None) if level else (None, f"{key}={value}: {_non_compulsory(isced)}")
    return _level_from_name(feature.name, markers)


def _non_compulsory(isced: frozenset[int]) -> str:
    if isced == {ISCED_PRESCHOOL}:
        return "kindergarten"
    if min(isced) >= ISCED_SENIOR:
        return "senior high school or above"
    return "not a compulsory school"


def _level_from_name(name: str, markers: Sequence[tuple[str, str | None]]) -> tuple[str | None, str | None]:
    text = name.lower()
    for word, what in NON_SCHOOL_WORDS:
        if word in text:
            return None, f"name contains {word}: {what}"
    found = [(text.rfind(marker) + len(marker), len(marker), marker, level) for marker, level in markers if marker in text]
    if not found:
        return None, None
    *_, marker, level = max(found, key=lambda hit: hit[:2])
    if level is None:
        return None, f"name ends in {marker}: {NAME_TYPE_REASONS.get(marker, 'not a compulsory school')}"
    return level, None


def _parse_isced(value: str) -> frozenset[int] | None:
    """``isced:level`` values such as ``1``, ``1;2``, ``1-2``, ``2,3`` as a set of levels."""
    levels = _parse_number_list(value, {})
    return frozenset(min(level, ISCED_SENIOR) for level in levels) if levels is not None else None


def _parse_school_type(value: str) -> frozenset[int] | None:
    """``school:level`` / ``school`` values such as ``primary;lower_secondary``."""
    parts = [SCHOOL_TYPE_ISCED.get(part.strip().lower()) for part in LIST_SEPARATORS.split(value)]
    return frozenset().union(*parts) if parts and all(p is not None for p in parts) else None


def _parse_grades(value: str) -> frozenset[int] | None:
    """``grades`` such as ``1-6``, ``7-9``, ``K-9``, ``1;2;3`` as the ISCED levels they span."""
    grades = _parse_number_list(value, dict.fromkeys(PRESCHOOL_GRADES, 0))
    if grades is None:
        return None
    return frozenset(_grade_isced(grade) for grade in grades)


def _grade_isced(grade: int) -> int:
    if grade <= 0:
        return ISCED_PRESCHOOL
    if grade <= LAST_PRIMARY_GRADE:
        return ISCED_PRIMARY
    return ISCED_JUNIOR if grade <= LAST_JUNIOR_GRADE else ISCED_SENIOR


def _parse_number_list(value: str, words: Mapping[str, int]) -> set[int] | None:
    """Numbers and ranges separated by ``;`` or ``,``; None if any part is not one."""
    numbers: set[int] = set()
    for part in LIST_SEPARATORS.split(value.lower()):
        ends = [_number(end, words) for end in RANGE_SEPARATORS.split(part.strip(), maxsplit=1)]
        if any(end is None for end in ends) or not ends[0] <= ends[-1] <= LARGEST_LISTED_NUMBER:
            return None
        numbers.update(range(ends[0], ends[-1] + 1))
    return numbers


def _number(text: str, words: Mapping[str, int]) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else words.get(text)


TAG_PARSERS: tuple[tuple[str, Callable[[str], frozenset[int] | None]], ...] = (
    ("isced:level", _parse_isced),
    ("school:level", _parse_school_type),
    ("grades", _parse_grades),
    ("school", _parse_school_type),
)


def _enrollment(tags: Mapping[str, str]) -> int | None:
    """The first of :data:`ENROLLMENT_KEYS` that holds a plausible number ("1200", "1,200", "约1200人")."""
    for key in ENROLLMENT_KEYS:
        digits = re.search(r"\d[\d,]*", tags.get(key, ""))
        if digits and int(digits.group().replace(",", "")) <= MAX_ENROLLMENT:
            return int(digits.group().replace(",", ""))
    return None


def _school_row(feature: _Feature, level: str) -> dict:
    enrollment = _enrollment(feature.tags)
    return {
        "school_id": feature.osm_id,
        "name": feature.name or feature.osm_id,
        "level": level,
        "enrollment": ESTIMATED_ENROLLMENT[level] if enrollment is None else enrollment,
        "enrollment_estimated": enrollment is None,
        "is_core": False,
        "township": "",
        "area_type": np.nan,
        "source_row": feature.row,
        "geometry": shapely.point_on_surface(feature.geometry),
    }


def _no_level_row(feature: _Feature) -> BadRow:
    return BadRow(
        feature.row,
        f"OSM feature {feature.osm_id} '{feature.name or 'unnamed'}' has no school level in its tags or name",
        "tag it isced:level=1 (小学), 2 (初中) or 1;2 (九年一贯制), or grades=1-6 / 7-9 / 1-9",
    )
