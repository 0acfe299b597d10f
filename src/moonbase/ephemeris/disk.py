"""The Sun as a disk: its apparent size and how much of it shows above a horizon.

At the lunar south pole the Sun skims the horizon, so whether a site is lit is a question of how
much of the 0.53-degree disk clears the terrain, not whether its centre does.
"""

from __future__ import annotations

import numpy as np

from moonbase.constants import SUN_RADIUS_KM

__all__ = ["angular_radius_deg", "solar_disk_fraction", "sun_angular_radius_deg"]


def angular_radius_deg(distance_km, radius_km: float) -> np.ndarray:
    """Apparent angular radius (degrees) of a sphere of ``radius_km`` seen from ``distance_km``."""
    return np.degrees(np.arcsin(np.clip(radius_km / np.asarray(distance_km, dtype=float), 0, 1)))


def sun_angular_radius_deg(distance_km) -> np.ndarray:
    """Apparent angular radius of the Sun (IAU nominal radius 695,700 km) at ``distance_km``.

    About 0.262-0.271 degrees from the Moon over a year.
    """
    return angular_radius_deg(distance_km, SUN_RADIUS_KM)


def solar_disk_fraction(elevation_deg, angular_radius_deg, horizon_deg=0.0) -> np.ndarray:
    """Fraction (0..1) of a uniformly bright disk above a straight, level horizon line.

    ``elevation_deg`` is the elevation of the disk's centre, ``horizon_deg`` the elevation of the
    horizon at the body's azimuth; all arguments broadcast. The area of the circular segment above
    the line is exact for a straight horizon across the disk; limb darkening is not modelled (it
    changes the *energy* fraction of a partly hidden Sun by a few percent, not whether it is lit).

    >>> float(solar_disk_fraction(0.0, 0.27, 0.0))
    0.5
    >>> float(solar_disk_fraction(1.0, 0.27, 0.0)), float(solar_disk_fraction(-1.0, 0.27, 0.0))
    (1.0, 0.0)
    """
    radius = np.asarray(angular_radius_deg, dtype=float)
    x = np.clip((np.asarray(elevation_deg, dtype=float) - horizon_deg) / radius, -1.0, 1.0)
    # The line lies x radii below the centre (x < 0: above it). The part of the disk under the
    # line is a circular segment of height r(1 - x), whose area is r^2 (arccos x - x sqrt(1 - x^2)).
    return 1.0 - (np.arccos(x) - x * np.sqrt(1.0 - x * x)) / np.pi
