"""The API against a real master (uvicorn on a temporary unix socket) through MasterClient."""

from __future__ import annotations

import asyncio
import os
import stat
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable

import httpx
import pytest

from fueltui.api.schema import TaskStatus
from fueltui.api.tasks import DeployParams, DeployResult
from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError, ConflictError, NotFoundError
from fueltui.core.model import EnvStatus, Nic, NodeFacts
from fueltui.master.tasks import TaskContext
from masterfixtures import RunningMaster
from polling import async_wait_until

MACS = ["52:54:00:aa:00:01", "52:54:00:aa:00:02", "52:54:00:aa:00:03"]


def discover(master: RunningMaster, count: int = 3) -> None:
    for index, mac in enumerate(MACS[:count]):
        nics = [
            Nic(name="eth0", mac=mac, pxe=True, state="up"),
            Nic(name="eth1", mac=f"52:54:00:bb:00:0{index + 1}", state="up"),
            Nic(name="eth2", mac=f"52:54:00:cc:00:0{index + 1}", state="up"),
        ]
        master.state.store.upsert_discovered(mac, f"10.20.0.{index + 3}", NodeFacts(nics=nics))


async def test_socket_is_private_and_status_answers(master: RunningMaster, client: MasterClient) -> None:
    assert stat.S_IMODE(os.stat(master.socket).st_mode) == 0o600
    status = await client.status()
    assert status.pid == os.getpid() and status.state_dir == str(master.base)
    releases = await client.releases()
    assert releases and (await client.release(releases[0].id)).id == releases[0].id
    document = (await client.http.get("/api/v1/openapi.json")).json()
    assert "/api/v1/environments/{name}" in document["paths"]


async def test_environment_lifecycle_and_errors(client: MasterClient) -> None:
    record = await client.create_environment("prod", mode="neutron-vlan")
    assert record.revision == 1 and "private" in record.environment.networks
    with pytest.raises(ConflictError) as taken:
        await client.create_environment("prod")
    assert taken.value.code == "environment-exists"
    with pytest.raises(ApiError) as bad:
        await client.create_environment("../etc")
    assert (bad.value.status, bad.value.code) == (422, "invalid-name")
    with pytest.raises(NotFoundError):
        await client.environment("nope")
    env = record.environment.model_copy(update={"settings": record.environment.settings.model_copy()})
    env.settings.ceilometer = True
    updated = await client.update_environment(record.model_copy(update={"environment": env}))
    assert updated.revision == 2 and (await client.environment("prod")).environment.settings.ceilometer
    assert [e.environment.name for e in await client.environments()] == ["prod"]
    assert isinstance(await client.findings("prod"), list)
    await client.delete_environment("prod", revision=2)
    assert await client.environments() == []
    raw = await client.http.post("/api/v1/environments", content=b"{not json")
    assert raw.status_code == 422 and raw.json()["code"] == "invalid-request"


async def test_two_consoles_racing_on_one_environment(master: RunningMaster, client: MasterClient) -> None:
    other = await MasterClient.connect(master.base, autostart=False)
    try:
        await client.create_environment("race")
        first, second = await client.environment("race"), await other.environment("race")
        mine = first.model_copy(deep=True)
        mine.environment.settings.ceilometer = True
        theirs = second.model_copy(deep=True)
        theirs.environment.settings.assign_public_to_all_nodes = True
        results = await asyncio.gather(
            client.update_environment(mine), other.update_environment(theirs), return_exceptions=True
        )
        conflicts = [r for r in results if isinstance(r, ConflictError)]
        assert len(conflicts) == 1 and conflicts[0].code == "stale-revision"
        stored = (await client.environment("race")).environment.settings
        assert stored.ceilometer != stored.assign_public_to_all_nodes  # exactly one write landed
    finally:
        await other.close()


async def test_nodes_assignment_roles_and_stale_writes(master: RunningMaster, client: MasterClient) -> None:
    discover(master)
    await client.create_environment("prod")
    nodes = await client.nodes()
    assert [n.node.mac for n in nodes] == MACS and all(n.node.online for n in nodes)
    first = nodes[0]
    with pytest.raises(ApiError) as no_env:
        await client.update_node(first.node.mac, first.revision, roles=["controller"])
    assert no_env.value.code == "roles-need-environment"
    assigned = await client.update_node(
        first.node.mac.upper(), first.revision, name="ctrl-1", environment="prod", roles=["controller"]
    )
    assert (assigned.node.name, assigned.node.environment, assigned.node.roles) == (
        "ctrl-1",
        "prod",
        ["controller"],
    )
    with pytest.raises(ConflictError):
        await client.update_node(first.node.mac, first.revision, name="late")
    with pytest.raises(ApiError) as role:
        await client.update_node(first.node.mac, assigned.revision, roles=["wizard"])
    assert role.value.code == "unknown-role"
    with pytest.raises(ApiError) as nic:
        await client.update_node(first.node.mac, assigned.revision, interfaces={"eth9": ["public"]})
    assert nic.value.code == "unknown-nic"
    mapped = await client.update_node(first.node.mac, assigned.revision, interfaces={"eth1": ["management"]})
    assert mapped.node.interfaces == {"eth1": ["management"]}
    assert [n.node.mac for n in await client.nodes(environment="prod")] == [first.node.mac]
    unassigned = await client.update_node(first.node.mac, mapped.revision, environment=None)
    assert unassigned.node.environment is None and unassigned.node.roles == []
    await client.delete_node(MACS[2])
    with pytest.raises(NotFoundError):
        await client.node(MACS[2])


