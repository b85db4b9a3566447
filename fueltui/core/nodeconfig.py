"""What each node must become, rendered as the files the deploy tasks ship to it.

`build_node_configs` turns an environment, its nodes and the IP allocation into one
`NodeConfig` per node: its name, roles, and network scheme (for each network the NIC the
drag-map chose, the address/prefix from `fueltui.core.ipalloc`, the gateway and the VLAN),
plus every peer. The renderers below turn one `NodeConfig` into the files the base tasks
upload: `/etc/fueltui/node.yaml`, `/etc/hostname`, `/etc/hosts`, a netplan file, and two
small shell scripts (network, health check) whose every value is `shlex.quote`d — the
commands in the graph stay fixed, only these files differ per node.

The admin network keeps the address the node already has (its DHCP lease, the one the
master reaches it on): changing it under a running deployment would cut the SSH link.
With `apply_vlans=False` (the lab: its kernel has no 802.1Q) the network script puts
tagged networks' addresses on the bare NIC; the netplan file still says the tagged truth.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import shlex
from collections.abc import Iterable, Mapping

import yaml
from pydantic import Field

from fueltui.core import netscript
from fueltui.core.bonds import kernel_options
from fueltui.core.environment import ADMIN, PUBLIC, effective_network
from fueltui.core.model import Bond, Environment, Node, Release, Strict
from fueltui.core.netscript import WantedNetwork
from fueltui.core.payload.data import PayloadData, bridged_device

HEALTH_MARK = "FUELTUI-HEALTH"


def _comment(text: str) -> str:
    """Text safe inside a `#` comment of a generated script: one line, no control characters.
    Names are checked long before (hostname-invalid), but a script must not depend on that."""
    return re.sub(r"[^A-Za-z0-9._-]", "?", text)


class NetworkScheme(Strict):
    network: str
    nic: str
    address: str | None = None  # "ip/prefix"; None for networks without addresses
    gateway: str | None = None
    vlan: int | None = None
    default_route: bool = False

    @property
    def ip(self) -> str | None:
        return self.address.split("/")[0] if self.address else None

    def device(self, apply_vlans: bool) -> str:
        if apply_vlans and self.vlan is not None:
            return f"{self.nic}.{self.vlan}"
        return self.nic


class Peer(Strict):
    name: str
    mac: str
    roles: list[str] = Field(default_factory=list)
    addresses: dict[str, str] = Field(default_factory=dict)  # network -> ip (no prefix)


class NodeConfig(Strict):
    environment: str
    name: str
    mac: str
    roles: list[str] = Field(default_factory=list)
    nics: list[str] = Field(default_factory=list)  # every NIC, all brought up
    bonds: list[Bond] = Field(default_factory=list)  # a network's `nic` may name one
    mtu: dict[str, int] = Field(default_factory=dict)  # NIC -> MTU (a bond's is in the bond)
    networks: list[NetworkScheme] = Field(default_factory=list)
    peers: list[Peer] = Field(default_factory=list)  # every node of the environment, itself included
    apply_vlans: bool = True
    # The OpenStack payload's cloud-wide data (VIPs, secrets, the mirror); None: base only.
    payload: PayloadData | None = None

    def scheme(self, network: str) -> NetworkScheme | None:
        for item in self.networks:
            if item.network == network:
                return item
        return None


def build_node_configs(
    env: Environment,
    release: Release,
    nodes: Iterable[Node],
    addresses: Mapping[str, Mapping[str, str]],
    *,
    apply_vlans: bool = True,
) -> dict[str, NodeConfig]:
    """One config per node (by MAC). `addresses` is `Allocation.addresses`:
    node MAC -> network -> "ip/prefix"."""
    ordered = sorted(nodes, key=lambda n: (n.name, n.mac))
    schemes = {node.mac: _schemes(env, release, node, addresses.get(node.mac, {})) for node in ordered}
    peers = [
        Peer(
            name=node.name,
            mac=node.mac,
            roles=list(node.roles),
            addresses={s.network: s.ip for s in schemes[node.mac] if s.ip},
        )
        for node in ordered
    ]
    return {
        node.mac: NodeConfig(
            environment=env.name,
            name=node.name,
            mac=node.mac,
            roles=list(node.roles),
            nics=sorted(
                ({nic.name for nic in node.facts.nics} | set(node.interfaces)) - {b.name for b in node.bonds}
            ),
            bonds=[bond.model_copy() for bond in node.bonds],
            mtu=dict(node.mtu),
            networks=schemes[node.mac],
            peers=peers,
            apply_vlans=apply_vlans,
        )
        for node in ordered
    }


def node_configs(
    env: Environment, release: Release, nodes: Iterable[Node], *, apply_vlans: bool = True
) -> dict[str, NodeConfig]:
    """`build_node_configs` with the core's IP allocation."""
    from fueltui.core.ipalloc import allocate  # the allocator is the one home of addresses

    members = list(nodes)
    allocation = allocate(env, release, members)
    return build_node_configs(env, release, members, allocation.addresses, apply_vlans=apply_vlans)


