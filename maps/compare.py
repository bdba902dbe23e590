"""compare.html: plans side by side, figure by figure, and their maps with synchronised pan and zoom.

Each plan's map is the ordinary plan map (:func:`maps.render.render_plan_map`), saved as its own
offline page and shown in an ``<iframe srcdoc>``; one small element added to each map rings the
schools that change 学区 and tells the page (``postMessage``) where the map is looking, and the
page passes that on to the other maps. The maps are composed, not redrawn, so they stay whatever
the plan map is.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import folium
import geopandas as gpd
import jinja2
from branca.element import MacroElement
from folium.template import Template

from gis.files import staged_output_dir, write_text_atomic
from partition.compare import Comparison, match_districts
from partition.tables import PlanTables

from .assets import offline_html
from .render import render_plan_map

__all__ = ["compare_page", "compare_map", "write_compare_files", "COMPARE_FILES", "MOVED_CLASS"]

#: The files :func:`write_compare_files` writes.
COMPARE_FILES = ("compare.html", "compare.csv", "moves.csv", "compare.json")
COMPARE_TITLE = "学区方案比较 Plan comparison"
#: CSS class of the ring around a school that changes 学区 (for styling and tests).
MOVED_CLASS = "xq-moved"
#: Keys given to a later plan's 学区 that match none of the first plan's (drawn after them).
UNMATCHED_PREFIX = "Z"
_RING_STYLE = {"radius": 13, "color": "#d0021b", "weight": 3, "fill": False, "className": MOVED_CLASS}
#: Moves listed in the page (all of them are in moves.csv).
LISTED_MOVES = 500

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("maps", "templates"), autoescape=True, undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


class _CompareLink(MacroElement):
    """Rings the moved schools on a plan map and keeps its view in step with the page's other maps."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            {{ this.moved|tojson }}.forEach(function (school) {
                L.circleMarker([school[0], school[1]], {{ this.ring|tojson }}).bindTooltip(school[2]).addTo(map);
            });
            var applying = false;
            map.on("move", function () {
                if (applying || window.parent === window) { return; }
                var centre = map.getCenter();
                window.parent.postMessage({xqView: {lat: centre.lat, lng: centre.lng, zoom: map.getZoom()}}, "*");
            });
            window.addEventListener("message", function (event) {
                var view = event.data && event.data.xqSetView;
                if (!view) { return; }
                applying = true;
                map.setView([view.lat, view.lng], view.zoom, {animate: false});
                applying = false;
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, moved: list[list]):
        super().__init__()
        self._name = "CompareLink"
        self.moved = moved
        self.ring = _RING_STYLE


def compare_map(plan: PlanTables, moved: gpd.GeoDataFrame, *, keys: dict[str, str] | None = None) -> folium.Map:
    """One plan's map for the comparison: the plan map, ``moved`` schools ringed, its view shared.

    ``keys`` re-keys the plan's 学区 for drawing (to the first plan's partners, so that matched 学区
    take the same colour); ``moved`` holds the points and a ``label`` to show on hover.
    """
    schools, districts = plan.schools, plan.districts
    if keys:
        schools = schools.assign(district=schools["district"].map(lambda k: keys.get(k, k)))
        districts = districts.assign(district=districts["district"].map(lambda k: keys.get(k, k)))
    m = render_plan_map(schools, districts, title=plan.name, notice=plan.summary.get("notice"))
    rings = [[round(p.y, 6), round(p.x, 6), html.escape(label)] for p, label in zip(moved.geometry, moved["label"])]
    m.add_child(_CompareLink(rings))
    return m


def _drawing_keys(first: PlanTables, other: PlanTables) -> dict[str, str]:
    """Each 学区 key of ``other`` -> its partner's key in ``first``, or a fresh key after them."""
    a, b = (plan.schools.set_index("school_id")["district"] for plan in (first, other))
    common = a.index.intersection(b.index)
    partner = match_districts(a.loc[common], b.loc[common])
    unmatched = sorted(set(other.districts["district"]) - set(partner))
    return {**partner, **{key: f"{UNMATCHED_PREFIX}{i + 1:02d}" for i, key in enumerate(unmatched)}}


def _moved_points(plan: PlanTables, moves) -> gpd.GeoDataFrame:
    """The plan's schools among the moves, with a hover label: name, from and to."""
    schools = plan.schools.set_index("school_id")
    moves = moves[moves["school_id"].isin(schools.index)].drop_duplicates("school_id")
    labels = [f"{r.name}: {r.from_district or '—'} → {r.to_district or '—'}" for r in moves.itertuples()]
    return gpd.GeoDataFrame({"label": labels}, geometry=schools.geometry.loc[moves["school_id"]].to_numpy(), crs=schools.crs)


def compare_page(comparison: Comparison, *, title: str = COMPARE_TITLE) -> str:
    """compare.html: the figures (best of each row marked), each pair's agreement, the moves and the maps."""
    first = comparison.plans[0]
    maps = []
    for index, plan in enumerate(comparison.plans):
        moves = comparison.moves if index == 0 else comparison.moves[comparison.moves["plan"] == plan.name]
        keys = None if index == 0 else _drawing_keys(first, plan)
        maps.append({"name": plan.name, "page": offline_html(compare_map(plan, _moved_points(plan, moves), keys=keys))})
    table = comparison.figure_table()
    best = comparison.best()
    return _TEMPLATES.get_template("compare.html.j2").render(
        title=title, names=comparison.names, figures=table.to_dict("records"), best=best.to_dict("index"),
        pairs=comparison.pairs, moves=comparison.moves.head(LISTED_MOVES).to_dict("records"),
        n_moves=len(comparison.moves), maps=maps,
    )


def write_compare_files(comparison: Comparison, out: str | os.PathLike, *, title: str = COMPARE_TITLE) -> dict[str, Path]:
    """Write :data:`COMPARE_FILES` into the folder ``out`` together (or none of them); return their paths."""
    out = Path(out)
    page = compare_page(comparison, title=title)
    with staged_output_dir(out) as stage:
        write_text_atomic(stage / "compare.html", page)
        _write_csv(comparison.figure_table(), stage / "compare.csv")
        _write_csv(comparison.moves, stage / "moves.csv")
        record = json.dumps(comparison.to_json(), ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False)
        write_text_atomic(stage / "compare.json", record + "\n")
    return {name: out / name for name in COMPARE_FILES}


def _write_csv(frame, path: Path) -> Path:
    """A table as CSV, UTF-8 with BOM so that Excel reads the Chinese."""
    return write_text_atomic(path, frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8-sig")
