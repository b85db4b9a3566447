"""The task and log-index rows of the master's store (a part of `Store`)."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.master.errors import NotFound

INTERRUPTED_LINE = "interrupted: the master stopped while this node worked on it"


class TaskRows:
    """Tasks are written by the master alone (no revisions): the task manager owns them."""

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _rows(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        raise NotImplementedError

    def save_task(self, task: TaskRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO tasks (id, kind, env, status, created, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    task.id,
                    task.kind,
                    task.env,
                    task.status.value,
                    task.created.isoformat(),
                    task.model_dump_json(),
                ),
            )

    def task(self, task_id: str) -> TaskRecord:
        rows = self._rows("SELECT data FROM tasks WHERE id = ?", task_id)
        if not rows:
            raise NotFound(f"no task {task_id!r}", code="task-not-found")
        return TaskRecord.model_validate_json(str(rows[0][0]))

    def tasks(self, env: str | None = None) -> list[TaskRecord]:
        if env is None:
            rows = self._rows("SELECT data FROM tasks ORDER BY created, id")
        else:
            rows = self._rows("SELECT data FROM tasks WHERE env = ? ORDER BY created, id", env)
        return [TaskRecord.model_validate_json(str(r[0])) for r in rows]

    def interrupt_running(self) -> list[TaskRecord]:
        """At start-up: tasks a previous master left pending or running did not finish."""
        stamp = datetime.now(UTC)
        changed = []
        with self.transaction() as db:
            for (data,) in db.execute(
                "SELECT data FROM tasks WHERE status IN ('pending', 'running')"
            ).fetchall():
                task = TaskRecord.model_validate_json(data)
                # Its nodes' lines stop too: none of them is still working for this task.
                nodes = {
                    mac: line.model_copy(update={"status": "interrupted", "message": INTERRUPTED_LINE})
                    if line.status in ("pending", "deploying")
                    else line
                    for mac, line in task.nodes.items()
                }
                task = task.model_copy(
                    update={
                        "status": TaskStatus.interrupted,
                        "finished": stamp,
                        "message": "the master stopped while this task ran; resume it to continue",
                        "nodes": nodes,
                    }
                )
                db.execute(
                    "UPDATE tasks SET status = ?, data = ? WHERE id = ?",
                    (task.status.value, task.model_dump_json(), task.id),
                )
                changed.append(task)
        return changed

    # ------------------------------------------------------------------ log index

    def index_log(self, task_id: str, mac: str, path: Path) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO logs (task_id, mac, path) VALUES (?, ?, ?)", (task_id, mac, str(path))
            )

    def task_log_macs(self, task_id: str) -> list[str]:
        return [str(r[0]) for r in self._rows("SELECT mac FROM logs WHERE task_id = ? ORDER BY mac", task_id)]
