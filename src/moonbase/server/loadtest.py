"""A bounded load generator for the portal (loopback only): concurrent clients reading plans
and submitting experiment requests, then a check that every acknowledged write is stored.

``run_load`` stops by itself after ``duration_s`` or ``max_requests``, whichever comes first.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlparse

import numpy as np

from moonbase.errors import InputError

__all__ = ["LoadReport", "run_load"]


@dataclass
class LoadReport:
    clients: int
    seconds: float
    requests: int
    throughput_rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    writes_acked: int
    writes_found: int
    lost_writes: int

    def as_dict(self) -> dict:
        return asdict(self)


async def _client(http, index, tokens, deadline, budget, latencies, failures, acked, write_every):
    token = tokens[index % len(tokens)]
    headers = {"Authorization": f"Bearer {token}"}
    n = 0
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        n += 1
        t0 = time.perf_counter()
        try:
            if n % write_every == 0:
                title = f"load-{index}-{n}"
                body = {
                    "title": title,
                    "instrument": "LOAD",
                    "duration_h": 1.0 + (n % 24),
                    "power_w": 100.0,
                    "data_gb": 0.5,
                    "earliest": "2031-01-01",
                    "latest": "2031-06-30",
                    "priority": 1 + n % 5,
                }
                response = await http.post("/api/requests", json=body, headers=headers)
                if response.status_code == 201:
                    acked.append(response.json()["id"])
            else:
                response = await http.get("/api/plans", headers=headers)
            ok = response.is_success
        except Exception:
            ok = False
        latencies.append(time.perf_counter() - t0)
        if not ok:
            failures.append(n)


async def _run(base_url, tokens, planner_token, clients, duration_s, max_requests, write_every):
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    failures: list[int] = []
    acked: list[int] = []
    budget = [max_requests]
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0) as http:
        start = time.monotonic()
        deadline = start + duration_s
        await asyncio.gather(
            *(
                _client(http, i, tokens, deadline, budget, latencies, failures, acked, write_every)
                for i in range(clients)
            )
        )
        seconds = time.monotonic() - start
        found: set[int] = set()
        offset = 0
        while True:
            page = await http.get(
                "/api/requests",
                params={"limit": 5000, "offset": offset},
                headers={"Authorization": f"Bearer {planner_token}"},
            )
            page.raise_for_status()
            rows = page.json()
            found.update(r["id"] for r in rows)
            if len(rows) < 5000:
                break
            offset += len(rows)
    lat = np.array(latencies) * 1000.0
    lost = len(set(acked) - found)
    return LoadReport(
        clients=clients,
        seconds=seconds,
        requests=len(latencies),
        throughput_rps=len(latencies) / seconds if seconds else 0.0,
        p50_ms=float(np.percentile(lat, 50)) if lat.size else 0.0,
        p99_ms=float(np.percentile(lat, 99)) if lat.size else 0.0,
        errors=len(failures),
        writes_acked=len(acked),
        writes_found=len(set(acked) & found),
        lost_writes=lost,
    )


def run_load(
    base_url: str,
    tokens: list[str],
    planner_token: str,
    *,
    clients: int = 50,
    duration_s: float = 60.0,
    max_requests: int = 200_000,
    write_every: int = 4,
) -> LoadReport:
    """Drive ``clients`` concurrent clients against ``base_url`` (which must be loopback).

    Each client cycles through ``tokens``; every ``write_every``-th call submits a request,
    the others read ``/api/plans``. ``planner_token`` lists all requests afterwards to count
    lost writes (acknowledged with 201 but not stored).
    """
    host = urlparse(base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise InputError(
            f"load tests run on loopback only, not {host!r}",
            field="base_url",
            hint="start the server on 127.0.0.1",
        )
    if not (1 <= clients <= 500 and 0 < duration_s <= 600):
        raise InputError("clients must be 1..500 and duration 0..600 s", field="clients/duration_s")
    return asyncio.run(
        _run(base_url, tokens, planner_token, clients, duration_s, max_requests, write_every)
    )
