"""CR3BP core: Lagrange points, Jacobi constant, STM, periodic orbits against published values."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.constants import MOON_RADIUS_KM, SYNODIC_MONTH_DAYS
from moonbase.errors import InputError
from moonbase.orbit import (
    EARTH_MOON,
    correct_halo,
    jacobi_constant,
    lagrange_points,
    nrho_orbit,
    propagate_cr3bp,
)
from moonbase.orbit.periodic import NRHO_SEED_L2_SOUTH

MU = 0.012150585609624  # Earth-Moon, as in the sources below

# Parker & Anderson, "Low-Energy Lunar Trajectory Design" (JPL DESCANSO book series, 2014),
# Table 2-2, Earth-Moon system, mu = 0.012150585609624: x of L1, L2, L3 and Jacobi constants
# of L1..L4 (published to 8 decimals).
PUBLISHED_X = {"L1": 0.83691513, "L2": 1.15568217, "L3": -1.00506265}
PUBLISHED_C = {"L1": 3.18834110, "L2": 3.17216045, "L3": 3.01214714, "L4": 2.98799703}


def test_lagrange_points_match_published_positions():
    points = lagrange_points(MU)
    for name, x in PUBLISHED_X.items():
        # 8-decimal table: half a unit in the last place is 5e-9 (about 2 m).
        assert points[name][0] == pytest.approx(x, abs=6e-9)
    assert points["L4"][:2] == pytest.approx([0.5 - MU, np.sqrt(3) / 2], abs=1e-15)


def test_jacobi_constants_match_published_values():
    points = lagrange_points(MU)
    for name, c in PUBLISHED_C.items():
        state = np.concatenate([points[name], np.zeros(3)])
        # Measured differences 1e-8 to 2e-8: the table appears truncated, not rounded.
        assert jacobi_constant(state, MU) == pytest.approx(c, abs=3e-8)


def test_lagrange_points_are_equilibria():
    from moonbase.orbit.cr3bp import cr3bp_acceleration

    for pos in lagrange_points(MU).values():
        assert np.max(np.abs(cr3bp_acceleration(np.concatenate([pos, np.zeros(3)]), MU))) < 1e-13


def test_stm_matches_central_differences():
    state, period = NRHO_SEED_L2_SOUTH
    t = 0.3 * period
    stm = propagate_cr3bp(state, t, stm=True).stm
    fd = np.empty((6, 6))
    h = 1e-7
    for j in range(6):
        d = np.zeros(6)
        d[j] = h
        plus = propagate_cr3bp(state + d, t).states[:, -1]
        minus = propagate_cr3bp(state - d, t).states[:, -1]
        fd[:, j] = (plus - minus) / (2 * h)
    assert np.max(np.abs(stm - fd)) < 1e-5 * np.max(np.abs(stm))


def test_published_nrho_state_closes_with_published_period():
    # JPL SSD three-body periodic-orbit catalogue (ssd.jpl.nasa.gov/tools/periodic_orbits.html),
    # Earth-Moon, L2 halo family, southern branch, mu = 1.215058560962404e-2; apolune state
    # x0 = 1.0213448959167291, z0 = -0.18162633785360355, vy0 = -0.10177771593237860,
    # period 1.5021912429136250 (catalogue time units), as quoted in a public repository.
    state, period = NRHO_SEED_L2_SOUTH
    orbit = correct_halo(state, period, fix="x", mu=EARTH_MOON.mu)
    assert abs(orbit.period - period) < 1e-6  # measured 5e-13
    assert orbit.closure_error < 1e-9
    assert np.max(np.abs(orbit.state0 - state)) < 1e-9
    # And the uncorrected published state returns on itself after the published period.
    back = propagate_cr3bp(state, period).states[:, -1]
    assert np.max(np.abs(back - state)) < 1e-9


def test_nine_two_nrho_is_resonant_and_gateway_like():
    orbit = nrho_orbit(9, 2)
    assert orbit.period_days == pytest.approx(2 * SYNODIC_MONTH_DAYS / 9, abs=1e-6)
    r_min, r_max = orbit.moon_distance_km()
    # Published CR3BP 9:2 NRHO: perilune radius about 3,200-3,300 km, apolune about 71,000 km
    # (Zimovan-Spreen, Howell & Davis 2020, Celest Mech Dyn Astr 132:28; Lee 2019, NASA
    # NTRS 20190030294 gives 3,366 km mean perilune for the ephemeris reference). Measured:
    # 3,249 km and 71,222 km.
    assert 3_150 < r_min < 3_400
    assert 69_000 < r_max < 73_000
    # Altitude above the 1,737.4 km sphere at perilune: about 1,500 km for Lee's (2019) 15-year
    # Gateway reference trajectory ("within 1500 km of the lunar surface at its closest point
    # ... just over 70,000 km at its farthest", NASA Meteoroid Environment Office, NRHO sample
    # trajectory page). Measured 1,512 km.
    assert 1_450 < r_min - MOON_RADIUS_KM < 1_800
    assert orbit.closure_error < 1e-9
    # Near-stable: published stability index about 1.3 (Zimovan-Spreen 2020). Measured 1.32.
    assert 1.0 < orbit.stability_index < 2.0
    assert orbit.state0[2] < 0  # southern: apolune below the lunar south pole


def test_jacobi_constant_conserved_over_100_revolutions():
    # A circular 100 km lunar orbit in the rotating frame (stable, 100 revolutions ~ 8 days).
    r = (1737.4 + 100.0) / EARTH_MOON.length_km
    v_inertial = np.sqrt(MU / r)
    state = np.array([1 - MU + r, 0, 0, 0, v_inertial - r, 0])  # minus frame rotation
    period = 2 * np.pi * np.sqrt(r**3 / MU)
    result = propagate_cr3bp(state, 100 * period, t_eval=np.linspace(0, 100 * period, 2001))
    c = jacobi_constant(result.states, MU)
    assert np.max(np.abs(c - c[0])) < 1e-9  # measured 4e-10 (rtol = atol = 1e-12)


def test_escaping_state_is_refused():
    with pytest.raises(InputError, match=r"escapes|hits"):
        propagate_cr3bp([1.2, 0, 0, 0, 0.6, 0], 20.0)


def test_impossible_resonance_is_refused():
    with pytest.raises(InputError, match="outside the L2 NRHO range"):
        nrho_orbit(1, 1)
    with pytest.raises(InputError, match="positive"):
        nrho_orbit(0, 2)


def test_halo_continuation_reaches_a_requested_amplitude():
    from moonbase.orbit import halo_orbit

    orbit = halo_orbit(30_000.0)
    assert abs(orbit.state0[2]) * EARTH_MOON.length_km == pytest.approx(30_000.0, abs=1e-6)
    assert orbit.closure_error < 1e-9
    # Earth-Moon L2 halos of this size have periods near 14.5-15 days (e.g. the JPL catalogue
    # L2 halo family between the Lyapunov bifurcation and the NRHOs). Measured 14.61 d.
    assert 13.5 < orbit.period_days < 15.5
    with pytest.raises(InputError, match="no L2 halo"):
        halo_orbit(500_000.0)


def test_nrho_keeps_the_system_it_is_given():
    # Another choice of CR3BP units: length 389,703 km and the Kepler time unit that goes with
    # it, sqrt(l^3 / (GM_Earth + GM_Moon)) = 382,981 s (DE421 GMs). The synodic month is a
    # physical period, so the 9:2 NRHO of any unit choice has 2 x 29.530589 / 9 = 6.5624 days
    # (the earlier code kept the default units and reported 6.43 days here).
    from moonbase.orbit import CR3BPSystem
    from moonbase.orbit.cr3bp import GM_EARTH_KM3_S2, GM_MOON_KM3_S2

    length_km = 389_703.0
    time_s = float(np.sqrt(length_km**3 / (GM_EARTH_KM3_S2 + GM_MOON_KM3_S2)))
    assert time_s == pytest.approx(382_981.0, abs=1.0)
    system = CR3BPSystem(EARTH_MOON.mu, length_km, time_s)
    orbit = nrho_orbit(9, 2, system=system)
    assert orbit.system == system
    assert orbit.period_days == pytest.approx(2 * SYNODIC_MONTH_DAYS / 9, abs=1e-6)
    assert orbit.period * time_s / 86_400.0 == pytest.approx(6.562353, abs=1e-6)
    # Distances in km use the given length unit: the nondimensional perilune times 389,703 km.
    t = np.linspace(0.0, orbit.period, 4001)
    s = orbit.states(t)
    r_nd = np.sqrt((s[0] - 1.0 + EARTH_MOON.mu) ** 2 + s[1] ** 2 + s[2] ** 2)
    r_min, r_max = orbit.moon_distance_km()
    assert r_min == pytest.approx(r_nd.min() * length_km, rel=1e-12)
    assert r_max == pytest.approx(r_nd.max() * length_km, rel=1e-12)
