"""The canonical school table: column names, categories and the Chinese names they come from.

Every reader in :mod:`gis` returns a GeoDataFrame with these columns, whatever the source;
every later stage reads only these names.
"""

from __future__ import annotations

__all__ = [
    "AREA_TYPES",
    "INDICATORS",
    "INDICATOR_LABELS_ZH",
    "BASIC_INDICATORS",
    "BASIC_INDICATOR_LABELS_ZH",
    "ALL_INDICATORS",
    "LEVELS",
    "LEVEL_LABELS_ZH",
    "AREA_LABELS_ZH",
    "CATEGORY_LABELS_ZH",
    "TABLE_HEADERS_ZH",
]

#: School levels (学段) of the canonical table.
LEVELS = ("primary", "junior", "nine_year", "other")
LEVEL_LABELS_ZH = {"primary": "小学", "junior": "初中", "nine_year": "九年一贯制", "other": "其他"}

#: Urban/rural type (城乡类型).
AREA_TYPES = ("urban", "town", "rural")
AREA_LABELS_ZH = {"urban": "城区", "town": "镇区", "rural": "乡村"}

#: School category (学校类别) used in published 学区 school lists.
CATEGORY_LABELS_ZH = {"basic": "基础", "model": "示范", "special": "特色"}

#: The seven resource indicators of the 优质均衡 evaluation (教育部《县域义务教育优质均衡发展督导评估办法》,
#: 2017), canonical column name -> Chinese name as bureaus print it.
INDICATOR_LABELS_ZH = {
    "senior_degree_teachers_per100": "每百名学生拥有高于规定学历教师数",
    "backbone_teachers_per100": "每百名学生拥有县级以上骨干教师数",
    "pe_art_teachers_per100": "每百名学生拥有体育、艺术专任教师数",
    "teaching_area_per_student": "生均教学及辅助用房面积",
    "sports_area_per_student": "生均体育运动场馆面积",
    "equipment_value_per_student": "生均教学仪器设备值",
    "multimedia_rooms_per100": "每百名学生拥有网络多媒体教室数",
}
INDICATORS = tuple(INDICATOR_LABELS_ZH)

#: The eight indicators of the older 基本均衡 evaluation (教育部《县域义务教育均衡发展督导评估暂行办法》,
#: 2012), canonical column -> the name that standard prints. Four are columns of the 2017 set too; the
#: teacher counts are held per 100 students (as bureaus table them; a 差异系数 does not depend on the unit),
#: 师生比 as teachers per student.
BASIC_INDICATOR_LABELS_ZH = {
    "teaching_area_per_student": "生均教学及辅助用房面积",
    "sports_area_per_student": "生均体育运动场馆面积",
    "equipment_value_per_student": "生均教学仪器设备值",
    "computers_per100": "每百名学生拥有计算机台数",
    "books_per_student": "生均图书册数",
    "teacher_student_ratio": "师生比",
    "senior_degree_teachers_per100": "生均高于规定学历教师数",
    "intermediate_title_teachers_per100": "生均中级及以上专业技术职务教师数",
}
BASIC_INDICATORS = tuple(BASIC_INDICATOR_LABELS_ZH)
#: Every resource indicator a school table may carry, 2017 ones first.
ALL_INDICATORS = tuple(dict.fromkeys(INDICATORS + BASIC_INDICATORS))

#: Canonical column -> the Chinese header of a bureau's school table (the demo county uses these).
TABLE_HEADERS_ZH = {
    "school_id": "学校标识码",
    "name": "学校名称",
    "level": "学段",
    "enrollment": "在校生数",
    "classes": "班级数",
    "teachers": "教师数",
    "lon": "经度",
    "lat": "纬度",
    "township": "乡镇/街道",
    "area_type": "城乡类型",
    "is_core": "是否优质",
    "category": "学校类别",
    "principal": "校长",
    **INDICATOR_LABELS_ZH,
}
