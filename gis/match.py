"""Matching a bureau's school table with OSM schools: pairs by name and distance, one to one.

A table school and an OSM school are a *candidate pair* when they lie within ``max_distance_m`` of
each other (measured in the local UTM zone), their levels agree (equal, or one is a nine-year school)
and their names are similar enough (:func:`name_similarity`). A pair's cost is its name
dissimilarity plus :data:`DISTANCE_WEIGHT` times its distance over ``max_distance_m``. Pairs are taken best first
(lowest cost, then table order, then OSM order) and each school is matched at most once, so the
result does not depend on anything but the two tables. In the merged table the bureau's values win
and OSM only fills gaps (empty township, missing area type, estimated enrollment).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from scipy.spatial import cKDTree

from .coords import WGS84
from .measure import local_utm_crs

__all__ = [
    "MatchResult",
    "match_schools",
    "normalise_name",
    "name_similarity",
    "MAX_MATCH_DISTANCE_M",
    "MIN_NAME_SIMILARITY",
]

#: Farthest apart a table school and an OSM school may be and still be one school. A bureau's
#: coordinates are often a geocoded address or the gate, OSM's a point inside the campus; a large
#: campus plus geocoding error stays within this, two distinct schools of one name do not.
MAX_MATCH_DISTANCE_M = 500.0
#: Least :func:`name_similarity` for a pair: "城关第一小学" vs "城关小学" (0.67) passes, neighbours
#: such as "东关小学" vs "西关小学" (0.5) do not.
MIN_NAME_SIMILARITY = 0.6
#: Weight of distance (as a fraction of ``max_distance_m``) against name dissimilarity in a pair's cost.
DISTANCE_WEIGHT = 0.5
#: Levels that may be one school: equal, or one of them a nine-year school (often listed by one part).
NINE_YEAR = "nine_year"

#: Spellings made equal before comparing names: long and short forms of a school type.
NAME_VARIANTS = (
    ("九年一贯制学校", "学校"),
    ("九年制学校", "学校"),
    ("一贯制学校", "学校"),
    ("初级中学", "初中"),
    ("高级中学", "高中"),
    ("小学校", "小学"),
)
#: Arabic digits written as Chinese numerals, so "第1中学" and "第一中学" compare equal.
DIGITS_AS_NUMERALS = str.maketrans("0123456789", "〇一二三四五六七八九")
NUMERALS = "〇零一二三四五六七八九十百两"
#: Short forms "沂水一中", "实验二小" spelled out as "沂水第一中学", "实验第二小学".
NUMBERED_SHORT_FORMS = (
    (re.compile(rf"(?<!第)([{NUMERALS}]+)中$"), r"第\1中学"),
    (re.compile(rf"(?<!第)([{NUMERALS}]+)小$"), r"第\1小学"),
)
#: The school-type word a name ends in and the kind of school it names; names are compared
#: without it, and two names of different kinds ("东关小学", "东关中学") are different schools.
#: 学校 says nothing (a nine-year school is often just "青山学校").
TYPE_SUFFIX = re.compile(r"(?:小学|初中|中学|高中|学校)$")
TYPE_KINDS = {"小学": "primary", "初中": "secondary", "中学": "secondary", "高中": "secondary"}
#: A leading province/city/county/district name ("山东省", "临沂市", "沂水县", "开发区"): two to four
#: characters and an administrative suffix. Stripped (repeatedly) when comparing names.
ADMIN_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,4}?(?:特别行政区|自治区|自治州|自治县|省|市|县|区|旗|盟)")
#: Characters a name must keep after a prefix is stripped ("示范县一中" keeps its prefix).
MIN_NAME_CORE_CHARS = 4

MATCHED_COLUMNS = ["table_id", "osm_id", "table_name", "osm_name", "distance_m", "name_similarity"]
#: Values of the merged table's ``source`` column.
SOURCE_TABLE, SOURCE_BOTH, SOURCE_OSM = "table", "both", "osm"


@dataclass(frozen=True)
class MatchResult:
    """The outcome of :func:`match_schools`.

    Attributes
    ----------
    schools : geopandas.GeoDataFrame
        The merged canonical table: every table school (OSM filling its gaps), then the OSM-only
        schools; ``osm_id`` names the OSM school of each row ("" for none) and ``source`` is
        ``table``, ``both`` or ``osm``.
    matched : pandas.DataFrame
        One row per pair: ``table_id``, ``osm_id``, ``table_name``, ``osm_name``, ``distance_m``,
        ``name_similarity``; in table order.
    table_only, osm_only : pandas.DataFrame
        The rows of each input that found no partner.
    """

    schools: gpd.GeoDataFrame
    matched: pd.DataFrame
    table_only: pd.DataFrame
    osm_only: pd.DataFrame

    def summary(self) -> str:
        """One line for a person, e.g. ``matched 40, table only 3, OSM only 7``."""
        return f"matched {len(self.matched)}, table only {len(self.table_only)}, OSM only {len(self.osm_only)}"


def normalise_name(name: str) -> str:
    """A school name reduced for comparison.

    Full-width forms become half-width (NFKC), letters lower case, spaces, punctuation and symbols
    go, digits become Chinese numerals, long school-type words their short form
    (:data:`NAME_VARIANTS`) and "一中"-style short forms are spelled out.
    """
    text = unicodedata.normalize("NFKC", str(name)).lower().translate(DIGITS_AS_NUMERALS)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")
    for long_form, short_form in NAME_VARIANTS:
        text = text.replace(long_form, short_form)
    for short_form, spelled_out in NUMBERED_SHORT_FORMS:
        text = short_form.sub(spelled_out, text)
    return text


def name_similarity(a: str, b: str) -> float:
    """Similarity of two school names in 0..1.

    Both names are normalised (:func:`normalise_name`) and lose their school-type ending; the
    result is the difflib ratio of what is left, with or without the administrative prefixes
    ("示范县城关第一小学" vs "城关第一小学": 1), whichever is higher. Names whose numbers differ
    ("第一小学" vs "第二小学") or whose type words differ ("东关小学" vs "东关中学") are
    different schools: 0.
    """
    full_a, full_b = normalise_name(a), normalise_name(b)
    if full_a and full_a == full_b:
        return 1.0
    kind_a, kind_b = _type_kind(full_a), _type_kind(full_b)
    if kind_a and kind_b and kind_a != kind_b:
        return 0.0
    best = 0.0
    for form_a, form_b in ((full_a, full_b), (_strip_admin_prefixes(full_a), _strip_admin_prefixes(full_b))):
        core_a, core_b = TYPE_SUFFIX.sub("", form_a), TYPE_SUFFIX.sub("", form_b)
        if not core_a or not core_b:
            continue
        numbers_a, numbers_b = _numerals(core_a), _numerals(core_b)
        if numbers_a and numbers_b and numbers_a != numbers_b:
            return 0.0
        best = max(best, SequenceMatcher(None, core_a, core_b).ratio())
    return best


def match_schools(
    table: gpd.GeoDataFrame,
    osm: gpd.GeoDataFrame,
    *,
    max_distance_m: float = MAX_MATCH_DISTANCE_M,
    min_similarity: float = MIN_NAME_SIMILARITY,
    keep_osm_only: bool = True,
) -> MatchResult:
    """Pair the schools of a bureau's table with OSM schools and merge them.

    Parameters
    ----------
    table, osm : geopandas.GeoDataFrame
        Canonical school tables (:func:`gis.schools.read_school_table`,
        :func:`gis.osm_schools.read_osm_schools`).
    max_distance_m : float
        Farthest apart, in metres, two records of one school may be.
    min_similarity : float
        Least :func:`name_similarity` of two records of one school.
    keep_osm_only : bool
        Append the OSM schools without a partner to the merged table.

    Returns
    -------
    MatchResult
    """
    table = table.to_crs(WGS84).reset_index(drop=True)
    osm = osm.to_crs(WGS84).reset_index(drop=True)
    pairs = _candidate_pairs(table, osm, max_distance_m, min_similarity)
    chosen = _best_first(pairs)
    matched = pd.DataFrame(
        {
            "table_id": table["school_id"].to_numpy()[chosen["t"]],
            "osm_id": osm["school_id"].to_numpy()[chosen["o"]],
            "table_name": table["name"].to_numpy()[chosen["t"]],
            "osm_name": osm["name"].to_numpy()[chosen["o"]],
            "distance_m": chosen["distance_m"].to_numpy(),
            "name_similarity": chosen["similarity"].to_numpy(),
        },
        columns=MATCHED_COLUMNS,
    )
    table_only = table.drop(index=chosen["t"]).reset_index(drop=True)
    osm_only = osm.drop(index=chosen["o"]).reset_index(drop=True)
    merged = _merge(table, osm, chosen, osm_only if keep_osm_only else osm_only.iloc[:0])
    return MatchResult(schools=merged, matched=matched, table_only=table_only, osm_only=osm_only)


def _strip_admin_prefixes(text: str) -> str:
    while (prefix := ADMIN_PREFIX.match(text)) and len(text) - prefix.end() >= MIN_NAME_CORE_CHARS:
        text = text[prefix.end():]
    return text


def _type_kind(text: str) -> str | None:
    suffix = TYPE_SUFFIX.search(text)
    return TYPE_KINDS.get(suffix.group()) if suffix else None


def _numerals(text: str) -> str:
    return "".join(ch for ch in text if ch in NUMERALS)


def _levels_compatible(a: str, b: str) -> bool:
    return a == b or NINE_YEAR in (a, b)


def _metric_xy(schools: gpd.GeoDataFrame, crs: pyproj.CRS) -> np.ndarray:
    points = schools.geometry.to_crs(crs)
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def _candidate_pairs(
    table: gpd.GeoDataFrame, osm: gpd.GeoDataFrame, max_distance_m: float, min_similarity: float
) -> pd.DataFrame:
    """Every (table row, OSM row) within reach and similarly named, with its cost."""
    columns = ["t", "o", "distance_m", "similarity", "cost"]
    if table.empty or osm.empty:
        return pd.DataFrame(columns=columns)
    lon = np.concatenate([table.geometry.x.to_numpy(), osm.geometry.x.to_numpy()])
    lat = np.concatenate([table.geometry.y.to_numpy(), osm.geometry.y.to_numpy()])
    crs = local_utm_crs(lon, lat)
    near = cKDTree(_metric_xy(table, crs)).sparse_distance_matrix(
        cKDTree(_metric_xy(osm, crs)), max_distance_m, output_type="ndarray"
    )
    rows = []
    for t, o, distance in near:
        t, o = int(t), int(o)
        if not _levels_compatible(table.at[t, "level"], osm.at[o, "level"]):
            continue
        similarity = name_similarity(table.at[t, "name"], osm.at[o, "name"])
        if similarity >= min_similarity:
            cost = (1.0 - similarity) + DISTANCE_WEIGHT * distance / max_distance_m
            rows.append((t, o, float(distance), similarity, cost))
    return pd.DataFrame(rows, columns=columns)


def _best_first(pairs: pd.DataFrame) -> pd.DataFrame:
    """Take pairs by lowest cost (ties: table order, then OSM order), each school at most once."""
    taken_t, taken_o, keep = set(), set(), []
    for pair in pairs.sort_values(["cost", "t", "o"], kind="stable").itertuples():
        if pair.t not in taken_t and pair.o not in taken_o:
            taken_t.add(pair.t)
            taken_o.add(pair.o)
            keep.append(pair.Index)
    return pairs.loc[keep].sort_values("t", kind="stable").astype({"t": np.int64, "o": np.int64}).reset_index(drop=True)


def _is_blank(values: pd.Series) -> pd.Series:
    return values.isna() | values.astype(str).str.strip().eq("")


def _merge(table: gpd.GeoDataFrame, osm: gpd.GeoDataFrame, chosen: pd.DataFrame, osm_only: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The table with OSM filling its gaps, then the OSM-only schools."""
    merged = table.copy()
    merged["osm_id"] = ""
    merged["source"] = SOURCE_TABLE
    t, partner = chosen["t"].to_numpy(), osm.iloc[chosen["o"].to_numpy()].reset_index(drop=True)
    merged.loc[t, "osm_id"] = partner["school_id"].to_numpy()
    merged.loc[t, "source"] = SOURCE_BOTH
    for column in ("name", "township", "area_type"):
        if column not in merged:
            merged[column] = ""
        gap = _is_blank(merged.loc[t, column]).to_numpy() & ~_is_blank(partner[column]).to_numpy()
        merged.loc[t[gap], column] = partner.loc[gap, column].to_numpy()
    better = merged.loc[t, "enrollment_estimated"].to_numpy(dtype=bool) & ~partner["enrollment_estimated"].to_numpy(dtype=bool)
    merged.loc[t[better], "enrollment"] = partner.loc[better, "enrollment"].to_numpy()
    merged.loc[t[better], "enrollment_estimated"] = False
    extra = osm_only.assign(osm_id=osm_only["school_id"], source=SOURCE_OSM)
    combined = pd.concat([merged, extra], ignore_index=True) if len(extra) else merged
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=WGS84)
