"""What network verification expects to hear, and who is to blame when it does not.

The expectation comes from the environment's NIC assignment: every node carrying network X
on NIC n must hear every other node carrying X (on whichever NIC that node carries it) on
X's VLAN, or untagged (VLAN 0) when X is untagged.

When one NIC is unplugged, its peers fail to hear it too; reporting every broken pair would
blame healthy nodes. So failures are attributed per network and VLAN: nodes that hear each
other both ways form groups, and when one group is strictly the largest, only the nodes
outside it are reported (with every peer they missed), plus one-way failures inside it; an
outsider that heard everyone but was heard by nobody is reported by the others. When no
group is the largest (a 2/2 split, two nodes), everyone is reported: the wiring alone
cannot tell which side is wrong.

A bond's networks are probed on each of its slaves (as Fuel did): every slave must hear every
peer, so one dead slave is found even though the bond as a whole still passes traffic. A
node counts as hearing a peer when all its NICs carrying the network do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from pydantic import Field

from fueltui.core.bonds import physical_nics
from fueltui.core.model import Environment, Mode, NetworkMeta, NeutronParams, Node, Release, Strict

UNTAGGED = 0
ADMIN_NETWORK = "fuelweb_admin"


class NicPlan(Strict):
    """One NIC of one node: which networks it carries, each with the VLANs it must hear."""

    nic: str
    mac: str | None = None
    networks: dict[str, list[int]] = Field(default_factory=dict)

    @property
    def vlans(self) -> list[int]:
        """Every VLAN to send and expect on this NIC; untagged is always probed."""
        found = {UNTAGGED}
        for vlans in self.networks.values():
            found.update(vlans)
        return sorted(found)


class NodePlan(Strict):
    node: str  # the node's identity: its admin MAC
    name: str
    nics: list[NicPlan] = Field(default_factory=list)


class VerifyPlan(Strict):
    nodes: list[NodePlan] = Field(default_factory=list)

    def node(self, mac: str) -> NodePlan | None:
        return next((n for n in self.nodes if n.node == mac), None)

    def names(self) -> dict[str, str]:
        return {n.node: n.name for n in self.nodes}


class Missing(Strict):
    """One NIC that did not hear some of the peers it should have, on one network and VLAN."""

    node: str
    node_mac: str
    nic: str
    mac: str | None
    network: str
    vlan: int
    missing: list[str]


# What one listener heard: its NIC -> VLAN -> the (sender node, sender NIC) pairs.
Heard = Mapping[str, Mapping[int, Iterable[tuple[str, str]]]]


def network_vlans(env: Environment, release: Release, network: str) -> list[int]:
    """The VLANs a network's frames travel on; `[0]` when untagged."""
    if network == ADMIN_NETWORK:
        return [UNTAGGED]
    meta = _meta(release, env.mode, network)
    if meta is not None and meta.carries_vlan_range:
        neutron = env.neutron or _mode_neutron(release, env.mode)
        if neutron is not None and neutron.vlan_range is not None:
            first, last = neutron.vlan_range
            return list(range(first, last + 1))
        return [UNTAGGED]
    if network == "fixed" and env.mode == Mode.nova_network:
        return _fixed_vlans(env, release)
    config = env.networks.get(network)
    vlan = config.vlan if config is not None else (meta.vlan if meta is not None else None)
    return [vlan] if vlan else [UNTAGGED]


def build_plan(env: Environment, release: Release, nodes: Iterable[Node]) -> VerifyPlan:
    """The plan for the environment's nodes, from their NIC assignment (nodes in name order)."""
    plans: list[NodePlan] = []
    for node in sorted((n for n in nodes if n.environment == env.name), key=lambda n: (n.name, n.mac)):
        macs = {nic.name: nic.mac for nic in node.facts.nics}
        nics = [
            NicPlan(
                nic=nic,
                mac=macs.get(nic),
                networks={net: network_vlans(env, release, net) for net in networks},
            )
            for device, networks in node.interfaces.items()
            if networks
            for nic in physical_nics(node, device)
        ]
        nics.sort(key=lambda plan: plan.nic)
        plans.append(NodePlan(node=node.mac, name=node.name, nics=nics))
    return VerifyPlan(nodes=plans)


