"""The task framework on a real store: progress committed, stop, stop --now, resume, busy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fueltui.api.events import TaskProgress
from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.core.model import Environment, EnvStatus, Mode
from fueltui.master.errors import Busy, NotFound
from fueltui.master.events import EventBus
from fueltui.master.logfiles import LogFiles, read_chunk
from fueltui.master.store import Store
from fueltui.master.tasks import TaskContext, TaskFailed, TaskManager
from polling import async_wait_until

MAC = "52:54:00:aa:00:01"


@pytest.fixture
async def manager(tmp_path: Path) -> AsyncIterator[TaskManager]:
    bus = EventBus()
    store = Store(tmp_path / "db", publish=bus.publish)
    store.create_environment(Environment(name="prod", release="x", mode=Mode.neutron_vlan))
    mgr = TaskManager(store, bus, tmp_path, LogFiles(tmp_path / "logs"))
    mgr.activate()
    yield mgr
    await mgr.shutdown()
    store.close()


async def _until(condition: Callable[[], object], what: str = "condition") -> None:
    async def check() -> object:
        return condition()

    await async_wait_until(check, timeout=5.0, what=what)


async def test_a_task_reports_progress_logs_and_result(manager: TaskManager, tmp_path: Path) -> None:
    async def handler(ctx: TaskContext) -> dict[str, object]:
        await ctx.set_progress(50, "half way")
        await ctx.set_node(MAC, status="deploying", progress=30, task="netconfig")
        await ctx.log(MAC, "configuring\nnetwork")
        await ctx.log(None, "task level")
        return {"answer": 42, "params": ctx.params}

    manager.register("t-ok", handler)
    sub = manager.events.subscribe()
    record = await manager.start("t-ok", "prod", {"x": 1})
    assert record.status == TaskStatus.pending
    await manager.wait(record.id)
    done = manager.store.task(record.id)
    assert done.status == TaskStatus.done and done.progress == 100
    assert done.result == {"answer": 42, "params": {"x": 1}}
    assert done.nodes[MAC].task == "netconfig"
    node_log = read_chunk(manager.logs.node_path(MAC))
    assert [e.split(" ", 1)[1] for e in node_log.entries] == ["configuring", "network"]
    task_log = read_chunk(manager.logs.task_path(record.id))
    assert task_log.entries[0].endswith(f"[{MAC}] configuring")
    assert task_log.entries[-1].endswith("task level")
    assert manager.store.task_log_macs(record.id) == [MAC]
    types = []
    while (event := await sub.get(0.1)) is not None:
        types.append(event.type)
    assert types[0] == "task.created" and "task.log" in types and types[-1] == "task.finished"


async def test_failures_stop_and_resume(manager: TaskManager) -> None:
    gate = asyncio.Event()
    seen: list[str | None] = []

    async def slow(ctx: TaskContext) -> dict[str, object]:
        seen.append(ctx.resumed_from)
        if ctx.resumed_from is None:
            await ctx.set_progress(10, "waiting")
            await gate.wait()
        return {}

    async def failing(ctx: TaskContext) -> dict[str, object]:
        raise TaskFailed("node-1 did not answer")

    manager.register("t-slow", slow)
    manager.register("t-fail", failing)
    first = await manager.start("t-slow", "prod", {})
    with pytest.raises(Busy):
        await manager.start("t-slow", "prod", {})
    with pytest.raises(NotFound):
        await manager.start("t-nope", "prod", {})
    await _until(lambda: manager.store.task(first.id).progress == 10)
    await manager.stop_env("prod", now=True)
    await _until(lambda: manager.store.task(first.id).status == TaskStatus.stopped)
    resumed = await manager.resume(first.id)
    await manager.wait(resumed.id)
    assert manager.store.task(resumed.id).status == TaskStatus.done
    assert seen == [None, first.id]
    with pytest.raises(Busy):
        await manager.resume(resumed.id)
    failed = await manager.start("t-fail", None, {})
    await manager.wait(failed.id)
    rec = manager.store.task(failed.id)
    assert rec.status == TaskStatus.error and rec.message == "node-1 did not answer"


async def test_graceful_stop_lets_the_handler_finish(manager: TaskManager) -> None:
    async def polite(ctx: TaskContext) -> dict[str, object]:
        await ctx.stop_requested.wait()
        return {"finished_step": True}

    manager.register("t-polite", polite)
    record = await manager.start("t-polite", "prod", {})
    await _until(lambda: manager.store.task(record.id).status == TaskStatus.running)
    await manager.stop(record.id)
    await manager.wait(record.id)
    rec = manager.store.task(record.id)
    assert rec.status == TaskStatus.stopped and rec.result == {"finished_step": True}


async def test_shutdown_marks_running_tasks_interrupted(manager: TaskManager) -> None:
    async def forever(ctx: TaskContext) -> dict[str, object]:
        await asyncio.Event().wait()
        return {}

    manager.register("t-forever", forever)
    record = await manager.start("t-forever", "prod", {})
    await _until(lambda: manager.store.task(record.id).status == TaskStatus.running)
    await manager.shutdown()
    assert manager.store.task(record.id).status == TaskStatus.interrupted


async def test_restart_leaves_no_environment_deploying(tmp_path: Path) -> None:
    bus = EventBus()
    store = Store(tmp_path / "db2", publish=bus.publish)
    store.create_environment(Environment(name="prod", release="x", mode=Mode.neutron_vlan))
    store.set_environment_status("prod", EnvStatus.deploying)
    stamp = datetime.now(UTC)
    store.save_task(TaskRecord(id="t1", kind="deploy", env="prod", status=TaskStatus.running, created=stamp))
    store.save_task(TaskRecord(id="t2", kind="deploy", env="gone", status=TaskStatus.running, created=stamp))
    mgr = TaskManager(store, bus, tmp_path, LogFiles(tmp_path / "logs2"))
    assert sorted(t.id for t in mgr.activate()) == ["t1", "t2"]
    assert store.environment("prod").environment.status == EnvStatus.stopped
    await mgr.shutdown()


async def test_the_handlers_last_message_and_a_failed_result_are_kept(manager: TaskManager) -> None:
    async def fine(ctx: TaskContext) -> dict[str, object]:
        await ctx.set_progress(100, "every NIC heard every peer")
        return {}

    async def failing(ctx: TaskContext) -> dict[str, object]:
        raise TaskFailed("not ready: comp-1 (error)", result={"ready": False, "nodes": {"comp-1": "error"}})

    manager.register("t-msg", fine)
    manager.register("t-fail", failing)
    record = await manager.start("t-msg", "prod", {})
    await manager.wait(record.id)
    assert manager.store.task(record.id).message == "every NIC heard every peer"
    record = await manager.start("t-fail", "prod", {})
    await manager.wait(record.id)
    failed = manager.store.task(record.id)
    assert failed.status == TaskStatus.error
    assert failed.message == "not ready: comp-1 (error)"
    assert failed.result == {"ready": False, "nodes": {"comp-1": "error"}}


async def test_a_precheck_refuses_before_any_task_exists(manager: TaskManager) -> None:
    from fueltui.master.errors import Invalid

    async def never(ctx: TaskContext) -> dict[str, object]:
        raise AssertionError("a refused task must not run")

    def refuse(store: Store, env: str | None, params: dict[str, object]) -> None:
        raise Invalid("refused: no controller", code="deploy-refused")

    manager.register("t-refused", never, precheck=refuse)
    with pytest.raises(Invalid):
        await manager.start("t-refused", "prod", {})
    assert [t for t in manager.store.tasks("prod") if t.kind == "t-refused"] == []


async def test_each_manager_owns_its_task_kinds(manager: TaskManager, tmp_path: Path) -> None:
    """Two masters in one process: a kind registered on one is unknown to the other, and the
    other registering the same name does not replace the first one's handler."""
    bus = EventBus()
    store = Store(tmp_path / "other-db", publish=bus.publish)
    store.create_environment(Environment(name="prod", release="x", mode=Mode.neutron_vlan))
    other = TaskManager(store, bus, tmp_path / "other", LogFiles(tmp_path / "other-logs"))
    other.activate()
    try:

        async def mine(ctx: TaskContext) -> dict[str, object]:
            return {"who": "mine"}

        async def theirs(ctx: TaskContext) -> dict[str, object]:
            return {"who": "theirs"}

        manager.register("t-owned", mine)
        assert "t-owned" in manager.kinds() and "t-owned" not in other.kinds()
        with pytest.raises(NotFound):
            await other.start("t-owned", "prod", {})
        other.register("t-owned", theirs)
        record = await manager.start("t-owned", "prod", {})
        await manager.wait(record.id)
        assert manager.store.task(record.id).result == {"who": "mine"}
        manager.unregister("t-owned")
        assert manager.kinds() == [] and other.kinds() == ["t-owned"]
    finally:
        await other.shutdown()
        store.close()


async def test_a_node_step_publishes_that_node_alone_and_the_record_keeps_them_all(
    manager: TaskManager,
) -> None:
    macs = [f"52:54:00:aa:01:{i:02x}" for i in range(50)]

    async def handler(ctx: TaskContext) -> dict[str, object]:
        for mac in macs:
            await ctx.set_node(mac, status="pending", message="waiting")
        await ctx.set_node(macs[7], status="deploying", task="netconfig")
        await ctx.set_progress(40, "running")
        return {}

    manager.register("t-nodes", handler)
    sub = manager.events.subscribe()
    record = await manager.start("t-nodes", "prod", {})
    await manager.wait(record.id)
    events = [e.event for e in sub.ready(limit=1000) if isinstance(e.event, TaskProgress)]
    # started (no nodes yet), 50 nodes one by one, the step, the progress, finished (all 50)
    assert [len(e.nodes) for e in events] == [0] + [1] * 51 + [0, 50]
    step = events[51]
    assert list(step.nodes) == [macs[7]] and step.nodes[macs[7]].task == "netconfig"
    done = manager.store.task(record.id)
    assert len(done.nodes) == 50 and done.nodes[macs[7]].status == "deploying"
    assert events[-1].nodes == done.nodes
