"""Node lifecycle over the real API: pending deletion, Deploy Changes, and notifications
(uvicorn on a unix socket, a real SQLite store, the event stream)."""

from __future__ import annotations

import asyncio

import pytest

from fueltui.api.schema import TaskStatus
from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError, ConflictError, NotFoundError
from fueltui.core.model import Nic, NodeFacts
from fueltui.master.deploy.changes import record_deployed
from fueltui.master.tasks import TaskContext
from masterfixtures import RunningMaster
from polling import async_wait_until

MACS = ["52:54:00:ad:00:01", "52:54:00:ad:00:02", "52:54:00:ad:00:03"]


def discover(master: RunningMaster, count: int = 3) -> None:
    for index, mac in enumerate(MACS[:count]):
        nics = [
            Nic(name="eth0", mac=mac, pxe=True, state="up"),
            Nic(name="eth1", mac=f"52:54:00:be:00:0{index + 1}", state="up"),
        ]
        master.state.store.upsert_discovered(mac, f"10.20.0.{index + 3}", NodeFacts(nics=nics))


async def assign(client: MasterClient, mac: str, name: str, roles: list[str]) -> None:
    record = await client.node(mac)
    await client.update_node(mac, record.revision, name=name, environment="prod", roles=roles)


def mark_deployed(master: RunningMaster, macs: list[str]) -> None:
    """What a successful deploy leaves: the nodes ready, the deployed record written."""
    store = master.state.store
    for mac in macs:
        store.set_node_status(mac, "ready")
    env = store.environment("prod").environment
    members = [r.node for r in store.nodes("prod")]
    record_deployed(store, env, store.release(env.release), members, macs, whole=True)


async def test_changes_list_and_deploy_does_exactly_them(master: RunningMaster, client: MasterClient) -> None:
    await client.create_environment("prod")
    discover(master)
    seen: list[dict[str, object]] = []

    async def deploy(ctx: TaskContext) -> dict[str, object]:
        seen.append(dict(ctx.params))
        return {}

    master.state.tasks.register("deploy", deploy)
    assert (await client.changes("prod")).empty
    with pytest.raises(ConflictError) as nothing:
        await client.deploy("prod", skip_verify=True)
    assert nothing.value.code == "nothing-to-deploy"
    assert "nothing to deploy" in nothing.value.message
    await assign(client, MACS[0], "ctl", ["controller"])
    await assign(client, MACS[1], "cmp", ["compute"])
    plan = await client.changes("prod")
    assert [(c.name, c.action) for c in plan.nodes] == [("cmp", "add"), ("ctl", "add")] and plan.count == 2

    mark_deployed(master, [MACS[0], MACS[1]])
    assert (await client.changes("prod")).empty
    record = await client.node(MACS[1])
    await client.update_node(MACS[1], record.revision, roles=["compute", "cinder"])
    plan = await client.changes("prod")
    assert [(c.name, c.action, c.reason) for c in plan.nodes] == [
        ("cmp", "redeploy", "roles changed: +cinder"),
        ("ctl", "redeploy", "its configuration changed"),  # its peer's roles are in its config
    ]
    task = await client.deploy("prod", skip_verify=True)
    assert task.params == {"nodes": [MACS[1], MACS[0]], "skip_verify": True, "resume": True}

    async def done() -> bool:
        return (await client.task(task.id)).status == TaskStatus.done

    await async_wait_until(done, what="deploy done")
    forced = await client.deploy("prod", skip_verify=True, force=True)
    assert forced.params == {"nodes": None, "skip_verify": True}  # force: every node, no change list
    await async_wait_until(lambda: _done(client, forced.id), what="forced deploy done")

    # Settings changed since the last deploy: every node (a resume skips what checks out).
    env = await client.environment("prod")
    settings = env.environment.settings.model_copy(update={"ceilometer": True})
    await client.update_environment(env.model_copy(update={"environment": env.environment.model_copy(
        update={"settings": settings})}))  # fmt: skip
    plan = await client.changes("prod")
    assert plan.settings_changed and not plan.networks_changed
    again = await client.deploy("prod", skip_verify=True)
    assert again.params == {"nodes": None, "skip_verify": True, "resume": True}
    with pytest.raises(NotFoundError):
        await client.changes("nope")


async def _done(client: MasterClient, task_id: str) -> bool:
    return (await client.task(task_id)).status.finished


