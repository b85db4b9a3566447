"""The master's state in one SQLite file (WAL): releases, environments, nodes, tasks, logs.

Objects are stored as JSON of the core models, one row each, with a revision. A write
names the revision it was based on and is refused with `Conflict` when the row moved on,
so two consoles never overwrite each other silently. Every write that changes what a
live UI shows publishes an event on the bus after its transaction commits.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from fueltui.api.schema import BootOptionsRecord, EnvironmentRecord, NodeRecord, listed_json
from fueltui.core.model import BootOptions, Environment, Node, NodeFacts, Release, normalize_mac
from fueltui.core.releases import shipped_releases
from fueltui.master.errors import Conflict, NotFound
from fueltui.master.storetasks import TaskRows

Publish = Callable[[str, dict[str, object]], None]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, revision INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS releases (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS environments (
    name TEXT PRIMARY KEY, revision INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (
    mac TEXT PRIMARY KEY, revision INTEGER NOT NULL, data TEXT NOT NULL, last_seen TEXT);
CREATE INDEX IF NOT EXISTS nodes_ip ON nodes (json_extract(data, '$.ip'));
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, env TEXT, status TEXT NOT NULL,
    created TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_env ON tasks (env, created);
CREATE TABLE IF NOT EXISTS logs (
    task_id TEXT NOT NULL, mac TEXT NOT NULL, path TEXT NOT NULL, PRIMARY KEY (task_id, mac));
CREATE TABLE IF NOT EXISTS deployed (env TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, kind TEXT NOT NULL,
    level TEXT NOT NULL, message TEXT NOT NULL, env TEXT, mac TEXT, read INTEGER NOT NULL DEFAULT 0);
"""


def now() -> datetime:
    return datetime.now(UTC)


def _no_events(_type: str, _data: dict[str, object]) -> None:
    return None


