"""Pre-deploy checks through a real master: a deployment that must not start does not."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from fueltui.api.schema import TaskRecord
from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError
from fueltui.core.model import Nic, NodeFacts
from fueltui.master.deploy import task as deploy_task
from masterfixtures import RunningMaster
from polling import async_wait_until

MACS = ["52:54:00:d0:00:01", "52:54:00:d0:00:02"]


async def setup(master: RunningMaster, client: MasterClient, roles: list[list[str]]) -> None:
    for index, mac in enumerate(MACS):
        nics = [
            Nic(name="eth0", mac=mac, pxe=True, state="up"),
            Nic(name="eth1", mac=f"52:54:00:d1:00:0{index + 1}", state="up"),
            Nic(name="eth2", mac=f"52:54:00:d2:00:0{index + 1}", state="up"),
        ]
        master.state.store.upsert_discovered(mac, f"10.20.0.{index + 131}", NodeFacts(nics=nics))
    await client.create_environment("prod", mode="neutron-vlan")
    for mac, node_roles in zip(MACS, roles, strict=True):
        record = await client.node(mac)
        interfaces = {"eth0": ["fuelweb_admin"], "eth1": ["management", "storage", "private"]}
        if "controller" in node_roles:
            interfaces["eth2"] = ["public"]
        await client.update_node(
            mac, record.revision, environment="prod", roles=node_roles, interfaces=interfaces
        )


async def finished(client: MasterClient, task: TaskRecord) -> TaskRecord:
    async def done() -> TaskRecord | None:
        record = await client.task(task.id)
        return record if record.status.finished else None

    return await async_wait_until(done, what="the deploy task to finish")


async def refused_message(client: MasterClient, skip_verify: bool = True) -> str:
    """The refusal's message and its findings: a 422 before any task exists."""
    before = await client.tasks("prod")
    with pytest.raises(ApiError) as caught:
        await client.deploy("prod", skip_verify=skip_verify)
    error = caught.value
    assert error.status == 422
    assert error.code == "deploy-refused"
    assert error.message.startswith("deploy refused: ")
    assert await client.tasks("prod") == before  # no task was created, no node was touched
    return "\n".join([error.message, *(f"refused: {f.path}: {f.message}" for f in error.findings)])


async def test_no_controller_is_refused(master: RunningMaster, client: MasterClient) -> None:
    await setup(master, client, [["compute"], ["compute"]])
    message = await refused_message(client)
    assert "refused: nodes: environment prod has no controller" in message
    assert (await client.environment("prod")).environment.status.value == "new"  # nothing changed


async def test_offline_or_untrusted_node_is_refused(master: RunningMaster, client: MasterClient) -> None:
    await setup(master, client, [["controller"], ["compute"]])
    master.state.store.set_node_online(MACS[1], False)
    assert "is offline" in await refused_message(client)
    master.state.store.set_node_online(MACS[1], True)
    master.state.store.set_node_untrusted(MACS[0], True, "host key changed")
    assert "changed SSH host key" in await refused_message(client)


async def test_unverified_networks_are_refused_unless_skipped(
    master: RunningMaster, client: MasterClient
) -> None:
    await setup(master, client, [["controller"], ["compute"]])
    master.state.store.set_node_online(MACS[1], False)
    message = await refused_message(client, skip_verify=False)
    assert "never verified" in message and "offline" in message
    assert "never verified" not in await refused_message(client, skip_verify=True)


async def test_environment_validation_errors_are_refused(master: RunningMaster, client: MasterClient) -> None:
    await setup(master, client, [["controller"], ["compute"]])
    record = await client.environment("prod")
    env = record.environment
    env.networks["management"].cidr = env.networks["storage"].cidr  # overlapping networks
    await client.update_environment(record.model_copy(update={"environment": env}))
    assert "overlaps" in await refused_message(client)


class NoNetwork:
    """These tests' nodes do not exist: a deploy that got past the checks must not send a
    packet from the host's namespace, so any node work fails here instead."""

    async def run(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("a refused deployment tried to reach a node")

    put_file = run


@pytest.fixture(autouse=True)
def _guards(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(deploy_task, "fanout_factory", lambda _state_dir: NoNetwork())
    yield


def fueltui(master: RunningMaster, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "fueltui", "--state-dir", str(master.base), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


async def test_cli_reports_refusal_with_findings(master: RunningMaster, client: MasterClient) -> None:
    await setup(master, client, [["compute"], ["compute"]])
    for extra in ([], ["--wait"]):
        done = await asyncio.to_thread(fueltui, master, "deploy", "prod", "--skip-verify", *extra)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "fueltui: deploy refused" in done.stderr
        assert "error: nodes: environment prod has no controller" in done.stderr
    unknown = await asyncio.to_thread(fueltui, master, "deploy", "prod", "--nodes", "node-d00001,ghost")
    assert unknown.returncode == 2 and "not nodes of prod: ghost" in unknown.stderr
    idle = await asyncio.to_thread(fueltui, master, "stop", "prod")
    assert idle.returncode == 2 and "runs no task" in idle.stderr
    assert "Traceback" not in unknown.stderr + idle.stderr