async def test_removing_a_deployed_node_marks_it_pending_deletion(
    master: RunningMaster, client: MasterClient
) -> None:
    await client.create_environment("prod")
    await client.create_environment("other")
    discover(master)
    await assign(client, MACS[0], "ctl", ["controller"])
    await assign(client, MACS[1], "cmp", ["compute"])
    await assign(client, MACS[2], "new", ["compute"])

    # Not deployed yet: it leaves at once.
    record = await client.node(MACS[2])
    left = await client.update_node(MACS[2], record.revision, environment=None, roles=[])
    assert left.node.environment is None and left.node.roles == [] and not left.node.pending_deletion
    mark_deployed(master, [MACS[0], MACS[1]])

    record = await client.node(MACS[1])
    pending = await client.update_node(MACS[1], record.revision, environment=None, roles=[])
    assert pending.node.pending_deletion
    assert pending.node.environment == "prod" and pending.node.roles == ["compute"]  # kept until deployed
    plan = await client.changes("prod")
    assert [(c.name, c.action) for c in plan.nodes if c.action == "remove"] == [("cmp", "remove")]
    with pytest.raises(ApiError) as refused:
        await client.update_node(MACS[1], pending.revision, roles=["compute", "cinder"])
    assert refused.value.code == "node-pending-deletion"
    with pytest.raises(ApiError) as moved:
        await client.update_node(MACS[1], pending.revision, environment="other")
    assert moved.value.code == "node-deployed" and "deploy 'prod' first" in moved.value.message
    back = await client.update_node(MACS[1], pending.revision, environment="prod")
    assert not back.node.pending_deletion and back.node.roles == ["compute"]
    assert (await client.changes("prod")).empty

    record = await client.node(MACS[1])
    await client.update_node(MACS[1], record.revision, environment=None)
    await client.delete_environment("prod")  # deleting the environment frees it anyway
    freed = (await client.node(MACS[1])).node
    assert freed.environment is None and not freed.pending_deletion


async def test_notifications_are_kept_listed_and_marked_read(
    master: RunningMaster, client: MasterClient
) -> None:
    await client.create_environment("prod")
    events: list[str] = []

    async def listen() -> None:
        async for event in client.events(after=0, reconnect=False):  # from the first: no race
            if event.type.startswith("notification."):
                events.append(f"{event.type} {event.data.get('unread')}")

    listener = asyncio.create_task(listen())
    try:
        discover(master, count=2)

        async def two() -> bool:
            return (await client.notifications()).unread == 2

        await async_wait_until(two, what="two discoveries notified")
        listing = await client.notifications()
        assert [n.message for n in listing.notifications] == [
            f"node node-{MACS[1][-8:].replace(':', '')} discovered ({MACS[1]})",
            f"node node-{MACS[0][-8:].replace(':', '')} discovered ({MACS[0]})",
        ]
        assert all(n.kind == "node.discovered" and not n.read for n in listing.notifications)

        master.state.store.set_node_online(MACS[0], False)

        async def offline() -> bool:
            notes = (await client.notifications()).notifications
            return any(n.kind == "node.offline" for n in notes)

        await async_wait_until(offline, what="offline notified")
        first = (await client.notifications()).notifications[-1]
        marked = await client.mark_notifications_read([first.id])
        assert (marked.marked, marked.unread) == (1, 2)
        with pytest.raises(NotFoundError):
            await client.mark_notifications_read([first.id, 999999])
        assert first.id not in [n.id for n in (await client.notifications()).notifications]
        assert first.id in [n.id for n in (await client.notifications(include_read=True)).notifications]

        async def deploy(ctx: TaskContext) -> dict[str, object]:
            from fueltui.master.tasks import TaskFailed

            raise TaskFailed("controller ctl failed (network)")

        master.state.tasks.register("deploy", deploy)
        discover(master, count=1)
        await assign(client, MACS[0], "ctl", ["controller"])
        await client.deploy("prod", skip_verify=True)

        async def failed() -> bool:
            notes = (await client.notifications()).notifications
            return any(n.kind == "deploy.failed" for n in notes)

        await async_wait_until(failed, what="failed deploy notified")
        note = next(n for n in (await client.notifications()).notifications if n.kind == "deploy.failed")
        assert note.level == "error" and note.env == "prod"
        assert note.message == "deploy of prod failed: controller ctl failed (network)"
        everything = await client.mark_notifications_read()
        assert everything.unread == 0 and everything.marked == 3
        assert (await client.notifications()).notifications == []

        async def streamed() -> bool:
            return "notification.read 0" in events

        await async_wait_until(streamed, what="the stream told the read count")
        assert "notification.added 1" in events and "notification.added 2" in events
    finally:
        listener.cancel()
