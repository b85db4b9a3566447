"""The verification result as rows of node × NIC and a column per network.

Built from the task's `result` (its plan, what was missing and what each NIC heard); plain data
in, cells out, so the screen stays a thin view. A cell is honest about both sides of a miss:
the NIC blamed for it is ✗, a NIC that did not hear a blamed peer is ! (it never heard it),
and a network only one node carries is "alone" — nobody could be heard there."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from fueltui.api.tasks import VerifyResult
from fueltui.core.verifyplan import VerifyPlan

Heard = dict[str, dict[str, dict[str, list[str]]]]  # node name → NIC → VLAN → ["peer/nic", …]


@dataclass
class Matrix:
    networks: list[str]
    rows: list[tuple[str, str, list[Text]]]  # node name, NIC, one cell per network
    missing: int  # NIC/network pairs blamed
    unheard: int = 0  # NIC/network pairs that did not hear a blamed peer
    alone: int = 0  # NIC/network pairs with no peer at all


def _carriers(plan: VerifyPlan) -> dict[tuple[str, int], set[str]]:
    """(network, VLAN) → the names of the nodes carrying it."""
    found: dict[tuple[str, int], set[str]] = {}
    for node in plan.nodes:
        for nic in node.nics:
            for net, vlans in nic.networks.items():
                for vlan in vlans or [0]:
                    found.setdefault((net, vlan), set()).add(node.name)
    return found


def _heard_by(heard: Heard | None, name: str, nic: str, vlan: int) -> set[str] | None:
    if heard is None:
        return None
    peers = heard.get(name, {}).get(nic, {}).get(str(vlan), [])
    return {p.split("/", 1)[0] for p in peers}


def build_matrix(result: VerifyResult) -> Matrix:
    plan = result.plan
    missing = result.missing
    gaps = {(m.node_mac, m.nic, m.network): m for m in missing}
    carriers = _carriers(plan)
    heard = result.heard
    networks: list[str] = []
    for node in plan.nodes:
        for nic in node.nics:
            networks.extend(n for n in nic.networks if n not in networks)
    rows: list[tuple[str, str, list[Text]]] = []
    unheard_count = alone_count = 0
    for node in plan.nodes:
        for nic in node.nics:
            cells: list[Text] = []
            for net in networks:
                if net not in nic.networks:
                    cells.append(Text(""))
                    continue
                gap = gaps.get((node.node, nic.nic, net))
                if gap is not None:
                    where = "untagged" if gap.vlan == 0 else f"v{gap.vlan}"
                    cells.append(Text(f"✗ {where} -{len(gap.missing)}", style="bold red reverse"))
                    continue
                vlans = nic.networks[net] or [0]
                expected = {vlan: carriers.get((net, vlan), set()) - {node.name} for vlan in vlans}
                if not any(expected.values()):
                    alone_count += 1
                    cells.append(Text("– alone", style="dim"))
                    continue
                unheard: set[str] = set()
                for vlan, peers in expected.items():
                    got = _heard_by(heard, node.name, nic.nic, vlan)
                    if got is not None:
                        unheard |= peers - got
                if unheard:
                    unheard_count += 1
                    cells.append(Text(f"! unheard -{len(unheard)}", style="bold yellow"))
                else:
                    cells.append(Text("✓ ok", style="green"))
            rows.append((node.name, nic.nic, cells))
    return Matrix(
        networks=networks, rows=rows, missing=len(missing), unheard=unheard_count, alone=alone_count
    )


def dhcp_line(result: VerifyResult) -> Text:
    servers = result.dhcp
    error = result.dhcp_error
    text = Text("DHCP: ", style="bold")
    if servers:
        found = ", ".join(f"{s.address} ({s.mac})" for s in servers)
        text.append(f"✗ foreign DHCP server(s) on the admin network: {found}", style="bold red")
    elif error:
        text.append(f"✗ not checked, so not verified: {error}", style="bold red")
    else:
        text.append("✓ no other DHCP server answered on the admin network")
    return text
