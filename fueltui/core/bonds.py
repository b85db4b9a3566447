"""NIC bonds: what a bond stands for on a node, and the edits the drag-map makes with them.

A bond is assigned networks like a NIC (`Node.interfaces["bond0"]`); its slaves carry none of
their own. Bonding NICs moves their networks onto the bond, unbonding moves the bond's back
onto its first slave, so neither edit loses an assignment. The rules (`fueltui.core.rules.bonds`)
judge the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fueltui.core.model import Bond, BondMode, Node

MTU_MIN = 68  # the IPv4 minimum (RFC 791)
MTU_MAX = 9000  # jumbo frames as Fuel allowed them
MIIMON_MS = 100  # link monitoring: without it the kernel never notices a dead slave

# Fuel's balance-slb was an Open vSwitch mode (source-MAC load balancing, no switch set-up).
# The kernel's nearest is balance-tlb: it also spreads by peer without switch support.
KERNEL_MODES: dict[BondMode, str] = {
    BondMode.active_backup: "active-backup",
    BondMode.balance_slb: "balance-tlb",
    BondMode.lacp: "802.3ad",
}
LACP_RATES = ("slow", "fast")
HASH_POLICIES = ("layer2", "layer2+3", "layer3+4")


def kernel_mode(bond: Bond) -> str:
    return KERNEL_MODES[bond.mode]


def kernel_options(bond: Bond) -> list[tuple[str, str]]:
    """(option, value) pairs for `ip link add ... type bond`, the mode first."""
    options = [("mode", kernel_mode(bond)), ("miimon", str(MIIMON_MS))]
    if bond.mode == BondMode.lacp:
        options.append(("lacp_rate", bond.lacp_rate or "slow"))
        options.append(("xmit_hash_policy", bond.xmit_hash_policy or "layer2"))
    return options


def find_bond(bonds: Sequence[Bond], name: str) -> Bond | None:
    return next((b for b in bonds if b.name == name), None)


def bond_of(bonds: Sequence[Bond], nic: str) -> Bond | None:
    """The bond `nic` is a slave of."""
    return next((b for b in bonds if nic in b.slaves), None)


def enslaved(bonds: Sequence[Bond]) -> set[str]:
    return {nic for bond in bonds for nic in bond.slaves}


def physical_nics(node: Node, device: str) -> list[str]:
    """The NICs frames of `device` leave on: a bond's slaves, or the NIC itself."""
    bond = find_bond(node.bonds, device)
    return list(bond.slaves) if bond is not None else [device]


def next_bond_name(bonds: Sequence[Bond], taken: Sequence[str] = ()) -> str:
    used = {b.name for b in bonds} | set(taken)
    return next(f"bond{i}" for i in range(len(used) + 1) if f"bond{i}" not in used)


def bond_nics(
    interfaces: Mapping[str, list[str]], bonds: Sequence[Bond], bond: Bond
) -> tuple[dict[str, list[str]], list[Bond]]:
    """The assignment and bond list once `bond` exists: its slaves' networks move onto it."""
    moved = [net for nic in bond.slaves for net in interfaces.get(nic, [])]
    after = {nic: list(nets) for nic, nets in interfaces.items() if nic not in bond.slaves}
    for nic in bond.slaves:
        after[nic] = []
    after[bond.name] = [*after.get(bond.name, []), *moved]
    return after, [*(b for b in bonds if b.name != bond.name), bond]


def unbond(
    interfaces: Mapping[str, list[str]], bonds: Sequence[Bond], name: str
) -> tuple[dict[str, list[str]], list[Bond]]:
    """The assignment and bond list without bond `name`: its networks go to its first slave."""
    bond = find_bond(bonds, name)
    after = {nic: list(nets) for nic, nets in interfaces.items() if nic != name}
    if bond is None:
        return after, list(bonds)
    if bond.slaves:
        first = bond.slaves[0]
        after[first] = [*after.get(first, []), *interfaces.get(name, [])]
    return after, [b for b in bonds if b.name != name]


def fold_into_bonds(interfaces: Mapping[str, list[str]], bonds: Sequence[Bond]) -> dict[str, list[str]]:
    """`interfaces` with every slave's networks moved onto its bond (after a default
    assignment, which knows NICs only)."""
    result = {nic: list(nets) for nic, nets in interfaces.items()}
    for bond in bonds:
        result, _ = bond_nics(result, bonds, bond)
    return result
