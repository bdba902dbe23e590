"""From schools and roads to a scored 学区 plan: :func:`plan_districts` and its :class:`Result`.

Everything between reading the inputs and writing the files happens here, once, for every caller
(the command line, a notebook, later the web application): 乡镇/街道 from the OSM boundaries, the
schools of the chosen level, the planner's locks, snapping to the roads, travel times, cores given
or chosen, the solve, territories and the figures.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from gis.admin import COUNTY_LEVEL, TOWNSHIP_LEVEL, read_admin_areas
from gis.coords import WGS84
from gis.errors import InputError
from gis.network import RoadNetwork, snap_schools
from gis.osm_schools import assign_townships
from gis.progress import logged_step
from gis.traveltime import TravelTimeEngine, cached_matrix

from .cores import choose_cores
from .export import plan_frame
from .levels import LEVEL_MEMBERS, schools_for_level
from .metrics import between_district_cv, district_costs, district_summary, indicator_cv_table, standard_verdicts
from .naming import check_names
from .plan import Plan
from .problem import SECONDS_PER_MINUTE, Problem, time_horizon_s
from .rules import GIVEN_CORES, Locks, Rules
from .solve import DEFAULT_TIME_LIMIT_S, solve
from .territory import Territories, school_neighbours, territory_polygons, voronoi_territories
from .violations import Violation, find_violations

__all__ = ["Result", "plan_districts", "prepare", "Prepared", "county_areas", "select_schools", "prepare_selected"]

logger = logging.getLogger(__name__)

NO_TOWNSHIPS = gpd.GeoDataFrame({"name": []}, geometry=[], crs=WGS84)


@dataclass(frozen=True, eq=False)
class Result:
    """A 学区 plan with everything needed to show, score and write it.

    Attributes
    ----------
    plan : Plan
        The assignment and how it was found (solver, status, objective, proven gap).
    problem : Problem
        What was solved: the schools in order, travel times, cores and rules.
    schools : geopandas.GeoDataFrame
        The school table (in problem order) with ``district``, ``district_name``,
        ``district_head`` (学区长), ``is_core``, ``core_school_id``, ``core_name``,
        ``minutes_to_core``, ``minutes_from_core``, ``minutes_counted`` (the longer of the two),
        ``node`` and ``snap_m``. An unassigned school has an empty ``district``.
    districts : geopandas.GeoDataFrame
        One territory polygon per 学区 with its name, 学区长 and figures: schools, members,
        enrollment and its deviation from the mean, trip minutes, the urban/town/rural mix,
        teachers to exchange and yearly activity funds.
    cv_table : pandas.DataFrame
        差异系数 of each resource indicator the table has between the schools of each level, per
        balance standard (:func:`partition.metrics.indicator_cv_table`).
    standards : pandas.DataFrame
        Each standard's verdict per level: pass, fail, or incomplete with the indicators the table
        lacks (:func:`partition.metrics.standard_verdicts`); empty when it has none of them.
    between_cv : pandas.DataFrame
        差异系数 between the 学区 means of each indicator.
    roads : RoadNetwork
        The road network the times were measured on.
    townships : geopandas.GeoDataFrame
        The 乡镇/街道 areas of the OSM file (empty when it has none).
    boundary : shapely geometry or None
        The county outline the territories are clipped to.
    violations : tuple of Violation
        Every rule the plan breaks (:func:`partition.violations.find_violations`): empty for
        the solver's plans, listed for a given one.
    """

    plan: Plan
    problem: Problem
    schools: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    cv_table: pd.DataFrame
    standards: pd.DataFrame
    between_cv: pd.DataFrame
    roads: RoadNetwork
    townships: gpd.GeoDataFrame
    boundary: BaseGeometry | None = None
    violations: tuple[Violation, ...] = ()

    @property
    def rules(self) -> Rules:
        """The rules the plan keeps (for ``objective="max"``: with the limit it reached)."""
        return self.plan.rules

    @property
    def unassigned(self) -> gpd.GeoDataFrame:
        """The schools left out of every 学区 (only with ``allow_unassigned``)."""
        return self.schools[self.schools["district"] == ""]


def plan_districts(
    schools: gpd.GeoDataFrame,
    roads: RoadNetwork,
    rules: Rules | None = None,
    *,
    townships: gpd.GeoDataFrame | None = None,
    boundary: BaseGeometry | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    seed: int = 0,
    jobs: int = 1,
    strict: bool = False,
    cache_dir: str | os.PathLike | None = None,
    verbose: bool = False,
) -> Result:
    """Group the schools into 学区 around core schools and score the plan.

    Parameters
    ----------
    schools : geopandas.GeoDataFrame
        The canonical school table (:func:`gis.read_school_table`, :func:`gis.read_osm_schools`).
    roads : RoadNetwork
        The road network (:func:`gis.read_road_network`).
    rules : Rules, optional
        The rules the plan keeps; ``Rules()`` (the defaults) when omitted.
    townships : geopandas.GeoDataFrame, optional
        乡镇/街道 polygons with a ``name`` column, filling the schools' empty ``township``. By
        default the ``admin_level=8`` boundaries of the OSM file the roads came from.
    boundary : shapely geometry, optional
        The county outline (EPSG:4326) the territories are clipped to. By default the
        ``admin_level=6`` boundary of that file, else a margin around the schools and roads.
    time_limit : float
        Seconds the solver may search; a stopped search reports its proven gap.
    seed : int
        Solver seed: the same inputs and seed give the same plan when the search finishes.
    jobs : int
        CPU cores for independent parts of a large plan (see :func:`partition.solve.solve`).
    strict : bool
        Raise on the first school that is off the road network instead of dropping it with a warning.
    cache_dir : path, optional
        Keep the school-to-school travel times here, so a rerun with other rules skips routing.
    verbose : bool
        Let the solvers (HiGHS, CP-SAT) print their own logs; they print nothing otherwise.

    Returns
    -------
    Result

    Raises
    ------
    gis.errors.InputError
        When the inputs cannot make a plan (no school of the level, unknown ids in the locks,
        a missing indicator), or :class:`partition.solve.InfeasibleError` when no plan keeps
        the rules, with the reasons and the smallest travel limit that has one.
    """
    rules = Rules() if rules is None else rules
    prepared = prepare(schools, roads, rules, townships=townships, boundary=boundary, strict=strict, cache_dir=cache_dir)
    return prepared.plan(time_limit=time_limit, seed=seed, jobs=jobs, verbose=verbose)


@dataclass(frozen=True, eq=False)
class Prepared:
    """A problem ready to solve or score, with what its :class:`Result` will need."""

    problem: Problem
    schools: gpd.GeoDataFrame
    roads: RoadNetwork
    nearest: np.ndarray
    townships: gpd.GeoDataFrame
    boundary: BaseGeometry | None
    #: The positions of the schools whose travel times were computed (None: every school's).
    timed: np.ndarray | None = None
    #: Gives the travel times from and to the given cores without the horizon (see :func:`partition.solve.solve`).
    times_from: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def all_times(self) -> Callable[[], np.ndarray] | None:
        """Every travel time to and from the problem's cores, without the horizon, on demand (for explanations)."""
        return None if self.times_from is None else partial(self.times_from, self.problem.cores)

    def with_rules(self, rules: Rules) -> "Prepared":
        """The same schools, snapping and travel times under other ``rules`` of the same level.

        What depends on the rules (the cores, the checks of the locks and of the indicator band,
        the :class:`Problem`) is made anew, exactly as :func:`prepare` makes it; the rest is shared.
        """
        if rules.level != self.problem.rules.level:
            raise ValueError(f"level '{rules.level}' covers other schools than '{self.problem.rules.level}'; prepare it anew")
        _check_rule_inputs(rules, self.schools)
        _check_lock_ids(rules.locks, self.schools)
        sources = _time_sources(self.schools, rules, None)
        if self.timed is not None and (sources is None or not np.isin(sources, self.timed).all()):
            raise ValueError("these rules need travel times from schools the preparation did not route from; prepare anew")
        problem = _problem(self.schools, self.problem.seconds, self.problem.neighbours, rules, horizon_s=self.problem.horizon_s)
        return replace(self, problem=problem)

    def plan(self, *, time_limit: float = DEFAULT_TIME_LIMIT_S, seed: int = 0, jobs: int = 1, verbose: bool = False) -> Result:
        """Solve the problem and score the plan (parameters as :func:`plan_districts`)."""
        problem = self.problem
        with ThreadPoolExecutor(1) as second_core:  # with a core to spare, the schools' territories are drawn meanwhile
            territories = second_core.submit(self.school_territories) if jobs > 1 else None
            with logged_step(logger, f"solving: {len(problem.cores)} cores, {len(problem.members)} members"):
                plan = solve(problem, time_limit=time_limit, seed=seed, jobs=jobs, verbose=verbose, all_times=self.all_times)
            return self.result(plan, territories=None if territories is None else territories.result())

    def school_territories(self) -> Territories:
        """Each school's territory: the Voronoi cells of its own place and of the road nodes that reach
        it first. They do not depend on the plan; a 学区's territory is the union of its schools'."""
        points = np.vstack([_lonlat(self.schools), self.roads.nodes[["x", "y"]].to_numpy()])
        labels = np.concatenate([np.arange(len(self.schools)), self.nearest])
        return voronoi_territories(points[labels >= 0], labels[labels >= 0], boundary=self.boundary)

    def result(self, plan: Plan, *, territories: Territories | None = None) -> Result:
        """The :class:`Result` of ``plan``: its school table, territories and figures (``territories``:
        :meth:`school_territories`, when they are drawn already)."""
        with logged_step(logger, "drawing territories and scoring the plan"):
            frame = plan_frame(plan, self.problem, self.schools)
            summary = district_summary(frame).merge(district_costs(frame), on="district")
            districts = self._district_territories(frame, territories).merge(summary, on="district")
            cv_table = indicator_cv_table(frame)
            return Result(
                plan=plan, problem=self.problem, schools=frame, districts=districts, cv_table=cv_table,
                standards=standard_verdicts(cv_table), between_cv=between_district_cv(frame), roads=self.roads,
                townships=self.townships, boundary=self.boundary, violations=find_violations(self.problem, plan),
            )

    def _district_territories(self, frame: gpd.GeoDataFrame, territories: Territories | None) -> gpd.GeoDataFrame:
        """学区 polygons, named: their schools' territories merged, clipped to the boundary."""
        district = frame["district"].to_numpy()
        if (district == "").any():  # a school left out gives its road nodes to no 学区: the 学区' own nodes decide
            points = np.vstack([_lonlat(frame), self.roads.nodes[["x", "y"]].to_numpy()])
            labels = np.concatenate([district, district[self.nearest]])
            polygons = territory_polygons(points[labels != ""], labels[labels != ""], boundary=self.boundary)
        else:
            territories = self.school_territories() if territories is None else territories
            polygons = territories.merged(district[territories.labels])
        names = frame[frame["is_core"]].set_index("district")
        return polygons.join(names[["district_name", "district_head", "core_school_id", "core_name"]], on="district")


