"""Electrical power: PV incidence models, fission output, storage dispatch with load shedding.

Energies are in watt-hours per step, powers in watts. Dispatch, per step:

1. generation (PV + fission) serves the demand;
2. a surplus charges the storage units in station order (charge efficiency ``sqrt(rt)``, power
   and capacity limits); what is left is curtailed;
3. a deficit is drawn from storage in station order down to each unit's depth-of-discharge
   floor (discharge efficiency ``sqrt(rt)``, power limit);
4. if that is not enough, loads are served in priority order (1 first; ties in station order)
   and the rest is shed.

Per step, ``generation + discharge = served + charge + curtailed`` and, per unit,
``stored[t+1] - stored[t] = eta * charge - discharge / eta``, so energy closes exactly (up to
rounding); :func:`moonbase.systems.simulate.simulate_station` checks it on every run.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np

from moonbase.errors import InputError

__all__ = [
    "PV_MODELS",
    "battery_capacity_for_night_wh",
    "dispatch",
    "pv_incidence_factor",
    "resolve_pv_model",
]


def _cos_incidence(sun_elevation_deg, sun_azimuth_deg, tilt_deg, azimuth_deg):
    el = np.radians(sun_elevation_deg)
    tilt = np.radians(tilt_deg)
    cos_aoi = np.cos(tilt) * np.sin(el) + np.sin(tilt) * np.cos(el) * np.cos(
        np.radians(sun_azimuth_deg - azimuth_deg)
    )
    return np.clip(cos_aoi, 0.0, 1.0)


def _fixed(sun_elevation_deg, sun_azimuth_deg, tilt_deg, azimuth_deg):
    """Fixed panel: tilt from horizontal, facing ``azimuth_deg`` (clockwise from north)."""
    return _cos_incidence(sun_elevation_deg, sun_azimuth_deg, tilt_deg, azimuth_deg)


def _vertical(sun_elevation_deg, sun_azimuth_deg, tilt_deg, azimuth_deg):
    """Fixed vertical panel (on a mast) facing ``azimuth_deg``."""
    return _cos_incidence(sun_elevation_deg, sun_azimuth_deg, 90.0, azimuth_deg)


def _vertical_tracking(sun_elevation_deg, sun_azimuth_deg, tilt_deg, azimuth_deg):
    """Vertical panel turning about the mast to face the Sun's azimuth: ``cos(elevation)``."""
    return np.clip(np.cos(np.radians(sun_elevation_deg)), 0.0, 1.0) * (
        np.asarray(sun_elevation_deg) > -90.0
    )


def _tracking(sun_elevation_deg, sun_azimuth_deg, tilt_deg, azimuth_deg):
    """Two-axis tracking: always normal to the Sun."""
    return np.ones_like(np.asarray(sun_elevation_deg, dtype=float))


#: Incidence models by name: ``f(sun_elevation_deg, sun_azimuth_deg, tilt_deg, azimuth_deg)``
#: returns the cosine of the angle of incidence (0 when the Sun is behind the panel).
PV_MODELS: dict[str, Callable] = {
    "fixed": _fixed,
    "vertical": _vertical,
    "vertical_tracking": _vertical_tracking,
    "tracking": _tracking,
}


def resolve_pv_model(model, *, tilt_deg: float = 90.0, field: str = "mount") -> Callable:
    """A PV incidence model from a name, a callable, or ``None`` (inferred from ``tilt_deg``).

    Inference: a vertical panel (``tilt_deg == 90``) is ``"vertical"``, anything else
    ``"fixed"``. Name a tracking mount explicitly (``mount = "vertical_tracking"``).
    """
    if callable(model):
        return model
    if model is None:
        model = "vertical" if tilt_deg == 90.0 else "fixed"
    try:
        return PV_MODELS[model]
    except KeyError:
        raise InputError(
            f"unknown PV model {model!r}",
            field=field,
            hint=f"use one of {', '.join(PV_MODELS)} or pass a callable",
        ) from None


def pv_incidence_factor(model, drivers, tilt_deg: float, azimuth_deg: float) -> np.ndarray:
    """Fraction of rated power from geometry alone: disk fraction x cos(incidence) / d_au^2."""
    cos_aoi = np.asarray(
        model(drivers.sun_elevation_deg, drivers.sun_azimuth_deg, tilt_deg, azimuth_deg),
        dtype=float,
    )
    return drivers.sun_fraction * cos_aoi / drivers.sun_distance_au**2


