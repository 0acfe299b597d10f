"""Manifests: what each flight to the station carries, so that the stores hold their reserve.

:func:`fill_manifests` solves one linear programme (HiGHS, through :func:`scipy.optimize.linprog`)
over the campaign's carriers (:mod:`moonbase.logistics.carriers`) and a :class:`Demand`:

* ``x[f, c] >= 0``: kg of commodity ``c`` on flight ``f``, with ``sum_c x[f, c]`` within the
  flight's spare capacity (less what earlier manifests already put on it);
* between two arrivals the manifested supply is constant, so the stores hold their reserve at
  every step exactly when, for each interval between arrivals and each commodity, the mass
  manifested on flights arrived by then covers the largest *need* in the interval (reserve less
  the store without manifests, :meth:`Demand.need_kg`);
* ``y[k, c] >= 0``: extra mass that no flight can carry, available from the start of interval
  ``k`` (the shortfall).

It minimises the extra mass first, then the mass manifested, on the latest flights that bring it
in time (just in time: earlier flights keep their room for what is manifested after, such as the
science consumables; the reserve covers the hours between). Where extra mass is needed, each
commodity's
:class:`Shortfall` gives the smallest mass that, delivered by its date (the first step the store
would fall below its reserve), keeps it there for the rest of the span.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import coo_array
from scipy.sparse import vstack as stack_rows

from moonbase.logistics.carriers import Carrier
from moonbase.logistics.demand import Demand

__all__ = ["ManifestPlan", "Shortfall", "fill_manifests"]

#: Masses below this are rounding, not cargo (kg).
TOLERANCE_KG = 1e-6


@dataclass(frozen=True)
class Shortfall:
    """A store that no manifest keeps at its reserve: the smallest extra mass and its date."""

    commodity: str
    mass_kg: float
    by_utc: pd.Timestamp

    def summary(self) -> dict:
        return {
            "commodity": self.commodity,
            "mass_kg": self.mass_kg,
            "by_utc": self.by_utc.isoformat(),
        }


@dataclass(frozen=True)
class ManifestPlan:
    """Each carrier's manifest (kg by commodity), and the shortfalls no manifest can fill."""

    carriers: tuple[Carrier, ...]
    commodities: tuple[str, ...]
    loads_kg: dict[str, dict[str, float]]  # flight -> commodity -> kg
    shortfalls: tuple[Shortfall, ...]
    status: str

    def carried_kg(self, flight: str) -> float:
        """Mass manifested on ``flight``."""
        return float(sum(self.loads_kg.get(flight, {}).values()))

    def total_kg(self, commodity: str | None = None) -> float:
        """Mass manifested in all (of ``commodity``, or of every commodity)."""
        return float(
            sum(
                kg
                for load in self.loads_kg.values()
                for key, kg in load.items()
                if commodity is None or key == commodity
            )
        )

    def cargo(self, prefix: str = "manifest") -> list[dict]:
        """The manifests as the twin's cargo components, one per loaded flight, on arrival."""
        out = []
        for carrier in self.carriers:
            load = {k: v for k, v in self.loads_kg.get(carrier.flight, {}).items() if v > 0}
            if not load:
                continue
            out.append(
                {
                    "type": "cargo",
                    "name": f"{prefix}:{carrier.flight}",
                    "contents_kg": load,
                    "source": f"manifest on {carrier.flight} ({', '.join(carrier.elements)})",
                    "arrival_utc": pd.Timestamp(carrier.arrival).isoformat(),
                }
            )
        return out

    def table(self) -> pd.DataFrame:
        """One row per carrier: arrival, spare capacity, kg per commodity, total."""
        rows = []
        for carrier in self.carriers:
            load = self.loads_kg.get(carrier.flight, {})
            row = {
                "flight": carrier.flight,
                "elements": ", ".join(carrier.elements),
                "arrival": carrier.arrival,
                "capacity_kg": carrier.capacity_kg,
            }
            row.update({f"{key}_kg": load.get(key, 0.0) for key in self.commodities})
            row["manifested_kg"] = self.carried_kg(carrier.flight)
            rows.append(row)
        columns = ["flight", "elements", "arrival", "capacity_kg"]
        columns += [f"{key}_kg" for key in self.commodities] + ["manifested_kg"]
        return pd.DataFrame(rows, columns=columns)


def _arrival_step(times: pd.DatetimeIndex, day) -> int:
    return int(np.searchsorted(times.asi8, pd.Timestamp(day).as_unit("ns").value, side="left"))


