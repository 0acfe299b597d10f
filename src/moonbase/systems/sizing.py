"""Sizing: the smallest storage, array or reactor that keeps the station alive, with a margin.

:func:`size_component` bisects on one component's size parameter, running the simulation each
time, until the critical (priority 1) energy not served is zero; the answer is then multiplied
by ``1 + margin``. Survival is monotone in each of these sizes (more storage, array or reactor
never serves less), which bisection needs. For a constant load and a fixed night the exact
answer is :func:`moonbase.systems.power.battery_capacity_for_night_wh`.
"""

from __future__ import annotations

from dataclasses import dataclass

from moonbase.errors import InputError
from moonbase.systems.components import Station, parse_station
from moonbase.systems.simulate import simulate_station

__all__ = ["SIZE_FIELDS", "SizingResult", "size_component"]

#: The parameter sized for each component type.
SIZE_FIELDS = {
    "battery": "capacity_wh",
    "regenerative_fuel_cell": "capacity_wh",
    "solar_array": "rated_power_w",
    "fission_reactor": "power_w",
}


@dataclass(frozen=True)
class SizingResult:
    """What :func:`size_component` found: the smallest size of ``parameter`` that serves every
    survival load (``minimum``), that size with the ``margin`` (``with_margin``), the number of
    simulations it took and the station with the sized component."""

    component: str
    parameter: str
    minimum: float
    with_margin: float
    margin: float
    simulations: int
    station: Station


def _alive(station, drivers, tolerance_kwh, min_margin_h, **options) -> bool:
    result = simulate_station(station, drivers, **options)
    kpis = result.kpis
    served = kpis["critical_energy_not_served_kwh"] <= tolerance_kwh
    return served and (min_margin_h is None or kpis["min_survival_margin_h"] > min_margin_h)


def size_component(
    station: Station | dict,
    drivers,
    component: str,
    *,
    margin: float = 0.2,
    upper: float | None = None,
    rtol: float = 1e-3,
    tolerance_kwh: float = 1e-9,
    min_margin_h: float | None = None,
    **options,
) -> SizingResult:
    """Smallest value of ``component``'s size parameter that serves every survival load.

    With ``min_margin_h`` the survival margin (hours the storage could carry the survival loads)
    must also stay above it at every step: the storage never runs empty. ``upper`` is a size
    known to be enough (default: grows from the current value by doubling). ``rtol`` is the
    relative width of the final bracket. ``options`` go to :func:`simulate_station`. Raises
    InputError when even ``upper`` is not enough.
    """
    station = parse_station(station)
    target = station.get(component)
    try:
        parameter = SIZE_FIELDS[target.type]
    except KeyError:
        raise InputError(
            f"cannot size a {target.type}",
            field="component",
            hint=f"size one of the types {', '.join(SIZE_FIELDS)}",
        ) from None
    if margin < 0:
        raise InputError(f"must be >= 0, got {margin}", field="margin")
    count = 0

    def ok(value: float) -> bool:
        nonlocal count
        count += 1
        return _alive(
            station.replace(component, **{parameter: value}),
            drivers,
            tolerance_kwh,
            min_margin_h,
            **options,
        )

    lo = 0.0
    if ok(lo):
        hi = 0.0
    else:
        hi = upper if upper is not None else max(getattr(target, parameter), 1.0)
        while not ok(hi):
            if upper is not None or hi > 1e15:
                raise InputError(
                    f"{component}.{parameter} = {hi:g} does not keep the station alive",
                    field="upper",
                    hint="raise the upper bound or add other sources",
                )
            lo, hi = hi, hi * 2.0
        while hi - lo > rtol * hi:
            mid = 0.5 * (lo + hi)
            if ok(mid):
                hi = mid
            else:
                lo = mid
    best = hi * (1.0 + margin)
    return SizingResult(
        component,
        parameter,
        hi,
        best,
        margin,
        count,
        station.replace(component, **{parameter: best}),
    )
