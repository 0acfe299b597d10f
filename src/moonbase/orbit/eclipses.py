"""Eclipses of an orbit node by the body that casts them, the phase chosen for a whole
campaign, and the battery that carries a load through the longest eclipse.

Shadows are those of :mod:`moonbase.orbit.visibility` (conical; the Sun, the Earth and the
Moon as spheres): an *eclipse* is any part of the solar disk hidden (the penumbral window,
which contains the umbral one), the *umbra* the whole disk hidden. The Earth's shadow and the
Moon's are kept apart, because they behave differently on a 9:2 NRHO: the Moon's shadow is
met near perilune, crossed fast (about an hour at most, whatever the phase), while the
Earth's shadow is met only near full moon and, with an unlucky phase, crossed slowly by a
spacecraft far from the Moon (four hours in its penumbra).

The *phase* is :attr:`moonbase.orbit.OrbitNodeSpec.phase`, the fraction of a period past
apolune at the node's ``epoch``. A synodic-resonant orbit (9:2: nine revolutions in two
synodic months) meets the Sun in nearly the same geometry every two months, so the phase
decides where the spacecraft is when the Earth's shadow sweeps past at full moon. The
Moon's latitude at full moon (the node cycle, 18.6 years) moves that shadow north and south
from year to year, so a phase good for one year can be poor for another:
:func:`eclipse_phase_scan` scores each candidate phase by its longest eclipse over the whole
campaign.

>>> from moonbase.windows import Windows
>>> w = Windows([0.0, 7200.0], [3600.0, 9000.0])  # a 60-min and a 30-min eclipse
>>> float(eclipse_energy_wh(100.0, [0.0, 9000.0], w).max())
100.0
>>> round(battery_capacity_for_eclipse_wh(100.0, [0.0, 9000.0], w,
...       depth_of_discharge=0.5, round_trip_efficiency=1.0), 6)
200.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from moonbase.constants import MOON_RADIUS_KM
from moonbase.errors import InputError
from moonbase.orbit.ephemeris_model import earth_moon_frame, relative_states, sample_epochs
from moonbase.orbit.periodic import PeriodicOrbit
from moonbase.orbit.spec import OrbitNodeSpec, orbit_states, periodic_orbit
from moonbase.orbit.visibility import _angle_between, shadow_margins_by_body_rad
from moonbase.time import parse_utc, tdb_seconds
from moonbase.windows import Windows, _tdb_time

__all__ = [
    "SHADOW_BODIES",
    "Eclipses",
    "PhaseScan",
    "battery_capacity_for_eclipse_wh",
    "eclipse_energy_wh",
    "eclipse_phase_scan",
    "eclipses_by_body",
    "node_eclipses",
]

#: The bodies whose shadows an orbit node meets.
SHADOW_BODIES = ("earth", "moon")


@dataclass(frozen=True)
class Eclipses:
    """Eclipse windows of a node over ``[start_s, stop_s]`` (TDB s past J2000), by body.

    ``penumbra[body]``: any part of the solar disk hidden by ``body`` (``"earth"`` or
    ``"moon"``); ``umbra[body]``: all of it hidden by that body. ``eclipses`` and ``umbra_any``
    are the same for either body (their union: what a solar array sees, and
    :attr:`moonbase.orbit.OrbitReport.eclipses`). ``clearance_deg[body]``: the smallest angular
    margin to that body's penumbra over the samples (negative: eclipsed), how near a miss was.
    """

    start_s: float
    stop_s: float
    step_s: float
    penumbra: dict[str, Windows]
    umbra: dict[str, Windows]
    eclipses: Windows
    umbra_any: Windows
    clearance_deg: dict[str, float] | None = None

    def windows(self, body: str = "any", *, umbra: bool = False) -> Windows:
        """The windows of ``body`` (``"earth"``, ``"moon"`` or ``"any"``), penumbral or umbral."""
        if body == "any":
            return self.umbra_any if umbra else self.eclipses
        if body not in SHADOW_BODIES:
            raise InputError(
                f"unknown shadow body {body!r}", field="body", hint="'earth', 'moon' or 'any'"
            )
        return (self.umbra if umbra else self.penumbra)[body]

    def longest_min(self, body: str = "any", *, umbra: bool = False) -> float:
        """Longest window of ``body`` in minutes (0 when there is none)."""
        return self.windows(body, umbra=umbra).longest()[0] / 60.0

    def summary(self) -> dict[str, float]:
        """Headline numbers: counts and longest durations (minutes), either body and each."""
        out = {
            "eclipses": float(len(self.eclipses)),
            "eclipse_max_min": self.longest_min(),
            "umbra_max_min": self.longest_min(umbra=True),
        }
        for body in SHADOW_BODIES:
            out[f"{body}_eclipses"] = float(len(self.penumbra[body]))
            out[f"{body}_eclipse_max_min"] = self.longest_min(body)
            out[f"{body}_umbra_max_min"] = self.longest_min(body, umbra=True)
        return out

    def by_year(self) -> dict[int, dict[str, float]]:
        """Longest windows (minutes) per UTC year of their start, each year of the span
        listed (0 where none): ``eclipse_max_min``, ``earth_eclipse_max_min``,
        ``earth_umbra_max_min``, ``moon_eclipse_max_min``, ``moon_umbra_max_min``."""
        first, last = (int(y) for y in _years(np.array([self.start_s, self.stop_s - 1.0])))
        years = np.arange(first, last + 1)
        columns = {"eclipse_max_min": self.eclipses}
        for body in SHADOW_BODIES:
            columns[f"{body}_eclipse_max_min"] = self.penumbra[body]
            columns[f"{body}_umbra_max_min"] = self.umbra[body]
        table = {}
        for key, w in columns.items():
            longest = np.zeros(years.size)
            if len(w):
                np.maximum.at(longest, _years(w.start) - first, w.durations / 60.0)
            table[key] = longest
        return {int(y): {key: float(v[i]) for key, v in table.items()} for i, y in enumerate(years)}


def _years(et_s: np.ndarray) -> np.ndarray:
    """UTC calendar years of TDB epochs (to the nearest second, so a span starting at
    midnight on 1 January belongs to that year)."""
    et = np.atleast_1d(np.asarray(et_s, dtype=float))
    return np.asarray(_tdb_time(et + 0.5).utc[0], dtype=int).reshape(-1)


def eclipses_by_body(et_s, sc_km, sun_km, earth_km) -> Eclipses:
    """:class:`Eclipses` of a spacecraft at Moon-centred J2000 positions ``sc_km (3, N)`` at
    TDB epochs ``et_s (N,)`` (regular), with the Sun and the Earth at ``sun_km``,
    ``earth_km (3, N)`` from the Moon. Edges are interpolated linearly in the angular margins
    between samples."""
    et = np.asarray(et_s, dtype=float).reshape(-1)
    margins = shadow_margins_by_body_rad(sc_km, sun_km, earth_km)
    penumbra, umbra = {}, {}
    for body in SHADOW_BODIES:
        pen, umb = margins[body]
        penumbra[body] = Windows.from_flags(pen < 0.0, et, value=-pen)
        umbra[body] = Windows.from_flags(umb < 0.0, et, value=-umb)
    pen = np.minimum(margins["earth"][0], margins["moon"][0])
    umb = np.minimum(margins["earth"][1], margins["moon"][1])
    step = float(et[1] - et[0]) if et.size > 1 else 0.0
    return Eclipses(
        float(et[0]),
        float(et[-1]),
        step,
        penumbra,
        umbra,
        Windows.from_flags(pen < 0.0, et, value=-pen),
        Windows.from_flags(umb < 0.0, et, value=-umb),
        {body: float(np.degrees(margins[body][0].min())) for body in SHADOW_BODIES},
    )


def node_eclipses(spec: OrbitNodeSpec, start, stop, *, step_s: float = 120.0) -> Eclipses:
    """Eclipses of the node ``spec`` from UTC ``start`` to ``stop``, sampled every ``step_s``
    (durations good to a few seconds at the default 120 s)."""
    et = sample_epochs(start, stop, step_s)
    sun, _ = relative_states("sun", et)
    earth, _ = relative_states("earth", et)
    return eclipses_by_body(et, orbit_states(spec, et)[:3], sun, earth)


@dataclass(frozen=True)
class PhaseScan:
    """Longest eclipses of a node for candidate phases over one span.

    ``phases (P,)`` (sorted; fraction of a period past apolune at ``spec.epoch``) and, for
    each, the longest eclipse in minutes over ``[start_s, stop_s]``: by either body
    (``eclipse_max_min``), by the Earth and by the Moon (penumbral: any part of the solar disk
    hidden), and ``earth_clearance_deg``, the smallest angular margin to the Earth's penumbra
    (negative: eclipsed; exact below about half a degree, larger values only mean "clear").

    The chosen phase, :attr:`best_phase`, minimises ``eclipse_max_min``; among phases within
    ``tie_min`` of that minimum (equal for sizing a battery) it is the one that passes the
    Earth's shadow widest, so that a small phase error does not bring the Earth's shadow back.
    """

    spec: OrbitNodeSpec
    start_s: float
    stop_s: float
    step_s: float
    phases: np.ndarray
    eclipse_max_min: np.ndarray
    earth_eclipse_max_min: np.ndarray
    moon_eclipse_max_min: np.ndarray
    earth_clearance_deg: np.ndarray
    tie_min: float = 1.0

    @property
    def best(self) -> int:
        """Index of the chosen phase (the first of equals)."""
        return _choose(self.eclipse_max_min, self.earth_clearance_deg, self.tie_min)

    @property
    def best_phase(self) -> float:
        return float(self.phases[self.best])

    def best_spec(self) -> OrbitNodeSpec:
        """The scanned node with the chosen phase."""
        return self.spec.model_copy(update={"phase": self.best_phase})


def _choose(longest_min: np.ndarray, clearance_deg: np.ndarray, tie_min: float) -> int:
    near = np.flatnonzero(longest_min <= np.min(longest_min) + tie_min)
    return int(near[np.argmax(clearance_deg[near])])


def eclipse_phase_scan(
    spec: OrbitNodeSpec,
    start,
    stop,
    *,
    phases: int | Sequence[float] = 120,
    step_s: float = 600.0,
    refine: int = 8,
    tie_min: float = 1.0,
) -> PhaseScan:
    """Longest Earth-shadow and Moon-shadow eclipses of ``spec`` for candidate phases from UTC
    ``start`` to ``stop`` (a whole campaign, e.g. ten years), and the phase that minimises the
    longest eclipse.

    ``phases``: a count (evenly spaced over one period; the default 120 is 1.3 hours apart on
    the 9:2 NRHO, finer than the band of about 2 hours where it escapes the Earth's shadow)
    or the phases themselves. With ``refine`` > 0, that many more phases are tried within one
    grid spacing either side of the best. ``tie_min``: see :class:`PhaseScan`. The Sun, the Earth and the Earth-Moon frame are
    computed once for all phases. For ``nrho``/``halo`` nodes only the samples where a shadow
    can reach the spacecraft are mapped and tested (near full moon for the Earth's, near the
    Moon's equatorial plane for the Moon's; both bounds are conservative, so the windows are
    those of :func:`node_eclipses` at the same step). ``step_s`` (default 600 s) places
    eclipse edges within about a minute; re-run :func:`node_eclipses` at the chosen phase for
    finer figures. Measured: about 0.1 s per phase for ten years at 600 s.
    """
    if isinstance(phases, int | np.integer):
        if phases < 1:
            raise InputError(f"{phases} phases: need at least one", field="phases")
        grid = np.arange(int(phases)) / int(phases)
    else:
        grid = np.asarray(phases, dtype=float).reshape(-1)
        if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any((grid < 0.0) | (grid >= 1.0)):
            raise InputError(
                "phases must be fractions of a period in [0, 1)",
                field="phases",
                hint="e.g. [0.0, 0.25, 0.5, 0.75] or a count such as 120",
            )
    if refine < 0:
        raise InputError(f"refine {refine} must be >= 0", field="refine")
    if not tie_min >= 0.0:
        raise InputError(f"tie_min {tie_min} must be >= 0 minutes", field="tie_min")
    et = sample_epochs(start, stop, step_s)
    sun, _ = relative_states("sun", et)
    earth, _ = relative_states("earth", et)
    screen = _ShadowScreen.build(spec, et, sun, earth)
    scores: dict[float, tuple[float, float, float, float]] = {}

    def score(phase: float) -> None:
        node = spec.model_copy(update={"phase": float(phase)})
        keep = screen.samples(node, et)
        sub = et[keep]
        if sub.size < 2:
            scores[float(phase)] = (0.0, 0.0, 0.0, 180.0)
            return
        frame = None if screen.frame is None else tuple(a[keep] for a in screen.frame)
        sc = orbit_states(node, sub, frame=frame)[:3]
        ecl = eclipses_by_body(sub, sc, sun[:, keep], earth[:, keep])
        scores[float(phase)] = (
            ecl.longest_min(),
            ecl.longest_min("earth"),
            ecl.longest_min("moon"),
            ecl.clearance_deg["earth"],
        )

    def table():
        done = np.array(sorted(scores))
        return done, np.array([scores[p] for p in done]).reshape(-1, 4)

    for p in np.unique(grid):
        score(p)
    if refine and len(scores) > 1:
        done, values = table()
        best = float(done[_choose(values[:, 0], values[:, 3], tie_min)])
        spacing = float(np.min(np.diff(np.concatenate([done, [done[0] + 1.0]]))))
        for p in np.mod(best + np.linspace(-spacing, spacing, refine + 2)[1:-1], 1.0):
            if not np.any(np.isclose(p, done, rtol=0.0, atol=1e-12)):
                score(p)
    done, values = table()
    return PhaseScan(
        spec,
        float(et[0]),
        float(et[-1]),
        float(step_s),
        done,
        values[:, 0],
        values[:, 1],
        values[:, 2],
        values[:, 3],
        float(tie_min),
    )


#: Bound on the Sun's angle from the Moon's osculating orbital plane (the rotating x-y plane;
#: measured at most 5.05 deg over 2029-2040 from DE421) plus the Sun's angular radius (0.27
#: deg) and its parallax across the orbit (0.03 deg): 7.5 deg leaves 2 deg to spare. And the
#: Earth-shadow bound's allowance for the Earth's penumbra half-width seen from the Earth
#: (under 1.7 deg beyond 300,000 km, with the Sun's parallax).
_SUN_OFF_PLANE_RAD = np.radians(7.5)
_EARTH_PENUMBRA_RAD = np.radians(2.5)


@dataclass(frozen=True)
class _ShadowScreen:
    """Conservative masks of the samples where a shadow can reach a periodic-orbit node."""

    frame: tuple | None
    earth_possible: np.ndarray | None  # (N,) phase-independent
    moon_table: np.ndarray | None  # (M,) over one period of the orbit, by fraction of period
    orbit: PeriodicOrbit | None

    @classmethod
    def build(cls, spec: OrbitNodeSpec, et, sun_km, earth_km) -> _ShadowScreen:
        if spec.family not in ("nrho", "halo"):
            return cls(None, None, None, None)
        orbit = periodic_orbit(spec)
        reach_km = 1.05 * orbit.moon_distance_km()[1]
        d_earth = np.linalg.norm(earth_km, axis=0)
        # Moon's angle from the anti-Sun direction seen from the Earth.
        theta = _angle_between(-earth_km, earth_km - sun_km)
        earth_possible = (
            theta < np.arcsin(np.minimum(reach_km / d_earth, 1.0)) + _EARTH_PENUMBRA_RAD
        )
        # Moon's shadow: the direction from the Moon must be near the anti-Sun direction, which
        # lies near the rotating x-y plane.
        m = 20_000
        s = orbit.states(np.arange(m) / m * orbit.period)
        rho = s[:3] - np.array([[1.0 - orbit.mu], [0.0], [0.0]])
        r_km = np.linalg.norm(rho, axis=0) * orbit.system.length_km
        elevation = np.arcsin(np.abs(rho[2]) * orbit.system.length_km / r_km)
        cone = np.arcsin(np.minimum(MOON_RADIUS_KM / r_km, 1.0)) + _SUN_OFF_PLANE_RAD
        table = elevation < cone
        table = table | np.roll(table, 1) | np.roll(table, -1)  # table resolution
        return cls(earth_moon_frame(et), earth_possible, table, orbit)

    def samples(self, spec: OrbitNodeSpec, et) -> np.ndarray:
        """Boolean mask of the samples to test for ``spec`` (all for other families), with one
        sample either side of each run so that window edges interpolate as on the full grid."""
        if self.orbit is None:
            return np.ones(et.size, dtype=bool)
        et0 = float(tdb_seconds(parse_utc(spec.epoch, field="epoch")))
        cycles = (et - et0) / (self.orbit.period * self.orbit.system.time_s) + spec.phase
        m = self.moon_table.size
        idx = np.floor(np.mod(cycles, 1.0) * m).astype(int) % m
        keep = self.earth_possible | self.moon_table[idx]
        keep[1:] |= keep[:-1].copy()
        keep[:-1] |= keep[1:].copy()
        return keep


def eclipse_energy_wh(load_w, et_s, windows: Windows) -> np.ndarray:
    """Energy (Wh) a load draws during each window: ``(..., K)`` for ``K`` windows.

    ``load_w``: a number, or power (W) at the TDB epochs ``et_s (N,)`` as an array
    ``(..., N)`` (several load profiles at once), linear between samples. The integral is
    exact for that piecewise-linear load: whole trapezoids, plus the part-trapezoids up to each
    window edge. Every window must lie within ``et_s``.
    """
    et = np.asarray(et_s, dtype=float).reshape(-1)
    if et.size < 2 or np.any(np.diff(et) <= 0.0):
        raise InputError("need at least two increasing epochs", field="et_s")
    load = np.asarray(load_w, dtype=float)
    if load.ndim == 0:
        load = np.full(et.size, float(load))
    if load.shape[-1] != et.size:
        raise InputError(
            f"{load.shape[-1]} load samples for {et.size} epochs",
            field="load_w",
            hint="give one power per epoch, or one number",
        )
    if not np.all(np.isfinite(load)) or np.any(load < 0.0):
        raise InputError("loads must be finite and >= 0 W", field="load_w")
    if len(windows) and (windows.start.min() < et[0] - 1e-6 or windows.stop.max() > et[-1] + 1e-6):
        raise InputError(
            "a window lies outside the epochs of the load",
            field="windows",
            hint="sample the load over the whole span of the eclipses",
        )
    steps = np.diff(et)
    cumulative = np.concatenate(
        [
            np.zeros(load.shape[:-1] + (1,)),
            np.cumsum(0.5 * (load[..., 1:] + load[..., :-1]) * steps, axis=-1),
        ],
        axis=-1,
    )

    def energy_to(t):  # W s from et[0] to each t, (..., K)
        t = np.clip(t, et[0], et[-1])
        i = np.clip(np.searchsorted(et, t, side="right") - 1, 0, et.size - 2)
        dt = t - et[i]
        at_t = load[..., i] + dt / steps[i] * (load[..., i + 1] - load[..., i])
        return cumulative[..., i] + 0.5 * (load[..., i] + at_t) * dt

    return (energy_to(windows.stop) - energy_to(windows.start)) / 3600.0


def battery_capacity_for_eclipse_wh(
    load_w,
    et_s,
    windows: Windows,
    *,
    depth_of_discharge: float,
    round_trip_efficiency: float,
    margin: float = 0.0,
):
    """Smallest storage capacity (Wh) that carries ``load_w`` through the worst of ``windows``
    (the one drawing the most energy; for a steady load, the longest eclipse).

    The rule of :func:`moonbase.systems.power.battery_capacity_for_night_wh`: the store starts
    full and may fall to ``1 - depth_of_discharge``, delivering ``E`` draws ``E / sqrt(rt)``,
    so ``C = max_k E_k / (sqrt(rt) * DoD) * (1 + margin)``; exact when the sunlit arc between
    eclipses recharges the store. Counting every penumbral window as dark (no array power) is
    the conservative choice; pass the umbral windows for the other bound. ``(...)`` capacities
    for ``(..., N)`` load profiles; 0 with no window.
    """
    if not 0.0 < depth_of_discharge <= 1.0:
        raise InputError(f"must be in (0, 1], got {depth_of_discharge}", field="depth_of_discharge")
    if not 0.0 < round_trip_efficiency <= 1.0:
        raise InputError(
            f"must be in (0, 1], got {round_trip_efficiency}", field="round_trip_efficiency"
        )
    if margin < 0.0:
        raise InputError(f"must be >= 0, got {margin}", field="margin")
    energy = eclipse_energy_wh(load_w, et_s, windows)
    worst = energy.max(axis=-1) if energy.shape[-1] else np.zeros(energy.shape[:-1])
    capacity = worst / (np.sqrt(round_trip_efficiency) * depth_of_discharge) * (1.0 + margin)
    return float(capacity) if np.ndim(capacity) == 0 else capacity
