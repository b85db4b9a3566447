"""The orchestrator: the deployment graph run over many nodes at once.

Role groups start in graph order, each when every group before it has finished; inside a
group the nodes go one by one or in parallel (capped by `amount`). Each node runs its
tasks in graph order, each task with its timeout and retries. Once every group is done,
the post-deployment tasks (the health check) run on every node that is still healthy.

Rules the operator relies on:
* a failed task puts its node in `error` and the node runs nothing more; a failed
  controller also halts the rest (no group or node starts after it), while nodes already
  running finish what they can;
* Stop (`stop` event) lets running tasks finish and starts nothing new; Stop --now is a
  cancellation of `run()`, which kills running commands; either way nodes end `stopped`;
* a task that already succeeded on a node with an unchanged signature (node config hash +
  task definition) is skipped unless `force`; node progress = finished / total tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from fueltui.core.graph import Graph, RoleGroup, task_signature
from fueltui.core.model import GraphTask
from fueltui.core.nodeconfig import NodeConfig, config_hash, parse_health_line, render
from fueltui.master.deploy.resume import ResumeState
from fueltui.master.deploy.runners import NodeLost, NodeRunner
from fueltui.master.deploy.tasktypes import run_task

LOG_BATCH = 500
REPORT_EVERY = 0.5


class DeploySink(Protocol):
    """Where the orchestrator reports: the master's task context, or a test's recorder."""

    async def log(self, mac: str | None, lines: list[str]) -> None: ...

    async def node(
        self,
        mac: str,
        *,
        status: str | None = None,
        progress: int | None = None,
        task: str | None = None,
        message: str | None = None,
    ) -> None: ...

    async def progress(self, progress: int, message: str) -> None: ...


@dataclass
class DeployNode:
    mac: str
    name: str
    roles: list[str]  # deploy roles: `primary-controller` for the first controller
    config: NodeConfig
    runner: NodeRunner

    @property
    def controller(self) -> bool:
        return any(role.removeprefix("primary-") == "controller" for role in self.roles)


@dataclass
class NodeOutcome:
    name: str
    tasks: list[GraphTask]
    post: list[GraphTask]
    status: str = "pending"  # pending, deploying, ready, error, stopped
    message: str = ""
    done: int = 0
    skipped: int = 0
    failed_task: str | None = None
    health: list[dict[str, object]] = field(default_factory=list)
    health_skipped: list[str] = field(default_factory=list)  # peers not checked: they failed
    health_ran: bool = False

    @property
    def total(self) -> int:
        return len(self.tasks) + len(self.post)

    @property
    def finished(self) -> int:
        return self.done + self.skipped

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else self.finished * 100 // self.total

    def as_result(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "tasks": self.total,
            "done": self.done,
            "skipped": self.skipped,
            "failed_task": self.failed_task,
            "health_skipped": self.health_skipped,
        }


class _NodeLog:
    """Lines from a running command, delivered to the sink in order, in batches."""

    def __init__(self, sink: DeploySink, mac: str) -> None:
        self._sink = sink
        self._mac = mac
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._pump = asyncio.create_task(self._run(), name=f"deploy-log-{mac}")

    def write(self, line: str) -> None:
        self._queue.put_nowait(line)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < LOG_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._sink.log(self._mac, batch)
            except Exception:  # a log that cannot be written must not stall the deployment
                pass
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def flush(self) -> None:
        if not self._pump.done():
            await self._queue.join()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._queue.join(), 10)
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump


class Orchestrator:
    def __init__(
        self,
        graph: Graph,
        nodes: list[DeployNode],
        sink: DeploySink,
        resume: ResumeState,
        *,
        stop: asyncio.Event | None = None,
        master_runner: Callable[[DeployNode], NodeRunner] | None = None,
        force: bool = False,
    ) -> None:
        self.graph = graph
        self.nodes = {n.mac: n for n in sorted(nodes, key=lambda n: (n.name, n.mac))}
        self.sink = sink
        self.resume = resume
        self.stop = stop or asyncio.Event()
        self.master_runner = master_runner
        self.force = force
        self.halted: str | None = None
        self.outcomes: dict[str, NodeOutcome] = {}
        self._logs: dict[str, _NodeLog] = {}
        self._reported = 0.0
        self._group_of: dict[str, RoleGroup | None] = {}
        for node in self.nodes.values():
            groups = graph.groups_for(node.roles)
            self._group_of[node.mac] = groups[0] if groups else None
            tasks = graph.tasks_for(node.roles)
            self.outcomes[node.mac] = NodeOutcome(
                name=node.name,
                tasks=[t for t in tasks if t.id not in graph.post],
                post=[t for t in tasks if t.id in graph.post],
            )

    # ------------------------------------------------------------------ the run

    async def run(self) -> dict[str, object]:
        for mac in self.nodes:
            if self.force:  # a redeploy starts from scratch: a later resume must not skip
                self.resume.forget(mac)  # what only an earlier deployment did
            self._logs[mac] = _NodeLog(self.sink, mac)
            await self.sink.node(mac, status="pending", progress=0, task="", message="waiting for its group")
        await self._report(now=True)
        try:
            events = {g.id: asyncio.Event() for g in self.graph.groups}
            async with asyncio.TaskGroup() as tg:
                for group in self.graph.groups:
                    tg.create_task(self._run_group(group, events))
                loose = [mac for mac, g in self._group_of.items() if g is None]
                if loose:
                    tg.create_task(self._run_members(loose, None))
            await self._post_phase()
        except asyncio.CancelledError:
            await self._stop_unfinished("stopped: running work was killed (stop --now)")
            raise
        finally:
            for node_log in self._logs.values():
                await node_log.close()
        if self.stop.is_set():
            await self._stop_unfinished("stopped by the operator before finishing")
        await self._report(now=True)
        return self.result()

    async def _run_group(self, group: RoleGroup, events: dict[str, asyncio.Event]) -> None:
        try:
            for before in sorted(group.after):
                await events[before].wait()
            members = [mac for mac, g in self._group_of.items() if g is not None and g.id == group.id]
            await self._run_members(members, group.strategy.limit)
        finally:
            events[group.id].set()

    async def _run_members(self, members: list[str], limit: int | None) -> None:
        gate = asyncio.Semaphore(limit or max(1, len(members)))

        async def one(mac: str) -> None:
            async with gate:
                if self.halted or self.stop.is_set():
                    reason = self.halted or "stopped by the operator before it started"
                    await self._set_status(mac, "stopped", reason)
                    return
                await self._run_tasks(mac, self.outcomes[mac].tasks, last=not self.outcomes[mac].post)

        async with asyncio.TaskGroup() as tg:
            for mac in members:
                tg.create_task(one(mac))

    async def _post_phase(self) -> None:
        waiting = [m for m, o in self.outcomes.items() if o.status == "deploying"]
        if self.halted or self.stop.is_set():
            for mac in waiting:
                await self._set_status(mac, "stopped", self.halted or "stopped before post-deployment tasks")
            return
        async with asyncio.TaskGroup() as tg:
            for mac in waiting:
                tg.create_task(self._run_tasks(mac, self.outcomes[mac].post, last=True))

    async def _run_tasks(self, mac: str, tasks: list[GraphTask], *, last: bool) -> None:
        node, outcome = self.nodes[mac], self.outcomes[mac]
        outcome.status = "deploying"
        await self.sink.node(mac, status="deploying", progress=outcome.percent, message="")
        node_hash = config_hash(node.config)
        for task in tasks:
            if self.stop.is_set():
                await self._set_status(mac, "stopped", f"stopped by the operator before {task.id}")
                return
            signature = hashlib.sha256(
                f"{node_hash}:{task_signature(task)}:{self._script_hash(node, task)}".encode()
            ).hexdigest()[:20]
            always = bool(task.parameters.get("always_run"))
            if not self.force and not always and self.resume.succeeded(mac, task.id, signature):
                outcome.skipped += 1
                self._log(mac, f"--- {task.id}: done before with this configuration, skipped")
                await self._report()
                continue
            await self.sink.node(mac, task=task.id, progress=outcome.percent, message=f"running {task.id}")
            error = await self._attempts(node, task)
            if error is not None:
                outcome.failed_task = task.id
                await self._set_status(mac, "error", f"{task.id}: {error}")
                if node.controller and not self.halted:
                    self.halted = f"not deployed: controller {node.name} failed ({task.id})"
                await self._report(now=True)
                return
            outcome.done += 1
            self.resume.record(mac, task.id, signature)
            await self._report()
        if last:
            await self._set_status(mac, "ready", "deployed")
        else:
            await self.sink.node(mac, message="waiting for the other nodes")

    # ------------------------------------------------------------------ one task

    async def _attempts(self, node: DeployNode, task: GraphTask) -> str | None:
        """Run a task with its retries; None on success, else why it failed."""
        run = self.graph.run(task.id)
        error: str | None = None
        for attempt in range(run.retries + 1):
            if attempt:
                if self.stop.is_set():
                    break
                self._log(node.mac, f"--- {task.id}: retry {attempt}/{run.retries} in {run.interval:g} s")
                await asyncio.sleep(run.interval)  # the graph's retry interval, not a synchronisation
            self._log(node.mac, f"--- {task.id} ({task.type}) started")
            try:
                error = await self._execute(node, task, run.timeout)
            except TimeoutError:
                error = f"timed out after {run.timeout:g} s; the command was killed"
            except NodeLost as exc:
                error = f"node unreachable over SSH: {exc}"
            except OSError as exc:
                error = f"{type(exc).__name__}: {exc}"
            except Exception as exc:  # one node's surprise must not take the others down
                error = f"internal error: {type(exc).__name__}: {exc}"
            if error is None:
                self._log(node.mac, f"--- {task.id}: ok")
                return None
            self._log(node.mac, f"--- {task.id}: failed: {error}")
        return error

    async def _execute(self, node: DeployNode, task: GraphTask, timeout: float) -> str | None:
        node_log = self._logs[node.mac]
        collect = task.parameters.get("collect") == "health"
        outcome = self.outcomes[node.mac]
        if collect:
            outcome.health = []
            outcome.health_ran = True

        def on_line(_stream: str, line: str) -> None:
            node_log.write(line)
            if collect:
                entry = parse_health_line(line)
                if entry is not None:
                    outcome.health.append({"from": node.name, **entry})

        master = self.master_runner(node) if self.master_runner is not None else None
        return await run_task(
            task,
            node.runner,
            master,
            lambda source: render(source, self._config_for(node, source)),
            timeout,
            on_line,
        )

    def _script_hash(self, node: DeployNode, task: GraphTask) -> str:
        """A script task is done only with the script it ran: a new fueltui that renders it
        differently runs it again on resume."""
        if task.type != "script":
            return ""
        try:
            text = render(str(task.parameters.get("source")), node.config)
        except ValueError as exc:
            text = f"unrenderable: {exc}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def _config_for(self, node: DeployNode, source: str) -> NodeConfig:
        """The health check leaves out peers that failed in this run: their addresses were
        never configured, and a healthy node must not be blamed for them."""
        failed = {mac for mac, o in self.outcomes.items() if o.status == "error"}
        if source != "healthcheck_script" or not failed:
            return node.config
        outcome = self.outcomes[node.mac]
        outcome.health_skipped = [p.name for p in node.config.peers if p.mac in failed]
        return node.config.model_copy(update={"peers": [p for p in node.config.peers if p.mac not in failed]})

    # ------------------------------------------------------------------ reporting

    def _log(self, mac: str, line: str) -> None:
        self._logs[mac].write(line)

    async def _set_status(self, mac: str, status: str, message: str) -> None:
        await self._logs[mac].flush()  # a node's final word comes after its log lines
        outcome = self.outcomes[mac]
        outcome.status, outcome.message = status, message
        await self.sink.node(mac, status=status, progress=outcome.percent, message=message)

    async def _stop_unfinished(self, message: str) -> None:
        for mac, outcome in self.outcomes.items():
            if outcome.status in ("pending", "deploying"):
                await self._set_status(mac, "stopped", message)

    async def _report(self, now: bool = False) -> None:
        """The deployment's overall progress; at most every REPORT_EVERY s unless `now`."""
        clock = asyncio.get_running_loop().time()
        if not now and clock - self._reported < REPORT_EVERY:
            return
        self._reported = clock
        total = sum(o.total for o in self.outcomes.values())
        finished = sum(o.finished for o in self.outcomes.values())
        counts: dict[str, int] = {}
        for outcome in self.outcomes.values():
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        await self.sink.progress(100 if total == 0 else finished * 100 // total, summary)

    def result(self) -> dict[str, object]:
        health = [entry for o in self.outcomes.values() for entry in o.health]
        ready = all(o.status == "ready" for o in self.outcomes.values())
        checked = all(
            o.health_ran or not any(t.parameters.get("collect") == "health" for t in o.post)
            for o in self.outcomes.values()
        )
        return {
            "nodes": {mac: o.as_result() for mac, o in self.outcomes.items()},
            "ready": ready,
            "health": health,
            "health_ok": ready and checked and all(bool(e["ok"]) for e in health),
            "halted": self.halted,
            "stopped": self.stop.is_set(),
            "skipped": sum(o.skipped for o in self.outcomes.values()),
            "ran": sum(o.done for o in self.outcomes.values()),
        }
