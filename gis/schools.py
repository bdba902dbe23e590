"""Reading a bureau's school table into the canonical school table (see :mod:`gis.schema`).

Validation happens here, once: a file that cannot be used raises :class:`InputError`; rows that
cannot be used are dropped with a warning naming each row, the problem and the fix (or, with
``strict=True``, raise).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .badrows import BadRow, report_bad_rows
from .coords import WGS84, to_wgs84
from .errors import InputError
from .schema import ALL_INDICATORS, BASIC_INDICATOR_LABELS_ZH, INDICATOR_LABELS_ZH

__all__ = ["read_school_table", "level_from_name", "HEADER_ALIASES", "read_text_table", "read_geo_file", "as_text", "find_header"]

#: Other spellings of the indicator headers: the per-100 form of the 2012 teacher counts, and the
#: 2012 standard's name of the 2017 senior-degree count.
INDICATOR_HEADER_VARIANTS = {
    "senior_degree_teachers_per100": ("每百名学生高于规定学历教师数",),
    "intermediate_title_teachers_per100": ("每百名学生拥有中级及以上专业技术职务教师数", "每百名学生中级及以上专业技术职务教师数"),
    "computers_per100": ("每百名学生计算机台数",),
}


def _indicator_headers(column: str) -> tuple[str, ...]:
    """The headers of an indicator: its 2017 and 2012 names, their variants, the canonical name."""
    names = (INDICATOR_LABELS_ZH.get(column), BASIC_INDICATOR_LABELS_ZH.get(column), *INDICATOR_HEADER_VARIANTS.get(column, ()), column)
    return tuple(dict.fromkeys(name for name in names if name))


#: Header spellings accepted for each canonical column (compared case-insensitively, spaces removed).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "school_id": ("学校标识码", "学校代码", "标识码", "school_id", "id", "code"),
    "name": ("学校名称", "名称", "校名", "name", "school", "school_name"),
    "level": ("学段", "学校类型", "level", "type"),
    "enrollment": ("在校生数", "学生数", "在校学生数", "enrollment", "students", "pupils"),
    "classes": ("班级数", "classes"),
    "teachers": ("教师数", "专任教师数", "teachers"),
    "lon": ("经度", "lon", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "township": ("乡镇/街道", "乡镇", "街道", "乡镇街道", "township", "town"),
    "area_type": ("城乡类型", "城乡", "area_type", "urban_rural"),
    "is_core": ("是否优质", "优质", "核心", "是否核心", "is_core", "core", "quality_school"),
    "category": ("学校类别", "类别", "category"),
    "principal": ("校长", "校长姓名", "principal", "principal_name"),
    **{column: _indicator_headers(column) for column in ALL_INDICATORS},
}

LEVEL_VALUES = {
    "小学": "primary", "primary": "primary",
    "初中": "junior", "初级中学": "junior", "junior": "junior",
    "九年一贯制": "nine_year", "九年一贯制学校": "nine_year", "nine_year": "nine_year",
}
AREA_VALUES = {"城区": "urban", "镇区": "town", "乡村": "rural", "urban": "urban", "town": "town", "rural": "rural"}
CATEGORY_VALUES = {"基础": "basic", "示范": "model", "特色": "special", "basic": "basic", "model": "model", "special": "special"}
#: Name fragments that imply a level, checked in order (九年一贯制 before 中学).
NAME_LEVEL_MARKERS = (("九年一贯制", "nine_year"), ("小学", "primary"), ("初级中学", "junior"), ("初中", "junior"), ("中学", "junior"))
TRUE_VALUES = frozenset({"是", "1", "true", "yes", "y", "t", "核心", "优质"})
FALSE_VALUES = frozenset({"否", "0", "false", "no", "n", "f", ""})
#: Students per class assumed when enrollment is missing but the class count is given.
STUDENTS_PER_CLASS_ESTIMATE = 40
ENCODINGS = ("utf-8-sig", "gb18030")
#: Spatial files read through pyogrio; the school points give 经度/纬度.
GEO_SUFFIXES = (".geojson", ".json", ".gpkg")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", *GEO_SUFFIXES)
FIRST_DATA_ROW = 2  # spreadsheet row number of the first data row (row 1 is the header)


def read_school_table(
    path: str | Path, *, columns: Mapping[str, str] | None = None, coords: str = "wgs84", strict: bool = False
) -> gpd.GeoDataFrame:
    """Read a school table (CSV in UTF-8/UTF-8 BOM/GBK, XLSX, GeoJSON, GeoPackage) into the canonical table.

    Parameters
    ----------
    path : str or Path
        The table. Headers may be Chinese or English (see :data:`HEADER_ALIASES`). In a GeoJSON
        or GeoPackage file (first layer) the geometry gives the coordinates, reprojected to WGS-84.
    columns : mapping, optional
        Explicit ``{canonical column: header in the file}`` for headers the aliases miss.
    coords : str
        The table's coordinate system, one of :data:`gis.coords.COORDINATE_SYSTEMS`
        (``gcj02`` for Amap/Tencent, ``bd09`` for Baidu); converted to WGS-84.
    strict : bool
        Raise on the first bad row instead of dropping bad rows with a warning.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per usable school, EPSG:4326; ``attrs["dropped"]`` lists the dropped rows.
    """
    raw = _read_raw_table(Path(path))
    table = _rename_headers(raw, columns or {}, Path(path))
    table, bad_rows = _normalise_rows(table)
    report_bad_rows(bad_rows, source=str(path), strict=strict)
    if table.empty:
        raise InputError(f"{path}: no usable school rows; fix the rows listed above")
    lon, lat = to_wgs84(table["lon"].to_numpy(), table["lat"].to_numpy(), coords)
    schools = gpd.GeoDataFrame(
        table.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(lon, lat),
        crs=WGS84,
    ).reset_index(drop=True)
    schools.attrs["dropped"] = bad_rows
    return schools


def _read_raw_table(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{path}: no such school table; check the path")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the school table is empty; export it again with a header row and one row per school")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xls"):
        try:
            return pd.read_excel(path, dtype=str)
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise InputError(f"{path}: cannot read this spreadsheet ({exc}); save it again as .xlsx or .csv") from None
    if suffix in GEO_SUFFIXES:
        return _read_geo_table(path)
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{path}: unsupported table type '{suffix}'; use .csv, .xlsx, .geojson or .gpkg")
    for encoding in ENCODINGS:
        try:
            table = pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False, skipinitialspace=True)
        except UnicodeDecodeError:
            continue
        except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
            raise InputError(f"{path}: not a readable CSV table ({exc}); save it as CSV with a header row") from None
        if table.empty:
            raise InputError(f"{path}: the school table has a header but no rows; add one row per school")
        return table
    raise InputError(f"{path}: the text encoding is neither UTF-8 nor GBK; save the table as UTF-8 CSV")


def _read_geo_table(path: Path) -> pd.DataFrame:
    """A GeoJSON/GeoPackage layer as text columns, ``lon``/``lat`` (EPSG:4326) from its geometry.

    A point gives its coordinates, a polygon a point inside it. Attribute columns go through the
    same header aliases and row checks as a CSV; without any geometry, the 经度/纬度 attributes are used.
    """
    frame = read_geo_file(path)
    geometry = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else None
    table = as_text(pd.DataFrame(frame.drop(columns=geometry.name) if geometry is not None else frame))
    if geometry is None or geometry.isna().all():
        return table
    coordinate_keys = {_header_key(alias) for alias in (*HEADER_ALIASES["lon"], *HEADER_ALIASES["lat"])}
    table = table[[c for c in table.columns if _header_key(c) not in coordinate_keys]]
    points = geometry.representative_point()
    points = points.set_crs(WGS84) if points.crs is None else points.to_crs(WGS84)
    return table.assign(lon=_coordinate_text(points.x), lat=_coordinate_text(points.y))


def _coordinate_text(values: pd.Series) -> list[str]:
    """Coordinates as exact decimal text, "" where a feature has no geometry (a bad row later)."""
    return ["" if np.isnan(v) else repr(float(v)) for v in values]


def _header_key(header: str) -> str:
    return str(header).strip().lower().replace(" ", "").replace("_", "")


def _rename_headers(raw: pd.DataFrame, explicit: Mapping[str, str], path: Path) -> pd.DataFrame:
    by_key = {_header_key(h): h for h in raw.columns}
    renames = {}
    for column, aliases in HEADER_ALIASES.items():
        header = explicit.get(column) or next((by_key[_header_key(a)] for a in aliases if _header_key(a) in by_key), None)
        if header is not None and header in raw.columns:
            renames[header] = column
    table = raw[list(renames)].rename(columns=renames)
    if "lon" not in table or "lat" not in table:
        raise InputError(
            f"{path}: no coordinate columns; expected 经度 and 纬度 (or lon and lat) among the headers "
            f"{list(raw.columns)}; rename them or pass an explicit column mapping"
        )
    if "name" not in table and "school_id" not in table:
        raise InputError(f"{path}: no school name or id column; expected 学校名称 or 学校标识码 (or name / school_id)")
    return table


def _normalise_rows(table: pd.DataFrame) -> tuple[pd.DataFrame, list[BadRow]]:
    """Parse every column and collect the rows that cannot be used."""
    table = table.copy()
    row_numbers = np.arange(len(table)) + FIRST_DATA_ROW
    problems: dict[int, tuple[str, str]] = {}

    def flag(mask, problem, fix):
        for r in row_numbers[np.asarray(mask, dtype=bool)]:
            problems.setdefault(int(r), (problem, fix))

    for axis in ("lon", "lat"):
        table[axis] = pd.to_numeric(table[axis].astype(str).str.strip(), errors="coerce")
    lon, lat = table["lon"], table["lat"]
    flag(lon.isna() | lat.isna(), "missing or non-numeric coordinates", "fill in 经度/纬度 as decimal degrees")
    swapped = lon.between(-90, 90) & ~lat.between(-90, 90) & lat.between(-180, 180)
    flag(swapped, "longitude and latitude look swapped", "exchange the 经度 and 纬度 values")
    flag(~lon.between(-180, 180) | ~lat.between(-90, 90), "coordinates out of range", "经度 must be in -180..180 and 纬度 in -90..90")

    if "school_id" not in table:
        table["school_id"] = table["name"]
    table["school_id"] = table["school_id"].astype(str).str.strip()
    if "name" not in table:
        table["name"] = table["school_id"]
    table["name"] = table["name"].astype(str).str.strip()
    flag(table["school_id"] == "", "empty school id", "give every school a 学校标识码")
    flag(table["school_id"].duplicated(keep="first"), "duplicate school id", "make 学校标识码 unique; the first row with it is kept")

    level = table.get("level", pd.Series("", index=table.index)).astype(str).str.strip()
    table["level"] = level.map(LEVEL_VALUES).where(level.ne(""), table["name"].map(level_from_name))
    flag(table["level"].isna(), "unknown 学段", f"use one of {', '.join(k for k in LEVEL_VALUES if not k.isascii())}")

    table = _parse_enrollment(table, flag)
    for column in ("classes", "teachers", *ALL_INDICATORS):
        if column in table:
            table[column] = _numbers(table[column])
    table["is_core"] = _parse_flags(table.get("is_core", pd.Series("", index=table.index)))
    flag(table["is_core"].isna(), "是否优质 is not yes/no", "write 是 or 否")
    table["township"] = table.get("township", pd.Series("", index=table.index)).astype(str).str.strip()
    table["area_type"] = table.get("area_type", pd.Series("", index=table.index)).astype(str).str.strip().map(AREA_VALUES)
    if "principal" in table:  # the 学区长 of a core's 学区; blank stays blank
        table["principal"] = table["principal"].fillna("").astype(str).str.strip()
    if "category" in table:
        table["category"] = table["category"].astype(str).str.strip().map(CATEGORY_VALUES)

    bad = [BadRow(r, *problems[r]) for r in sorted(problems)]
    keep = ~np.isin(row_numbers, list(problems))
    table = table[keep].copy()
    table["source_row"] = row_numbers[keep]
    table["is_core"] = table["is_core"].astype(bool)
    table["enrollment"] = table["enrollment"].astype(np.int64)
    return table, bad


def _parse_enrollment(table: pd.DataFrame, flag) -> pd.DataFrame:
    """Enrollment as int; a missing value is estimated and flagged, never 0.

    The estimate is the class count times :data:`STUDENTS_PER_CLASS_ESTIMATE`, or else the
    median enrollment of the schools of the same level in the table.
    """
    text = table.get("enrollment", pd.Series("", index=table.index)).astype(str).str.strip()
    enrollment = pd.to_numeric(text, errors="coerce")
    flag(text.ne("") & enrollment.isna(), "在校生数 is not a number", "write the number of students as digits")
    flag(enrollment < 0, "negative 在校生数", "write the number of students (0 or more)")
    classes = pd.to_numeric(table.get("classes", pd.Series("", index=table.index)), errors="coerce")
    level_median = enrollment.groupby(table["level"]).transform("median")
    estimate = (classes * STUDENTS_PER_CLASS_ESTIMATE).fillna(level_median).fillna(enrollment.median())
    missing = text.eq("")
    flag(missing & estimate.isna(), "no 在校生数 and nothing to estimate it from", "fill in 在校生数")
    table["enrollment"] = enrollment.where(~missing, estimate).round()
    table["enrollment_estimated"] = missing
    return table


def _numbers(values: pd.Series) -> pd.Series:
    """Numbers as floats, a ratio written ``1:17.5`` (师生比) as its quotient; anything else missing."""
    text = values.astype(str).str.strip()
    ratio = text.str.extract(r"^([\d.]+)\s*[:：]\s*([\d.]+)$").apply(pd.to_numeric, errors="coerce")
    return pd.to_numeric(text, errors="coerce").fillna(ratio[0] / ratio[1].where(ratio[1] > 0))


def _parse_flags(values: pd.Series) -> pd.Series:
    """是/否-style flags as True/False; anything else as None."""
    meaning = {**dict.fromkeys(TRUE_VALUES, True), **dict.fromkeys(FALSE_VALUES, False)}
    return values.astype(str).str.strip().str.lower().map(meaning).astype(object)


def level_from_name(name: str) -> str | None:
    """The school level a Chinese school name implies, or None."""
    for marker, level in NAME_LEVEL_MARKERS:
        if marker in name:
            return level
    return None


def read_text_table(path: str | Path) -> pd.DataFrame:
    """A CSV table (UTF-8, UTF-8 BOM or GBK) or the first sheet of a spreadsheet, every column as text.

    The same checks as :func:`read_school_table` (a missing, empty or unreadable file raises
    :class:`InputError`), for other tables of schools such as a planner's 学区 list.
    """
    return _read_raw_table(Path(path))


def read_geo_file(path: str | Path, *, layer: str | None = None, needs: str = "one point feature per school") -> gpd.GeoDataFrame:
    """A layer of a GeoJSON or GeoPackage file (the first by default).

    A file that cannot be read, or holds no feature, raises :class:`InputError` (``needs``: what
    the file should hold).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes on a damaged file; the error says it
            frame = gpd.read_file(path, layer=layer)
    except Exception as exc:  # pyogrio/GDAL raise several types for a damaged file
        reason = str(exc).split(";")[0].strip()
        raise InputError(f"{path}: cannot read this file as GeoJSON or GeoPackage ({reason}); export it again from the GIS software") from None
    if frame.empty:
        raise InputError(f"{path}: the file has no features; add {needs}")
    return frame


def as_text(table: pd.DataFrame) -> pd.DataFrame:
    """Every column as text, a missing value as the empty string (as a CSV reads)."""
    return table.astype(object).where(table.notna(), "").astype(str)


def find_header(headers, aliases) -> str | None:
    """The first of ``headers`` spelled like one of ``aliases`` (in the aliases' order), or None.

    Spellings compare as :data:`HEADER_ALIASES` do: case, spaces and underscores ignored.
    """
    by_key = {_header_key(h): h for h in headers}
    return next((by_key[_header_key(a)] for a in aliases if _header_key(a) in by_key), None)