ANSWERS = """\
environment:
  name: lab
  mode: neutron-vlan
  networks:
    public:
      cidr: 172.16.0.0/24
      gateway: 172.16.0.1
nodes:
  - mac: 52:54:00:aa:00:01
    name: ctrl-1
    roles: [controller]
  - mac: 52:54:00:aa:00:02
    name: comp-1
    roles: [compute]
"""


async def test_apply_export_round_trip(master: RunningMaster, client: MasterClient) -> None:
    discover(master)
    result = await client.apply(ANSWERS, source="lab.yaml")
    assert result.created and result.environment == "lab"
    assert any("ctrl-1" in change for change in result.changes)
    nodes = {n.node.name: n.node for n in await client.nodes(environment="lab")}
    assert nodes["ctrl-1"].roles == ["controller"] and nodes["comp-1"].roles == ["compute"]
    exported = await client.export("lab")
    assert "ctrl-1" in exported and "neutron-vlan" in exported
    before = [(n.node.mac, n.revision) for n in await client.nodes()]
    env_revision = (await client.environment("lab")).revision
    again = await client.apply(exported, source="export.yaml")
    assert again.changes == [] and not again.created
    assert (await client.environment("lab")).revision == env_revision
    assert [(n.node.mac, n.revision) for n in await client.nodes()] == before
    assert await client.export("lab") == exported


async def test_apply_with_errors_changes_nothing(master: RunningMaster, client: MasterClient) -> None:
    discover(master, count=1)
    with pytest.raises(ApiError) as refused:
        await client.apply(ANSWERS, source="lab.yaml")  # comp-1 was never discovered
    assert refused.value.status == 422 and refused.value.code == "answers-have-errors"
    errors = [f for f in refused.value.findings if f.severity == "error"]
    assert [f.code for f in errors] == ["node-unknown"]
    assert "nodes[1].mac" in errors[0].path
    assert await client.environments() == []
    assert (await client.node(MACS[0])).node.environment is None
    with pytest.raises(ApiError) as shape:
        await client.apply("environment:\n  name: x\n  colour: blue\n", source="bad.yaml")
    assert shape.value.code == "answers-invalid" and "bad.yaml:3" in shape.value.message


async def test_tasks_logs_follow_and_events(master: RunningMaster, client: MasterClient) -> None:
    discover(master, count=1)
    await client.create_environment("prod")
    gate = threading.Event()  # the handler runs on the master's own thread and loop

    async def handler(ctx: TaskContext) -> dict[str, object]:
        await ctx.set_node(MACS[0], status="deploying", progress=10, task="netconfig")
        await ctx.log(MACS[0], "first line")
        await ctx.set_progress(40, "half")
        while not gate.is_set():
            await _tick(ctx)
        await ctx.log(MACS[0], "second line")
        return {"ok": True}

    master.state.tasks.register("api-test", handler)
    events: list[str] = []

    async def collect() -> None:
        async for event in client.events(reconnect=False):
            events.append(event.type)
            if event.type == "task.finished":
                return

    collector = asyncio.create_task(collect())
    await async_wait_until(_subscribers(master, 1), what="event subscriber")
    task = await client.start_task("api-test", "prod", {"n": 1})
    with pytest.raises(ConflictError) as busy:
        await client.start_task("api-test", "prod")
    assert busy.value.code == "environment-busy"

    async def progressed() -> bool:
        return (await client.task(task.id)).progress == 40

    await async_wait_until(progressed, what="task progress 40")
    chunk = await client.node_log(MACS[0])
    assert [e.split(" ", 1)[1] for e in chunk.entries] == ["first line"] and not chunk.has_more
    follower = client.follow_node_log(MACS[0], offset=chunk.end)
    next_line = asyncio.ensure_future(follower.__anext__())
    await async_wait_until(_subscribers(master, 2), what="log follower subscribed")
    gate.set()
    line = await asyncio.wait_for(next_line, 10)
    assert isinstance(follower, AsyncGenerator)  # closing it ends the stream now
    await follower.aclose()
    assert line.endswith("second line")
    await asyncio.wait_for(collector, 10)
    assert events[0] == "task.created" and "task.log" in events and events[-1] == "task.finished"
    done = await client.task(task.id)
    assert (
        done.status == TaskStatus.done
        and done.result == {"ok": True}
        and done.nodes[MACS[0]].task == "netconfig"
    )
    assert [t.id for t in await client.tasks("prod")] == [task.id]
    task_chunk = await client.task_log(task.id)
    assert len(task_chunk.entries) == 2 and f"[{MACS[0]}]" in task_chunk.entries[0]
    whole = await client.node_log(MACS[0])
    tail = await client.node_log(MACS[0], tail=len(whole.entries[-1]) + 3)
    assert tail.entries == whole.entries[-1:] and tail.end == whole.end
    in_task = await client.node_log(MACS[0], task_id=task.id)
    assert len(in_task.entries) == 2
    with pytest.raises(ConflictError):
        await client.resume_task(task.id)


