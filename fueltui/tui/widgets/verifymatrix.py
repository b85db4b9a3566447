"""The verification result as rows of node × NIC and a column per network.

Built from the task's `result` (its plan and what was missing); plain data in, cells out, so
the screen stays a thin view."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from fueltui.core.verifyplan import Missing, VerifyPlan


@dataclass
class Matrix:
    networks: list[str]
    rows: list[tuple[str, str, list[Text]]]  # node name, NIC, one cell per network
    missing: int


def build_matrix(result: dict[str, object]) -> Matrix:
    plan = VerifyPlan.model_validate(result.get("plan") or {})
    raw_missing = result.get("missing")
    missing = [Missing.model_validate(m) for m in raw_missing] if isinstance(raw_missing, list) else []
    gaps = {(m.node_mac, m.nic, m.network): m for m in missing}
    networks: list[str] = []
    for node in plan.nodes:
        for nic in node.nics:
            networks.extend(n for n in nic.networks if n not in networks)
    rows: list[tuple[str, str, list[Text]]] = []
    for node in plan.nodes:
        for nic in node.nics:
            cells: list[Text] = []
            for net in networks:
                if net not in nic.networks:
                    cells.append(Text(""))
                    continue
                gap = gaps.get((node.node, nic.nic, net))
                if gap is None:
                    cells.append(Text("✓ ok", style="green"))
                else:
                    where = "untagged" if gap.vlan == 0 else f"v{gap.vlan}"
                    cells.append(Text(f"✗ {where} -{len(gap.missing)}", style="bold red reverse"))
            rows.append((node.name, nic.nic, cells))
    return Matrix(networks=networks, rows=rows, missing=len(missing))


def dhcp_line(result: dict[str, object]) -> Text:
    servers = result.get("dhcp")
    error = result.get("dhcp_error")
    text = Text("DHCP: ", style="bold")
    if isinstance(servers, list) and servers:
        found = ", ".join(f"{s.get('address')} ({s.get('mac')})" for s in servers if isinstance(s, dict))
        text.append(f"✗ foreign DHCP server(s) on the admin network: {found}", style="bold red")
    elif error:
        text.append(f"! not checked: {error}", style="yellow")
    else:
        text.append("✓ no other DHCP server answered on the admin network")
    return text
