"""`GET /nodes`'s body comes from the store's per-node encoded JSON (kept while a node's row
stays the same): it must say exactly what the validated records say, after every kind of write."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import TypeAdapter

from fueltui.api.schema import NodeRecord
from fueltui.core.model import Environment, Mode, Nic, NodeFacts
from fueltui.master.store import Store

RECORDS = TypeAdapter(list[NodeRecord])


def _facts(mac: str, host: str) -> NodeFacts:
    return NodeFacts(nics=[Nic(name="eth0", mac=mac, pxe=True)], hostname=host)


def _same(store: Store, environment: str | None = None) -> list[dict[str, object]]:
    body = json.loads(store.nodes_json(environment=environment))
    listed = [r.model_copy(update={"last_seen": None}) for r in store.nodes(environment=environment)]
    assert body == RECORDS.dump_python(listed, mode="json", by_alias=True)  # last seen: node() only
    return body


def test_encoded_nodes_follow_every_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    assert store.nodes_json() == b"[]"
    store.create_environment(Environment(name="prod", release="x", mode=Mode.neutron_vlan))
    macs = [f"52:54:00:aa:00:0{i}" for i in range(1, 4)]
    for i, mac in enumerate(macs):
        store.upsert_discovered(mac, f"10.20.0.{i + 3}", _facts(mac, f"srv{i}"))
    assert [n["node"]["mac"] for n in _same(store)] == macs  # type: ignore[index]
    record = store.node(macs[0])
    store.update_node(
        record.node.model_copy(update={"name": "ctrl-1", "environment": "prod"}), record.revision
    )
    assert [n["node"]["name"] for n in _same(store, "prod")] == ["ctrl-1"]  # type: ignore[index]
    assert _same(store, "other") == []
    store.upsert_discovered(macs[1], "10.20.0.99", _facts(macs[1], "srv1"))  # rediscovered: new ip, last seen
    assert _same(store)[1]["node"]["ip"] == "10.20.0.99"  # type: ignore[index]
    store.delete_node(macs[2])
    assert [n["node"]["mac"] for n in _same(store)] == macs[:2]  # type: ignore[index]
    store.close()
    again = Store(tmp_path / "db")  # a new master starts with no encoded node
    assert len(_same(again)) == 2
