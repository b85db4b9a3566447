"""Short human forms of a node's facts for tables and detail lines."""

from __future__ import annotations

from fueltui.core.model import Node


def gib(size: int) -> str:
    return f"{size / (1 << 30):.0f}G"


def node_details(node: Node) -> str:
    facts = node.facts
    disks = " ".join(f"{d.name}:{gib(d.size_bytes)}" for d in facts.disks) or "no disks"
    nics = " ".join(f"{n.name}{'*' if n.pxe else ''}" for n in facts.nics) or "no NICs"
    return (
        f"{node.name}  {node.mac}  env {node.environment or '—'}  ip {node.ip or '—'}  cpu {facts.cpu.count}"
        f"  ram {gib(facts.memory.total_bytes)}"
        f"  disks {disks}  nics {nics} (* = PXE)"
    )


def online_mark(node: Node) -> str:
    if node.untrusted:
        return "!key"
    return "up" if node.online else "off"
