"""What the host itself looks like: its NICs and the kernel line it booted with.

Read-only views of the machine the TUI runs on, used to prefill the master set-up screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import netifaces


@dataclass(frozen=True)
class HostNic:
    name: str
    mac: str | None = None
    addresses: list[str] = field(default_factory=list)  # "ip/prefix"

    @property
    def label(self) -> str:
        where = ", ".join(self.addresses) if self.addresses else "no address"
        return f"{self.name}  {self.mac or '-'}  {where}"


def _prefix(mask: str) -> int:
    return sum(bin(int(part)).count("1") for part in mask.split("."))


def host_nics() -> list[HostNic]:
    """The host's NICs (loopback left out) with their IPv4 addresses."""
    nics: list[HostNic] = []
    for name in netifaces.interfaces():
        if name == "lo":
            continue
        info = netifaces.ifaddresses(name)
        mac = next((a.get("addr") for a in info.get(netifaces.AF_LINK, []) if a.get("addr")), None)
        addresses = []
        for entry in info.get(netifaces.AF_INET, []):
            addr, mask = entry.get("addr"), entry.get("netmask")
            if addr:
                addresses.append(f"{addr}/{_prefix(mask)}" if mask else addr)
        nics.append(HostNic(name=name, mac=mac, addresses=addresses))
    return nics


def default_gateway() -> str | None:
    """The host's IPv4 default route, if it has one (read from the routing table, no traffic)."""
    try:
        route = netifaces.gateways().get("default", {}).get(netifaces.AF_INET)
    except (OSError, ValueError):
        return None
    return str(route[0]) if route else None


def read_cmdline(path: Path = Path("/proc/cmdline")) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
