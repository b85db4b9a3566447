"""The boot tree dnsmasq's TFTP (and the master's static HTTP server) serve from `<state>/boot/`.

Which script a node gets is the core's decision (`fueltui.core.bootscript`); this module only
writes the files, and writes one only when its text changes, so a poll that finds nothing
new touches nothing."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from pathlib import Path

from fueltui.core import bootscript
from fueltui.core.model import Node
from fueltui.core.payload.data import HTTP_PORT
from fueltui.master.discovery.dnsmasq import PxeOptions
from fueltui.settings import settings
from fueltui.statedir import write_private

log = logging.getLogger(__name__)

BOOT_DIR = "boot"
# Debian's `ipxe` package; FUELTUI_IPXE_DIR points elsewhere (a distribution that keeps them apart).
IPXE_DIRS = (Path("/usr/lib/ipxe"), Path("/usr/share/ipxe"))
LOADERS = ("undionly.kpxe", "snponly.efi", "ipxe.efi")


def boot_root(state_dir: Path) -> Path:
    return state_dir / BOOT_DIR


def _ipxe_dirs() -> list[Path]:
    override = settings().ipxe_dir
    return [override] if override is not None else list(IPXE_DIRS)


class BootTree:
    def __init__(self, state_dir: Path, admin_ip: str) -> None:
        self.root = boot_root(state_dir)
        self.base = f"tftp://{admin_ip}"  # dnsmasq: always there when PXE is
        # The master's file server (fueltui.master.httpfiles) serves this tree at /boot/.
        self.http_base = f"http://{admin_ip}:{HTTP_PORT}/{BOOT_DIR}"

    def _write(self, rel: str, text: str | bytes) -> bool:
        path = self.root / rel
        data = text.encode() if isinstance(text, str) else text
        try:
            if path.read_bytes() == data:
                return False
        except OSError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, data)
        path.chmod(0o644)  # dnsmasq's TFTP serves world-readable files only; nothing here is secret
        return True

    def bootstrap_available(self) -> bool:
        return all(
            (self.root / p).is_file() for p in (bootscript.BOOTSTRAP_KERNEL, bootscript.BOOTSTRAP_INITRD)
        )

    def prepare(self) -> list[str]:
        """Loaders and scripts in place; returns what is missing, as warnings."""
        warnings = []
        (self.root / bootscript.NODES_DIR).mkdir(parents=True, exist_ok=True)
        for name in LOADERS:
            source = next((d / name for d in _ipxe_dirs() if (d / name).is_file()), None)
            if source is None:
                warnings.append(f"no {name} (install Debian's `ipxe` package): those clients cannot PXE-boot")
                continue
            self._write(name, source.read_bytes())
        self._write(bootscript.BOOT_SCRIPT, bootscript.chain_script(self.base))
        available = self.bootstrap_available()
        self._write(
            bootscript.BOOTSTRAP_SCRIPT, bootscript.bootstrap_script([self.http_base, self.base], available)
        )
        if not available:
            warnings.append("no bootstrap image: PXE clients wait until `fueltui bootstrap build` has run")
        return warnings

    def set_node(self, node: Node) -> bool:
        """Write or remove the node's own script to match what it should boot; True if changed."""
        rel = bootscript.node_script_name(node.mac)
        text = bootscript.node_script(node)
        if text is not None:
            return self._write(rel, text)
        try:
            (self.root / rel).unlink()
        except FileNotFoundError:
            return False
        return True

    def sync(self, nodes: Iterable[Node]) -> int:
        """Every node's script as its state says; returns how many files changed."""
        self.prepare()
        return sum(self.set_node(node) for node in nodes)


async def has_global_ipv6(interface: str) -> bool:
    """Router advertisements need an IPv6 address on the interface that is not link-local."""
    proc = await asyncio.create_subprocess_exec(
        "ip", "-j", "-6", "addr", "show", "dev", interface, "scope", "global",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await proc.communicate()
    try:
        entries = json.loads(out or b"[]")
    except ValueError:
        return False
    return any(entry.get("addr_info") for entry in entries if isinstance(entry, dict))


async def pxe_options(state_dir: Path, admin_ip: str, interface: str) -> PxeOptions:
    """Prepare the boot tree and say how dnsmasq should serve it."""
    tree = BootTree(state_dir, admin_ip)
    for warning in tree.prepare():
        log.warning("PXE: %s", warning)
    return PxeOptions(tftp_root=tree.root, ipv6_ra=await has_global_ipv6(interface))
