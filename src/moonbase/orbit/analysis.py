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
from moonbase.orbit.eclipses import SHADOW_BODIES, Eclipses, eclipses_by_body
from moonbase.orbit.ephemeris_model import relative_states, sample_epochs
from moonbase.orbit.spec import OrbitNodeSpec, orbit_states
from moonbase.orbit.visibility import (
    Windows,
    earth_visible,
    find_windows,
    site_elevation_deg,
)

__all__ = ["OrbitReport", "analyse_orbit", "sample_epochs"]


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
    by_body: Eclipses | None = None  # the same eclipses, the Earth's and the Moon's apart

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
        if self.by_body is not None:
            for body in SHADOW_BODIES:
                out[f"{body}_eclipse_max_min"] = self.by_body.longest_min(body)
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
    by_body = eclipses_by_body(et, sc, sun, earth)
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
        by_body.eclipses,
        by_body.umbra_any,
        earth_windows,
        site_windows,
        relay,
        mask_deg,
        by_body,
    )
