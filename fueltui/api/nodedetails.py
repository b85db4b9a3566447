"""A node's details on the wire: its record, its addresses per network (the environment's IP
allocation) and its history (the tasks that touched it, from the store)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from fueltui.api.schema import NodeRecord, TaskStatus, Wire
from fueltui.core.terminaltext import safe_line


class NodeHistoryEntry(Wire):
    task_id: str
    kind: str
    env: str | None = None
    task_status: TaskStatus
    node_status: str  # the node's own outcome in that task
    message: str = ""
    created: datetime
    finished: datetime | None = None


class NodeDetails(Wire):
    record: NodeRecord
    addresses: dict[str, str] = Field(default_factory=dict)  # network -> "ip/prefix"
    history: list[NodeHistoryEntry] = Field(default_factory=list)  # oldest first

    def lines(self) -> list[str]:
        return node_lines(self)


def human_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def node_lines(details: NodeDetails) -> list[str]:
    """A node in full, as the CLI prints it and the TUI's modal shows it."""
    record = details.record
    node, facts = record.node, record.node.facts
    online = "online" if node.online else "offline"
    lines = [
        f"{node.name}  {node.mac}  {node.status.value}, {online}",
        f"Environment: {node.environment or '(unassigned)'}   Roles: {', '.join(node.roles) or '(none)'}",
        f"Admin address: {node.ip or '-'}   OS: {facts.os or '-'}",
        f"CPU: {facts.cpu.count} × {facts.cpu.model or '?'}   RAM: {human_bytes(facts.memory.total_bytes)}",
    ]
    system = " ".join(x for x in (facts.system.manufacturer, facts.system.product) if x)
    if system:
        lines.append(f"System: {system}")
    if node.error:
        lines.append(f"Error: {node.error}")
    lines.append("Disks:")
    for disk in facts.disks or []:
        kind = {True: "HDD", False: "SSD", None: ""}[disk.rotational]
        lines.append(
            f"  {disk.name:<8} {human_bytes(disk.size_bytes):>10}  {kind:<3} {disk.model or ''}".rstrip()
        )
    if not facts.disks:
        lines.append("  (none reported)")
    lines.append("NICs:")
    for nic in facts.nics:
        speed = f"{nic.speed_mbps} Mb/s" if nic.speed_mbps else "speed ?"
        networks = ", ".join(node.interfaces.get(nic.name, []))
        pxe = " PXE" if nic.pxe or nic.mac == node.mac else ""
        lines.append(
            f"  {nic.name:<8} {nic.mac}  link {nic.state:<7} {speed:<11} {nic.driver or '?'}{pxe}"
            + (f"  [{networks}]" if networks else "")
        )
    if not facts.nics:
        lines.append("  (none reported)")
    lines.append("Addresses:")
    for network, address in details.addresses.items():
        lines.append(f"  {network:<14} {address}")
    if not details.addresses:
        lines.append("  (none: the node is in no environment, or the allocation has no room)")
    lines.append("History:")
    for entry in details.history:
        when = entry.created.strftime("%Y-%m-%d %H:%M")
        outcome = f"task {entry.task_status.value}, node {entry.node_status}"
        text = f"  {when}  {entry.kind:<9} {entry.task_id}  {outcome}"
        lines.append(text + (f": {entry.message}" if entry.message else ""))
    if not details.history:
        lines.append("  (no task touched this node yet)")
    return [safe_line(line) for line in lines]
