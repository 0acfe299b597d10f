"""The lunar-orbit node: CR3BP halo/NRHO families, LLO and frozen ELFO, ephemeris-model
propagation, eclipses (the Earth's and the Moon's shadows apart, the phase chosen over a
campaign, the battery for the longest eclipse), Earth and site visibility, transfer delta-v
and CCSDS OEM export.

>>> from moonbase.orbit import lagrange_points
>>> round(float(lagrange_points()["L2"][0]), 6)
1.155682
"""

from moonbase.orbit.analysis import OrbitReport, analyse_orbit, sample_epochs
from moonbase.orbit.cr3bp import (
    EARTH_MOON,
    CR3BPSystem,
    jacobi_constant,
    lagrange_points,
    propagate_cr3bp,
)
from moonbase.orbit.eclipses import (
    Eclipses,
    PhaseScan,
    battery_capacity_for_eclipse_wh,
    eclipse_energy_wh,
    eclipse_phase_scan,
    eclipses_by_body,
    node_eclipses,
)
from moonbase.orbit.ephemeris_model import propagate_ephemeris, rotating_to_mci
from moonbase.orbit.kepler import frozen_inclination_deg, kepler_period_s
from moonbase.orbit.oem import read_oem, write_oem
from moonbase.orbit.periodic import (
    PeriodicOrbit,
    continue_halo_family,
    correct_halo,
    halo_orbit,
    nrho_orbit,
    resonant_period,
)
from moonbase.orbit.shooting import EphemerisOrbit, ephemeris_orbit
from moonbase.orbit.spec import OrbitNodeSpec, node_periapsis, orbit_states
from moonbase.orbit.transfer import node_delta_v_budget

__all__ = [
    "EARTH_MOON",
    "CR3BPSystem",
    "Eclipses",
    "EphemerisOrbit",
    "OrbitNodeSpec",
    "OrbitReport",
    "PeriodicOrbit",
    "PhaseScan",
    "analyse_orbit",
    "battery_capacity_for_eclipse_wh",
    "continue_halo_family",
    "correct_halo",
    "eclipse_energy_wh",
    "eclipse_phase_scan",
    "eclipses_by_body",
    "ephemeris_orbit",
    "frozen_inclination_deg",
    "halo_orbit",
    "jacobi_constant",
    "kepler_period_s",
    "lagrange_points",
    "node_delta_v_budget",
    "node_eclipses",
    "node_periapsis",
    "nrho_orbit",
    "orbit_states",
    "propagate_cr3bp",
    "propagate_ephemeris",
    "read_oem",
    "resonant_period",
    "rotating_to_mci",
    "sample_epochs",
    "write_oem",
]
