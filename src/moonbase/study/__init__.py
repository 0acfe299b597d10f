"""Studies on the plan: maps of :func:`moonbase.plan` over samples or variants.

:func:`plan_risk` is the whole plan under risk (:mod:`moonbase.study.montecarlo`).
"""

from moonbase.study.montecarlo import PlanRisk, PlanRiskConfig, plan_risk

__all__ = ["PlanRisk", "PlanRiskConfig", "plan_risk"]
