"""The campaign stage of the plan: who flies what, when, as of a date, on the chosen cell's light.

:func:`plan_campaign` builds the planner's instance from the scenario with the plan's date (history
stays history, nothing launches before it) and the landing-daylight calendar of the site stage's
chosen cell (its terrain horizon, not a flat one), optimises it (greedy baseline, then CP-SAT) and
replays it in the Monte Carlo risk model. The :class:`CampaignOutcome` it returns gives the later
stages each element's arrival (:meth:`CampaignOutcome.arrivals`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from moonbase.campaign.adapter import instance_from_scenario, is_history
from moonbase.campaign.calendar import bucket_starts, daylight_by_bucket
from moonbase.campaign.optimise import CampaignResult, optimise_campaign
from moonbase.campaign.risk import RiskConfig, RiskResult, monte_carlo

if TYPE_CHECKING:
    from moonbase.scenario.models import Scenario
    from moonbase.site.stage import SiteChoice

__all__ = ["CampaignOutcome", "landing_daylight", "plan_campaign", "replan_campaign", "with_risk"]


@dataclass(frozen=True)
class CampaignOutcome:
    """The optimised campaign as of ``as_of``, its risk, and the history before that date.

    ``risk`` and ``risk_launch_only`` are None when the plan was made without its Monte Carlo
    (``plan_campaign(..., risk=False)``, as the closure step's re-plans are); :func:`with_risk`
    adds them.
    """

    as_of: date
    result: CampaignResult
    risk: RiskResult | None
    risk_launch_only: RiskResult | None
    history: pd.DataFrame
    daylight_source: str

    @property
    def status(self) -> str:
        return self.result.status

    def basic_model_operating(self) -> date | None:
        """Date the basic model is complete under the optimised plan (None: not in the window)."""
        return self.result.completion_date()

    def arrivals(self) -> dict[str, date | None]:
        """Element id -> first operating date (None: operating before the campaign window).

        Elements the plan does not fly are absent. The systems twin adds an element's
        components on this date and the science stage opens its ``element:`` window then.
        """
        from moonbase.systems.adapters import campaign_operating_dates

        return campaign_operating_dates(self.result.instance, self.result.plan)

    def first_launch(self) -> date | None:
        """The first launch the plan makes (on or after ``as_of``), or None."""
        table = self.result.table()
        if table.empty or table["launch_date"].isna().all():
            return None
        return table["launch_date"].min().date()

    def p_basic_model_by_target(self) -> float:
        return float(self.risk.probability_by())

    def section(self):
        """The report's campaign section."""
        from moonbase.campaign.report import campaign_section

        return campaign_section(self)


def landing_daylight(scenario: Scenario, site: SiteChoice) -> tuple[list[float], str]:
    """The landing-daylight calendar (fraction of each bucket) at the site stage's chosen cell.

    ``site`` is a :class:`~moonbase.site.stage.SiteChoice`. With the policy's minimum Sun
    elevation at 0 deg a moment counts when the cell is sunlit (any part of the disk above its
    terrain horizon); above 0 deg, when the Sun's centre is that far above the terrain horizon.
    """
    window = scenario.campaign
    starts = bucket_starts(window.start, window.end, window.bucket)
    series = site.series
    minimum = scenario.policies.landing_min_sun_elevation_deg
    if minimum == 0.0:
        flags = series["lit"].to_numpy()
        rule = "sunlit (any part of the solar disk above the terrain horizon)"
    else:
        flags = (series["sun_elevation_deg"] - series["horizon_at_sun_deg"]).to_numpy() > minimum
        rule = f"the Sun's centre {minimum:g} deg above the terrain horizon"
    index = series.index.tz_convert(None) if series.index.tz is not None else series.index
    fraction = daylight_by_bucket(starts, index.to_numpy(), flags)
    source = (
        f"landing daylight at the station's cell {site.latitude_deg:.3f}, "
        f"{site.longitude_deg:.2f} E: {rule}"
    )
    return fraction.tolist(), source


def plan_campaign(
    scenario: Scenario,
    site: SiteChoice | None,
    *,
    as_of: date,
    time_limit_s: float = 60.0,
    risk_runs: int = 10_000,
    risk_workers: int = 2,
    seed: int = 0,
    risk: bool = True,
) -> CampaignOutcome:
    """Plan the campaign as of ``as_of`` on the site stage's chosen cell (``site``).

    ``site`` None: the station has no surface base (an orbital station alone), nothing lands
    at a site and no landing-daylight rule applies. With ``risk=False`` the Monte Carlo is not
    run (the outcome's ``risk`` is None; see :func:`with_risk`).
    """
    if site is None or getattr(site, "location", "site") != "site":
        daylight, source = None, "no surface site: no landing-daylight rule"
    else:
        daylight, source = landing_daylight(scenario, site)
    outcome = _optimise(scenario, as_of, daylight, source, time_limit_s)
    if risk:
        outcome = with_risk(outcome, risk_runs=risk_runs, risk_workers=risk_workers, seed=seed)
    return outcome


def replan_campaign(
    scenario: Scenario, campaign: CampaignOutcome, *, time_limit_s: float = 10.0
) -> CampaignOutcome:
    """The campaign of a changed design (``scenario``), as of ``campaign``'s date, on its calendar.

    The landing-daylight calendar and its source are ``campaign``'s (the buckets do not change
    with the design); no Monte Carlo (:func:`with_risk` adds it).
    """
    daylight = campaign.result.instance.daylight_fraction
    return _optimise(scenario, campaign.as_of, daylight, campaign.daylight_source, time_limit_s)


def _optimise(scenario, as_of, daylight, source, time_limit_s) -> CampaignOutcome:
    instance = instance_from_scenario(scenario, as_of=as_of, daylight_fraction=daylight)
    result = optimise_campaign(instance, time_limit_s=time_limit_s)
    history = pd.DataFrame(
        [
            {
                "element": e.id,
                "partner": e.partner,
                "state": e.state,
                "launched_on": e.launched_on,
                "location": e.location,
            }
            for e in scenario.elements
            if is_history(e, as_of)
        ],
        columns=["element", "partner", "state", "launched_on", "location"],
    )
    return CampaignOutcome(as_of, result, None, None, history, source)


def with_risk(
    outcome: CampaignOutcome, *, risk_runs: int = 10_000, risk_workers: int = 2, seed: int = 0
) -> CampaignOutcome:
    """``outcome`` with its plan replayed in the Monte Carlo risk model (and launch-only)."""
    result = outcome.result
    risk = monte_carlo(result, n_runs=risk_runs, n_workers=risk_workers, seed=seed)
    launch_only = monte_carlo(
        result,
        n_runs=risk_runs,
        n_workers=0,
        seed=seed,
        config=RiskConfig(slip_probability=0.0, launch_delay_mean_months=0.0),
    )
    return replace(outcome, risk=risk, risk_launch_only=launch_only)
