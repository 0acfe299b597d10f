"""The orbit stage of the plan: the station's lunar-orbit node as the later stages see it.

:func:`choose_node` is to an orbital station what :func:`moonbase.site.stage.choose_site` is to
a surface base. It takes the scenario's ``[orbit]`` (:class:`moonbase.scenario.OrbitNode`):

1. chooses the orbit's phase for the whole campaign (:func:`moonbase.orbit.eclipse_phase_scan`:
   the phase whose longest eclipse, by the Earth or the Moon, over the plan's span is shortest),
   unless the scenario fixes it (``phase_scan=False``);
2. computes the node's eclipses at that phase by the body that casts them
   (:func:`moonbase.orbit.node_eclipses`, checked against SPICE in the orbit stage's tests) and
   its hourly series in the site stage's columns, so the twin and the science stage read it as
   they read a cell's: ``sun_disk_fraction`` is the part of each hour outside every eclipse
   (penumbral hours count as dark: the conservative choice the battery rule makes too),
   ``earth_visible`` whether the Moon hides the Earth's centre, ``lit`` and ``lit_and_earth``;
   the Sun is always normal to the node's sun-pointing arrays;
3. takes the insertion delta-v (the scenario's, or the patched-conic estimate from a direct
   TLI at the node's periapsis, :func:`moonbase.orbit.node_delta_v_budget`) and the fraction
   of the TLI mass that reaches the node, ``exp(-dv / (g0 Isp))``, which the campaign's
   carriers and the closure step's added masses use in place of a lander's landed fraction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from moonbase.constants import SUN_RADIUS_KM
from moonbase.ephemeris.summary import utc_index
from moonbase.orbit.eclipses import (
    Eclipses,
    PhaseScan,
    battery_capacity_for_eclipse_wh,
    eclipse_phase_scan,
    node_eclipses,
)
from moonbase.orbit.ephemeris_model import relative_states
from moonbase.orbit.spec import OrbitNodeSpec, node_periapsis, orbit_states
from moonbase.orbit.transfer import node_delta_v_budget
from moonbase.orbit.visibility import earth_visible
from moonbase.site.series import SiteSummary, summarise_series
from moonbase.time import tdb_seconds, time_range
from moonbase.windows import Windows

__all__ = [
    "STANDARD_GRAVITY_M_S2",
    "NodeChoice",
    "choose_node",
    "dark_fraction",
    "delivered_fraction",
    "insertion_delta_v_km_s",
    "node_series",
]

#: Standard gravity (m/s^2), the rocket equation's g0.
STANDARD_GRAVITY_M_S2 = 9.80665


@dataclass(frozen=True)
class NodeChoice:
    """The station's orbit node over the plan: its phase, eclipses, hourly series, insertion.

    The site stage's :class:`~moonbase.site.stage.SiteChoice` and this share what the later
    stages read: ``location`` (the elements' location, ``"node"``), ``site_name``, ``series``
    (hourly, the site stage's columns) and ``summary``.
    """

    site_name: str
    spec: OrbitNodeSpec  # with the chosen phase
    scan: PhaseScan | None  # None when the scenario's phase was kept
    eclipses: Eclipses  # at the chosen phase, over the plan's span
    summary: SiteSummary
    insertion_delta_v_km_s: float
    insertion_isp_s: float
    default_phase: float
    location: str = "node"
    latitude_deg: float | None = None
    longitude_deg: float | None = None
    ground_m: float | None = None
    mast_height_m: float | None = None
    terrain: None = None

    @property
    def series(self) -> pd.DataFrame:
        return self.summary.series

    @property
    def delivered_fraction(self) -> float:
        """Fraction of an element's TLI mass that reaches the node (rocket equation)."""
        return math.exp(
            -self.insertion_delta_v_km_s * 1000.0 / (STANDARD_GRAVITY_M_S2 * self.insertion_isp_s)
        )

    def battery_for_longest_eclipse_wh(
        self, load_w: float, *, depth_of_discharge: float = 0.8, round_trip_efficiency: float = 0.9
    ) -> float:
        """Storage that carries a steady ``load_w`` through the longest eclipse (no margin)."""
        e = self.eclipses
        return battery_capacity_for_eclipse_wh(
            load_w,
            np.array([e.start_s, e.stop_s]),
            e.eclipses,
            depth_of_discharge=depth_of_discharge,
            round_trip_efficiency=round_trip_efficiency,
        )

    def figures_summary(self) -> dict:
        """The node's headline (``summary.json``'s ``orbit``)."""
        e = self.eclipses
        out = {
            "name": self.site_name,
            "family": self.spec.family,
            "phase": self.spec.phase,
            "default_phase": self.default_phase,
            "eclipse_max_min": e.longest_min(),
            "earth_eclipse_max_min": e.longest_min("earth"),
            "moon_eclipse_max_min": e.longest_min("moon"),
            "eclipses": len(e.eclipses),
            "default_phase_eclipse_max_min": None,
            "earth_visible_percent": self.summary.earth_visible_percent,
            "insertion_delta_v_km_s": self.insertion_delta_v_km_s,
            "delivered_fraction": self.delivered_fraction,
        }
        if self.scan is not None:
            at = np.flatnonzero(np.isclose(self.scan.phases, self.default_phase, atol=1e-12))
            if at.size:
                out["default_phase_eclipse_max_min"] = float(self.scan.eclipse_max_min[at[0]])
        return out

    def section(self):
        """The report's orbit-node section."""
        from moonbase.orbit.report import node_section

        return node_section(self)


def dark_fraction(edges_s: np.ndarray, windows: Windows) -> np.ndarray:
    """Part of each interval ``[edges_s[i], edges_s[i+1])`` covered by ``windows`` (same clock).

    Windows must not overlap (a union, as :attr:`Eclipses.eclipses`). Exact: the covered time
    before ``t`` is a piecewise-linear function of ``t``, evaluated at the edges.
    """
    edges = np.asarray(edges_s, dtype=float)
    start = np.asarray(windows.start, dtype=float)
    length = np.asarray(windows.stop, dtype=float) - start
    if start.size == 0:
        return np.zeros(edges.size - 1)
    before = np.concatenate([[0.0], np.cumsum(length)])  # covered before window k starts
    k = np.searchsorted(start, edges, side="right") - 1  # the last window starting by t
    last = np.maximum(k, 0)
    covered = np.where(
        k >= 0,
        before[last] + np.minimum(np.clip(edges - start[last], 0.0, None), length[last]),
        0.0,
    )
    return np.diff(covered) / np.diff(edges)


def node_series(spec: OrbitNodeSpec, eclipses: Eclipses, start: date, stop: date) -> pd.DataFrame:
    """Hourly series of the node in the site stage's columns (module docstring, step 2)."""
    times = time_range(str(start), str(stop), "1h")
    et = np.atleast_1d(np.asarray(tdb_seconds(times), dtype=float))
    step = float(np.median(np.diff(et))) if et.size > 1 else 3600.0
    dark = dark_fraction(np.concatenate([et, [et[-1] + step]]), eclipses.eclipses)
    sc = orbit_states(spec, et)[:3]
    sun, _ = relative_states("sun", et)
    earth, _ = relative_states("earth", et)
    sun_km = np.linalg.norm(sun - sc, axis=0)
    visible = earth_visible(sc, earth)
    fraction = np.clip(1.0 - dark, 0.0, 1.0)
    zeros = np.zeros(et.size)
    return pd.DataFrame(
        {
            "sun_azimuth_deg": zeros,
            "sun_elevation_deg": zeros,
            "horizon_at_sun_deg": zeros,
            "sun_radius_deg": np.degrees(np.arcsin(SUN_RADIUS_KM / sun_km)),
            "sun_disk_fraction": fraction,
            "lit": fraction > 0.0,
            "earth_visible": visible,
            "lit_and_earth": (fraction > 0.0) & visible,
        },
        index=utc_index(times).rename("utc"),
    )


def insertion_delta_v_km_s(node) -> float:
    """The node's insertion delta-v (km/s): the scenario's, or the patched-conic estimate from a
    direct TLI at the node's periapsis (:func:`moonbase.orbit.node_delta_v_budget`)."""
    dv = getattr(node, "insertion_delta_v_km_s", None)
    if dv is None:
        spec = OrbitNodeSpec.model_validate(
            node.model_dump(include=set(OrbitNodeSpec.model_fields)), strict=False
        )
        periapsis_km, speed_km_s = node_periapsis(spec)
        dv = node_delta_v_budget(periapsis_km, speed_km_s)["insertion_km_s"]
    return float(dv)


def delivered_fraction(node) -> float:
    """Fraction of an element's TLI mass that reaches ``node`` (an ``OrbitNode``): the rocket
    equation with its insertion delta-v and ``insertion_isp_s``."""
    isp = float(getattr(node, "insertion_isp_s", 320.0))
    return math.exp(-insertion_delta_v_km_s(node) * 1000.0 / (STANDARD_GRAVITY_M_S2 * isp))


def choose_node(
    node,
    *,
    start: date,
    stop: date,
    phase_scan: bool = True,
    phases: int = 120,
    scan_step_s: float = 600.0,
    eclipse_step_s: float = 300.0,
) -> NodeChoice:
    """The scenario's ``node`` (:class:`moonbase.scenario.OrbitNode`) over ``start`` to ``stop``.

    With ``phase_scan`` the phase is chosen for the whole span among ``phases`` candidates
    (:func:`moonbase.orbit.eclipse_phase_scan`, refined around the best); without, the
    scenario's phase is kept.
    """
    spec = OrbitNodeSpec.model_validate(
        node.model_dump(include=set(OrbitNodeSpec.model_fields)), strict=False
    )
    span = (str(start), str(stop))
    scan = None
    if phase_scan:
        scan = eclipse_phase_scan(spec, *span, phases=phases, step_s=scan_step_s)
        spec = scan.best_spec()
    eclipses = node_eclipses(spec, *span, step_s=eclipse_step_s)
    series = node_series(spec, eclipses, start, stop)
    step_s = float((series.index[1] - series.index[0]).total_seconds()) if len(series) > 1 else 3600
    summary = SiteSummary(
        latitude_deg=float("nan"),
        longitude_deg=float("nan"),
        height_above_ground_m=0.0,
        start_utc=series.index[0].isoformat(),
        stop_utc=series.index[-1].isoformat(),
        step_s=step_s,
        terrain="lunar orbit (no terrain)",
        series=series,
        **summarise_series(series, step_s),
    )
    dv = insertion_delta_v_km_s(node)
    return NodeChoice(
        site_name=getattr(node, "name", spec.family),
        spec=spec,
        scan=scan,
        eclipses=eclipses,
        summary=summary,
        insertion_delta_v_km_s=float(dv),
        insertion_isp_s=float(getattr(node, "insertion_isp_s", 320.0)),
        default_phase=float(node.phase),
    )
