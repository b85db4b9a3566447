"""GET /master/interfaces: the master's own machine, as the master itself sees it.

Read in the master's process, so in the lab these are the lab master's namespace (br-admin),
not the host's. `read_host` is the one reader; tests replace it to pin what a machine has."""

from __future__ import annotations

import os
from pathlib import Path

import netifaces
from fastapi import APIRouter

from fueltui.api.host import HostInterface, MasterHost
from fueltui.master.discovery.service import LAB_BOOT_ENV

router = APIRouter(tags=["master"])

LAB_MARKERS = ("FUELTUI_LAB", "FUELTUI_DEPLOY_UNTAGGED")


def _prefix(mask: str) -> int:
    return sum(bin(int(part)).count("1") for part in mask.split("."))


def read_interfaces() -> list[HostInterface]:
    """The NICs of this network namespace (loopback left out) with their IPv4 addresses."""
    nics: list[HostInterface] = []
    for name in sorted(netifaces.interfaces()):
        if name == "lo":
            continue
        try:
            info = netifaces.ifaddresses(name)
        except ValueError:  # gone between listing and reading
            continue
        mac = next((a.get("addr") for a in info.get(netifaces.AF_LINK, []) if a.get("addr")), None)
        addresses = []
        for entry in info.get(netifaces.AF_INET, []):
            addr, mask = entry.get("addr"), entry.get("netmask")
            if addr:
                addresses.append(f"{addr}/{_prefix(mask)}" if mask else addr)
        nics.append(HostInterface(name=name, mac=mac, addresses=addresses))
    return nics


def read_gateway() -> str | None:
    try:
        default = netifaces.gateways().get("default")  # {family: (gateway, interface)}
        route = default.get(netifaces.AF_INET) if isinstance(default, dict) else None
    except (OSError, ValueError):
        return None
    return str(route[0]) if route else None


def read_cmdline(path: Path = Path("/proc/cmdline")) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def current_netns() -> str | None:
    try:
        return os.readlink("/proc/self/ns/net")
    except OSError:
        return None


def read_host() -> MasterHost:
    lab = bool(os.environ.get(LAB_BOOT_ENV)) or any(os.environ.get(v) == "1" for v in LAB_MARKERS)
    return MasterHost(
        interfaces=read_interfaces(),
        gateway=read_gateway(),
        cmdline=read_cmdline(),
        lab=lab,
        service="INVOCATION_ID" in os.environ,  # systemd sets it for every unit it starts
        netns=current_netns(),
    )


@router.get("/master/interfaces", response_model=MasterHost)
async def master_interfaces() -> MasterHost:
    return read_host()