def _schemes(
    env: Environment, release: Release, node: Node, allocated: Mapping[str, str]
) -> list[NetworkScheme]:
    result: list[NetworkScheme] = []
    for nic in sorted(node.interfaces):
        for network in node.interfaces[nic]:
            meta = effective_network(env, release, network)
            address = allocated.get(network)
            if network == ADMIN and node.ip:
                address = _with_prefix(node.ip, meta.cidr) or address
            elif address and "/" not in address:
                address = _with_prefix(address, meta.cidr)
            gateway = meta.gateway if meta.gateway and (meta.use_gateway or network == PUBLIC) else None
            result.append(
                NetworkScheme(
                    network=network,
                    nic=nic,
                    address=address if meta.cidr or address else None,
                    gateway=gateway,
                    vlan=meta.vlan if network != ADMIN else None,
                    default_route=network == PUBLIC and gateway is not None and address is not None,
                )
            )
    return result


def _with_prefix(ip: str, cidr: str | None) -> str | None:
    if "/" in ip:
        return ip
    if not cidr:
        return None
    try:
        return f"{ip}/{ipaddress.ip_network(cidr, strict=False).prefixlen}"
    except ValueError:
        return None


# --------------------------------------------------------------------------- renderers


# libyaml's emitter when PyYAML has it: the same text (a test holds them equal), 4× faster. A
# node's YAML lists every peer, and `config_hash` renders it for every node: at 200 nodes the
# pure-Python emitter took 39 ms a node, 8 s of the master's loop for one deploy's hashes.
YAML_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def render_node_yaml(cfg: NodeConfig) -> str:
    header = "# Written by fueltui's deployment; every deploy rewrites it.\n"
    # The payload (with its secrets) never goes into node.yaml: each script carries its own part.
    data = cfg.model_dump(mode="json", exclude={"payload"})
    return header + yaml.dump(data, Dumper=YAML_DUMPER, sort_keys=False, default_flow_style=False)


def render_hostname(cfg: NodeConfig) -> str:
    return cfg.name + "\n"


def hosts_address(peer: Peer) -> str | None:
    """The address a node's name resolves to: management, else admin (as Fuel did)."""
    return peer.addresses.get("management") or peer.addresses.get(ADMIN)


def render_hosts(cfg: NodeConfig) -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    for peer in cfg.peers:
        address = hosts_address(peer)
        if address:
            lines.append(f"{address}\t{peer.name}")
    return "\n".join(lines) + "\n"


def render_netplan(cfg: NodeConfig) -> str:
    """Netplan v2 with the tagged truth: VLAN networks on `<nic>.<vlan>` devices."""
    ethernets: dict[str, dict[str, object]] = {nic: {} for nic in cfg.nics}
    for nic, mtu in cfg.mtu.items():
        ethernets.setdefault(nic, {})["mtu"] = mtu
    bonds = {bond.name: _netplan_bond(bond) for bond in cfg.bonds}
    vlans: dict[str, dict[str, object]] = {}
    for item in cfg.networks:
        if item.vlan is not None:
            target = vlans.setdefault(item.device(True), {"id": item.vlan, "link": item.nic})
        elif item.nic in bonds:
            target = bonds[item.nic]
        else:
            target = ethernets.setdefault(item.nic, {})
        if item.address:
            addresses = target.setdefault("addresses", [])
            assert isinstance(addresses, list)
            addresses.append(item.address)
        if item.default_route and item.gateway:
            target["routes"] = [{"to": "default", "via": item.gateway}]
    network: dict[str, object] = {"version": 2, "renderer": "networkd", "ethernets": ethernets}
    if bonds:
        network["bonds"] = bonds
    if vlans:
        network["vlans"] = vlans
    header = f"# {_comment(cfg.name)}: networks as fueltui assigned them (tagged networks on VLAN devices).\n"
    return header + yaml.safe_dump({"network": network}, sort_keys=False)


