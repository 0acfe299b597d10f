"""The station digital twin: :func:`simulate_station` runs every subsystem over the drivers.

Order of work per run, each stage vectorised over time (numba loops only where state carries
over a step): presence and random failures per component; PV and fission generation; thermal
node per habitat (heater demand); electrical dispatch with storage and load shedding; ISRU
oxygen from the energy its plant was served; ECLSS stocks with loop closures; communications
buffer. Every run then checks the conservation of energy (electrical and thermal), mass (life
support + ISRU) and data, and reports the residuals in :attr:`SimulationResult.balances`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from moonbase.errors import InputError
from moonbase.site.predicates import is_sunlit
from moonbase.systems._sums import compensated_sum
from moonbase.systems.comms import buffer_flow
from moonbase.systems.components import CARGO_COMMODITIES, Station, parse_station
from moonbase.systems.drivers import Drivers
from moonbase.systems.eclss import (
    CO2_MOLAR_MASS_G,
    O2_MOLAR_MASS_G,
    CrewRates,
    crew_flows,
    resolve_crew_rates,
    stock,
)
from moonbase.systems.failures import _own_spares, draw_up_times, repairs_from_stock
from moonbase.systems.power import dispatch, pv_incidence_factor, resolve_pv_model
from moonbase.systems.thermal import resolve_thermal_model
from moonbase.windows import Windows

__all__ = [
    "ConservationWarning",
    "SimulationResult",
    "presence",
    "run_consumables",
    "simulate_station",
]

#: Relative residual above which a run warns that a balance does not close.
BALANCE_TOLERANCE = 1e-9
_YEAR_H = 365.25 * 24.0


class ConservationWarning(UserWarning):
    """A run's energy, mass or data balance did not close to within BALANCE_TOLERANCE."""


@dataclass
class SimulationResult:
    """What :func:`simulate_station` returns: KPIs, balances and the arrays behind the series.

    ``kpis`` is a dict of scalars (units in the names); ``balances`` a DataFrame with one row per
    conserved quantity; ``series`` (built on first use) a DataFrame indexed by UTC.
    """

    station: Station
    drivers: Drivers
    kpis: dict
    balances: pd.DataFrame
    arrays: dict = field(repr=False)
    _series: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def series(self) -> pd.DataFrame:
        if self._series is None:
            index = pd.DatetimeIndex(self.drivers.times_utc, name="utc")
            self._series = pd.DataFrame(self.arrays, index=index)
        return self._series

    def figures(self) -> dict:
        """Plotly figures for the report (see :mod:`moonbase.systems.figures`)."""
        from moonbase.systems.figures import result_figures

        return result_figures(self)

    def write_series(self, path) -> None:
        """Write the series to ``path`` (``.parquet`` or ``.csv``), atomically."""
        from moonbase.systems.output import write_series

        write_series(self.series, path)

    def kpi_table(self) -> pd.DataFrame:
        """The KPIs as a two-column DataFrame (``kpi``, ``value``)."""
        return pd.DataFrame({"kpi": list(self.kpis), "value": list(self.kpis.values())})


def _utc_naive(value) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def presence(component, times: pd.DatetimeIndex) -> np.ndarray:
    """Is ``component`` on the surface at each of ``times`` (naive UTC): arrived, not retired."""
    present = np.ones(len(times), dtype=bool)
    if component.arrival_utc is not None:
        present &= times >= _utc_naive(component.arrival_utc)
    if component.retire_utc is not None:
        present &= times < _utc_naive(component.retire_utc)
    return present


