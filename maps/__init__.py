"""Interactive maps of 学区 plans, saved as standalone HTML that opens without a network."""

from maps.assets import offline_html, offline_map, save_map
from maps.render import render_plan_map

__all__ = ["offline_html", "offline_map", "render_plan_map", "save_map"]
