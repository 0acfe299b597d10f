"""Eclipses by body (checked against SPICE and the analytic shadow cones), the phase chosen
over a campaign, the battery for the longest eclipse, and the ``moonbase orbit eclipses`` CLI."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.constants import EARTH_RADIUS_KM, MOON_RADIUS_KM, SUN_RADIUS_KM
from moonbase.errors import InputError
from moonbase.orbit import (
    OrbitNodeSpec,
    analyse_orbit,
    battery_capacity_for_eclipse_wh,
    eclipse_energy_wh,
    eclipse_phase_scan,
    node_eclipses,
    orbit_states,
)
from moonbase.orbit.visibility import shadow_margins_by_body_rad
from moonbase.time import parse_utc, tdb_seconds
from moonbase.windows import Windows

NRHO = OrbitNodeSpec(family="nrho", resonance="9:2", epoch="2030-01-01T00:00:00")


def _et(text: str) -> float:
    return float(tdb_seconds(parse_utc(text)))


@pytest.mark.parametrize("body", ["earth", "moon"])
def test_shadow_margins_agree_with_the_tangent_cones(body):
    # Independent construction: for spheres, "some of the Sun hidden by the body" is the inside
    # of the cone of internal common tangents beyond the body (vertex between them at
    # D R / (Rs + R) from the body, half-angle asin((Rs + R) / D)); "all of it hidden" is the
    # inside of the cone of external common tangents (vertex behind the body at
    # D R / (Rs - R), half-angle asin((Rs - R) / D)).
    rng = np.random.default_rng(19)
    earth = np.array([-384_400.0, 0.0, 0.0])
    moon = np.zeros(3)
    centre, radius = (earth, EARTH_RADIUS_KM) if body == "earth" else (moon, MOON_RADIUS_KM)
    d = 1.496e8
    axis = np.array([0.6, 0.8, 0.0])  # Sun -> body direction
    sun = centre - d * axis
    n = 20_000
    x = rng.uniform(100.0, 1.6e6 if body == "earth" else 4.0e5, n)  # behind the body
    rho = rng.uniform(0.0, 1.6 * radius + x * 0.01, n)
    perp1 = np.array([-0.8, 0.6, 0.0])
    perp2 = np.array([0.0, 0.0, 1.0])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    points = (
        centre[:, None]
        + axis[:, None] * x
        + rho * (np.cos(angle) * perp1[:, None] + np.sin(angle) * perp2[:, None])
    )
    ones = np.ones(n)
    pen, umb = shadow_margins_by_body_rad(points, sun[:, None] * ones, earth[:, None] * ones)[body]
    pen_vertex = d * radius / (SUN_RADIUS_KM + radius)
    pen_limit = (x + pen_vertex) * np.tan(np.arcsin((SUN_RADIUS_KM + radius) / d))
    umb_vertex = d * radius / (SUN_RADIUS_KM - radius)
    umb_limit = (umb_vertex - x) * np.tan(np.arcsin((SUN_RADIUS_KM - radius) / d))
    clear = np.abs(rho - pen_limit) > 0.01  # km from the boundary
    assert np.array_equal((pen < 0)[clear], (rho < pen_limit)[clear])
    clear = np.abs(rho - umb_limit) > 0.01
    assert np.array_equal((umb < 0)[clear], (rho < umb_limit)[clear])
    # The sample reaches both sides of both cones.
    assert 0.1 < np.mean(pen < 0) < 0.9 and np.sum(umb < 0) > 100


def _spice_windows(spice, kind, front, observer, start, stop):
    cnfine = spice.cell_double(200)
    spice.wninsd(start, stop, cnfine)
    result = spice.cell_double(200)
    frame = {"EARTH": "IAU_EARTH", "MOON": "MOON_ME"}[front]
    spice.gfoclt(
        kind, front, "ELLIPSOID", frame, "SUN", "ELLIPSOID", "IAU_SUN", "NONE", observer, 30.0,
        cnfine, result,
    )  # fmt: skip
    return np.array([spice.wnfetd(result, i) for i in range(spice.wncard(result))]).reshape(-1, 2)


def test_earth_and_moon_eclipses_match_spice_occultations(spice, tmp_path):
    # The node's track over two days (a 4-hour Earth-shadow eclipse at full moon on 2034-07-01,
    # at the default phase) and around a Moon-shadow eclipse (2030-10-19), written as an SPK
    # (type 9, Lagrange, 60 s) and searched with CSPICE's gfoclt (Sun occulted by the Earth or
    # the Moon, spheres of 6378.1 km and 1737.4 km, geometric): "ANY" is our penumbral window,
    # "FULL" our umbral one.
    spans = [("2034-07-01T00:00:00", "2034-07-03T00:00:00"), ("2030-10-19T12:00:00", "2030-10-20T12:00:00")]  # fmt: skip
    names = {
        "BODY399_RADII": [EARTH_RADIUS_KM] * 3,
        "BODY10_RADII": [SUN_RADIUS_KM] * 3,
        # Orientation of the IAU frames (needed by gfoclt; immaterial for spheres).
        "BODY399_POLE_RA": [0.0, 0.0, 0.0],
        "BODY399_POLE_DEC": [90.0, 0.0, 0.0],
        "BODY399_PM": [0.0, 360.0, 0.0],
        "BODY10_POLE_RA": [0.0, 0.0, 0.0],
        "BODY10_POLE_DEC": [90.0, 0.0, 0.0],
        "BODY10_PM": [0.0, 360.0, 0.0],
    }
    saved = {k: (spice.gdpool(k, 0, 3) if spice.expool(k) else None) for k in names}
    path = tmp_path / "nrho.bsp"
    handle = spice.spkopn(str(path), "moonbase nrho", 0)
    for start, stop in spans:
        et = np.arange(_et(start) - 600.0, _et(stop) + 601.0, 60.0)  # a margin either side
        states = orbit_states(NRHO, et)
        spice.spkw09(
            handle, -999, 301, "J2000", et[0], et[-1], "nrho", 7, et.size, states.T.tolist(),
            et.tolist(),
        )  # fmt: skip
    spice.spkcls(handle)
    try:
        for key, value in names.items():
            spice.pdpool(key, value)
        spice.furnsh(str(path))
        found = {"earth": 0, "moon": 0}
        for start, stop in spans:
            ours = node_eclipses(NRHO, start, stop, step_s=30.0)
            for body, front in (("earth", "EARTH"), ("moon", "MOON")):
                for kind, windows in (
                    ("ANY", ours.penumbra[body]),
                    ("FULL", ours.umbra[body]),
                ):
                    ref = _spice_windows(spice, kind, front, "-999", _et(start), _et(stop))
                    mine = np.column_stack([windows.start, windows.stop])
                    assert mine.shape == ref.shape, (body, kind, start)
                    # Measured within 0.05 s (edges interpolated between 30 s samples).
                    assert np.max(np.abs(mine - ref), initial=0.0) < 2.0
                    found[body] += len(ref)
        # Both bodies' shadows were met, penumbra and umbra: the comparison is not empty.
        assert found["earth"] >= 2 and found["moon"] >= 2
        # The long eclipse is the Earth's penumbra without a lunar eclipse: seen from the
        # Moon's centre the Earth hides no part of the Sun at that time.
        event = node_eclipses(NRHO, *spans[0], step_s=60.0)
        duration, start_s = event.windows("earth").longest()
        assert duration / 60 == pytest.approx(241.1, abs=0.5)  # 2034-07-01 21:10 UTC
        mid = start_s + duration / 2
        assert spice.occult("SUN", "ELLIPSOID", "IAU_SUN", "EARTH", "ELLIPSOID", "IAU_EARTH", "NONE", "MOON", mid) == 0  # fmt: skip
        assert spice.occult("SUN", "ELLIPSOID", "IAU_SUN", "EARTH", "ELLIPSOID", "IAU_EARTH", "NONE", "-999", mid) != 0  # fmt: skip
        assert event.longest_min("earth", umbra=True) < event.longest_min("earth")
    finally:
        spice.unload(str(path))
        for key, value in saved.items():
            if value is None:
                spice.dvpool(key)
            else:
                spice.pdpool(key, list(value))


def test_eclipses_by_body_make_up_the_report_eclipses():
    report = analyse_orbit(NRHO, "2030-01-01", "2030-07-01", step_s=300.0)
    by_body = report.by_body
    s = report.summary()
    # In 2030 the default phase meets only the Moon's shadow (measured 6 eclipses, 67.9 min).
    assert s["earth_eclipse_max_min"] == 0.0
    assert s["moon_eclipse_max_min"] == pytest.approx(s["eclipse_max_min"], abs=1e-9)
    assert len(by_body.penumbra["moon"]) == len(report.eclipses) >= 3
    for body in ("earth", "moon"):
        pen, umb = by_body.penumbra[body], by_body.umbra[body]
        # Every umbral window lies inside a penumbral one and is shorter.
        for a, b in umb:
            assert np.any((pen.start <= a) & (pen.stop >= b))
    years = by_body.by_year()
    assert list(years) == [2030]
    assert years[2030]["moon_eclipse_max_min"] == pytest.approx(by_body.longest_min("moon"))
    with pytest.raises(InputError, match="shadow body"):
        by_body.longest_min("sun")


def test_phase_scan_uses_the_same_windows_as_the_full_computation():
    # The scan maps only the samples that a shadow can reach; its figures must be those of the
    # plain computation over every sample (at the same step).
    phases = [0.0, 1 / 6, 17 / 36]
    scan = eclipse_phase_scan(NRHO, "2030-01-01", "2031-01-01", phases=phases, step_s=600.0, refine=0)  # fmt: skip
    assert scan.phases.tolist() == pytest.approx(phases)
    for k, p in enumerate(scan.phases):
        full = node_eclipses(NRHO.model_copy(update={"phase": p}), "2030-01-01", "2031-01-01", step_s=600.0)  # fmt: skip
        assert scan.eclipse_max_min[k] == pytest.approx(full.longest_min(), abs=1e-9)
        assert scan.earth_eclipse_max_min[k] == pytest.approx(full.longest_min("earth"), abs=1e-9)
        assert scan.moon_eclipse_max_min[k] == pytest.approx(full.longest_min("moon"), abs=1e-9)
        # The clearance to the Earth's penumbra is exact where it matters (near misses).
        clearance = full.clearance_deg["earth"]
        if clearance < 0.5:
            assert scan.earth_clearance_deg[k] == pytest.approx(clearance, abs=1e-12)
        else:
            assert scan.earth_clearance_deg[k] >= clearance
    # Phase 1/6 meets the Earth's penumbra for about four hours in 2030 (measured 247.8 min).
    assert scan.earth_eclipse_max_min[1] > 200.0
    assert scan.best_phase in (0.0, pytest.approx(17 / 36))
    with pytest.raises(InputError, match="phases"):
        eclipse_phase_scan(NRHO, "2030-01-01", "2030-02-01", phases=[1.2])


def test_moon_shadow_eclipses_stay_within_gateway_figures_for_every_phase():
    # Published: the Gateway 9:2 NRHO, phased to avoid the Earth's shadow, has eclipses of at
    # most about 90 minutes (Zimovan-Spreen, Howell & Davis 2020, Celest Mech Dyn Astr
    # 132:28; Lee 2019, NASA NTRS 20190030294). The Moon's shadow cannot be phased away: it is
    # crossed near perilune, fast. Measured 2030: 64-74 min for every phase; Earth-shadow
    # eclipses of 0 to 4.6 hours, depending on the phase.
    scan = eclipse_phase_scan(NRHO, "2030-01-01", "2031-01-01", phases=24, step_s=600.0)
    assert np.all(scan.moon_eclipse_max_min < 90.0)
    assert np.all(scan.moon_eclipse_max_min > 55.0)
    assert scan.earth_eclipse_max_min.max() > 200.0
    best = scan.best
    assert scan.earth_eclipse_max_min[best] == 0.0
    # The chosen phase is within a minute of the shortest longest eclipse, and of those it
    # passes the Earth's shadow widest.
    assert scan.eclipse_max_min[best] <= scan.eclipse_max_min.min() + scan.tie_min
    assert scan.eclipse_max_min[best] < 90.0
    near = scan.eclipse_max_min <= scan.eclipse_max_min.min() + scan.tie_min
    assert scan.earth_clearance_deg[best] == scan.earth_clearance_deg[near].max() > 0.0
    assert scan.best_spec().phase == scan.best_phase
    assert scan.phases.size == 24 + 8  # the grid and its refinement around the best


@pytest.mark.slow
def test_campaign_phase_avoids_the_earths_shadow_for_ten_years():
    # 2030-2040: the default phase meets the Earth's penumbra at three full moons (measured
    # 205 min 2033-07-12, 241 min 2034-07-01, 251 min 2039-03-10; none a lunar eclipse);
    # phases 0.471-0.481 period past apolune at 2030-01-01 avoid it for the whole decade and
    # leave only the Moon's shadow (measured 73 min), within the published Gateway figure of
    # about 90 min (see the test above). The scan picks 0.476, the middle of that band
    # (measured clearance 0.12 deg from the Earth's penumbra).
    scan = eclipse_phase_scan(NRHO, "2030-01-01", "2040-01-01", phases=120, step_s=600.0)
    chosen = node_eclipses(scan.best_spec(), "2030-01-01", "2040-01-01", step_s=300.0)
    default = node_eclipses(NRHO, "2030-01-01", "2040-01-01", step_s=300.0)
    assert 0.472 < scan.best_phase < 0.480
    assert chosen.longest_min("earth") == 0.0
    assert chosen.clearance_deg["earth"] > 0.1
    assert chosen.longest_min() < 80.0
    assert default.longest_min("earth") > 240.0
    years = default.by_year()
    assert [y for y, row in years.items() if row["earth_eclipse_max_min"] > 0] == [2033, 2034, 2039]  # fmt: skip
    assert max(row["moon_eclipse_max_min"] for row in years.values()) < 80.0


def test_eclipse_energy_by_hand():
    # Load ramping 100 W + 0.01 W/s, sampled every 60 s; a window from 30 s to 3630 s draws
    # 100 * 3600 + 0.01 * (3630^2 - 30^2) / 2 = 425,880 W s = 118.3 Wh (exact: the trapezoid
    # rule is exact for a linear load).
    et = 1e9 + np.arange(0.0, 7201.0, 60.0)
    load = 100.0 + 0.01 * (et - et[0])
    w = Windows(et[0] + np.array([30.0, 5000.0]), et[0] + np.array([3630.0, 5100.0]))
    energy = eclipse_energy_wh(load, et, w)
    assert energy[0] == pytest.approx(425_880.0 / 3600.0, rel=1e-12)
    assert energy[1] == pytest.approx((100.0 * 100 + 0.005 * (5100.0**2 - 5000.0**2)) / 3600.0)
    # Several load profiles at once: (2, N) -> (2, K), and a capacity per profile.
    both = eclipse_energy_wh(np.stack([load, 2 * load]), et, w)
    assert both.shape == (2, 2) and both[1] == pytest.approx(2 * energy)
    cap = battery_capacity_for_eclipse_wh(
        np.stack([load, 2 * load]), et, w, depth_of_discharge=0.5, round_trip_efficiency=0.81
    )
    assert cap == pytest.approx([energy[0] / 0.45, 2 * energy[0] / 0.45])
    assert battery_capacity_for_eclipse_wh(10.0, et, Windows.empty(), depth_of_discharge=0.8, round_trip_efficiency=0.9) == 0.0  # fmt: skip


def test_battery_for_the_longest_eclipse_follows_the_systems_rule():
    # The orbit stage sizes with the systems twin's rule (C = P t / (sqrt(rt) DoD)); cut that
    # coupling and the two disagree.
    from moonbase.systems.power import battery_capacity_for_night_wh

    ecl = node_eclipses(NRHO.model_copy(update={"phase": 1 / 6}), "2030-01-01", "2031-01-01", step_s=300.0)  # fmt: skip
    et = np.array([ecl.start_s, ecl.stop_s])
    longest_h = ecl.longest_min() / 60.0
    ours = battery_capacity_for_eclipse_wh(
        5000.0, et, ecl.eclipses, depth_of_discharge=0.8, round_trip_efficiency=0.9, margin=0.1
    )
    theirs = battery_capacity_for_night_wh(
        5000.0, longest_h, round_trip_efficiency=0.9, depth_of_discharge=0.8, margin=0.1
    )
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert longest_h > 4.0  # the Earth's penumbra, not the hour-long Moon shadow


def test_battery_inputs_are_checked():
    et = np.arange(0.0, 601.0, 60.0)
    w = Windows([0.0], [300.0])
    with pytest.raises(InputError, match="depth_of_discharge"):
        battery_capacity_for_eclipse_wh(1.0, et, w, depth_of_discharge=0.0, round_trip_efficiency=1.0)  # fmt: skip
    with pytest.raises(InputError, match="round_trip_efficiency"):
        battery_capacity_for_eclipse_wh(1.0, et, w, depth_of_discharge=0.5, round_trip_efficiency=1.5)  # fmt: skip
    with pytest.raises(InputError, match="load"):
        eclipse_energy_wh(-1.0, et, w)
    with pytest.raises(InputError, match="load samples"):
        eclipse_energy_wh(np.ones(3), et, w)
    with pytest.raises(InputError, match="outside"):
        eclipse_energy_wh(1.0, et, Windows([500.0], [900.0]))


def test_cli_eclipses_scan_and_battery(capsys):
    from moonbase.cli.app import main

    code = main(
        [
            "orbit", "eclipses", "--start", "2030-01-01", "--stop", "2030-03-01", "--step-s", "600",
            "--scan-phase", "--count", "4", "--load-w", "1000",
        ]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "given phase 0.0000" in out and "chosen phase" in out
    assert "Earth umbra" in out and "Moon umbra" in out
    assert "kWh" in out


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--phase", "1.5"], "phase"),
        (["--stop", "2029-01-01"], "stop"),
        (["--depth-of-discharge", "0"], "--depth-of-discharge"),
        (["--scan-phase", "--count", "0"], "--count"),
        (["--load-w", "-5"], "--load-w"),
    ],
)
def test_cli_eclipses_bad_input_is_one_line(capsys, args, field):
    from moonbase.cli.app import main

    assert main(["orbit", "eclipses", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"error: {field}:" in err
