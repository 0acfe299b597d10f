"""The logistics stage of the plan: manifests on the campaign's flights that keep the stores full.

:func:`supply_station` runs the station the campaign builds (:func:`run_station`) once without
manifests, takes the demand from that pass (:func:`plan_logistics`: crew consumables as the
twin drew them, spares from the components' MTBF), manifests it on the spare capacity of the
flights that land at the station (:func:`~moonbase.logistics.manifest.fill_manifests`) and runs
the twin again with the manifests on board as cargo: the stores' levels over time are then the
twin's, balanced exactly like its energy and mass. After the science stage,
:func:`supply_science` manifests the scheduled runs' consumables on what capacity is left.

:meth:`Logistics.check` compares a twin pass's stores with their reserves: a critical store
(O2, water, food, make-up gas) below its reserve is a :class:`~moonbase.logistics.manifest.Shortfall`
with the smallest extra mass and its date, which the closure step turns into a logistics flight.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from moonbase.logistics.carriers import Carrier, carriers_from_campaign
from moonbase.logistics.commodities import COMMODITIES, CRITICAL
from moonbase.logistics.demand import (
    Demand,
    crew_consumables,
    science_consumables,
    spares_by_mtbf,
)
from moonbase.logistics.manifest import TOLERANCE_KG, ManifestPlan, Shortfall, fill_manifests
from moonbase.systems.stage import StationRun, run_station, run_station_with

if TYPE_CHECKING:
    from moonbase.campaign.stage import CampaignOutcome
    from moonbase.scenario.models import Scenario
    from moonbase.science.stage import ScienceResult
    from moonbase.site.stage import SiteChoice

__all__ = ["Logistics", "plan_logistics", "supply", "supply_science", "supply_station"]


@dataclass(frozen=True)
class Logistics:
    """The carriers, the demand, the manifests (critical and spares; science) and the reserve."""

    carriers: tuple[Carrier, ...]
    demand: Demand
    manifests: ManifestPlan
    reserve_days: float
    science: ManifestPlan | None = None
    science_demand: Demand | None = None

    def cargo(self) -> list[dict]:
        """The manifests as the twin's cargo components (science manifests apart)."""
        return self.manifests.cargo("manifest")

    def science_cargo(self) -> list[dict]:
        """The science manifests as cargo components (none before :func:`supply_science`)."""
        return [] if self.science is None else self.science.cargo("science manifest")

    def carried_kg(self, flight: str) -> float:
        """Mass manifested on ``flight`` (critical, spares and science)."""
        science = 0.0 if self.science is None else self.science.carried_kg(flight)
        return self.manifests.carried_kg(flight) + science

    @property
    def shortfalls(self) -> tuple[Shortfall, ...]:
        """What no manifest could carry: critical and spares, then science."""
        science = () if self.science is None else self.science.shortfalls
        return self.manifests.shortfalls + science

    def check(self, run: StationRun, *, tolerance_kg: float = TOLERANCE_KG) -> tuple:
        """The critical stores of ``run`` that fall below their reserve (or run dry), each a
        :class:`Shortfall`: the most they fall short and the first step they do."""
        series = run.simulation.series
        out = []
        for key in CRITICAL:
            level = series[f"{key}_stock_kg"].to_numpy()
            reserve = self.demand.reserve_kg.get(key, np.zeros(len(level)))
            short = reserve - level + series[f"{key}_deficit_kg"].cumsum().to_numpy()
            hit = np.flatnonzero(short > tolerance_kg)
            if hit.size:
                out.append(Shortfall(key, float(short.max()), series.index[int(hit[0])]))
        return tuple(out)

    def table(self) -> pd.DataFrame:
        """One row per carrier: its spare capacity and what is manifested on it."""
        table = self.manifests.table()
        if self.science is not None:
            science = self.science.table().set_index("flight")["science_kg"]
            table["science_kg"] = table["flight"].map(science).fillna(0.0)
            table["manifested_kg"] = table["manifested_kg"] + table["science_kg"]
        table["spare_left_kg"] = table["capacity_kg"] - table["manifested_kg"]
        return table

    @staticmethod
    def balance(run: StationRun) -> pd.DataFrame:
        """Per store over ``run``: delivered + made + unmet demand against drawn + change (kg).

        The twin's own balance rows (``<commodity> store``), which it checks step by step.
        """
        balances = run.simulation.balances
        rows = balances[balances["quantity"].str.endswith(" store")].copy()
        rows.insert(0, "commodity", rows["quantity"].str.removesuffix(" store"))
        return rows.drop(columns=["quantity", "unit"]).reset_index(drop=True)

    def summary(self, run: StationRun | None = None) -> dict:
        """The logistics headline (``summary.json``'s ``logistics``)."""
        loaded = [c for c in self.carriers if self.carried_kg(c.flight) > TOLERANCE_KG]
        out = {
            "carriers": len(self.carriers),
            "flights_with_manifests": len(loaded),
            "spare_capacity_kg": float(sum(c.capacity_kg for c in self.carriers)),
            "manifested_kg": {
                c.id: self.manifests.total_kg(c.id)
                + (self.science.total_kg(c.id) if self.science is not None else 0.0)
                for c in COMMODITIES
            },
            "reserve_days": self.reserve_days,
            "shortfalls": [s.summary() for s in self.shortfalls],
        }
        if run is not None:
            kpis = run.kpis
            out["stock_shortfalls"] = [s.summary() for s in self.check(run)]
            out["repairs_waiting_h"] = float(kpis.get("repairs_waiting_h", 0.0))
            out["max_balance_relative_residual"] = float(
                self.balance(run)[["relative_residual", "max_step_relative_residual"]]
                .to_numpy()
                .max()
            )
        return out

    def section(self, run: StationRun):
        """The report's logistics section for ``run`` (the twin with these manifests)."""
        from moonbase.logistics.report import logistics_section

        return logistics_section(self, run)


