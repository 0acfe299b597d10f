"""The one place where :mod:`moonbase.site` meets :mod:`moonbase.terrain`.

Everything else in this package works on plain arrays (horizons, latitudes, longitudes, heights),
so a change in the terrain objects only touches this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moonbase.errors import InputError

__all__ = [
    "SYNTHETIC_TERRAIN",
    "MapInputs",
    "covering_terrain_hint",
    "far_field_outer",
    "load_terrain",
    "map_inputs",
    "packaged_terrain",
    "point_horizon_and_ground",
    "terrain_grids",
]

#: The documented synthetic terrain used when no DEM is given: 128 x 128 cells at 400 m
#: (51.2 km square) centred on the south pole, 60 simple craters and smooth relief from
#: ``moonbase.terrain.synthetic_terrain(seed=3)``. It is not a real place.
SYNTHETIC_TERRAIN = {"shape": (128, 128), "pixel_size_m": 400.0, "seed": 3}


@dataclass(frozen=True)
class MapInputs:
    """What a map's visibility computation needs, as plain arrays of shape ``(rows, cols)``."""

    horizon_deg: np.ndarray  # (rows, cols, D)
    latitude_deg: np.ndarray
    longitude_deg: np.ndarray
    ground_m: np.ndarray
    height_m: np.ndarray  # eye height above the sphere: ground + height above ground
    x_m: np.ndarray
    y_m: np.ndarray
    pixel_size_m: float
    slope_deg: np.ndarray
    source: str


def _terrain_module():
    try:
        import moonbase.terrain as terrain_module
    except ImportError as error:  # pragma: no cover - only while the terrain package is absent
        raise InputError(
            f"moonbase.terrain is not available ({error})",
            field="--dem",
            hint="install the complete moonbase package",
        ) from None
    return terrain_module


def load_terrain(dem_path=None, *, corner_xy_m=None, pixel_m=None, check_artefacts=True):
    """Read a DEM with ``moonbase.terrain.read_dem``, or build the documented synthetic terrain.

    ``corner_xy_m`` and ``pixel_m`` georeference a bare ``.npy`` array; ``check_artefacts=False``
    reads a DEM with an edited-looking straight step anyway. Returns ``(terrain, description)``.
    The packaged real DEM is :func:`packaged_terrain`.
    """
    tm = _terrain_module()
    if dem_path is not None:
        kwargs = {"check_artefacts": check_artefacts}
        if corner_xy_m is not None:
            kwargs["corner_xy_m"] = corner_xy_m
        if pixel_m is not None:
            kwargs["pixel_m"] = pixel_m
        return tm.read_dem(dem_path, **kwargs), f"DEM {dem_path}"
    spec = SYNTHETIC_TERRAIN
    terrain = tm.synthetic_terrain(spec["shape"], spec["pixel_size_m"], seed=spec["seed"])
    rows, cols = spec["shape"]
    return terrain, (
        f"SYNTHETIC terrain ({rows} x {cols} cells at {spec['pixel_size_m']:g} m around the "
        f"south pole, seed {spec['seed']}): not a real place; without --synthetic-terrain the packaged "
        "real DEM is used"
    )


def packaged_terrain():
    """The packaged LOLA-derived reference DEM (``moonbase.terrain.reference_dem``), described."""
    terrain = _terrain_module().reference_dem()
    return terrain, f"real terrain: {terrain.source}"


def covering_terrain_hint(latitude_deg: float, longitude_deg: float) -> str:
    """Which terrain would hold a point that lies outside the DEM in use (for error hints)."""
    lat = float(latitude_deg)
    if lat > -60.0:
        return (
            "moonbase's DEMs are south polar stereographic; north of 60 S there is no terrain "
            "horizon (moonbase simulate run --flat-horizon)"
        )
    tm = _terrain_module()
    x, y = tm.xy_of_latlon(lat, float(longitude_deg))
    x_min, x_max, y_min, y_max = tm.reference_dem().bounds_m
    if x_min <= x <= x_max and y_min <= y <= y_max:
        return "the packaged reference DEM covers it: drop --dem"
    # LOLA south polar GeoTIFFs of NASA PGDA product 90 (Barker et al., "A New View of the Lunar
    # South Pole from LOLA"), south polar stereographic in metres.
    product = (
        "LDEM_80S_20MPP_ADJ.TIF"
        if lat <= -80.0
        else "LDEM_75S_30MPP_ADJ.TIF"
        if lat <= -75.0
        else "LDEM_60S_240MPP_ADJ.TIF"
    )
    return (
        f"pass --dem with a LOLA south polar DEM that reaches {lat:g} deg, e.g. {product} "
        "from NASA PGDA; the packaged DEM holds only Shackleton and the Connecting Ridge"
    )


def terrain_grids(terrain):
    """``(lat, lon, ground_m, x_m, y_m, pixel_size_m, slope_deg)`` grids (rows, cols) of a terrain."""
    lat, lon = terrain.latlon_grids()
    x, y = terrain.xy_grids()
    return (
        np.asarray(lat, dtype=float),
        np.asarray(lon, dtype=float),
        np.asarray(terrain.elevation_m, dtype=float),
        np.asarray(x, dtype=float),
        np.asarray(y, dtype=float),
        float(terrain.pixel_m),
        np.asarray(terrain.slope_deg(), dtype=float),
    )


def map_inputs(
    terrain,
    *,
    height_above_ground_m: float = 2.0,
    n_azimuths: int = 360,
    outer=None,
    progress: bool = False,
    source: str = "",
) -> MapInputs:
    """Horizons of every cell (``moonbase.terrain.horizon_map``) and the cells' geometry."""
    tm = _terrain_module()
    horizon = tm.horizon_map(
        terrain,
        n_azimuths=n_azimuths,
        height_above_ground_m=height_above_ground_m,
        outer=outer,
        progress=progress,
    )
    lat, lon, ground, x, y, pixel, slope = terrain_grids(terrain)
    return MapInputs(
        horizon_deg=np.asarray(horizon.elevation_deg),
        latitude_deg=lat,
        longitude_deg=lon,
        ground_m=ground,
        height_m=ground + height_above_ground_m,
        x_m=x,
        y_m=y,
        pixel_size_m=pixel,
        slope_deg=slope,
        source=source,
    )


def point_horizon_and_ground(
    terrain,
    latitude_deg: float,
    longitude_deg: float,
    height_above_ground_m: float,
    n_azimuths,
    outer=None,
):
    """Horizon ``(D,)`` and ground height (m) at one point of a terrain, and a description."""
    tm = _terrain_module()
    horizon = tm.horizon_at_points(
        terrain,
        np.atleast_1d(latitude_deg),
        np.atleast_1d(longitude_deg),
        height_above_ground_m=height_above_ground_m,
        n_azimuths=n_azimuths,
        outer=outer,
    )
    ground = float(np.asarray(terrain.elevation_at(latitude_deg, longitude_deg)).ravel()[0])
    source = f"terrain {terrain.source} (horizon_at_points)"
    if outer is not None:
        source += f" + {outer.source}"
    return np.asarray(horizon)[0], ground, source


def far_field_outer(terrain, *, half_width_km: float = 300.0, pixel_m: float = 1000.0):
    """The far-field outer DEM around ``terrain`` from the global grid (installed or fetched)."""
    tm = _terrain_module()
    return tm.outer_from_global(terrain, half_width_km=half_width_km, pixel_m=pixel_m)
