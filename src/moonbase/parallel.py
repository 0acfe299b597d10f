"""Seeded chunks of Monte Carlo runs, in this process or on Dask, with identical results.

Both Monte Carlos (the campaign's, :mod:`moonbase.campaign.risk`, and the whole plan's,
:mod:`moonbase.study.montecarlo`) split their runs into chunks of a size that does not depend on
the number of workers and give each chunk its own child of ``numpy.random.SeedSequence(seed)``;
:func:`map_chunks` runs ``fn(spec, seed, size)`` for every chunk and returns the results in chunk
order, so a seed gives the same answer in process, on one worker or on many.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from moonbase.errors import InputError

__all__ = ["chunk_sizes", "dask_client", "map_chunks"]


def chunk_sizes(n_runs: int, chunk_runs: int) -> list[int]:
    """``n_runs`` split into chunks of ``chunk_runs`` (the last one smaller)."""
    full, rest = divmod(int(n_runs), int(chunk_runs))
    return [int(chunk_runs)] * full + ([rest] if rest else [])


def dask_client(
    n_workers: int,
    scheduler_address: str | None,
    *,
    timeout_s: float = 10.0,
    env: dict[str, str] | None = None,
):
    """``(client, cluster)``: a client of the scheduler at ``scheduler_address``, or of a local
    cluster of ``n_workers`` single-threaded processes (``cluster`` None for an address), each
    with the environment variables ``env``.

    An address no scheduler answers within ``timeout_s`` is an :class:`InputError` naming
    ``--scheduler``.
    """
    from distributed import Client, LocalCluster

    if scheduler_address is not None:
        try:
            return Client(scheduler_address, timeout=timeout_s), None
        except (OSError, TimeoutError, ValueError) as error:
            raise InputError(
                f"cannot reach a Dask scheduler at {scheduler_address!r} ({error})",
                field="--scheduler",
                hint="give the address `dask scheduler` prints, or leave it out to start "
                "local workers",
            ) from None
    cluster = LocalCluster(
        processes=True,
        n_workers=max(1, n_workers),
        threads_per_worker=1,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},  # no fixed port, no warning
        env=env or {},
    )
    return Client(cluster), cluster


def map_chunks(
    fn: Callable,
    spec,
    seeds: Sequence[np.random.SeedSequence],
    sizes: Sequence[int],
    *,
    n_workers: int = 0,
    scheduler_address: str | None = None,
    client=None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list, int]:
    """``[fn(spec, seed, size) ...]`` in chunk order, and the number of Dask workers used.

    In this process when ``n_workers`` is 0 and neither ``client`` nor ``scheduler_address`` is
    given (0 workers used); else on ``client``, the scheduler at ``scheduler_address``, or a
    local cluster started for the call and closed after it. ``spec`` is sent to each worker
    once. ``progress(done_runs, total_runs)`` is called as chunks finish.
    """
    total = int(sum(sizes))
    if client is None and scheduler_address is None and n_workers == 0:
        results, done = [], 0
        for child, size in zip(seeds, sizes, strict=True):
            results.append(fn(spec, child, size))
            done += size
            if progress:
                progress(done, total)
        return results, 0
    from distributed import as_completed

    own_client = own_cluster = None
    try:
        if client is None:
            own_client, own_cluster = dask_client(n_workers, scheduler_address)
            client = own_client
        workers = len(client.scheduler_info().get("workers", {}))
        spec_future = client.scatter(spec, broadcast=True)
        futures = [
            client.submit(fn, spec_future, child, size, pure=False)
            for child, size in zip(seeds, sizes, strict=True)
        ]
        position = {future.key: i for i, future in enumerate(futures)}
        results: list = [None] * len(futures)
        done = 0
        for future in as_completed(futures):
            i = position[future.key]
            results[i] = future.result()
            done += sizes[i]
            if progress:
                progress(done, total)
        return results, workers
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
