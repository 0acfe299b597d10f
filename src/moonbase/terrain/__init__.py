"""Terrain: DEM I/O in south polar stereographic, synthetic terrains, and horizon maps.

>>> from moonbase.terrain import synthetic_terrain, horizon_map
>>> hm = horizon_map(synthetic_terrain((24, 24), 200.0, seed=3), n_azimuths=8)
>>> hm.elevation_deg.shape, hm.azimuth_deg.tolist()[:3]
((24, 24, 8), [0.0, 45.0, 90.0])
"""

from moonbase.terrain.artefacts import DemArtefact, check_dem_artefacts, dem_artefacts
from moonbase.terrain.dem_io import (
    fill_missing,
    read_dem,
    read_geotiff,
    read_npy,
    read_pds3,
    write_geotiff,
)
from moonbase.terrain.far_field import far_field_available, global_grid_path, outer_from_global
from moonbase.terrain.horizon import HorizonMap, horizon_at_points, horizon_map
from moonbase.terrain.model import Terrain
from moonbase.terrain.packaged import REFERENCE_DEM_SOURCE, reference_dem
from moonbase.terrain.projection import PROJ4_SOUTH_POLAR, latlon_of_xy, xy_of_latlon
from moonbase.terrain.synthetic import cone_crater, flat_terrain, single_peak, synthetic_terrain

__all__ = [
    "PROJ4_SOUTH_POLAR",
    "REFERENCE_DEM_SOURCE",
    "DemArtefact",
    "HorizonMap",
    "Terrain",
    "check_dem_artefacts",
    "cone_crater",
    "dem_artefacts",
    "far_field_available",
    "fill_missing",
    "flat_terrain",
    "global_grid_path",
    "horizon_at_points",
    "horizon_map",
    "latlon_of_xy",
    "outer_from_global",
    "read_dem",
    "read_geotiff",
    "read_npy",
    "read_pds3",
    "reference_dem",
    "single_peak",
    "synthetic_terrain",
    "write_geotiff",
    "xy_of_latlon",
]
