"""Settings, the admin password, rename and node details against a real master (uvicorn on a
unix socket) through MasterClient: revisions (409 when stale), locks after a deploy (409),
bad values (422), and the files that follow an environment's name."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest

from fueltui.api.schema import NodeProgress, TaskRecord, TaskStatus
from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError, ConflictError
from fueltui.core.model import EnvStatus, Nic, NodeFacts
from fueltui.master.deploy.payload import secrets_path
from masterfixtures import RunningMaster

MACS = ["52:54:00:aa:00:01", "52:54:00:aa:00:02"]


def discover(master: RunningMaster) -> None:
    for index, mac in enumerate(MACS):
        nics = [
            Nic(name="eth0", mac=mac, pxe=True, state="up", speed_mbps=1000, driver="virtio_net"),
            Nic(name="eth1", mac=f"52:54:00:bb:00:0{index + 1}", state="down"),
        ]
        master.state.store.upsert_discovered(mac, f"10.20.0.{index + 3}", NodeFacts(nics=nics))


async def test_settings_read_change_and_stale_revision(client: MasterClient) -> None:
    created = await client.create_environment("prod")
    record = await client.settings("prod")
    assert record.revision == created.revision and not record.deployed and record.findings == []
    assert [g.id for g in record.groups] == ["access", "storage", "additional_components", "common"]
    ceph = record.field("storage.volumes_ceph")
    assert ceph is not None and ceph.value is False and ceph.restricted and "Ceph" in ceph.restricted

    changed = await client.update_settings(
        "prod", {"common.debug": "yes", "common.syslog": "10.20.0.9:514"}, 1
    )
    assert changed.revision == 2
    field = changed.field("common.debug")
    assert field is not None and field.value is True
    env = (await client.environment("prod")).environment
    assert env.settings.common.debug and env.settings.common.syslog == "10.20.0.9:514"

    with pytest.raises(ConflictError) as stale:
        await client.update_settings("prod", {"common.debug": False}, 1)
    assert stale.value.code == "stale-revision"
    assert (await client.environment("prod")).environment.settings.common.debug  # nothing lost


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"common.debug": "maybe"}, "setting-type"),
        ({"common.nope": "1"}, "setting-unknown"),
        ({"storage.volumes_ceph": True}, "settings-invalid"),
        ({"common.syslog": "10.20.0.9:99999"}, "settings-invalid"),
        ({"access.user": "nova"}, "settings-invalid"),
    ],
)
async def test_bad_settings_are_refused_and_change_nothing(
    client: MasterClient, changes: dict[str, object], code: str
) -> None:
    await client.create_environment("prod")
    with pytest.raises(ApiError) as refused:
        await client.update_settings("prod", changes, 1)  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.code) == (422, code)
    assert refused.value.message
    record = await client.environment("prod")
    assert (
        record.revision == 1
        and record.environment.settings.model_dump() == type(record.environment.settings)().model_dump()
    )


async def test_locked_settings_after_a_deploy(master: RunningMaster, client: MasterClient) -> None:
    await client.create_environment("prod")
    master.state.store.set_environment_status("prod", EnvStatus.operational.value)
    record = await client.settings("prod")
    assert record.deployed
    user = record.field("access.user")
    debug = record.field("common.debug")
    assert user is not None and user.locked and debug is not None and not debug.locked
    with pytest.raises(ConflictError) as locked:
        await client.update_settings("prod", {"access.user": "ops"}, record.revision)
    assert locked.value.code == "setting-locked" and locked.value.findings
    assert locked.value.findings[0].path == "environment.settings.access.user"
    ok = await client.update_settings("prod", {"common.debug": True}, record.revision)
    assert ok.revision == record.revision + 1
    # The whole-environment write cannot go around the lock either.
    full = await client.environment("prod")
    env = full.environment.model_copy(deep=True)
    env.settings.access.tenant = "ops"
    with pytest.raises(ConflictError) as around:
        await client.update_environment(full.model_copy(update={"environment": env}))
    assert around.value.code == "setting-locked"


async def test_admin_password_on_request_private_and_kept(
    master: RunningMaster, client: MasterClient
) -> None:
    await client.create_environment("prod")
    first = await client.admin_password("prod")
    assert first.user == "admin" and len(first.password) == 32 and first.password != "admin"
    path = secrets_path(master.base, "prod")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert (await client.admin_password("prod")).password == first.password
    assert first.password not in await client.export("prod")
    assert first.password not in (await client.settings("prod")).model_dump_json()
    await client.delete_environment("prod")
    assert not path.exists()  # a new environment of that name gets a new password
    await client.create_environment("prod")
    assert (await client.admin_password("prod")).password != first.password


async def test_rename_moves_nodes_tasks_and_secrets(master: RunningMaster, client: MasterClient) -> None:
    discover(master)
    created = await client.create_environment("prod")
    node = await client.node(MACS[0])
    await client.update_node(MACS[0], node.revision, environment="prod", roles=["controller"])
    password = (await client.admin_password("prod")).password
    master.state.store.save_task(
        TaskRecord(id="t-1", kind="deploy", env="prod", created=datetime.now(UTC), status=TaskStatus.done)
    )
    with pytest.raises(ConflictError) as stale:
        await client.rename_environment("prod", "staging", created.revision - 1)
    assert stale.value.code == "stale-revision"
    await client.create_environment("other")
    with pytest.raises(ConflictError) as taken:
        await client.rename_environment("prod", "other", created.revision)
    assert taken.value.code == "environment-exists"
    with pytest.raises(ApiError) as bad:
        await client.rename_environment("prod", "../x", created.revision)
    assert (bad.value.status, bad.value.code) == (422, "invalid-name")

    renamed = await client.rename_environment("prod", "staging", created.revision)
    assert renamed.environment.name == "staging" and renamed.revision == created.revision + 1
    names = [r.environment.name for r in await client.environments()]
    assert names == ["other", "staging"]
    moved = (await client.node(MACS[0])).node
    assert moved.environment == "staging" and moved.roles == ["controller"]
    assert [t.id for t in await client.tasks("staging")] == ["t-1"]
    assert (await client.task("t-1")).env == "staging"
    assert (await client.admin_password("staging")).password == password
    assert not secrets_path(master.base, "prod").exists()


async def test_node_details_addresses_and_history(master: RunningMaster, client: MasterClient) -> None:
    discover(master)
    await client.create_environment("prod")
    for mac in MACS:
        node = await client.node(mac)
        await client.update_node(mac, node.revision, environment="prod", roles=["controller"])
    master.state.store.save_task(
        TaskRecord(
            id="t-9",
            kind="deploy",
            env="prod",
            created=datetime.now(UTC),
            status=TaskStatus.error,
            nodes={MACS[0]: NodeProgress(status="error", progress=40, message="apt failed")},
        )
    )
    details = await client.node_details(MACS[0].upper())
    assert details.record.node.mac == MACS[0]
    assert details.record.node.facts.nics[0].speed_mbps == 1000
    assert set(details.addresses) >= {"fuelweb_admin", "management", "storage", "public"}
    other = await client.node_details(MACS[1])
    assert details.addresses["management"] != other.addresses["management"]
    assert [(h.task_id, h.node_status, h.message) for h in details.history] == [
        ("t-9", "error", "apt failed")
    ]
    assert other.history == []