@numba.njit(cache=True)
def _dispatch(
    generation_wh, demand_wh, capacity_wh, floor_wh, initial_wh, eta, max_in_wh, max_out_wh, usable
):  # pragma: no cover - compiled
    n_loads, n_steps = demand_wh.shape
    n_store = capacity_wh.shape[0]
    served = np.zeros((n_loads, n_steps))
    charge = np.zeros((n_store, n_steps))
    discharge = np.zeros((n_store, n_steps))
    stored = np.zeros((n_store, n_steps + 1))
    curtailed = np.zeros(n_steps)
    energy = initial_wh.copy()
    for s in range(n_store):
        stored[s, 0] = energy[s]
    for t in range(n_steps):
        g = generation_wh[t]
        d = 0.0
        for k in range(n_loads):
            d += demand_wh[k, t]
        if g >= d:
            surplus = g - d
            for k in range(n_loads):
                served[k, t] = demand_wh[k, t]
            for s in range(n_store):
                if usable[s, t] and surplus > 0.0:
                    room = (capacity_wh[s] - energy[s]) / eta[s]
                    x = min(surplus, room, max_in_wh[s])
                    if x > 0.0:
                        charge[s, t] = x
                        energy[s] += eta[s] * x
                        surplus -= x
            curtailed[t] = surplus
        else:
            need = d - g
            supply = g
            for s in range(n_store):
                if usable[s, t] and need > 0.0:
                    can = (energy[s] - floor_wh[s]) * eta[s]
                    x = min(need, can, max_out_wh[s])
                    if x > 0.0:
                        discharge[s, t] = x
                        energy[s] -= x / eta[s]
                        need -= x
                        supply += x
            remaining = supply
            for k in range(n_loads):
                x = min(demand_wh[k, t], remaining)
                if x < 0.0:
                    x = 0.0
                served[k, t] = x
                remaining -= x
            curtailed[t] = remaining
        for s in range(n_store):
            stored[s, t + 1] = energy[s]
    return served, charge, discharge, stored, curtailed


def dispatch(
    generation_wh,
    demand_wh,
    *,
    capacity_wh,
    depth_of_discharge,
    round_trip_efficiency,
    initial_soc,
    max_charge_wh=None,
    max_discharge_wh=None,
    usable=None,
):
    """Run the storage and load-shedding dispatch over all steps (see the module docstring).

    ``generation_wh`` is ``(T,)``; ``demand_wh`` is ``(L, T)`` with rows already in serving
    order (priority 1 first). Storage arguments are ``(S,)``; ``usable`` is ``(S, T)`` (False
    while a unit is absent or failed). Returns a dict of ``served_wh (L,T)``, ``charge_wh``,
    ``discharge_wh (S,T)``, ``stored_wh (S,T+1)``, ``curtailed_wh (T,)``, ``loss_wh (S,T)``.
    """
    generation_wh = np.ascontiguousarray(generation_wh, dtype=float)
    demand_wh = np.ascontiguousarray(np.atleast_2d(demand_wh), dtype=float)
    capacity = np.atleast_1d(np.asarray(capacity_wh, dtype=float))
    n_store, n_steps = capacity.shape[0], generation_wh.shape[0]
    eta = np.sqrt(np.broadcast_to(np.asarray(round_trip_efficiency, float), (n_store,)))
    floor = capacity * (1.0 - np.broadcast_to(np.asarray(depth_of_discharge, float), (n_store,)))
    initial = capacity * np.broadcast_to(np.asarray(initial_soc, float), (n_store,))
    max_in = np.full(n_store, np.inf) if max_charge_wh is None else np.asarray(max_charge_wh, float)
    max_out = (
        np.full(n_store, np.inf)
        if max_discharge_wh is None
        else np.asarray(max_discharge_wh, float)
    )
    if usable is None:
        usable = np.ones((n_store, n_steps), dtype=np.bool_)
    usable = np.ascontiguousarray(np.broadcast_to(usable, (n_store, n_steps)), dtype=np.bool_)
    served, charge, discharge, stored, curtailed = _dispatch(
        generation_wh,
        demand_wh,
        capacity,
        floor,
        initial,
        np.ascontiguousarray(eta),
        np.ascontiguousarray(max_in),
        np.ascontiguousarray(max_out),
        usable,
    )
    loss = (1.0 - eta[:, None]) * charge + (1.0 / eta[:, None] - 1.0) * discharge
    return {
        "served_wh": served,
        "charge_wh": charge,
        "discharge_wh": discharge,
        "stored_wh": stored,
        "curtailed_wh": curtailed,
        "loss_wh": loss,
        "floor_wh": floor,
        "eta": eta,
    }


def battery_capacity_for_night_wh(
    load_w: float,
    night_h: float,
    *,
    round_trip_efficiency: float,
    depth_of_discharge: float,
    margin: float = 0.0,
) -> float:
    """Smallest storage capacity (Wh) that carries ``load_w`` through ``night_h`` of darkness.

    The unit starts full and may fall to ``1 - depth_of_discharge``; delivering ``E = P t``
    draws ``E / sqrt(rt)`` from the store (discharge efficiency is the square root of the
    round-trip efficiency), so ``C = P t / (sqrt(rt) * DoD) * (1 + margin)``. Exact for the
    dispatch of :func:`dispatch` when the day fully recharges the unit.

    >>> round(battery_capacity_for_night_wh(1000, 354, round_trip_efficiency=0.81,
    ...                                     depth_of_discharge=0.8))
    491667
    """
    if not 0 < round_trip_efficiency <= 1:
        raise InputError(
            f"must be in (0, 1], got {round_trip_efficiency}", field="round_trip_efficiency"
        )
    if not 0 < depth_of_discharge <= 1:
        raise InputError(f"must be in (0, 1], got {depth_of_discharge}", field="depth_of_discharge")
    if load_w < 0 or night_h < 0 or margin < 0:
        raise InputError("load_w, night_h and margin must be >= 0", field="load_w")
    return load_w * night_h / (np.sqrt(round_trip_efficiency) * depth_of_discharge) * (1 + margin)
