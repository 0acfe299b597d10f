"""Synthetic terrains for tests and demonstrations: cratered plains, a flat plane, a cone crater
and a single peak, all on the polar stereographic grid and reproducible by seed.

Simple lunar craters (D < ~15 km) are bowls about 0.2 D deep with a raised rim about 0.04 D high
whose ejecta blanket decays as (r / R)^-3 (Pike 1977; Melosh 1989, ch. 6). Crater diameters follow a
cumulative size-frequency distribution N(>D) ~ D^-2, close to the lunar production function for
craters of a few hundred metres to tens of kilometres.
"""

from __future__ import annotations

import numpy as np

from moonbase.errors import InputError
from moonbase.terrain.model import Terrain

__all__ = [
    "cone_crater",
    "flat_terrain",
    "simple_crater_profile_m",
    "single_peak",
    "synthetic_terrain",
]

#: Depth / diameter of simple craters and rim height / diameter.
DEPTH_TO_DIAMETER = 0.2
RIM_TO_DIAMETER = 0.04


def _grid(shape, pixel_m, center_xy_m):
    rows, cols = (int(shape[0]), int(shape[1]))
    if rows < 2 or cols < 2:
        raise InputError(f"need at least 2x2 pixels, got {shape}", field="shape")
    if not pixel_m > 0:
        raise InputError(f"pixel size must be > 0 m, got {pixel_m}", field="pixel_m")
    cx, cy = center_xy_m
    x0 = cx - cols * pixel_m / 2.0
    y0 = cy + rows * pixel_m / 2.0
    return rows, cols, float(x0), float(y0)


def _xy(rows, cols, x0, y0, pixel_m):
    x = x0 + (np.arange(cols) + 0.5) * pixel_m
    y = y0 - (np.arange(rows) + 0.5) * pixel_m
    return np.meshgrid(x, y)


def simple_crater_profile_m(r_m, diameter_m: float) -> np.ndarray:
    """Height (m) relative to the surrounding plain of a simple crater at radius ``r_m``.

    Parabolic bowl of depth 0.2 D below the rim crest (rim 0.04 D above the plain) inside, ejecta
    ``0.04 D (r/R)^-3`` outside; continuous at the rim.
    """
    radius = diameter_m / 2.0
    rim = RIM_TO_DIAMETER * diameter_m
    depth = DEPTH_TO_DIAMETER * diameter_m
    s = np.asarray(r_m, dtype=float) / radius
    inside = rim - depth * (1.0 - s**2)
    outside = rim * np.maximum(s, 1.0) ** -3
    return np.where(s < 1.0, inside, outside)


def synthetic_terrain(
    shape: tuple[int, int] = (256, 256),
    pixel_m: float = 200.0,
    *,
    seed: int = 0,
    n_craters: int = 60,
    min_diameter_m: float | None = None,
    max_diameter_m: float | None = None,
    roughness_m: float = 30.0,
    center_xy_m: tuple[float, float] = (0.0, 0.0),
) -> Terrain:
    """A cratered plain, reproducible by ``seed``, centred on ``center_xy_m`` (the pole by default).

    ``n_craters`` simple craters (depth 0.2 D, rim 0.04 D) with diameters from ``min_diameter_m``
    (default 4 pixels) to ``max_diameter_m`` (default 40 % of the map width) drawn from
    N(>D) ~ D^-2, centres uniform over the map; plus smooth random relief of standard deviation
    about ``roughness_m`` (a few long-wavelength sine waves).

    >>> t = synthetic_terrain((64, 64), 100.0, seed=1)
    >>> t.shape, bool(np.array_equal(t.elevation_m, synthetic_terrain((64, 64), 100.0, seed=1).elevation_m))
    ((64, 64), True)
    """
    rows, cols, x0, y0 = _grid(shape, pixel_m, center_xy_m)
    rng = np.random.default_rng(seed)
    x, y = _xy(rows, cols, x0, y0, pixel_m)
    width = min(rows, cols) * pixel_m
    d_min = 4.0 * pixel_m if min_diameter_m is None else float(min_diameter_m)
    d_max = 0.4 * width if max_diameter_m is None else float(max_diameter_m)
    if not 0 < d_min < d_max:
        raise InputError(
            f"need 0 < min_diameter_m < max_diameter_m, got {d_min} and {d_max}",
            field="min_diameter_m",
        )
    # Inverse-CDF sampling of a truncated power law N(>D) ~ D^-2.
    u = rng.random(n_craters)
    diameters = (d_min**-2 - u * (d_min**-2 - d_max**-2)) ** -0.5
    cx = x0 + rng.random(n_craters) * cols * pixel_m
    cy = y0 - rng.random(n_craters) * rows * pixel_m
    height = np.zeros((rows, cols))
    # Larger craters first, so younger small craters overprint them (added on top).
    for i in np.argsort(-diameters):
        r = np.hypot(x - cx[i], y - cy[i])
        height += simple_crater_profile_m(r, diameters[i])
    if roughness_m > 0:
        relief = np.zeros_like(height)
        n_waves = 8
        for _ in range(n_waves):
            wavelength = width * rng.uniform(0.15, 1.0)
            angle = rng.uniform(0, 2 * np.pi)
            phase = rng.uniform(0, 2 * np.pi)
            relief += np.sin(
                2 * np.pi * (x * np.cos(angle) + y * np.sin(angle)) / wavelength + phase
            )
        height += roughness_m * relief / np.sqrt(n_waves / 2.0)
    return Terrain(height, x0_m=x0, y0_m=y0, pixel_m=pixel_m, source=f"synthetic(seed={seed})")


