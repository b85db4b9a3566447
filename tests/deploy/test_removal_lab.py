"""Pending deletion on a real lab (namespaced nodes with sshd, the lab's master, the CLI as a
subprocess): a deployed compute removed from the environment stays pending deletion until
the next deploy, which takes its configuration off it and hands it back as discovered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from fueltui.client.api import MasterClient
from labfixtures import LabHandle, _build, _teardown, run_sync

pytestmark = [pytest.mark.lab, pytest.mark.timeout(300)]

ENV = "gone"
NAMES = {1: "controller-1", 2: "compute-1"}
ROLES = {1: ["controller"], 2: ["compute"]}


@pytest.fixture(scope="module")
def rlab() -> Iterator[LabHandle]:
    handle = _build(2, 4, True, {"FUELTUI_DEPLOY_UNTAGGED": "1"}, True)
    try:
        run_sync(_prepare(handle))
        yield handle
    finally:
        _teardown(handle)


async def _prepare(handle: LabHandle) -> None:
    client = await handle.client()
    try:
        await client.create_environment(ENV, mode="neutron-vlan")
        for node in handle.nodes:
            record = await client.node(node.admin_mac)
            interfaces = {"eth0": ["fuelweb_admin"], "eth1": ["management", "private"], "eth3": ["storage"]}
            if node.index == 1:
                interfaces["eth2"] = ["public"]
            await client.update_node(
                node.admin_mac,
                record.revision,
                name=NAMES[node.index],
                environment=ENV,
                roles=ROLES[node.index],
                interfaces=interfaces,
            )
    finally:
        await client.close()


def cli(handle: LabHandle, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **handle.env()}
    return subprocess.run(
        [sys.executable, "-m", "fueltui", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def addresses(handle: LabHandle, index: int) -> list[str]:
    out = handle.lab.node_exec(index, ["ip", "-4", "-o", "addr", "show"])
    return sorted(line.split()[3] for line in out.splitlines() if " lo " not in line)


def files(handle: LabHandle, index: int) -> str:
    return handle.lab.node_exec(index, ["sh", "-c", "ls /etc/fueltui /etc/fueltui/netplan 2>&1"], check=False)


async def test_removed_node_is_pending_deletion_until_deployed(rlab: LabHandle) -> None:
    changes = json.loads(ok(cli(rlab, "changes", ENV, "--json")))
    assert sorted((n["name"], n["action"]) for n in changes["nodes"]) == [
        ("compute-1", "add"),
        ("controller-1", "add"),
    ]
    ok(cli(rlab, "deploy", ENV, "--wait", "--skip-verify"))
    assert ok(cli(rlab, "changes", ENV)) == f"{ENV}: nothing to deploy\n"
    nothing = ok(cli(rlab, "deploy", ENV, "--skip-verify"))
    assert nothing.startswith("nothing to deploy")
    admin = rlab.admin_ip(2)
    deployed = addresses(rlab, 2)
    assert len(deployed) == 3 and any(a.startswith(f"{admin}/") for a in deployed)  # admin, mgmt, storage
    assert "network.applied" in files(rlab, 2) and "50-fueltui.yaml" in files(rlab, 2)

    client: MasterClient = await rlab.client()
    try:
        compute = rlab.nodes[1].admin_mac
        record = await client.node(compute)
        pending = await client.update_node(compute, record.revision, environment=None, roles=[])
        assert pending.node.pending_deletion and pending.node.environment == ENV
        listed = ok(cli(rlab, "nodes", "--env", ENV))
        assert "pending deletion" in listed
        assert addresses(rlab, 2) == deployed  # nothing happens before the deploy
        plan = await client.changes(ENV)
        assert [(c.name, c.action) for c in plan.nodes] == [
            ("compute-1", "remove"),
            ("controller-1", "redeploy"),  # its hosts file and health peers lose compute-1
        ]

        ok(cli(rlab, "deploy", ENV, "--wait", "--skip-verify"))
        gone = (await client.node(compute)).node
        assert (gone.environment, gone.roles, gone.pending_deletion, gone.status.value) == (
            None,
            [],
            False,
            "discover",
        )
        assert addresses(rlab, 2) == [a for a in deployed if a.startswith(f"{admin}/")]  # admin kept
        left = files(rlab, 2)
        assert "network.applied" not in left and "node.yaml" not in left and "50-fueltui.yaml" not in left
        controller = (await client.node(rlab.nodes[0].admin_mac)).node
        assert controller.status.value == "ready" and controller.environment == ENV
        hosts = rlab.lab.node_exec(1, ["cat", "/etc/hosts"])
        assert "compute-1" not in hosts
        assert (await client.environment(ENV)).environment.status.value == "operational"
        assert (await client.changes(ENV)).empty
        task = [t for t in await client.tasks(ENV) if t.kind == "deploy"][-1]
        assert task.nodes[compute].status == "removed"
        log = "\n".join((await client.node_log(compute, task_id=task.id)).entries)
        assert "the environment's configuration is removed" in log
        notes = (await client.notifications(include_read=True)).notifications
        assert [n.message for n in notes if n.kind == "deploy.done"] == [f"deploy of {ENV} done"] * 2
    finally:
        await client.close()


async def test_a_failed_clean_up_keeps_the_node_pending_and_the_next_deploy_finishes_it(
    rlab: LabHandle,
) -> None:
    client: MasterClient = await rlab.client()
    compute = rlab.nodes[1].admin_mac
    try:
        await _prepare_node(client, rlab, 2)
        ok(cli(rlab, "deploy", ENV, "--wait", "--skip-verify"))
        record = await client.node(compute)
        await client.update_node(compute, record.revision, environment=None)
        # The node answers but cannot take the clean-up script: a file where its folder goes.
        rlab.lab.node_exec(2, ["sh", "-c", "rm -rf /etc/fueltui/tasks && touch /etc/fueltui/tasks"])
        failed = cli(rlab, "deploy", ENV, "--wait", "--skip-verify")
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "compute-1 stays pending deletion: node clean-up failed" in failed.stdout
        node = (await client.node(compute)).node
        assert node.pending_deletion and node.environment == ENV
        assert (await client.environment(ENV)).environment.status.value == "error"
        assert [c.action for c in (await client.changes(ENV)).nodes if c.name == "compute-1"] == ["remove"]
        notes = (await client.notifications()).notifications
        assert any(
            n.kind == "deploy.failed" and "compute-1 stays pending deletion" in n.message for n in notes
        )

        rlab.lab.node_exec(2, ["rm", "-f", "/etc/fueltui/tasks"])
        ok(cli(rlab, "deploy", ENV, "--wait", "--skip-verify"))
        node = (await client.node(compute)).node
        assert node.environment is None and not node.pending_deletion
        assert (await client.environment(ENV)).environment.status.value == "operational"
    finally:
        await client.close()


async def _prepare_node(client: MasterClient, handle: LabHandle, index: int) -> None:
    node = handle.nodes[index - 1]
    record = await client.node(node.admin_mac)
    interfaces = {"eth0": ["fuelweb_admin"], "eth1": ["management", "private"], "eth3": ["storage"]}
    await client.update_node(
        node.admin_mac, record.revision, environment=ENV, roles=ROLES[index], interfaces=interfaces
    )
