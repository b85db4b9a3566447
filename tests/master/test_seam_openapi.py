"""The client against the master's own OpenAPI document, so the two cannot drift.

Every public method of `MasterClient` is called against a real master (task kinds that would
reach a machine are swapped for stubs); each request it makes must be an operation of the
document, its JSON body must fit the operation's request schema, and the answer's status must
be one the operation declares, its body fitting that response's schema. A new client method
fails `test_every_client_method_is_exercised` until it is called here too.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from jsonschema import Draft202012Validator
from test_master_api import ANSWERS, discover

from fueltui.api.schema import API_PREFIX, DeployRequest, DiscoverRequest, HealthRequest, VerifyRequest
from fueltui.api.tasks import DeployResult, DiscoverResult, HealthResult, VerifyResult
from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError
from fueltui.core.model import BootOptions, DhcpPool
from fueltui.master.tasks import TaskContext, TaskManager
from masterfixtures import RunningMaster
from polling import async_wait_until

PLUMBING = {"connect", "for_socket", "for_url", "alive", "close"}
MACS = ["52:54:00:aa:00:01", "52:54:00:aa:00:02", "52:54:00:aa:00:03"]


@dataclass
class Exchange:
    method: str
    path: str
    body: bytes
    status: int = 0
    answer: bytes = b""
    streamed: bool = False


def _client_methods() -> set[str]:
    return {
        name
        for name, member in vars(MasterClient).items()
        if not name.startswith("_") and name not in PLUMBING and callable(member)
    }


def _operation(document: dict[str, object], method: str, path: str) -> tuple[str, dict[str, object]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    for template, operations in paths.items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return template, operations[method.lower()]
    raise AssertionError(f"{method} {path}: no such operation in the master's OpenAPI document")


def _check(document: dict[str, object], schema: dict[str, object], value: object, where: str) -> None:
    validator = Draft202012Validator({**schema, "components": document["components"]})
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]
    assert not problems, f"{where}: {problems[:3]}"


def _stub_kinds(tasks: TaskManager) -> None:
    """Task kinds whose real handlers would reach machines: here they only answer."""

    async def verify(ctx: TaskContext[VerifyRequest]) -> VerifyResult:
        return VerifyResult(ok=True, summary="stub")

    async def deploy(ctx: TaskContext[DeployRequest]) -> DeployResult:
        await ctx.log(ctx.request.nodes[0] if ctx.request.nodes else None, "stub deploy line")
        with contextlib.suppress(TimeoutError):  # running until stopped, so stop has something to stop
            await asyncio.wait_for(ctx.stop_requested.wait(), 30)
        return DeployResult()

    async def health(ctx: TaskContext[HealthRequest]) -> HealthResult:
        return HealthResult()

    async def discover_kind(ctx: TaskContext[DiscoverRequest]) -> DiscoverResult:
        return DiscoverResult(failed={target: "stub" for target in ctx.request.targets})

    tasks.register("verify", verify)
    tasks.register("deploy", deploy)
    tasks.register("health", health)
    tasks.register("discover", discover_kind)


async def _first(stream: AsyncIterator[object]) -> object:
    async for item in stream:
        return item
    return None


def test_every_client_method_is_exercised() -> None:
    assert _client_methods() == set(CALLS), "add the new client method to CALLS"


Call = Callable[[MasterClient, dict[str, str]], Awaitable[object]]


async def _deploy(client: MasterClient, ids: dict[str, str]) -> object:
    record = await client.deploy("lab", nodes=[MACS[0]], skip_verify=True)
    ids["deploy"] = record.id
    return record


CALLS: dict[str, Call] = {
    "status": lambda c, ids: c.status(),
    "master_host": lambda c, ids: c.master_host(),
    "boot_options": lambda c, ids: c.boot_options(),
    "set_boot_options": lambda c, ids: c.set_boot_options(
        BootOptions(ip="10.20.0.2", dhcp_pool=DhcpPool(start="10.20.0.10", end="10.20.0.200")), 0
    ),
    "releases": lambda c, ids: c.releases(),
    "release": lambda c, ids: c.release(ids["release"]),
    "create_environment": lambda c, ids: c.create_environment("spare", mode="neutron-vlan"),
    "environments": lambda c, ids: c.environments(),
    "environment": lambda c, ids: c.environment("spare"),
    "update_environment": lambda c, ids: _update(c),
    "findings": lambda c, ids: c.findings("lab"),
    "apply": lambda c, ids: c.apply(ANSWERS, source="lab.yaml", dry_run=True),
    "export": lambda c, ids: c.export("lab"),
    "nodes": lambda c, ids: c.nodes(environment="lab"),
    "node": lambda c, ids: c.node(MACS[0]),
    "update_node": lambda c, ids: _rename(c),
    "delete_node": lambda c, ids: c.delete_node(MACS[2]),
    "predeploy": lambda c, ids: c.predeploy("lab", skip_verify=True),
    "verify": lambda c, ids: c.verify("lab"),
    "deploy": _deploy,
    "tasks": lambda c, ids: c.tasks("lab"),
    "task": lambda c, ids: c.task(ids["deploy"]),
    "task_log": lambda c, ids: c.task_log(ids["deploy"]),
    "node_log": lambda c, ids: c.node_log(MACS[0], tail=4096),
    "follow_task_log": lambda c, ids: _first(c.follow_task_log(ids["deploy"])),
    "follow_node_log": lambda c, ids: _first(c.follow_node_log(MACS[0])),
    "follow_log_chunks": lambda c, ids: _first(c.follow_log_chunks(f"/tasks/{ids['deploy']}/logs/follow")),
    "events": lambda c, ids: _first(c.events(after=0, reconnect=False)),
    "stop_deploy": lambda c, ids: c.stop_deploy("lab", now=True),
    "stop_task": lambda c, ids: c.stop_task(ids["deploy"]),
    "retry": lambda c, ids: c.retry("lab"),
    "resume_task": lambda c, ids: c.resume_task(ids["deploy"]),
    "start_task": lambda c, ids: c.start_task("health", "spare", {"groups": ["sanity"]}),
    "health": lambda c, ids: c.health("spare", ["smoke"]),
    "cloud": lambda c, ids: c.cloud("lab"),
    "openrc": lambda c, ids: c.openrc("lab"),
    "discover": lambda c, ids: c.discover(["192.0.2.1"]),
    "changes": lambda c, ids: c.changes("lab"),
    "settings": lambda c, ids: c.settings("lab"),
    "update_settings": lambda c, ids: _settings(c),
    "admin_password": lambda c, ids: c.admin_password("lab"),
    "rename_environment": lambda c, ids: c.rename_environment("spare", "spare-two", 0),  # stale: 409
    "node_details": lambda c, ids: c.node_details(MACS[0]),
    "disks": lambda c, ids: c.disks(MACS[0]),
    "set_disks": lambda c, ids: c.set_disks(MACS[0], 0, []),  # stale: 409
    "reset_disks": lambda c, ids: _reset_disks(c),
    "notifications": lambda c, ids: c.notifications(include_read=True),
    "mark_notifications_read": lambda c, ids: c.mark_notifications_read(None),
    "reset_environment": lambda c, ids: _reset_spare(c),
    "delete_environment": lambda c, ids: _delete_spare(c),
}


async def _settings(client: MasterClient) -> object:
    record = await client.settings("lab")
    return await client.update_settings("lab", {"common.debug": True}, record.revision)


async def _reset_disks(client: MasterClient) -> object:
    return await client.reset_disks(MACS[0], (await client.node(MACS[0])).revision)


async def _reset_spare(client: MasterClient) -> object:
    return await client.reset_environment("spare", (await client.environment("spare")).revision)


async def _update(client: MasterClient) -> object:
    return await client.update_environment(await client.environment("spare"))


async def _rename(client: MasterClient) -> object:
    return await client.update_node(MACS[0], (await client.node(MACS[0])).revision, name="ctrl-one")


async def _delete_spare(client: MasterClient) -> object:
    async def idle() -> bool:
        return all(t.status.finished for t in await client.tasks("spare"))

    await async_wait_until(idle, what="the spare environment's tasks")
    await client.delete_environment("spare", (await client.environment("spare")).revision)
    return None


async def test_the_client_speaks_the_masters_openapi_document(master: RunningMaster) -> None:
    _stub_kinds(master.state.tasks)
    discover(master)
    exchanges: list[Exchange] = []

    async def on_request(request: httpx.Request) -> None:
        exchanges.append(Exchange(request.method, request.url.path, request.content))

    async def on_response(response: httpx.Response) -> None:
        exchange = exchanges[-1]
        exchange.status = response.status_code
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            exchange.streamed = True
        else:
            exchange.answer = await response.aread()

    client = await MasterClient.connect(master.base, autostart=False)
    client.http.event_hooks = {"request": [on_request], "response": [on_response]}
    ids = {"release": (await client.releases())[0].id}
    await client.apply(ANSWERS, source="lab.yaml")
    try:
        for call in CALLS.values():
            # a refusal is part of the contract too: its status and body are checked below
            with contextlib.suppress(ApiError):
                await asyncio.wait_for(call(client, ids), 10)
    finally:
        await client.close()
    document = json.loads((await _document(master)).decode())
    called = {(e.method, e.path) for e in exchanges}
    assert len(called) >= len(CALLS) - 5  # several methods share a path
    for exchange in exchanges:
        where = f"{exchange.method} {exchange.path} → {exchange.status}"
        assert exchange.path.startswith(API_PREFIX), where
        template, operation = _operation(document, exchange.method, exchange.path)
        if exchange.body:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]  # type: ignore[index]
            _check(document, schema, json.loads(exchange.body), f"{where} request")
        responses = operation["responses"]
        assert isinstance(responses, dict)
        declared = responses.get(str(exchange.status)) or responses.get("default")
        assert declared is not None, f"{where}: status not declared for {template} ({sorted(responses)})"
        content = declared.get("content", {}).get("application/json")
        if exchange.streamed or content is None or not exchange.answer:
            continue
        _check(document, content["schema"], json.loads(exchange.answer), f"{where} response")


async def _document(master: RunningMaster) -> bytes:
    transport = httpx.AsyncHTTPTransport(uds=str(master.socket))
    async with httpx.AsyncClient(transport=transport, base_url="http://master") as http:
        response = await http.get(f"{API_PREFIX}/openapi.json")
        response.raise_for_status()
        return response.content


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_client_method_returns_a_declared_model(name: str) -> None:
    """No JSON object crosses the seam untyped: a client method returns a model, a list of
    models, text, or an iterator of them — never a dict."""
    hints = inspect.get_annotations(getattr(MasterClient, name), eval_str=True)
    answer = str(hints["return"])
    assert "dict" not in answer and "Any" not in answer and "object" not in answer, f"{name} -> {answer}"
