"""The orbit-node option as a scenario field, and the trajectory it stands for.

:class:`OrbitNodeSpec` (pydantic) names a family and its parameters; :func:`orbit_states`
turns it into Moon-centred J2000 states at any TDB epochs:

* ``nrho`` / ``halo``: the CR3BP periodic orbit laid into the real Earth-Moon geometry (its
  rotating frame turned with the DE421 Earth-Moon line, CR3BP length and time units kept), phase
  advancing uniformly from ``epoch`` (``phase`` = fraction of a period past apolune there).
  This is the long-term *reference* an operated, station-kept orbit follows; an uncontrolled
  orbit in the ephemeris model drifts off within a few revolutions.
* ``llo`` / ``elfo``: Keplerian ellipse about the Moon, elements on the lunar equator (MOON_ME at
  ``epoch``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from moonbase.constants import MOON_RADIUS_KM
from moonbase.errors import InputError
from moonbase.orbit.kepler import frozen_inclination_deg, kepler_states
from moonbase.orbit.periodic import PeriodicOrbit, halo_orbit, nrho_orbit

__all__ = ["OrbitNodeSpec", "node_periapsis", "orbit_period_s", "orbit_states", "periodic_orbit"]


class OrbitNodeSpec(BaseModel):
    """An orbital node of the station.

    ``family``:
      * ``nrho``: L2 near-rectilinear halo orbit with a synodic resonance ``resonance`` ("9:2")
        and ``branch`` ("south": apolune over the lunar south pole);
      * ``halo``: L2 halo orbit with ``z_amplitude_km``;
      * ``llo``: circular low lunar orbit, ``altitude_km``, ``inclination_deg``;
      * ``elfo``: elliptical (frozen) lunar orbit, ``periapsis_altitude_km``,
        ``apoapsis_altitude_km``, ``inclination_deg`` (omit for the frozen value) and
        ``argument_of_periapsis_deg`` (90: apoapsis over the south pole).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: Literal["nrho", "halo", "llo", "elfo"]
    epoch: str = Field("2030-01-01T00:00:00", description="UTC epoch of the phase/elements")
    phase: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="fraction of a period past apolune (periapsis for llo/elfo)",
    )
    # nrho / halo
    resonance: str = "9:2"
    branch: Literal["south", "north"] = "south"
    z_amplitude_km: float | None = Field(None, gt=0.0)
    # llo / elfo
    altitude_km: float | None = Field(None, gt=0.0)
    periapsis_altitude_km: float | None = Field(None, gt=0.0)
    apoapsis_altitude_km: float | None = Field(None, gt=0.0)
    inclination_deg: float | None = Field(None, ge=0.0, le=180.0)
    raan_deg: float = 0.0
    argument_of_periapsis_deg: float = 90.0

    @model_validator(mode="after")
    def _check_family(self):
        f = self.family
        if f == "nrho":
            try:
                p, q = (int(v) for v in self.resonance.split(":"))
            except ValueError:
                raise ValueError(
                    f"resonance {self.resonance!r} must look like '9:2' (revolutions:months)"
                ) from None
            if p < 1 or q < 1:
                raise ValueError("resonance needs two positive integers, e.g. '9:2'")
        elif f == "halo" and self.z_amplitude_km is None:
            raise ValueError("family 'halo' needs z_amplitude_km (e.g. 30000)")
        elif f == "llo" and self.altitude_km is None:
            raise ValueError("family 'llo' needs altitude_km (e.g. 100)")
        elif f == "elfo":
            if self.periapsis_altitude_km is None or self.apoapsis_altitude_km is None:
                raise ValueError(
                    "family 'elfo' needs periapsis_altitude_km and apoapsis_altitude_km "
                    "(e.g. 300 and 8600, as Queqiao-2)"
                )
            if self.apoapsis_altitude_km < self.periapsis_altitude_km:
                raise ValueError("apoapsis_altitude_km must not be below periapsis_altitude_km")
        return self

    # -- derived elements for the two-body families -------------------------------------
    def kepler_elements(self) -> tuple[float, float, float]:
        """``(a_km, eccentricity, inclination_deg)`` of an LLO or ELFO."""
        if self.family == "llo":
            return (
                MOON_RADIUS_KM + self.altitude_km,
                0.0,
                (90.0 if self.inclination_deg is None else self.inclination_deg),
            )
        if self.family == "elfo":
            rp = MOON_RADIUS_KM + self.periapsis_altitude_km
            ra = MOON_RADIUS_KM + self.apoapsis_altitude_km
            a, e = 0.5 * (rp + ra), (ra - rp) / (ra + rp)
            inc = self.inclination_deg
            if inc is None:
                inc = frozen_inclination_deg(a, e)
            return a, e, inc
        raise InputError(f"family {self.family!r} has no Keplerian elements", field="family")