def fill_manifests(
    carriers: list[Carrier],
    demand: Demand,
    commodities: tuple[str, ...] | None = None,
    *,
    used_kg: dict[str, float] | None = None,
) -> ManifestPlan:
    """Manifest ``commodities`` (default: all of ``demand``'s) on ``carriers`` (module docstring).

    ``used_kg`` is the mass already manifested per flight (a previous call's
    :meth:`ManifestPlan.carried_kg`), which this call's manifests must leave room for.
    """
    commodities = tuple(commodities or demand.commodities)
    used_kg = used_kg or {}
    times = pd.DatetimeIndex(demand.times_utc).as_unit("ns")
    n = len(times)
    usable = []
    for carrier in carriers:
        step = _arrival_step(times, carrier.arrival)
        room = carrier.capacity_kg - used_kg.get(carrier.flight, 0.0)
        if step < n and room > TOLERANCE_KG:
            usable.append((carrier, max(step, 0), room))
    usable.sort(key=lambda item: item[1])
    steps = sorted({step for _, step, _ in usable})
    edges = [0, *steps] if (not steps or steps[0] > 0) else steps
    group = {step: edges.index(step) for step in steps}
    n_groups = len(edges)
    bounds = edges[1:] + [n]
    needs = {c: demand.need_kg(c) for c in commodities}
    peak = {
        c: np.array(
            [needs[c][a:b].max() if b > a else -np.inf for a, b in zip(edges, bounds, strict=True)]
        )
        for c in commodities
    }
    n_c, n_f = len(commodities), len(usable)
    nx = n_f * n_c

    def xi(f, c):
        return f * n_c + c

    def yi(k, c):
        return nx + k * n_c + c

    rows, cols, vals, rhs = [], [], [], []
    row = 0
    for k in range(n_groups):
        for ci, c in enumerate(commodities):
            if not np.isfinite(peak[c][k]) or peak[c][k] <= TOLERANCE_KG:
                continue
            for f, (_, step, _) in enumerate(usable):
                if group[step] <= k:
                    rows.append(row), cols.append(xi(f, ci)), vals.append(-1.0)
            for j in range(k + 1):
                rows.append(row), cols.append(yi(j, ci)), vals.append(-1.0)
            rhs.append(-peak[c][k])
            row += 1
    for f, (_, _, room) in enumerate(usable):
        for ci in range(n_c):
            rows.append(row), cols.append(xi(f, ci)), vals.append(1.0)
        rhs.append(room)
        row += 1
    n_var = nx + n_groups * n_c
    if row == 0:
        return ManifestPlan(tuple(carriers), commodities, {}, (), "nothing to carry")
    a_ub = coo_array((vals, (rows, cols)), shape=(row, n_var)).tocsr()
    b_ub = np.array(rhs)
    extra = np.zeros(n_var)
    extra[nx:] = 1.0
    first = linprog(extra, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if first.status != 0:  # pragma: no cover - the slack makes every instance feasible
        raise RuntimeError(f"manifest LP failed: {first.message}")
    # fix the extra mass at its minimum, then carry the least mass, on the latest flights that
    # bring it in time (usable is in arrival order): earlier flights keep their room
    cost = np.zeros(n_var)
    for f in range(n_f):
        cost[f * n_c : (f + 1) * n_c] = 1.0 + 1e-3 * (n_f - f) / max(n_f, 1)
    cost[nx:] = 0.0
    a2 = stack_rows([a_ub, coo_array(extra[None, :])]).tocsr()
    b2 = np.append(b_ub, first.fun + 1e-9 * max(abs(first.fun), 1.0))
    second = linprog(cost, A_ub=a2, b_ub=b2, bounds=(0, None), method="highs")
    solution = second.x if second.status == 0 else first.x
    loads: dict[str, dict[str, float]] = {}
    for f, (carrier, _, _) in enumerate(usable):
        load = {
            c: float(solution[xi(f, ci)])
            for ci, c in enumerate(commodities)
            if solution[xi(f, ci)] > TOLERANCE_KG
        }
        if load:
            loads[carrier.flight] = load
    shortfalls = []
    for ci, c in enumerate(commodities):
        if solution[[yi(k, ci) for k in range(n_groups)]].sum() <= TOLERANCE_KG:
            continue
        supplied = np.zeros(n)
        for f, (_, step, _) in enumerate(usable):
            supplied[step] += solution[xi(f, ci)]
        short = needs[c] - np.cumsum(supplied)
        hit = np.flatnonzero(short > TOLERANCE_KG)
        if hit.size:
            shortfalls.append(Shortfall(c, float(short.max()), times[int(hit[0])]))
    status = "short" if shortfalls else "supplied"
    return ManifestPlan(tuple(carriers), commodities, loads, tuple(shortfalls), status)