def prepare(
    schools: gpd.GeoDataFrame, roads: RoadNetwork, rules: Rules, *, townships: gpd.GeoDataFrame | None = None,
    boundary: BaseGeometry | None = None, strict: bool = False, cache_dir: str | os.PathLike | None = None,
    cores: Collection[str] | None = None,
) -> Prepared:
    """Everything before the solve: townships, the level's schools, snapping, travel times, cores, checks.

    Parameters as :func:`plan_districts`; ``cores`` (school ids) are a given plan's cores, used
    instead of the rules' choice. The steps are :func:`county_areas`, :func:`select_schools`
    and :func:`prepare_selected`.
    """
    townships, boundary = county_areas(roads, townships=townships, boundary=boundary, cache_dir=cache_dir)
    chosen = select_schools(schools, roads, rules, townships=townships, strict=strict)
    return prepare_selected(chosen, roads, rules, townships=townships, boundary=boundary, cache_dir=cache_dir, cores=cores)


def county_areas(
    roads: RoadNetwork, *, townships: gpd.GeoDataFrame | None = None, boundary: BaseGeometry | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> tuple[gpd.GeoDataFrame, BaseGeometry | None]:
    """The 乡镇/街道 areas and the county outline: the ones given, else those of the roads' OSM file
    (kept in ``cache_dir``)."""
    areas = _admin_areas(roads, need=townships is None or boundary is None, cache_dir=cache_dir)
    townships = _areas_of_level(areas, TOWNSHIP_LEVEL) if townships is None else townships
    return townships, _county_outline(areas) if boundary is None else boundary


def select_schools(
    schools: gpd.GeoDataFrame, roads: RoadNetwork, rules: Rules, *, townships: gpd.GeoDataFrame, strict: bool = False
) -> gpd.GeoDataFrame:
    """The schools one plan covers, with their 乡镇/街道 and road nodes; the rules' inputs checked."""
    schools = _schools_of_level(assign_townships(schools, townships), rules.level)
    _check_rule_inputs(rules, schools)
    with logged_step(logger, f"placing {len(schools)} schools on {roads.n_nodes:,} road nodes"):
        schools = snap_schools(schools, roads, strict=strict)
    _check_lock_ids(rules.locks, schools)
    return schools


def prepare_selected(
    schools: gpd.GeoDataFrame, roads: RoadNetwork, rules: Rules, *, townships: gpd.GeoDataFrame,
    boundary: BaseGeometry | None, cache_dir: str | os.PathLike | None = None, cores: Collection[str] | None = None,
) -> Prepared:
    """Travel times, cores and the :class:`Problem` of the schools :func:`select_schools` chose."""
    horizon = time_horizon_s(rules) if cores is None else np.inf  # a given plan's trips may be of any length
    with logged_step(logger, "computing travel times between schools"):
        engine = TravelTimeEngine(roads)
        nodes = schools["node"].to_numpy()
        sources = _time_sources(schools, rules, cores)
        seconds, _ = cached_matrix(engine, nodes, sources=sources, cutoff=horizon, cache_dir=cache_dir)
        nearest, _ = engine.nearest_source(nodes, toward=True)
    neighbours = school_neighbours(nearest, roads.edges["u"].to_numpy(), roads.edges["v"].to_numpy(), len(schools))

    def times_from(cores: np.ndarray) -> np.ndarray:
        with logged_step(logger, "computing every travel time to and from the cores, to explain"):
            return cached_matrix(engine, nodes, sources=cores, cache_dir=cache_dir)[0]

    problem = _problem(schools, seconds, neighbours, rules, cores=cores, horizon_s=horizon)
    return Prepared(problem, schools, roads, nearest, townships, boundary, sources, times_from)


def _problem(
    schools: gpd.GeoDataFrame, seconds: np.ndarray, neighbours: tuple, rules: Rules, *, cores: Collection[str] | None = None,
    horizon_s: float = np.inf,
) -> Problem:
    """The problem the rules make of placed schools and their travel times: cores given or chosen, fixed cores checked."""
    if cores is None:
        is_core = _core_mask(schools, seconds, rules)
        _check_locks_against_cores(rules.locks, schools, is_core)
    else:  # a given plan's cores; a lock it breaks is listed among its violations
        is_core = schools["school_id"].isin(cores).to_numpy()
    check_names(rules.naming, schools, is_core)
    return Problem.from_schools(schools, seconds, rules, is_core=is_core, neighbours=neighbours, horizon_s=horizon_s)


def _admin_areas(roads: RoadNetwork, *, need: bool, cache_dir: str | os.PathLike | None) -> gpd.GeoDataFrame:
    """The county and 乡镇/街道 areas of the roads' OSM file, when needed and known."""
    if not need or roads.source is None:
        return NO_TOWNSHIPS.assign(admin_level=pd.Series(dtype=int))
    return read_admin_areas(roads.source, levels=(COUNTY_LEVEL, TOWNSHIP_LEVEL), cache_dir=cache_dir)


def _areas_of_level(areas: gpd.GeoDataFrame, level: int) -> gpd.GeoDataFrame:
    return areas[areas["admin_level"] == level].reset_index(drop=True)


def _county_outline(areas: gpd.GeoDataFrame) -> BaseGeometry | None:
    county = _areas_of_level(areas, COUNTY_LEVEL)
    return county.geometry.union_all() if len(county) else None


def _schools_of_level(schools: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """The schools one plan covers; an :class:`InputError` naming what there is when none."""
    chosen = schools_for_level(schools, level)
    if chosen.empty:
        counts = schools["level"].value_counts().sort_index()
        found = ", ".join(f"{n} {lvl}" for lvl, n in counts.items()) or "none"
        raise InputError(f"no school of level '{level}' ({'/'.join(LEVEL_MEMBERS[level])}) in the table "
                         f"(schools by level: {found}); choose another level")
    return chosen


def _check_rule_inputs(rules: Rules, schools: gpd.GeoDataFrame) -> None:
    """The table has what the rules read."""
    band = rules.indicator_band
    if band and (band[0] not in schools or schools[band[0]].isna().all()):
        known = [c for c in schools.columns if schools[c].dtype.kind == "f" and schools[c].notna().any()]
        raise InputError(f"indicator_band: the table has no values for '{band[0]}'; use one of {', '.join(known) or 'none'}")


def _check_lock_ids(locks: Locks, schools: gpd.GeoDataFrame) -> None:
    unknown = sorted(locks.school_ids() - set(schools["school_id"]))
    if unknown:
        raise InputError(f"the planner's rules name unknown or dropped school id(s) {', '.join(unknown)}; "
                         "use the 学校标识码 of schools in the plan")


def _check_locks_against_cores(locks: Locks, schools: gpd.GeoDataFrame, is_core: np.ndarray) -> None:
    """A lock names a core as a core, and never two cores as one 学区's: never reinterpreted."""
    core_ids = set(schools["school_id"][is_core])
    names = dict(zip(schools["school_id"], schools["name"]))

    def label(school_id: str) -> str:
        return f"{names[school_id]} ({school_id})"

    for school, core in locks.fixed:
        if core not in core_ids:
            raise InputError(f"rules: fixed puts {label(school)} with {label(core)}, which is not a core school; "
                             f"fix it to a core, or list {core} under cores: to make it one")
        if school in core_ids and school != core:
            raise InputError(f"rules: fixed puts the core {label(school)} with the core {label(core)}; "
                             "a core leads its own 学区: remove it from fixed")
    for a, b in locks.together:
        if a in core_ids and b in core_ids:
            raise InputError(f"rules: together pairs two cores, {label(a)} and {label(b)}; each core leads its own 学区: remove the pair")


def _given_cores(schools: gpd.GeoDataFrame, rules: Rules) -> np.ndarray:
    """The table's quality flag, with the pinned cores."""
    return schools["is_core"].to_numpy(bool) | schools["school_id"].isin(rules.locks.cores).to_numpy()


def _core_mask(schools: gpd.GeoDataFrame, seconds: np.ndarray, rules: Rules) -> np.ndarray:
    """The table's quality flag, or K cores chosen by quality and coverage (pinned ones kept)."""
    if rules.cores == GIVEN_CORES:
        return _given_cores(schools, rules)
    pinned = np.flatnonzero(schools["school_id"].isin(rules.locks.cores))
    if rules.cores > len(schools):
        raise InputError(f"cores={rules.cores}: there are only {len(schools)} schools; choose fewer cores")
    minutes = np.maximum(seconds, seconds.T) / SECONDS_PER_MINUTE
    return choose_cores(schools, minutes, rules.cores, max_minutes=rules.max_minutes, pinned=tuple(int(i) for i in pinned))


def _time_sources(schools: gpd.GeoDataFrame, rules: Rules, cores: Collection[str] | None) -> np.ndarray | None:
    """The schools (positions) whose travel times from and to all others are needed: the cores when
    they are known (a given plan's, the rules' given ones), every school when cores are to be chosen."""
    if cores is not None:
        return np.flatnonzero(schools["school_id"].isin(cores).to_numpy())
    return np.flatnonzero(_given_cores(schools, rules)) if rules.cores == GIVEN_CORES else None


def _lonlat(schools: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([schools.geometry.x, schools.geometry.y])
