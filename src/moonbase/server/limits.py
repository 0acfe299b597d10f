"""Limits and guards of the HTTP layer.

* :class:`BodyLimitMiddleware` refuses request bodies over a size limit (413) and bodies that
  stop arriving (408), with a JSON message.
* :class:`ErrorMiddleware` answers any error the app did not handle with a JSON 500 of the
  same shape as every other error (``{"message", "detail"}``) and keeps the connection usable;
  it also marks every response ``X-Content-Type-Options: nosniff``.
* :class:`TokenCache` remembers recently checked tokens for a few seconds, so most requests
  need no token query.
* :class:`SummaryCache` keeps the serialized summaries of stored results (which never
  change once stored), so listing plans reads only their ids.
* :class:`AuthThrottle` counts failed token checks per client address: past the limit the
  address gets ``429`` with ``Retry-After`` until its oldest failure leaves the window.
* :func:`header_timeout_protocol` is uvicorn's HTTP/1.1 protocol with a header-read timeout:
  a connection that has not sent a whole request head within ``HEADER_TIMEOUT_S`` of opening
  (or of its previous response) is closed, so half-open connections do not pile up.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import threading
import time
from collections import OrderedDict, deque

__all__ = [
    "HEADER_TIMEOUT_S",
    "KEEP_ALIVE_S",
    "AuthThrottle",
    "BodyLimitMiddleware",
    "ErrorMiddleware",
    "TokenCache",
    "error_body",
    "header_timeout_protocol",
]

log = logging.getLogger(__name__)

#: Seconds a client has to send a request's head (request line and headers).
HEADER_TIMEOUT_S = 10.0
#: Seconds an idle keep-alive connection stays open.
KEEP_ALIVE_S = 5.0
#: Seconds a client has to send the next chunk of a request body.
BODY_TIMEOUT_S = 30.0


def error_body(message: str, detail: list | None = None, kind: str = "error") -> bytes:
    """The JSON of an error: ``{"message": ..., "detail": [{"loc", "msg", "type"}, ...]}``."""
    detail = detail if detail is not None else [{"loc": [], "msg": message, "type": kind}]
    return json.dumps({"message": message, "detail": detail}).encode()


async def _send_json(send, status: int, body: bytes, headers=()) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Rejects a body larger than ``max_bytes``, by its Content-Length or while it streams.

    Bodies are buffered (they are small by construction) so the app never sees a partial one.
    """

    def __init__(self, app, max_bytes: int, timeout_s: float = BODY_TIMEOUT_S):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def _reject(self, send) -> None:
        message = f"request body is larger than the {self.max_bytes} byte limit"
        body = error_body(message, [{"loc": ["body"], "msg": "too large", "type": "too_large"}])
        await _send_json(send, 413, body, [(b"connection", b"close")])

    async def _timeout(self, send) -> None:
        message = f"the request body did not arrive within {self.timeout_s:g} s"
        body = error_body(message, [{"loc": ["body"], "msg": "timed out", "type": "timeout"}])
        await _send_json(send, 408, body, [(b"connection", b"close")])

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_body = False
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_large = int(value) > self.max_bytes
                    has_body = has_body or int(value) > 0
                except ValueError:
                    too_large = True
                if too_large:
                    await self._reject(send)
                    return
            elif name == b"transfer-encoding":
                has_body = True
        if not has_body:  # nothing to read (a GET): no buffering, no timer
            await self.app(scope, receive, send)
            return
        # Read the whole body (at most max_bytes) before the app sees it, then replay it.
        chunks: list[bytes] = []
        seen = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.timeout_s)
            except TimeoutError:
                await self._timeout(send)
                return
            if message["type"] != "http.request":  # client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._reject(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)


def _replay(messages: list[dict], receive):
    pending = list(messages)

    async def replay():
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


class ErrorMiddleware:
    """Unhandled errors become a JSON 500 (logged, not re-raised: the connection stays open);
    every response gets ``X-Content-Type-Options: nosniff``."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def guarded_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", ()))
                if not any(k.lower() == b"x-content-type-options" for k, _ in headers):
                    headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except Exception as error:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # too late for a clean answer: nothing more can be sent
                return
            message = (
                f"internal error ({type(error).__name__}); the request was not completed, "
                "nothing was changed by it; report this to the station's operator"
            )
            await _send_json(send, 500, error_body(message, kind="server_error"))


class AuthThrottle:
    """Failed token checks per client address, at most ``failures`` within ``window_s``.

    :meth:`retry_after` is 0 while an address may try, else the whole seconds until its oldest
    failure leaves the window. At most ``max_addresses`` addresses are remembered (the least
    recently failing are forgotten first). Thread-safe.
    """

    def __init__(self, failures: int = 20, window_s: float = 60.0, max_addresses: int = 10_000):
        self.failures = int(failures)
        self.window_s = float(window_s)
        self.max_addresses = int(max_addresses)
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._seen.get(address)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._seen[address]
        return times

    def retry_after(self, address: str) -> int:
        now = time.monotonic()
        with self._lock:
            times = self._recent(address, now)
            if len(times) < self.failures:
                return 0
            return max(1, math.ceil(times[0] + self.window_s - now))

    def failed(self, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            times = self._recent(address, now)
            times.append(now)
            self._seen[address] = times
            self._seen.move_to_end(address)
            while len(self._seen) > self.max_addresses:
                self._seen.popitem(last=False)


class TokenCache:
    """Tokens checked in the last ``ttl_s`` seconds: token -> (principal, expiry), by digest.

    A revocation through this server drops the entry at once (:meth:`drop`); one made by
    another process sharing the database bites within ``ttl_s``. Expiry is checked by the
    caller on every use. At most ``max_entries`` (the oldest go first). Thread-safe.
    """

    def __init__(self, ttl_s: float = 5.0, max_entries: int = 10_000):
        self.ttl_s = float(ttl_s)
        self.max_entries = int(max_entries)
        self._entries: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(token: str) -> str:
        import hashlib

        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, token: str):
        key = self._key(token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= time.monotonic():
                return None
            return entry[1]

    def put(self, token: str, value) -> None:
        with self._lock:
            self._entries[self._key(token)] = (time.monotonic() + self.ttl_s, value)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def drop(self, token_id: int) -> None:
        """Forget the token with id ``token_id`` (its value's first item is its principal)."""
        with self._lock:
            for key, (_, value) in list(self._entries.items()):
                if getattr(value[0], "token_id", None) == token_id:
                    del self._entries[key]


class SummaryCache:
    """Serialized result summaries by result id (results never change once stored), the
    ``max_entries`` most recently used. Thread-safe."""

    def __init__(self, max_entries: int = 2000):
        self.max_entries = int(max_entries)
        self._entries: OrderedDict[int, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, result_id: int) -> bytes | None:
        with self._lock:
            value = self._entries.get(result_id)
            if value is not None:
                self._entries.move_to_end(result_id)
            return value

    def put(self, result_id: int, value: bytes) -> None:
        with self._lock:
            self._entries[result_id] = value
            self._entries.move_to_end(result_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


@functools.cache
def header_timeout_protocol():
    """uvicorn's h11 protocol class with the header-read timeout (give it as ``http=``)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutH11Protocol(H11Protocol):
        """uvicorn's h11 protocol that closes a connection whose request head is late."""

        header_timeout_s = HEADER_TIMEOUT_S
        _head_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(self.header_timeout_s, self._head_late)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_late(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def handle_events(self) -> None:
            cycle = self.cycle
            super().handle_events()
            if self.cycle is not cycle:  # a whole request head arrived
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request's head is due within the timeout too

    return HeaderTimeoutH11Protocol
