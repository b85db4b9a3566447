"""Rules for the Neutron L2/L3 parameters and the nova-network parameters."""

from __future__ import annotations

from ipaddress import IPv4Network

from fueltui.core.addr import (
    IpRange,
    fmt_range,
    is_network_or_broadcast,
    parse_ip,
    range_in_network,
    range_overlaps_network,
    ranges_overlap,
)
from fueltui.core.environment import PUBLIC, effective_network, network_names
from fueltui.core.model import Environment, Finding, Mode, NeutronParams, NovaParams, Release
from fueltui.core.rules.networks import (
    VLAN_MAX,
    check_cidr,
    check_range_ends,
    check_ranges,
    net_path,
    network_cidrs,
)

VLAN_ID_MIN, GRE_ID_MIN, GRE_ID_MAX = 2, 2, 65535
NOVA_VLAN_MIN = 2


def _f(code: str, path: str, message: str) -> Finding:
    return Finding(code=code, path=path, message=message)


def check_params(env: Environment, release: Release) -> list[Finding]:
    if env.mode == Mode.nova_network:
        nova = env.nova_network or NovaParams()
        return _check_nova(env, release, nova)
    neutron = env.neutron or NeutronParams()
    return _check_neutron(env, release, neutron)


def check_dns_list(servers: list[str], path: str) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    for i, server in enumerate(servers):
        address = parse_ip(server)
        if address is None:
            findings.append(
                _f("dns-invalid", f"{path}[{i}]", f"DNS server {server!r} is not an IPv4 address")
            )
            continue
        if str(address) in seen:
            findings.append(
                _f("dns-duplicate", f"{path}[{i}]", f"DNS server {server} is listed twice; drop one")
            )
        seen.add(str(address))
    return findings


def _check_floating(
    env: Environment, release: Release, floating: list[tuple[str, str]], path: str
) -> list[Finding]:
    public = effective_network(env, release, PUBLIC)
    public_net = network_cidrs(env, release).get(PUBLIC)
    _, findings = check_ranges(floating, None, path, "floating")
    if not floating:
        findings.append(
            _f(
                "range-invalid",
                path,
                "give at least one floating range inside the public network for floating IPs",
            )
        )
    public_ranges = [r for r in (_range(p) for p in public.ip_ranges) if r is not None]
    gateway = parse_ip(public.gateway)
    for index, rng in _valid_indexed(floating):
        here = f"{path}[{index}]"
        if public_net is not None and not range_in_network(rng, public_net):
            findings.append(
                _f(
                    "floating-outside-public",
                    here,
                    f"floating range {fmt_range(rng)} is not inside the public network {public_net}",
                )
            )
        elif public_net is not None:
            findings += check_range_ends(rng, public_net, here, "floating")
        clash = next((p for p in public_ranges if ranges_overlap(rng, p)), None)
        if clash is not None:
            findings.append(
                _f(
                    "floating-overlaps-public-range",
                    here,
                    f"floating range {fmt_range(rng)} overlaps the public IP range {fmt_range(clash)}; "
                    "nodes and floating IPs need separate addresses",
                )
            )
        elif gateway is not None and rng[0] <= gateway <= rng[1]:
            findings.append(
                _f(
                    "floating-overlaps-public-range",
                    here,
                    f"floating range {fmt_range(rng)} contains the public gateway {gateway}; take it out",
                )
            )
    return findings


def _range(pair: tuple[str, str]) -> IpRange | None:
    first, last = parse_ip(pair[0]), parse_ip(pair[1])
    return (first, last) if first is not None and last is not None and first <= last else None


def _valid_indexed(ranges: list[tuple[str, str]]) -> list[tuple[int, IpRange]]:
    return [(i, r) for i, r in ((i, _range(p)) for i, p in enumerate(ranges)) if r is not None]


def _check_id_range(
    value: tuple[int, int] | None, low: int, high: int, path: str, what: str
) -> list[Finding]:
    if value is None or not low <= value[0] <= value[1] <= high:
        shown = f"{value[0]}–{value[1]}" if value is not None else "missing"
        return [_f("id-range-invalid", path, f"{what} {shown} must be first ≤ last within {low}–{high}")]
    return []


def _check_neutron(env: Environment, release: Release, neutron: NeutronParams) -> list[Finding]:
    base = "environment.neutron"
    findings = _check_floating(env, release, list(neutron.floating_ranges), f"{base}.floating_ranges")
    if env.mode == Mode.neutron_vlan:
        findings += _check_id_range(
            neutron.vlan_range, VLAN_ID_MIN, VLAN_MAX, f"{base}.vlan_range", "VLAN range"
        )
        if neutron.vlan_range is not None and neutron.vlan_range[0] <= neutron.vlan_range[1]:
            low, high = neutron.vlan_range
            for name in network_names(env, release):
                vlan = effective_network(env, release, name).vlan
                if vlan is not None and low <= vlan <= high:
                    findings.append(
                        _f(
                            "vlan-in-segmentation-range",
                            f"{net_path(name)}.vlan",
                            f"{name} VLAN {vlan} is inside the tenant VLAN range {low}–{high}; "
                            "pick a tag outside it or move the range",
                        )
                    )
    else:
        findings += _check_id_range(
            neutron.gre_id_range, GRE_ID_MIN, GRE_ID_MAX, f"{base}.gre_id_range", "GRE id range"
        )
    findings += _check_internal(env, release, neutron, base)
    findings += check_dns_list(list(neutron.dns_nameservers), f"{base}.dns_nameservers")
    return findings


