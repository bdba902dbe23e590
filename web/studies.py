"""A study's inputs: its schools and roads, read once and kept, and what was read from them.

A study is the demo county or a planner's own OSM file and school table. :func:`read_study` reads
them through the same readers as the command line (:func:`gis.read_school_table`,
:func:`gis.read_road_network`) and summarises what it found: the schools by level, the size of the
road network, and every row that was dropped and why (rows the table cannot use, and schools too
far from every road). :class:`StudyInputs` keeps the last few studies read in memory, so a run or
an edit does not read the files again.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from data.demo import COUNTY_NAME, DEMO_NOTICE, ensure_demo
from gis.badrows import BadRowsWarning
from gis.network import RoadNetwork, read_road_network, snap_schools
from gis.schema import LEVELS
from gis.schools import read_school_table
from maps.basemaps import OSM_ATTRIBUTION

from .store import Store

__all__ = [
    "StudyData", "StudyInputs", "read_study", "study_title", "study_notice", "plan_file_options", "CACHE_FOLDER", "UPLOADED_INPUTS",
]

#: The gis cache (prepared road networks, travel times) under the data folder.
CACHE_FOLDER = "cache"
#: A study's uploaded inputs (``inputs[key]`` their stored path, ``inputs[key + "_name"]`` the name uploaded).
UPLOADED_INPUTS = ("osm", "schools")
#: Studies whose inputs stay in memory.
KEPT_STUDIES = 4
#: A dropped row as :class:`gis.badrows.BadRow` prints it: ``row 12: <problem> (<fix>)``.
_ROW_LINE = re.compile(r"^\s*row (?P<row>\d+): (?P<problem>.*?)(?: \((?P<fix>[^()]*)\))?$")


@dataclass(frozen=True, eq=False)
class StudyData:
    """A study's schools (canonical table, bad rows dropped) and roads, as the pipeline takes them."""

    schools: gpd.GeoDataFrame
    roads: RoadNetwork


def study_files(store: Store, study: dict) -> tuple[Path, Path]:
    """The study's OSM file and school table."""
    if study["source"] == "demo":
        demo = ensure_demo()
        return demo.osm, demo.schools
    return store.path(study["inputs"]["osm"]), store.path(study["inputs"]["schools"])


def study_title(study: dict) -> str:
    """The title of the study's maps and reports."""
    return f"{COUNTY_NAME}学区划分方案" if study["source"] == "demo" else f"{study['name']} 学区划分方案"


def study_notice(study: dict) -> str | None:
    """The notice every page and file of the demo county carries (its data is invented)."""
    return DEMO_NOTICE if study["source"] == "demo" else None


def plan_file_options(study: dict, lang: str) -> dict:
    """What :func:`maps.write_plan_files` is told of the study's plans: title, notice, data source and language."""
    notice = study_notice(study)
    return {"title": study_title(study), "notice": notice, "source": notice or OSM_ATTRIBUTION, "lang": lang}


def read_study(store: Store, study: dict) -> tuple[StudyData, dict]:
    """Read the study's schools and roads; also what was read, as JSON-ready values.

    Raises :class:`gis.errors.InputError` when a file cannot be used.
    """
    osm, table = study_files(store, study)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BadRowsWarning)
        schools = read_school_table(table, coords=study["coords"])
        roads = read_road_network(osm, network_type=study["inputs"].get("network", "drive"),
                                  cache_dir=store.path(CACHE_FOLDER))
        on_roads = snap_schools(schools, roads)
    dropped = [row for warning in caught if issubclass(warning.category, BadRowsWarning) for row in _dropped_rows(warning.message)]
    notes = sorted({str(warning.message) for warning in caught if not issubclass(warning.category, BadRowsWarning)})
    kept = schools[schools["school_id"].isin(on_roads["school_id"])].reset_index(drop=True)
    return StudyData(kept, roads), {**_summary(kept, roads, dropped), "notes": notes}


def _dropped_rows(warning: BadRowsWarning) -> list[dict]:
    """Each dropped row of a warning: its row number, the problem and the fix."""
    rows = getattr(warning, "rows", None)  # every row, where the warning carries them
    if rows is not None:
        return [{"row": r.row, "problem": r.problem, "fix": r.fix} for r in rows]
    lines = (_ROW_LINE.match(line) for line in str(warning).splitlines()[1:])
    return [{"row": int(m["row"]), "problem": m["problem"], "fix": m["fix"] or ""} for m in lines if m]


def _summary(schools: gpd.GeoDataFrame, roads: RoadNetwork, dropped: list[dict]) -> dict:
    counts = schools["level"].value_counts()
    estimated = int(schools["enrollment_estimated"].sum()) if "enrollment_estimated" in schools else 0
    return {
        "n_schools": len(schools),
        "by_level": {level: int(counts.get(level, 0)) for level in LEVELS if counts.get(level, 0)},
        "n_cores": int(schools["is_core"].sum()),
        "enrollment": int(schools["enrollment"].sum()),
        "n_estimated": estimated,
        "n_nodes": int(roads.n_nodes),
        "n_edges": int(len(roads.edges)),
        "road_km": round(float(roads.edges["length"].sum()) / 1000, 1),
        "dropped": sorted(dropped, key=lambda row: row["row"]),
    }


class StudyInputs:
    """The inputs of the last :data:`KEPT_STUDIES` studies read, by study id (thread-safe)."""

    def __init__(self, store: Store):
        self.store = store
        self._kept: OrderedDict[int, StudyData] = OrderedDict()
        self._lock = threading.Lock()
        self._reading: dict[int, threading.Lock] = {}

    def read(self, study: dict) -> tuple[StudyData, dict]:
        """Read a study's inputs afresh (and keep them); also the summary of what was read."""
        data, summary = read_study(self.store, study)
        self._keep(study["id"], data)
        return data, summary

    def get(self, study: dict) -> StudyData:
        """The study's inputs, read when not kept (once, however many threads ask)."""
        with self._lock:
            if study["id"] in self._kept:
                self._kept.move_to_end(study["id"])
                return self._kept[study["id"]]
            reading = self._reading.setdefault(study["id"], threading.Lock())
        with reading:
            with self._lock:
                if study["id"] in self._kept:
                    return self._kept[study["id"]]
            return self.read(study)[0]

    def _keep(self, study_id: int, data: StudyData) -> None:
        with self._lock:
            self._kept[study_id] = data
            self._kept.move_to_end(study_id)
            while len(self._kept) > KEPT_STUDIES:
                self._kept.popitem(last=False)
