"""``optimise_campaign``: greedy baseline, CP-SAT with the greedy plan as hint, both reported."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from moonbase.campaign.check import check_plan
from moonbase.campaign.greedy import greedy_plan
from moonbase.campaign.model import CampaignInstance
from moonbase.campaign.plan import CampaignPlan, completion_date, plan_objectives
from moonbase.campaign.solver import CampaignSolver, StageResult
from moonbase.errors import InputError
from moonbase.io import write_text_atomic

__all__ = ["CampaignResult", "optimise_campaign"]


@dataclass
class CampaignResult:
    """The optimised plan, the greedy plan, their objective values, CP-SAT's bounds and gaps.

    ``status`` is the first stage's CP-SAT status (``optimal``/``feasible``), or ``greedy`` when
    CP-SAT found nothing in the time limit and the greedy plan is returned as the plan.
    """

    instance: CampaignInstance
    plan: CampaignPlan
    greedy: CampaignPlan
    objectives: list[str]
    values: dict[str, float]
    greedy_values: dict[str, float]
    stages: list[StageResult]
    status: str
    wall_s: float
    violations: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        """Relative gap of the first objective against CP-SAT's bound."""
        return self.stages[0].gap if self.stages else None

    @property
    def bound(self) -> float | None:
        return self.stages[0].bound if self.stages else None

    def completion_date(self, plan: CampaignPlan | None = None):
        """Date the basic model is complete (start of the bucket its last element operates)."""
        values = plan_objectives(self.instance, plan or self.plan)
        return completion_date(self.instance, int(values["earliest_basic_model"]))

    def table(self) -> pd.DataFrame:
        """The plan table (one row per element)."""
        return self.plan.table(self.instance)

    def summary(self) -> pd.DataFrame:
        """Objective values of the optimised and greedy plans, CP-SAT bound and gap per stage."""
        rows = []
        for name in self.objectives:
            stage = next((s for s in self.stages if s.objective == name), None)
            rows.append(
                {
                    "objective": name,
                    "optimised": self.values[name],
                    "greedy": self.greedy_values[name],
                    "bound": None if stage is None else stage.bound,
                    "gap": None if stage is None else stage.gap,
                    "status": None if stage is None else stage.status,
                    "solve_s": None if stage is None else round(stage.wall_s, 3),
                }
            )
        return pd.DataFrame(rows)

    def gantt(self):
        from moonbase.campaign.figures import gantt_figure

        return gantt_figure(self.instance, self.plan)

    def write(self, folder: str | Path) -> list[Path]:
        """``campaign_plan.csv``, ``campaign_plan.json``, ``campaign_greedy.csv`` (atomic)."""
        folder = Path(folder)
        paths = [
            self.plan.write_csv(folder / "campaign_plan.csv", self.instance),
            self.greedy.write_csv(folder / "campaign_greedy.csv", self.instance),
        ]
        extra = {
            "status": self.status,
            "objectives": self.objectives,
            "values": self.values,
            "greedy_values": self.greedy_values,
            "stages": [s.__dict__ for s in self.stages],
            "completion_date": str(self.completion_date()),
        }
        paths.append(self.plan.write_json(folder / "campaign_plan.json", self.instance, **extra))
        return [Path(p) for p in paths]


def _better_or_equal(objectives, a: dict, b: dict) -> bool:
    """Is ``a`` lexicographically at least as good as ``b``?"""
    from moonbase.campaign.solver import _SENSE

    for name in objectives:
        x, y = a[name] * _SENSE[name], b[name] * _SENSE[name]
        if x != y:
            return x < y
    return True


def optimise_campaign(
    instance_or_scenario,
    *,
    time_limit_s: float | None = None,
    objectives: list[str] | None = None,
    workers: int | None = None,
    use_hint: bool = True,
) -> CampaignResult:
    """Plan the campaign: greedy baseline, then CP-SAT (hinted and bounded by the greedy plan).

    ``instance_or_scenario`` is a :class:`CampaignInstance` or a scenario (converted by
    :func:`moonbase.campaign.instance_from_scenario`). The result is never lexicographically
    worse than the greedy plan: CP-SAT is given the greedy plan's values as bounds, and if it
    finds no solution in ``time_limit_s`` the greedy plan is returned (status ``greedy``).
    """
    start = time.perf_counter()
    if isinstance(instance_or_scenario, CampaignInstance):
        instance = instance_or_scenario
    else:
        from moonbase.campaign.adapter import instance_from_scenario

        instance = instance_from_scenario(instance_or_scenario)
    config = instance.config
    objectives = list(objectives or config.objectives)
    if not objectives:
        raise InputError("no objective given", field="objectives", hint="e.g. earliest_basic_model")
    greedy = greedy_plan(instance)
    greedy_ok = not check_plan(instance, greedy)
    greedy_values = plan_objectives(instance, greedy)
    solver = CampaignSolver(instance)
    plan, stages = solver.solve(
        objectives,
        time_limit_s=time_limit_s or config.time_limit_s,
        hint=greedy if (use_hint and greedy_ok) else None,
        hint_values=greedy_values if greedy_ok else None,
        evaluate=lambda plan: plan_objectives(instance, plan),
        workers=workers or config.workers,
        seed=config.seed,
        relative_gap=config.relative_gap,
    )
    status = stages[0].status if stages else "unknown"
    if stages and stages[0].bound is None and plan is not None:
        status = "greedy"  # CP-SAT found nothing in time; the kept plan is the greedy one
    if plan is None or (
        greedy_ok
        and not _better_or_equal(objectives, plan_objectives(instance, plan), greedy_values)
    ):
        if not greedy_ok:
            detail = "; ".join(check_plan(instance, greedy)[:3])
            raise InputError(
                f"no feasible campaign found (CP-SAT status {status}; greedy: {detail})",
                field="campaign",
                hint="widen the window, add launchers or cadence, relax budgets or dates",
            )
        plan, status = greedy, "greedy"
    values = plan_objectives(instance, plan)
    return CampaignResult(
        instance=instance,
        plan=plan,
        greedy=greedy,
        objectives=objectives,
        values=values,
        greedy_values=greedy_values,
        stages=stages,
        status=status,
        wall_s=time.perf_counter() - start,
        violations=check_plan(instance, plan),
    )


def write_result_json(path, result: CampaignResult) -> Path:  # pragma: no cover - thin
    return write_text_atomic(path, result.summary().to_json(orient="records"))