class Store(TaskRows):
    def __init__(self, path: Path, publish: Publish | None = None) -> None:
        self.path = path
        self.publish: Publish = publish or _no_events
        self._lock = threading.RLock()
        self._node_json: dict[str, tuple[tuple[object, ...], str | None, bytes]] = {}
        if not path.exists():  # private from the start; SQLite gives -wal/-shm the same mode
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        # WAL + NORMAL: a committed transaction survives the process being killed.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._load_releases()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    # ------------------------------------------------------------------ releases

    def _load_releases(self) -> None:
        with self.transaction() as db:
            for release in shipped_releases().values():
                db.execute(
                    "INSERT OR REPLACE INTO releases (id, data) VALUES (?, ?)",
                    (release.id, release.model_dump_json()),
                )

    def releases(self) -> list[Release]:
        rows = self._rows("SELECT data FROM releases ORDER BY id")
        return [Release.model_validate_json(str(r[0])) for r in rows]

    def release(self, release_id: str) -> Release:
        rows = self._rows("SELECT data FROM releases WHERE id = ?", release_id)
        if not rows:
            raise NotFound(f"no release {release_id!r}", code="release-not-found")
        return Release.model_validate_json(str(rows[0][0]))

    # ------------------------------------------------------------------ boot options

    def boot_options(self) -> BootOptionsRecord:
        rows = self._rows("SELECT revision, data FROM meta WHERE key = 'boot_options'")
        if not rows:
            return BootOptionsRecord(options=None, revision=0)
        return BootOptionsRecord(
            options=BootOptions.model_validate_json(str(rows[0][1])), revision=rows[0][0]
        )

    def set_boot_options(self, options: BootOptions, revision: int) -> BootOptionsRecord:
        with self.transaction() as db:
            record = self._write_boot(db, options, revision)
        self.publish("master.changed", {"revision": record.revision})
        return record

    def _write_boot(self, db: sqlite3.Connection, options: BootOptions, revision: int) -> BootOptionsRecord:
        row = db.execute("SELECT revision FROM meta WHERE key = 'boot_options'").fetchone()
        current = row[0] if row else 0
        if current != revision:
            raise Conflict(
                f"the boot options were changed by someone else (revision {current}, you had {revision})",
                code="stale-revision",
            )
        db.execute(
            "INSERT OR REPLACE INTO meta (key, revision, data) VALUES ('boot_options', ?, ?)",
            (current + 1, options.model_dump_json()),
        )
        return BootOptionsRecord(options=options, revision=current + 1)

    # ------------------------------------------------------------------ environments

    def environments(self) -> list[EnvironmentRecord]:
        rows = self._rows("SELECT revision, data FROM environments ORDER BY name")
        return [_env_record(r) for r in rows]

    def environment(self, name: str) -> EnvironmentRecord:
        rows = self._rows("SELECT revision, data FROM environments WHERE name = ?", name)
        if not rows:
            raise NotFound(f"no environment {name!r}", code="environment-not-found")
        return _env_record(rows[0])

    def create_environment(self, env: Environment) -> EnvironmentRecord:
        with self.transaction() as db:
            self._insert_env(db, env)
        self.publish("env.changed", {"name": env.name, "revision": 1})
        return EnvironmentRecord(environment=env, revision=1)

    def update_environment(self, env: Environment, revision: int) -> EnvironmentRecord:
        with self.transaction() as db:
            record = self._update_env(db, env, revision)
        self.publish("env.changed", {"name": env.name, "revision": record.revision})
        return record

    def set_environment_status(self, name: str, status: str) -> EnvironmentRecord:
        """The master's own write (a task's outcome): no revision check, the revision moves on."""
        with self.transaction() as db:
            row = db.execute("SELECT revision, data FROM environments WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise NotFound(f"no environment {name!r}", code="environment-not-found")
            env = Environment.model_validate_json(row[1])
            env = Environment.model_validate({**env.model_dump(), "status": status})
            record = self._update_env(db, env, row[0])
        self.publish("env.changed", {"name": name, "revision": record.revision})
        return record

    def delete_environment(self, name: str, revision: int | None = None) -> None:
        """Delete an environment; its nodes go back to the unassigned pool, roles cleared."""
        unassigned: list[str] = []
        with self.transaction() as db:
            row = db.execute("SELECT revision FROM environments WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise NotFound(f"no environment {name!r}", code="environment-not-found")
            if revision is not None and row[0] != revision:
                raise Conflict(
                    f"environment {name!r} changed meanwhile (revision {row[0]}, you had {revision})"
                )
            db.execute("DELETE FROM environments WHERE name = ?", (name,))
            db.execute("DELETE FROM deployed WHERE env = ?", (name,))  # a new one of that name starts anew
            for mac, rev, data in db.execute("SELECT mac, revision, data FROM nodes").fetchall():
                node = Node.model_validate_json(data)
                if node.environment == name:
                    cleared: dict[str, object] = {
                        "environment": None,
                        "roles": [],
                        "interfaces": {},
                        "bonds": [],
                        "pending_deletion": False,
                    }
                    node = node.model_copy(update=cleared)
                    db.execute(
                        "UPDATE nodes SET revision = ?, data = ? WHERE mac = ?",
                        (rev + 1, node.model_dump_json(), mac),
                    )
                    unassigned.append(mac)
        self.publish("env.deleted", {"name": name})
        for mac in unassigned:
            self.publish("node.changed", {"mac": mac})

    def rename_environment(self, name: str, new_name: str, revision: int) -> EnvironmentRecord:
        """Rename an environment with everything that names it (its nodes, its tasks' history)."""
        with self.transaction() as db:
            row = db.execute("SELECT revision, data FROM environments WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise NotFound(f"no environment {name!r}", code="environment-not-found")
            if row[0] != revision:
                raise Conflict(
                    f"environment {name!r} was changed by someone else"
                    f" (revision {row[0]}, you had {revision}); reload and try again",
                    code="stale-revision",
                )
            env = Environment.model_validate_json(row[1]).model_copy(update={"name": new_name})
            db.execute("DELETE FROM environments WHERE name = ?", (name,))
            self._insert_env(db, env)
            db.execute("UPDATE environments SET revision = ? WHERE name = ?", (revision + 1, new_name))
            moved: list[str] = []
            for mac, rev, data in db.execute("SELECT mac, revision, data FROM nodes").fetchall():
                node = Node.model_validate_json(data)
                if node.environment == name:
                    node = node.model_copy(update={"environment": new_name})
                    db.execute(
                        "UPDATE nodes SET revision = ?, data = ? WHERE mac = ?",
                        (rev + 1, node.model_dump_json(), mac),
                    )
                    moved.append(mac)
            db.execute(
                "UPDATE tasks SET env = ?, data = json_set(data, '$.env', ?) WHERE env = ?",
                (new_name, new_name, name),
            )
        self.publish("env.deleted", {"name": name})
        self.publish("env.changed", {"name": new_name, "revision": revision + 1})
        for mac in moved:
            self.publish("node.changed", {"mac": mac})
        return EnvironmentRecord(environment=env, revision=revision + 1)

    def _insert_env(self, db: sqlite3.Connection, env: Environment) -> None:
        if db.execute("SELECT 1 FROM environments WHERE name = ?", (env.name,)).fetchone():
            raise Conflict(f"environment {env.name!r} already exists", code="environment-exists")
        db.execute(
            "INSERT INTO environments (name, revision, data) VALUES (?, 1, ?)",
            (env.name, env.model_dump_json()),
        )

    def _update_env(self, db: sqlite3.Connection, env: Environment, revision: int) -> EnvironmentRecord:
        row = db.execute("SELECT revision FROM environments WHERE name = ?", (env.name,)).fetchone()
        if row is None:
            raise NotFound(f"no environment {env.name!r}", code="environment-not-found")
        if row[0] != revision:
            raise Conflict(
                f"environment {env.name!r} was changed by someone else"
                f" (revision {row[0]}, you had {revision}); reload and try again",
                code="stale-revision",
            )
        db.execute(
            "UPDATE environments SET revision = ?, data = ? WHERE name = ?",
            (revision + 1, env.model_dump_json(), env.name),
        )
        return EnvironmentRecord(environment=env, revision=revision + 1)

    # ------------------------------------------------------------------ nodes

    def nodes(self, environment: str | None = None) -> list[NodeRecord]:
        records = [
            _node_record(r) for r in self._rows("SELECT revision, data, last_seen FROM nodes ORDER BY mac")
        ]
        if environment is not None:
            records = [r for r in records if r.node.environment == environment]
        return records

    def nodes_json(self, environment: str | None = None) -> bytes:
        """`GET /nodes`'s body: the JSON of `nodes()` without validating and encoding 1 000 models
        per request. Each node's encoded record is kept while its row (data, revision) stays the
        same, so only rows written since the last request are encoded again.

        `last_seen` is left out (null): discovery moves it on every poll of a node, so at 1 000
        nodes the list (and its ETag) changed ~33 times a second with nothing a console shows;
        whether a node answers is `node.online`, a write when it flips. `node()` has it."""
        with self._lock:
            rows = self._db.execute("SELECT mac, revision, data FROM nodes ORDER BY mac").fetchall()
            cache = self._node_json
            kept: dict[str, tuple[tuple[object, ...], str | None, bytes]] = {}
            parts: list[bytes] = []
            for row in rows:
                entry = cache.get(row[0])
                if entry is None or entry[0] != row:
                    record = _node_record((row[1], row[2], None))
                    entry = (row, record.node.environment, listed_json(record))
                kept[row[0]] = entry
                if environment is None or entry[1] == environment:
                    parts.append(entry[2])
            self._node_json = kept  # rows gone drop out
        return b"[" + b",".join(parts) + b"]"

    def node(self, mac: str) -> NodeRecord:
        key = _mac_key(mac)
        rows = self._rows("SELECT revision, data, last_seen FROM nodes WHERE mac = ?", key)
        if not rows:
            raise NotFound(f"no node {mac!r}", code="node-not-found")
        return _node_record(rows[0])

    def update_node(self, node: Node, revision: int) -> NodeRecord:
        with self.transaction() as db:
            record = self._update_node(db, node, revision)
        self.publish("node.changed", {"mac": node.mac, "revision": record.revision})
        return record

    def write_many(
        self,
        env: Environment | None,
        env_revision: int | None,
        nodes: list[tuple[Node, int]],
        new_nodes: list[Node] | None = None,
        boot: tuple[BootOptions, int] | None = None,
    ) -> None:
        """One transaction for an environment (created when `env_revision` is None), nodes,
        nodes not discovered yet, and the master's boot options."""
        with self.transaction() as db:
            if boot is not None:
                self._write_boot(db, *boot)
            if env is not None:
                if env_revision is None:
                    self._insert_env(db, env)
                else:
                    self._update_env(db, env, env_revision)
            for node in new_nodes or []:
                if db.execute("SELECT 1 FROM nodes WHERE mac = ?", (node.mac,)).fetchone():
                    raise Conflict(f"node {node.mac} appeared meanwhile; try again", code="stale-revision")
                db.execute(
                    "INSERT INTO nodes (mac, revision, data, last_seen) VALUES (?, 1, ?, NULL)",
                    (node.mac, node.model_dump_json()),
                )
            for node, revision in nodes:
                self._update_node(db, node, revision)
        if boot is not None:
            self.publish("master.changed", {})
        if env is not None:
            self.publish("env.changed", {"name": env.name})
        for node in new_nodes or []:
            self.publish("node.discovered", {"mac": node.mac})
        for node, _ in nodes:
            self.publish("node.changed", {"mac": node.mac})

    def _update_node(self, db: sqlite3.Connection, node: Node, revision: int) -> NodeRecord:
        row = db.execute("SELECT revision, last_seen FROM nodes WHERE mac = ?", (node.mac,)).fetchone()
        if row is None:
            raise NotFound(f"no node {node.mac!r}", code="node-not-found")
        if row[0] != revision:
            raise Conflict(
                f"node {node.mac} was changed by someone else (revision {row[0]}, you had {revision});"
                " reload and try again",
                code="stale-revision",
            )
        db.execute(
            "UPDATE nodes SET revision = ?, data = ? WHERE mac = ?",
            (revision + 1, node.model_dump_json(), node.mac),
        )
        return _node_record((revision + 1, node.model_dump_json(), row[1]))

    def _change_node(self, mac: str, change: Callable[[Node], Node]) -> NodeRecord:
        """Change a node whatever its revision (the master's own writes: discovery, tasks)."""
        key = _mac_key(mac)
        with self.transaction() as db:
            row = db.execute("SELECT revision, data, last_seen FROM nodes WHERE mac = ?", (key,)).fetchone()
            if row is None:
                raise NotFound(f"no node {mac!r}", code="node-not-found")
            before = Node.model_validate_json(row[1])
            after = change(before)
            if after == before:
                return _node_record(row)
            record = self._update_node(db, after, row[0])
        self.publish("node.changed", {"mac": key, "revision": record.revision})
        return record

    def upsert_discovered(self, mac: str, ip: str | None, facts: NodeFacts) -> NodeRecord:
        """Record what discovery found; keeps the operator's name, environment and roles."""
        key = _mac_key(mac)
        seen = now().isoformat()
        moved: list[str] = []
        with self.transaction() as db:
            if ip is not None:
                moved = self._release_address(db, ip, key)
            row = db.execute("SELECT revision, data FROM nodes WHERE mac = ?", (key,)).fetchone()
            if row is None:
                name = facts.hostname or f"node-{key[-8:].replace(':', '')}"
                node = Node(mac=key, name=name, ip=ip, online=True, facts=facts)
                revision = 1
                db.execute(
                    "INSERT INTO nodes (mac, revision, data, last_seen) VALUES (?, 1, ?, ?)",
                    (key, node.model_dump_json(), seen),
                )
            else:
                old = Node.model_validate_json(row[1])
                node = old.model_copy(update={"ip": ip or old.ip, "facts": facts, "online": True})
                revision = row[0] + (node != old)
                db.execute(
                    "UPDATE nodes SET revision = ?, data = ?, last_seen = ? WHERE mac = ?",
                    (revision, node.model_dump_json(), seen, key),
                )
        for other in moved:
            self.publish("node.changed", {"mac": other})
        if row is None or revision != row[0]:
            # A poll that found the node as it was changes nothing a console shows: no event
            # (200 nodes polled every 30 s made every console reload its node list 200 times).
            kind = "node.discovered" if row is None else "node.changed"
            self.publish(kind, {"mac": key, "revision": revision})
        return NodeRecord(node=node, revision=revision, last_seen=datetime.fromisoformat(seen))

    def _release_address(self, db: sqlite3.Connection, ip: str, holder: str) -> list[str]:
        """One address, one node: another node still recorded at `ip` (its lease was recycled)
        loses it, so nothing meant for that node is sent to the one answering there now."""
        moved: list[str] = []
        # The index on the address: discovery records a node without reading every other one
        # (it did, and a facts round cost O(nodes) per node: 4 ms a node at 200).
        rows = db.execute(
            "SELECT mac, revision, data FROM nodes WHERE json_extract(data, '$.ip') = ? AND mac != ?",
            (ip, holder),
        ).fetchall()
        for mac, rev, data in rows:
            node = Node.model_validate_json(data).model_copy(update={"ip": None, "online": False})
            db.execute(
                "UPDATE nodes SET revision = ?, data = ? WHERE mac = ?",
                (rev + 1, node.model_dump_json(), mac),
            )
            moved.append(mac)
        return moved

    def set_node_online(self, mac: str, online: bool) -> NodeRecord:
        return self._change_node(mac, lambda n: n.model_copy(update={"online": online}))

    def set_node_untrusted(self, mac: str, untrusted: bool, error: str | None = None) -> NodeRecord:
        return self._change_node(mac, lambda n: n.model_copy(update={"untrusted": untrusted, "error": error}))

    def set_node_status(self, mac: str, status: str, error: str | None = None) -> NodeRecord:
        return self._change_node(
            mac, lambda n: Node.model_validate({**n.model_dump(), "status": status, "error": error})
        )

    def delete_node(self, mac: str) -> None:
        key = _mac_key(mac)
        with self.transaction() as db:
            if db.execute("DELETE FROM nodes WHERE mac = ?", (key,)).rowcount == 0:
                raise NotFound(f"no node {mac!r}", code="node-not-found")
        self.publish("node.deleted", {"mac": key})


def _mac_key(mac: str) -> str:
    try:
        return normalize_mac(mac)
    except ValueError as exc:
        raise NotFound(str(exc), code="node-not-found") from None


def _env_record(row: tuple[object, ...]) -> EnvironmentRecord:
    return EnvironmentRecord(
        environment=Environment.model_validate_json(str(row[1])), revision=int(str(row[0]))
    )


def _node_record(row: tuple[object, ...]) -> NodeRecord:
    seen = datetime.fromisoformat(str(row[2])) if row[2] else None
    return NodeRecord(node=Node.model_validate_json(str(row[1])), revision=int(str(row[0])), last_seen=seen)
