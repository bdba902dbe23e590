"""Maps and reports of 学区 plans: folium maps that open offline, report.html, and the plan's files.

>>> import maps
>>> maps.plan_map(result)                      # a folium.Map; shows inline in Jupyter   # doctest: +SKIP
>>> maps.write_plan_files(result, "out/plan")  # map.html, report.html, GeoJSON, plan.csv, plan.json  # doctest: +SKIP
"""

from maps.assets import offline_html, offline_map, save_map
from maps.outputs import OUTPUT_FILES, plan_map, plan_report, write_plan_files
from maps.render import render_plan_map

__all__ = ["OUTPUT_FILES", "offline_html", "offline_map", "plan_map", "plan_report", "render_plan_map", "save_map", "write_plan_files"]