# netplan's names for the kernel's bond options
_NETPLAN_OPTIONS = {
    "mode": "mode",
    "miimon": "mii-monitor-interval",
    "lacp_rate": "lacp-rate",
    "xmit_hash_policy": "transmit-hash-policy",
}


def _netplan_bond(bond: Bond) -> dict[str, object]:
    options = {_NETPLAN_OPTIONS[k]: int(v) if v.isdigit() else v for k, v in kernel_options(bond)}
    entry: dict[str, object] = {"interfaces": list(bond.slaves), "parameters": options}
    if bond.mtu is not None:
        entry["mtu"] = bond.mtu
    return entry


def wanted_network(cfg: NodeConfig) -> WantedNetwork:
    """What the network script converges the node on (the admin address is left alone: it
    is the node's lease, and the master reaches the node there)."""
    admin = cfg.scheme(ADMIN)
    wanted = WantedNetwork(nics=list(cfg.nics), admin_ip=admin.ip if admin else None)
    wanted.bonds = [(bond.name, list(bond.slaves), kernel_options(bond)) for bond in cfg.bonds]
    wanted.mtus = sorted(cfg.mtu.items()) + [(b.name, b.mtu) for b in cfg.bonds if b.mtu is not None]
    for item in cfg.networks:
        if item.network == ADMIN or not item.address:
            continue
        device = item.device(cfg.apply_vlans)
        known = any(v[0] == device for v in wanted.vlans)
        if device != item.nic and item.vlan is not None and not known:
            wanted.vlans.append((device, item.nic, item.vlan))
        held_by = bridged_device(cfg.payload, cfg.roles, item.network, device)
        wanted.addresses.append((item.address, held_by, item.network))
    for item in cfg.networks:
        if item.default_route and item.gateway:
            device = item.device(cfg.apply_vlans)
            wanted.routes.append((item.gateway, bridged_device(cfg.payload, cfg.roles, item.network, device)))
    return wanted


def render_network_script(cfg: NodeConfig) -> str:
    """Converge the node's network on `cfg`: bring every NIC up, put each network's address
    on its device, set the default route, and remove what an earlier deploy put there that
    `cfg` no longer has. `sh network.sh --check` reports differences only (exit 1)."""
    return netscript.render(wanted_network(cfg), _comment(cfg.name))


HEALTH_RING = 8  # peers each node checks on a network, after itself in the environment's order


def health_targets(cfg: NodeConfig) -> list[tuple[str, str, str]]:
    """(network, peer name, peer address) this node pings: on every network both carry, the
    next HEALTH_RING peers after this node in the environment's order (wrapping round), so
    every address is pinged by HEALTH_RING others and no node by more. Every peer on every
    network was O(n²) pings in all: at 200 nodes ~800 a node, longer than the task's timeout
    on a shared lab, 40 minutes for a node whose network is down (3 s a peer); and pinging the
    controllers from every node as well sent them ~1 000 echo requests at once, more than the
    kernel's ICMP rate limit answers (`net.ipv4.icmp_msgs_per_sec`, 1 000/s, burst 50)."""
    mine = {s.network for s in cfg.networks if s.ip}
    at = next((i for i, p in enumerate(cfg.peers) if p.mac == cfg.mac), -1)  # -1: not listed
    after = cfg.peers[at + 1 :] + cfg.peers[: max(at, 0)]  # the others, from this node on
    chosen: set[tuple[str, str]] = set()  # (network, peer mac)
    for network in mine:
        ring = [p for p in after if network in p.addresses]
        chosen.update((network, p.mac) for p in ring[:HEALTH_RING])
    return [
        (network, peer.name, address)
        for peer in cfg.peers
        if peer.mac != cfg.mac
        for network, address in sorted(peer.addresses.items())
        if (network, peer.mac) in chosen
    ]


