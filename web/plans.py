"""A plan folder as a page shows it: the solver's summary, the figures per 学区, the 差异系数 table, the broken rules.

Every plan the web application shows (a run's, a proposal version's) is a folder written by
:func:`maps.write_plan_files`; this reads it back for the templates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gis.errors import InputError
from gis.schema import INDICATORS
from partition.metrics import indicator_cv_table
from partition.rules import Rules

__all__ = ["PlanView", "plan_view", "map_layers", "MAP_LAYERS"]

#: The GeoJSON files the page's map draws, by layer.
MAP_LAYERS = {"districts": "districts.geojson", "schools": "schools.geojson"}
#: plan.csv columns whose empty cells are missing numbers.
NUMBER_COLUMNS = ("minutes_to_core", "minutes_from_core", *INDICATORS)


@dataclass(frozen=True, eq=False)
class PlanView:
    """What a page shows of a plan.

    Attributes
    ----------
    summary : dict
        plan.json: rules, solver, status, gap, objective, student-minutes, ...
    districts : pandas.DataFrame
        One row per 学区 with its figures (districts.geojson's properties).
    schools : pandas.DataFrame
        plan.csv: one row per school with its 学区.
    cv_table : pandas.DataFrame
        差异系数 of each indicator per level, with the standard's limit and whether it is met.
    violations : list of dict
        The rules the plan breaks (empty for a solved plan).
    """

    summary: dict
    districts: pd.DataFrame
    schools: pd.DataFrame
    cv_table: pd.DataFrame
    violations: list

    @property
    def rules(self) -> Rules:
        """The rules the plan was made (or scored) under."""
        return Rules.from_dict(self.summary["rules"])

    @property
    def unassigned(self) -> pd.DataFrame:
        """The schools in no 学区."""
        return self.schools[self.schools["district"] == ""]


def plan_view(folder: Path) -> PlanView:
    """Read the plan folder written by :func:`maps.write_plan_files`."""
    try:
        summary = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
        schools = pd.read_csv(folder / "plan.csv", encoding="utf-8-sig", dtype={"school_id": str, "core_school_id": str},
                              keep_default_na=False, na_values={c: [""] for c in NUMBER_COLUMNS})
        districts = pd.DataFrame(p["properties"] for p in map_layers(folder)["districts"]["features"])
    except (OSError, ValueError) as exc:
        raise InputError(f"the plan's files cannot be read ({exc.__class__.__name__})") from None
    return PlanView(summary, districts, schools, indicator_cv_table(schools), summary.get("violations") or [])


def map_layers(folder: Path) -> dict:
    """The plan's 学区 and schools as GeoJSON, for the page's map."""
    return {layer: json.loads((folder / name).read_text(encoding="utf-8")) for layer, name in MAP_LAYERS.items()}
