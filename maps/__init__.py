"""Maps and reports of 学区 plans: folium maps that open offline, report.html, and the plan's files.

>>> import maps
>>> maps.plan_map(result)                      # a folium.Map; shows inline in Jupyter   # doctest: +SKIP
>>> maps.write_plan_files(result, "out/plan")  # map.html, report.html, GeoJSON, plan.csv/json/gpkg  # doctest: +SKIP
>>> maps.write_compare_files(partition.compare_plans([a, b]), "out/compare")                        # doctest: +SKIP
"""

from maps.assets import offline_html, offline_map, save_map
from maps.compare import compare_page, write_compare_files
from maps.outputs import OUTPUT_FILES, plan_map, plan_report, write_plan_files
from maps.render import render_plan_map

__all__ = [
    "OUTPUT_FILES", "compare_page", "offline_html", "offline_map", "plan_map", "plan_report", "render_plan_map", "save_map",
    "write_compare_files", "write_plan_files",
]
