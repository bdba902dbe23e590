"""学区 plans: the rules, the optimisation that groups schools around cores, and the plan's figures.

>>> import partition
>>> result = partition.plan_districts(schools, roads, partition.Rules(max_minutes=30))  # doctest: +SKIP
>>> result.plan.status, result.plan.gap                                                  # doctest: +SKIP
>>> given = partition.score_plan("proposal.xlsx", schools, roads)                        # doctest: +SKIP
>>> given.violations                                                                     # doctest: +SKIP
>>> partition.compare_plans([result, given]).moves                                       # doctest: +SKIP
"""

from partition.compare import Comparison, compare_plans
from partition.explain import InfeasibleError
from partition.export import export_plan
from partition.pipeline import Result, plan_districts
from partition.plan import Plan
from partition.planfile import GivenPlan, read_plan
from partition.problem import Problem
from partition.rules import Locks, Naming, RuleError, Rules
from partition.rulesfile import read_rules_file
from partition.scoring import score_plan
from partition.tables import PlanTables, plan_tables, read_plan_folder
from partition.violations import Violation, find_violations

__all__ = [
    "Comparison", "GivenPlan", "InfeasibleError", "Locks", "Naming", "Plan", "PlanTables", "Problem", "Result", "RuleError",
    "Rules", "Violation", "compare_plans", "export_plan", "find_violations", "plan_districts", "plan_tables", "read_plan",
    "read_plan_folder", "read_rules_file", "score_plan",
]
