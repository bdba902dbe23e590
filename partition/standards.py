"""The national balance standards a county is evaluated by (DOMAIN.md).

教育部《县域义务教育优质均衡发展督导评估办法》(2017): seven resource indicators per school,
each with a floor per level, and limits on their enrollment-weighted 差异系数 between schools.
"""

from __future__ import annotations

from gis.schema import INDICATORS

__all__ = [
    "FLOORS", "CV_LIMITS", "BASIC_CV_LIMITS", "MAX_CLASS_SIZE", "MIN_FLOORS_MET", "TEACHER_EXCHANGE_SHARE", "ACTIVITY_FUND_YUAN",
]

#: Floor of each indicator, by level (primary, junior).
FLOORS: dict[str, dict[str, float]] = {
    "primary": dict(zip(INDICATORS, (4.2, 1.0, 0.9, 4.5, 7.5, 2000.0, 2.3))),
    "junior": dict(zip(INDICATORS, (5.3, 1.0, 0.9, 5.8, 10.2, 2500.0, 2.4))),
}
#: 优质均衡: largest allowed 差异系数 of each indicator between schools, by level.
CV_LIMITS = {"primary": 0.50, "junior": 0.45}
#: The older 基本均衡 standard (2012).
BASIC_CV_LIMITS = {"primary": 0.65, "junior": 0.55}
#: Largest class size before it counts as 大班额, by level.
MAX_CLASS_SIZE = {"primary": 45, "junior": 50}
#: A school must meet at least this many of the seven floors.
MIN_FLOORS_MET = 6

#: Share of teachers exchanged each summer within a 学区: urban schools / town and rural schools
#: (seeds 000, lines 22-24).
TEACHER_EXCHANGE_SHARE = {"urban": 0.05, "town": 0.03, "rural": 0.03}
#: Yearly 学区 activity funds, yuan: per core school and per member school (seeds 003, line 382).
ACTIVITY_FUND_YUAN = {"core": 6000, "member": 4000}
