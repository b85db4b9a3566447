"""Fixtures of the TUI tests: a real master (tests/masterfixtures.py), seeded through its store
and API, and apps whose host facts are given (the tests never touch the host's own network).

Deploy and verify need SSH to real nodes; where a test only needs their *stream* (log lines,
progress, a result) it swaps in a scripted handler for the task kind — restored afterwards —
so everything from the master's task framework to the panes is the real thing."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fueltui.client.api import MasterClient
from fueltui.core.model import Cpu, Disk, Memory, Nic, NodeFacts
from fueltui.master import tasks as master_tasks
from fueltui.master.tasks import TaskContext
from fueltui.tui.app import FuelApp
from fueltui.tui.hostinfo import HostNic
from masterfixtures import RunningMaster

HOST_NICS = [HostNic("eth0", "52:54:00:00:00:01", ["10.20.0.2/24"]), HostNic("eth1", "52:54:00:00:00:02", [])]
CMDLINE = (
    "BOOT_IMAGE=/vmlinuz ip=10.20.0.2 gw=10.20.0.1 dns1=10.20.0.1 netmask=255.255.255.0 hostname=fuel.tld"
)


def node_mac(index: int) -> str:
    return f"52:54:00:aa:00:{index:02x}"


def node_facts(index: int, nics: int = 3) -> NodeFacts:
    return NodeFacts(
        nics=[
            Nic(
                name=f"eth{i}",
                mac=node_mac(index) if i == 0 else f"52:54:00:{i:02x}:00:{index:02x}",
                pxe=i == 0,
                state="up",
                speed_mbps=1000,
            )
            for i in range(nics)
        ],
        cpu=Cpu(model="QEMU", count=4),
        memory=Memory(total_bytes=8 << 30),
        disks=[Disk(name="vda", size_bytes=100 << 30)],
        hostname=f"node-{index}",
    )


def discover(master: RunningMaster, index: int, nics: int = 3) -> str:
    """A node as discovery would record it."""
    mac = node_mac(index)
    master.state.store.upsert_discovered(mac, f"10.20.0.{128 + index}", node_facts(index, nics))
    return mac


async def place(
    client: MasterClient,
    mac: str,
    env: str,
    roles: list[str] | None = None,
    interfaces: dict[str, list[str]] | None = None,
) -> None:
    record = await client.node(mac)
    record = await client.update_node(mac, record.revision, environment=env)
    if roles is not None:
        record = await client.update_node(mac, record.revision, roles=roles)
    if interfaces is not None:
        await client.update_node(mac, record.revision, interfaces=interfaces)


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., FuelApp]:
    def build(
        master: MasterClient | None = None, start: str = "master", env_name: str | None = None
    ) -> FuelApp:
        return FuelApp(
            master,
            root=tmp_path / "root",
            nics=lambda: HOST_NICS,
            cmdline=lambda: CMDLINE,
            start=start,
            env_name=env_name,
        )

    return build


@dataclass
class Script:
    """What the scripted task handlers do: lines to log, progress to report, a result to return."""

    lines: queue.Queue[tuple[str | None, str] | None] = field(default_factory=queue.Queue)
    result: dict[str, object] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)

    def say(self, mac: str | None, line: str) -> None:
        self.lines.put((mac, line))

    def finish(self) -> None:
        self.lines.put(None)


@pytest.fixture
def scripted(master: RunningMaster) -> Iterator[Script]:
    script = Script()

    async def handler(ctx: TaskContext) -> dict[str, object]:
        script.started.append(ctx.task_id)
        macs = [r.node.mac for r in ctx.store.nodes(ctx.env_name)]
        for mac in macs:
            await ctx.set_node(mac, status="running", progress=10, task="hello")
            await ctx.log(mac, f"{mac} says hello")
        while not ctx.stop_requested.is_set():
            try:
                item = script.lines.get_nowait()
            except queue.Empty:
                await asyncio.sleep(0.02)  # polling interval for the test's queue
                continue
            if item is None:
                break
            mac, line = item
            await ctx.log(mac, line)
            if mac is not None:
                await ctx.set_node(mac, status="running", progress=50, task=line.split()[0])
        for mac in macs:
            await ctx.set_node(mac, status="done", progress=100, task="finished")
        await ctx.set_progress(100, "scripted run finished")
        return dict(script.result)

    saved = {kind: master_tasks._HANDLERS.get(kind) for kind in ("deploy", "verify")}
    for kind in saved:
        master_tasks.register_task_kind(kind, handler)
    yield script
    for kind, original in saved.items():
        if original is None:
            master_tasks._HANDLERS.pop(kind, None)
        else:
            master_tasks.register_task_kind(kind, original)
