"""Thermal: one node per module, survival heaters holding a set point through darkness.

Each module is a lumped node of heat capacity ``C`` (J/K) coupled by a conductance ``G`` (W/K)
to an effective sink whose temperature moves with the Sun: ``T_sink = T_dark + (T_lit - T_dark)
* sun_fraction``. An explicit step of length ``dt`` gives

    C (T[t+1] - T[t]) = dt (G (T_sink[t] - T[t]) + P_internal[t] + P_heater[t])

and the heater supplies what keeps ``T[t+1] >= set point`` (up to its maximum). Held at the set
point in steady darkness the heater power is ``G (T_set - T_dark) - P_internal``; the stored
heat closes exactly (up to rounding) against the heat in and out, which every run checks. The
explicit step is stable for ``G dt / C < 1``.
"""

from __future__ import annotations

import numba
import numpy as np

from moonbase.errors import InputError

__all__ = ["THERMAL_MODELS", "node_temperatures", "resolve_thermal_model"]


@numba.njit(cache=True)
def _node(
    sink_c, internal_w, setpoint_c, heater_max_w, initial_c, c_j_per_k, g_w_per_k, dt_s, start
):  # pragma: no cover - compiled
    n = sink_c.shape[0]
    temperature = np.full(n + 1, np.nan)
    heater = np.zeros(n)
    to_sink = np.zeros(n)
    if start >= n:
        return temperature, heater, to_sink
    temp = initial_c
    temperature[start] = temp
    for t in range(start, n):
        flow = g_w_per_k * (sink_c[t] - temp)
        free = temp + dt_s / c_j_per_k * (flow + internal_w[t])
        q = 0.0
        if free < setpoint_c:
            q = min(heater_max_w, (setpoint_c - free) * c_j_per_k / dt_s)
        heater[t] = q
        to_sink[t] = -flow
        temp = temp + dt_s / c_j_per_k * (flow + internal_w[t] + q)
        temperature[t + 1] = temp
    return temperature, heater, to_sink


def single_node(habitat, drivers, internal_w, start_index: int) -> dict:
    """Node model of one :class:`~moonbase.systems.components.Habitat` (see module docstring)."""
    dt = drivers.step_s
    c, g = habitat.heat_capacity_j_per_k, habitat.conductance_w_per_k
    if g * dt / c >= 1.0:
        raise InputError(
            f"thermal step unstable: G dt / C = {g * dt / c:.3g} >= 1",
            field=f"{habitat.name}.heat_capacity_j_per_k",
            hint="raise the heat capacity or use a shorter step",
        )
    sink = habitat.dark_sink_c + (habitat.lit_sink_c - habitat.dark_sink_c) * drivers.sun_fraction
    initial = (
        habitat.setpoint_c
        if habitat.initial_temperature_c is None
        else (habitat.initial_temperature_c)
    )
    temperature, heater, to_sink = _node(
        np.ascontiguousarray(sink),
        np.ascontiguousarray(internal_w, dtype=float),
        float(habitat.setpoint_c),
        float(habitat.heater_max_w),
        float(initial),
        float(c),
        float(g),
        float(dt),
        int(start_index),
    )
    return {"temperature_c": temperature, "heater_w": heater, "to_sink_w": to_sink}


def no_thermal(habitat, drivers, internal_w, start_index: int) -> dict:
    """No thermal model: no heaters, temperatures unknown."""
    n = len(drivers)
    return {
        "temperature_c": np.full(n + 1, np.nan),
        "heater_w": np.zeros(n),
        "to_sink_w": np.zeros(n),
    }


#: Thermal models by name: ``f(habitat, drivers, internal_w, start_index) -> dict``.
THERMAL_MODELS = {"single_node": single_node, "none": no_thermal}


def resolve_thermal_model(model):
    """A thermal model from a name or a callable; the error lists the valid names."""
    if callable(model):
        return model
    try:
        return THERMAL_MODELS[model]
    except KeyError:
        raise InputError(
            f"unknown thermal model {model!r}",
            field="thermal_model",
            hint=f"use one of {', '.join(THERMAL_MODELS)} or pass a callable",
        ) from None


def node_temperatures(habitat, drivers, internal_w=None, start_index: int = 0) -> dict:
    """Convenience: the single-node model with ``internal_w`` defaulting to the base load."""
    if internal_w is None:
        internal_w = np.full(len(drivers), habitat.power_w)
    return single_node(habitat, drivers, internal_w, start_index)
