"""Deterministic IP addresses for every node on every network it carries, and the VIPs.

Order: nodes sorted by admin MAC (stable whatever order a file or the database lists them in);
on each network the VIPs (haproxy, vrouter — only when there is a controller) come first, then
the nodes. Addresses come from the network's `ip_ranges` when it has any or its notation is
"ip_ranges" (Fuel's "ip_ranges"
notation: public, admin), otherwise from its CIDR starting at .2 (Fuel's "cidr" notation); the
gateway is never handed out. On the admin network a node keeps the address it already has (its
DHCP lease) when that lies in the network. A network without a CIDR (Neutron VLAN `private`,
nova `fixed`) gives no addresses. Running short gives a `not-enough-ips` finding; everything
that fits is still allocated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from ipaddress import IPv4Address, IPv4Network

from pydantic import BaseModel, Field

from fueltui.core.addr import (
    MAX_PREFIX,
    MIN_PREFIX,
    IpRange,
    parse_cidr,
    parse_ip,
    parse_range,
    reserved_space,
)
from fueltui.core.environment import ADMIN, effective_network, network_names, networks_for_node
from fueltui.core.model import Environment, Finding, NetworkMeta, Node, Release


class Allocation(BaseModel):
    addresses: dict[str, dict[str, str]] = Field(default_factory=dict)  # node MAC -> network -> "ip/prefix"
    vips: dict[str, dict[str, str]] = Field(default_factory=dict)  # network -> VIP name -> ip
    findings: list[Finding] = Field(default_factory=list)


def _pool(meta: NetworkMeta, net: IPv4Network) -> tuple[list[IpRange], bool]:
    """(usable ranges, whether every listed range was usable)."""
    if meta.ip_ranges or meta.notation == "ip_ranges":
        found = [r for r in (parse_range(p) for p in meta.ip_ranges) if r is not None]
        usable = [r for r in found if r[0] in net and r[1] in net]
        return usable, len(usable) == len(meta.ip_ranges)
    return ([(net[2], net[-2])] if net.num_addresses > 3 else []), True


def _addresses(pool: list[IpRange], skip: set[IPv4Address]) -> Iterator[IPv4Address]:
    for first, last in pool:
        value = int(first)
        while value <= int(last):
            address = IPv4Address(value)
            if address not in skip:
                skip.add(address)
                yield address
            value += 1


def needs_vips(release: Release, nodes: Sequence[Node]) -> bool:
    """VIPs exist once a node has a role that needs public (a controller)."""
    return any(release.roles[r].public for n in nodes for r in n.roles if r in release.roles)


def allocate(env: Environment, release: Release, nodes: Sequence[Node]) -> Allocation:
    result = Allocation()
    ordered = sorted(nodes, key=lambda n: n.mac)
    vips_wanted = needs_vips(release, ordered)
    for name in network_names(env, release):
        meta = effective_network(env, release, name)
        net = parse_cidr(meta.cidr)
        if net is None or not MIN_PREFIX <= net.prefixlen <= MAX_PREFIX or reserved_space(net) is not None:
            continue
        carriers = [n for n in ordered if name in networks_for_node(env, release, n.roles)]
        skip: set[IPv4Address] = set()
        gateway = parse_ip(meta.gateway)
        if gateway is not None:
            skip.add(gateway)
        kept: dict[str, IPv4Address] = {}
        if name == ADMIN:
            for node in carriers:
                current = parse_ip(node.ip)
                if current is not None and current in net and current not in skip:
                    kept[node.mac] = current
                    skip.add(current)
        pool, pool_valid = _pool(meta, net)
        source = _addresses(pool, skip)
        vip_names = list(meta.vips) if vips_wanted else []
        short = 0
        for vip in vip_names:
            address = next(source, None)
            if address is None:
                short += 1
            else:
                result.vips.setdefault(name, {})[vip] = str(address)
        for node in carriers:
            address = kept.get(node.mac) or next(source, None)
            if address is None:
                short += 1
            else:
                result.addresses.setdefault(node.mac, {})[name] = f"{address}/{net.prefixlen}"
        if short and pool_valid:  # an invalid range is reported by the network rules already
            result.findings.append(_short(meta, name, len(carriers), len(vip_names), short))
    return result


def _short(meta: NetworkMeta, name: str, nodes: int, vips: int, short: int) -> Finding:
    if name == ADMIN:
        path, what = "master.dhcp_pool", "the DHCP pool"
    elif meta.ip_ranges or meta.notation == "ip_ranges":
        path, what = f"environment.networks.{name}.ip_ranges", "its IP ranges"
    else:
        path, what = f"environment.networks.{name}.cidr", "its CIDR"
    need = f"{nodes} node(s)" + (f" + {vips} VIP(s)" if vips else "")
    return Finding(
        code="not-enough-ips",
        path=path,
        message=f"{name} needs {nodes + vips} address(es) ({need}) but {what} can give only "
        f"{nodes + vips - short}; widen it by at least {short}",
    )
