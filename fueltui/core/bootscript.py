"""What a node boots when it PXE-boots from the master, as iPXE scripts (Cobbler's way).

Every iPXE client first asks for `boot.ipxe`, which chains to a script named after the MAC it
booted from; when there is none (a machine the master has never seen) it falls through to
the bootstrap. A node whose disk holds an installed OS gets a per-node script that boots the
local disk, so flipping a node between the two is writing or removing one small file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum

from fueltui.core.model import Node, NodeStatus, normalize_mac

BOOT_SCRIPT = "boot.ipxe"
BOOTSTRAP_SCRIPT = "bootstrap.ipxe"
NODES_DIR = "nodes"
BOOTSTRAP_KERNEL = "bootstrap/vmlinuz"
BOOTSTRAP_INITRD = "bootstrap/initrd.img"
# The bootstrap's /etc/os-release PRETTY_NAME starts with this (see fueltui.bootstrap.initfiles).
BOOTSTRAP_OS_PREFIX = "fueltui bootstrap"
KERNEL_ARGS = "console=tty0 console=ttyS0,115200n8"
RETRY_SECONDS = 30
_BASE = re.compile(r"^(tftp|http)://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9._/-]*)?$")


class BootTarget(StrEnum):
    bootstrap = "bootstrap"
    local = "local"


# Once the OS is written the disk boots; before that, or when a reset wipes it, the bootstrap.
_LOCAL_STATUSES = {NodeStatus.provisioned, NodeStatus.deploying, NodeStatus.ready}


def boot_target(node: Node) -> BootTarget:
    """The bootstrap, unless the node's disk holds an OS it should boot.

    A node in error boots its disk only when the last thing seen running there was not the
    bootstrap (it failed while deploying onto its installed OS); one that failed in the
    bootstrap, say half-way through provisioning, goes back to the bootstrap."""
    if node.status in _LOCAL_STATUSES:
        return BootTarget.local
    if (
        node.status == NodeStatus.error
        and node.facts.os
        and not node.facts.os.startswith(BOOTSTRAP_OS_PREFIX)
    ):
        return BootTarget.local
    return BootTarget.bootstrap


def node_script_name(mac: str) -> str:
    """The per-node script's path under the boot root, as iPXE's `${netX/mac:hexhyp}` spells it."""
    return f"{NODES_DIR}/{normalize_mac(mac).replace(':', '-')}.ipxe"


def _check_base(base: str) -> str:
    if not _BASE.match(base):
        raise ValueError(f"boot URL base {base!r} must be tftp:// or http:// with a host and a plain path")
    return base.rstrip("/")


def chain_script(base: str) -> str:
    """`boot.ipxe`: this node's own script if the master wrote one, else the bootstrap."""
    b = _check_base(base)
    return (
        "#!ipxe\n"
        f"chain --autofree {b}/{NODES_DIR}/${{netX/mac:hexhyp}}.ipxe || "
        f"chain --autofree {b}/{BOOTSTRAP_SCRIPT}\n"
    )


def bootstrap_script(bases: Sequence[str], available: bool, kernel_args: str = KERNEL_ARGS) -> str:
    """Boot the discovery image from the first base that serves it (HTTP is ~8× faster than
    TFTP for its 16 MB; TFTP is there when the HTTP server is not). While the master has no
    image yet, say so and try again later."""
    checked = [_check_base(b) for b in bases]
    if not checked:
        raise ValueError("no boot URL base")
    if not available:
        return (
            "#!ipxe\n"
            "echo fueltui: the master has no bootstrap image yet (run `fueltui bootstrap build` there)\n"
            f"sleep {RETRY_SECONDS}\n"
            f"chain --replace --autofree {checked[-1]}/{BOOT_SCRIPT}\n"
        )
    if not re.fullmatch(r"[A-Za-z0-9 ,=._:/-]*", kernel_args):
        raise ValueError(f"kernel arguments {kernel_args!r} hold characters iPXE would interpret")
    lines = ["#!ipxe"]
    for i, b in enumerate(checked):
        fail = f"goto try{i + 1}" if i + 1 < len(checked) else "exit 1"
        # UEFI kernels find the initrd by name (initrd=), BIOS ones by position: name it for both.
        lines += [
            f":try{i}",
            f"kernel {b}/{BOOTSTRAP_KERNEL} initrd=initrd.img {kernel_args} || {fail}",
            f"initrd --name initrd.img {b}/{BOOTSTRAP_INITRD} || {fail}",
            f"boot || {fail}",
        ]
    if len(checked) > 1:
        lines.append(f":try{len(checked)}")
        lines.append("exit 1")
    return "\n".join(lines) + "\n"


def local_disk_script() -> str:
    """Boot the first disk: BIOS through iPXE's sanboot; UEFI by handing back to the firmware,
    whose next boot entry is the disk. Failing that, leave it to the firmware too."""
    return "#!ipxe\niseq ${platform} efi && exit ||\nsanboot --no-describe --drive 0x80 || exit\n"


def node_script(node: Node) -> str | None:
    """The node's own script, or None when it boots what unknown machines boot (the bootstrap)."""
    return local_disk_script() if boot_target(node) == BootTarget.local else None
