"""TCP for asyncssh with the packets of one event-loop turn sent in one system call.

asyncssh writes every SSH packet to its transport on its own, and puts an SSH_MSG_IGNORE
packet before each one once the session is encrypted: a command on an open connection (open
the channel, exec, EOF, close) was eight `send()` calls, each through the kernel's TCP stack
and the lab's veth in the master's own CPU time. Here the writes of one turn of the loop
are joined and sent once at the end of it (`call_soon`), so a packet and its IGNORE leave
together. The bytes on the wire are the same, in the same order.

asyncssh takes this as its `tunnel`: any object with `create_connection(factory, host, port)`
returning `(transport, protocol)` will do; asyncssh then runs the SSH session over it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class _BatchedTransport(asyncio.Transport):
    """A TCP transport whose writes wait for the end of the loop's turn and go out as one."""

    def __init__(self, inner: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._inner = inner
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def _flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._inner.is_closing():
                self._inner.write(data)

    # Closing sends what is pending first, as the inner transport does with its own buffer.
    def close(self) -> None:
        self._flush()
        self._inner.close()

    def abort(self) -> None:
        self._flush()
        self._inner.abort()

    def write_eof(self) -> None:
        self._flush()
        self._inner.write_eof()

    def can_write_eof(self) -> bool:
        return self._inner.can_write_eof()

    def is_closing(self) -> bool:
        return self._inner.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._inner.get_extra_info(name, default)

    def get_write_buffer_size(self) -> int:
        return self._inner.get_write_buffer_size() + sum(map(len, self._pending))

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._inner.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._inner.set_write_buffer_limits(high, low)

    def pause_reading(self) -> None:
        self._inner.pause_reading()

    def resume_reading(self) -> None:
        self._inner.resume_reading()

    def is_reading(self) -> bool:
        return self._inner.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._inner.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._inner.get_protocol()


class _Relay(asyncio.Protocol):
    """The inner transport's protocol: hands everything to asyncssh's, which sees the batching
    transport instead of the socket's own."""

    def __init__(self, session: asyncio.Protocol, loop: asyncio.AbstractEventLoop) -> None:
        self.session = session
        self._loop = loop

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.session.connection_made(_BatchedTransport(transport, self._loop))

    def data_received(self, data: bytes) -> None:
        self.session.data_received(data)

    def eof_received(self) -> bool | None:
        return self.session.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.session.connection_lost(exc)

    def pause_writing(self) -> None:
        self.session.pause_writing()

    def resume_writing(self) -> None:
        self.session.resume_writing()


class BatchedTcp:
    """asyncssh's `tunnel=`: a plain TCP connection with batched writes."""

    async def create_connection(
        self, session_factory: Callable[[], asyncio.Protocol], remote_host: str, remote_port: int
    ) -> tuple[asyncio.BaseTransport, asyncio.Protocol]:
        loop = asyncio.get_running_loop()
        transport, relay = await loop.create_connection(
            lambda: _Relay(session_factory(), loop), remote_host, remote_port
        )
        return transport, relay.session