def flat_terrain(
    shape: tuple[int, int] = (64, 64),
    pixel_m: float = 200.0,
    *,
    height_m: float = 0.0,
    center_xy_m: tuple[float, float] = (0.0, 0.0),
) -> Terrain:
    """A constant height above the sphere (a 'flat plane' that follows lunar curvature)."""
    rows, cols, x0, y0 = _grid(shape, pixel_m, center_xy_m)
    return Terrain(
        np.full((rows, cols), float(height_m)), x0_m=x0, y0_m=y0, pixel_m=pixel_m, source="flat"
    )


def _radial(shape, pixel_m, center_xy_m, feature_xy_m, profile):
    rows, cols, x0, y0 = _grid(shape, pixel_m, center_xy_m)
    x, y = _xy(rows, cols, x0, y0, pixel_m)
    fx, fy = center_xy_m if feature_xy_m is None else feature_xy_m
    return rows, cols, x0, y0, profile(np.hypot(x - fx, y - fy))


def cone_crater(
    shape: tuple[int, int] = (101, 101),
    pixel_m: float = 100.0,
    *,
    radius_m: float = 3000.0,
    depth_m: float = 600.0,
    center_xy_m: tuple[float, float] = (0.0, 0.0),
    crater_xy_m: tuple[float, float] | None = None,
) -> Terrain:
    """An inverted cone: ``-depth (1 - r / radius)`` inside ``radius_m``, 0 outside.

    Seen from the centre, the rim (at ``radius_m``, height 0) is the horizon in every direction.
    """
    _rows, _cols, x0, y0, h = _radial(
        shape,
        pixel_m,
        center_xy_m,
        crater_xy_m,
        lambda r: -depth_m * np.clip(1.0 - r / radius_m, 0.0, None),
    )
    return Terrain(h, x0_m=x0, y0_m=y0, pixel_m=pixel_m, source="cone crater")


def single_peak(
    shape: tuple[int, int] = (101, 101),
    pixel_m: float = 100.0,
    *,
    height_m: float = 1000.0,
    base_radius_m: float = 1000.0,
    center_xy_m: tuple[float, float] = (0.0, 0.0),
    peak_xy_m: tuple[float, float] | None = None,
) -> Terrain:
    """A cone-shaped peak ``height (1 - r / base_radius)`` on a flat plain (height 0)."""
    _rows, _cols, x0, y0, h = _radial(
        shape,
        pixel_m,
        center_xy_m,
        peak_xy_m,
        lambda r: height_m * np.clip(1.0 - r / base_radius_m, 0.0, None),
    )
    return Terrain(h, x0_m=x0, y0_m=y0, pixel_m=pixel_m, source="single peak")
