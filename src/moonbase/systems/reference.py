"""A notional ILRS-like reference station for examples, the CLI default and benchmarks.

Numbers are notional, chosen from the public classes of hardware in the project reference
notes: a 40 kWe fission surface power unit (NASA FSP class) arriving in 2034, vertical solar
arrays on masts (the south-pole choice), lithium-ion batteries and a regenerative fuel cell,
a habitat, ECLSS with ISS-like closures, an ISRU oxygen plant and a comms terminal.
"""

from __future__ import annotations

from moonbase.systems.components import Station, parse_station

__all__ = ["reference_station"]


def reference_station(n_science: int = 0) -> Station:
    """The reference station; ``n_science`` adds that many 500 W / 2 Mbps instruments."""
    components = [
        {
            "type": "solar_array",
            "name": "array-1",
            "rated_power_w": 30_000.0,
            "mount": "vertical_tracking",
            "mast_height_m": 10.0,
            "mass_kg": 900.0,
            "mtbf_h": 50_000.0,
            "mttr_h": 48.0,
            "spares": 2,
        },
        {
            "type": "solar_array",
            "name": "array-2",
            "rated_power_w": 30_000.0,
            "mount": "vertical_tracking",
            "mast_height_m": 10.0,
            "mass_kg": 900.0,
            "arrival_utc": "2031-01-01T00:00:00",
            "mtbf_h": 50_000.0,
            "mttr_h": 48.0,
            "spares": 2,
        },
        {
            "type": "fission_reactor",
            "name": "fsp-40",
            "power_w": 40_000.0,
            "mass_kg": 6_000.0,
            "arrival_utc": "2034-01-01T00:00:00",
            "mtbf_h": 100_000.0,
            "mttr_h": 720.0,
        },
        {
            "type": "battery",
            "name": "li-ion",
            "capacity_wh": 600_000.0,
            "round_trip_efficiency": 0.9,
            "depth_of_discharge": 0.8,
            "max_discharge_w": 60_000.0,
            "mass_kg": 4_000.0,
            "mtbf_h": 40_000.0,
            "mttr_h": 72.0,
            "spares": 1,
        },
        {
            "type": "regenerative_fuel_cell",
            "name": "rfc",
            "capacity_wh": 1_000_000.0,
            "round_trip_efficiency": 0.5,
            "max_charge_w": 20_000.0,
            "max_discharge_w": 15_000.0,
            "mass_kg": 3_000.0,
            "arrival_utc": "2032-01-01T00:00:00",
        },
        {
            "type": "habitat",
            "name": "habitat",
            "power_w": 4_000.0,
            "mass_kg": 15_000.0,
            "heat_capacity_j_per_k": 5.0e7,
            "conductance_w_per_k": 30.0,
        },
        {
            "type": "eclss",
            "name": "eclss",
            "power_w_per_crew": 500.0,
            "o2_closure": 0.5,
            "water_recovery": 0.9,
            "initial_o2_kg": 500.0,
            "initial_water_kg": 2_000.0,
            "initial_food_kg": 1_000.0,
            "mtbf_h": 20_000.0,
            "mttr_h": 24.0,
            "spares": 3,
        },
        {
            "type": "isru_plant",
            "name": "isru-o2",
            "power_w": 10_000.0,
            "o2_yield_kg_per_kwh": 0.06,
            "regolith_kg_per_kg_o2": 20.0,
            "mass_kg": 2_500.0,
            "arrival_utc": "2033-01-01T00:00:00",
            "mtbf_h": 8_000.0,
            "mttr_h": 168.0,
            "spares": 4,
        },
        {
            "type": "comms_terminal",
            "name": "comms",
            "power_w": 300.0,
            "dte_rate_mbps": 50.0,
            "relay_rate_mbps": 5.0,
            "buffer_gbit": 2_000.0,
            "mtbf_h": 30_000.0,
            "spares": 1,
        },
        {"type": "load", "name": "command-centre", "power_w": 1_500.0, "priority": 1},
    ]
    for i in range(n_science):
        components.append(
            {
                "type": "load",
                "name": f"instrument-{i + 1}",
                "power_w": 500.0,
                "priority": 2 + i % 3,
                "data_rate_mbps": 2.0,
                "mtbf_h": 20_000.0,
                "spares": 1,
            }
        )
    return parse_station({"name": "ILRS-like reference station", "components": components})
