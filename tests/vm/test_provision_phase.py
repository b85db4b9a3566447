"""Which nodes a deploy provisions first, and how the phase waits for them — without VMs:
nodes are records in a real SQLite store, changed as discovery would change them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fueltui.core.model import Node, NodeFacts, NodeStatus, Release
from fueltui.core.releases import get_release
from fueltui.master.pxe.phase import PhasePlan, plan_phase, run_phase, wait_back_on_os
from fueltui.master.store import Store

_SHIPPED = get_release("epoxy-debian-13")
assert _SHIPPED is not None
RELEASE: Release = _SHIPPED
BOOTSTRAP = "fueltui bootstrap (Debian trixie)"
DEBIAN_13 = "Debian GNU/Linux 13 (trixie)"


def node(n: int, os_name: str | None, status: NodeStatus = NodeStatus.discover) -> Node:
    return Node(mac=f"52:54:01:00:00:{n:02x}", name=f"node-{n}", status=status, facts=NodeFacts(os=os_name))


def macs(nodes: list[Node]) -> list[str]:
    return [n.name for n in nodes]


def test_bootstrap_nodes_are_provisioned_and_nodes_on_an_os_skip_it() -> None:
    nodes = [
        node(1, BOOTSTRAP),
        node(2, DEBIAN_13),  # provisioned earlier, or installed by hand with the release's OS
        node(3, "Debian GNU/Linux 12 (bookworm)"),  # a namespace lab node: the host's OS
        node(4, None),  # facts without an OS: nothing to write an image over blindly
        node(5, BOOTSTRAP, NodeStatus.error),  # failed in the bootstrap (say, mid-provisioning)
        node(6, BOOTSTRAP, NodeStatus.provisioning),  # the master restarted mid-provisioning
    ]
    plan = plan_phase(nodes, RELEASE)
    assert macs(plan.provision) == ["node-1", "node-5", "node-6"]
    assert macs(plan.skip) == ["node-2", "node-3", "node-4"]
    assert plan.await_os == []


@pytest.mark.parametrize("status", [NodeStatus.provisioned, NodeStatus.deploying, NodeStatus.ready])
def test_a_node_whose_disk_holds_the_os_is_not_provisioned_again(status: NodeStatus) -> None:
    # Stopped while it rebooted: discovery still shows the bootstrap's facts, its status the OS.
    plan = plan_phase([node(1, BOOTSTRAP, status)], RELEASE)
    assert plan.provision == [] and macs(plan.await_os) == ["node-1"] and not plan.empty


def test_namespace_lab_nodes_make_an_empty_phase() -> None:
    assert plan_phase([node(1, "Debian GNU/Linux 12 (bookworm)"), node(2, DEBIAN_13)], RELEASE).empty


def _store(tmp_path: Path, *nodes: Node) -> Store:
    store = Store(tmp_path / "db")
    for n in nodes:
        store.upsert_discovered(n.mac, f"10.20.0.{int(n.mac[-2:], 16) + 10}", n.facts)
        if n.status != NodeStatus.discover:
            store.set_node_status(n.mac, n.status.value)
    return store


async def test_waiting_ends_when_discovery_sees_the_release_os(tmp_path: Path) -> None:
    waiting = node(1, BOOTSTRAP, NodeStatus.provisioned)
    store = _store(tmp_path, waiting)

    async def discovery_sees_the_os() -> None:
        await asyncio.sleep(0.3)  # polling interval: the OS shows up a few of the waiter's polls later
        store.upsert_discovered(waiting.mac, "10.20.0.11", NodeFacts(os=DEBIAN_13))

    seen = asyncio.create_task(discovery_sees_the_os())
    back = await wait_back_on_os(store, waiting.mac, RELEASE, timeout=10, poll=0.05)
    await seen
    assert back.facts.os == DEBIAN_13 and back.status == NodeStatus.provisioned


async def test_a_node_back_with_a_key_not_pinned_fails_at_once(tmp_path: Path) -> None:
    waiting = node(1, BOOTSTRAP, NodeStatus.provisioned)
    store = _store(tmp_path, waiting)
    store.set_node_untrusted(waiting.mac, True, "host key changed")
    with pytest.raises(RuntimeError, match="not the one pinned"):
        await wait_back_on_os(store, waiting.mac, RELEASE, timeout=10, poll=0.05)


async def test_the_phase_fails_the_node_that_does_not_come_back_with_a_clear_message(tmp_path: Path) -> None:
    late, fine = node(1, BOOTSTRAP, NodeStatus.provisioned), node(2, BOOTSTRAP, NodeStatus.provisioned)
    store = _store(tmp_path, late, fine)
    store.upsert_discovered(fine.mac, "10.20.0.12", NodeFacts(os=DEBIAN_13))
    lines: list[tuple[str, str]] = []
    states: dict[str, list[str]] = {}

    async def set_node(mac: str, **fields: object) -> None:
        if fields.get("status"):
            states.setdefault(mac, []).append(str(fields["status"]))

    async def say(mac: str, text: str) -> None:
        lines.append((mac, text))

    plan = PhasePlan(await_os=[late, fine])
    failed = await run_phase(store, tmp_path, plan, RELEASE, set_node, say, asyncio.Event(), back_timeout=0.5)
    assert list(failed) == [late.mac]
    why = "not back on Debian GNU/Linux 13 after 0 s (last seen running fueltui bootstrap"
    assert why in failed[late.mac]
    assert store.node(late.mac).node.status == NodeStatus.error
    assert store.node(fine.mac).node.status == NodeStatus.provisioned
    assert states[late.mac][-1] == "error" and states[fine.mac][-1] == "provisioned"
    assert any(mac == fine.mac and text.startswith("back on Debian GNU/Linux 13") for mac, text in lines)
