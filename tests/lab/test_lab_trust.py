"""Liveness and trust on real nodes: leases start discovery, a dead sshd means offline,
a replaced host key means untrusted and nothing runs until the key is accepted."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from fueltui.lab.lab import lab_boot_options
from fueltui.lab.names import DHCP_POOL
from fueltui.master.discovery.service import DiscoveryService
from fueltui.master.store import Store
from fueltui.ssh.fanout import Fanout
from fueltui.ssh.hostkeys import HostKeyChanged
from labfixtures import LabHandle
from polling import async_wait_until

pytestmark = pytest.mark.lab

FAST = {"FUELTUI_POLL_INTERVAL": "0.5", "FUELTUI_OFFLINE_AFTER": "2"}


def _node(store: Store, mac: str):
    return store.node(mac).node


@asynccontextmanager
async def _one_discovered_node(
    lab: LabHandle, tmp_path: Path, poll_interval: float, offline_after: float
) -> AsyncIterator[tuple[Store, DiscoveryService, str]]:
    """A discovery service in the lab's master namespace that has found the lab's one node."""
    store = Store(tmp_path / "fueltui.db")
    store.set_boot_options(lab_boot_options(), 0)
    with lab.in_master_ns():
        service = DiscoveryService(
            store, lab.master_state_dir, poll_interval=poll_interval, offline_after=offline_after
        )
        await service.start()
        try:

            async def discovered() -> bool:
                return any(r.node.online for r in store.nodes())

            await async_wait_until(discovered, timeout=30, what="node discovered")
            yield store, service, lab.nodes[0].admin_mac
        finally:
            await service.stop()
            store.close()


async def test_leases_trigger_discovery_and_a_dead_sshd_goes_offline(
    make_lab: Callable[..., LabHandle], tmp_path: Path
) -> None:
    lab = make_lab(nodes=2, master=False, dhcp=False)
    store = Store(tmp_path / "fueltui.db")
    store.set_boot_options(lab_boot_options(), 0)
    with lab.in_master_ns():
        service = DiscoveryService(store, lab.master_state_dir, poll_interval=0.3, offline_after=1.5)
        await service.start()
        try:

            async def both_online() -> bool:
                return sum(r.node.online for r in store.nodes()) == 2

            await async_wait_until(both_online, timeout=30, what="both nodes discovered from their leases")
            assert service.dhcp is not None
            start, end = (ipaddress.IPv4Address(a) for a in DHCP_POOL)
            for lease in service.dhcp.leases():
                assert start <= ipaddress.IPv4Address(lease.ip) <= end
            assert {lease.mac for lease in service.dhcp.leases()} == {n.admin_mac for n in lab.nodes}

            # dnsmasq is supervised: killed, it comes back.
            first = service.dhcp._proc
            assert first is not None
            first.kill()

            async def dhcp_back() -> bool:
                proc = service.dhcp._proc if service.dhcp else None
                return proc is not None and proc is not first and proc.returncode is None

            await async_wait_until(dhcp_back, timeout=10, what="dnsmasq restarted")

            lab.lab.kill_sshd(2)
            dead, alive = lab.nodes[1].admin_mac, lab.nodes[0].admin_mac

            async def offline() -> bool:
                return not _node(store, dead).online

            await async_wait_until(offline, timeout=1.5 + 5, what="node with dead sshd offline")
            assert _node(store, alive).online
        finally:
            await service.stop()
            store.close()


async def test_a_node_whose_sshd_starts_after_its_lease_is_discovered_without_a_new_lease(
    make_lab: Callable[..., LabHandle], tmp_path: Path
) -> None:
    """Nodes lease before their sshd listens; 200 booting at once made the gap long enough that
    two were never discovered (their next lease was an hour away). The lease is kept and the
    address asked again until it answers."""
    lab = make_lab(nodes=1, master=False, dhcp=False)
    lab.lab.kill_sshd(1)
    store = Store(tmp_path / "fueltui.db")
    store.set_boot_options(lab_boot_options(), 0)
    with lab.in_master_ns():
        service = DiscoveryService(store, lab.master_state_dir, poll_interval=600, offline_after=600)
        await service.start()
        try:

            async def refused_once() -> bool:  # leased, and an attempt found no sshd listening
                return bool(service._retry_wait) and not service._inflight

            await async_wait_until(refused_once, timeout=30, what="the lease and a refused attempt")
            assert service.dhcp is not None
            [ip] = [lease.ip for lease in service.dhcp.leases()]
            assert list(service._retry_wait) == [ip]
            assert store.nodes() == []
            lab.lab.start_sshd(1)

            async def discovered() -> bool:
                return [r.node.mac for r in store.nodes() if r.node.online] == [lab.nodes[0].admin_mac]

            await async_wait_until(discovered, timeout=15, what="the node discovered once its sshd listens")
            assert ip not in service._leased and ip not in service._retry_at
        finally:
            await service.stop()
            store.close()


async def test_replaced_host_key_is_untrusted_until_accepted(
    make_lab: Callable[..., LabHandle], tmp_path: Path
) -> None:
    lab = make_lab(nodes=1, master=False, dhcp=False)
    async with _one_discovered_node(lab, tmp_path, poll_interval=0.3, offline_after=30) as (
        store,
        service,
        mac,
    ):
        ip = lab.admin_ip(1)
        lab.lab.replace_host_key(1)

        async def untrusted() -> bool:
            return _node(store, mac).untrusted

        await async_wait_until(untrusted, timeout=10, what="node marked untrusted")
        assert "host key" in (_node(store, mac).error or "")
        with pytest.raises(HostKeyChanged, match="changed"):
            await service.fanout.run(ip, ["touch", "/tmp/ran-on-untrusted"])
        assert lab.lab.node_exec(1, ["sh", "-c", "ls /tmp/ran-on-untrusted 2>/dev/null || true"]) == ""

        assert service.accept_host_key(mac)

        async def trusted_again() -> bool:
            node = _node(store, mac)
            return not node.untrusted and node.online and node.error is None

        await async_wait_until(trusted_again, timeout=10, what="node trusted after accepting its key")
        assert (await service.fanout.run(ip, ["true"])).ok


async def test_the_lab_master_marks_untrusted_and_offline_nodes(make_lab: Callable[..., LabHandle]) -> None:
    lab = make_lab(nodes=2, master_env=FAST)
    lab.lab.replace_host_key(1)
    lab.lab.kill_sshd(2)
    client = await lab.client()
    try:

        async def both_flagged() -> bool:
            nodes = {r.node.mac: r.node for r in await client.nodes()}
            first, second = nodes[lab.nodes[0].admin_mac], nodes[lab.nodes[1].admin_mac]
            return first.untrusted and not second.online

        await async_wait_until(both_flagged, timeout=20, what="node 1 untrusted and node 2 offline")
        first = lab.nodes[0].admin_mac
        assert "fueltui discover --accept" in ((await client.node(first)).node.error or "")

        accept = [sys.executable, "-m", "fueltui", "--state-dir", str(lab.master_state_dir), "discover"]
        done = subprocess.run(
            [*accept, "--accept", first], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        assert first in done.stdout

        async def trusted_again() -> bool:
            node = (await client.node(first)).node
            return not node.untrusted and node.online

        await async_wait_until(trusted_again, timeout=20, what="node 1 trusted after --accept")
        again = subprocess.run(
            [*accept, "--accept", first], capture_output=True, text=True, timeout=60, check=False
        )
        assert again.returncode == 1 and "no refused host key" in again.stderr
    finally:
        await client.close()


async def test_a_node_back_at_another_address_with_another_key_is_untrusted(
    make_lab: Callable[..., LabHandle], tmp_path: Path
) -> None:
    lab = make_lab(nodes=1, master=False, dhcp=False)
    async with _one_discovered_node(lab, tmp_path, poll_interval=60, offline_after=120) as (
        store,
        service,
        mac,
    ):
        lab.lab.node_exec(1, ["sh", "-c", "kill $(cat /run/udhcpc.eth0.pid)"])
        lab.lab.replace_host_key(1)
        lab.lab.node_exec(1, ["ip", "addr", "flush", "dev", "eth0"])
        lab.lab.node_exec(1, ["ip", "addr", "add", "10.20.0.200/24", "dev", "eth0"])

        outcome = (await service.discover(["10.20.0.200"]))["10.20.0.200"]
        assert isinstance(outcome, HostKeyChanged)
        assert _node(store, mac).untrusted
        with pytest.raises(HostKeyChanged):
            await service.fanout.run("10.20.0.200", ["touch", "/tmp/ran-on-impostor"])
        async with Fanout.from_state_dir(lab.master_state_dir) as other:  # e.g. a deploy task's
            with pytest.raises(HostKeyChanged):
                await other.run("10.20.0.200", ["touch", "/tmp/ran-on-impostor"])
        assert lab.lab.node_exec(1, ["sh", "-c", "ls /tmp/ran-on-impostor 2>/dev/null || true"]) == ""

        assert service.accept_host_key(mac)

        async def trusted_at_new_address() -> bool:
            node = _node(store, mac)
            return not node.untrusted and node.ip == "10.20.0.200"

        await async_wait_until(trusted_at_new_address, timeout=10, what="node trusted at its new address")
