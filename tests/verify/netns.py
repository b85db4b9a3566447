"""A tiny wiring closet of our own for probe tests: a switch namespace holding bridges, and
node namespaces whose NICs are veth pairs plugged into those bridges. Every name carries the
prefix `ftv<pid>`; `close()` removes the namespaces (and with them every link)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

AGENT = Path(__file__).resolve().parents[2] / "fueltui/master/verify/probe_agent.py"


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=check, capture_output=True, text=True)


class Closet:
    def __init__(self, tag: str = "") -> None:
        self.prefix = f"ftv{os.getpid()}{tag}"
        self.switch = f"{self.prefix}sw"
        self.namespaces: list[str] = []
        self._add_ns(self.switch)
        self.bridges: set[str] = set()

    def _add_ns(self, name: str) -> None:
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")

    def ns(self, node: str) -> str:
        return f"{self.prefix}{node}"

    def bridge(self, name: str) -> None:
        if name in self.bridges:
            return
        sh(
            "ip",
            "-n",
            self.switch,
            "link",
            "add",
            name,
            "type",
            "bridge",
            "stp_state",
            "0",
            "forward_delay",
            "0",
        )
        sh("ip", "-n", self.switch, "link", "set", name, "up")
        self.bridges.add(name)

    def port(self, node: str, nic: str) -> str:
        return f"{node}{nic}"[:15]

    def node(self, node: str, wiring: dict[str, str], macs: dict[str, str] | None = None) -> str:
        """A node namespace whose NIC `nic` is plugged into bridge `wiring[nic]`."""
        ns = self.ns(node)
        self._add_ns(ns)
        for index, (nic, bridge) in enumerate(wiring.items()):
            self.bridge(bridge)
            port = self.port(node, nic)
            mac = (macs or {}).get(nic) or f"52:54:00:{len(self.namespaces):02x}:{index:02x}:01"
            sh(
                "ip",
                "-n",
                ns,
                "link",
                "add",
                nic,
                "address",
                mac,
                "type",
                "veth",
                "peer",
                "name",
                port,
                "netns",
                self.switch,
            )
            sh("ip", "-n", self.switch, "link", "set", port, "master", bridge, "up")
            sh("ip", "-n", ns, "link", "set", nic, "up")
        return ns

    def unplug(self, node: str, nic: str) -> None:
        sh("ip", "-n", self.switch, "link", "set", self.port(node, nic), "nomaster")

    def close(self) -> None:
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)
        self.namespaces.clear()
