"""Provisioning a VM: the release's OS written from the master's mirror, the boot flipped to
the disk, a reboot, and the node back under the host key the master pinned beforehand.
Needs the OS image (`fueltui mirror sync`); one VM, several minutes under emulation."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from vmlab import one_vm_lab

from fueltui.api.schema import NodeRecord
from fueltui.client.api import MasterClient
from fueltui.core.bootscript import node_script_name
from fueltui.lab import vms as lab_vms
from fueltui.lab.lab import Lab
from polling import async_wait_until

pytestmark = [pytest.mark.vm, pytest.mark.lab, pytest.mark.timeout(1500)]


@pytest.fixture(scope="module")
def vm_lab() -> Iterator[Lab]:
    yield from one_vm_lab()


async def _node(lab: Lab, mac: str) -> NodeRecord | None:
    async with await MasterClient.connect(lab.master_state_dir, autostart=False) as client:
        for record in await client.nodes():
            if record.node.mac == mac:
                return record
    return None


async def test_a_vm_is_provisioned_reboots_from_disk_under_its_pinned_key(vm_lab: Lab) -> None:
    (vm,) = lab_vms.load(vm_lab.names).vms

    async def in_bootstrap() -> NodeRecord | None:
        r = await _node(vm_lab, vm.admin_mac)
        return r if r and r.node.online and (r.node.facts.os or "").startswith("fueltui bootstrap") else None

    await async_wait_until(in_bootstrap, 300, "the VM in the bootstrap")
    started = time.monotonic()
    async with await MasterClient.connect(vm_lab.master_state_dir, autostart=False) as client:
        task = await client.start_task("provision", params={"node": vm.admin_mac})

        async def finished() -> object:
            t = await client.task(task.id)
            return t if t.status.finished else None

        done = await async_wait_until(finished, 900, "provisioning to finish")
    assert getattr(done, "status", None) == "done", getattr(done, "message", done)
    script = vm_lab.master_state_dir / "boot" / node_script_name(vm.admin_mac)
    assert "sanboot" in script.read_text()  # its PXE entry now boots the disk

    async def back_on_its_os() -> NodeRecord | None:
        r = await _node(vm_lab, vm.admin_mac)
        os_name = (r.node.facts.os or "") if r is not None else ""
        return r if r is not None and r.node.online and os_name.startswith("Debian GNU/Linux 13") else None

    record = await async_wait_until(back_on_its_os, 600, "the VM back on Debian 13")
    print(f"provisioned and back in {time.monotonic() - started:.0f} s")
    node = record.node
    assert not node.untrusted  # the new host key was the one pinned before the reboot
    assert node.status == "provisioned"
    assert "vda" in [d.name for d in node.facts.disks]
