"""Sweeps: one plan per combination of the listed rule values, solved side by side on Dask.

The county is read, and its roads and travel times computed, once per level (a task on the
cluster, kept there and handed to every combination's task, and computed again only if the
worker holding it dies); each combination is then one task that solves its problem on one core
and writes its plan folder. ``sweep.csv`` and ``sweep.html`` compare them.
"""

from __future__ import annotations

import logging
import operator
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from distributed import Client
from shapely.geometry.base import BaseGeometry

from gis.files import write_csv_atomic
from gis.inputs import CountyFiles
from gis.progress import logged_step
from maps.outputs import DEFAULT_TITLE
from maps.sweep_page import save_sweep_page
from partition.rules import GIVEN_CORES, Rules
from partition.solve import DEFAULT_TIME_LIMIT_S

from .cluster import run_tasks
from .grid import Cell
from .tables import SWEEP_TABLE, Summary, pareto_efficient, sweep_table
from .tasks import plan_cell, prepare_county

__all__ = ["run_sweep"]

logger = logging.getLogger(__name__)


def run_sweep(
    client: Client, files: CountyFiles, cells: Sequence[Cell], out: str | Path, *, boundary: BaseGeometry | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S, seed: int = 0, title: str = DEFAULT_TITLE, notice: str | None = None,
    map_options: Mapping[str, object] | None = None, inputs: Mapping[str, dict] | None = None,
    on_done: Callable[[Cell, dict], None] | None = None,
) -> Summary:
    """Plan every combination of a sweep on the cluster of ``client``; write the plan folders and the summaries.

    Parameters
    ----------
    client : distributed.Client
    files : CountyFiles
        The county's files; read once per level on the cluster.
    cells : sequence of Cell
        The combinations (:func:`batch.grid.rule_grid`).
    out : path
        The folder: one plan folder per combination (``Cell.folder``), ``sweep.csv``, ``sweep.html``.
    boundary : shapely geometry, optional
        The county outline (as :func:`partition.plan_districts` takes it).
    time_limit, seed
        Of each combination's solve; the same seed gives each the plan it gets when solved alone.
    title, notice
        Of the maps and reports (each plan's title adds its values).
    map_options : mapping, optional
        The other options of :func:`maps.write_plan_files` (lang, source, basemap, basemap_key).
    inputs : mapping, optional
        What each plan's plan.json records of the run's inputs, by plan folder.
    on_done : callable, optional
        Called with each combination and its row as it ends.

    Raises
    ------
    gis.errors.InputError
        When the county cannot be read or prepared (nothing is written then).
    """
    out = Path(out)
    shared = _prepare_levels(client, files, cells, boundary)
    options = dict(time_limit=time_limit, seed=seed, title=title, notice=notice, **(map_options or {}))
    calls = [((shared[cell.rules.level], cell, out), dict(options, inputs=(inputs or {}).get(cell.folder))) for cell in cells]
    rows = run_tasks(client, plan_cell, calls, on_done=None if on_done is None else lambda k, row: on_done(cells[k], row))
    table = sweep_table(cells, rows)
    table["pareto"] = pareto_efficient(table)
    written = {SWEEP_TABLE: write_csv_atomic(table, out / SWEEP_TABLE),
               "sweep.html": save_sweep_page(table, out / "sweep.html", swept=_swept(cells), title=title, notice=notice)}
    return Summary(table, written)


def _prepare_levels(client: Client, files: CountyFiles, cells: Sequence[Cell], boundary) -> dict:
    """One task per level that reads and prepares the county, kept on the cluster: its future, by level.

    Waits for them, so that a bad file stops the sweep before any plan is solved, and shows the
    warnings they raised (dropped rows) here.
    """
    by_level: dict[str, list[Rules]] = {}
    for cell in cells:
        by_level.setdefault(cell.rules.level, []).append(cell.rules)
    first = {level: _covering(rules) for level, rules in by_level.items()}
    prepared, notes = {}, []
    with logged_step(logger, f"reading {files.osm.name} and computing travel times on the cluster (level {', '.join(first)})"):
        for level, rules in first.items():
            both = client.submit(prepare_county, files, rules, boundary, pure=False)
            prepared[level] = client.submit(operator.getitem, both, 0, pure=False)
            notes.append(client.submit(operator.getitem, both, 1, pure=False))
        caught = [message for future in notes for message in future.result()]  # raises the InputError of a bad file
    for message in dict.fromkeys(caught):
        warnings.warn(message, UserWarning, stacklevel=3)
    return prepared


def _covering(rules: Sequence[Rules]) -> Rules:
    """Rules whose preparation routes far enough, and from enough schools, for every one of ``rules``:
    the longest travel limit (none if one has none), and cores chosen if any combination chooses them."""
    limits = [r.max_minutes for r in rules]
    chosen = [r.cores for r in rules if r.cores != GIVEN_CORES]
    return replace(rules[0], max_minutes=None if None in limits else max(limits), cores=max(chosen) if chosen else GIVEN_CORES)


def _swept(cells: Sequence[Cell]) -> list[str]:
    return [name for name, _ in cells[0].values] if cells else []
