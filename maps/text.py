"""The words on maps and figures, in Chinese (the default) or English."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from gis.schema import AREA_LABELS_ZH, LEVEL_LABELS_ZH

__all__ = ["LANGUAGES", "labels"]

#: Languages a map can be labelled in.
LANGUAGES = ("zh", "en")

_ZH = {
    "districts": "学区",
    "key": "编号",
    "district": "学区",
    "core": "核心校",
    "core_school": "核心校",
    "head": "学区长",
    "member_school": "成员校",
    "schools": "学校数",
    "enrollment": "在校生",
    "students": "人",
    "minutes": "分钟",
    "level": "学段",
    "to_core": "到核心校",
    "township": "乡镇/街道",
    "area_type": "城乡类型",
    "unassigned": "未分配",
    "territories": "学区范围",
    "school_layer": "学校",
    "links": "连线",
    "roads": "主要道路",
    "townships": "乡镇/街道界",
    "isochrones": "{minutes:g} 分钟可达范围",
    "not_reached": "{minutes:g} 分钟内无核心校可达",
    "basemap": "在线底图",
    "search": "搜索学校名称…",
    "not_found": "未找到",
    "fullscreen": "全屏",
    "exit_fullscreen": "退出全屏",
    "show_all": "显示全部",
    "north": "北",
    "more_districts": "另有 {count} 个学区，见 plan.csv",
    "source": "数据来源",
    "km": "公里",
}
_EN = {
    "districts": "Districts",
    "key": "Key",
    "district": "District",
    "core": "core",
    "core_school": "Core school",
    "head": "District head (学区长)",
    "member_school": "Member school",
    "schools": "Schools",
    "enrollment": "Students",
    "students": "",
    "minutes": "min",
    "level": "Level",
    "to_core": "To core",
    "township": "Township",
    "area_type": "Area",
    "unassigned": "Unassigned",
    "territories": "District areas",
    "school_layer": "Schools",
    "links": "Links to cores",
    "roads": "Main roads",
    "townships": "Township borders",
    "isochrones": "Within {minutes:g} min of a core",
    "not_reached": "No core within {minutes:g} min",
    "basemap": "Online basemap",
    "search": "Search a school…",
    "not_found": "Not found",
    "fullscreen": "Full screen",
    "exit_fullscreen": "Exit full screen",
    "show_all": "Show all",
    "north": "N",
    "more_districts": "{count} more districts: see plan.csv",
    "source": "Data",
    "km": "km",
}
_LEVELS_EN = {"primary": "primary", "junior": "junior middle", "nine_year": "nine-year", "other": "other"}
_AREAS_EN = {"urban": "urban", "town": "town", "rural": "rural"}
_LABELS = {
    "zh": {**_ZH, "levels": LEVEL_LABELS_ZH, "areas": AREA_LABELS_ZH},
    "en": {**_EN, "levels": _LEVELS_EN, "areas": _AREAS_EN},
}


def labels(lang: str) -> Mapping[str, object]:
    """The words of one language (:data:`LANGUAGES`); ``levels`` and ``areas`` map the table's codes.

    Raises
    ------
    ValueError
        For a language not in :data:`LANGUAGES`.
    """
    if lang not in _LABELS:
        raise ValueError(f"unknown map language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return MappingProxyType(_LABELS[lang])
