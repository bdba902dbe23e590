"""Plans per school level (学段): a primary plan, a junior plan, or all schools together.

东辽县 drew separate 学区 for primary and for junior schools, four of each (东辽县 大学区 work report:
初中、小学各四个学区; in 《实施学区管理推进均衡发展提高教育质量》). A
nine-year school (九年一贯制) belongs to both plans, with the students of its own grades: by
default 6/9 of its enrollment in the primary plan and 3/9 in the junior plan, unless the table
gives the split (``enrollment_primary`` / ``enrollment_junior``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["schools_for_level", "NINE_YEAR_SHARE", "LEVEL_MEMBERS"]

#: Share of a nine-year school's students in each part when the table gives no split.
NINE_YEAR_SHARE = {"primary": 6 / 9, "junior": 3 / 9}
#: School levels each plan covers.
LEVEL_MEMBERS = {"all": ("primary", "junior", "nine_year", "other"), "primary": ("primary", "nine_year"),
                 "junior": ("junior", "nine_year")}


def schools_for_level(schools: pd.DataFrame, level: str) -> pd.DataFrame:
    """The schools of one plan, nine-year schools counted with the students of that part."""
    chosen = schools[schools["level"].isin(LEVEL_MEMBERS[level])].copy()
    if level == "all":
        return chosen
    nine_year = chosen["level"] == "nine_year"
    given = chosen.get(f"enrollment_{level}", pd.Series(np.nan, index=chosen.index))
    estimated = (chosen["enrollment"] * NINE_YEAR_SHARE[level]).round()
    part = given.where(given.notna(), estimated)
    chosen.loc[nine_year, "enrollment"] = part[nine_year].astype(np.int64)
    return chosen.reset_index(drop=True)
