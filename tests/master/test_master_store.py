"""The store on a real SQLite file: revisions, stale writes, discovery upserts, tasks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.core.model import Environment, EnvStatus, Mode, Nic, NodeFacts
from fueltui.master.errors import Conflict, NotFound
from fueltui.master.store import Store

MAC = "52:54:00:AA:00:01"


def _env(name: str = "prod") -> Environment:
    return Environment(name=name, release="x", mode=Mode.neutron_vlan)


def _facts() -> NodeFacts:
    return NodeFacts(nics=[Nic(name="eth0", mac=MAC, pxe=True)], hostname="srv1")


def test_stale_revision_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    rec = store.create_environment(_env())
    assert rec.revision == 1
    first = store.update_environment(_env().model_copy(update={"status": EnvStatus.deploying}), 1)
    assert first.revision == 2
    with pytest.raises(Conflict) as err:
        store.update_environment(_env().model_copy(update={"status": EnvStatus.error}), 1)
    assert err.value.code == "stale-revision"
    assert store.environment("prod").environment.status == "deploying"
    with pytest.raises(Conflict):
        store.create_environment(_env())


def test_state_survives_reopening(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    store.create_environment(_env())
    store.upsert_discovered(MAC, "10.20.0.3", _facts())
    store.close()
    again = Store(tmp_path / "db")
    assert [e.environment.name for e in again.environments()] == ["prod"]
    assert again.node(MAC).node.ip == "10.20.0.3"


def test_discovery_upsert_keeps_the_operators_choices(tmp_path: Path) -> None:
    events: list[tuple[str, dict[str, object]]] = []
    store = Store(tmp_path / "db", publish=lambda t, d: events.append((t, d)))
    store.create_environment(_env())
    rec = store.upsert_discovered(MAC, "10.20.0.3", _facts())
    assert rec.node.mac == MAC.lower() and rec.node.name == "srv1" and rec.node.online
    node = rec.node.model_copy(update={"name": "ctrl-1", "environment": "prod", "roles": ["controller"]})
    rec = store.update_node(node, rec.revision)
    rec2 = store.upsert_discovered(MAC, "10.20.0.4", _facts())
    assert (rec2.node.name, rec2.node.environment, rec2.node.roles) == ("ctrl-1", "prod", ["controller"])
    assert rec2.node.ip == "10.20.0.4" and rec2.revision == rec.revision + 1
    assert store.set_node_online(MAC, False).node.online is False
    assert store.set_node_untrusted(MAC, True, "host key changed").node.untrusted
    assert [t for t, _ in events][:3] == ["env.changed", "node.discovered", "node.changed"]
    store.delete_environment("prod")
    assert store.node(MAC).node.environment is None and store.node(MAC).node.roles == []
    with pytest.raises(NotFound):
        store.node("not-a-mac")


def test_a_recycled_address_moves_to_the_node_answering_there_and_only_that_one(tmp_path: Path) -> None:
    events: list[tuple[str, dict[str, object]]] = []
    store = Store(tmp_path / "db", publish=lambda t, d: events.append((t, d)))
    macs = [f"52:54:00:aa:01:{i:02x}" for i in range(30)]

    def facts(mac: str) -> NodeFacts:
        return NodeFacts(nics=[Nic(name="eth0", mac=mac, pxe=True)])

    for i, mac in enumerate(macs):
        store.upsert_discovered(mac, f"10.20.0.{10 + i}", facts(mac))
    before = {r.node.mac: r.revision for r in store.nodes()}
    events.clear()
    newcomer = "52:54:00:aa:02:01"
    store.upsert_discovered(newcomer, "10.20.0.15", facts(newcomer))
    old = store.node(macs[5])
    assert (old.node.ip, old.node.online, old.revision) == (None, False, before[macs[5]] + 1)
    assert [r.node.mac for r in store.nodes() if r.node.ip == "10.20.0.15"] == [newcomer]
    unchanged = {r.node.mac: r.revision for r in store.nodes() if r.node.mac not in (macs[5], newcomer)}
    assert unchanged == {m: rev for m, rev in before.items() if m != macs[5]}
    assert events == [
        ("node.changed", {"mac": macs[5]}),
        ("node.discovered", {"mac": newcomer, "revision": 1}),
    ]
    # A poll that finds a node as it was: no new revision, no event (consoles reload on events).
    events.clear()
    assert store.upsert_discovered(newcomer, "10.20.0.15", facts(newcomer)).revision == 1
    assert events == []


def test_running_tasks_become_interrupted(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    stamp = datetime.now(UTC)
    store.save_task(TaskRecord(id="t1", kind="deploy", status=TaskStatus.running, created=stamp))
    store.save_task(TaskRecord(id="t2", kind="deploy", status=TaskStatus.done, created=stamp))
    changed = store.interrupt_running()
    assert [t.id for t in changed] == ["t1"]
    assert store.task("t1").status == TaskStatus.interrupted
    assert store.task("t2").status == TaskStatus.done
