"""Straight-edged steps in a DEM: the mark of an edited, pasted or mis-mosaicked patch.

A real slope, however steep, changes the height between adjacent rows (or columns) smoothly:
the step from one line to the next is close to the steps just before and after it, also on a
crater wall. An edited patch that was raised or lowered as a block instead leaves a *spike* in
the steps along its edge: one step that differs from both of its neighbours in the same
direction, by about the same amount, all along a long straight row or column segment.

For every pair of adjacent lines (rows, then columns) :func:`dem_artefacts` measures each cell's
anomalous step: ``sign * min(|d - d_before|, |d - d_after|)`` where ``d`` is the step between the
two lines and ``d_before``/``d_after`` the steps one line earlier and later, and zero when ``d``
is not above (or below) both. A crater rim or a change of slope changes ``d`` in one direction
only and so scores zero; a block lowered by ``H`` scores ``-H`` along its top and left edges and
``+H`` along its bottom and right ones. Runs of at least ``min_length_px`` cells of one sign,
each at least half of ``min_step_m``, whose mean reaches ``min_step_m``, are reported.

>>> import numpy as np
>>> heights = np.zeros((40, 40)); heights[10:30, 5:35] -= 150.0
>>> [a.describe() for a in dem_artefacts(heights)][:2]
['a -150 m step between rows 9 and 10 along columns 5..34', 'a +150 m step between rows 29 and 30 along columns 5..34']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moonbase.errors import InputError

__all__ = ["DemArtefact", "check_dem_artefacts", "dem_artefacts"]

#: Default smallest mean anomalous step (m) and segment length (pixels) reported.
MIN_STEP_M = 100.0
MIN_LENGTH_PX = 8


@dataclass(frozen=True)
class DemArtefact:
    """A straight step in a DEM between two adjacent rows (``axis=0``) or columns (``axis=1``).

    The step lies between line ``index - 1`` and line ``index`` (rows for ``axis=0``), along the
    segment of columns (rows for ``axis=1``) ``start .. stop - 1``. ``mean_step_m`` is the mean
    anomalous step along it: positive where the heights jump up from line ``index - 1`` to
    ``index`` more than the neighbouring steps do.
    """

    axis: int
    index: int
    start: int
    stop: int
    mean_step_m: float

    @property
    def length_px(self) -> int:
        return self.stop - self.start

    def describe(self) -> str:
        """``'a -146 m step between rows 102 and 103 along columns 103..152'``."""
        lines, along = ("rows", "columns") if self.axis == 0 else ("columns", "rows")
        return (
            f"a {self.mean_step_m:+.0f} m step between {lines} {self.index - 1} and {self.index} "
            f"along {along} {self.start}..{self.stop - 1}"
        )


def _anomalous_steps(heights: np.ndarray) -> np.ndarray:
    """Anomalous step of each cell between rows ``k + 1`` and ``k + 2``: shape (rows - 3, cols)."""
    steps = np.diff(heights, axis=0)
    centre = steps[1:-1]
    up = centre - steps[:-2]
    down = centre - steps[2:]
    same = (np.sign(up) == np.sign(down)) & (up != 0)
    return np.where(same, np.sign(up) * np.minimum(np.abs(up), np.abs(down)), 0.0)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(line, start, stop) of every run of True along axis 1 of a 2-D mask."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    line, start = np.nonzero(edges == 1)
    _, stop = np.nonzero(edges == -1)
    return line, start, stop


def dem_artefacts(
    elevation_m,
    *,
    min_step_m: float = MIN_STEP_M,
    min_length_px: int = MIN_LENGTH_PX,
) -> list[DemArtefact]:
    """Straight-edged steps of at least ``min_step_m`` along ``min_length_px`` or more cells.

    ``elevation_m``: a (rows, cols) height grid (a :class:`~moonbase.terrain.Terrain`'s
    ``elevation_m``). Returns the steps between rows first, then between columns, each sorted
    by position; empty for real or synthetic terrain (see the module's notes for the measure).
    """
    heights = np.asarray(elevation_m, dtype=np.float64)
    if heights.ndim != 2:
        raise InputError(f"expected a 2-D grid, got shape {heights.shape}", field="elevation_m")
    if not (np.isfinite(min_step_m) and min_step_m > 0):
        raise InputError(
            f"must be a positive number of metres, got {min_step_m!r}", field="min_step_m"
        )
    if int(min_length_px) < 2:
        raise InputError(f"must be at least 2, got {min_length_px!r}", field="min_length_px")
    found: list[DemArtefact] = []
    for axis in (0, 1):
        grid = heights if axis == 0 else heights.T
        if grid.shape[0] < 4:
            continue
        anomaly = _anomalous_steps(grid)
        total = np.zeros((anomaly.shape[0], anomaly.shape[1] + 1))
        np.cumsum(anomaly, axis=1, out=total[:, 1:])
        for sign in (-1.0, 1.0):
            line, start, stop = _runs(sign * anomaly >= 0.5 * min_step_m)
            long = stop - start >= int(min_length_px)
            line, start, stop = line[long], start[long], stop[long]
            mean = (total[line, stop] - total[line, start]) / (stop - start)
            keep = sign * mean >= min_step_m
            found += [
                DemArtefact(axis, int(k) + 2, int(a), int(b), float(m))
                for k, a, b, m in zip(line[keep], start[keep], stop[keep], mean[keep], strict=True)
            ]
    return sorted(found, key=lambda a: (a.axis, a.index, a.start))


def check_dem_artefacts(
    elevation_m,
    *,
    source: str = "DEM",
    min_step_m: float = MIN_STEP_M,
    min_length_px: int = MIN_LENGTH_PX,
) -> None:
    """Raise :class:`InputError` (one line) naming ``source`` and the first artefact, if any.

    The error carries the list as ``error.artefacts``.
    """
    found = dem_artefacts(elevation_m, min_step_m=min_step_m, min_length_px=min_length_px)
    if not found:
        return
    more = f" and {len(found) - 1} more" if len(found) > 1 else ""
    error = InputError(
        f"{source}: {found[0].describe()}{more}: a straight-edged step like this is an edited or "
        "mis-mosaicked patch, not terrain",
        hint="repair it or pass check_artefacts=False to read_dem (--allow-dem-artefacts on the "
        "command line); the shared shackridge crop's repaired copy is moonbase.terrain.reference_dem()",
    )
    error.artefacts = found
    raise error
