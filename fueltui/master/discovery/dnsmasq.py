"""DHCP and PXE on the admin network: dnsmasq's config rendered from the boot options, and the
lease lines it reports.

Every value is validated before it reaches the file: a newline in an operator's entry
must never become a second dnsmasq directive.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from fueltui.core.model import BootOptions, normalize_mac

_IFNAME = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$")
LEASE_TIME = "1h"


class DhcpConfigError(ValueError):
    pass


@dataclass(frozen=True)
class PxeOptions:
    """Network boot on the admin interface: TFTP from `tftp_root`, iPXE for every client."""

    tftp_root: Path
    script: str = "boot.ipxe"  # what iPXE clients are told to load
    bios_loader: str = "undionly.kpxe"  # firmware PXE clients first get iPXE itself...
    uefi_loader: str = "snponly.efi"
    ipv6_ra: bool = False  # ...which waits ~14 s for IPv6 autoconfiguration unless routers advertise


@dataclass(frozen=True)
class Lease:
    mac: str
    ip: str
    hostname: str | None = None


def _address(value: str, what: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError as exc:
        raise DhcpConfigError(f"{what}: {value!r} is not an IPv4 address") from exc


def netmask_of(opts: BootOptions) -> str:
    text = opts.netmask.strip().lstrip("/")
    try:
        if text.isdigit():
            return str(ipaddress.IPv4Network(f"0.0.0.0/{text}").netmask)
        return str(ipaddress.IPv4Network(f"0.0.0.0/{text}").netmask)
    except ValueError as exc:
        raise DhcpConfigError(f"netmask: {opts.netmask!r} is not a netmask") from exc


def _pxe_lines(pxe: PxeOptions, interface: str) -> list[str]:
    root = str(pxe.tftp_root)
    if "\n" in root or "\r" in root or not pxe.tftp_root.is_absolute():
        raise DhcpConfigError(f"TFTP root {root!r} must be an absolute path without newlines")
    for name in (pxe.script, pxe.bios_loader, pxe.uefi_loader):
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            raise DhcpConfigError(f"boot file name {name!r}: letters, digits, dot, dash only")
    lines = [
        "enable-tftp",
        f"tftp-root={root}",
        # iPXE, the bootstrap's udhcpc and the installed OS send different client ids; the MAC
        # alone then keeps one address per node through every stage of its life.
        "dhcp-ignore-clid",
        "dhcp-match=set:ipxe,175",
        "dhcp-match=set:efi64,option:client-arch,7",
        "dhcp-match=set:efi64,option:client-arch,9",
        f"dhcp-boot=tag:ipxe,{pxe.script}",
        f"dhcp-boot=tag:!ipxe,tag:efi64,{pxe.uefi_loader}",
        f"dhcp-boot=tag:!ipxe,tag:!efi64,{pxe.bios_loader}",
    ]
    if pxe.ipv6_ra:
        lines += ["enable-ra", f"dhcp-range=::,constructor:{interface},ra-only"]
    return lines


def render_config(opts: BootOptions, interface: str, lease_file: Path, pxe: PxeOptions | None = None) -> str:
    if not _IFNAME.match(interface):
        raise DhcpConfigError(f"interface: {interface!r} is not an interface name")
    start = _address(opts.dhcp_pool.start, "dhcp_pool.start")
    end = _address(opts.dhcp_pool.end, "dhcp_pool.end")
    mask = netmask_of(opts)
    network = ipaddress.IPv4Network(f"{_address(opts.ip, 'ip')}/{mask}", strict=False)
    for value, what in ((start, "dhcp_pool.start"), (end, "dhcp_pool.end")):
        if ipaddress.IPv4Address(value) not in network:
            raise DhcpConfigError(f"{what}: {value} is outside the admin network {network}")
    if ipaddress.IPv4Address(start) > ipaddress.IPv4Address(end):
        raise DhcpConfigError(f"dhcp_pool: start {start} is after end {end}")
    if "\n" in str(lease_file) or "\r" in str(lease_file):
        raise DhcpConfigError("lease file path contains a newline")
    lines = [
        "# Written by fueltui from the master's boot options; changes here are overwritten.",
        "port=0",  # DHCP only; DNS is not the master's business here
        f"interface={interface}",
        "bind-interfaces",
        "except-interface=lo",
        "dhcp-authoritative",
        # dnsmasq pings each new address and waits ~3 s, one lease at a time: 50 nodes booting
        # together would wait minutes. Duplicate addresses are the boot-options checks' job.
        "no-ping",
        f"dhcp-range={start},{end},{mask},{LEASE_TIME}",
        f"dhcp-leasefile={lease_file}",
        "pid-file=",
        "user=root",
        "log-facility=-",
    ]
    if opts.gateway:
        lines.append(f"dhcp-option=option:router,{_address(opts.gateway, 'gateway')}")
    else:
        lines.append("dhcp-option=option:router")
    if opts.dns:
        servers = ",".join(_address(d, "dns") for d in opts.dns)
        lines.append(f"dhcp-option=option:dns-server,{servers}")
    if opts.ntp:  # the master serves time to the nodes (core.masterfiles.render_chrony)
        lines.append(f"dhcp-option=option:ntp-server,{_address(opts.ip, 'ip')}")
    if pxe is not None:
        lines += _pxe_lines(pxe, interface)
    return "\n".join(lines) + "\n"


def dnsmasq_argv(conf_file: Path) -> list[str]:
    return ["dnsmasq", "--keep-in-foreground", f"--conf-file={conf_file}"]


_ACK = re.compile(r"DHCPACK\([^)]*\)\s+(\S+)\s+(\S+)(?:\s+(\S+))?")


def parse_ack(line: str) -> Lease | None:
    """A lease from one line of dnsmasq's log ("DHCPACK(br-admin) 10.20.0.130 52:54:... name")."""
    match = _ACK.search(line)
    if match is None:
        return None
    try:
        ip = str(ipaddress.IPv4Address(match.group(1)))
        mac = normalize_mac(match.group(2))
    except ValueError:
        return None
    name = match.group(3)
    return Lease(mac=mac, ip=ip, hostname=name if name and _HOSTNAME.match(name) else None)


def parse_lease_file(text: str) -> list[Lease]:
    """dnsmasq's lease file: "expiry mac ip hostname client-id" per line; junk is skipped."""
    leases = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        try:
            mac = normalize_mac(parts[1])
            ip = str(ipaddress.IPv4Address(parts[2]))
        except ValueError:
            continue
        name = parts[3] if len(parts) > 3 and parts[3] != "*" and _HOSTNAME.match(parts[3]) else None
        leases.append(Lease(mac=mac, ip=ip, hostname=name))
    return leases
