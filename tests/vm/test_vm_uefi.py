"""A UEFI machine (OVMF) PXE-boots the same bootstrap: iPXE's UEFI build, the kernel finding
its initrd by name, discovery as for BIOS machines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from vmlab import one_vm_lab

from fueltui.api.schema import NodeRecord
from fueltui.client.api import MasterClient
from fueltui.lab import vms as lab_vms
from fueltui.lab.lab import Lab
from polling import async_wait_until

pytestmark = [pytest.mark.vm, pytest.mark.lab, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def uefi_lab() -> Iterator[Lab]:
    yield from one_vm_lab("uefi")


async def test_a_uefi_vm_pxe_boots_the_bootstrap_and_is_discovered(uefi_lab: Lab) -> None:
    (vm,) = lab_vms.load(uefi_lab.names).vms
    assert vm.firmware == "uefi"

    async def discovered() -> NodeRecord | None:
        async with await MasterClient.connect(uefi_lab.master_state_dir, autostart=False) as client:
            for record in await client.nodes():
                if record.node.mac == vm.admin_mac and record.node.online and record.node.facts.disks:
                    return record
        return None

    record = await async_wait_until(discovered, 300, "the UEFI VM to be discovered")
    assert (record.node.facts.os or "").startswith("fueltui bootstrap")
    serial = Path(vm.serial_log).read_text(errors="replace")
    assert "UEFI" in serial or "EFI" in serial  # OVMF's own banner, not SeaBIOS
    assert "SeaBIOS" not in serial


async def test_a_uefi_vm_is_provisioned_and_boots_its_disk(uefi_lab: Lab) -> None:
    """GRUB's UEFI loader at the removable-media path of the ESP: the firmware finds it with
    no boot entry made (iPXE's local-disk script hands back to the firmware on UEFI)."""
    (vm,) = lab_vms.load(uefi_lab.names).vms
    async with await MasterClient.connect(uefi_lab.master_state_dir, autostart=False) as client:
        task = await client.start_task("provision", params={"node": vm.admin_mac})

        async def finished() -> object:
            t = await client.task(task.id)
            return t if t.status.finished else None

        done = await async_wait_until(finished, 900, "provisioning to finish")
        assert getattr(done, "status", None) == "done", getattr(done, "message", done)

        async def on_its_os() -> NodeRecord | None:
            for r in await client.nodes():
                if r.node.mac == vm.admin_mac and (r.node.facts.os or "").startswith("Debian GNU/Linux 13"):
                    return r
            return None

        record = await async_wait_until(on_its_os, 600, "the UEFI VM back on Debian 13 from its disk")
    assert record.node.online and not record.node.untrusted
    serial = Path(vm.serial_log).read_text(errors="replace")
    # The installed kernel's own boot on the serial console, after the bootstrap's.
    assert serial.rfind("Linux version") > serial.find("fueltui bootstrap: drivers loaded") > 0
    assert "SeaBIOS" not in serial
