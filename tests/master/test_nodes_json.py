"""`GET /nodes`'s body comes from the store's per-node encoded JSON (kept while a node's row
stays the same): it must say exactly what the validated records say, after every kind of write."""

from __future__ import annotations

import json
import typing
from pathlib import Path

from pydantic import BaseModel, TypeAdapter, ValidationError

from fueltui.api.schema import NodeRecord, listed_json
from fueltui.core.model import Bond, Disk, DiskAllocation, Environment, Mode, Nic, Node, NodeFacts, SystemInfo
from fueltui.master.store import Store

RECORDS = TypeAdapter(list[NodeRecord])


def _facts(mac: str, host: str) -> NodeFacts:
    return NodeFacts(nics=[Nic(name="eth0", mac=mac, pxe=True)], hostname=host)


def _same(store: Store, environment: str | None = None) -> list[dict[str, object]]:
    raw = store.nodes_json(environment=environment)
    body = json.loads(raw)
    listed = [r.model_copy(update={"last_seen": None}) for r in store.nodes(environment=environment)]
    assert RECORDS.validate_json(raw) == listed  # last seen: node() only
    assert body == RECORDS.dump_python(listed, mode="json", by_alias=True, exclude_none=True)
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


def _models(model: type[BaseModel], found: set[type[BaseModel]]) -> set[type[BaseModel]]:
    """`model` and every model its fields hold, however nested (lists, dicts, unions)."""
    found.add(model)
    todo: list[object] = [field.annotation for field in model.model_fields.values()]
    while todo:
        kind = todo.pop()
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            if kind not in found:
                _models(kind, found)
        else:
            todo.extend(typing.get_args(kind))
    return found


def test_every_field_that_can_be_null_defaults_to_null() -> None:
    """The list leaves nulls out (`listed_json`): a field that took null but defaulted to something
    else would read back as that something else."""
    models = _models(NodeRecord, set())
    assert {Node, NodeFacts, Nic, Disk, SystemInfo, Bond, DiskAllocation} <= models
    for model in models:
        for name, field in model.model_fields.items():
            assert field.annotation is not None, f"{model.__name__}.{name}"
            try:
                TypeAdapter(field.annotation).validate_python(None)
            except ValidationError:
                continue  # cannot be null
            assert field.default is None and field.default_factory is None, f"{model.__name__}.{name}"


def test_a_record_with_every_field_set_reads_back_the_same() -> None:
    mac = "52:54:00:aa:00:09"
    node = Node(
        mac=mac,
        name="full",
        ip="10.20.0.9",
        online=True,
        error="",
        environment="prod",
        facts=NodeFacts(
            nics=[Nic(name="eth0", mac=mac, pxe=True, speed_mbps=0, driver="")],
            disks=[Disk(name="sda", model="", rotational=False, by_path="")],
            system=SystemInfo(manufacturer="", product="x", serial=None),
            os="",
            hostname="",
            can_vlan=False,
            can_bond=True,
        ),
        bonds=[Bond(name="bond0", slaves=["eth0"], lacp_rate="fast", xmit_hash_policy="layer2", mtu=0)],
        disks=[DiskAllocation(disk="sda", volumes={"os": 0})],
    )
    bare = Node(mac=mac, name="bare")
    for record in (NodeRecord(node=node, revision=0), NodeRecord(node=bare, revision=1)):
        encoded = listed_json(record)
        assert b"null" not in encoded and NodeRecord.model_validate_json(encoded) == record
    assert NodeRecord.model_validate_json(listed_json(NodeRecord(node=node, revision=0))).node.disks == [
        DiskAllocation(disk="sda", volumes={"os": 0})
    ]
