"""The verify task end to end on a real store and task manager, the real probe agent in
our own namespaces (commands reach them through `ip netns exec` instead of SSH)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from factories import environment, node
from netns import Closet
from netnsfanout import NetnsFanout

from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.api.tasks import VERIFY
from fueltui.core.model import BootOptions, DhcpPool, Node
from fueltui.master.events import EventBus
from fueltui.master.logfiles import LogFiles
from fueltui.master.store import Store
from fueltui.master.tasks import TaskManager
from fueltui.master.verify import gate, register
from fueltui.master.verify import task as verify_task

WIRING = {"eth0": "bradmin", "eth1": "brmgmt", "eth2": "brstorage", "eth3": "brpublic"}

pytestmark = pytest.mark.lab


@pytest.fixture
def closet() -> Iterator[Closet]:
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    box = Closet("t")
    try:
        yield box
    finally:
        box.close()


@pytest.fixture
async def manager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TaskManager]:
    fanout = NetnsFanout(tmp_path / "nodes")
    monkeypatch.setattr(verify_task, "fanout_factory", lambda _state: fanout)
    bus = EventBus()
    store = Store(tmp_path / "db", publish=bus.publish)
    mgr = TaskManager(store, bus, tmp_path, LogFiles(tmp_path / "logs"))
    mgr.activate()
    register(mgr)
    admin_interface(store, "bradmin")
    real_check = verify_task.check_dhcp_async
    monkeypatch.setattr(verify_task, "check_dhcp_async", no_foreign_dhcp)
    mgr.real_dhcp_check = real_check  # type: ignore[attr-defined]
    mgr.netns_fanout = fanout  # type: ignore[attr-defined]
    yield mgr
    await mgr.shutdown()
    store.close()


def wire(closet: Closet, store: Store, count: int = 3, **interfaces: dict[str, list[str]]) -> list[Node]:
    nodes = []
    for i in range(1, count + 1):
        n = node(i, interfaces.get(f"node{i}"))
        ns = closet.node(f"n{i}", WIRING, {nic.name: nic.mac for nic in n.facts.nics})
        nodes.append(n.model_copy(update={"ip": ns}))
    store.write_many(environment(), None, [], new_nodes=nodes)
    return nodes


async def verify(manager: TaskManager) -> TaskRecord:
    record = await manager.start("verify", "demo", {})
    await manager.wait(record.id)
    return manager.store.task(record.id)


def admin_interface(store: Store, interface: str) -> None:
    store.set_boot_options(
        BootOptions(
            interface=interface,
            ip="10.20.0.2",
            netmask="24",
            hostname="fuel.test",
            dhcp_pool=DhcpPool(start="10.20.0.129", end="10.20.0.254"),
        ),
        store.boot_options().revision,
    )


async def no_foreign_dhcp(interface: str, timeout: float) -> list[object]:
    return []  # the DHCP check itself is tested on a namespace's NIC in test_dhcp_check.py


async def test_all_wired_nothing_missing_and_the_gate_opens(closet: Closet, manager: TaskManager) -> None:
    wire(closet, manager.store)
    assert [f.code for f in gate.verification_findings(manager.store, "demo")] == ["network-not-verified"]
    done = await verify(manager)
    assert done.status == TaskStatus.done, done.message
    assert done.result["missing"] == [] and done.result["ok"] is True, done.result
    assert done.result["summary"] == "every NIC heard its peers"
    assert done.result["dhcp_error"] is None
    assert all(p.status == "done" for p in done.nodes.values()) and len(done.nodes) == 3
    # One session a node: the go signal went down the listener's own stdin.
    fanout: NetnsFanout = manager.netns_fanout  # type: ignore[attr-defined]
    hosts = sorted(str(record.node.ip) for record in manager.store.nodes())
    assert sorted(host for host, _ in fanout.commands) == hosts
    seconds = VERIFY.result_of(done).seconds
    assert seconds is not None and seconds < 10
    assert gate.verification_findings(manager.store, "demo") == []
    # Network settings change: the verification no longer covers them.
    record = manager.store.environment("demo")
    changed = record.environment.model_copy(deep=True)
    changed.networks["storage"].vlan = 202
    manager.store.update_environment(changed, record.revision)
    findings = gate.verification_findings(manager.store, "demo")
    assert [f.code for f in findings] == ["network-not-verified"] and "changed since" in findings[0].message
    assert gate.verification_findings(manager.store, "demo", skip_verify=True) == []
    assert gate.skip_note(manager.store, "demo")


async def test_unplugged_nic_is_reported_alone(closet: Closet, manager: TaskManager) -> None:
    wire(closet, manager.store)
    closet.unplug("n2", "eth1")
    done = await verify(manager)
    assert done.status == TaskStatus.done
    assert done.result["ok"] is False
    assert done.result["missing"] == [
        {
            "node": "node-2",
            "node_mac": "52:54:00:00:02:00",
            "nic": "eth1",
            "mac": "52:54:00:00:02:01",
            "network": "management",
            "vlan": 101,
            "missing": ["node-1", "node-3"],
        }
    ]
    assert done.nodes["52:54:00:00:02:00"].status == "error"
    assert done.nodes["52:54:00:00:01:00"].status == "done"
    assert [f.code for f in gate.verification_findings(manager.store, "demo")] == ["network-not-verified"]


async def test_management_on_the_storage_nic_is_reported(closet: Closet, manager: TaskManager) -> None:
    moved = {"eth0": ["fuelweb_admin", "private"], "eth2": ["management", "storage"], "eth3": ["public"]}
    wire(closet, manager.store, node3=moved)
    done = await verify(manager)
    assert [(m.node, m.nic, m.network, m.vlan, m.missing) for m in VERIFY.result_of(done).missing] == [
        ("node-3", "eth2", "management", 101, ["node-1", "node-2"])
    ]


async def test_needs_two_online_nodes(closet: Closet, manager: TaskManager) -> None:
    nodes = wire(closet, manager.store, count=2)
    manager.store.set_node_online(nodes[1].mac, False)
    done = await verify(manager)
    assert done.status == TaskStatus.error
    assert "at least two online nodes" in done.message


async def test_deploy_pre_checks_refuse_unverified_networks(closet: Closet, manager: TaskManager) -> None:
    from fueltui.master.deploy.checks import PredeployContext, networks_verified

    wire(closet, manager.store)

    def gate_codes(skip: bool = False) -> list[str]:
        env = manager.store.environment("demo").environment
        nodes = [r.node for r in manager.store.nodes("demo")]
        release = manager.store.release(env.release)
        ctx = PredeployContext(manager.store, env, release, nodes, nodes, {"skip_verify": skip})
        return [f.code for f in networks_verified(ctx)]

    assert gate_codes() == ["network-not-verified"]
    assert gate_codes(skip=True) == []
    assert (await verify(manager)).result["ok"] is True
    assert gate_codes() == []
    # A NIC assignment changes: verified no more.
    record = manager.store.node("52:54:00:00:03:00")
    moved = record.node.model_copy(update={"interfaces": {"eth0": ["fuelweb_admin", "private", "public"]}})
    manager.store.update_node(moved, record.revision)
    assert gate_codes() == ["network-not-verified"]
    assert "--skip-verify" in (gate.skip_note(manager.store, "demo") or "")


async def test_a_verification_of_some_nodes_does_not_open_the_gate(
    closet: Closet, manager: TaskManager
) -> None:
    nodes = wire(closet, manager.store)
    record = await manager.start("verify", "demo", {"nodes": [nodes[0].mac, nodes[1].mac]})
    await manager.wait(record.id)
    done = manager.store.task(record.id)
    assert done.status == TaskStatus.done and done.result["ok"] is True, done.result
    assert done.result["complete"] is False and done.result["signature"] is None
    assert [f.code for f in gate.verification_findings(manager.store, "demo")] == ["network-not-verified"]


async def test_a_dhcp_check_that_cannot_run_fails_the_verification(
    closet: Closet, manager: TaskManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 2 of issue 13: a wrong admin interface made every verify say "not checked" and pass.
    (A missing device fails before any packet is sent: nothing reaches the host's network.)"""
    wire(closet, manager.store)
    admin_interface(manager.store, "ftnosuch0")
    monkeypatch.setattr(verify_task, "check_dhcp_async", manager.real_dhcp_check)  # type: ignore[attr-defined]
    done = await verify(manager)
    assert done.result["missing"] == []
    result = VERIFY.result_of(done)
    assert not result.ok and result.dhcp_error is not None and "ftnosuch0" in result.dhcp_error, result
    assert "DHCP check not run" in result.summary
    assert [f.code for f in gate.verification_findings(manager.store, "demo")] == ["network-not-verified"]
