"""What an orbit node offers over a span: eclipses, Earth visibility, contact with the site.

:func:`analyse_orbit` samples the node's trajectory on a regular grid (default 60 s; window
edges are interpolated between samples, so durations are good to a few seconds) and returns an
:class:`OrbitReport`. Communication gaps: the longest interval without the condition. A relay
link (site <-> node <-> Earth) needs both the site contact and the Earth in view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moonbase.ephemeris import lunar_ephemeris, surface_point_km
from moonbase.errors import InputError
from moonbase.orbit.ephemeris_model import relative_states
from moonbase.orbit.spec import OrbitNodeSpec, orbit_states
from moonbase.orbit.visibility import (
    Windows,
    earth_visible,
    find_windows,
    shadow_margins_rad,
    site_elevation_deg,
)
from moonbase.time import parse_utc, tdb_seconds

__all__ = ["OrbitReport", "analyse_orbit", "phase_scan", "sample_epochs"]


@dataclass(frozen=True)
class OrbitReport:
    """Geometry statistics of an orbit node over ``[start_s, stop_s]`` (TDB s past J2000)."""

    spec: OrbitNodeSpec
    start_s: float
    stop_s: float
    step_s: float
    eclipses: Windows  # any part of the solar disk hidden (penumbra or umbra)
    umbra: Windows  # solar disk fully hidden
    earth_in_view: Windows
    site_contact: Windows | None
    relay: Windows | None
    mask_deg: float

    @property
    def span_s(self) -> float:
        return self.stop_s - self.start_s

    def summary(self) -> dict[str, float]:
        """Headline numbers (hours, minutes, percent)."""
        out = {
            "span_days": self.span_s / 86_400.0,
            "eclipses": float(len(self.eclipses)),
            "eclipse_max_min": self.eclipses.longest()[0] / 60.0,
            "eclipse_mean_min": (self.eclipses.total / max(len(self.eclipses), 1)) / 60.0,
            "eclipse_fraction_pct": 100.0 * self.eclipses.total / self.span_s,
            "umbra_max_min": self.umbra.longest()[0] / 60.0,
            "earth_visible_pct": 100.0 * self.earth_in_view.total / self.span_s,
            "earth_gap_max_min": self.earth_in_view.gaps(self.start_s, self.stop_s).longest()[0]
            / 60.0,
        }
        if self.site_contact is not None:
            out["site_contact_pct"] = 100.0 * self.site_contact.total / self.span_s
            out["site_gap_max_h"] = (
                self.site_contact.gaps(self.start_s, self.stop_s).longest()[0] / 3600.0
            )
            out["relay_pct"] = 100.0 * self.relay.total / self.span_s
            out["relay_gap_max_h"] = (
                self.relay.gaps(self.start_s, self.stop_s).longest()[0] / 3600.0
            )
        return out


def sample_epochs(start, stop, step_s: float) -> np.ndarray:
    """Regular TDB epochs from UTC ``start`` to ``stop`` (strings or Times)."""
    et0 = float(tdb_seconds(parse_utc(start, field="start")))
    et1 = float(tdb_seconds(parse_utc(stop, field="stop")))
    if et1 <= et0:
        raise InputError("stop must come after start", field="stop")
    if step_s <= 0 or (et1 - et0) / step_s > 20_000_000:
        raise InputError("step must be positive and give at most 20 million samples", field="step")
    n = int(np.floor((et1 - et0) / step_s)) + 1
    et = et0 + step_s * np.arange(n)
    lunar_ephemeris().check_coverage(et, field="start")
    return et


def analyse_orbit(
    spec: OrbitNodeSpec,
    start,
    stop,
    *,
    step_s: float = 60.0,
    site: tuple[float, float, float] | None = None,
    mask_deg: float = 10.0,
) -> OrbitReport:
    """Eclipses, Earth visibility and (with ``site=(lat_deg, lon_deg, height_m)``) contact with
    a surface site above ``mask_deg`` elevation, for the node ``spec`` from ``start`` to ``stop``."""
    if not -5.0 <= mask_deg < 90.0:
        raise InputError("elevation mask must be within -5 to 90 degrees", field="mask_deg")
    et = sample_epochs(start, stop, step_s)
    sc = orbit_states(spec, et)[:3]
    sun, _ = relative_states("sun", et)
    earth, _ = relative_states("earth", et)
    pen, umb = shadow_margins_rad(sc, sun, earth)
    eclipses = find_windows(et, pen < 0.0, value=-pen)
    umbra = find_windows(et, umb < 0.0, value=-umb)
    earth_ok = earth_visible(sc, earth)
    earth_windows = find_windows(et, earth_ok)
    site_windows = relay = None
    if site is not None:
        lat, lon, height = site
        rot = lunar_ephemeris().rotation(et)  # (N, 3, 3) J2000 -> ME
        sc_me = np.einsum("nij,jn->in", rot, sc)
        elev = site_elevation_deg(sc_me, surface_point_km(lat, lon, height))
        site_windows = find_windows(et, elev >= mask_deg, value=elev, threshold=mask_deg)
        relay = find_windows(et, (elev >= mask_deg) & earth_ok)
    return OrbitReport(
        spec,
        float(et[0]),
        float(et[-1]),
        step_s,
        eclipses,
        umbra,
        earth_windows,
        site_windows,
        relay,
        mask_deg,
    )


def phase_scan(
    spec: OrbitNodeSpec, start, stop, *, phases: int = 12, step_s: float = 300.0
) -> tuple[np.ndarray, np.ndarray]:
    """Longest eclipse (minutes) for ``phases`` evenly spaced phases of the node at its epoch.

    For a synodic-resonant orbit the Sun geometry repeats, so the phase at the epoch decides
    whether apolune meets the Earth's shadow: pick the phase with the shortest longest eclipse.
    """
    if phases < 1:
        raise InputError("need at least one phase", field="phases")
    values = np.arange(phases) / phases
    longest = np.array(
        [
            analyse_orbit(
                spec.model_copy(update={"phase": float(p)}), start, stop, step_s=step_s
            ).eclipses.longest()[0]
            / 60.0
            for p in values
        ]
    )
    return values, longest