def _check_internal(env: Environment, release: Release, neutron: NeutronParams, base: str) -> list[Finding]:
    if neutron.internal_cidr is None:
        return [
            _f(
                "cidr-invalid",
                f"{base}.internal_cidr",
                "the tenant internal CIDR is missing, e.g. 192.168.111.0/24",
            )
        ]
    internal, findings = check_cidr(neutron.internal_cidr, f"{base}.internal_cidr", "internal")
    if internal is None:
        return findings
    for index, rng in _valid_indexed(list(neutron.floating_ranges)):
        if range_overlaps_network(rng, internal):
            findings.append(
                _f(
                    "internal-cidr-overlap",
                    f"{base}.internal_cidr",
                    f"internal CIDR {internal} overlaps floating range {index + 1} ({fmt_range(rng)})",
                )
            )
            break
    for name, net in network_cidrs(env, release).items():
        if internal.overlaps(net):
            findings.append(
                _f(
                    "internal-cidr-overlap",
                    f"{base}.internal_cidr",
                    f"internal CIDR {internal} overlaps the {name} network {net}; pick another private block",
                )
            )
            break
    gateway = parse_ip(neutron.internal_gateway)
    if gateway is None or gateway not in internal or is_network_or_broadcast(gateway, internal):
        findings.append(
            _f(
                "internal-gateway-outside-cidr",
                f"{base}.internal_gateway",
                f"internal gateway {neutron.internal_gateway!r} must be a host of {internal}, e.g. "
                f"{internal[1]}",
            )
        )
    return findings


def _check_nova(env: Environment, release: Release, nova: NovaParams) -> list[Finding]:
    base = "environment.nova_network"
    findings = _check_floating(env, release, list(nova.floating_ranges), f"{base}.floating_ranges")
    findings += check_dns_list(list(nova.dns_nameservers), f"{base}.dns_nameservers")
    fixed: IPv4Network | None = None
    if nova.fixed_networks_cidr is None:
        findings.append(_f("cidr-invalid", f"{base}.fixed_networks_cidr", "the fixed networks need a CIDR"))
    else:
        fixed, bad = check_cidr(nova.fixed_networks_cidr, f"{base}.fixed_networks_cidr", "fixed networks")
        findings += bad
    if fixed is not None:
        for name, net in network_cidrs(env, release).items():
            if fixed.overlaps(net):
                findings.append(
                    _f(
                        "cidr-overlap",
                        f"{base}.fixed_networks_cidr",
                        f"fixed networks {fixed} overlap the {name} network {net}",
                    )
                )
                break
        size, amount = nova.fixed_network_size, nova.fixed_networks_amount
        if size < 4 or size & (size - 1) or amount < 1 or size * amount > fixed.num_addresses:
            findings.append(
                _f(
                    "fixed-networks-dont-fit",
                    f"{base}.fixed_network_size",
                    f"{amount} fixed network(s) of {size} addresses do not fit in {fixed} "
                    f"({fixed.num_addresses} addresses); the size must be a power of two ≥ 4",
                )
            )
    start = nova.fixed_networks_vlan_start
    if start is not None:
        count = max(nova.fixed_networks_amount, 1) if nova.net_manager == "VlanManager" else 1
        if not NOVA_VLAN_MIN <= start <= start + count - 1 <= VLAN_MAX:
            findings.append(
                _f(
                    "vlan-out-of-range",
                    f"{base}.fixed_networks_vlan_start",
                    f"fixed network VLANs {start}–{start + count - 1} must be within "
                    f"{NOVA_VLAN_MIN}–{VLAN_MAX}",
                )
            )
        if start <= start + count - 1:
            findings += _check_fixed_tags(env, release, start, start + count - 1)
    elif nova.net_manager == "VlanManager":
        findings.append(
            _f(
                "vlan-out-of-range",
                f"{base}.fixed_networks_vlan_start",
                "VlanManager needs a first fixed VLAN id",
            )
        )
    return findings


def _check_fixed_tags(env: Environment, release: Release, low: int, high: int) -> list[Finding]:
    """The fixed networks' VLANs are the tenants': no other network may use one of them."""
    findings: list[Finding] = []
    for name in network_names(env, release):
        vlan = effective_network(env, release, name).vlan
        if name != "fixed" and vlan is not None and low <= vlan <= high:
            findings.append(
                _f(
                    "vlan-in-segmentation-range",
                    f"{net_path(name)}.vlan",
                    f"{name} VLAN {vlan} is one of the fixed networks' VLANs {low}–{high}; "
                    "pick another tag or move fixed_networks_vlan_start",
                )
            )
    return findings
