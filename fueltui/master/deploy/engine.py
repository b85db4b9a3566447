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
  task definition) is skipped unless `force` — and only when its check (see
  `tasktypes.check_task`) says the node still matches: a deleted address or file is put
  back by the next deploy or retry; node progress = finished / total tasks;
* before any group starts, process groups an earlier run left on the nodes (its master
  was killed) are ended, so they cannot overlap with this run;
* after the post-deployment tasks a node is `ready` unless the health check blames it
  (`health.blame`: the broken node, not the peers that could not reach it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable

from fueltui.core.graph import Graph, RoleGroup, task_signature
from fueltui.core.model import GraphTask
from fueltui.core.nodeconfig import NodeConfig, config_hash, parse_health_line, render
from fueltui.master.deploy.health import blame
from fueltui.master.deploy.nodes import DeployNode, DeploySink, NodeLog, NodeOutcome
from fueltui.master.deploy.resume import ResumeState
from fueltui.master.deploy.runners import NodeLost, NodeRunner
from fueltui.master.deploy.tasktypes import check_task, run_task

REPORT_EVERY = 0.5


def _timeout_text(exc: TimeoutError, timeout: float) -> str:
    """What a time-out really did: the SSH layer says whether the node confirmed the kill
    (`CommandTimeout.reason`); a local process is always killed with its process group."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, str) and reason:
        return reason
    return f"timed out after {timeout:g} s; the command was killed"


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
        self._logs: dict[str, NodeLog] = {}
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
            self._logs[mac] = NodeLog(self.sink, mac)
            await self.sink.node(mac, status="pending", progress=0, task="", message="waiting for its group")
        await self._report(now=True)
        try:
            # Before any group starts: nothing an earlier run left running may overlap this one.
            await asyncio.gather(*(self._end_leftovers(node) for node in self.nodes.values()))
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
                tg.create_task(self._run_tasks(mac, self.outcomes[mac].post, last=False))
        await self._judge_health([m for m in waiting if self.outcomes[m].status == "deploying"])

    async def _judge_health(self, finished: list[str]) -> None:
        """The post-deployment tasks are done on `finished` nodes: each is ready unless the
        health check blames it (see `health.blame`: the broken node, not its peers)."""
        verdict = blame(entry for o in self.outcomes.values() for entry in o.health)
        for mac in finished:
            outcome = self.outcomes[mac]
            reasons = verdict.get(outcome.name, [])
            outcome.blamed = reasons
            if reasons:
                outcome.failed_task = next(
                    (t.id for t in outcome.post if t.parameters.get("collect") == "health"), None
                )
                await self._set_status(mac, "error", "health: " + "; ".join(reasons))
            else:
                await self._set_status(mac, "ready", "deployed")

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
                differs = await self._check(node, task)
                if differs is None:
                    outcome.skipped += 1
                    self._log(mac, f"--- {task.id}: done before with this configuration, skipped")
                    await self._report()
                    continue
                self._log(mac, f"--- {task.id}: done before, but the node no longer matches: {differs}")
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
            except TimeoutError as exc:
                error = _timeout_text(exc, run.timeout)
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

    async def _end_leftovers(self, node: DeployNode) -> None:
        """End commands an earlier run left running on the node (its master was killed), so
        they cannot overlap with this run's. A node that cannot be reached now fails on its
        first task, with that task's message."""
        with contextlib.suppress(TimeoutError, NodeLost, OSError):
            await node.runner.end_leftovers(lambda _stream, line: self._log(node.mac, f"--- {line}"))

    async def _check(self, node: DeployNode, task: GraphTask) -> str | None:
        """None when the node still holds what `task` did (see `tasktypes.check_task`)."""
        master = self.master_runner(node) if self.master_runner is not None else None
        try:
            return await check_task(
                task,
                node.runner,
                master,
                lambda source: render(source, self._config_for(node, source)),
                self.graph.run(task.id).timeout,
                lambda _stream, line: self._log(node.mac, line),
            )
        except Exception as exc:  # a check that cannot run is no proof: run the task
            return f"the check failed: {type(exc).__name__}: {exc}"

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
        error = await run_task(
            task,
            node.runner,
            master,
            lambda source: render(source, self._config_for(node, source)),
            timeout,
            on_line,
        )
        if collect and error is not None and outcome.health:
            # Failed pings are results, judged across all nodes once every check is in
            # (`_judge_health`); only a check that reported nothing failed as a task.
            return None
        return error

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
