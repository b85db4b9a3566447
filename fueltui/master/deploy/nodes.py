"""What the orchestrator works with: its nodes, their outcomes, where it reports, and the
per-node log pump that delivers command output to the sink in order, in batches."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Protocol

from fueltui.core.model import GraphTask
from fueltui.core.nodeconfig import NodeConfig
from fueltui.master.deploy.runners import NodeRunner

LOG_BATCH = 500


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
    blamed: list[str] = field(default_factory=list)  # why the health check blames this node

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
            "blamed": self.blamed,
        }


class NodeLog:
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
