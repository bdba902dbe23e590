"""Maps and reports of 学区 plans: folium maps that open offline, the printed figure, report.html, the plan's files.

>>> import maps
>>> maps.plan_map(result)                      # a folium.Map; shows inline in Jupyter   # doctest: +SKIP
>>> maps.write_plan_files(result, "out/plan")  # map.html/png/pdf, report.html, GeoJSON, plan.csv/json/gpkg  # doctest: +SKIP
>>> maps.write_compare_files(partition.compare_plans([a, b]), "out/compare")                           # doctest: +SKIP
"""

from maps.assets import offline_html, offline_map, save_map
from maps.compare import compare_page, write_compare_files
from maps.figure import render_plan_figure, save_figure
from maps.outputs import OUTPUT_FILES, map_context, plan_figure, plan_map, plan_report, write_plan_files
from maps.render import plan_colors, render_plan_map

__all__ = [
    "OUTPUT_FILES", "compare_page", "map_context", "offline_html", "offline_map", "plan_colors", "plan_figure", "plan_map",
    "plan_report", "render_plan_figure", "render_plan_map", "save_figure", "save_map", "write_compare_files", "write_plan_files",
]  # fmt: skip
