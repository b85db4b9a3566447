"""Rules for an environment's logical networks: CIDRs, gateways, ranges, VLAN tags, overlaps.

The admin network's own settings are the master's boot options (checked there); here it only
takes part in the overlap check. Neutron and nova-network parameters are in `params`.
"""

from __future__ import annotations

from ipaddress import IPv4Network

from fueltui.core.addr import (
    MAX_PREFIX,
    MIN_PREFIX,
    IpRange,
    fmt_range,
    is_network_or_broadcast,
    parse_cidr,
    parse_ip,
    parse_range,
    range_in_network,
    ranges_overlap,
    reserved_space,
)
from fueltui.core.environment import ADMIN, effective_network, mode_networks, network_names
from fueltui.core.model import Environment, Finding, Mode, NetworkMeta, Release

VLAN_MIN, VLAN_MAX = 1, 4094
NOVA_VLAN_MIN = 2


def _f(code: str, path: str, message: str) -> Finding:
    return Finding(code=code, path=path, message=message)


def net_path(name: str) -> str:
    return f"environment.networks.{name}"


def check_cidr(text: str | None, path: str, what: str) -> tuple[IPv4Network | None, list[Finding]]:
    """Parse a CIDR and judge it: shape, prefix limits, reserved address space."""
    net = parse_cidr(text)
    if net is None:
        hint = ""
        if isinstance(text, str) and "/" in text:
            try:
                strict_free = IPv4Network(text, strict=False)
                hint = f" (host bits are set: did you mean {strict_free}?)"
            except ValueError:
                pass
        return None, [
            _f("cidr-invalid", path, f"{what} CIDR {text!r} is not a network like 192.168.0.0/24{hint}")
        ]
    if not MIN_PREFIX <= net.prefixlen <= MAX_PREFIX:
        return None, [
            _f(
                "cidr-invalid",
                path,
                f"{what} CIDR {net} must have a prefix from /{MIN_PREFIX} to /{MAX_PREFIX}",
            )
        ]
    block = reserved_space(net)
    if block is not None:
        return None, [
            _f(
                "reserved-address-space",
                path,
                f"{what} CIDR {net} lies in reserved space {block} (loopback, multicast or not class A/B/C); "
                "use private addresses such as 192.168.0.0/16 or 10.0.0.0/8",
            )
        ]
    return net, []


def check_ranges(
    ranges: list[tuple[str, str]], net: IPv4Network | None, path: str, what: str
) -> tuple[list[IpRange], list[Finding]]:
    """Each range valid, inside the network, not overlapping another."""
    findings: list[Finding] = []
    valid: list[tuple[int, IpRange]] = []
    for i, pair in enumerate(ranges):
        item = parse_range(pair)
        here = f"{path}[{i}]"
        if item is None:
            findings.append(
                _f(
                    "range-invalid",
                    here,
                    f"{what} range {fmt_range(pair)} must be two IPv4 addresses, first not after last",
                )
            )
            continue
        if net is not None and not range_in_network(item, net):
            findings.append(
                _f("range-outside-cidr", here, f"{what} range {fmt_range(pair)} is not inside {net}")
            )
        elif net is not None:
            findings += check_range_ends(item, net, here, what)
        for j, other in valid:
            if ranges_overlap(item, other):
                findings.append(
                    _f(
                        "range-overlap",
                        here,
                        f"{what} range {fmt_range(pair)} overlaps range {j + 1} ({fmt_range(other)}); "
                        "make them disjoint",
                    )
                )
                break
        valid.append((i, item))
    return [item for _, item in valid], findings


def check_range_ends(item: IpRange, net: IPv4Network, path: str, what: str) -> list[Finding]:
    """Fuel refused a range that "intersects with either subnet address or broadcast address":
    neither can be given to a node."""
    ends = [a for a in (net.network_address, net.broadcast_address) if item[0] <= a <= item[1]]
    if not ends:
        return []
    named = " and ".join(
        f"{'network' if a == net.network_address else 'broadcast'} address {a}" for a in ends
    )
    return [
        _f(
            "range-includes-network-or-broadcast",
            path,
            f"{what} range {fmt_range(item)} includes the {named} of {net}; start after it / end before it",
        )
    ]


