"""学区 plans: the rules, the optimisation that groups schools around cores, and the plan's figures.

>>> import partition
>>> result = partition.plan_districts(schools, roads, partition.Rules(max_minutes=30))  # doctest: +SKIP
>>> result.plan.status, result.plan.gap                                                  # doctest: +SKIP
"""

from partition.explain import InfeasibleError
from partition.pipeline import Result, plan_districts
from partition.plan import Plan
from partition.problem import Problem
from partition.rules import Locks, RuleError, Rules
from partition.rulesfile import read_rules_file

__all__ = ["InfeasibleError", "Locks", "Plan", "Problem", "Result", "RuleError", "Rules", "plan_districts", "read_rules_file"]