def render_healthcheck_script(cfg: NodeConfig) -> str:
    """Ping the `health_targets` peers from this node's own address and NIC for each network
    (source-bound: the configured address must be on the configured device, and the
    ping is bound to that device, so a stale copy of an address elsewhere proves nothing);
    one `FUELTUI-HEALTH ok|fail` line per peer address.

    A peer not reached in the first pass (three tries, 1 s each) is asked again once the pass
    is over (one try, 3 s): a moment when a busy node or peer was not scheduled (a lab of 200
    nodes on two CPUs, a rack's node swapping) must not fail a deploy, while a dead network
    still does — within 6 s a peer, so a node whose every network is down (32 peers) reports
    that well inside the task's timeout instead of timing out."""
    q = shlex.quote
    lines = [
        "#!/bin/sh",
        f"# {_comment(cfg.name)}: reach its peers on every shared network, from the configured NIC",
        "rc=0",
        "again=''  # the checks to ask again after the first pass",
        "final=0",
        "tries=3",
        "wait=1",
        "# $1 check number, $2 network, $3 peer, $4 peer address, $5 this node's device, $6 its address",
        "# $5 may be `bridge|nic`: the payload's Open vSwitch bridge holds the address once it exists",
        "pick() {",
        '  for d in $(echo "$1" | tr "|" " "); do',
        '    if ip link show dev "$d" >/dev/null 2>&1; then echo "$d"; return; fi',
        "  done",
        '  echo "${1##*|}"',
        "}",
        "check() {",
        "  i=$1; shift",
        '  set -- "$1" "$2" "$3" "$(pick "$4")" "$5"',
        '  if ! ip -o addr show dev "$4" 2>/dev/null | \\',
        '      awk -v ip="$5" \'{ split($4, a, "/"); if (a[1] == ip) f = 1 } END { exit !f }\'; then',
        '    echo "$1: this node\'s address $5 is not on $4"',
        f'    echo "{HEALTH_MARK} fail $1 $2 $3"; rc=1; return 1',
        "  fi",
        "  n=0",
        "  while [ $n -lt $tries ]; do",
        '    if ping -n -q -c 1 -W "$wait" -I "$4" "$3" >/dev/null 2>&1; then',
        f'      echo "{HEALTH_MARK} ok $1 $2 $3"; return 0',
        "    fi",
        "    n=$((n + 1))",
        "  done",
        '  if [ "$final" = 0 ]; then again="$again $i"; return 0; fi',
        f'  echo "{HEALTH_MARK} fail $1 $2 $3"; rc=1',
        "}",
    ]
    checks: list[str] = []
    for net, peer, addr in health_targets(cfg):
        own = cfg.scheme(net)
        assert own is not None and own.ip is not None  # health_targets keeps shared networks only
        device = bridged_device(cfg.payload, cfg.roles, net, own.device(cfg.apply_vlans))
        checks.append(f"check {len(checks) + 1} {q(net)} {q(peer)} {q(addr)} {q(device)} {q(own.ip)}")
    lines += checks
    if checks:
        lines += [
            'if [ -n "$again" ]; then',
            "  final=1",
            "  tries=1",
            "  wait=3",
            "  sleep 2  # let the moment that starved the first pass go by",
            "  for i in $again; do",
            '    case "$i" in',
            *(f"      {n}) {line} ;;" for n, line in enumerate(checks, 1)),
            "    esac",
            "  done",
            "fi",
        ]
    lines.append("exit $rc")
    return "\n".join(lines) + "\n"


def parse_health_line(line: str) -> dict[str, str | bool] | None:
    """One health-check output line as a result entry, or None for other output."""
    parts = line.split()
    if len(parts) != 5 or parts[0] != HEALTH_MARK or parts[1] not in ("ok", "fail"):
        return None
    return {"network": parts[2], "peer": parts[3], "address": parts[4], "ok": parts[1] == "ok"}


RENDERERS = {
    "node_yaml": render_node_yaml,
    "hosts": render_hosts,
    "hostname": render_hostname,
    "netplan": render_netplan,
    "network_script": render_network_script,
    "healthcheck_script": render_healthcheck_script,
}


def render(source: str, cfg: NodeConfig) -> str:
    if source.startswith("payload:"):
        from fueltui.core.payload.scripts import render_script  # the payload builds on this module

        return render_script(source, cfg)
    return RENDERERS[source](cfg)


def config_hash(cfg: NodeConfig) -> str:
    """Changes whenever any file rendered for this node would change."""
    digest = hashlib.sha256(render_node_yaml(cfg).encode())
    if cfg.payload is not None:
        digest.update(cfg.payload.model_dump_json().encode())
    return digest.hexdigest()[:16]
