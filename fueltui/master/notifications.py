"""The master's notifications: a list in SQLite (table `notifications`), read or unread.

`Notifier` writes them from what the store publishes, so the parts that act (discovery, tasks) need not
know about them: a node discovered or gone offline, a deploy, verification or health check
finished. Each one added is published as `notification.added` with the unread count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fueltui.api.events import AnyEvent
from fueltui.api.notifications import Level, MarkedRead, Notification, NotificationList
from fueltui.api.tasks import HEALTH
from fueltui.master.errors import NotFound
from fueltui.master.events import EventBus
from fueltui.master.store import Store, now

log = logging.getLogger(__name__)

KEEP = 1000  # the oldest go beyond this many
LIST_LIMIT = 200
TASK_WORDS = {
    "deploy": "deploy",
    "verify": "network verification",
    "health": "health check",
    "provision": "provisioning",
}


class Notifications:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self, kind: str, message: str, level: Level = "info", env: str | None = None, mac: str | None = None
    ) -> Notification:
        created = now()
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO notifications (created, kind, level, message, env, mac)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (created.isoformat(), kind, level, message[:500], env, mac),
            )
            ident = int(cursor.lastrowid or 0)
            db.execute("DELETE FROM notifications WHERE id <= ?", (ident - KEEP,))
        note = Notification(
            id=ident, created=created, kind=kind, level=level, message=message[:500], env=env, mac=mac
        )
        self.store.publish("notification.added", {"id": ident, "kind": kind, "unread": self.unread()})
        return note

    def unread(self) -> int:
        with self.store.transaction() as db:
            return int(db.execute("SELECT COUNT(*) FROM notifications WHERE read = 0").fetchone()[0])

    def listing(self, include_read: bool = False, limit: int = LIST_LIMIT) -> NotificationList:
        where = "" if include_read else "WHERE read = 0"
        with self.store.transaction() as db:
            rows = db.execute(
                "SELECT id, created, kind, level, message, env, mac, read FROM notifications "
                f"{where} ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        notes = [
            Notification(
                id=r[0],
                created=r[1],
                kind=r[2],
                level=r[3],
                message=r[4],
                env=r[5],
                mac=r[6],
                read=bool(r[7]),
            )
            for r in rows
        ]
        return NotificationList(notifications=notes, unread=self.unread())

    def mark_read(self, ids: list[int] | None) -> MarkedRead:
        with self.store.transaction() as db:
            if ids is None:
                marked = db.execute("UPDATE notifications SET read = 1 WHERE read = 0").rowcount
            else:
                wanted = sorted(set(ids))
                known = {
                    r[0]
                    for chunk in _chunks(wanted)
                    for r in db.execute(
                        f"SELECT id FROM notifications WHERE id IN ({','.join('?' * len(chunk))})", chunk
                    ).fetchall()
                }
                missing = [i for i in wanted if i not in known]
                if missing:
                    raise NotFound(
                        f"no notification {', '.join(map(str, missing[:10]))}", code="notification-not-found"
                    )
                marked = 0
                for chunk in _chunks(wanted):
                    marks = ",".join("?" * len(chunk))
                    sql = f"UPDATE notifications SET read = 1 WHERE read = 0 AND id IN ({marks})"
                    marked += db.execute(sql, chunk).rowcount
        unread = self.unread()
        if marked:
            self.store.publish("notification.read", {"unread": unread})
        return MarkedRead(marked=marked, unread=unread)


def _chunks(values: list[int], size: int = 500) -> list[list[int]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


class Notifier:
    """Turns what the master publishes into notifications. It hooks the bus's `emit`, the one
    door every event goes through (the store's publishes and the task manager's typed events
    alike), rather than reading the bus: it is part of the master, not one of the bus's
    readers, and sees every event whether or not a client listens."""

    def __init__(self, store: Store, bus: EventBus) -> None:
        self.notes = Notifications(store)
        self.store = store
        self.bus = bus
        self.online: dict[str, bool] = {}
        self._saved: Callable[[AnyEvent], None] | None = None

    def start(self) -> None:
        self.online = {r.node.mac: r.node.online for r in self.store.nodes()}
        self._saved = forward = self.bus.emit

        def emit(message: AnyEvent) -> None:
            forward(message)
            if message.type.startswith("notification."):
                return
            try:
                self.handle(message.type, dict(message.data))
            except Exception:  # a lost notification must not fail the write that caused it
                log.exception("notification for %s", message.type)

        self.bus.emit = emit  # type: ignore[method-assign]

    def stop(self) -> None:
        if self._saved is not None:
            self.bus.emit = self._saved  # type: ignore[method-assign,assignment]
            self._saved = None

    def handle(self, kind: str, data: dict[str, object]) -> None:
        if kind == "node.discovered":
            self._discovered(str(data.get("mac")))
        elif kind == "node.changed":
            self._changed(str(data.get("mac")))
        elif kind == "node.deleted":
            self.online.pop(str(data.get("mac")), None)
        elif kind == "task.finished":
            self._task_finished(str(data.get("id")))

    def _discovered(self, mac: str) -> None:
        node = self.store.node(mac).node
        self.online[mac] = node.online
        if node.online:  # an answers file declares nodes before they boot: not a discovery
            self.notes.add("node.discovered", f"node {node.name} discovered ({mac})", mac=mac)

    def _changed(self, mac: str) -> None:
        try:
            node = self.store.node(mac).node
        except NotFound:
            return
        before = self.online.get(mac)
        self.online[mac] = node.online
        if before and not node.online:
            self.notes.add("node.offline", f"node {node.name} went offline", "warning", node.environment, mac)

    def _task_finished(self, task_id: str) -> None:
        try:
            task = self.store.task(task_id)
        except NotFound:
            return
        what = TASK_WORDS.get(task.kind)
        if what is None:
            return
        where = f" of {task.env}" if task.env else ""
        status = task.status.value
        if status == "done":
            level: Level = "info"
            text = f"{what}{where} done"
            if task.kind == "health":
                text += f": {HEALTH.result_of(task).passed} passed"
        elif status in ("stopped", "interrupted"):
            level, text = "warning", f"{what}{where} {status}"
        else:
            level, text = "error", f"{what}{where} failed" + (f": {task.message}" if task.message else "")
        result = "done" if status == "done" else ("stopped" if level == "warning" else "failed")
        self.notes.add(f"{task.kind}.{result}", text, level, task.env)
