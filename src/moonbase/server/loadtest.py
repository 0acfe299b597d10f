"""A bounded load generator for the portal (loopback only): concurrent clients reading plans
and submitting experiment requests, then a check that every acknowledged write is stored.

``run_load`` stops by itself after ``duration_s`` or ``max_requests``, whichever comes first.
Each client is one keep-alive HTTP/1.1 connection driven by a small hand-written client on
asyncio streams (a general-purpose client costs more CPU than the server it measures, and on a
small machine the two share the cores).
"""

from __future__ import annotations

import asyncio
import json
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


class _Connection:
    """One keep-alive HTTP/1.1 connection: requests with a body of JSON, answers framed by
    ``Content-Length`` (as the portal sends them)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, token: str, body: bytes = b"") -> tuple:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {token}\r\n"
            + (f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else "")
            + "\r\n"
        )
        try:
            self.writer.write(head.encode() + body)
            raw = await self.reader.readuntil(b"\r\n\r\n")
            status = int(raw[9:12])
            length, close = 0, False
            for line in raw.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            payload = await self.reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.close()
            raise
        if close:
            self.close()
        return status, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _client(url, index, tokens, deadline, budget, latencies, failures, acked, write_every):
    token = tokens[index % len(tokens)]
    connection = _Connection(url.hostname, url.port or 80)
    n = 0
    try:
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            n += 1
            t0 = time.perf_counter()
            try:
                if n % write_every == 0:
                    body = {
                        "title": f"load-{index}-{n}",
                        "instrument": "LOAD",
                        "duration_h": 1.0 + (n % 24),
                        "power_w": 100.0,
                        "data_gb": 0.5,
                        "earliest": "2031-01-01",
                        "latest": "2031-06-30",
                        "priority": 1 + n % 5,
                    }
                    status, payload = await connection.request(
                        "POST", "/api/requests", token, json.dumps(body).encode()
                    )
                    if status == 201:
                        acked.append(json.loads(payload)["id"])
                else:
                    status, _ = await connection.request("GET", "/api/plans", token)
                ok = 200 <= status < 300
            except Exception:
                ok = False
            latencies.append(time.perf_counter() - t0)
            if not ok:
                failures.append(n)
    finally:
        connection.close()


async def _run(base_url, tokens, planner_token, clients, duration_s, max_requests, write_every):
    import httpx

    latencies: list[float] = []
    failures: list[int] = []
    acked: list[int] = []
    budget = [max_requests]
    url = urlparse(base_url)
    start = time.monotonic()
    deadline = start + duration_s
    await asyncio.gather(
        *(
            _client(url, i, tokens, deadline, budget, latencies, failures, acked, write_every)
            for i in range(clients)
        )
    )
    seconds = time.monotonic() - start
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as http:
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
