"""What keeps one client from starving the others: a cap on open TCP connections, a deadline
for each request to arrive, and a cap on request bodies.

Without the token a TCP client can still open connections. Each one costs the master a file
descriptor; left unbounded, ~20 k idle ones exhausted them and the owner's unix socket could
no longer accept. So TCP connections beyond the cap are closed as soon as they are accepted,
and a connection that has not sent a whole request within the deadline (idle, or sending
its headers or body a byte at a time) is closed. The unix socket is the owner's: never capped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

MAX_TCP_CONNECTIONS_ENV = "FUELTUI_MAX_TCP_CONNECTIONS"
REQUEST_TIMEOUT_ENV = "FUELTUI_REQUEST_TIMEOUT"
MAX_TCP_CONNECTIONS = 256
REQUEST_TIMEOUT = 10.0  # seconds for a whole request (headers and body) to arrive
KEEP_ALIVE = 5  # seconds an idle connection stays open between requests
MAX_BODY = 8 * 1024 * 1024  # the largest answers file is 4 MB; JSON quoting may double it
MAX_HEADERS = 64 * 1024


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        log.warning("ignoring %s=%r: not a number", name, raw)
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Limits:
    max_tcp_connections: int = MAX_TCP_CONNECTIONS
    request_timeout: float = REQUEST_TIMEOUT

    @classmethod
    def from_env(cls) -> Limits:
        return cls(
            max_tcp_connections=int(_env_number(MAX_TCP_CONNECTIONS_ENV, MAX_TCP_CONNECTIONS)),
            request_timeout=_env_number(REQUEST_TIMEOUT_ENV, REQUEST_TIMEOUT),
        )


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on TCP: a connection that has not sent a whole
    request within `request_timeout` (idle, or trickling its headers or body) is closed.
    Subclasses made by `guarded_protocol` carry the limits and their set of open TCP
    connections."""

    limits = Limits()
    open_tcp: set[H11Protocol] = set()
    _tcp = False
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        self._tcp = sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6)
        if self._tcp:
            self.open_tcp.add(self)
            self._arm_deadline()
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open_tcp.discard(self)
        self._disarm_deadline()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._tcp and not self.transport.is_closing():
            self._arm_deadline()  # the next request must arrive whole in time, too

    def _arm_deadline(self) -> None:
        self._disarm_deadline()
        self._deadline = asyncio.get_running_loop().call_later(self.limits.request_timeout, self._expire)

    def _disarm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        # Still waiting for (part of) a request. A request that arrived whole (their_state
        # DONE) is being answered, e.g. a stream: left alone.
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            self.transport.abort()


def guarded_protocol(limits: Limits) -> type[GuardedH11Protocol]:
    """A protocol class for `uvicorn.Config(http=...)` with its own limits and connection set."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits, "open_tcp": set()})


async def accept_tcp(
    listener: socket.socket, factory: Callable[[], asyncio.Protocol], protocol: type[GuardedH11Protocol]
) -> None:
    """Accept TCP connections one at a time (asyncio's own server accepts a whole backlog at
    once and can run out of descriptors before any protocol sees its connection). Past the
    cap a connection is closed as soon as it is accepted: it never holds a descriptor."""
    loop = asyncio.get_running_loop()
    listener.setblocking(False)
    while True:
        try:
            conn, _ = await loop.sock_accept(listener)
        except OSError as exc:
            log.warning("TCP accept failed (%s); retrying", exc)
            await asyncio.sleep(0.5)
            continue
        if len(protocol.open_tcp) >= protocol.limits.max_tcp_connections:
            conn.close()
            continue
        try:
            await loop.connect_accepted_socket(factory, conn)
        except OSError:
            conn.close()


Receive = Callable[[], Any]
Refuse = Callable[[int, str, str], Any]  # (status, code, message) -> an ASGI response


class BodyLimit:
    """ASGI middleware: a request body larger than `max_body` is answered 413 without being
    kept; the body is read here (FastAPI would read it whole anyway) and handed on."""

    def __init__(self, app: Any, refuse: Refuse, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body
        self.refuse = refuse

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > self.max_body:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                chunks = []
                break  # disconnected: the app sees an empty body and its receive says so
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body:
                await self._too_large(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: dict[str, Any], receive: Receive, send: Any) -> None:
        limit = f"{self.max_body // (1024 * 1024)} MiB"
        response = self.refuse(413, "body-too-large", f"the request body is larger than {limit}")
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