def _check_gateway(meta: NetworkMeta, net: IPv4Network, ranges: list[IpRange], path: str) -> list[Finding]:
    if meta.gateway is None:
        if meta.use_gateway:
            return [
                _f("gateway-outside-cidr", f"{path}.gateway", f"{meta.name} needs a gateway inside {net}")
            ]
        return []
    gateway = parse_ip(meta.gateway)
    if gateway is None or gateway not in net:
        return [
            _f(
                "gateway-outside-cidr",
                f"{path}.gateway",
                f"{meta.name} gateway {meta.gateway!r} is not an address inside {net}; e.g. {net[1]}",
            )
        ]
    if is_network_or_broadcast(gateway, net):
        return [
            _f(
                "gateway-is-network-or-broadcast",
                f"{path}.gateway",
                f"{meta.name} gateway {gateway} is the network or broadcast address of {net}; use a host "
                "address",
            )
        ]
    for item in ranges:
        if item[0] <= gateway <= item[1]:
            return [
                _f(
                    "gateway-in-range",
                    f"{path}.gateway",
                    f"{meta.name} gateway {gateway} is inside its IP range {fmt_range(item)}; "
                    "take it out of the range",
                )
            ]
    return []


def _vlan_limits(env: Environment) -> tuple[int, int]:
    return (NOVA_VLAN_MIN if env.mode == Mode.nova_network else VLAN_MIN), VLAN_MAX


def _check_vlan(env: Environment, meta: NetworkMeta, path: str) -> list[Finding]:
    low, high = _vlan_limits(env)
    if meta.vlan is not None and not low <= meta.vlan <= high:
        return [
            _f(
                "vlan-out-of-range",
                f"{path}.vlan",
                f"{meta.name} VLAN {meta.vlan} must be from {low} to {high}, or null for untagged",
            )
        ]
    return []


def network_cidrs(env: Environment, release: Release) -> dict[str, IPv4Network]:
    """The valid CIDRs of the environment's networks (admin included), by network name."""
    found: dict[str, IPv4Network] = {}
    for name in network_names(env, release):
        meta = effective_network(env, release, name)
        net = parse_cidr(meta.cidr)
        if net is not None and MIN_PREFIX <= net.prefixlen <= MAX_PREFIX and reserved_space(net) is None:
            found[name] = net
    return found


def check_networks(env: Environment, release: Release, check_admin: bool = False) -> list[Finding]:
    """Every network of the mode, overlaps (admin included), Neutron / nova parameters. The admin
    network's own settings are judged only with `check_admin` (an answers file that sets
    `environment.networks.fuelweb_admin`); otherwise they are the master's boot options."""
    from fueltui.core.rules.params import check_params

    findings: list[Finding] = []
    names = network_names(env, release)
    for name in env.networks:
        if name not in names:
            findings.append(
                _f(
                    "network-unknown",
                    net_path(name),
                    f"{name!r} is not a network of mode {env.mode}; the networks are {', '.join(names[1:])}",
                )
            )
    release_meta = {net.name: net for net in mode_networks(release, env.mode)}
    for name in names:
        if name == ADMIN and not check_admin:
            continue
        default = release.admin_network if name == ADMIN else release_meta.get(name)
        findings += _check_one(env, effective_network(env, release, name), default)
    findings += _check_overlaps(env, release)
    findings += check_params(env, release)
    return findings


def _check_one(env: Environment, meta: NetworkMeta, default: NetworkMeta | None) -> list[Finding]:
    path = net_path(meta.name)
    findings = _check_vlan(env, meta, path)
    if meta.cidr is None:
        if default is not None and default.cidr is not None:
            findings.append(
                _f("cidr-invalid", f"{path}.cidr", f"{meta.name} needs a CIDR, e.g. {default.cidr}")
            )
        return findings
    net, bad = check_cidr(meta.cidr, f"{path}.cidr", meta.name)
    findings += bad
    ranges, bad = check_ranges(list(meta.ip_ranges), net, f"{path}.ip_ranges", meta.name)
    findings += bad
    if net is not None:
        findings += _check_gateway(meta, net, ranges, path)
    return findings


def _check_overlaps(env: Environment, release: Release) -> list[Finding]:
    findings: list[Finding] = []
    seen: list[tuple[str, IPv4Network]] = []
    for name, net in network_cidrs(env, release).items():
        for other, other_net in seen:
            if net.overlaps(other_net):
                path = f"{net_path(name)}.cidr"
                findings.append(
                    _f(
                        "cidr-overlap",
                        path,
                        f"{name} {net} overlaps {other} {other_net}; every network needs its own address "
                        "space",
                    )
                )
                break
        seen.append((name, net))
    return findings
