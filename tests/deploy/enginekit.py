"""Test kit for the orchestrator: local-process nodes and a recording sink."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from fueltui.core.graph import Graph, parse_graph
from fueltui.core.nodeconfig import NodeConfig
from fueltui.master.deploy.engine import Orchestrator
from fueltui.master.deploy.nodes import DeployNode
from fueltui.master.deploy.resume import ResumeState
from fueltui.master.deploy.runners import LocalRunner

GROUPS = """
- {id: start, type: stage}
- {id: end, type: stage, requires: [start]}
- {id: primary-controller, type: group, roles: [primary-controller], requires: [start], required_for: [end],
   parameters: {strategy: {type: one_by_one}}}
- {id: controller, type: group, roles: [controller], requires: [primary-controller], required_for: [end],
   parameters: {strategy: {type: one_by_one}}}
- {id: compute, type: group, roles: [compute], requires: [controller], required_for: [end],
   parameters: {strategy: {type: parallel, amount: 2}}}
"""


@dataclass
class Recorder:
    logs: dict[str | None, list[str]] = field(default_factory=dict)
    states: dict[str, dict[str, object]] = field(default_factory=dict)
    history: list[tuple[str, str]] = field(default_factory=list)
    progress_values: list[int] = field(default_factory=list)

    async def log(self, mac: str | None, lines: list[str]) -> None:
        self.logs.setdefault(mac, []).extend(lines)

    async def node(self, mac: str, **changes: object) -> None:
        state = self.states.setdefault(mac, {})
        for key, value in changes.items():
            if value is not None:
                state[key] = value
        if changes.get("status"):
            self.history.append((mac, str(changes["status"])))

    async def progress(self, progress: int, message: str) -> None:
        self.progress_values.append(progress)


def mac(n: int) -> str:
    return f"52:54:00:00:00:{n:02x}"


@dataclass
class Kit:
    tmp: Path
    graph: Graph
    nodes: list[DeployNode]
    recorder: Recorder = field(default_factory=Recorder)
    resume: ResumeState | None = None

    def __post_init__(self) -> None:
        self.resume = ResumeState(self.tmp / "resume.json")

    def orchestrator(self, stop: asyncio.Event | None = None, force: bool = False) -> Orchestrator:
        self.recorder = Recorder()
        assert self.resume is not None
        return Orchestrator(
            self.graph,
            self.nodes,
            self.recorder,
            ResumeState(self.resume.path),
            stop=stop,
            force=force,
            master_runner=lambda node: LocalRunner(env={"NODE": node.name, "WHERE": "master"}),
        )

    def status(self, name: str) -> str:
        node = next(n for n in self.nodes if n.name == name)
        return str(self.recorder.states[node.mac]["status"])

    def log(self, name: str) -> list[str]:
        node = next(n for n in self.nodes if n.name == name)
        return self.recorder.logs.get(node.mac, [])


def make_kit(tmp: Path, tasks_yaml: str, layout: list[tuple[str, list[str]]]) -> Kit:
    graph = parse_graph(GROUPS + tasks_yaml)
    nodes = []
    for index, (name, roles) in enumerate(layout, start=1):
        root = tmp / name
        root.mkdir()
        runner = LocalRunner(env={"NODE": name, "ROOT": str(root), "SHARED": str(tmp)}, root=root, cwd=root)
        config = NodeConfig(environment="t", name=name, mac=mac(index), roles=roles)
        nodes.append(DeployNode(mac=mac(index), name=name, roles=roles, config=config, runner=runner))
    return Kit(tmp=tmp, graph=graph, nodes=nodes)
