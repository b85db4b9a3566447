"""Deploy Changes computed from what was deployed (each kind: a pending and a clean case),
and the node lifecycle states the Nodes list shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from fueltui.core.environment import new_environment
from fueltui.core.lifecycle import NodeState, node_state, was_deployed
from fueltui.core.model import Environment, Nic, Node, NodeFacts, NodeStatus, Release
from fueltui.core.releases import shipped_releases
from fueltui.master.deploy.changes import (
    Deployed,
    DeployedNode,
    compute_changes,
    load_deployed,
    networks_hash,
    node_hashes,
    pending_changes,
    record_deployed,
    settings_hash,
)
from fueltui.master.store import Store

CTL, CMP = "52:54:00:c0:00:01", "52:54:00:c0:00:02"


def release() -> Release:
    return next(iter(shipped_releases().values()))


def env() -> Environment:
    return new_environment("prod", release(), "neutron-gre")


def node(mac: str, name: str, roles: list[str], status: NodeStatus = NodeStatus.ready, **kw: object) -> Node:
    nics = [Nic(name="eth0", mac=mac, pxe=True, state="up")]
    return Node.model_validate(
        {
            "mac": mac,
            "name": name,
            "roles": roles,
            "status": status,
            "environment": "prod",
            "online": True,
            "facts": NodeFacts(nics=nics).model_dump(),
            **kw,
        }
    )


def deployed(e: Environment, *nodes: Node, hashes: dict[str, str] | None = None) -> Deployed:
    return Deployed(
        settings=settings_hash(e),
        networks=networks_hash(e),
        nodes={
            n.mac: DeployedNode(name=n.name, roles=n.roles, config=(hashes or {}).get(n.mac, "h"))
            for n in nodes
        },
    )


def test_nothing_pending_when_the_nodes_are_as_deployed() -> None:
    e = env()
    ctl, cmp = node(CTL, "ctl", ["controller"]), node(CMP, "cmp", ["compute"])
    plan = compute_changes(e, [ctl, cmp], {CTL: "h", CMP: "h"}, deployed(e, ctl, cmp))
    assert plan.empty and plan.count == 0 and plan.nodes == [] and plan.deployed_before


def test_a_node_not_deployed_yet_is_to_add() -> None:
    e = env()
    ctl = node(CTL, "ctl", ["controller"])
    new = node(CMP, "cmp", ["compute"], NodeStatus.discover)
    plan = compute_changes(e, [ctl, new], {CTL: "h", CMP: "x"}, deployed(e, ctl))
    assert [(c.name, c.action, c.reason) for c in plan.nodes] == [("cmp", "add", "not deployed yet")]
    assert plan.count == 1 and plan.lines() == ["add      cmp  (not deployed yet)"]


def test_a_node_without_roles_is_not_a_change() -> None:
    e = env()
    plan = compute_changes(e, [node(CMP, "cmp", [], NodeStatus.discover)], {}, Deployed())
    assert plan.empty and not plan.deployed_before


def test_role_change_on_a_ready_node_is_a_redeploy() -> None:
    e = env()
    before = node(CMP, "cmp", ["compute"])
    after = node(CMP, "cmp", ["compute", "cinder"])
    plan = compute_changes(e, [after], {CMP: "h"}, deployed(e, before))
    assert [(c.action, c.reason) for c in plan.nodes] == [("redeploy", "roles changed: +cinder")]
    assert compute_changes(e, [before], {CMP: "h"}, deployed(e, before)).empty


def test_configuration_change_is_a_redeploy() -> None:
    e = env()
    cmp = node(CMP, "cmp", ["compute"])
    plan = compute_changes(e, [cmp], {CMP: "other"}, deployed(e, cmp))
    assert [(c.action, c.reason) for c in plan.nodes] == [("redeploy", "its configuration changed")]


def test_a_node_in_error_is_a_redeploy_and_says_why() -> None:
    e = env()
    ok = node(CMP, "cmp", ["compute"])
    broken = node(CMP, "cmp", ["compute"], NodeStatus.error, error="network: exited 1")
    plan = compute_changes(e, [broken], {CMP: "h"}, deployed(e, ok))
    assert [(c.action, c.reason) for c in plan.nodes] == [("redeploy", "it is error: network: exited 1")]


def test_pending_deletion_is_a_removal() -> None:
    e = env()
    gone = node(CMP, "cmp", ["compute"], pending_deletion=True)
    plan = compute_changes(e, [gone], {}, deployed(e, gone))
    assert [(c.action, c.name) for c in plan.nodes] == [("remove", "cmp")]
    kept = node(CMP, "cmp", ["compute"])
    assert compute_changes(e, [kept], {CMP: "h"}, deployed(e, kept)).empty


def test_settings_and_networks_changed_since_the_last_deploy() -> None:
    e = env()
    ctl = node(CTL, "ctl", ["controller"])
    last = deployed(e, ctl)
    changed = e.model_copy(update={"settings": e.settings.model_copy(update={"ceilometer": True})})
    plan = compute_changes(changed, [ctl], {CTL: "h"}, last)
    assert plan.settings_changed and not plan.networks_changed and plan.count == 1
    assert plan.lines() == ["settings changed since the last deploy"]
    nets = dict(e.networks)
    nets["management"] = nets["management"].model_copy(update={"vlan": 199})
    plan = compute_changes(e.model_copy(update={"networks": nets}), [ctl], {CTL: "h"}, last)
    assert plan.networks_changed and not plan.settings_changed
    never = compute_changes(changed, [ctl], {CTL: "h"}, Deployed(nodes=last.nodes))
    assert not never.settings_changed  # nothing deployed as a whole yet: nothing to compare with


def test_recorded_deploy_makes_the_changes_go_away(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    e = env()
    store.create_environment(e)
    for mac, name, roles in ((CTL, "ctl", ["controller"]), (CMP, "cmp", ["compute"])):
        store.upsert_discovered(mac, None, NodeFacts(nics=[Nic(name="eth0", mac=mac, pxe=True, state="up")]))
        record = store.node(mac)
        update = {"name": name, "environment": "prod", "roles": roles}
        store.update_node(record.node.model_copy(update=update), record.revision)
    assert [c.action for c in pending_changes(store, "prod").nodes] == ["add", "add"]
    members = [r.node for r in store.nodes("prod")]
    record_deployed(store, e, release(), members, [CTL], whole=False)  # the compute failed
    for mac in (CTL, CMP):
        store.set_node_status(mac, "ready" if mac == CTL else "error", None if mac == CTL else "boom")
    plan = pending_changes(store, "prod")
    assert [(c.name, c.action) for c in plan.nodes] == [("cmp", "add")] and not plan.deployed_before
    store.set_node_status(CMP, "ready")
    record_deployed(store, e, release(), members, [CMP], whole=True)
    assert pending_changes(store, "prod").empty
    assert set(load_deployed(store, "prod").nodes) == {CTL, CMP}
    # The hash is the node's rendered configuration: a NIC mapping change shows.
    record = store.node(CMP)
    hashes = node_hashes(e, release(), [r.node for r in store.nodes("prod")])
    store.update_node(record.node.model_copy(update={"name": "cmp-renamed"}), record.revision)
    assert node_hashes(e, release(), [r.node for r in store.nodes("prod")]) != hashes
    assert [c.reason for c in pending_changes(store, "prod").nodes] == ["its configuration changed"] * 2
    store.delete_environment("prod")
    assert load_deployed(store, "prod") == Deployed()  # a new environment of that name starts anew
    store.close()


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({"environment": None, "roles": [], "status": NodeStatus.discover}, NodeState.discovered),
        ({"status": NodeStatus.discover}, NodeState.pending_addition),
        ({"status": NodeStatus.provisioned}, NodeState.pending_addition),
        ({"status": NodeStatus.deploying}, NodeState.deploying),
        ({"status": NodeStatus.ready}, NodeState.ready),
        ({"status": NodeStatus.ready, "pending_deletion": True}, NodeState.pending_deletion),
        ({"status": NodeStatus.error}, NodeState.error),
        ({"status": NodeStatus.ready, "online": False}, NodeState.offline),
    ],
)
def test_node_states(fields: dict[str, object], state: NodeState) -> None:
    n = node(CMP, "cmp", ["compute"]).model_copy(update=fields)
    assert node_state(n) == state


def test_was_deployed() -> None:
    assert was_deployed(node(CMP, "cmp", ["compute"]))
    assert not was_deployed(node(CMP, "cmp", ["compute"], NodeStatus.discover))