@lru_cache(maxsize=16)
def _periodic(family: str, resonance: str, branch: str, z_amplitude_km) -> PeriodicOrbit:
    if family == "nrho":
        p, q = (int(v) for v in resonance.split(":"))
        return nrho_orbit(p, q, branch=branch)
    return halo_orbit(z_amplitude_km, branch=branch)


def periodic_orbit(spec: OrbitNodeSpec) -> PeriodicOrbit:
    """The CR3BP periodic orbit of an ``nrho`` or ``halo`` spec (cached)."""
    if spec.family not in ("nrho", "halo"):
        raise InputError(f"family {spec.family!r} is not a CR3BP periodic orbit", field="family")
    return _periodic(spec.family, spec.resonance, spec.branch, spec.z_amplitude_km)


def orbit_period_s(spec: OrbitNodeSpec) -> float:
    """Period of the node's orbit in seconds."""
    if spec.family in ("nrho", "halo"):
        orbit = periodic_orbit(spec)
        return orbit.period * orbit.system.time_s
    from moonbase.orbit.kepler import kepler_period_s

    return float(kepler_period_s(spec.kepler_elements()[0]))


def orbit_states(spec: OrbitNodeSpec, et_s, *, frame=None) -> np.ndarray:
    """Moon-centred J2000 states ``(6, N)`` km, km/s of the node at TDB epochs ``et_s``.

    ``frame``: :func:`moonbase.orbit.ephemeris_model.earth_moon_frame` of ``et_s``, when the
    caller maps several nodes at the same epochs (used by ``nrho``/``halo`` only)."""
    from moonbase.ephemeris import lunar_ephemeris
    from moonbase.orbit.ephemeris_model import rotating_to_mci
    from moonbase.time import parse_utc, tdb_seconds

    et = np.atleast_1d(np.asarray(et_s, dtype=float))
    et0 = float(tdb_seconds(parse_utc(spec.epoch, field="epoch")))
    if spec.family in ("nrho", "halo"):
        orbit = periodic_orbit(spec)
        tau = (et - et0) / orbit.system.time_s + spec.phase * orbit.period
        return rotating_to_mci(orbit.states(tau), et, orbit.system, time_scale="mean", frame=frame)
    a, e, inc = spec.kepler_elements()
    local = kepler_states(
        a, e, inc, spec.raan_deg, spec.argument_of_periapsis_deg, 360.0 * spec.phase, et - et0
    )
    rot = lunar_ephemeris().rotation(np.array([et0]))[0]  # J2000 -> ME at the epoch
    return np.concatenate([rot.T @ local[:3], rot.T @ local[3:]])


def node_periapsis(spec: OrbitNodeSpec, samples: int = 20_001) -> tuple[float, float]:
    """Radius (km) and Moon-relative inertial speed (km/s) at the node's closest approach."""
    from moonbase.time import parse_utc, tdb_seconds

    et0 = float(tdb_seconds(parse_utc(spec.epoch, field="epoch")))
    et = et0 + np.linspace(0.0, orbit_period_s(spec), samples)
    s = orbit_states(spec, et)
    r = np.linalg.norm(s[:3], axis=0)
    i = int(np.argmin(r))
    return float(r[i]), float(np.linalg.norm(s[3:, i]))
