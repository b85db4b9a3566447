"""Boot options to offer on a fresh machine, derived from the admin NIC's current address.

Fuel's ISO defaulted to 10.20.0.2/24 with gateway .1 and a node pool of .129–.254. On a NIC
that already has an address, those numbers mostly lie outside its subnet; the same rule applied
to the NIC's own subnet gives a consistent first screen: the pool is the upper half of the
subnet (without its first address and the broadcast), never containing the master, and the
gateway is the host's default route only when that route lies on the subnet.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from fueltui.core.addr import parse_ip, parse_netmask
from fueltui.core.model import BootOptions, DhcpPool

FUEL_DEFAULTS = BootOptions(
    interface="eth0",
    ip="10.20.0.2",
    netmask="255.255.255.0",
    gateway="10.20.0.1",
    dns=[],
    hostname="fuel.domain.tld",
    dhcp_pool=DhcpPool(start="10.20.0.129", end="10.20.0.254"),
)


def dhcp_pool_for(master: IPv4Address, net: IPv4Network) -> tuple[IPv4Address, IPv4Address] | None:
    """Fuel's node pool on `net`: its upper half less the first address and the broadcast
    (.129–.254 on a /24), without the master; None when the subnet has no room for one."""
    if net.num_addresses < 4:  # /31 and /32: no host range to share
        return None
    first_host, last_host = net.network_address + 1, net.broadcast_address - 1
    start = net.network_address + net.num_addresses // 2 + 1
    if start > last_host:  # a /30: the upper half is only the broadcast
        start = first_host
    segments = [(start, last_host)]
    if start <= master <= last_host:  # keep the larger side of the master
        segments = [(start, master - 1), (master + 1, last_host)]
    usable = [(a, b) for a, b in segments if a <= b]
    if not usable:
        return None
    return max(usable, key=lambda seg: (int(seg[1]) - int(seg[0]), -int(seg[0])))


def default_boot_options_for(
    address: str, prefix: str | int, gateway: str | None, interface: str = "eth0"
) -> BootOptions:
    """Boot options for a NIC at `address`/`prefix` (prefix length or dotted netmask), with
    `gateway` the host's default route if it has one. An unusable address gives Fuel's own
    defaults on that interface."""
    ip = parse_ip(address)
    length = parse_netmask(str(prefix))
    if ip is None or length is None or length > 30:
        return FUEL_DEFAULTS.model_copy(update={"interface": interface})
    net = IPv4Network(f"{ip}/{length}", strict=False)
    route = parse_ip(gateway) if gateway else None
    on_subnet = (
        route is not None
        and route in net
        and route != ip
        and route
        not in (
            net.network_address,
            net.broadcast_address,
        )
    )
    pool = dhcp_pool_for(ip, net)
    return FUEL_DEFAULTS.model_copy(
        update={
            "interface": interface,
            "ip": str(ip),
            "netmask": str(net.netmask),
            "gateway": str(route) if on_subnet else None,
            "dhcp_pool": DhcpPool(start=str(pool[0]), end=str(pool[1]))
            if pool
            else DhcpPool(start="", end=""),
        }
    )
