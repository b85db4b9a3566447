"""The environment as a whole after a deployment of some of its nodes (a real SQLite store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fueltui.core.model import Environment, EnvStatus, Mode, Nic, NodeFacts, NodeStatus
from fueltui.master.deploy.envstatus import (
    NOT_PART,
    bystander_results,
    bystanders,
    derive_env_status,
    env_status_now,
    retry_params,
)
from fueltui.master.store import Store

MACS = ["52:54:00:e0:00:01", "52:54:00:e0:00:02", "52:54:00:e0:00:03", "52:54:00:e0:00:04"]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], EnvStatus.new),
        (["ready", "ready"], EnvStatus.operational),
        (["ready", "error", "ready"], EnvStatus.error),  # one node in error is enough
        (["ready", "deploying"], EnvStatus.deploying),
        (["ready", "provisioned"], EnvStatus.stopped),  # partly deployed
        (["discover", "provisioned"], EnvStatus.new),
        (["error", "deploying"], EnvStatus.error),
    ],
)
def test_environment_status_is_derived_from_every_node(statuses: list[str], expected: EnvStatus) -> None:
    assert derive_env_status(statuses) == expected


def make_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "db")
    store.create_environment(Environment(name="prod", release="x", mode=Mode.neutron_vlan))
    names = ["controller-1", "compute-1", "compute-2", "spare"]
    roles = [["controller"], ["compute"], ["compute"], []]
    for mac, name, node_roles in zip(MACS, names, roles, strict=True):
        record = store.upsert_discovered(
            mac, "10.20.0.2", NodeFacts(nics=[Nic(name="eth0", mac=mac, pxe=True)])
        )
        node = record.node.model_copy(update={"name": name, "environment": "prod", "roles": node_roles})
        store.update_node(node, record.revision)
    return store


def test_a_subset_deploy_keeps_the_environment_in_error_and_lists_every_node(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    store.set_node_status(MACS[0], "ready")
    store.set_node_status(MACS[1], "error", "network: exited with status 1")
    store.set_node_status(MACS[2], "ready")  # the only node a `--nodes compute-2` deploy touched
    assert env_status_now(store, "prod") == EnvStatus.error  # the spare (no role) does not count

    nodes = [r.node for r in store.nodes("prod")]
    targets = [n for n in nodes if n.mac == MACS[2]]
    lines = bystanders(nodes, targets)
    assert set(lines) == {MACS[0], MACS[1]}  # the spare has no role: it is not deployed at all
    assert lines[MACS[0]] == {
        "status": "ready",
        "progress": 100,
        "task": "",
        "message": f"{NOT_PART} (ready)",
    }
    assert lines[MACS[1]]["status"] == "error"
    assert lines[MACS[1]]["message"] == f"{NOT_PART} (error: network: exited with status 1)"
    results = bystander_results(nodes, targets)
    assert results[MACS[1]]["name"] == "compute-1" and results[MACS[1]]["part"] is False

    store.set_node_status(MACS[1], "ready")
    assert env_status_now(store, "prod") == EnvStatus.operational


def test_retry_after_a_successful_subset_deploy_takes_the_nodes_still_in_error(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    for mac in MACS[:3]:
        store.set_node_status(mac, NodeStatus.ready)
    assert retry_params(store, "prod", {"nodes": [MACS[2]], "skip_verify": True}) is None
    store.set_node_status(MACS[1], NodeStatus.error, "boom")
    assert retry_params(store, "prod", {"nodes": [MACS[2]], "skip_verify": True}) == {
        "nodes": [MACS[1]],
        "skip_verify": True,
        "resume": True,  # what already succeeded there, and still checks out, is skipped
    }