async def _tick(ctx: TaskContext) -> None:
    try:
        await asyncio.wait_for(ctx.stop_requested.wait(), 0.05)
    except TimeoutError:
        return


def _subscribers(master: RunningMaster, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return len(master.state.events._subscribers) >= count

    return check


async def test_stop_resume_and_plugin_routes(master: RunningMaster, client: MasterClient) -> None:
    await client.create_environment("prod")
    runs: list[str | None] = []

    async def deploy(ctx: TaskContext[DeployParams]) -> DeployResult:
        runs.append(ctx.resumed_from)
        if ctx.resumed_from is None:
            await ctx.set_progress(5, "waiting")
            await asyncio.Event().wait()
        return DeployResult(ready=True, ran=len(ctx.request.nodes or []))

    master.state.tasks.register("deploy", deploy)
    with pytest.raises(NotFoundError) as no_task:
        await client.retry("prod")
    assert no_task.value.code == "no-task"
    discover(master, count=1)
    node = await client.update_node(MACS[0], (await client.node(MACS[0])).revision, environment="prod")
    task = await client.deploy("prod", nodes=[MACS[0]], skip_verify=True)
    with pytest.raises(ConflictError) as fixed:
        await client.update_node(MACS[0], node.revision, roles=["compute"])
    assert fixed.value.code == "environment-busy"
    renamed = await client.update_node(MACS[0], node.revision, name="still-renamable")
    assert renamed.node.name == "still-renamable"
    assert task.params == {"nodes": [MACS[0]], "skip_verify": True}

    async def waiting() -> bool:
        return (await client.task(task.id)).progress == 5

    await async_wait_until(waiting, what="deploy running")
    await client.stop_deploy("prod", now=True)

    async def stopped() -> bool:
        return (await client.task(task.id)).status == TaskStatus.stopped

    await async_wait_until(stopped, what="deploy stopped")
    retried = await client.retry("prod")
    assert retried.resumed_from == task.id

    async def done() -> bool:
        return (await client.task(retried.id)).status == TaskStatus.done

    await async_wait_until(done, what="retried deploy done")
    assert runs == [None, task.id]
    targets: list[object] = []

    async def discover_kind(ctx: TaskContext) -> dict[str, object]:
        targets.append(ctx.params["targets"])
        return {}

    master.state.tasks.register("discover", discover_kind)
    found = await client.discover(["10.20.0.3"])
    assert found.env is None and found.params == {"targets": ["10.20.0.3"]}
    with pytest.raises(ApiError) as empty:
        await client.discover([])
    assert empty.value.status == 422
    with pytest.raises(NotFoundError) as kind:
        await client.start_task("no-such-kind")
    assert kind.value.code == "unknown-task-kind"
    with pytest.raises(NotFoundError):
        await client.stop_task("nope")


async def test_token_is_required_on_tcp(master_factory) -> None:
    running = master_factory(listen="127.0.0.1:0")
    host, port = running.server.tcp_address
    token_file = running.base / "token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as anonymous:
        refused = await anonymous.get("/api/v1/environments")
        assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"
        wrong = await anonymous.get("/api/v1/environments", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
    remote = await MasterClient.connect(url=f"http://{host}:{port}", token=token)
    try:
        assert (await remote.status()).listen == f"127.0.0.1:{port}"
        await remote.create_environment("over-tcp")
    finally:
        await remote.close()
    local = await MasterClient.connect(running.base, autostart=False)
    try:
        assert [e.environment.name for e in await local.environments()] == ["over-tcp"]
    finally:
        await local.close()


async def test_boot_options_revisions(client: MasterClient) -> None:
    from fueltui.core.model import BootOptions, DhcpPool

    empty = await client.boot_options()
    assert empty.options is None and empty.revision == 0
    opts = BootOptions(ip="10.20.0.2", dhcp_pool=DhcpPool(start="10.20.0.10", end="10.20.0.200"))
    stored = await client.set_boot_options(opts, revision=0)
    assert stored.revision == 1
    with pytest.raises(ConflictError):
        await client.set_boot_options(opts, revision=0)
    assert (await client.set_boot_options(opts, revision=stored.revision)).revision == 2
    assert (await client.environments()) == [] and EnvStatus.new.value == "new"


async def test_event_stream_survives_a_master_restart(master_factory) -> None:
    first = master_factory()
    client = await MasterClient.connect(first.base, autostart=False)
    seen: list[str] = []

    async def collect() -> None:
        async for event in client.events():
            seen.append(event.type)
            if event.type == "env.changed" and "stream.reset" in seen:
                return

    collector = asyncio.ensure_future(collect())
    try:
        await async_wait_until(_subscribers(first, 1), what="subscribed to the first master")
        await client.create_environment("before")
        await async_wait_until(_truthy(lambda: "env.changed" in seen), what="first event")
        await asyncio.to_thread(first.stop)
        second = master_factory(base=first.base)
        await async_wait_until(_subscribers(second, 1), timeout=10, what="resubscribed to the new master")
        await client.create_environment("after")
        await asyncio.wait_for(collector, 10)
    finally:
        collector.cancel()
        await client.close()
    assert seen == ["env.changed", "stream.reset", "env.changed"]


def _truthy(condition: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return condition()

    return check


async def test_apply_findings_point_at_the_files_nodes(master: RunningMaster, client: MasterClient) -> None:
    discover(master)
    await client.apply(ANSWERS, source="lab.yaml")
    bad = ANSWERS.replace("cidr: 172.16.0.0/24", "cidr: 172.16.0.0/33").replace(
        "[compute]", "[compute, wizard]"
    )
    with pytest.raises(ApiError) as refused:
        await client.apply(bad, source="lab.yaml")
    paths = {f.path for f in refused.value.findings if f.severity == "error"}
    assert any(p.endswith("networks.public.cidr") for p in paths), paths
    assert "nodes[1].roles[1]" in paths  # the file's second node, its second role
    assert len(refused.value.findings) == len({(f.code, f.path, f.message) for f in refused.value.findings})
    assert (await client.environment("lab")).revision == 1  # nothing changed


async def test_a_node_name_that_cannot_be_a_hostname_is_refused(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master, 1)
    record = (await client.nodes())[0]
    for bad in ("ctrl 1", "x\nrm -rf /", "$(id)", "-dash"):
        with pytest.raises(ApiError) as refused:
            await client.update_node(record.node.mac, record.revision, name=bad)
        assert refused.value.status == 422
        assert "name" in refused.value.message
    assert (await client.node(record.node.mac)).node.name == record.node.name  # nothing changed


async def test_a_busy_environment_refuses_changes_and_status_is_the_masters(
    master: RunningMaster, client: MasterClient
) -> None:
    record = await client.create_environment("busy")
    gate = threading.Event()

    async def blocking(ctx: TaskContext) -> dict[str, object]:
        while not gate.is_set():
            await _tick(ctx)
        return {}

    master.state.tasks.register("api-busy", blocking)
    await client.start_task("api-busy", "busy")
    changed = record.environment.model_copy(deep=True)
    changed.networks["management"].vlan = 333
    with pytest.raises(ConflictError) as put:
        await client.update_environment(record.model_copy(update={"environment": changed}))
    assert put.value.status == 409 and put.value.code == "environment-busy"
    with pytest.raises(ConflictError) as delete:
        await client.delete_environment("busy")
    assert delete.value.status == 409 and delete.value.code == "environment-busy"
    assert (await client.environment("busy")).environment.networks["management"].vlan != 333
    gate.set()

    async def idle() -> bool:
        return all(t.status.finished for t in await client.tasks("busy"))

    await async_wait_until(idle, what="task finished")
    current = await client.environment("busy")
    forged = current.environment.model_copy(update={"status": EnvStatus.operational})
    with pytest.raises(ApiError) as status:
        await client.update_environment(current.model_copy(update={"environment": forged}))
    assert status.value.status == 422 and status.value.code == "status-read-only"
    assert (await client.environment("busy")).environment.status == current.environment.status
    saved = await client.update_environment(current.model_copy(update={"environment": changed}))
    assert saved.environment.networks["management"].vlan == 333  # idle again: the change is taken

    async with httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(uds=str(master.socket)), base_url="http://master"
    ) as http:
        document = (await http.get("/api/v1/openapi.json")).json()
    paths = document["paths"]["/api/v1/environments/{name}"]
    assert {"404", "409", "422"} <= set(paths["put"]["responses"])
    assert {"204", "404", "409"} <= set(paths["delete"]["responses"])
