"""A QEMU VM PXE-boots from the lab's master and is discovered like any node, with its real
disk. One VM under software emulation: a few minutes at most."""

from __future__ import annotations

import re
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
DISCOVER_TIMEOUT = 300.0


@pytest.fixture(scope="module")
def vm_lab() -> Iterator[Lab]:
    yield from one_vm_lab()


async def _discovered(lab: Lab, mac: str) -> NodeRecord | None:
    client = await MasterClient.connect(lab.master_state_dir, autostart=False)
    try:
        for record in await client.nodes():
            if record.node.mac == mac and record.node.online and record.node.facts.disks:
                return record
        return None
    finally:
        await client.close()


async def test_a_vm_pxe_boots_the_bootstrap_and_is_discovered_with_its_disk(vm_lab: Lab) -> None:
    (vm,) = lab_vms.load(vm_lab.names).vms
    record = await async_wait_until(
        lambda: _discovered(vm_lab, vm.admin_mac), DISCOVER_TIMEOUT, "the VM to be discovered"
    )
    facts = record.node.facts
    assert facts.os is not None and facts.os.startswith("fueltui bootstrap")
    assert facts.system.manufacturer == "QEMU"
    # Its real disk: the qcow2 the lab made, seen through virtio, named by its PCI path.
    (disk,) = facts.disks
    assert disk.name == "vda" and disk.size_bytes == lab_vms.DISK_GB * 2**30
    assert disk.by_path is not None and re.fullmatch(r"pci-0000:00:[0-9a-f]{2}\.0", disk.by_path)
    # Every NIC of the VM, the admin one marked as the one it was reached on.
    assert sorted(n.mac for n in facts.nics) == sorted(vm.macs)
    assert [n.mac for n in facts.nics if n.pxe] == [vm.admin_mac]
    assert record.node.ip is not None and not record.node.untrusted


def test_the_vm_got_its_boot_files_from_the_master(vm_lab: Lab) -> None:
    (vm,) = lab_vms.load(vm_lab.names).vms
    serial = Path(vm.serial_log).read_text(errors="replace")
    # iPXE in the NIC's ROM took the chain script over TFTP and the image over HTTP.
    assert "tftp://10.20.0.2/boot.ipxe... ok" in serial
    assert re.search(r"http://10\.20\.0\.2:8080/boot/bootstrap/initrd\.img\.\.\.[ 0-9%]*ok", serial)
    assert "fueltui bootstrap: drivers loaded" in serial
    dnsmasq = (vm_lab.master_state_dir / "dnsmasq.log").read_text()
    assert "DHCPACK(br-admin)" in dnsmasq and vm.admin_mac in dnsmasq