def _run_profile(component, times: pd.DatetimeIndex, step_h: float):
    """Mean power (W) and data made (Gbit) per step of a scheduled load's runs.

    Step ``i`` covers ``[t_i, t_i + step)``; a run draws ``power_w`` over the part of the step
    it covers and makes its data in proportion to the part of its duration in the step, so its
    energy is ``power_w * duration_h`` and its data ``data_volume_gbit`` when it lies inside
    the span.
    """
    n = len(times)
    power_w, data_gbit = np.zeros(n), np.zeros(n)
    origin = times[0]
    for run in component.runs:
        a = (_utc_naive(run.start_utc) - origin) / pd.Timedelta(hours=1)
        b = a + run.duration_h
        first = max(int(np.floor(a / step_h)), 0)
        last = min(int(np.ceil(b / step_h)), n)
        if last <= first:
            continue
        edges = np.arange(first, last + 1) * step_h
        covered_h = np.clip(np.minimum(edges[1:], b) - np.maximum(edges[:-1], a), 0.0, None)
        power_w[first:last] += run.power_w * covered_h / step_h
        data_gbit[first:last] += run.data_volume_gbit * covered_h / run.duration_h
    return power_w, data_gbit


def _deliveries(station: Station, present: dict, n: int) -> dict[str, np.ndarray]:
    """Mass delivered to the stores per step and commodity: each cargo on its first step."""
    out = {key: np.zeros(n) for key in CARGO_COMMODITIES}
    for c in station.of_type("cargo"):
        mask = present[c.name]
        if not mask.any():
            continue
        step = int(np.argmax(mask))
        for key, kg in c.contents_kg.items():
            out[key][step] += kg
    return out


def run_consumables(component, times: pd.DatetimeIndex, step_h: float) -> np.ndarray:
    """Science consumables (kg) a scheduled load's runs draw, each on the step it starts.

    ``times`` is the naive-UTC step grid; runs starting outside it draw nothing.
    """
    out = np.zeros(len(times))
    origin = times[0]
    for run in component.runs:
        if run.consumables_kg <= 0:
            continue
        a = (_utc_naive(run.start_utc) - origin) / pd.Timedelta(hours=1)
        step = int(np.floor(a / step_h))
        if 0 <= step < len(times):
            out[step] += run.consumables_kg
    return out


def _fsum(values) -> float:
    return compensated_sum(values)


def _balance_row(name, unit, inflow, outflow, stored_change, step_residual, step_scale):
    residual = inflow - outflow - stored_change
    scale = max(abs(inflow), abs(outflow), abs(stored_change), 1e-300)
    step_scale = np.maximum(np.abs(step_scale), 1e-300)
    worst = float(np.max(np.abs(step_residual) / step_scale)) if np.size(step_residual) else 0.0
    return {
        "quantity": name,
        "unit": unit,
        "inflow": inflow,
        "outflow": outflow,
        "stored_change": stored_change,
        "residual": residual,
        "relative_residual": abs(residual) / scale,
        "max_step_relative_residual": worst,
    }


def _margin_after_longest_dark(dark, margin_h) -> float:
    """Survival margin (h) at the last step of the longest complete darkness (NaN: none)."""
    length, start = Windows.from_flags(dark).longest()
    if start is None:
        return float("nan")
    return float(margin_h[int(start + length) - 1])


def _runs_h(flags, step_h) -> float:
    """Hours of the longest run of ``True`` in a per-step series."""
    return Windows.from_flags(flags).longest()[0] * step_h


