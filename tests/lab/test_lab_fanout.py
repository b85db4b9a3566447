"""The SSH fan-out against real sshd on lab nodes: streaming, quoting, kills, files."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fueltui.lab import processes
from fueltui.ssh.fanout import KILL_TIMEOUT, CommandTimeout, NodeUnreachable
from labfixtures import LabHandle
from polling import async_wait_until

pytestmark = pytest.mark.lab


def remote_procs(lab3: LabHandle, index: int, needle: str) -> list[str]:
    out = lab3.lab.node_exec(index, ["ps", "-eo", "args"])
    return [line for line in out.splitlines() if needle in line]


async def test_lines_stream_to_the_callback_in_order(lab3: LabHandle) -> None:
    seen: list[tuple[str, str]] = []
    with lab3.in_master_ns():
        async with lab3.fanout() as fan:
            result = await fan.run(
                lab3.admin_ip(1),
                "for i in 1 2 3; do echo out$i; echo err$i >&2; done; exit 7",
                on_line=lambda stream, line: seen.append((stream, line)),
            )
    assert result.exit_status == 7
    assert result.stdout == "out1\nout2\nout3\n" and result.stderr == "err1\nerr2\nerr3\n"
    assert [line for stream, line in seen if stream == "stdout"] == ["out1", "out2", "out3"]
    assert [line for stream, line in seen if stream == "stderr"] == ["err1", "err2", "err3"]


async def test_a_streamed_stdin_is_written_as_the_caller_decides_and_ends_with_the_command(
    lab3: LabHandle,
) -> None:
    """A long-running command told what to do next down its own session (verify's GO)."""
    first_seen = asyncio.Event()
    fed: list[str] = []

    async def chunks() -> AsyncIterator[str]:
        fed.append("one")
        yield "one\n"
        await first_seen.wait()  # the second line only after the node answered the first
        fed.append("two")
        yield "two\n"
        await asyncio.Future()  # never ends by itself: the command's end must stop it

    def seen(stream: str, line: str) -> None:
        if line == "got one":
            first_seen.set()

    with lab3.in_master_ns():
        async with lab3.fanout() as fan:
            result = await asyncio.wait_for(
                fan.run(
                    lab3.admin_ip(1), "read a; echo got $a; read b; echo got $b", on_line=seen, input=chunks()
                ),
                30,
            )
            # The session is gone, the connection is not: the next command runs on it.
            assert (await fan.run(lab3.admin_ip(1), ["echo", "next"])).stdout == "next\n"
    assert result.exit_status == 0 and result.stdout == "got one\ngot two\n"
    assert fed == ["one", "two"]


async def test_argv_is_quoted_so_nothing_is_interpreted(lab3: LabHandle) -> None:
    hostile = ["$(touch /tmp/fanout-pwned)", "a'b\"c", "x; touch /tmp/fanout-pwned2", "line\nbreak", "`id`"]
    with lab3.in_master_ns():
        async with lab3.fanout() as fan:
            result = await fan.run(lab3.admin_ip(1), ["printf", "%s\\n", *hostile])
    assert result.ok
    assert result.stdout == "".join(h + "\n" for h in hostile)
    assert lab3.lab.node_exec(1, ["sh", "-c", "ls /tmp/fanout-pwned* 2>/dev/null || true"]) == ""


async def test_one_connection_per_node_is_reused_and_nodes_run_in_parallel(lab3: LabHandle) -> None:
    with lab3.in_master_ns():
        async with lab3.fanout(max_concurrency=8) as fan:
            ips = [lab3.admin_ip(n.index) for n in lab3.nodes]
            first = await asyncio.gather(*(fan.run(ip, "echo $PPID") for ip in ips))
            second = await asyncio.gather(*(fan.run(ip, "echo $PPID") for ip in ips))
            conns = {ip: fan._conns[ip] for ip in ips}
            third = await asyncio.gather(*(fan.run(ip, ["hostname"]) for ip in ips))
            assert all(fan._conns[ip] is conns[ip] for ip in ips)
    assert all(a.ok and b.ok for a, b in zip(first, second, strict=True))
    assert [r.stdout.strip() for r in third] == [f"bootstrap-{n.index}" for n in lab3.nodes]


async def test_the_concurrency_limit_bounds_handshakes_not_commands_left_running(lab3: LabHandle) -> None:
    """Verification keeps a listener running on every node until all are ready: with the
    limit around whole commands, listeners past the limit never started (64 of 200)."""
    with lab3.in_master_ns():
        async with lab3.fanout(max_concurrency=1) as fan:
            ips = [lab3.admin_ip(n.index) for n in lab3.nodes]
            waiting = [
                asyncio.create_task(
                    fan.run(ip, "while [ ! -e /tmp/fanout-go ]; do sleep 0.05; done; hostname", timeout=20)
                )
                for ip in ips
            ]
            for ip in ips:  # each node's go comes from a second command, while the first still runs
                assert (await fan.run(ip, ["touch", "/tmp/fanout-go"], timeout=10)).ok
            results = await asyncio.gather(*waiting)
    assert [r.stdout.strip() for r in results] == [f"bootstrap-{n.index}" for n in lab3.nodes]


async def test_timeout_kills_the_remote_process_group(lab3: LabHandle) -> None:
    with lab3.in_master_ns():
        async with lab3.fanout() as fan:
            with pytest.raises(CommandTimeout):
                await fan.run(lab3.admin_ip(2), "sleep 4101 & sleep 4102; echo never", timeout=0.5)
    await async_wait_until(
        _async(lambda: not remote_procs(lab3, 2, "sleep 410")), timeout=10, what="remote sleeps killed"
    )


def sshd_of(lab3: LabHandle, index: int) -> list[int]:
    """Every sshd process of the node (listener, sessions; `sshd-session` on newer OpenSSH)."""
    pids = []
    for pid in lab3.lab.node_pids(index):
        args = processes.cmdline(pid)
        if args and args[0].split()[0].split("/")[-1].startswith("sshd"):
            pids.append(pid)
    return pids


async def test_timeout_on_a_node_that_stopped_answering_is_bounded_and_says_so(lab3: LabHandle) -> None:
    """The kill of a timed-out command cannot reach a frozen node: the wait is still bounded
    (the kill's own channel inside KILL_TIMEOUT) and the error does not claim a kill."""
    started = asyncio.Event()
    frozen: list[int] = []
    try:
        with lab3.in_master_ns():
            async with lab3.fanout() as fan:
                run = asyncio.create_task(
                    fan.run(
                        lab3.admin_ip(2),
                        "echo started; exec sleep 4301",
                        on_line=lambda s, line: started.set(),
                        timeout=3,
                    )
                )
                await asyncio.wait_for(started.wait(), 10)
                frozen = sshd_of(lab3, 2)
                assert frozen
                for pid in frozen:  # the node's SSH side stops answering; TCP stays up
                    os.kill(pid, signal.SIGSTOP)
                began = time.monotonic()
                with pytest.raises(CommandTimeout) as caught:
                    await run
                elapsed = time.monotonic() - began
                assert fan._conns.get(lab3.admin_ip(2)) is None  # dropped, not reused
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
        lab3.lab.node_exec(2, ["pkill", "-f", "sleep 4301"], check=False)
    assert elapsed < 3 + KILL_TIMEOUT + 2, elapsed
    assert caught.value.outcome == "unconfirmed"
    assert "was killed" not in str(caught.value) and "may still run there" in str(caught.value)


async def test_cancellation_kills_the_remote_process(lab3: LabHandle) -> None:
    with lab3.in_master_ns():
        async with lab3.fanout() as fan:
            started = asyncio.Event()
            task = asyncio.create_task(
                fan.run(
                    lab3.admin_ip(3), "echo started; exec sleep 4201", on_line=lambda s, line: started.set()
                )
            )
            await asyncio.wait_for(started.wait(), 10)
            assert remote_procs(lab3, 3, "sleep 4201")
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    await async_wait_until(
        _async(lambda: not remote_procs(lab3, 3, "sleep 4201")), timeout=10, what="remote sleep killed"
    )


async def test_put_file_writes_atomically_with_its_mode(lab3: LabHandle) -> None:
    data = bytes(range(256)) * 10
    with lab3.in_master_ns():
        async with lab3.fanout() as fan:
            await fan.put_file(lab3.admin_ip(1), "/etc/fueltui-test/dir/blob", data, 0o640)
            result = await fan.run(
                lab3.admin_ip(1),
                ["sh", "-c", "stat -c %a /etc/fueltui-test/dir/blob; md5sum < /etc/fueltui-test/dir/blob"],
            )
    mode, digest = result.stdout.split()[:2]
    assert mode == "640" and digest == hashlib.md5(data).hexdigest()
    # The node's root is its own: the host never sees the file.
    assert not Path("/etc/fueltui-test").exists()


async def test_an_unreachable_node_is_a_clear_error(lab3: LabHandle) -> None:
    with lab3.in_master_ns():
        async with lab3.fanout(connect_timeout=2) as fan:
            with pytest.raises(NodeUnreachable, match=r"10\.20\.0\.9"):
                await fan.run("10.20.0.9", ["true"])


def _async(check):
    async def run() -> bool:
        return bool(check())

    return run


async def test_nodes_accept_the_master_key_only(lab3: LabHandle, tmp_path: Path) -> None:
    import asyncssh

    from fueltui.ssh.fanout import Fanout
    from fueltui.ssh.hostkeys import HostKeyStore

    stranger = tmp_path / "id_ed25519"
    stranger.write_bytes(asyncssh.generate_private_key("ssh-ed25519").export_private_key())
    with lab3.in_master_ns():
        async with Fanout(stranger, HostKeyStore(tmp_path / "pins.json"), connect_timeout=5) as fan:
            with pytest.raises(NodeUnreachable, match="refused the master's SSH key"):
                await fan.run(lab3.admin_ip(1), ["true"])
    config = lab3.lab.node_exec(1, ["cat", "/etc/fueltui-node/sshd_config"])
    assert "PasswordAuthentication no" in config and "KbdInteractiveAuthentication no" in config
