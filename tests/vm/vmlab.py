"""The lab the VM tests share: one QEMU VM that PXE-boots from the lab's master (which polls
its nodes every 2 s), taken down afterwards."""

from __future__ import annotations

from collections.abc import Iterator

from fueltui.lab.lab import Lab
from labfixtures import remove_stale_test_labs, unique_prefix


def one_vm_lab(firmware: str | None = None) -> Iterator[Lab]:
    remove_stale_test_labs()
    lab = Lab(unique_prefix(), master_env={"FUELTUI_POLL_INTERVAL": "2"})
    try:
        if firmware is None:
            lab.up(nodes=0, vms=1, timeout=120)
        else:
            lab.up(nodes=0, vms=1, vm_firmware=firmware, timeout=120)
        yield lab
    finally:
        lab.down()
