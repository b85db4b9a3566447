"""Fuel's bond rules, as findings: a node's bonds, its MTUs, and whether its kernel can bond.

Fuel 6.1 kept the admin (PXE) network off bonds and the PXE NIC out of them — the node boots
and is reached over that NIC before any bond exists — and wanted two slaves at least, each in
one bond only, carrying nothing of its own (its frames belong to the bond).
"""

from __future__ import annotations

from fueltui.core.bonds import MTU_MAX, MTU_MIN
from fueltui.core.environment import ADMIN
from fueltui.core.model import Bond, BondMode, Finding, Node
from fueltui.core.rules.names import check_nic_name, shown, valid_nic_name


def _f(code: str, path: str, message: str) -> Finding:
    return Finding(code=code, path=path, message=message)


def check_mtu(value: int, path: str, device: str) -> list[Finding]:
    if MTU_MIN <= value <= MTU_MAX:
        return []
    return [
        _f(
            "mtu-invalid",
            path,
            f"MTU {value} on {device} is outside {MTU_MIN}..{MTU_MAX}; 1500 is the default",
        )
    ]


def check_bond(node: Node, bond: Bond, path: str) -> list[Finding]:
    """One bond on its own (its name, slaves, options, MTU), against the node's NICs."""
    findings: list[Finding] = []
    nics = {nic.name for nic in node.facts.nics}
    pxe = node.pxe_nic
    if not valid_nic_name(bond.name):
        findings += check_nic_name(bond.name, f"{path}.name")
    elif bond.name in nics:
        findings.append(
            _f(
                "bond-name-invalid",
                f"{path}.name",
                f"{bond.name} is a NIC of {node.name}; name the bond bond0…",
            )
        )
    slaves = list(dict.fromkeys(bond.slaves))
    if len(slaves) < 2:
        findings.append(
            _f(
                "bond-too-few-slaves",
                f"{path}.slaves",
                f"bond {bond.name} has {len(slaves)} NIC(s); a bond needs two NICs at least",
            )
        )
    for k, nic in enumerate(bond.slaves):
        here = f"{path}.slaves[{k}]"
        if nics and nic not in nics:
            known = ", ".join(sorted(nics))
            findings.append(
                _f("bond-slave-unknown", here, f"{node.name} has no NIC {shown(nic)}; its NICs are {known}")
            )
        elif pxe is not None and nic == pxe.name:
            findings.append(
                _f(
                    "bond-pxe-slave",
                    here,
                    f"{nic} is {node.name}'s PXE NIC: it stays out of bonds "
                    "(the node boots and is reached over it)",
                )
            )
        if node.interfaces.get(nic):
            findings.append(
                _f(
                    "bond-slave-has-networks",
                    f"{path}.slaves[{k}]",
                    f"{nic} is a slave of {bond.name} but carries {', '.join(node.interfaces[nic])}; "
                    f"assign them to {bond.name}",
                )
            )
    if bond.mode != BondMode.lacp:
        for option, value in (("lacp_rate", bond.lacp_rate), ("xmit_hash_policy", bond.xmit_hash_policy)):
            if value is not None:
                findings.append(
                    _f(
                        "bond-option-invalid",
                        f"{path}.{option}",
                        f"{option} applies to 802.3ad (LACP) bonds only, not {bond.mode.value}; remove it",
                    )
                )
    if bond.mtu is not None:
        findings += check_mtu(bond.mtu, f"{path}.mtu", bond.name)
    return findings


def check_bonds(node: Node, path: str) -> list[Finding]:
    """Every bond of the node, the bonds together (names, shared slaves), the admin network
    off bonds, and the node's NIC MTUs. `path` is the node's place ("nodes[1]")."""
    findings: list[Finding] = []
    names: set[str] = set()
    owner: dict[str, str] = {}
    for i, bond in enumerate(node.bonds):
        here = f"{path}.bonds[{i}]"
        findings += check_bond(node, bond, here)
        if bond.name in names:
            findings.append(
                _f(
                    "bond-name-invalid",
                    f"{here}.name",
                    f"{node.name} has two bonds named {bond.name}; rename one",
                )
            )
        names.add(bond.name)
        for k, nic in enumerate(bond.slaves):
            if nic in owner:
                findings.append(
                    _f(
                        "bond-slave-reused",
                        f"{here}.slaves[{k}]",
                        f"{nic} is already a slave of {owner[nic]}; a NIC is in one bond only",
                    )
                )
            else:
                owner[nic] = bond.name
        for k, net in enumerate(node.interfaces.get(bond.name, [])):
            if net == ADMIN:
                findings.append(
                    _f(
                        "bond-admin-network",
                        f"{path}.interfaces.{bond.name}[{k}]",
                        f"{ADMIN} never goes on a bond; it stays on the PXE NIC",
                    )
                )
    nics = {nic.name for nic in node.facts.nics}
    for device, value in node.mtu.items():
        if nics and device not in nics:
            findings.append(
                _f(
                    "mtu-invalid",
                    f"{path}.mtu.{device}",
                    f"{node.name} has no NIC {shown(device)} to set an MTU on",
                )
            )
        else:
            findings += check_mtu(value, f"{path}.mtu.{device}", device)
    return findings


def check_bond_capability(node: Node) -> list[Finding]:
    """Before deploy: a node with bonds whose kernel cannot make them (discovery's `can_bond`;
    the namespace lab's nodes share a kernel without the bonding module)."""
    if not node.bonds or node.facts.can_bond is not False:
        return []
    names = ", ".join(b.name for b in node.bonds)
    return [
        _f(
            "node-no-bond",
            f"nodes.{node.name}.bonds",
            f"{node.name} cannot create bonds (its kernel has no bonding module) but has {names}; "
            "unbond its NICs or give the node a kernel with bonding",
        )
    ]
