"""Rules for the master's boot options (fuelmenu's checks)."""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Network

from fueltui.core.addr import (
    MAX_PREFIX,
    MIN_PREFIX,
    is_hostname,
    is_network_or_broadcast,
    parse_ip,
    parse_netmask,
    reserved_space,
)
from fueltui.core.model import BootOptions, Finding
from fueltui.core.rules.names import check_nic_name

MAX_DNS = 3


def _f(code: str, path: str, message: str) -> Finding:
    return Finding(code=code, path=path, message=message)


def admin_subnet(opts: BootOptions) -> IPv4Network | None:
    """The master's admin subnet, or None when its address or netmask is invalid."""
    ip, prefix = parse_ip(opts.ip), parse_netmask(opts.netmask)
    if ip is None or prefix is None or not MIN_PREFIX <= prefix <= MAX_PREFIX:
        return None
    return ipaddress.IPv4Interface(f"{ip}/{prefix}").network


def check_boot_options(opts: BootOptions, path: str = "master") -> list[Finding]:
    findings: list[Finding] = check_nic_name(opts.interface, f"{path}.interface")
    ip = parse_ip(opts.ip)
    prefix = parse_netmask(opts.netmask)
    subnet = admin_subnet(opts)
    if ip is None:
        findings.append(_f("ip-invalid", f"{path}.ip", f"{opts.ip!r} is not an IPv4 address; e.g. 10.20.0.2"))
    elif prefix is not None and subnet is not None and is_network_or_broadcast(ip, subnet):
        findings.append(
            _f(
                "ip-invalid",
                f"{path}.ip",
                f"{ip} is the network or broadcast address of {subnet}; pick a host",
            )
        )
    elif subnet is not None and reserved_space(subnet) is not None:
        findings.append(
            _f(
                "ip-invalid",
                f"{path}.ip",
                f"{ip} is loopback, multicast or reserved space; use a private address",
            )
        )
    if prefix is None or not MIN_PREFIX <= prefix <= MAX_PREFIX:
        findings.append(
            _f(
                "netmask-invalid",
                f"{path}.netmask",
                f"{opts.netmask!r} is not a netmask from /{MIN_PREFIX} to /{MAX_PREFIX}; "
                "e.g. 255.255.255.0 or 24",
            )
        )
    if opts.gateway is not None and subnet is not None:
        gateway = parse_ip(opts.gateway)
        if (
            gateway is None
            or gateway not in subnet
            or is_network_or_broadcast(gateway, subnet)
            or gateway == ip
        ):
            findings.append(
                _f(
                    "gateway-outside-subnet",
                    f"{path}.gateway",
                    f"gateway {opts.gateway!r} must be a host of {subnet} other than the master ({opts.ip}); "
                    "fix it or leave it empty",
                )
            )
    if not is_hostname(opts.hostname, fqdn=True):
        findings.append(
            _f(
                "hostname-invalid",
                f"{path}.hostname",
                f"{opts.hostname!r} is not a fully qualified host name: use lower-case labels of a-z, 0-9 "
                "and '-' separated by dots, e.g. fuel.example.com",
            )
        )
    findings += _check_dns(opts, ip, path)
    for i, server in enumerate(opts.ntp):
        if parse_ip(server) is None and not is_hostname(server):
            findings.append(
                _f(
                    "hostname-invalid",
                    f"{path}.ntp[{i}]",
                    f"NTP server {server!r} is neither an address nor a host name",
                )
            )
    findings += _check_pool(opts, ip, subnet, path)
    return findings


def _check_dns(opts: BootOptions, ip: ipaddress.IPv4Address | None, path: str) -> list[Finding]:
    findings: list[Finding] = []
    if len(opts.dns) > MAX_DNS:
        findings.append(
            _f("dns-too-many", f"{path}.dns", f"{len(opts.dns)} DNS servers given; keep at most {MAX_DNS}")
        )
    seen: set[str] = set()
    for i, server in enumerate(opts.dns):
        address = parse_ip(server)
        if address is None:
            findings.append(
                _f("dns-invalid", f"{path}.dns[{i}]", f"DNS server {server!r} is not an IPv4 address")
            )
        elif address == ip:
            findings.append(
                _f(
                    "dns-invalid",
                    f"{path}.dns[{i}]",
                    f"DNS server {server} is the master itself; give the upstream DNS servers",
                )
            )
        elif str(address) in seen:
            findings.append(_f("dns-duplicate", f"{path}.dns[{i}]", f"DNS server {server} is listed twice"))
        if address is not None:
            seen.add(str(address))
    return findings


def _check_pool(
    opts: BootOptions, ip: ipaddress.IPv4Address | None, subnet: IPv4Network | None, path: str
) -> list[Finding]:
    pool_path = f"{path}.dhcp_pool"
    start, end = parse_ip(opts.dhcp_pool.start), parse_ip(opts.dhcp_pool.end)
    if start is None or end is None:
        bad = "start" if start is None else "end"
        value = getattr(opts.dhcp_pool, bad)
        return [
            _f("dhcp-pool-invalid", f"{pool_path}.{bad}", f"DHCP pool {bad} {value!r} is not an IPv4 address")
        ]
    if start > end:
        return [
            _f(
                "dhcp-pool-invalid",
                f"{pool_path}.start",
                f"DHCP pool start {start} is after its end {end}; swap them",
            )
        ]
    findings: list[Finding] = []
    if subnet is not None:
        for key, address in (("start", start), ("end", end)):
            if address not in subnet or is_network_or_broadcast(address, subnet):
                findings.append(
                    _f(
                        "dhcp-pool-outside-subnet",
                        f"{pool_path}.{key}",
                        f"DHCP pool {key} {address} is not a host of the admin subnet {subnet}",
                    )
                )
    gateway = parse_ip(opts.gateway)
    if gateway is not None and start <= gateway <= end:
        findings.append(
            _f(
                "dhcp-pool-invalid",
                pool_path,
                f"the DHCP pool {start}–{end} contains the gateway {gateway}; a node would get its address",
            )
        )
    if ip is not None and start <= ip <= end:
        findings.append(
            _f(
                "dhcp-pool-contains-master",
                f"{pool_path}",
                f"the DHCP pool {start}–{end} contains the master's address {ip}; move the pool or the "
                "master",
            )
        )
    return findings
