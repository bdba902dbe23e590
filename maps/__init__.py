"""Maps of 学区 plans: interactive HTML that opens without a network, and the printed figure."""

from maps.assets import offline_html, offline_map, save_map
from maps.figure import render_plan_figure, save_figure
from maps.render import plan_colors, render_plan_map

__all__ = ["offline_html", "offline_map", "plan_colors", "render_plan_figure", "render_plan_map", "save_figure", "save_map"]