def plan_logistics(
    scenario: Scenario, campaign: CampaignOutcome, run: StationRun, site=None
) -> Logistics:
    """Manifest the station's demand on the campaign's flights to it.

    ``run`` is the twin of the campaign's station *without* manifests (its draws are the
    demand, :func:`~moonbase.logistics.demand.crew_consumables`; its components' MTBF the
    spares, :func:`~moonbase.logistics.demand.spares_by_mtbf`); ``campaign`` gives the carriers
    (:func:`~moonbase.logistics.carriers.carriers_from_campaign`) to ``site``'s location (the
    site stage's cell by default; an orbit stage's node brings its delivered fraction). The
    reserve is the scenario's ``policies.consumables_reserve_days``.
    """
    reserve_days = scenario.policies.consumables_reserve_days
    demand = crew_consumables(run.simulation, reserve_days=reserve_days).merged(
        spares_by_mtbf(run.station, run.simulation.drivers.times_utc)
    )
    carriers = carriers_from_campaign(
        scenario,
        campaign,
        location=getattr(site, "location", "site"),
        delivered_fraction=getattr(site, "delivered_fraction", None),
    )
    manifests = fill_manifests(carriers, demand)
    return Logistics(tuple(carriers), demand, manifests, reserve_days)


def supply(bare: StationRun, scenario: Scenario, campaign: CampaignOutcome, site=None):
    """``bare`` (the twin of ``campaign`` without manifests) supplied: ``(run, Logistics)``.

    The demand of ``bare`` is manifested (:func:`plan_logistics`, to ``site``'s location) and
    the twin runs again on the same drivers with the manifests on board as cargo arriving with
    each flight.
    """
    logistics = plan_logistics(scenario, campaign, bare, site)
    cargo = logistics.cargo()
    if not cargo:
        return bare, logistics
    run = run_station_with(
        bare,
        cargo,
        note=(
            f"Logistics: {len(cargo)} flights carry manifests "
            f"({logistics.manifests.total_kg():,.0f} kg) on their spare capacity."
        ),
    )
    return run, logistics


def supply_station(
    scenario: Scenario,
    site: SiteChoice,
    campaign: CampaignOutcome,
    *,
    failures: bool = True,
    seed: int = 0,
) -> tuple[StationRun, Logistics]:
    """The station ``campaign`` builds at ``site``'s cell, supplied by manifests on its flights.

    Returns the twin with the manifests on board (cargo arriving with each flight) and the
    :class:`Logistics` that made them (:func:`supply`).
    """
    bare = run_station(scenario, site, campaign, failures=failures, seed=seed)
    return supply(bare, scenario, campaign, site)


def supply_science(logistics: Logistics, science: ScienceResult, run: StationRun) -> Logistics:
    """``logistics`` with the science schedule's consumables manifested on the capacity left.

    ``run`` is the twin the science stage scheduled on (its time grid); a run whose
    consumables no flight can bring in time is a ``science`` shortfall.
    """
    demand = science_consumables(science.station_load(), run.simulation.drivers.times_utc)
    used = {c.flight: logistics.manifests.carried_kg(c.flight) for c in logistics.carriers}
    plan = fill_manifests(list(logistics.carriers), demand, ("science",), used_kg=used)
    return replace(logistics, science=plan, science_demand=demand)