def simulate_station(
    station: Station | dict,
    drivers: Drivers,
    *,
    failures: bool = False,
    seed: int | None = 0,
    pv_model=None,
    thermal_model="single_node",
    crew_rates: CrewRates | str | None = None,
    check: bool = True,
) -> SimulationResult:
    """Simulate ``station`` over ``drivers``' time steps; return a :class:`SimulationResult`.

    ``failures`` switches on random failures (seeded by ``seed``). ``pv_model`` overrides the
    incidence model of every array (a name from :data:`~moonbase.systems.power.PV_MODELS` or a
    callable); ``thermal_model`` is a name from
    :data:`~moonbase.systems.thermal.THERMAL_MODELS` or a callable. ``crew_rates`` are the
    per-crew-day figures: a name in :data:`~moonbase.systems.eclss.CREW_RATES` (default
    ``"bvad-rev2"``; ``"bvad-2004"`` for the earlier edition) or a
    :class:`~moonbase.systems.eclss.CrewRates`. With ``check`` a balance that does not close
    raises a :class:`ConservationWarning`.
    """
    station = parse_station(station)
    if not isinstance(drivers, Drivers):
        raise InputError("expected a moonbase.systems.Drivers", field="drivers")
    thermal = resolve_thermal_model(thermal_model)
    rates = resolve_crew_rates(crew_rates)
    times = drivers.times_utc
    n, dt_s, dt_h = len(drivers), drivers.step_s, drivers.step_h
    rng = np.random.default_rng(seed) if failures else None

    present, working, n_failures, n_final = {}, {}, 0, 0
    draws = {}
    for c in station.components:
        present[c.name] = presence(c, times)
        start = int(np.argmax(present[c.name])) if present[c.name].any() else n
        up_h = draw_up_times(n, dt_h, mtbf_h=c.mtbf_h, start_index=start, rng=rng)
        draws[c.name] = (up_h, start)
        if c.spare_mass_kg > 0:
            continue  # repaired from the station's spares stock, below
        ok, k, final = _own_spares(n, dt_h, up_h, c.mttr_h, c.spares, start)
        working[c.name] = ok
        n_failures += k
        n_final += int(final)
    delivered = _deliveries(station, present, n)
    stocked = [c for c in station.components if c.spare_mass_kg > 0]
    repairs = repairs_from_stock(
        n,
        dt_h,
        [
            {
                "up_h": draws[c.name][0],
                "start_index": draws[c.name][1],
                "mttr_h": c.mttr_h,
                "spares": c.spares,
                "spare_mass_kg": c.spare_mass_kg,
            }
            for c in stocked
        ],
        delivered["spares"],
    )
    for c, ok, k, final in zip(
        stocked, repairs.working, repairs.failures, repairs.final, strict=True
    ):
        working[c.name] = ok
        n_failures += k
        n_final += int(final)

    def on(c):
        return present[c.name] & working[c.name]

    arrays: dict[str, np.ndarray] = {}
    # --- generation ---------------------------------------------------------------------
    pv_w = np.zeros(n)
    for c in station.of_type("solar_array"):
        model = resolve_pv_model(
            pv_model if pv_model is not None else c.mount,
            tilt_deg=c.tilt_deg,
            field=f"{c.name}.mount",
        )
        factor = pv_incidence_factor(model, drivers, c.tilt_deg, c.azimuth_deg)
        start = int(np.argmax(present[c.name])) if present[c.name].any() else n
        age_h = np.maximum(np.arange(n) - start, 0) * dt_h
        degradation = (1.0 - c.degradation_per_year) ** (age_h / _YEAR_H)
        pv_w = pv_w + c.rated_power_w * factor * degradation * on(c)
    fission_w = np.zeros(n)
    for c in station.of_type("fission_reactor"):
        fission_w = fission_w + c.power_w * on(c)
    generation_wh = (pv_w + fission_w) * dt_h

    # --- loads (rows in serving order) ----------------------------------------------------
    rows: list[tuple[int, int, str, str, np.ndarray]] = []  # priority, order, name, kind, W
    habitat_thermal = {}
    science_data = {}
    for order, c in enumerate(station.components):
        if c.type == "scheduled_load":
            profile_w, science_data[c.name] = _run_profile(c, times, dt_h)
            rows.append((c.priority, order, c.name, c.type, profile_w * on(c)))
        elif c.type == "load":
            rows.append((c.priority, order, c.name, "load", c.power_w * on(c)))
        elif c.type == "habitat":
            base_w = c.power_w * on(c)
            rows.append((c.priority, order, c.name, "habitat", base_w))
            start = int(np.argmax(present[c.name])) if present[c.name].any() else n
            result = thermal(c, drivers, base_w, start)
            habitat_thermal[c.name] = (result, base_w, start)
            rows.append((1, order, f"{c.name}:heater", "heater", result["heater_w"]))
        elif c.type == "eclss":
            rows.append(
                (c.priority, order, c.name, "eclss", c.power_w_per_crew * drivers.crew * on(c))
            )
        elif c.type in ("isru_plant", "comms_terminal"):
            rows.append((c.priority, order, c.name, c.type, c.power_w * on(c)))
    rows.sort(key=lambda r: (r[0], r[1]))
    demand_w = np.array([r[4] for r in rows], dtype=float).reshape(len(rows), n)
    demand_wh = demand_w * dt_h

    storage = station.of_type("battery", "regenerative_fuel_cell")
    usable = np.array([on(c) for c in storage], dtype=bool).reshape(len(storage), n)
    power = dispatch(
        generation_wh,
        demand_wh,
        capacity_wh=[c.capacity_wh for c in storage],
        depth_of_discharge=[c.depth_of_discharge for c in storage],
        round_trip_efficiency=[c.round_trip_efficiency for c in storage],
        initial_soc=[c.initial_soc for c in storage],
        max_charge_wh=[(c.max_charge_w or np.inf) * dt_h for c in storage],
        max_discharge_wh=[(c.max_discharge_w or np.inf) * dt_h for c in storage],
        usable=usable,
    )
    served_wh = power["served_wh"]
    row_of = {r[2]: i for i, r in enumerate(rows)}
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(demand_wh > 0, served_wh / np.where(demand_wh > 0, demand_wh, 1), 1.0)

    def served_fraction(c):
        return fraction[row_of[c.name]] * on(c)

    priorities = np.array([r[0] for r in rows])
    unserved_wh = demand_wh - served_wh
    shed = (unserved_wh > 1e-9 * np.maximum(demand_wh, 1.0)).any(axis=0)
    critical = priorities == 1
    critical_unserved_wh = unserved_wh[critical].sum(axis=0)

    # --- ISRU and life support --------------------------------------------------------------
    isru_o2 = np.zeros(n)
    regolith = np.zeros(n)
    for c in station.of_type("isru_plant"):
        o2 = served_wh[row_of[c.name]] / 1000.0 * c.o2_yield_kg_per_kwh
        isru_o2 += o2
        regolith += o2 * c.regolith_kg_per_kg_o2
    slag = regolith - isru_o2
    eclss = station.of_type("eclss")
    if len(eclss) > 1:
        raise InputError(
            "at most one eclss component is supported",
            field="components",
            hint="merge them into one with the summed stocks",
        )
    if drivers.crew.max() > 0 and not eclss:
        raise InputError(
            "crew on board but the station has no eclss component",
            field="crew",
            hint='add a component with type = "eclss"',
        )
    flows = crew_flows(drivers.crew, dt_s, rates)
    # hygiene and laundry water leave the water stock as grey water; packaging leaves the food
    # stock with the food and becomes trash (BVAD Rev 2 figures, moonbase.systems.eclss)
    used_water = flows["waste_water_kg"] + flows["grey_water_kg"]
    if eclss:
        e = eclss[0]
        f = served_fraction(e)
        co2_reduced = e.o2_closure * f * flows["co2_generated_kg"]
        water_recovered = e.water_recovery * f * used_water
        initial = (e.initial_o2_kg, e.initial_water_kg, e.initial_food_kg, e.initial_n2_kg)
        # cabin air leaks while the cabin is pressurised (crew on board); its O2 comes from
        # the O2 stock, the rest (N2 and Ar) from the make-up gas stock
        leaked = e.cabin_leak_kg_per_day * (drivers.crew > 0) * present[e.name] * dt_s / 86400.0
        leak_o2 = leaked * e.cabin_o2_mass_fraction
    else:
        co2_reduced = water_recovered = leaked = leak_o2 = np.zeros(n)
        initial = (0.0, 0.0, 0.0, 0.0)
    leak_n2 = leaked - leak_o2
    o2_recovered = co2_reduced * (O2_MOLAR_MASS_G / CO2_MOLAR_MASS_G)
    carbon = co2_reduced - o2_recovered
    co2_vented = flows["co2_generated_kg"] - co2_reduced
    brine = used_water - water_recovered
    trash = flows["packaging_kg"]
    water_draw = flows["water_consumed_kg"] + flows["grey_water_kg"]
    food_draw = flows["food_consumed_kg"] + flows["packaging_kg"]
    o2_draw = flows["o2_consumed_kg"] + leak_o2
    o2_level, o2_deficit = stock(initial[0], delivered["o2"] + o2_recovered + isru_o2, o2_draw)
    water_level, water_deficit = stock(initial[1], delivered["water"] + water_recovered, water_draw)
    food_level, food_deficit = stock(initial[2], delivered["food"], food_draw)
    n2_level, n2_deficit = stock(initial[3], delivered["n2"], leak_n2)
    spares_level, _ = stock(0.0, delivered["spares"], repairs.drawn_kg)
    science_draw = np.zeros(n)
    for c in station.of_type("scheduled_load"):
        science_draw += run_consumables(c, times, dt_h) * present[c.name]
    science_level, science_deficit = stock(0.0, delivered["science"], science_draw)

    # --- communications -----------------------------------------------------------------------
    housekeeping = np.zeros(n)
    for c in station.of_type("load"):
        if c.data_rate_mbps > 0:
            housekeeping += c.data_rate_mbps * served_fraction(c) * dt_s / 1000.0
    science = np.zeros(n)
    for c in station.of_type("scheduled_load"):
        science += science_data[c.name] * served_fraction(c)
    science_demand_wh = np.zeros(n)
    science_unserved_wh = np.zeros(n)
    for c in station.of_type("scheduled_load"):
        science_demand_wh += demand_wh[row_of[c.name]]
        science_unserved_wh += unserved_wh[row_of[c.name]]
    capacity_out = np.zeros(n)
    dte_out = np.zeros(n)
    for c in station.of_type("comms_terminal"):
        rate = c.dte_rate_mbps * drivers.earth_visible + c.relay_rate_mbps * drivers.relay_available
        capacity_out += rate * served_fraction(c) * dt_s / 1000.0
        dte_out += c.dte_rate_mbps * drivers.earth_visible * served_fraction(c) * dt_s / 1000.0
    # housekeeping data first; science data get the downlink and buffer room they leave
    kept = buffer_flow(housekeeping, capacity_out, station.data_buffer_gbit)
    sci = buffer_flow(
        science,
        capacity_out - kept["delivered_gbit"],
        station.data_buffer_gbit - kept["buffer_gbit"][1:],
    )
    generated = housekeeping + science
    data = {key: kept[key] + sci[key] for key in kept}
    # direct-to-Earth is used first; the relay carries what DTE could not
    delivered_dte = np.minimum(data["delivered_gbit"], dte_out)
    delivered_relay = data["delivered_gbit"] - delivered_dte

    # --- series -------------------------------------------------------------------------------
    stored = power["stored_wh"]
    eta = power["eta"]
    floor = power["floor_wh"]
    usable_stored_wh = (np.maximum(stored[:, 1:] - floor[:, None], 0) * eta[:, None] * usable).sum(
        axis=0
    )
    critical_w = demand_w[critical].sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        margin_h = np.where(critical_w > 0, usable_stored_wh / critical_w, np.inf)
    arrays.update(
        {
            "sun_fraction": drivers.sun_fraction,
            "earth_visible": drivers.earth_visible,
            "relay_available": drivers.relay_available,
            "crew": drivers.crew,
            "pv_w": pv_w,
            "fission_w": fission_w,
            "demand_w": demand_w.sum(axis=0),
            "served_w": served_wh.sum(axis=0) / dt_h,
            "unserved_w": unserved_wh.sum(axis=0) / dt_h,
            "critical_unserved_w": critical_unserved_wh / dt_h,
            "load_shed": shed,
            "charge_w": power["charge_wh"].sum(axis=0) / dt_h,
            "discharge_w": power["discharge_wh"].sum(axis=0) / dt_h,
            "storage_loss_w": power["loss_wh"].sum(axis=0) / dt_h,
            "curtailed_w": power["curtailed_wh"] / dt_h,
            "stored_wh": stored[:, 1:].sum(axis=0),
            "survival_margin_h": margin_h,
        }
    )
    for i, c in enumerate(storage):
        arrays[f"soc:{c.name}"] = stored[i, 1:] / c.capacity_wh if c.capacity_wh > 0 else 0.0 * pv_w
    for name, (result, _, _) in habitat_thermal.items():
        arrays[f"temperature_c:{name}"] = result["temperature_c"][1:]
        arrays[f"heater_w:{name}"] = result["heater_w"]
    for i, r in enumerate(rows):
        arrays[f"served_w:{r[2]}"] = served_wh[i] / dt_h
    arrays.update(
        {
            "o2_stock_kg": o2_level[1:],
            "water_stock_kg": water_level[1:],
            "food_stock_kg": food_level[1:],
            "n2_stock_kg": n2_level[1:],
            "spares_stock_kg": spares_level[1:],
            "science_stock_kg": science_level[1:],
            "isru_o2_kg": isru_o2,
            "o2_recovered_kg": o2_recovered,
            "o2_consumed_kg": o2_draw,
            "water_consumed_kg": water_draw,
            "water_recovered_kg": water_recovered,
            "food_consumed_kg": food_draw,
            "n2_consumed_kg": leak_n2,
            "spares_consumed_kg": repairs.drawn_kg,
            "science_consumed_kg": science_draw,
            "o2_deficit_kg": o2_deficit,
            "water_deficit_kg": water_deficit,
            "food_deficit_kg": food_deficit,
            "n2_deficit_kg": n2_deficit,
            "science_deficit_kg": science_deficit,
            **{f"{key}_delivered_kg": delivered[key] for key in CARGO_COMMODITIES},
            "data_generated_gbit": generated,
            "data_delivered_gbit": data["delivered_gbit"],
            "data_delivered_dte_gbit": delivered_dte,
            "data_delivered_relay_gbit": delivered_relay,
            "data_lost_gbit": data["lost_gbit"],
            "data_buffer_gbit": data["buffer_gbit"][1:],
            "downlink_capacity_gbit": capacity_out,
            "science_data_generated_gbit": science,
            "science_data_delivered_gbit": sci["delivered_gbit"],
            "science_data_lost_gbit": sci["lost_gbit"],
        }
    )

    # --- conservation checks -----------------------------------------------------------------
    charge, discharge = power["charge_wh"], power["discharge_wh"]
    curtailed, loss = power["curtailed_wh"], power["loss_wh"]
    step_electric = (
        generation_wh
        + discharge.sum(axis=0)
        - served_wh.sum(axis=0)
        - charge.sum(axis=0)
        - curtailed
    )
    balances = [
        _balance_row(
            "electrical energy",
            "Wh",
            _fsum(generation_wh),
            _fsum(served_wh) + _fsum(curtailed) + _fsum(loss),
            _fsum(stored[:, -1]) - _fsum(stored[:, 0]),
            step_electric,
            generation_wh + discharge.sum(axis=0),
        )
    ]
    if len(storage):
        step_store = np.diff(stored, axis=1) - (eta[:, None] * charge - discharge / eta[:, None])
        balances[0]["max_step_relative_residual"] = max(
            balances[0]["max_step_relative_residual"],
            float(np.max(np.abs(step_store) / np.maximum(stored[:, 1:] + stored[:, :-1], 1e-300))),
        )
    for name, (result, base_w, start) in habitat_thermal.items():
        c = station.get(name)
        temp = result["temperature_c"]
        if start >= n or np.isnan(temp[start]):
            continue
        heat_in = _fsum((base_w[start:] + result["heater_w"][start:]) * dt_s)
        heat_out = _fsum(result["to_sink_w"][start:] * dt_s)
        change = c.heat_capacity_j_per_k * (temp[-1] - temp[start])
        step_in = (base_w + result["heater_w"] - result["to_sink_w"])[start:] * dt_s
        step_change = c.heat_capacity_j_per_k * np.diff(temp[start:])
        balances.append(
            _balance_row(
                f"heat in {name}",
                "J",
                heat_in,
                heat_out,
                change,
                step_change - step_in,
                np.abs(step_in)
                + c.heat_capacity_j_per_k * (np.abs(temp[start:-1]) + np.abs(temp[start + 1 :])),
            )
        )
    delivered_life = delivered["o2"] + delivered["water"] + delivered["food"] + delivered["n2"]
    mass_in = regolith + delivered_life + o2_deficit + water_deficit + food_deficit + n2_deficit
    mass_out = co2_vented + carbon + brine + flows["solid_waste_kg"] + trash + slag + leaked
    crew_in = flows["o2_consumed_kg"] + flows["food_consumed_kg"] + flows["water_consumed_kg"]
    crew_out = flows["co2_generated_kg"] + flows["solid_waste_kg"] + flows["waste_water_kg"]
    levels = (o2_level, water_level, food_level, n2_level)
    stocks_change = sum(np.diff(level) for level in levels)
    body_change = crew_in - crew_out
    balances.append(
        _balance_row(
            "mass (life support + ISRU)",
            "kg",
            _fsum(mass_in),
            _fsum(mass_out),
            sum(level[-1] - level[0] for level in levels) + _fsum(body_change),
            mass_in - mass_out - stocks_change - body_change,
            mass_in
            + mass_out
            + crew_in
            + water_draw
            + food_draw
            + o2_draw
            + sum(level[1:] for level in levels)
            + 1e-300,
        )
    )
    # each store: delivered + made + unmet demand = drawn + its change
    stores = {
        "o2": (o2_level, o2_recovered + isru_o2, o2_deficit, o2_draw),
        "water": (water_level, water_recovered, water_deficit, water_draw),
        "food": (food_level, 0.0, food_deficit, food_draw),
        "n2": (n2_level, 0.0, n2_deficit, leak_n2),
        "spares": (spares_level, 0.0, 0.0, repairs.drawn_kg),
        "science": (science_level, 0.0, science_deficit, science_draw),
    }
    for key, (level, made, unmet, drawn) in stores.items():
        inflow = delivered[key] + made + unmet
        balances.append(
            _balance_row(
                f"{key} store",
                "kg",
                _fsum(inflow),
                _fsum(drawn),
                level[-1] - level[0],
                inflow - drawn - np.diff(level),
                inflow + drawn + level[1:] + 1e-300,
            )
        )
    balances.append(
        _balance_row(
            "data",
            "Gbit",
            _fsum(generated),
            _fsum(data["delivered_gbit"]) + _fsum(data["lost_gbit"]),
            data["buffer_gbit"][-1] - data["buffer_gbit"][0],
            generated - data["delivered_gbit"] - data["lost_gbit"] - np.diff(data["buffer_gbit"]),
            generated + data["buffer_gbit"][:-1] + 1e-300,
        )
    )
    balances = pd.DataFrame(balances)
    if check:
        bad = balances[
            (balances["relative_residual"] > BALANCE_TOLERANCE)
            | (balances["max_step_relative_residual"] > BALANCE_TOLERANCE)
        ]
        for row in bad.itertuples():
            warnings.warn(
                f"{row.quantity} does not balance: residual {row.residual:.3g} {row.unit} "
                f"(relative {row.relative_residual:.3g})",
                ConservationWarning,
                stacklevel=2,
            )

    heater_wh = sum(_fsum(r["heater_w"]) for r, _, _ in habitat_thermal.values()) * dt_h
    kpis = {
        "steps": n,
        "step_h": dt_h,
        "energy_demand_kwh": _fsum(demand_wh) / 1000.0,
        "energy_not_served_kwh": _fsum(unserved_wh) / 1000.0,
        "critical_energy_not_served_kwh": _fsum(critical_unserved_wh) / 1000.0,
        "hours_in_load_shed": float(shed.sum() * dt_h),
        "longest_load_shed_h": _runs_h(shed, dt_h),
        "hours_critical_unserved": float((critical_unserved_wh > 1e-9).sum() * dt_h),
        "min_survival_margin_h": float(np.min(margin_h)) if n else float("nan"),
        "longest_dark_hours": _runs_h(~is_sunlit(drivers.sun_fraction), dt_h),
        "survival_margin_after_longest_darkness_h": _margin_after_longest_dark(
            ~is_sunlit(drivers.sun_fraction), margin_h
        ),
        "pv_energy_kwh": _fsum(pv_w) * dt_h / 1000.0,
        "fission_energy_kwh": _fsum(fission_w) * dt_h / 1000.0,
        "curtailed_kwh": _fsum(curtailed) / 1000.0,
        "storage_loss_kwh": _fsum(loss) / 1000.0,
        "heater_energy_kwh": heater_wh / 1000.0,
        "o2_produced_kg": _fsum(isru_o2),
        "o2_recovered_kg": _fsum(o2_recovered),
        "crew_days": _fsum(drivers.crew) * dt_s / 86400.0,
        "o2_consumed_kg": _fsum(o2_draw),
        "water_consumed_kg": _fsum(water_draw),
        "water_recovered_kg": _fsum(water_recovered),
        "food_consumed_kg": _fsum(food_draw),
        "packaging_waste_kg": _fsum(trash),
        "o2_deficit_kg": _fsum(o2_deficit),
        "water_deficit_kg": _fsum(water_deficit),
        "food_deficit_kg": _fsum(food_deficit),
        "n2_consumed_kg": _fsum(leak_n2),
        "n2_deficit_kg": _fsum(n2_deficit),
        "cargo_delivered_kg": _fsum(sum(delivered.values())),
        "spares_consumed_kg": _fsum(repairs.drawn_kg),
        "repairs_waiting_h": float(sum(repairs.waiting_h)),
        "science_consumed_kg": _fsum(science_draw),
        "science_deficit_kg": _fsum(science_deficit),
        "data_generated_gbit": _fsum(generated),
        "data_delivered_gbit": _fsum(data["delivered_gbit"]),
        "data_delivered_dte_gbit": _fsum(delivered_dte),
        "data_delivered_relay_gbit": _fsum(delivered_relay),
        "data_lost_gbit": _fsum(data["lost_gbit"]),
        "downlink_capacity_gbit": _fsum(capacity_out),
        "science_energy_demand_kwh": _fsum(science_demand_wh) / 1000.0,
        "science_energy_not_served_kwh": _fsum(science_unserved_wh) / 1000.0,
        "science_data_generated_gbit": _fsum(science),
        "science_data_delivered_gbit": _fsum(sci["delivered_gbit"]),
        "science_data_lost_gbit": _fsum(sci["lost_gbit"]),
        "failures": n_failures,
        "final_failures": n_final,
        "max_balance_relative_residual": float(
            balances[["relative_residual", "max_step_relative_residual"]].to_numpy().max()
        ),
    }
    return SimulationResult(station, drivers, kpis, balances, arrays)
