"""What one Dask task does, in whatever process runs it: read and prepare a county, solve one cell of a
sweep, plan one county of a batch. Tasks take paths and small records, write their plan's files
themselves and return a plan summary (a row of sweep.csv or summary.csv), never the plan.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

from shapely.geometry.base import BaseGeometry

from gis.errors import InputError
from gis.inputs import CountyFiles, read_county
from maps.outputs import DEFAULT_TITLE, write_plan_files
from partition.compare import plan_figures as compared_figures
from partition.explain import INFEASIBLE, InfeasibleError
from partition.pipeline import Prepared, Result, plan_districts, prepare
from partition.rules import Rules
from partition.rulesfile import apply_rules_file
from partition.tables import plan_tables

from .grid import Cell, option_name

__all__ = ["prepare_county", "plan_cell", "plan_county", "county_title", "plan_figures", "failure_figures", "ERROR"]

#: ``status`` of a combination or county whose input or rules cannot be used (one whose rules admit
#: no plan is :data:`partition.explain.INFEASIBLE`).
ERROR = "error"
FIGURE_DECIMALS = 6


def prepare_county(files: CountyFiles, rules: Rules, boundary: BaseGeometry | None = None) -> tuple[Prepared, list[str]]:
    """Read the county and prepare it for ``rules`` (snapping, travel times, cores); also the warnings raised."""
    def read_and_prepare() -> Prepared:
        schools, roads = read_county(files)
        return prepare(schools, roads, rules, boundary=boundary, strict=files.strict, cache_dir=files.cache_dir)
    return _with_warnings(read_and_prepare)


def plan_cell(prepared: Prepared, cell: Cell, out: Path, *, time_limit: float, seed: int, title: str = DEFAULT_TITLE,
              inputs: Mapping | None = None, **options) -> dict:
    """Solve one combination of a sweep (one core: ``jobs=1``), write its plan folder under ``out``; its row.

    ``options`` are :func:`maps.write_plan_files`'s (notice, lang, source, basemap, basemap_key); the
    title adds the combination's values.
    """
    try:
        result = prepared.with_rules(cell.rules).plan(time_limit=time_limit, seed=seed, jobs=1)
    except InputError as exc:
        return failure_figures(exc)
    values = ", ".join(f"{option_name(name)} {value}" for name, value in cell.labels().items())
    write_plan_files(result, Path(out) / cell.folder, title=f"{title} ({values})" if values else title, inputs=inputs,
                     **options)
    return {**plan_figures(result), "folder": cell.folder}


def plan_county(name: str, files: CountyFiles, rules: Rules, out: Path, *, rules_file: Path | None = None,
                time_limit: float, seed: int, inputs: Mapping | None = None, **options) -> dict:
    """Plan one county of a batch (one core), write its files into ``out``; its row, with its territories.

    ``options`` are :func:`maps.write_plan_files`'s; the title names the county.
    """
    def read_and_plan() -> Result:
        county_rules = apply_rules_file(rules, rules_file) if rules_file else rules
        schools, roads = read_county(files)
        return plan_districts(schools, roads, county_rules, time_limit=time_limit, seed=seed, jobs=1,
                              strict=files.strict, cache_dir=files.cache_dir)
    try:
        result, caught = _with_warnings(read_and_plan)
    except InputError as exc:
        return failure_figures(exc)
    write_plan_files(result, out, title=county_title(name), inputs=inputs, **options)
    territories = result.districts[["district", "district_name", "geometry"]]
    return {**plan_figures(result), "folder": Path(out).name, "warnings": "\n".join(caught), "territories": territories}


def county_title(name: str) -> str:
    """The title of a county's map and report."""
    return f"{name}{DEFAULT_TITLE}"


def plan_figures(result: Result) -> dict:
    """A plan's summary: status, proven gap, student-minutes, trips, balance and 差异系数.

    The figures are :func:`partition.compare.plan_figures`' (which ``compare`` sets side by side):
    ``longest_trip_min`` and ``mean_trip_min`` over member schools, each trip the longer direction
    (as the travel limit counts it); ``max_deviation`` the largest share by which a 学区's enrollment
    departs from the mean; ``between_cv_max`` the largest 差异系数 between 学区 of any indicator and
    level; ``cv_pass`` whether every indicator's 差异系数 between schools meets the 优质均衡 limit of its level.
    """
    figures = compared_figures(plan_tables(result))
    between = figures[figures.index.str.startswith("cv_between:")]
    plan = result.plan
    return {
        "status": plan.status,
        "gap": round(plan.gap, FIGURE_DECIMALS),
        "student_minutes": round(plan.student_minutes, 1),
        "longest_trip_min": _rounded(figures["longest_trip"], 2),
        "mean_trip_min": _rounded(figures["mean_trip"], 2),
        "max_deviation": _rounded(figures["max_deviation"], 4),
        "between_cv_max": _rounded(between.max(), 4),
        "cv_pass": bool(result.cv_table["meets"].all()) if len(result.cv_table) else None,
        "districts": int(figures["n_districts"]),
        "schools": len(result.schools),
        "unassigned": int(figures["n_unassigned"]),
    }


def _rounded(value: float, decimals: int) -> float:
    return round(float(value), decimals)


def failure_figures(exc: InputError) -> dict:
    """The summary of a combination or county without a plan: why, and the smallest feasible limit."""
    if isinstance(exc, InfeasibleError):
        return {"status": INFEASIBLE, "reason": "; ".join(exc.reasons), "smallest_feasible_limit": exc.smallest_limit}
    return {"status": ERROR, "reason": str(exc)}


def _with_warnings(function: Callable[[], object]) -> tuple[object, list[str]]:
    """Run ``function``; its value and the messages of the warnings it raised (a worker has no console)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        value = function()
    return value, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
