"""Host keys are pinned by node identity (admin MAC), not by address: a node at a recycled DHCP
address is judged by its own pin, and accepting a refused key acts on the address the
operator named and says so only when the node is trusted again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from fueltui.api.schema import NodeRecord
from fueltui.lab.lab import lab_boot_options
from fueltui.master.discovery.service import DiscoveryService
from fueltui.master.store import Store
from fueltui.ssh.fanout import Fanout, FanoutError
from fueltui.ssh.hostkeys import HostKeyChanged
from labfixtures import LabHandle
from polling import async_wait_until

pytestmark = pytest.mark.lab


@asynccontextmanager
async def _discovered(
    lab: LabHandle, tmp_path: Path, count: int
) -> AsyncIterator[tuple[Store, DiscoveryService]]:
    store = Store(tmp_path / "fueltui.db")
    store.set_boot_options(lab_boot_options(), 0)
    with lab.in_master_ns():
        service = DiscoveryService(store, lab.master_state_dir, poll_interval=600, offline_after=1200)
        await service.start()
        try:

            async def all_online() -> bool:
                return sum(r.node.online for r in store.nodes()) == count

            await async_wait_until(all_online, timeout=30, what=f"{count} node(s) discovered")
            yield store, service
        finally:
            await service.stop()
            store.close()


async def _discover(service: DiscoveryService, ip: str) -> object:
    """Discover `ip`; a connection left open to the address's previous holder fails once
    (reset by the new host), as it would at the first poll after the move."""
    outcome: object = None
    for _ in range(3):
        outcome = (await service.discover([ip]))[ip]
        if not isinstance(outcome, FanoutError) or isinstance(outcome, HostKeyChanged):
            return outcome
    return outcome


def _move(lab: LabHandle, index: int, address: str) -> None:
    """The node gives up its lease and takes `address` (as a DHCP server recycling it would)."""
    lab.lab.node_exec(index, ["sh", "-c", "kill $(cat /run/udhcpc.eth0.pid) 2>/dev/null || true"])
    lab.lab.node_exec(index, ["ip", "addr", "flush", "dev", "eth0"])
    lab.lab.node_exec(index, ["ip", "addr", "add", f"{address}/24", "dev", "eth0"])


async def test_a_node_at_a_recycled_address_is_judged_by_its_own_pin(
    make_lab: Callable[..., LabHandle], tmp_path: Path
) -> None:
    lab = make_lab(nodes=2, master=False, dhcp=False)
    async with _discovered(lab, tmp_path, 2) as (store, service):
        first, second = lab.nodes[0].admin_mac, lab.nodes[1].admin_mac
        recycled = store.node(first).node.ip
        assert recycled is not None
        _move(lab, 1, "10.20.0.201")
        _move(lab, 2, recycled)  # the second node now holds the first node's old address

        outcome = await _discover(service, recycled)
        assert isinstance(outcome, NodeRecord), outcome
        assert outcome.node.mac == second and not outcome.node.untrusted and outcome.node.ip == recycled
        assert store.node(first).node.ip is None  # one address, one node: nothing for node 1 goes there
        assert (await service.fanout.run(recycled, ["true"])).ok
        async with Fanout.from_state_dir(lab.master_state_dir) as other:  # e.g. a deploy task's
            assert (await other.run(recycled, ["true"])).ok

        moved = await _discover(service, "10.20.0.201")
        assert isinstance(moved, NodeRecord) and moved.node.mac == first and not moved.node.untrusted

        # An impostor claiming node 1 (its MAC, another key) at the recycled address is refused.
        lab.lab.replace_host_key(1)
        _move(lab, 1, "10.20.0.202")
        refused = await _discover(service, "10.20.0.202")
        assert isinstance(refused, HostKeyChanged) and store.node(first).node.untrusted


async def test_accept_acts_on_the_address_named_and_is_honest(
    make_lab: Callable[..., LabHandle], tmp_path: Path
) -> None:
    lab = make_lab(nodes=1, master=False, dhcp=False)
    async with _discovered(lab, tmp_path, 1) as (store, service):
        mac = lab.nodes[0].admin_mac
        old = store.node(mac).node.ip
        assert old is not None
        lab.lab.replace_host_key(1)
        assert isinstance(await _discover(service, old), HostKeyChanged)
        assert store.node(mac).node.untrusted

        _move(lab, 1, "10.20.0.203")
        # Accepting where the key was refused, while the node answers elsewhere: no false "accepted".
        stale = await service.accept_at(mac, old)
        assert not isinstance(stale, NodeRecord)
        assert store.node(mac).node.untrusted

        lab.lab.replace_host_key(1)  # reinstalled again: refused at its new address
        assert isinstance(await _discover(service, "10.20.0.203"), HostKeyChanged)
        assert service._refusal_named("10.20.0.203") == (mac, "10.20.0.203")
        assert service._refusal_named(mac) == (mac, "10.20.0.203")
        accepted = await service.accept_at(mac, "10.20.0.203")
        assert isinstance(accepted, NodeRecord), accepted
        assert accepted.node.mac == mac and accepted.node.ip == "10.20.0.203" and not accepted.node.untrusted
        assert (await service.fanout.run("10.20.0.203", ["true"])).ok
        with pytest.raises(LookupError, match="no refused host key"):
            service._refusal_named(mac)
