"""A task kind is declared once (fueltui.api.tasks): the master holds a task's parameters and
its handler's result to that declaration, and the client reads the result as its model."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fueltui.api.schema import TaskStatus, VerifyRequest
from fueltui.api.tasks import TASK_KINDS, VERIFY, VerifyResult
from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError
from fueltui.master.tasks import TaskContext
from masterfixtures import RunningMaster
from polling import async_wait_until

MAC = "52:54:00:aa:00:01"


async def _finished(client: MasterClient, task_id: str) -> TaskStatus:
    async def done() -> bool:
        return (await client.task(task_id)).status.finished

    await async_wait_until(done, what=f"task {task_id} finished")
    return (await client.task(task_id)).status


def test_every_kind_is_declared_once_with_models() -> None:
    assert set(TASK_KINDS) == {
        "verify",
        "deploy",
        "health",
        "discover",
        "accept-host-key",
        "provision",
        "reset",
    }
    for name, kind in TASK_KINDS.items():
        assert kind.name == name
        kind.result.model_validate({})  # a task that ended without a result reads as the defaults


async def test_parameters_that_do_not_fit_are_refused_before_a_task_exists(client: MasterClient) -> None:
    await client.create_environment("prod")
    with pytest.raises(ApiError) as refused:
        await client.start_task("verify", "prod", {"nodes": "all of them"})
    assert (refused.value.status, refused.value.code) == (422, "invalid-params")
    with pytest.raises(ApiError) as unknown:
        await client.start_task("verify", "prod", {"nodez": [MAC]})
    assert unknown.value.code == "invalid-params" and "nodez" in unknown.value.message
    assert await client.tasks("prod") == []


async def test_a_typed_handler_reads_its_request_and_the_client_reads_its_result(
    master: RunningMaster, client: MasterClient
) -> None:
    await client.create_environment("prod")
    seen: list[VerifyRequest] = []

    async def handle(ctx: TaskContext[VerifyRequest]) -> VerifyResult:
        seen.append(ctx.request)
        return VerifyResult(ok=True, summary="heard", skipped={"node-3": "offline"})

    master.state.tasks.register(VERIFY, handle)
    record = await client.verify("prod", nodes=[MAC.upper()])
    assert await _finished(client, record.id) == TaskStatus.done
    assert seen == [VerifyRequest(nodes=[MAC])]  # the declared type normalised the MAC
    result = VERIFY.result_of(await client.task(record.id))
    assert isinstance(result, VerifyResult)
    assert (result.ok, result.summary, result.skipped) == (True, "heard", {"node-3": "offline"})


async def test_a_result_that_does_not_fit_ends_the_task_in_error(
    master: RunningMaster, client: MasterClient
) -> None:
    await client.create_environment("prod")

    async def sloppy(ctx: TaskContext[VerifyRequest]) -> dict[str, object]:
        return {"ok": True, "summery": "typo"}

    master.state.tasks.register("verify", sloppy)  # by name: still held to the declaration
    record = await client.verify("prod")
    assert await _finished(client, record.id) == TaskStatus.error
    failed = await client.task(record.id)
    assert "summery" in failed.message and failed.result == {}


async def test_two_masters_in_one_process_keep_their_own_task_kinds(
    master_factory: Callable[..., RunningMaster],
) -> None:
    """Each master's parts register on its own task manager: a handler swapped in on one master
    neither reaches the other nor outlives it, and each lists only the kinds it runs."""
    from fueltui.master.verify.task import handle_verify

    one, two = master_factory(), master_factory()

    async def stub(ctx: TaskContext[VerifyRequest]) -> VerifyResult:
        return VerifyResult(ok=True, summary="stub on one")

    one.state.tasks.register(VERIFY, stub)
    assert two.state.tasks.handler("verify") is handle_verify
    async with (
        await MasterClient.connect(one.base, autostart=False) as first,
        await MasterClient.connect(two.base, autostart=False) as second,
    ):
        for client in (first, second):
            kinds = (await client.status()).task_kinds
            # discovery is off in these masters: its kinds are not theirs to list
            assert {"deploy", "verify", "health", "provision", "reset"} <= set(kinds), kinds
            assert "discover" not in kinds and "accept-host-key" not in kinds
        await first.create_environment("prod")
        record = await first.verify("prod")
        assert await _finished(first, record.id) == TaskStatus.done
        assert VERIFY.result_of(await first.task(record.id)).summary == "stub on one"
    three = master_factory()
    assert three.state.tasks.handler("verify") is handle_verify
