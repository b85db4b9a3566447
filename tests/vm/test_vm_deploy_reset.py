"""The whole life of a machine, on one VM: it PXE-boots the bootstrap and is discovered; a
deploy provisions it first (the release's OS written from the master's mirror, a reboot from
its disk under the host key pinned beforehand), then runs the base graph on it (not the
OpenStack payload: too slow under emulation) and it ends ready on Debian 13; Reset wipes it
and sends it back to the bootstrap, where it is rediscovered without a host-key refusal.
Needs the OS image (`fueltui mirror sync`); several minutes under emulation."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from vmlab import one_vm_lab

from fueltui.api.schema import NodeRecord, TaskRecord
from fueltui.client.api import MasterClient
from fueltui.core.bootscript import node_script_name
from fueltui.lab import vms as lab_vms
from fueltui.lab.lab import Lab
from polling import async_wait_until

pytestmark = [pytest.mark.vm, pytest.mark.lab, pytest.mark.timeout(1800)]
ENV = "vmenv"


@pytest.fixture(scope="module")
def vm_lab() -> Iterator[Lab]:
    yield from one_vm_lab()


async def _node(client: MasterClient, mac: str) -> NodeRecord | None:
    for record in await client.nodes():
        if record.node.mac == mac:
            return record
    return None


async def _finished(client: MasterClient, task_id: str, timeout: float, what: str) -> TaskRecord:
    async def done() -> TaskRecord | None:
        t = await client.task(task_id)
        return t if t.status.finished else None

    return await async_wait_until(done, timeout, what)


async def _whole_log(client: MasterClient, task_id: str) -> str:
    lines: list[str] = []
    offset = 0
    while True:
        chunk = await client.task_log(task_id, offset)
        lines += chunk.entries
        if not chunk.has_more or chunk.end == offset:
            return "\n".join(lines)
        offset = chunk.end


async def test_deploy_provisions_first_then_reset_returns_it_to_the_bootstrap(vm_lab: Lab) -> None:
    (vm,) = lab_vms.load(vm_lab.names).vms
    mac = vm.admin_mac
    async with await MasterClient.connect(vm_lab.master_state_dir, autostart=False) as client:

        async def in_bootstrap() -> NodeRecord | None:
            r = await _node(client, mac)
            if r is None or not (r.node.online and not r.node.untrusted and r.node.facts.disks):
                return None
            return r if (r.node.facts.os or "").startswith("fueltui bootstrap") else None

        record = await async_wait_until(in_bootstrap, 300, "the VM in the bootstrap")
        await client.create_environment(ENV, mode="neutron-vlan")
        interfaces = {"eth0": ["fuelweb_admin"], "eth1": ["management", "private"], "eth2": ["public"],
                      "eth3": ["storage"]}  # fmt: skip
        await client.update_node(
            mac, record.revision, name="vm-1", environment=ENV, roles=["controller"], interfaces=interfaces
        )
        errors = [f for f in await client.findings(ENV) if f.severity.value == "error"]
        assert errors == [], errors

        started = time.monotonic()
        task = await client.start_task("deploy", ENV, {"skip_verify": True, "base_only": True})
        seen: set[str] = set()

        async def deployed() -> TaskRecord | None:
            t = await client.task(task.id)
            line = t.nodes.get(mac)
            if line is not None:
                seen.add(line.status)
            r = await _node(client, mac)
            if r is not None:
                seen.add(f"node:{r.node.status.value}")
            return t if t.status.finished else None

        done = await async_wait_until(deployed, 1200, "the deploy (provisioning first) to finish")
        print(f"deploy with provisioning: {time.monotonic() - started:.0f} s")
        assert done.status == "done", (done.message, done.nodes)
        # Provisioning came first, then the graph: the node went through every state.
        assert {"provisioning", "provisioned", "deploying", "ready"} <= seen, seen
        assert {"node:provisioning", "node:provisioned", "node:ready"} <= seen, seen
        node = (await client.node(mac)).node
        assert node.status == "ready" and not node.untrusted
        assert (node.facts.os or "").startswith("Debian GNU/Linux 13")  # its /etc/os-release
        logs = await _whole_log(client, task.id)
        assert "partitioning vda" in logs and "back on Debian GNU/Linux 13" in logs
        assert logs.index("back on Debian GNU/Linux 13") < logs.index("--- hosts (upload_file) started")
        script = vm_lab.master_state_dir / "boot" / node_script_name(mac)
        assert "sanboot" in script.read_text()

        # Reset: back to the bootstrap, disks wiped, its new bootstrap key taken without a refusal.
        env = await client.environment(ENV)
        reset = await client.reset_environment(ENV, env.revision)
        finished = await _finished(client, reset.id, 600, "the reset to finish")
        assert finished.status == "done", (finished.message, finished.nodes)
        node = (await client.node(mac)).node
        assert (node.facts.os or "").startswith("fueltui bootstrap")
        assert not node.untrusted and node.status == "discover" and node.roles == ["controller"]
        assert not script.exists()  # its PXE entry is the bootstrap's again
        assert (await client.environment(ENV)).environment.status == "new"
        # Rediscovered under the new key, and still trusted a few polls later.
        time.sleep(6)  # polling interval: a few discovery polls (every 2 s) must keep trusting it
        node = (await client.node(mac)).node
        assert node.online and not node.untrusted, node.error
