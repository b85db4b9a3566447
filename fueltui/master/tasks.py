"""The task framework: long work (deploy, verify, discovery) runs in the master, not a UI.

A part plugs in on the master's own task manager, `tasks.register(VERIFY, handle_verify)` — a
kind declared once in `fueltui.api.tasks` (its parameters, result and events); the master then
refuses parameters that do not fit (422) and a result that does not fit (the task ends in
error), and the handler reads typed parameters from `ctx.request`. Each manager holds its own
handlers, so two masters in one process never share or clobber them. The API starts tasks
with `tasks.start(kind, env_name, params)`. A handler gets a `TaskContext` to report progress,
per-node state and log lines; each report is committed to SQLite before it is published,
so a master killed mid-task loses nothing it reported. On start-up the tasks a previous
master left running are marked `interrupted`; `resume` starts the same kind again with the
same params and `ctx.resumed_from` set — the handler decides what it can skip.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Generic

from pydantic import BaseModel, ConfigDict, JsonValue, TypeAdapter, ValidationError
from typing_extensions import TypeVar

from fueltui.api.events import TaskCreated, TaskFinished, TaskLog, TaskProgress
from fueltui.api.schema import NodeProgress, TaskRecord, TaskStatus
from fueltui.api.tasks import TASK_KINDS, ResultMismatch, TaskKind
from fueltui.core.model import EnvStatus, NodeStatus
from fueltui.master.errors import Busy, Invalid, MasterError, NotFound
from fueltui.master.events import EventBus
from fueltui.master.logfiles import LogFiles
from fueltui.master.store import Store

log = logging.getLogger(__name__)
INTERRUPTED_NODE = "interrupted: the master stopped while this node deployed; retry resumes it"


class TaskFailed(Exception):
    """Raise from a handler to end the task in `error` with this message (no traceback).

    `result`, when given, is kept as the task's result: a failed deploy still reports
    every node's outcome and every health pair."""

    def __init__(self, message: str, result: BaseModel | dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.result = result


# A handler typed by its kind names the parameters (`TaskContext[VerifyRequest]`); a bare
# `TaskContext` is one whose parameters are only known to be a model.
P = TypeVar("P", bound=BaseModel, default=BaseModel)
R = TypeVar("R", bound=BaseModel, default=BaseModel)
# Covariant: a context typed by its kind (`TaskContext[DeployParams]`) may be handed to a helper
# that only reports progress (`TaskContext`); `request` is read, never replaced.
P_co = TypeVar("P_co", bound=BaseModel, default=BaseModel, covariant=True)


class UndeclaredParams(BaseModel):
    """The parameters of a kind registered without a declaration (a test's, a plug-in's)."""

    model_config = ConfigDict(extra="allow")


class TaskContext(Generic[P_co]):
    """What a running task may touch; `request` is its parameters as its kind declares them."""

    def __init__(self, manager: TaskManager, record: TaskRecord, request: P_co) -> None:
        self._manager = manager
        self._record = record
        self.task_id: str = record.id
        self.kind: str = record.kind
        self.env_name: str | None = record.env
        self.request: P_co = request
        self.params: dict[str, object] = dict(record.params)
        self.resumed_from: str | None = record.resumed_from
        self.store: Store = manager.store
        self.events: EventBus = manager.events
        self.state_dir: Path = manager.state_dir
        self.stop_requested = asyncio.Event()  # Stop: finish running work, start nothing new
        self.stop_now = False  # Stop --now: running work is cancelled too

    @property
    def record(self) -> TaskRecord:
        return self._record

    async def log(self, node_mac: str | None, line: str) -> None:
        """Append to the node's log (or the task's own), and publish it live."""
        self._manager.write_log(self._record.id, node_mac, line)

    async def set_progress(self, progress: int, message: str = "") -> None:
        self._record = self._record.model_copy(
            update={"progress": max(0, min(100, int(progress))), "message": message}
        )
        self._manager.save(self._record, nodes={})

    async def set_node(
        self,
        mac: str,
        *,
        status: str | None = None,
        progress: int | None = None,
        task: str | None = None,
        message: str | None = None,
    ) -> None:
        nodes = dict(self._record.nodes)
        current = nodes.get(mac, NodeProgress())
        changes: dict[str, object] = {}
        if status is not None:
            changes["status"] = status
        if progress is not None:
            changes["progress"] = max(0, min(100, int(progress)))
        if task is not None:
            changes["task"] = task
        if message is not None:
            changes["message"] = message
        nodes[mac] = current.model_copy(update=changes)
        self._record = self._record.model_copy(update={"nodes": nodes})
        self._manager.save(self._record, nodes={mac: nodes[mac]})


# A handler returns its kind's result model (or, for an undeclared kind, a JSON object).
TaskHandler = Callable[[TaskContext[P]], Awaitable[R | dict[str, object]]]
# Runs before a task of its kind is created; raises a MasterError (e.g. `Invalid` with
# findings) to refuse the request outright, so a refused deploy is a 422, not a failed task.
TaskPrecheck = Callable[[Store, str | None, dict[str, object]], object]

_JSON_OBJECT: TypeAdapter[dict[str, JsonValue]] = TypeAdapter(dict[str, JsonValue])


def _now() -> datetime:
    return datetime.now(UTC)


class TaskManager:
    def __init__(self, store: Store, events: EventBus, state_dir: Path, logs: LogFiles) -> None:
        self.store = store
        self.events = events
        self.state_dir = state_dir
        self.logs = logs
        self._running: dict[str, tuple[asyncio.Task[None], TaskContext[BaseModel]]] = {}
        self._shutting_down = False
        self._indexed: set[tuple[str, str]] = set()
        self._handlers: dict[str, TaskHandler[BaseModel, BaseModel]] = {}
        self._prechecks: dict[str, TaskPrecheck] = {}

    # ------------------------------------------------------------------ kinds

    def register(
        self, kind: TaskKind[P, R] | str, handler: TaskHandler[P, R], precheck: TaskPrecheck | None = None
    ) -> None:
        """Plug a handler in for a kind; a name declared in `fueltui.api.tasks` keeps its
        declaration however it is given (a test swapping a handler in by name is held to it too)."""
        if isinstance(kind, TaskKind):
            kind = kind.name
        # Stored under the widest handler type: `start` hands it a context of its kind's params.
        self._handlers[kind] = handler  # type: ignore[assignment]
        if precheck is None:
            self._prechecks.pop(kind, None)
        else:
            self._prechecks[kind] = precheck

    def unregister(self, kind: TaskKind[P, R] | str) -> None:
        name = kind.name if isinstance(kind, TaskKind) else kind
        self._handlers.pop(name, None)
        self._prechecks.pop(name, None)

    def handler(self, kind: str) -> TaskHandler[BaseModel, BaseModel] | None:
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    # ------------------------------------------------------------------ start-up

    def activate(self) -> list[TaskRecord]:
        """Mark what a dead master left running as interrupted."""
        interrupted = self.store.interrupt_running()
        for task in interrupted:
            self.events.emit(TaskFinished(id=task.id, status=task.status, env=task.env))
            if task.env is not None:
                self._not_deploying(task.env)
        return interrupted

    def _not_deploying(self, env_name: str) -> None:
        """No task runs after a restart, so neither an environment nor its nodes can still
        be `deploying`; such a node stopped mid-task, so it is in error until a retry."""
        try:
            if self.store.environment(env_name).environment.status == EnvStatus.deploying:
                self.store.set_environment_status(env_name, EnvStatus.stopped)
            for record in self.store.nodes(env_name):
                if record.node.status == NodeStatus.deploying:
                    self.store.set_node_status(record.node.mac, NodeStatus.error, INTERRUPTED_NODE)
        except NotFound:
            pass  # deleted meanwhile

    # ------------------------------------------------------------------ records

    def save(self, record: TaskRecord, nodes: Mapping[str, NodeProgress] | None = None) -> None:
        """Store the record and publish its progress with `nodes`: the nodes this update
        changed (None: all of them). One node's step sent every node's progress to every
        console: at 200 nodes, 16 000 events of 21 KB each in a deploy."""
        self.store.save_task(record)
        self.events.emit(
            TaskProgress(
                id=record.id,
                kind=record.kind,
                env=record.env,
                status=record.status,
                progress=record.progress,
                message=record.message,
                nodes=dict(record.nodes if nodes is None else nodes),
            )
        )

    def write_log(self, task_id: str, mac: str | None, line: str) -> None:
        stamp = _now().strftime("%H:%M:%S")
        lines = line.splitlines() or [""]
        if mac is not None:
            self.logs.append(self.logs.node_path(mac), [f"{stamp} {text}" for text in lines])
            self.logs.append(self.logs.task_path(task_id, mac), [f"{stamp} {text}" for text in lines])
            if (task_id, mac) not in self._indexed:
                self.store.index_log(task_id, mac, self.logs.task_path(task_id, mac))
                self._indexed.add((task_id, mac))
            self.logs.append(self.logs.task_path(task_id), [f"{stamp} [{mac}] {text}" for text in lines])
        else:
            self.logs.append(self.logs.task_path(task_id), [f"{stamp} {text}" for text in lines])
        for text in lines:
            self.events.emit(TaskLog(id=task_id, mac=mac, line=text))

    # ------------------------------------------------------------------ lifecycle

    def active_for(self, env_name: str) -> TaskRecord | None:
        for _, ctx in self._running.values():
            if ctx.env_name == env_name:
                return ctx.record
        return None

    async def start(
        self, kind: str, env_name: str | None, params: Mapping[str, object], resumed_from: str | None = None
    ) -> TaskRecord:
        handler = self._handlers.get(kind)
        if handler is None:
            known = ", ".join(self.kinds()) or "none"
            raise NotFound(f"no task kind {kind!r} in this master (known: {known})", code="unknown-task-kind")
        if env_name is not None:
            self.store.environment(env_name)  # NotFound for a missing environment
            busy = self.active_for(env_name)
            if busy is not None:
                raise Busy(
                    f"environment {env_name!r} already runs task {busy.id} ({busy.kind}); stop it first",
                    code="environment-busy",
                )
        declared = TASK_KINDS.get(kind)
        request = _request(declared, params)
        if declared is not None:  # stored as validated (nothing unknown), as given
            params = request.model_dump(mode="json", exclude_unset=True)
        precheck = self._prechecks.get(kind)
        if precheck is not None and resumed_from is None:
            precheck(self.store, env_name, dict(params))
        record = TaskRecord(
            id=secrets.token_hex(6),
            kind=kind,
            env=env_name,
            params=dict(params),
            resumed_from=resumed_from,
            created=_now(),
        )
        self.store.save_task(record)
        self.events.emit(TaskCreated(id=record.id, kind=kind, env=env_name))
        ctx = TaskContext(self, record, request)
        job = asyncio.create_task(self._run(ctx, handler, declared), name=f"task-{kind}-{record.id}")
        self._running[record.id] = (job, ctx)
        job.add_done_callback(lambda done: self._cancelled_before_start(done, ctx))
        return record

    def _cancelled_before_start(self, job: asyncio.Task[None], ctx: TaskContext[BaseModel]) -> None:
        if job.cancelled() and ctx.record.status == TaskStatus.pending:
            self._running.pop(ctx.task_id, None)
            status = TaskStatus.interrupted if self._shutting_down else TaskStatus.stopped
            ctx._record = ctx.record.model_copy(update={"status": status, "finished": _now()})
            self.save(ctx.record)

    async def _run(
        self,
        ctx: TaskContext[BaseModel],
        handler: TaskHandler[BaseModel, BaseModel],
        declared: TaskKind[BaseModel, BaseModel] | None,
    ) -> None:
        ctx._record = ctx.record.model_copy(update={"status": TaskStatus.running, "started": _now()})
        self.save(ctx.record)
        status: TaskStatus = TaskStatus.done
        message: str | None = None
        result: dict[str, JsonValue] = {}
        try:
            result = _stored_result(declared, await handler(ctx))
            if ctx.stop_requested.is_set():
                status, message = TaskStatus.stopped, "stopped by the operator"
        except asyncio.CancelledError:
            if self._shutting_down:
                status, message = TaskStatus.interrupted, "the master stopped while this task ran; resume it"
            else:
                status, message = TaskStatus.stopped, "stopped by the operator (running work killed)"
        except TaskFailed as exc:
            status, message = TaskStatus.error, str(exc)
            result = _failed_result(declared, exc.result, ctx.task_id)
        except ResultMismatch as exc:
            log.error("task %s (%s): %s", ctx.task_id, ctx.kind, exc)
            status, message = TaskStatus.error, f"internal error: {exc}"
        except MasterError as exc:
            status, message = TaskStatus.error, exc.message
        except Exception as exc:
            log.exception("task %s (%s) failed", ctx.task_id, ctx.kind)
            status, message = TaskStatus.error, f"internal error: {type(exc).__name__}: {exc}"
        finally:
            self._running.pop(ctx.task_id, None)
        final = ctx.record.model_copy(
            update={
                "status": status,
                "message": ctx.record.message if message is None else message,  # the handler's last word
                "result": dict(result or {}),
                "finished": _now(),
                "progress": 100 if status == TaskStatus.done else ctx.record.progress,
            }
        )
        ctx._record = final
        self.save(final)
        if status == TaskStatus.interrupted and final.env is not None:
            self._not_deploying(final.env)
        self.events.emit(TaskFinished(id=final.id, status=status, env=final.env))

    async def stop(self, task_id: str, now: bool = False) -> TaskRecord:
        entry = self._running.get(task_id)
        if entry is None:
            record = self.store.task(task_id)  # NotFound when there is no such task
            return record
        job, ctx = entry
        ctx.stop_requested.set()
        if now:
            ctx.stop_now = True
            job.cancel()
        return ctx.record

    async def stop_env(self, env_name: str, now: bool = False) -> TaskRecord:
        self.store.environment(env_name)
        active = self.active_for(env_name)
        if active is None:
            raise NotFound(f"environment {env_name!r} runs no task", code="no-running-task")
        return await self.stop(active.id, now)

    async def resume(self, task_id: str) -> TaskRecord:
        old = self.store.task(task_id)
        if task_id in self._running or not old.status.finished:
            raise Busy(f"task {task_id} is still {old.status.value}", code="task-running")
        if old.status == TaskStatus.done:
            raise Busy(f"task {task_id} finished successfully; nothing to resume", code="task-done")
        return await self.start(old.kind, old.env, old.params, resumed_from=old.id)

    async def wait(self, task_id: str) -> None:
        entry = self._running.get(task_id)
        if entry is not None:
            await asyncio.shield(entry[0])

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel running tasks; they end `interrupted` and can be resumed by the next master."""
        self._shutting_down = True
        jobs = [job for job, _ in self._running.values()]
        for job in jobs:
            job.cancel()
        if jobs:
            await asyncio.wait(jobs, timeout=timeout)


def _request(declared: TaskKind[BaseModel, BaseModel] | None, params: Mapping[str, object]) -> BaseModel:
    """The parameters as the kind declares them; `Invalid` (422) when they do not fit."""
    if declared is None:
        return UndeclaredParams.model_validate(params)
    try:
        return declared.params.model_validate(params)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise Invalid(f"parameters of a {declared.name} task: {problems}", code="invalid-params") from None


def _stored_result(
    declared: TaskKind[BaseModel, BaseModel] | None, result: BaseModel | dict[str, object] | None
) -> dict[str, JsonValue]:
    if declared is not None and result is not None:
        return declared.check_result(result)
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    try:  # an undeclared kind's result: any JSON object
        return _JSON_OBJECT.validate_python(result or {})
    except ValidationError as exc:
        raise ResultMismatch(f"the result is not a JSON object: {exc}") from None


def _failed_result(
    declared: TaskKind[BaseModel, BaseModel] | None,
    result: BaseModel | dict[str, object] | None,
    task_id: str,
) -> dict[str, JsonValue]:
    """A failed task keeps what it reported; a result that does not fit is logged, not kept."""
    try:
        return _stored_result(declared, result)
    except ResultMismatch as exc:
        log.error("task %s: %s", task_id, exc)
        return {}