def compare(plan: VerifyPlan, heard: Mapping[str, Heard]) -> list[Missing]:
    """Who failed to hear whom, attributed to the NICs at fault (see the module's docstring).

    `heard` maps each listener's node MAC to what it heard; a node absent from it heard nothing.
    """
    names = plan.names()
    result: list[Missing] = []
    for (network, vlan), members in sorted(_carriers(plan).items()):
        nodes = list(dict.fromkeys(m[0] for m in members))  # a bonded node has one entry per slave
        if len(nodes) < 2:
            continue
        # what each NIC heard: the peers (any of their NICs) heard on it
        heard_on: dict[tuple[str, str], set[str]] = {}
        by_listener: dict[str, list[set[str]]] = {}  # a bonded node's slaves each heard their own
        for listener, l_nic, _ in members:
            got = _heard_set(heard, listener, l_nic, vlan)
            on_nic = {peer for peer, p_nic, _ in members if peer != listener and (peer, p_nic) in got}
            heard_on[(listener, l_nic)] = on_nic
            by_listener.setdefault(listener, []).append(on_nic)
        # A node hears a peer when every one of its NICs on the network does. Each set is built
        # once (per listener, not per pair): at 200 nodes the pairwise form took seconds.
        ok = {(listener, peer) for listener in nodes for peer in set.intersection(*by_listener[listener])}
        main = _main_group(nodes, ok)
        outside = [n for n in nodes if main is None or n not in main]
        # An outsider that missed nobody is mute, not deaf: the majority reports not hearing it.
        blamed = {n for n in outside if any((n, p) not in ok for p in nodes if p != n)}
        for listener, l_nic, l_mac in members:
            excused = set() if listener in outside else blamed
            missing = [
                p
                for p in nodes
                if p != listener and p not in excused and p not in heard_on[(listener, l_nic)]
            ]
            if missing:
                result.append(
                    Missing(
                        node=names[listener],
                        node_mac=listener,
                        nic=l_nic,
                        mac=l_mac,
                        network=network,
                        vlan=vlan,
                        missing=sorted(names[p] for p in missing),
                    )
                )
    result.sort(key=lambda m: (m.node, m.nic, m.network, m.vlan))
    return result


def network_signature(env: Environment, nodes: Iterable[Node]) -> str:
    """A digest of everything verification depends on: the environment's network settings
    and its nodes' NIC assignments. Deploy compares it with the last good verification."""
    data = {
        "mode": str(env.mode),
        "networks": {k: v.model_dump(mode="json") for k, v in sorted(env.networks.items())},
        "neutron": env.neutron.model_dump(mode="json") if env.neutron else None,
        "nova_network": env.nova_network.model_dump(mode="json") if env.nova_network else None,
        "nodes": [
            {
                "mac": n.mac,
                "interfaces": {k: sorted(v) for k, v in sorted(n.interfaces.items()) if v},
                **({"bonds": [b.model_dump(mode="json") for b in n.bonds]} if n.bonds else {}),
                "nics": sorted((nic.name, nic.mac) for nic in n.facts.nics),
            }
            for n in sorted(nodes, key=lambda n: n.mac)
            if n.environment == env.name
        ],
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- helpers


def _meta(release: Release, mode: Mode, network: str) -> NetworkMeta | None:
    if network == release.admin_network.name:
        return release.admin_network
    mode_meta = release.modes.get(mode)
    if mode_meta is None:
        return None
    return next((m for m in mode_meta.networks if m.name == network), None)


def _mode_neutron(release: Release, mode: Mode) -> NeutronParams | None:
    mode_meta = release.modes.get(mode)
    return mode_meta.neutron if mode_meta is not None else None


def _fixed_vlans(env: Environment, release: Release) -> list[int]:
    nova = env.nova_network
    if nova is None:
        mode_meta = release.modes.get(env.mode)
        nova = mode_meta.nova_network if mode_meta is not None else None
    if nova is None or not nova.fixed_networks_vlan_start:
        return [UNTAGGED]
    start = nova.fixed_networks_vlan_start
    if nova.net_manager == "VlanManager":
        return list(range(start, start + max(1, nova.fixed_networks_amount)))
    return [start]


def _carriers(plan: VerifyPlan) -> dict[tuple[str, int], list[tuple[str, str, str | None]]]:
    """(network, vlan) -> the (node, NIC, NIC MAC) carrying it."""
    found: dict[tuple[str, int], list[tuple[str, str, str | None]]] = {}
    for node in plan.nodes:
        for nic in node.nics:
            for network, vlans in nic.networks.items():
                for vlan in vlans:
                    found.setdefault((network, vlan), []).append((node.node, nic.nic, nic.mac))
    return found


def _heard_set(heard: Mapping[str, Heard], listener: str, nic: str, vlan: int) -> set[tuple[str, str]]:
    per_nic = heard.get(listener, {}).get(nic, {})
    return {(str(s), str(n)) for s, n in per_nic.get(vlan, ())}


def _main_group(members: list[str], ok: set[tuple[str, str]]) -> set[str] | None:
    """The strictly largest group of nodes hearing each other both ways, if there is one."""
    parent = {m: m for m in members}

    def root(m: str) -> str:
        while parent[m] != m:
            parent[m] = parent[parent[m]]
            m = parent[m]
        return m

    for a, b in ok:
        if (b, a) in ok:
            parent[root(a)] = root(b)
    groups: dict[str, set[str]] = {}
    for m in members:
        groups.setdefault(root(m), set()).add(m)
    sizes = sorted((len(g) for g in groups.values()), reverse=True)
    if sizes[0] < 2 or (len(sizes) > 1 and sizes[1] == sizes[0]):
        return None
    return max(groups.values(), key=len)
