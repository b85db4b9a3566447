"""The batching TCP under asyncssh, over a real loopback socket: one turn's writes leave in one
send(), in order, and closing or aborting sends what is pending first."""

from __future__ import annotations

import asyncio

from fueltui.ssh.batchedwrites import BatchedTcp, _BatchedTransport
from polling import async_wait_until


class _Session(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += data

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.set_result(exc)


async def _peer() -> tuple[asyncio.Server, asyncio.Queue[bytes], int]:
    chunks: asyncio.Queue[bytes] = asyncio.Queue()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            chunks.put_nowait(data)
        chunks.put_nowait(b"")
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, chunks, server.sockets[0].getsockname()[1]


async def test_one_turns_writes_leave_in_one_send_in_order() -> None:
    server, chunks, port = await _peer()
    async with server:
        _, session = await BatchedTcp().create_connection(_Session, "127.0.0.1", port)
        assert isinstance(session, _Session) and isinstance(session.transport, _BatchedTransport)
        sends: list[bytes] = []
        inner = session.transport._inner
        real_write = inner.write

        def counted(data: bytes) -> None:
            sends.append(bytes(data))
            real_write(data)

        inner.write = counted  # type: ignore[method-assign,assignment]
        for part in (b"ignore|", b"open|", b"exec|"):
            session.transport.write(part)
        assert sends == []  # not before the end of this turn
        await asyncio.sleep(0)
        assert sends == [b"ignore|open|exec|"]
        session.transport.write(b"eof|")
        session.transport.write(b"close")
        session.transport.close()  # pending data first, then the close
        got = b""
        while chunk := await chunks.get():
            got += chunk
        assert got == b"ignore|open|exec|eof|close"
        assert sends[1:] == [b"eof|close"]
        await session.lost


async def test_abort_sends_what_this_turn_wrote_and_reads_reach_the_session() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello from the node")
        await writer.drain()
        received.set_result(await reader.read(100))
        writer.close()

    received: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        transport, session = await BatchedTcp().create_connection(_Session, "127.0.0.1", port)
        assert isinstance(session, _Session) and session.transport is not None

        async def arrived() -> bool:
            return bool(session.received)

        await async_wait_until(arrived, timeout=5.0, what="the node's greeting")
        assert bytes(session.received) == b"hello from the node"
        assert session.transport.get_extra_info("peername")[1] == port
        session.transport.write(b"disconnect")
        session.transport.abort()
        assert await asyncio.wait_for(received, 5) == b"disconnect"
        await session.lost
        assert transport.is_closing()
