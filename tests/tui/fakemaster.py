"""An in-memory stand-in speaking the same methods as `MasterClient` (see tui/backend.py).

Used where the TUI's own behaviour is under test and a real master adds only time; it keeps
revisions (stale writes fail like the real 409) and publishes the same event types.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from fueltui.api.schema import (
    EnvironmentRecord,
    Event,
    LogChunk,
    NodeProgress,
    NodeRecord,
    TaskRecord,
    TaskStatus,
)
from fueltui.core.environment import new_environment
from fueltui.core.model import BootOptions, Cpu, Disk, Finding, Memory, Mode, Nic, Node, NodeFacts, Release
from fueltui.core.releases import default_release, get_release


class FakeApiError(Exception):
    def __init__(self, status: int, code: str, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.findings = status, code, message, findings or []


def make_node(index: int, nics: int = 3, env: str | None = None, roles: list[str] | None = None) -> Node:
    mac = f"52:54:00:aa:00:{index:02x}"
    facts = NodeFacts(
        nics=[
            Nic(
                name=f"eth{i}",
                mac=f"52:54:00:{i:02x}:00:{index:02x}" if i else mac,
                state="up",
                speed_mbps=1000,
            )
            for i in range(nics)
        ],
        cpu=Cpu(model="QEMU", count=4),
        memory=Memory(total_bytes=8 << 30),
        disks=[Disk(name="vda", size_bytes=100 << 30)],
    )
    facts.nics[0].pxe = True
    return Node(
        mac=mac,
        name=f"node-{index}",
        ip=f"10.20.0.{128 + index}",
        online=True,
        facts=facts,
        environment=env,
        roles=roles or [],
    )


class FakeMaster:
    def __init__(self) -> None:
        self.envs: dict[str, EnvironmentRecord] = {}
        self.node_records: dict[str, NodeRecord] = {}
        self.task_records: dict[str, TaskRecord] = {}
        self.logs: dict[tuple[str, str | None], list[str]] = {}
        self.boot: BootOptions | None = None
        self.subscribers: list[asyncio.Queue[Event]] = []
        self.calls: list[str] = []
        self.fail_next: FakeApiError | None = None

    # plumbing -----------------------------------------------------------------------

    def publish(self, type_: str, data: dict[str, object]) -> None:
        for queue in self.subscribers:
            queue.put_nowait(Event(type=type_, data=data))

    def _check(self, name: str) -> None:
        self.calls.append(name)
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error

    async def events(self) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self.subscribers.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self.subscribers.remove(queue)

    def add_node(self, node: Node) -> NodeRecord:
        record = NodeRecord(node=node, revision=1)
        self.node_records[node.mac] = record
        self.publish("node.discovered", {"mac": node.mac})
        return record

    # releases and environments ----------------------------------------------------------

    async def releases(self) -> list[Release]:
        self._check("releases")
        return [default_release()]

    async def environments(self) -> list[EnvironmentRecord]:
        self._check("environments")
        return list(self.envs.values())

    async def environment(self, name: str) -> EnvironmentRecord:
        self._check("environment")
        if name not in self.envs:
            raise FakeApiError(404, "not-found", f"no environment {name!r}")
        return self.envs[name]

    async def create_environment(
        self, name: str, release: str | None, mode: Mode | None
    ) -> EnvironmentRecord:
        self._check("create_environment")
        if name in self.envs:
            raise FakeApiError(409, "exists", f"environment {name!r} already exists")
        rel = get_release(release) if release else default_release()
        assert rel is not None
        record = EnvironmentRecord(
            environment=new_environment(name, rel, mode or Mode.neutron_gre), revision=1
        )
        self.envs[name] = record
        self.publish("env.changed", {"name": name})
        return record

    async def update_environment(self, record: EnvironmentRecord) -> EnvironmentRecord:
        self._check("update_environment")
        name = record.environment.name
        if self.envs[name].revision != record.revision:
            raise FakeApiError(409, "conflict", "someone else changed it")
        stored = EnvironmentRecord(environment=record.environment, revision=record.revision + 1)
        self.envs[name] = stored
        self.publish("env.changed", {"name": name})
        return stored

    async def delete_environment(self, name: str) -> None:
        self._check("delete_environment")
        self.envs.pop(name, None)
        self.publish("env.deleted", {"name": name})

    async def findings(self, name: str) -> list[Finding]:
        self._check("findings")
        from fueltui.core.rules import check_environment

        env = self.envs[name].environment
        release = get_release(env.release) or default_release()
        nodes = [r.node for r in self.node_records.values() if r.node.environment == name]
        return check_environment(env, release, nodes)

    # nodes ------------------------------------------------------------------------------

    async def nodes(self) -> list[NodeRecord]:
        self._check("nodes")
        return list(self.node_records.values())

    async def node(self, mac: str) -> NodeRecord:
        self._check("node")
        return self.node_records[mac]

    async def update_node(self, mac: str, revision: int, **changes: object) -> NodeRecord:
        self._check("update_node")
        record = self.node_records[mac]
        if record.revision != revision:
            raise FakeApiError(409, "conflict", "node changed meanwhile")
        node = record.node.model_copy(update=changes)
        new = NodeRecord(node=Node.model_validate(node.model_dump()), revision=revision + 1)
        self.node_records[mac] = new
        self.publish("node.changed", {"mac": mac})
        return new

    # tasks and logs -----------------------------------------------------------------------

    def add_task(self, kind: str, env: str | None, status: TaskStatus = TaskStatus.running) -> TaskRecord:
        task_id = f"t{len(self.task_records) + 1}"
        macs = [m for m, r in self.node_records.items() if r.node.environment == env]
        record = TaskRecord(
            id=task_id,
            kind=kind,
            env=env,
            status=status,
            created=datetime.now(UTC),
            nodes={mac: NodeProgress(status="pending") for mac in macs},
        )
        self.task_records[task_id] = record
        self.publish("task.created", {"id": task_id, "kind": kind, "env": env})
        return record

    def log(self, task_id: str, mac: str | None, line: str) -> None:
        self.logs.setdefault((task_id, mac), []).append(line)
        self.publish("task.log", {"id": task_id, "mac": mac, "line": line})

    def progress(self, task_id: str, mac: str, progress: int, task: str, status: str = "running") -> None:
        record = self.task_records[task_id]
        record.nodes[mac] = NodeProgress(status=status, progress=progress, task=task)
        record.progress = sum(n.progress for n in record.nodes.values()) // max(len(record.nodes), 1)
        self.publish(
            "task.progress",
            {
                "id": task_id,
                "progress": record.progress,
                "nodes": {m: n.model_dump() for m, n in record.nodes.items()},
            },
        )

    def finish(self, task_id: str, status: TaskStatus, result: dict[str, object] | None = None) -> None:
        record = self.task_records[task_id]
        record.status = status
        record.result = result or {}
        self.publish("task.finished", {"id": task_id, "status": status.value, "env": record.env})

    async def tasks(self, env: str | None = None) -> list[TaskRecord]:
        self._check("tasks")
        return [t for t in self.task_records.values() if env is None or t.env == env]

    async def task(self, task_id: str) -> TaskRecord:
        self._check("task")
        return self.task_records[task_id]

    async def stop_task(self, task_id: str, now: bool = False) -> TaskRecord:
        self._check("stop_task")
        self.finish(task_id, TaskStatus.stopped)
        return self.task_records[task_id]

    async def resume_task(self, task_id: str) -> TaskRecord:
        self._check("resume_task")
        old = self.task_records[task_id]
        return self.add_task(old.kind, old.env)

    def _chunk(self, lines: list[str], offset: int) -> LogChunk:
        # Offsets are line indexes here; the real master uses bytes. Screens only pass them back.
        return LogChunk(entries=lines[offset:], start=offset, end=len(lines), has_more=False)

    async def node_log(self, mac: str, offset: int = 0, task_id: str | None = None) -> LogChunk:
        self._check("node_log")
        lines = [
            line for (tid, m), ls in self.logs.items() if m == mac and task_id in (None, tid) for line in ls
        ]
        return self._chunk(lines, offset)

    async def task_log(self, task_id: str, offset: int = 0) -> LogChunk:
        self._check("task_log")
        return self._chunk(self.logs.get((task_id, None), []), offset)

    # master, deploy, verify -----------------------------------------------------------------

    async def boot_options(self) -> BootOptions | None:
        self._check("boot_options")
        return self.boot

    async def set_boot_options(self, opts: BootOptions) -> BootOptions:
        self._check("set_boot_options")
        self.boot = opts
        return opts

    async def deploy(self, env: str, nodes: list[str] | None = None, skip_verify: bool = False) -> TaskRecord:
        self._check("deploy")
        return self.add_task("deploy", env)

    async def stop_deploy(self, env: str, now: bool = False) -> TaskRecord:
        self._check("stop_deploy")
        running = [t for t in self.task_records.values() if t.env == env and t.status == TaskStatus.running]
        if not running:
            raise FakeApiError(409, "not-running", "no deployment is running")
        return await self.stop_task(running[-1].id, now)

    async def retry(self, env: str) -> TaskRecord:
        self._check("retry")
        return self.add_task("deploy", env)

    async def verify(self, env: str) -> TaskRecord:
        self._check("verify")
        return self.add_task("verify", env)
