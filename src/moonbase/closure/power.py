"""The "earlier power" fix: fly a power source the station has planned before its first shortfall.

A reactor or array element planned to operate only after the first hour the survival loads go
short adds no mass if the campaign can fly it earlier: its latest launch moves so that it
operates by the start of the campaign bucket the shortfall falls in, and the campaign is
re-planned. Each source that cannot (its launch window opens too late, or no campaign flies it
that early) is recorded with the reason, so the report shows what was considered.
"""

from __future__ import annotations

import pandas as pd

from moonbase.campaign.adapter import is_history
from moonbase.closure.storage import Fix, replan
from moonbase.errors import InputError

__all__ = ["earlier_power_fix"]


def earlier_power_fix(
    scenario, site, campaign, check, *, replan_time_limit_s: float, seed: int
) -> tuple[Fix | None, tuple[str, ...]]:
    """An earlier power source for ``check``'s first shortfall, and the sources considered.

    Candidates are the planned elements at ``site``'s location (the surface site, or the orbit
    node) with ``power_produced_w`` not operating yet at the first short hour, the most
    powerful first; the first the campaign can fly in time is the fix (None when none can).
    """
    when = check.first_short_utc
    if when is None:
        return None, ()
    moment = pd.Timestamp(when)
    if moment.tzinfo is not None:
        moment = moment.tz_convert("UTC").tz_localize(None)
    instance = campaign.result.instance
    arrivals = campaign.arrivals()
    candidates = [
        e
        for e in scenario.elements
        if e.location == getattr(site, "location", "site")
        and (e.power_produced_w or 0.0) > 0.0
        and not is_history(e, campaign.as_of)
        and e.state == "planned"
    ]
    considered = []
    for e in sorted(candidates, key=lambda e: -(e.power_produced_w or 0.0)):
        arrived = arrivals.get(e.id)
        if arrived is not None and pd.Timestamp(arrived) <= moment:
            continue
        lag = instance.lag_buckets(instance.element(e.id))
        latest_bucket = instance.bucket_of(moment.date()) - lag
        if latest_bucket < instance.first_bucket_from(campaign.as_of):
            considered.append(
                f"{e.id} earlier: it cannot launch after {campaign.as_of} and operate by "
                f"{moment:%Y-%m-%d}"
            )
            continue
        latest = instance.bucket_starts[latest_bucket]
        if e.earliest_launch is not None and e.earliest_launch > latest:
            considered.append(
                f"{e.id} earlier: its launch window opens {e.earliest_launch}, after the "
                f"{latest} launch it needs to operate by {moment:%Y-%m-%d}"
            )
            continue
        if e.latest_launch is not None and e.latest_launch <= latest:
            latest = e.latest_launch
        elements = [
            x.model_copy(update={"latest_launch": latest}) if x is e else x
            for x in scenario.elements
        ]
        changed = scenario.model_copy(update={"elements": elements})
        try:
            new_campaign = replan(changed, site, campaign, replan_time_limit_s, seed)
        except InputError as error:
            considered.append(f"{e.id} launched by {latest}: no campaign flies it ({error})")
            continue
        if new_campaign.arrivals().get(e.id) is None:
            considered.append(f"{e.id} launched by {latest}: the campaign does not fly it")
            continue
        return Fix(
            "earlier power", e.id, changed, new_campaign, considered=tuple(considered)
        ), tuple(considered)
    return None, tuple(considered)
