"""A UEFI machine (OVMF) PXE-boots the same bootstrap: iPXE's UEFI build, the kernel finding
its initrd by name, discovery as for BIOS machines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fueltui.api.schema import NodeRecord
from fueltui.client.api import MasterClient
from fueltui.lab import vms as lab_vms
from fueltui.lab.lab import Lab
from labfixtures import remove_stale_test_labs, unique_prefix
from polling import async_wait_until

pytestmark = [pytest.mark.vm, pytest.mark.lab, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def uefi_lab() -> Iterator[Lab]:
    remove_stale_test_labs()
    lab = Lab(unique_prefix(), master_env={"FUELTUI_POLL_INTERVAL": "2"})
    try:
        lab.up(nodes=0, vms=1, vm_firmware="uefi", timeout=120)
        yield lab
    finally:
        lab.down()


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
