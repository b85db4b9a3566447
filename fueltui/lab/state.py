"""What a lab is made of, as recorded in its state file (`<lab root>/lab.json`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from fueltui.statedir import write_atomic


@dataclass
class LabNode:
    index: int
    netns: str
    hostname: str
    macs: list[str]
    pid: int  # `unshare` on the host; the node's PID 1 is its child

    @property
    def admin_mac(self) -> str:
        return self.macs[0]


@dataclass
class LabState:
    prefix: str
    networks: list[str]
    nics: int
    nodes: list[LabNode] = field(default_factory=list)
    master_pid: int | None = None
    dhcp_pid: int | None = None  # standalone dnsmasq when no fueltui master is available
    image: str | None = None  # the nodes' root (lower layer); None: the host's /

    @classmethod
    def from_json(cls, text: str) -> LabState:
        raw = json.loads(text)
        raw["nodes"] = [LabNode(**n) for n in raw.get("nodes", [])]
        return cls(**raw)


@dataclass
class NodeRow:
    index: int
    hostname: str
    netns: str
    alive: bool
    admin_ip: str | None
    macs: list[str]


def write_json(path: Path, data: object) -> None:
    write_atomic(path, json.dumps(data, indent=1), 0o644)
