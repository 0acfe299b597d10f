"""Demand models: what the station draws from each store, what it makes, what it must keep.

A :class:`Demand` holds, per commodity and per step of the twin's time grid: the mass drawn
(``draw_kg``), the mass made at the station (``produced_kg``: O2 recovered and from ISRU, water
recovered), the mass delivered whatever the manifests do (``fixed_kg``: the consumables
elements land with) and the ``reserve_kg`` the store must hold after the step.

The models, after SpaceNet's (crew consumables, sparing, timed impulse):

* :func:`crew_consumables`: O2, water, food and make-up gas as the systems twin drew them on a
  pass without manifests (BVAD per-crew figures, loop closures, cabin leakage: the twin's own
  ECLSS, :mod:`moonbase.systems.eclss`), with a reserve of ``reserve_days`` of the current
  consumption;
* :func:`spares_by_mtbf`: the expected spare mass for repairs, each component failing once per
  ``mtbf_h + mttr_h`` of its presence (an alternating renewal process) after its own spares are
  used, with a reserve of one repair's spares for every component present that can fail;
* :func:`science_consumables`: each scheduled run's consumables as it starts (no reserve).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from moonbase.logistics.commodities import COMMODITIES
from moonbase.systems.simulate import presence, run_consumables

__all__ = ["Demand", "crew_consumables", "science_consumables", "spares_by_mtbf"]


@dataclass(frozen=True)
class Demand:
    """Per-commodity series (kg per step, or kg held for ``reserve_kg``) on ``times_utc``."""

    times_utc: pd.DatetimeIndex
    step_h: float
    draw_kg: dict[str, np.ndarray] = field(default_factory=dict)
    produced_kg: dict[str, np.ndarray] = field(default_factory=dict)
    fixed_kg: dict[str, np.ndarray] = field(default_factory=dict)
    reserve_kg: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def commodities(self) -> tuple[str, ...]:
        """The commodities with a demand, in :data:`COMMODITIES` order."""
        return tuple(c.id for c in COMMODITIES if c.id in self.draw_kg)

    def _series(self, kind: str, commodity: str) -> np.ndarray:
        return getattr(self, kind).get(commodity, np.zeros(len(self.times_utc)))

    def unsupplied_stock_kg(self, commodity: str) -> np.ndarray:
        """The store after each step with no manifest: fixed supply + made - drawn (may be < 0)."""
        flow = (
            self._series("fixed_kg", commodity)
            + self._series("produced_kg", commodity)
            - self._series("draw_kg", commodity)
        )
        return np.cumsum(flow)

    def need_kg(self, commodity: str) -> np.ndarray:
        """Manifested mass the store needs by each step to hold its reserve after that step."""
        return self._series("reserve_kg", commodity) - self.unsupplied_stock_kg(commodity)

    def total_draw_kg(self, commodity: str) -> float:
        return float(self._series("draw_kg", commodity).sum())

    def merged(self, other: Demand) -> Demand:
        """This demand with ``other``'s commodities added (same time grid)."""
        if len(other.times_utc) != len(self.times_utc):
            raise ValueError("demands on different time grids")
        return replace(
            self,
            draw_kg={**self.draw_kg, **other.draw_kg},
            produced_kg={**self.produced_kg, **other.produced_kg},
            fixed_kg={**self.fixed_kg, **other.fixed_kg},
            reserve_kg={**self.reserve_kg, **other.reserve_kg},
        )


def crew_consumables(simulation, *, reserve_days: float = 3.0) -> Demand:
    """O2, water, food and make-up gas as ``simulation`` (a twin pass) drew and made them.

    ``simulation`` is a :class:`~moonbase.systems.simulate.SimulationResult` of the station
    without manifests: its draws do not depend on what the stores hold. Its deliveries (the
    consumables elements land with) are the fixed supply. The reserve after each step is
    ``reserve_days`` of that step's draw rate.
    """
    series = simulation.series
    times, step_h = _times(series.index)
    steps_per_day = 24.0 / step_h

    def column(name):
        return series[name].to_numpy(dtype=float) if name in series else np.zeros(len(series))

    draw = {
        "o2": column("o2_consumed_kg"),
        "water": column("water_consumed_kg"),
        "food": column("food_consumed_kg"),
        "n2": column("n2_consumed_kg"),
    }
    produced = {
        "o2": column("o2_recovered_kg") + column("isru_o2_kg"),
        "water": column("water_recovered_kg"),
    }
    fixed = {key: column(f"{key}_delivered_kg") for key in draw}
    reserve = {key: values * steps_per_day * reserve_days for key, values in draw.items()}
    return Demand(times, step_h, draw, produced, fixed, reserve)


def spares_by_mtbf(station, times_utc) -> Demand:
    """Expected spare mass for the repairs of ``station``'s components that draw on the stock.

    A component with ``mtbf_h`` and ``spare_mass_kg`` fails once per ``mtbf_h + mttr_h`` of its
    presence on average; its first ``spares`` repairs use its own spares, the rest take
    ``spare_mass_kg`` each from the stock. The reserve is one repair's spares for each such
    component present.
    """
    times, step_h = _times(times_utc)
    n = len(times)
    expected = np.zeros(n + 1)  # cumulative expected spare mass drawn, before step 0 .. after n-1
    reserve = np.zeros(n)
    for c in station.components:
        if c.mtbf_h is None or c.spare_mass_kg <= 0:
            continue
        present = presence(c, times)
        hours = np.concatenate(([0.0], np.cumsum(present * step_h)))
        repairs = np.maximum(hours / (c.mtbf_h + c.mttr_h) - c.spares, 0.0)
        expected += repairs * c.spare_mass_kg
        reserve += present * c.spare_mass_kg
    zeros = np.zeros(n)
    return Demand(
        times, step_h, {"spares": np.diff(expected)}, {}, {"spares": zeros}, {"spares": reserve}
    )


def science_consumables(load, times_utc) -> Demand:
    """The consumables of a scheduled load's runs (:class:`~moonbase.systems.ScheduledLoad`).

    Each run draws its ``consumables_kg`` on the step it starts, as the twin draws them
    (:func:`moonbase.systems.simulate.run_consumables`); no reserve.
    """
    times, step_h = _times(times_utc)
    zeros = np.zeros(len(times))
    draw = run_consumables(load, times, step_h)
    return Demand(times, step_h, {"science": draw}, {}, {"science": zeros}, {"science": zeros})


def _times(times_utc) -> tuple[pd.DatetimeIndex, float]:
    times = pd.DatetimeIndex(times_utc)
    if times.tz is not None:
        times = times.tz_convert("UTC").tz_localize(None)
    step_h = (times[1] - times[0]) / pd.Timedelta(hours=1) if len(times) > 1 else 1.0
    return times, float(step_h)
