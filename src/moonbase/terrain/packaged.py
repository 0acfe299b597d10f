"""The packaged reference DEM: real LOLA-derived terrain around Shackleton, with no download.

:func:`reference_dem` returns a 256 x 256 grid of 200 m cells (51.2 km square) in south polar
stereographic on R = 1737.4 km: Shackleton crater, the Connecting Ridge to de Gerlache and the
south pole itself. It is NASA LOLA polar topography (public domain) as median-filtered and
downscaled in the AuroraRoboticsLab/GodotRobot repository (Unlicense), with the square that
repository had edited (rows and columns 103-152, about 145 m too low) replaced by its own 40 m
crop block-averaged 5 x 5. ``scripts/make_reference_dem.py`` regenerates the file byte for byte
from the two crops; ``src/moonbase/terrain/data/README.md`` records its provenance. The file is
pinned by SHA-256 in :data:`moonbase.datastore.PINNED` and read through
:func:`moonbase.datastore.locate`.

The crop is smoothed (a 30 m median filter, then 200 m pixels) and holds no terrain beyond
~25-40 km: use it with the far field (:func:`moonbase.terrain.outer_from_global`) for light.

>>> dem = reference_dem()
>>> dem.shape, dem.pixel_m, dem.bounds_m
((256, 256), 200.0, (-30000.0, 21200.0, -36200.0, 15000.0))
"""

from __future__ import annotations

from functools import cache

import numpy as np

from moonbase.errors import DataError
from moonbase.terrain.model import Terrain

__all__ = ["REFERENCE_DEM_FILE", "REFERENCE_DEM_SOURCE", "reference_dem"]

#: The name of the packaged DEM in :data:`moonbase.datastore.PINNED`.
REFERENCE_DEM_FILE = "reference_dem.npz"

#: The ``source`` of the packaged DEM's :class:`~moonbase.terrain.Terrain`.
REFERENCE_DEM_SOURCE = (
    "packaged LOLA-derived 200 m crop of Shackleton and the Connecting Ridge (256 x 256 cells, "
    "x -30.0..21.2 km, y -36.2..15.0 km, south polar stereographic; LOLA via "
    "AuroraRoboticsLab/GodotRobot 371c713d, edited square repaired from its 40 m crop)"
)

_KEYS = ("elevation_q", "scale_m", "corner_xy_m", "pixel_m")


@cache
def _load(path: str) -> Terrain:
    try:
        with np.load(path, allow_pickle=False) as bundle:
            missing = [k for k in _KEYS if k not in bundle.files]
            if missing:
                raise DataError(
                    f"{path}: no arrays {missing}; reinstall moonbase or rerun "
                    "`python scripts/make_reference_dem.py`"
                )
            heights = bundle["elevation_q"].astype(np.float64) * float(bundle["scale_m"])
            x0, y0 = (float(v) for v in bundle["corner_xy_m"])
            pixel = float(bundle["pixel_m"])
    except (OSError, ValueError) as error:
        raise DataError(f"{path}: cannot read it as a .npz file: {error}") from None
    return Terrain(heights, x0_m=x0, y0_m=y0, pixel_m=pixel, source=REFERENCE_DEM_SOURCE)


def reference_dem() -> Terrain:
    """The packaged LOLA-derived 200 m DEM of Shackleton and the Connecting Ridge (repaired).

    Verified against its pinned SHA-256 on first use in a process; a missing or mismatching
    file raises :class:`~moonbase.errors.DataError` in one line naming the file and the fix
    (reinstall moonbase, or rerun ``scripts/make_reference_dem.py`` in a source checkout).
    Heights are stored at 0.25 m steps; the result is cached (a :class:`Terrain` is immutable).
    """
    from moonbase.datastore import locate

    return _load(str(locate(REFERENCE_DEM_FILE)))
