"""A campaign plan (which element flies on which flight, when) and its objective values.

The plan is the solution class shared by the optimiser, the greedy baseline, the checker, the
Monte Carlo, the CLI and the report. :func:`plan_objectives` evaluates the three objectives
from the plan alone (never from a solver's internal variables).
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from moonbase.campaign.model import CampaignInstance
from moonbase.io import atomic_path, write_text_atomic

__all__ = ["CampaignPlan", "Flight", "plan_objectives", "ready_buckets"]

#: Money is handled by the solver in integer thousands of US dollars.
KUSD_PER_MUSD = 1000


class Flight(BaseModel):
    """One launch: launcher, its sequence number, the bucket it flies in, what it carries."""

    model_config = ConfigDict(extra="forbid")

    launcher: str
    index: int = Field(ge=0)
    bucket: int = Field(ge=0)
    elements: list[str]


class CampaignPlan(BaseModel):
    """Flights with their manifests; elements on no flight are not flown."""

    model_config = ConfigDict(extra="forbid")

    flights: list[Flight] = Field(default_factory=list)

    def launch_bucket(self) -> dict[str, int]:
        """Element id -> launch bucket (elements flown only)."""
        return {e: f.bucket for f in self.flights for e in f.elements}

    def flight_of(self) -> dict[str, Flight]:
        return {e: f for f in self.flights for e in f.elements}

    def table(self, instance: CampaignInstance) -> pd.DataFrame:
        """One row per scheduled element, sorted by launch date (unflown elements last)."""
        flights = self.flight_of()
        starts = instance.bucket_starts
        rows = []
        for e in instance.scheduled():
            flight = flights.get(e.id)
            row = {
                "element": e.id,
                "partner": e.partner,
                "basic_model": e.basic_model,
                "landed_mass_kg": e.landed_mass_kg,
                "launcher": None,
                "flight": None,
                "launch_bucket": None,
                "launch_date": None,
                "operating_date": None,
            }
            if flight is not None:
                ready = min(flight.bucket + instance.lag_buckets(e), instance.n_buckets)
                row.update(
                    launcher=flight.launcher,
                    flight=f"{flight.launcher}#{flight.index + 1}",
                    launch_bucket=flight.bucket,
                    launch_date=starts[flight.bucket],
                    operating_date=starts[ready],
                )
            rows.append(row)
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        frame["launch_date"] = pd.to_datetime(frame["launch_date"])
        frame["operating_date"] = pd.to_datetime(frame["operating_date"])
        return frame.sort_values(["launch_date", "element"], na_position="last").reset_index(
            drop=True
        )

    def write_csv(self, path, instance: CampaignInstance):
        """Write :meth:`table` as CSV, atomically."""
        with atomic_path(path) as temporary:
            self.table(instance).to_csv(temporary, index=False, date_format="%Y-%m-%d")
        return path

    def write_json(self, path, instance: CampaignInstance | None = None, **extra):
        """Write the plan (and ``extra`` fields, e.g. objective values) as JSON, atomically."""
        data = {"flights": self.model_dump()["flights"], **extra}
        if instance is not None:
            data["bucket_starts"] = [d.isoformat() for d in instance.bucket_starts]
        return write_text_atomic(path, json.dumps(data, indent=2, default=str))


def ready_buckets(instance: CampaignInstance, plan: CampaignPlan) -> dict[str, int]:
    """Element id -> first operating bucket (already-operating elements included; may be < 0)."""
    ready = {}
    launch = plan.launch_bucket()
    for e in instance.elements:
        if e.operating_from is not None:
            ready[e.id] = instance.bucket_of(e.operating_from)
        elif e.id in launch:
            ready[e.id] = launch[e.id] + instance.lag_buckets(e)
    return ready


def basic_model_ids(instance: CampaignInstance) -> list[str]:
    """The elements whose operation defines basic-model completion (all required if none set)."""
    basic = [e.id for e in instance.elements if e.basic_model]
    return basic or [e.id for e in instance.elements if e.required]


def capability_deadline_bucket(instance: CampaignInstance) -> int:
    """Last bucket (inclusive) by which capability counts for ``max_capability_by_date``."""
    deadline = instance.config.capability_deadline
    if deadline is None:
        return instance.n_buckets - 1
    return min(instance.bucket_of(deadline), instance.n_buckets - 1)


def plan_objectives(instance: CampaignInstance, plan: CampaignPlan) -> dict[str, float]:
    """The three objective values of ``plan``, computed from the plan only.

    * ``earliest_basic_model``: bucket in which the last basic-model element is operating
      (``n_buckets + max lag`` style infinity when one is not flown); lower is better.
    * ``max_capability_by_date``: summed ``value`` of elements operating by the deadline bucket.
    * ``least_cost``: launches plus flown elements, in thousands of US dollars (integer).
    * ``earliest_launches``: sum of the launch buckets (``n_buckets`` for an unflown element).
    """
    ready = ready_buckets(instance, plan)
    unflown = instance.n_buckets + max(
        (instance.lag_buckets(e) for e in instance.elements), default=1
    )
    completion = max((ready.get(i, unflown) for i in basic_model_ids(instance)), default=0)
    deadline = capability_deadline_bucket(instance)
    capability = sum(e.value for e in instance.elements if ready.get(e.id, unflown) <= deadline)
    cost = 0
    for flight in plan.flights:
        cost += round(instance.launcher(flight.launcher).cost_musd * KUSD_PER_MUSD)
        cost += sum(round(instance.element(i).cost_musd * KUSD_PER_MUSD) for i in flight.elements)
    launch = plan.launch_bucket()
    launches = sum(launch.get(e.id, instance.n_buckets) for e in instance.scheduled())
    return {
        "earliest_launches": launches,
        "earliest_basic_model": completion,
        "max_capability_by_date": capability,
        "least_cost": cost,
    }


def completion_date(instance: CampaignInstance, bucket: int) -> date | None:
    """Start date of ``bucket`` (None when beyond the window)."""
    if 0 <= bucket <= instance.n_buckets:
        return instance.bucket_starts[bucket]
    return None
