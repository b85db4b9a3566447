"""What a facts round costs the master, counted where it is spent: send() calls per command,
SSH data packets per facts answer, the pin file's thread per reconnect (real sshd, lab nodes)."""

from __future__ import annotations

import asyncio
import shlex

import asyncssh
import pytest

from fueltui.master.discovery.facts import gather_facts
from fueltui.master.discovery.facts_script import FACTS_SCRIPT
from fueltui.ssh.batchedwrites import _BatchedTransport
from labfixtures import LabHandle

pytestmark = pytest.mark.lab


class _Chunks(asyncssh.SSHClientSession[bytes]):
    """Counts the SSH data packets of the command's stdout."""

    def __init__(self) -> None:
        self.stdout: list[bytes] = []

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        if datatype is None:
            self.stdout.append(data)


async def test_a_command_on_an_open_connection_takes_at_most_four_sends(lab3: LabHandle) -> None:
    with lab3.in_master_ns():
        async with lab3.fanout() as fan:
            ip = lab3.admin_ip(1)
            assert (await fan.run(ip, ["true"])).ok  # the connection is open
            batched = fan._conns[ip]._transport
            assert isinstance(batched, _BatchedTransport)
            sends: list[bytes] = []
            real_write = batched._inner.write

            def counted(data: bytes) -> None:
                sends.append(data)
                real_write(data)

            batched._inner.write = counted  # type: ignore[method-assign,assignment]
            result = await fan.run(ip, ["echo", "hello"])
            for _ in range(3):  # our CLOSE, sent on the node's, leaves at the end of its loop turn
                await asyncio.sleep(0)
            counted_sends = list(sends)  # not the DISCONNECT when the fan-out closes
    assert result.stdout == "hello\n"
    # open the channel, exec, EOF, close: asyncssh writes each with an IGNORE before it (8
    # writes); one loop turn's packets now leave together.
    assert 1 <= len(counted_sends) <= 4, [len(s) for s in counted_sends]


async def test_the_facts_answer_is_one_data_packet(lab3: LabHandle) -> None:
    with lab3.in_master_ns():
        async with lab3.fanout() as fan:
            ip = lab3.admin_ip(2)
            assert (await fan.run(ip, ["true"])).ok
            conn = fan._conns[ip]
            command = "exec " + shlex.join(["sh", "-c", FACTS_SCRIPT, "sh", "BOUNDARY"])
            chan, session = await conn.create_session(_Chunks, command, encoding=None)
            assert isinstance(session, _Chunks)
            await chan.wait_closed()
            facts = await gather_facts(fan, ip)
    text = b"".join(session.stdout).decode()
    assert "\nBOUNDARY end\n" in text and "BOUNDARY links" in text
    # The script's sections come from a dozen processes; each wrote on its own and sshd sent
    # ~23 packets, each a decrypt and a Python round in asyncssh on the master.
    assert len(session.stdout) == 1, [len(c) for c in session.stdout]
    assert facts.nics and any(nic.pxe for nic in facts.nics)


async def test_unfollowed_output_reads_the_same_as_followed(lab3: LabHandle) -> None:
    # Blank lines, no final newline, and more than one SSH packet's worth (32 KiB).
    command = "printf 'a\\n\\nb\\n'; head -c 100000 /dev/zero | tr '\\0' x; printf '\\n\\nend'; echo e >&2"
    seen: list[str] = []
    with lab3.in_master_ns():
        async with lab3.fanout() as fan:
            ip = lab3.admin_ip(3)
            whole = await fan.run(ip, command)
            followed = await fan.run(ip, command, on_line=lambda stream, line: seen.append(line))
            empty = await fan.run(ip, ["true"])
    assert whole.stdout == followed.stdout == "a\n\nb\n" + "x" * 100000 + "\n\nend\n"
    assert whole.stderr == followed.stderr == "e\n"
    assert empty.stdout == ""


async def test_a_known_node_reconnects_without_a_trip_to_the_pin_file(lab3: LabHandle) -> None:
    with lab3.in_master_ns():
        async with lab3.fanout() as fan:
            flushes: list[bool] = []
            real_flush = fan.host_keys.flush

            def counted() -> None:
                flushes.append(fan.host_keys.unsaved)
                real_flush()

            fan.host_keys.flush = counted  # type: ignore[method-assign]
            ips = [lab3.admin_ip(n.index) for n in lab3.nodes]
            await asyncio.gather(*(fan.run(ip, ["true"]) for ip in ips))
            first = len(flushes)
            pins = fan.host_keys.path.read_text()
            await fan.close()  # cold: every node's own handshake again
            await asyncio.gather(*(fan.run(ip, ["true"]) for ip in ips))
    # First contact: the pins are written before the connections are used (at least once,
    # one flush may carry several pins); a reconnect with the pinned keys writes nothing.
    assert first >= 1 and all(flushes[:first])
    assert len(flushes) == first
    assert fan.host_keys.path.read_text() == pins
