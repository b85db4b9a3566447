"""Fuel's default NIC assignment for a node.

Networks are placed in priority order (admin, then public, then the rest, the release's order
breaking ties). The admin network goes on the PXE NIC only. Every other network goes on the
first NIC, in the node's NIC order, that can take it: an untagged network needs a NIC without
an untagged network yet; a tagged one needs a NIC without its VLAN id. A network no NIC can take
goes on the first NIC with a warning (the operator must fix it). With Fuel's defaults and two
NICs this gives eth0: admin, management, storage, private and eth1: public.
"""

from __future__ import annotations

from fueltui.core.environment import ADMIN, effective_network, network_is_tagged, network_names, network_vlans
from fueltui.core.model import Environment, Finding, Nic, Release, Severity


def default_interfaces(
    nics: list[Nic], networks: list[str], env: Environment, release: Release
) -> tuple[dict[str, list[str]], list[Finding]]:
    """(NIC name -> networks, warnings) for a node with `nics` that must carry `networks`.
    Warning paths are relative to the node (`interfaces.eth0`): prefix them with `nodes[i].`."""
    if not nics:
        return {}, []
    known = network_names(env, release)
    order = {name: i for i, name in enumerate(known)}
    wanted = sorted(
        (n for n in dict.fromkeys(networks) if n in order),
        key=lambda n: (effective_network(env, release, n).map_priority, order[n]),
    )
    pxe = next((nic for nic in nics if nic.pxe), nics[0])
    assignment: dict[str, list[str]] = {nic.name: [] for nic in nics}
    untagged: set[str] = set()
    vlans: dict[str, set[int]] = {nic.name: set() for nic in nics}
    findings: list[Finding] = []
    for net in wanted:
        tagged = network_is_tagged(env, release, net)
        tags = set(network_vlans(env, release, net))
        candidates = [pxe.name] if net == ADMIN else [nic.name for nic in nics]
        target = next(
            (name for name in candidates if (tagged or name not in untagged) and not (tags & vlans[name])),
            None,
        )
        if target is None:
            target = candidates[0]
            findings.append(
                Finding(
                    code="untagged-conflict" if not tagged else "vlan-duplicate-on-nic",
                    path=f"interfaces.{target}",
                    message=f"no NIC is free for {net}; it was put on {target} — give it a VLAN or add a NIC",
                    severity=Severity.warning,
                )
            )
        assignment[target].append(net)
        if not tagged:
            untagged.add(target)
        vlans[target] |= tags
    return assignment, findings


def nic_sets_match(nic_sets: list[list[Nic]]) -> bool:
    """Bulk interface editing is allowed only when the nodes have the same NICs (by name, in the
    same order, with the PXE NIC in the same place)."""
    shapes = {tuple((nic.name, nic.pxe) for nic in nics) for nics in nic_sets}
    return len(shapes) <= 1
