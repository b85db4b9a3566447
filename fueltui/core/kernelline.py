"""The master's boot options on a kernel command line, as Fuel's ISO took them.

Rendered keys, in this order:

    ip=10.20.0.2 gw=10.20.0.1 dns1=10.20.0.1 dns2=… dns3=… netmask=255.255.255.0
    hostname=fuel.example.com iface=eth0 ntp1=pool.ntp.org ntp2=…
    dhcp_pool_start=10.20.0.129 dhcp_pool_end=10.20.0.254

`ip gw dns1-3 netmask hostname` are Fuel's; `iface`, `ntpN` and `dhcp_pool_start/end` are
fueltui's. Parsing also takes the kernel's own static form
`ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:off` (separate keys win over it).
`gw`, `dnsN`, `ntpN` are left out when empty. Parsing ignores every other argument
(BOOT_IMAGE=, quiet, showmenu=yes, …); the last of a repeated key wins. When the line has no
pool, Fuel's default is taken: the upper half of the admin subnet (.129–.254 in a /24). Values
are kept as written, so `parse_boot_line(render_boot_line(o)) == o` and rendering a parsed
line gives the same line back.
"""

from __future__ import annotations

import ipaddress
import re

from fueltui.core.addr import parse_ip, parse_netmask
from fueltui.core.model import BootOptions, DhcpPool

KEYS = ("ip", "gw", "netmask", "hostname", "iface", "dhcp_pool_start", "dhcp_pool_end")
_NUMBERED = re.compile(r"^(dns|ntp)([1-9][0-9]*)$")


def _value(key: str, value: str) -> str:
    if not value or any(ch.isspace() for ch in value) or '"' in value:
        raise ValueError(f"{key}={value!r} cannot go on a kernel line (empty or contains spaces or quotes)")
    return f"{key}={value}"


def render_boot_line(opts: BootOptions) -> str:
    if ":" in opts.ip:  # would read back as the kernel's ip=<client>:<server>:... form
        raise ValueError(f"ip={opts.ip!r} cannot go on a kernel line (':' is the kernel's field separator)")
    parts = [_value("ip", opts.ip)]
    if opts.gateway is not None:
        parts.append(_value("gw", opts.gateway))
    parts += [_value(f"dns{i}", server) for i, server in enumerate(opts.dns, 1)]
    parts.append(_value("netmask", opts.netmask))
    parts.append(_value("hostname", opts.hostname))
    parts.append(_value("iface", opts.interface))
    parts += [_value(f"ntp{i}", server) for i, server in enumerate(opts.ntp, 1)]
    parts.append(_value("dhcp_pool_start", opts.dhcp_pool.start))
    parts.append(_value("dhcp_pool_end", opts.dhcp_pool.end))
    return " ".join(parts)


def default_pool(ip: str, netmask: str) -> DhcpPool:
    """Fuel's default node pool: the upper half of the admin subnet, broadcast excluded."""
    address, prefix = parse_ip(ip), parse_netmask(netmask)
    if address is None or prefix is None or prefix > 30:
        raise ValueError(f"cannot derive a DHCP pool from ip={ip} netmask={netmask}; add dhcp_pool_start/end")
    net = ipaddress.IPv4Interface(f"{address}/{prefix}").network
    half = net.num_addresses // 2
    return DhcpPool(start=str(net[half + 1 if half > 2 else half]), end=str(net[-2]))


def parse_boot_line(text: str) -> BootOptions:
    """Boot options from a kernel command line; ValueError says what is missing or wrong."""
    found: dict[str, str] = {}
    numbered: dict[str, dict[int, str]] = {"dns": {}, "ntp": {}}
    for arg in text.split():
        key, sep, value = arg.partition("=")
        if not sep:
            continue
        match = _NUMBERED.match(key)
        if match:
            numbered[match.group(1)][int(match.group(2))] = value
        elif key in KEYS:
            found[key] = value
    if "ip" not in found:
        raise ValueError("the kernel line has no ip= (e.g. ip=10.20.0.2): the master needs a static address")
    if ":" in found["ip"]:
        _kernel_ip(found)
    if found["ip"] in ("", "dhcp", "on", "any", "auto", "bootp", "rarp", "off", "none"):
        raise ValueError(
            f"ip={found['ip'] or '(empty)'} is not a static address; make the admin NIC static, e.g. "
            "ip=10.20.0.2 netmask=255.255.255.0"
        )
    fields: dict[str, object] = {"ip": found["ip"]}
    for key, field in (
        ("gw", "gateway"),
        ("netmask", "netmask"),
        ("hostname", "hostname"),
        ("iface", "interface"),
    ):
        if key in found:
            fields[field] = found[key]
    for kind in ("dns", "ntp"):
        fields[kind] = [numbered[kind][i] for i in sorted(numbered[kind])]
    if "dhcp_pool_start" in found and "dhcp_pool_end" in found:
        fields["dhcp_pool"] = DhcpPool(start=found["dhcp_pool_start"], end=found["dhcp_pool_end"])
    else:
        netmask = found.get("netmask", BootOptions.model_fields["netmask"].default)
        fields["dhcp_pool"] = default_pool(found["ip"], str(netmask))
    return BootOptions.model_validate(fields)


def _kernel_ip(found: dict[str, str]) -> None:
    """The kernel's own form, ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:<autoconf>,
    spread into the keys above; keys given separately (gw=, netmask=, ...) win."""
    parts = (found["ip"].split(":") + [""] * 7)[:7]
    client, _server, gateway, netmask, hostname, device, autoconf = parts
    if autoconf not in ("", "off", "none"):
        client = autoconf  # a DHCP/BOOTP configuration: refused by the caller
    found["ip"] = client
    for key, value in (("gw", gateway), ("netmask", netmask), ("hostname", hostname), ("iface", device)):
        if value and key not in found:
            found[key] = value
