"""Rules for a node's NIC → networks assignment, and for the node list itself."""

from __future__ import annotations

from collections.abc import Sequence

from fueltui.core.addr import is_hostname
from fueltui.core.environment import ADMIN, network_is_tagged, network_names, network_vlans, networks_for_node
from fueltui.core.model import Environment, Finding, Node, Release, Severity
from fueltui.core.rules.bonds import check_bonds
from fueltui.core.rules.names import check_nic_name, valid_nic_name


def _f(code: str, path: str, message: str) -> Finding:
    return Finding(code=code, path=path, message=message)


def check_interfaces(
    node: Node, env: Environment, release: Release, path: str | None = None
) -> list[Finding]:
    """Judge `node.interfaces`. `path` is the node's place in the answers file ("nodes[1]");
    NIC names are checked only when the node's NICs are known (`node.facts.nics`)."""
    path = path or f"nodes[{node.name or node.mac}]"
    known = {nic.name for nic in node.facts.nics}
    if known:
        known |= {bond.name for bond in node.bonds}  # a bond carries networks like a NIC
    pxe = node.pxe_nic
    names = network_names(env, release)
    placed: dict[str, str] = {}
    findings: list[Finding] = []
    for j, given in enumerate(node.facts.nics):
        findings += check_nic_name(given.name, f"{path}.nics[{j}].name")
    for nic, nets in node.interfaces.items():
        here = f"{path}.interfaces.{nic}"
        if not valid_nic_name(nic):
            findings += check_nic_name(nic, f"{path}.interfaces")
            continue
        if known and nic not in known:
            findings.append(
                _f(
                    "nic-unknown",
                    here,
                    f"{node.name} has no NIC {nic!r}; its NICs are {', '.join(sorted(known))}",
                )
            )
        untagged: list[str] = []
        vlans: dict[int, str] = {}
        for k, net in enumerate(nets):
            if net not in names:
                findings.append(
                    _f(
                        "network-unknown",
                        f"{here}[{k}]",
                        f"{net!r} is not a network here; use {', '.join(names)}",
                    )
                )
                continue
            if net in placed:
                findings.append(
                    _f(
                        "network-duplicate",
                        f"{here}[{k}]",
                        f"{net} is already on {placed[net]}; a network goes on one NIC only",
                    )
                )
                continue
            placed[net] = nic
            if net == ADMIN and pxe is not None and nic != pxe.name:
                findings.append(
                    _f(
                        "admin-not-on-pxe",
                        f"{here}[{k}]",
                        f"{ADMIN} must stay on {pxe.name}, the NIC {node.name} boots from over PXE",
                    )
                )
            if not network_is_tagged(env, release, net):
                untagged.append(net)
                if len(untagged) == 2:
                    findings.append(
                        _f(
                            "untagged-conflict",
                            here,
                            f"{nic} carries two untagged networks ({untagged[0]}, {untagged[1]}); "
                            "move one to another NIC or give it a VLAN",
                        )
                    )
            for vlan in network_vlans(env, release, net):
                if vlan in vlans:
                    findings.append(
                        _f(
                            "vlan-duplicate-on-nic",
                            f"{here}[{k}]",
                            f"{net} and {vlans[vlan]} both use VLAN {vlan} on {nic}; change one tag or "
                            "move it",
                        )
                    )
                else:
                    vlans[vlan] = net
    findings += check_bonds(node, path)
    missing = [net for net in networks_for_node(env, release, node.roles) if net not in placed]
    if missing:
        findings.append(
            _f(
                "network-unassigned",
                f"{path}.interfaces",
                f"{node.name or node.mac} needs {', '.join(missing)} on a NIC; assign "
                f"{'it' if len(missing) == 1 else 'them'}",
            )
        )
    return findings


INTERFACE_MOVE_CODES = frozenset(
    {
        "nic-unknown",
        "network-unknown",
        "admin-not-on-pxe",
        "untagged-conflict",
        "vlan-duplicate-on-nic",
        "network-duplicate",
        "bond-admin-network",
        "bond-slave-has-networks",
    }
)


def check_drop(
    node: Node, interfaces_after: dict[str, list[str]], env: Environment, release: Release
) -> Finding | None:
    """Whether moving networks to give `interfaces_after` is legal: the first error the move
    introduces, or None. Problems the node already had do not block a move."""
    before = {(f.code, f.message) for f in check_interfaces(node, env, release)}
    after = node.model_copy(update={"interfaces": interfaces_after})
    for finding in check_interfaces(after, env, release):
        if finding.code in INTERFACE_MOVE_CODES and (finding.code, finding.message) not in before:
            return finding
    return None


def check_nodes(nodes: Sequence[Node], names_given: Sequence[bool] | None = None) -> list[Finding]:
    """The same node (admin MAC) twice, two nodes with one host name, invalid host names.
    An empty name, or `names_given[i]` False, means node i has no name of its own (not judged)."""
    findings: list[Finding] = []
    macs: dict[str, int] = {}
    names: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node.mac in macs:
            findings.append(
                _f(
                    "node-duplicate",
                    f"nodes[{i}].mac",
                    f"node {node.mac} is already listed as nodes[{macs[node.mac]}]; keep one entry",
                )
            )
        else:
            macs[node.mac] = i
        if not node.name or (names_given is not None and not names_given[i]):
            continue
        if not is_hostname(node.name):
            findings.append(
                _f(
                    "hostname-invalid",
                    f"nodes[{i}].name",
                    f"{node.name!r} is not a host name: use lower-case a-z, 0-9 and '-', e.g. node-1",
                )
            )
        elif node.name in names:
            findings.append(
                _f(
                    "hostname-duplicate",
                    f"nodes[{i}].name",
                    f"host name {node.name} is already used by nodes[{names[node.name]}]; rename one",
                )
            )
        else:
            names[node.name] = i
    return findings


def warning(code: str, path: str, message: str) -> Finding:
    return Finding(code=code, path=path, message=message, severity=Severity.warning)
