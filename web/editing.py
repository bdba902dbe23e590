"""A planner's edits to a plan (move a school to another 学区, make a school its 学区's core), scored by the pipeline.

The edits are applied to the plan's table (each school's 学区 and core, as plan.csv holds them) and
the edited plan is scored as a given plan by :func:`partition.score_plan`: the same figures as a
solved plan, with every rule it breaks. Nothing is scored here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from gis.errors import InputError
from partition.planfile import GivenPlan
from partition.rules import Rules
from partition.scoring import score_plan

from .store import Store
from .studies import CACHE_FOLDER, StudyData

__all__ = ["Edit", "read_edits", "apply_edits", "score_edits", "MAX_EDITS", "EDIT_SOURCE"]

#: Edits one request may carry.
MAX_EDITS = 500
#: How an edited plan names its source (in plan.json's ``solver``).
EDIT_SOURCE = "web edits"
#: The operations: move a school into the 学区 of a core; make a school its 学区's core.
OPERATIONS = ("move", "core")

Edit = dict


def read_edits(text: str | bytes | None) -> list[Edit]:
    """The edits a page sent (JSON: a list of ``{"op": "move", "school", "core"}`` and ``{"op": "core", "school"}``)."""
    if not text:
        return []
    try:
        edits = json.loads(text)
    except ValueError:
        raise InputError("the edits are not valid JSON; reload the page and edit again") from None
    edits = edits.get("edits", edits) if isinstance(edits, dict) else edits
    if not isinstance(edits, list) or len(edits) > MAX_EDITS:
        raise InputError(f"the edits must be a list of at most {MAX_EDITS}; reload the page and edit again")
    for edit in edits:
        fields = {"op", "school", "core"} if isinstance(edit, dict) and edit.get("op") == "move" else {"op", "school"}
        if not (isinstance(edit, dict) and edit.get("op") in OPERATIONS and set(edit) == fields
                and all(isinstance(edit[k], str) for k in fields)):
            raise InputError("an edit is not a move or a change of core; reload the page and edit again")
    return [{k: edit[k] for k in sorted(edit)} for edit in edits]


def apply_edits(plan: pd.DataFrame, edits: Sequence[Edit], names: dict[str, str]) -> pd.DataFrame:
    """Each school's 学区 and core (``school_id``, ``district``, ``core_school_id``) after ``edits``, in order.

    ``plan`` is plan.csv's table; ``names`` school id -> name, for messages.
    """
    rows = pd.DataFrame({"school_id": plan["school_id"], "district": plan["district_name"],
                         "core_school_id": plan["core_school_id"]}).set_index("school_id")
    for edit in edits:
        school = edit["school"]
        if school not in rows.index:
            raise InputError(f"school {school} is not in this plan; reload the page")
        label = rows.at[school, "district"]
        if edit["op"] == "move":
            core = edit["core"]
            if core not in rows.index or rows.at[core, "core_school_id"] != core:
                raise InputError(f"{names.get(core, core)} is not the core of a 学区; choose a 学区 to move to")
            if rows.at[school, "core_school_id"] == school:
                raise InputError(f"{names[school]} is the core of its 学区; make another school its core first")
            rows.loc[school, ["district", "core_school_id"]] = [rows.at[core, "district"], core]
        else:
            if not label:
                raise InputError(f"{names[school]} is in no 学区; move it into one first")
            rows.loc[rows["district"] == label, "core_school_id"] = school
    return rows.reset_index()


def score_edits(store: Store, data: StudyData, plan: pd.DataFrame, rules: Rules, edits: Sequence[Edit]):
    """The :class:`partition.pipeline.Result` of ``plan`` after ``edits``, scored under ``rules``."""
    names = dict(zip(data.schools["school_id"], data.schools["name"]))
    given = GivenPlan(EDIT_SOURCE, rows=apply_edits(plan, edits, names))
    return score_plan(given, data.schools, data.roads, rules, cache_dir=store.path(CACHE_FOLDER))
