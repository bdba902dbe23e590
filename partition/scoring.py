"""Scoring a planner's plan as it is: the same figures as a solved plan, and every rule it breaks.

:func:`score_plan` takes a plan from a file (:func:`partition.planfile.read_plan`) instead of
solving and returns the same :class:`~partition.pipeline.Result` a solve does, with
``plan.status == "given"`` and ``Result.violations`` listing each broken rule. What-if edits
change the given plan first: :func:`swap_core` makes another school a 学区's core, and
:func:`close_schools` sends a closed school's students to the nearest open school of its level.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
from shapely.geometry.base import BaseGeometry

from gis.errors import InputError
from gis.network import RoadNetwork
from gis.traveltime import TravelTimeEngine

from .model import imbalance, objective_value, student_minutes
from .pipeline import Result, county_areas, prepare_selected, select_schools
from .plan import GIVEN, Plan
from .planfile import Assignment, GivenPlan, read_plan
from .problem import SECONDS_PER_MINUTE
from .rules import Rules

__all__ = ["score_plan", "swap_core", "close_schools"]

logger = logging.getLogger(__name__)


def score_plan(
    given: GivenPlan | str | os.PathLike,
    schools: gpd.GeoDataFrame,
    roads: RoadNetwork,
    rules: Rules | None = None,
    *,
    townships: gpd.GeoDataFrame | None = None,
    boundary: BaseGeometry | None = None,
    strict: bool = False,
    cache_dir: str | os.PathLike | None = None,
    core_swaps: Sequence[tuple[str, str]] = (),
    close: Sequence[str] = (),
) -> Result:
    """Score a given plan under ``rules``: its :class:`Result`, with the rules it breaks listed.

    Parameters
    ----------
    given : GivenPlan or path
        The plan, or a file :func:`partition.planfile.read_plan` reads (a 学区 list, a plan
        folder, school points, 学区 polygons).
    schools, roads, rules, townships, boundary, strict, cache_dir
        As :func:`partition.plan_districts`; the cores are the plan's, whatever ``rules.cores`` says.
    core_swaps : sequence of (str, str)
        ``(old, new)`` school ids: ``new`` becomes the core of ``old``'s 学区 (and joins it).
    close : sequence of str
        School ids to close; each one's students go to the nearest open school of its level.

    Returns
    -------
    Result
        ``plan.status`` is ``"given"``, ``plan.bound`` and ``plan.gap`` are None, the 学区 keep the
        planner's names (``district_name``), and ``violations`` lists every rule the plan breaks.

    Raises
    ------
    gis.errors.InputError
        When the plan cannot be matched with the schools (see :meth:`GivenPlan.assign`) or an
        edit names a school it cannot apply to.
    """
    given = given if isinstance(given, GivenPlan) else read_plan(given)
    rules = Rules() if rules is None else rules
    townships, boundary = county_areas(roads, townships=townships, boundary=boundary)
    chosen = select_schools(schools, roads, rules, townships=townships, strict=strict)
    assignment = given.assign(chosen, known_ids=schools["school_id"], allow_unassigned=rules.allow_unassigned)
    edits = []
    for old, new in core_swaps:
        assignment = swap_core(assignment, old, new, chosen)
        edits.append(f"core-swap {old}={new}")
    if close:
        chosen, assignment, moved = close_schools(chosen, assignment, close, roads)
        edits += [f"close {school} -> {target}" for school, target in moved]
    prepared = prepare_selected(chosen, roads, rules, townships=townships, boundary=boundary, cache_dir=cache_dir,
                                cores=assignment.core_of.values())
    problem = prepared.problem
    core_of = assignment.core_positions(problem.school_ids)
    plan = Plan(  # not Plan.from_assignment: a given plan may break any rule, the locks too
        core_of=tuple(int(c) for c in core_of), rules=problem.rules, solver=f"{GIVEN}: {given.source}", status=GIVEN,
        objective=objective_value(problem, core_of), bound=None, gap=None, seed=0, input_hash=problem.input_hash(),
        student_minutes=student_minutes(problem, core_of), imbalance=imbalance(problem, core_of),
        district_names=assignment.district_names(problem.school_ids), edits=tuple(edits),
    )
    return prepared.result(plan)


def _name(schools: gpd.GeoDataFrame, school_id: str) -> str:
    names = schools.loc[schools["school_id"] == school_id, "name"]
    return f"{names.iloc[0]} ({school_id})" if len(names) else school_id


def swap_core(assignment: Assignment, old: str, new: str, schools: gpd.GeoDataFrame) -> Assignment:
    """The plan with ``new`` as the core of the 学区 ``old`` leads (``new`` joins it; ``old`` stays a member)."""
    edit = f"--core-swap {old}={new}"
    label = next((d for d, core in assignment.core_of.items() if core == old), None)
    if label is None:
        raise InputError(f"{edit}: {_name(schools, old)} is not the core of any 学区; write the current core first, OLD=NEW")
    if new not in assignment.district_of:
        raise InputError(f"{edit}: {new} is not a school of this plan; name a school of the table (学校标识码)")
    other = next((d for d, core in assignment.core_of.items() if core == new), None)
    if other is not None:
        raise InputError(f"{edit}: {_name(schools, new)} is already the core of {other}; choose a school that is not a core")
    return Assignment({**assignment.district_of, new: label}, {**assignment.core_of, label: new}, named=assignment.named)


def close_schools(
    schools: gpd.GeoDataFrame, assignment: Assignment, closed: Sequence[str], roads: RoadNetwork
) -> tuple[gpd.GeoDataFrame, Assignment, list[tuple[str, str]]]:
    """Close schools: each one's students join the open school of its level nearest to it by road.

    Returns the schools without the closed ones (enrollment moved), the plan without them, and
    the (closed, receiving) school ids.
    """
    ids = schools["school_id"].to_numpy()
    cores = {core: label for label, core in assignment.core_of.items()}
    for school in closed:
        if school not in set(ids):
            raise InputError(f"--close {school}: no such school in this plan; use a 学校标识码 of the table")
        if school in cores:
            raise InputError(f"--close {school}: {_name(schools, school)} is the core of {cores[school]}; "
                             f"make another school its core first with --core-swap {school}=NEW")
    shut = np.isin(ids, list(closed))
    nodes, levels = schools["node"].to_numpy(), schools["level"].to_numpy()
    engine = TravelTimeEngine(roads)
    enrollment = schools["enrollment"].to_numpy().copy()
    moved = []
    for position in np.flatnonzero(shut):
        candidates = np.flatnonzero(~shut & (levels == levels[position]))
        seconds = engine.times_from(nodes[[position]], nodes[candidates])[0] if len(candidates) else np.empty(0)
        if not np.isfinite(seconds).any():
            raise InputError(f"--close {ids[position]}: no open {levels[position]} school reachable by road to take its students")
        target = candidates[int(np.argmin(seconds))]
        enrollment[target] += enrollment[position]
        moved.append((str(ids[position]), str(ids[target])))
        logger.info("closed %s: %d students to %s (%.1f min)", _name(schools, ids[position]), enrollment[position],
                    _name(schools, ids[target]), seconds.min() / SECONDS_PER_MINUTE)
    kept = schools.assign(enrollment=enrollment)[~shut].reset_index(drop=True)
    district_of = {s: d for s, d in assignment.district_of.items() if s not in set(closed)}
    return kept, Assignment(district_of, assignment.core_of, named=assignment.named), moved
