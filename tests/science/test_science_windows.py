"""Sky-target windows: body-fixed directions against SPICE, elevations against geometry."""

from __future__ import annotations

import numpy as np
import pytest

from moonbase.science.windows import (
    bucket_windows,
    radec_unit_vector,
    sky_target_body_fixed,
    sky_target_horizontal,
    window_series,
)
from moonbase.time import tdb_seconds, time_range

ARCSEC_DEG = 1.0 / 3600.0
# Sgr A* (J2000): a far-side radio / lunar-based astronomy target.
SGR_A_RA_DEG, SGR_A_DEC_DEG = 266.41683, -29.00781


@pytest.mark.shared_data
def test_body_fixed_direction_matches_spice_pxform(spice):
    # Reference: pxform('J2000', 'MOON_ME', et) applied to the RA/Dec unit vector, with DE421 +
    # moon_pa_de421_1900-2050.bpc + moon_080317.tf. Measured agreement: 0.007 arcsec.
    t = time_range("2030-01-01", "2040-01-01", "30d")
    ours = sky_target_body_fixed(t, SGR_A_RA_DEG, SGR_A_DEC_DEG)
    u = radec_unit_vector(SGR_A_RA_DEG, SGR_A_DEC_DEG)
    ref = np.array([spice.mxv(spice.pxform("J2000", "MOON_ME", et), u) for et in tdb_seconds(t)]).T
    angle_deg = np.degrees(np.arccos(np.clip(np.sum(ours * ref, axis=0), -1.0, 1.0)))
    assert angle_deg.max() < 0.05 * ARCSEC_DEG

    # Elevation at a south-pole site from the SPICE vector and the local vertical (latrec).
    lat, lon = -89.45, 222.69
    up = np.array(spice.latrec(1.0, np.radians(lon), np.radians(lat)))
    ref_elevation = np.degrees(np.arcsin(ref.T @ up))
    _, elevation = sky_target_horizontal(t, SGR_A_RA_DEG, SGR_A_DEC_DEG, lat, lon)
    assert np.abs(elevation - ref_elevation).max() < 0.05 * ARCSEC_DEG


def test_south_celestial_pole_from_the_lunar_south_pole():
    # Analytic: the Moon's spin axis is 1.543 deg from the ecliptic pole (Cassini state), and the
    # J2000 celestial pole is 23.439 deg from it; over one 18.6-year nodal cycle the angle
    # between the lunar and celestial poles runs from 21.896 to 24.982 deg, so the south
    # celestial pole stands between 65.018 and 68.104 deg above the lunar south pole's horizon.
    # Tolerance 0.05 deg covers the physical librations (~0.03 deg).
    t = time_range("2030-01-01", "2048-08-01", "10d")
    _, elevation = sky_target_horizontal(t, 0.0, -90.0, -90.0, 0.0)
    assert elevation.min() == pytest.approx(90.0 - 24.982, abs=0.05)
    assert elevation.max() == pytest.approx(90.0 - 21.896, abs=0.05)
    _, north = sky_target_horizontal(t, 0.0, 90.0, -90.0, 0.0)
    np.testing.assert_allclose(north, -elevation, atol=1e-9)


def test_shapes_and_window_series():
    t = time_range("2031-01-01", "2031-03-01", "1h")
    az, el = sky_target_horizontal(t, 10.0, -60.0, [-89.0, -88.0], [0.0, 120.0])
    assert az.shape == el.shape == (2, len(t))
    targets = {"sgr_a": (SGR_A_RA_DEG, SGR_A_DEC_DEG)}
    series = window_series(t, -89.45, 222.69, targets=targets, target_elevation_deg=3.0)
    assert set(series) == {"sunlit", "dark", "earth_in_view", "earth_hidden", "target:sgr_a"}
    assert np.all(series["sunlit"] ^ series["dark"])
    # The lunar equator lies within 1.54 deg of the ecliptic, and Sgr A* is at ecliptic latitude
    # -5.61 deg, so from 0.55 deg off the south pole it stands 5.61 +/- (1.54 + 0.55 + 0.1) deg
    # high: always above 3 deg, never above 8 deg.
    assert series["target:sgr_a"].all()
    high = window_series(t, -89.45, 222.69, targets=targets, target_elevation_deg=8.0)
    assert not high["target:sgr_a"].any()
    daily = bucket_windows(series, 24)
    assert daily["sunlit"].size == len(t) // 24
    assert np.all(
        daily["sunlit"] <= series["sunlit"][: daily["sunlit"].size * 24].reshape(-1, 24).all(axis=1)
    )
