"""Large visibility maps as tiles on Dask: a local cluster by default, any scheduler by address.

Every tile is computed by :func:`moonbase.site.visibility.visibility_statistics` with the *whole
map's* reference point and the same epoch blocks, and cells never interact, so the tiled result
is identical (bit for bit) to the untiled one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np

from moonbase.errors import InputError
from moonbase.site.geometry import check_horizon
from moonbase.site.visibility import (
    BLOCK_EPOCHS,
    Reference,
    VisibilityStats,
    map_reference,
    visibility_statistics,
)
from moonbase.time import Time

__all__ = ["tile_slices", "visibility_statistics_tiled"]

_ARRAY_FIELDS = (
    "lit_percent",
    "effective_illumination_percent",
    "earth_visible_percent",
    "lit_and_earth_percent",
    "longest_dark_hours",
    "longest_dark_start",
    "permanent_shadow",
)


def tile_slices(shape: tuple[int, int], tile: int) -> list[tuple[slice, slice]]:
    """Row-major square tiles of side ``tile`` covering a ``(rows, cols)`` grid."""
    if tile < 1:
        raise InputError(f"tile size must be at least 1 cell, got {tile}", field="tile")
    rows, cols = shape
    return [
        (slice(r, min(r + tile, rows)), slice(c, min(c + tile, cols)))
        for r in range(0, rows, tile)
        for c in range(0, cols, tile)
    ]


def _tile_task(horizon, lat, lon, height, times, reference, block_epochs, numba_threads):
    import numba

    if numba_threads:
        numba.set_num_threads(min(numba_threads, numba.config.NUMBA_NUM_THREADS))
    stats = visibility_statistics(
        horizon, lat, lon, height, times, reference=reference, block_epochs=block_epochs
    )
    return stats


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, n_workers: int = 2) -> Iterator:
    """A ``distributed.Client``: to ``scheduler`` (an address) or to a new local cluster.

    The local cluster uses processes, ``n_workers`` single-threaded workers and no dashboard; it
    is closed on exit.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def visibility_statistics_tiled(
    horizon_deg,
    latitude_deg,
    longitude_deg,
    height_m,
    times: Time,
    *,
    tile: int = 128,
    scheduler: str | None = None,
    client=None,
    n_workers: int = 2,
    reference: Reference | None = None,
    block_epochs: int = BLOCK_EPOCHS,
    progress: Callable[[int, int], None] | None = None,
) -> VisibilityStats:
    """:func:`visibility_statistics` of a ``(rows, cols)`` map, tile by tile on Dask.

    ``client`` (an open ``distributed.Client``) wins over ``scheduler`` (an address such as
    ``tcp://10.0.0.5:8786``); with neither a local cluster of ``n_workers`` processes is started
    and closed. ``progress(done_tiles, total_tiles)`` is called as tiles finish.
    """
    horizon = check_horizon(horizon_deg)
    if horizon.ndim != 3:
        raise InputError(
            f"tiling needs a (rows, cols, D) horizon map, got shape {horizon.shape}",
            field="horizon_deg",
            hint="use visibility_statistics for lists of sites",
        )
    grid = horizon.shape[:2]
    lat, lon, height = (
        np.broadcast_to(np.asarray(a, dtype=float), grid)
        for a in (latitude_deg, longitude_deg, height_m)
    )
    if reference is None:
        reference = map_reference(lat, lon, height)
    slices = tile_slices(grid, tile)

    def run(active) -> VisibilityStats:
        futures = {}
        for index, (rows, cols) in enumerate(slices):
            future = active.submit(
                _tile_task,
                horizon[rows, cols],
                lat[rows, cols],
                lon[rows, cols],
                height[rows, cols],
                times,
                reference,
                block_epochs,
                1 if client is None and scheduler is None else 0,
                pure=False,
            )
            futures[future] = index
        from distributed import as_completed

        parts: dict[int, VisibilityStats] = {}
        for done, future in enumerate(as_completed(list(futures)), start=1):
            parts[futures[future]] = future.result()
            if progress is not None:
                progress(done, len(slices))
        return _assemble(grid, slices, parts)

    if client is not None:
        return run(client)
    with dask_client(scheduler, n_workers) as active:
        return run(active)


def _assemble(grid, slices, parts) -> VisibilityStats:
    first = parts[0]
    arrays = {}
    for name in _ARRAY_FIELDS:
        sample = getattr(first, name)
        full = np.empty(grid, dtype=sample.dtype)
        for index, (rows, cols) in enumerate(slices):
            full[rows, cols] = getattr(parts[index], name)
        arrays[name] = full
    return VisibilityStats(
        **arrays,
        n_epochs=first.n_epochs,
        step_s=first.step_s,
        start_utc=first.start_utc,
        stop_utc=first.stop_utc,
    )
