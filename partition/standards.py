"""The national balance standards a county is evaluated by, and the practice figures a plan implies.

Two standards of the 教育部 judge the 差异系数 (enrollment-weighted coefficient of variation) of
resource indicators between a county's schools, per level:

- 优质均衡, 《县域义务教育优质均衡发展督导评估办法》(2017): seven indicators, each with a floor
  per level, 差异系数 at most 0.50 (primary) and 0.45 (junior);
- 基本均衡, 《县域义务教育均衡发展督导评估暂行办法》(2012): eight indicators, 差异系数 at most
  0.65 and 0.55. Counties not yet evaluated on the 2017 standard still carry these columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from gis.schema import BASIC_INDICATOR_LABELS_ZH, INDICATOR_LABELS_ZH, INDICATORS

__all__ = [
    "Standard", "STANDARDS", "QUALITY_BALANCE", "BASIC_BALANCE",
    "FLOORS", "CV_LIMITS", "BASIC_CV_LIMITS", "MAX_CLASS_SIZE", "MIN_FLOORS_MET", "TEACHER_EXCHANGE_SHARE", "ACTIVITY_FUND_YUAN",
]

#: Floor of each 2017 indicator, by level (primary, junior).
FLOORS: dict[str, dict[str, float]] = {
    "primary": dict(zip(INDICATORS, (4.2, 1.0, 0.9, 4.5, 7.5, 2000.0, 2.3))),
    "junior": dict(zip(INDICATORS, (5.3, 1.0, 0.9, 5.8, 10.2, 2500.0, 2.4))),
}
#: 优质均衡 (2017): largest allowed 差异系数 of each indicator between schools, by level.
CV_LIMITS = {"primary": 0.50, "junior": 0.45}
#: 基本均衡 (2012): the same, by level.
BASIC_CV_LIMITS = {"primary": 0.65, "junior": 0.55}
#: Largest class size before it counts as 大班额, by level.
MAX_CLASS_SIZE = {"primary": 45, "junior": 50}
#: A school must meet at least this many of the seven floors.
MIN_FLOORS_MET = 6


@dataclass(frozen=True)
class Standard:
    """One balance standard: its indicators and the 差异系数 each may reach, per level.

    Attributes
    ----------
    key : str
        Short id used in tables (``quality_2017``, ``basic_2012``).
    name : str
        How a report names it: ``优质均衡 (2017)``.
    document : str
        The 教育部 document that sets it.
    labels : dict
        Canonical indicator column -> the name the standard prints, in its order.
    cv_limits : dict
        Level (``primary``, ``junior``) -> largest allowed 差异系数.
    """

    key: str
    name: str
    document: str
    labels: dict[str, str]
    cv_limits: dict[str, float]

    @property
    def indicators(self) -> tuple[str, ...]:
        """The canonical columns of its indicators."""
        return tuple(self.labels)


QUALITY_BALANCE = Standard(
    "quality_2017", "优质均衡 (2017)", "教育部《县域义务教育优质均衡发展督导评估办法》(2017)", INDICATOR_LABELS_ZH, CV_LIMITS,
)
BASIC_BALANCE = Standard(
    "basic_2012", "基本均衡 (2012)", "教育部《县域义务教育均衡发展督导评估暂行办法》(2012)", BASIC_INDICATOR_LABELS_ZH, BASIC_CV_LIMITS,
)
#: The standards a plan is scored against, newest first.
STANDARDS = (QUALITY_BALANCE, BASIC_BALANCE)

#: Share of teachers exchanged each summer within a 学区: urban schools / town and rural schools
#: (诸城市教育局, 城乡学校互助共同体: 城区教师总数5%, 农村教师总数3%; in 《深化城乡学校联建 推进教育均衡发展》).
TEACHER_EXCHANGE_SHARE = {"urban": 0.05, "town": 0.03, "rural": 0.03}
#: Yearly 学区 activity funds, yuan: per core school and per member school (东辽县 大学区 work report,
#: 学区建设专项经费: 优质校6000元, 成员校4000元; in 《实施学区管理推进均衡发展提高教育质量》).
ACTIVITY_FUND_YUAN = {"core": 6000, "member": 4000}
